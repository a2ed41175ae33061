/**
 * StatefulSet rules: fields the API server refuses to update, and changes it accepts that strand or
 * delete data (renames, namespace moves, removals, scale-in with PVC deletion, claim template renames).
 */
import { Draft, RuleContext, kubectl } from './draft';
import { Severity } from './model';
import { JsonMap, KubeObject, deepEqual, diffWithDefaults, get, getNumber, isEmpty, isRecord, listNames, render } from './objects';
import { claimTemplateChanges } from './rules-claims';
import { FORBIDDEN_REASON, SetFacts, allPvcs, facts, ordinals, orphanFix, pvcNames } from './statefulset-facts';

// The spec fields every supported API server (Kubernetes 1.28 and newer) lets a StatefulSet update change
// (apps/v1 validation, ValidateStatefulSetUpdate).
const MUTABLE_SPEC_FIELDS = new Set([
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
]);

// Fields that became updatable in a later version: field → first Kubernetes 1.x minor that accepts a change.
// Checked against the real API server by test/cluster/guard.cluster.ts (1.34) and the 1.32/1.33 sources.
const MUTABLE_SINCE: Record<string, number> = {
  revisionHistoryLimit: 33,
};

// Values the API server fills in when a field is absent; absent and the default are the same spec.
const SPEC_DEFAULTS: Record<string, unknown> = {
  podManagementPolicy: 'OrderedReady',
  revisionHistoryLimit: 10,
};

/** Why a change of a field that later versions accept blocks: which versions refuse it, and how to say yours are newer. */
function versionNote(field: string, since: number, minor: number | undefined): string {
  const versions = `Kubernetes 1.${since - 1} and older refuse a change of ${field}; 1.${since} and newer accept it.`;
  return minor === undefined
    ? ` Newer API servers accept this change: ${versions} If every target cluster runs 1.${since} or newer, pass kubernetesVersion `
    + `(e.g. 1.${since}; on the command line --kubernetes-version 1.${since}) or accept this finding.`
    : ` ${versions} The target version given is 1.${minor}.`;
}

/** A StatefulSet spec with API server defaults filled in. */
function withSpecDefaults(spec: unknown): unknown {
  const result: JsonMap = { ...(isRecord(spec) ? spec : {}) };
  for (const [key, value] of Object.entries(SPEC_DEFAULTS)) {
    if (isEmpty(result[key])) {
      result[key] = value;
    }
  }
  return result;
}

/** Rules for a StatefulSet present in both manifest sets. */
export function statefulSetChanges(oldObject: KubeObject, newObject: KubeObject, ctx: RuleContext): Draft[] {
  const drafts: Draft[] = [];
  const oldSet = facts(oldObject);
  const newSet = facts(newObject);
  const oldSpec = get(oldObject.body, 'spec');
  const newSpec = get(newObject.body, 'spec');

  const immutable = (field: string, oldValue: unknown, newValue: unknown, extra?: { reason?: string; fix?: string; change?: string }): void => {
    drafts.push({
      rule: 'statefulset-immutable-field',
      severity: Severity.BLOCK,
      object: oldObject,
      field,
      oldValue: render(oldValue),
      newValue: render(newValue),
      ...(extra?.change !== undefined ? { change: extra.change } : {}),
      reason: extra?.reason ?? FORBIDDEN_REASON,
      fix: extra?.fix ?? orphanFix(oldSet),
    });
  };

  const before = get(oldSpec, 'selector');
  const after = get(newSpec, 'selector');
  if (!deepEqual(before, after)) {
    immutable('spec.selector', before, after, {
      fix:
        'Keep the old selector (new labels can go on the pod template alone). If it must change, delete the set with its pods '
        + '(the re-created set could not adopt pods its selector does not match) and let GitOps re-create it; '
        + 'its PVCs stay and are re-attached because the set and claim template names are unchanged'
        + (oldSet.whenDeleted === 'Delete'
          ? ' (but whenDeleted is Delete: first change it to Retain and sync that, or the PVCs are deleted with the set)'
          : '')
        + '. Expect downtime:\n'
        + `  ${kubectl(oldObject)} delete statefulset ${oldSet.name}\n`
        + 'then apply the new manifests.',
    });
  }
  drafts.push(...claimTemplateChanges(oldSet, newSet, ctx));

  // Every other field not listed as mutable, including fields this check does not know (newer API versions).
  const rest = (spec: unknown): JsonMap => {
    const result: JsonMap = { ...(isRecord(spec) ? spec : {}) };
    for (const key of [...MUTABLE_SPEC_FIELDS, 'selector', 'volumeClaimTemplates']) {
      delete result[key];
    }
    return result;
  };
  for (const change of diffWithDefaults(rest(oldSpec), rest(newSpec), 'spec', withSpecDefaults)) {
    const key = change.path.slice('spec.'.length).split(/[.[]/)[0];
    const since = Object.hasOwn(MUTABLE_SINCE, key) ? MUTABLE_SINCE[key] : undefined;
    if (since !== undefined && ctx.kubernetesMinor !== undefined && ctx.kubernetesMinor >= since) {
      continue; // Every target cluster accepts this change.
    }
    const note = since !== undefined ? versionNote(key, since, ctx.kubernetesMinor) : '';
    immutable(change.path, change.oldValue, change.newValue, { change: change.text, reason: FORBIDDEN_REASON + note });
  }

  drafts.push(...scaleIn(oldSet, newSet));
  drafts.push(...retentionChanges(oldSet, newSet));
  return drafts;
}

function scaleIn(oldSet: SetFacts, newSet: SetFacts): Draft[] {
  const kept = new Set(ordinals(newSet));
  const gone = ordinals(oldSet).filter((i) => !kept.has(i));
  if (gone.length === 0 || oldSet.claims.length === 0) {
    return [];
  }
  const pvcs = pvcNames(oldSet.claims, oldSet.name, gone);
  const replicasChanged = oldSet.replicas !== newSet.replicas;
  const field = replicasChanged ? 'spec.replicas' : 'spec.ordinals.start';
  const oldValue = replicasChanged ? String(oldSet.replicas) : String(oldSet.start);
  const newValue = replicasChanged ? String(newSet.replicas) : String(newSet.start);
  const absentNote = replicasChanged && getNumber(newSet.object.body, 'spec', 'replicas') === undefined ? ' (replicas is absent, which means 1)' : '';
  const removedPods = gone.map((i) => `${oldSet.name}-${i}`);
  // The controller applies the retention policy of the spec it scales with, i.e. the new one.
  if (newSet.whenScaled === 'Delete') {
    return [
      {
        rule: 'statefulset-scale-in-deletes-pvcs',
        severity: Severity.BLOCK,
        object: oldSet.object,
        field,
        oldValue,
        newValue,
        reason:
          `The set scales in${absentNote}, removing pods ${listNames(removedPods)}, and persistentVolumeClaimRetentionPolicy.whenScaled `
          + `is Delete: Kubernetes deletes their PVCs ${listNames(pvcs)} (with a reclaimPolicy of Delete, the data is gone).`,
        fix:
          'To keep the volumes, set persistentVolumeClaimRetentionPolicy.whenScaled: Retain in the same change (or back them up first). '
          + 'If the data on them is disposable, accept this finding.',
      },
    ];
  }
  return [
    {
      rule: 'statefulset-scale-in',
      severity: Severity.WARN,
      object: oldSet.object,
      field,
      oldValue,
      newValue,
      reason:
        `The set scales in${absentNote}, removing pods ${listNames(removedPods)}. Their PVCs ${listNames(pvcs)} stay `
        + '(whenScaled: Retain) and are re-attached, with their old data, if the set scales out again.',
      fix: `Nothing to do if intended. Delete the PVCs once their data is no longer needed:\n  ${kubectl(oldSet.object)} delete pvc ${pvcs.join(' ')}`,
    },
  ];
}

function retentionChanges(oldSet: SetFacts, newSet: SetFacts): Draft[] {
  const drafts: Draft[] = [];
  const pvcs = listNames(allPvcs(newSet));
  const cases: Array<[string, string, string, string]> = [
    ['whenScaled', oldSet.whenScaled, newSet.whenScaled, 'scaling in deletes the PVCs of the removed pods'],
    ['whenDeleted', oldSet.whenDeleted, newSet.whenDeleted, `deleting the set deletes its PVCs${pvcs ? ` (${pvcs})` : ''}`],
  ];
  for (const [field, before, after, effect] of cases) {
    if (before !== 'Delete' && after === 'Delete' && newSet.claims.length > 0) {
      drafts.push({
        rule: 'statefulset-retention-delete',
        severity: Severity.WARN,
        object: oldSet.object,
        field: `spec.persistentVolumeClaimRetentionPolicy.${field}`,
        oldValue: before,
        newValue: after,
        reason: `From now on ${effect}, and with a reclaimPolicy of Delete the data on them.`,
        fix: 'Keep Retain unless the volumes only hold data that can be rebuilt (caches, replicas that re-sync).',
      });
    }
  }
  return drafts;
}
