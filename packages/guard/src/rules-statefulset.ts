/**
 * StatefulSet rules: fields the API server refuses to update, and changes it accepts that strand or
 * delete data (renames, namespace moves, removals, scale-in with PVC deletion, claim template renames).
 */
import { Draft, RuleContext, expansionNote, kubectl, quantityComparator } from './draft';
import { Severity } from './model';
import {
  JsonMap,
  KubeObject,
  compareText,
  deepEqual,
  diffWithDefaults,
  get,
  getArray,
  getNumber,
  getString,
  isEmpty,
  isRecord,
  listNames,
  render,
  reordered,
} from './objects';
import { compareQuantities } from './quantity';

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

const FORBIDDEN_REASON
  = 'The API server refuses updates to StatefulSet spec fields other than replicas, ordinals, template, updateStrategy, '
    + 'persistentVolumeClaimRetentionPolicy and minReadySeconds (Kubernetes 1.33 and newer also accept revisionHistoryLimit) '
    + '("Forbidden: updates to statefulset spec for fields other than ... are forbidden"), so the sync fails and the set stays as it is.';

/** Why a change of a field that later versions accept blocks: which versions refuse it, and how to say yours are newer. */
function versionNote(field: string, since: number, minor: number | undefined): string {
  const versions = `Kubernetes 1.${since - 1} and older refuse a change of ${field}; 1.${since} and newer accept it.`;
  return minor === undefined
    ? ` Newer API servers accept this change: ${versions} If every target cluster runs 1.${since} or newer, pass kubernetesVersion `
    + `(e.g. 1.${since}; on the command line --kubernetes-version 1.${since}) or accept this finding.`
    : ` ${versions} The target version given is 1.${minor}.`;
}

const STORAGE_PATH = /^spec\.volumeClaimTemplates\[([^\]]+)\]\.spec\.resources\.requests\.storage$/;

/** What the rules need to know about one StatefulSet. */
interface SetFacts {
  readonly object: KubeObject;
  readonly name: string;
  readonly replicas: number;
  readonly start: number;
  /** Claim template names, in order. */
  readonly claims: string[];
  readonly whenScaled: string;
  readonly whenDeleted: string;
}

function facts(object: KubeObject): SetFacts {
  const spec = get(object.body, 'spec');
  return {
    object,
    name: object.ref.name,
    // An absent replicas field is defaulted to 1 by the API server (and kubectl apply removes it to 1).
    replicas: getNumber(spec, 'replicas') ?? 1,
    start: getNumber(spec, 'ordinals', 'start') ?? 0,
    claims: claimTemplates(object).map((t) => t.name),
    whenScaled: getString(spec, 'persistentVolumeClaimRetentionPolicy', 'whenScaled') ?? 'Retain',
    whenDeleted: getString(spec, 'persistentVolumeClaimRetentionPolicy', 'whenDeleted') ?? 'Retain',
  };
}

function ordinals(set: SetFacts): number[] {
  return Array.from({ length: Math.max(0, set.replicas) }, (_, i) => set.start + i);
}

/** PVC names the StatefulSet controller uses: `<claim template>-<set>-<ordinal>`. */
function pvcNames(claims: string[], setName: string, ordinalList: number[]): string[] {
  return claims.flatMap((claim) => ordinalList.map((i) => `${claim}-${setName}-${i}`));
}

function allPvcs(set: SetFacts): string[] {
  return pvcNames(set.claims, set.name, ordinals(set));
}

interface ClaimTemplate {
  readonly name: string;
  /** metadata and spec as written, without what the API server does not store. */
  readonly stored: JsonMap;
}

/**
 * Claim templates keyed by name, reduced to what the API server stores: apiVersion/kind/status and the
 * namespace are dropped (not part of the stored template).
 */
function claimTemplates(object: KubeObject): ClaimTemplate[] {
  const result: ClaimTemplate[] = [];
  for (const template of getArray(object.body, 'spec', 'volumeClaimTemplates')) {
    const name = getString(template, 'metadata', 'name');
    if (!isRecord(template) || name === undefined) {
      continue;
    }
    const metadata: JsonMap = isRecord(template.metadata) ? { ...template.metadata } : {};
    delete metadata.namespace;
    delete metadata.creationTimestamp;
    result.push({ name, stored: { metadata, spec: template.spec } });
  }
  return result;
}

/** A stored claim template with API server defaults filled in (volumeMode: Filesystem). */
function withTemplateDefaults(template: unknown): unknown {
  const spec = get(template, 'spec');
  return { ...(isRecord(template) ? template : {}), spec: { ...(isRecord(spec) ? spec : {}), volumeMode: getString(spec, 'volumeMode') ?? 'Filesystem' } };
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

function images(object: KubeObject): string[] {
  const podSpec = get(object.body, 'spec', 'template', 'spec');
  const containers = [...getArray(podSpec, 'containers'), ...getArray(podSpec, 'initContainers')];
  return [...new Set(containers.map((c) => getString(c, 'image')).filter((i): i is string => i !== undefined))].sort();
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length > 0 && a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');
}

function isStatefulSet(object: KubeObject): boolean {
  return object.group === 'apps' && object.ref.kind === 'StatefulSet';
}

function orphanFix(set: SetFacts): string {
  return (
    'Revert the change, or re-create the set without touching its pods and volumes:\n'
    + `  ${kubectl(set.object)} delete statefulset ${set.name} --cascade=orphan\n`
    + 'then sync the new manifests (with auto-sync, merge the change first so the set is re-created from it): '
    + 'the new set adopts the running pods and PVCs.'
  );
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

function claimTemplateChanges(oldSet: SetFacts, newSet: SetFacts, ctx: RuleContext): Draft[] {
  const drafts: Draft[] = [];
  const object = oldSet.object;
  const before = claimTemplates(oldSet.object);
  const after = claimTemplates(newSet.object);
  const beforeNames = before.map((t) => t.name);
  const afterNames = after.map((t) => t.name);
  const removed = beforeNames.filter((n) => !afterNames.includes(n));
  const added = afterNames.filter((n) => !beforeNames.includes(n));
  const existingPvcs = (claim: string) => pvcNames([claim], oldSet.name, ordinals(oldSet));

  if (removed.length === 1 && added.length === 1) {
    const [from] = removed;
    const [to] = added;
    drafts.push({
      rule: 'statefulset-claim-template-renamed',
      severity: Severity.BLOCK,
      object,
      field: `spec.volumeClaimTemplates[${from}]`,
      oldValue: from,
      newValue: to,
      change: `claim template renamed ${from} → ${to}`,
      reason:
        `${FORBIDDEN_REASON} Even when the set is re-created, its pods mount new empty volumes `
        + `${listNames(pvcNames([to], newSet.name, ordinals(newSet)))}; the data stays in ${listNames(existingPvcs(from))}.`,
      fix:
        `Keep the claim template name ${from} (the name is part of every PVC name). If the rename is intended, re-create the set `
        + `without its pods, apply, copy the data into the new volumes and delete the old PVCs when done:\n`
        + `  ${kubectl(object)} delete statefulset ${oldSet.name} --cascade=orphan`,
    });
  } else {
    for (const name of removed) {
      drafts.push({
        rule: 'statefulset-immutable-field',
        severity: Severity.BLOCK,
        object,
        field: `spec.volumeClaimTemplates[${name}]`,
        oldValue: render(before.find((t) => t.name === name)?.stored),
        change: `claim template ${name} removed`,
        reason: `${FORBIDDEN_REASON} The PVCs ${listNames(existingPvcs(name))} would stay behind.`,
        fix: orphanFix(oldSet),
      });
    }
    for (const name of added) {
      drafts.push({
        rule: 'statefulset-immutable-field',
        severity: Severity.BLOCK,
        object,
        field: `spec.volumeClaimTemplates[${name}]`,
        newValue: render(after.find((t) => t.name === name)?.stored),
        change: `claim template ${name} added`,
        reason: FORBIDDEN_REASON,
        fix: `${orphanFix(oldSet)} The controller then creates the PVCs ${listNames(pvcNames([name], newSet.name, ordinals(newSet)))} as pods are re-created.`,
      });
    }
  }

  const common = beforeNames.filter((n) => afterNames.includes(n));
  if (reordered(beforeNames, afterNames)) {
    drafts.push({
      rule: 'statefulset-immutable-field',
      severity: Severity.BLOCK,
      object,
      field: 'spec.volumeClaimTemplates',
      oldValue: beforeNames.join(', '),
      newValue: afterNames.join(', '),
      change: `claim templates reordered: ${beforeNames.join(', ')} → ${afterNames.join(', ')}`,
      reason: FORBIDDEN_REASON,
      fix: `Keep the original order of the claim templates (${beforeNames.join(', ')}).`,
    });
  }

  for (const name of common) {
    const oldTemplate = before.find((t) => t.name === name)?.stored;
    const newTemplate = after.find((t) => t.name === name)?.stored;
    const path = `spec.volumeClaimTemplates[${name}]`;
    for (const change of diffWithDefaults(oldTemplate, newTemplate, path, withTemplateDefaults, quantityComparator)) {
      const base = {
        rule: 'statefulset-immutable-field',
        severity: Severity.BLOCK,
        object,
        field: change.path,
        oldValue: render(change.oldValue),
        newValue: render(change.newValue),
        ...(change.text !== undefined ? { change: change.text } : {}),
      };
      const storage = STORAGE_PATH.test(change.path) ? compareQuantities(change.oldValue, change.newValue) : undefined;
      if (storage !== undefined && storage < 0) {
        drafts.push({
          ...base,
          reason: `${FORBIDDEN_REASON} Kubernetes does not resize existing PVCs from the template either: each one must be expanded.`,
          fix: growProcedure(oldSet, name, String(change.newValue), get(newTemplate, 'spec', 'storageClassName'), ctx),
        });
      } else if (storage !== undefined && storage > 0) {
        drafts.push({
          ...base,
          reason:
            `${FORBIDDEN_REASON} Shrinking is not possible at all: Kubernetes volumes can only grow, so `
            + `${listNames(existingPvcs(name))} cannot get smaller.`,
          fix:
            `Keep the storage request at ${String(change.oldValue)}. A smaller volume means a new claim template (or a new set) `
            + 'and copying the data over.',
        });
      } else {
        drafts.push({
          ...base,
          reason: FORBIDDEN_REASON,
          fix:
            `${orphanFix(oldSet)}\nExisting PVCs (${listNames(existingPvcs(name))}) keep their current settings; `
            + 'only PVCs created later (new ordinals) follow the new template.',
        });
      }
    }
  }
  return drafts;
}

/**
 * The documented way to grow StatefulSet volumes: expand each PVC, then re-create the set around its
 * running pods so its claim template matches.
 */
function growProcedure(set: SetFacts, claim: string, size: string, storageClassName: unknown, ctx: RuleContext): string {
  const k = kubectl(set.object);
  const patch = JSON.stringify({ spec: { resources: { requests: { storage: size } } } });
  const pvcs = pvcNames([claim], set.name, ordinals(set));
  const expansion = expansionNote(ctx, typeof storageClassName === 'string' && storageClassName !== '' ? storageClassName : undefined);
  const selector = labelSelector(set.object);
  const lines = [
    'Grow the existing volumes in place, then re-create the set around its running pods:',
    ...(expansion.allowed === false ? [`  0. ${expansion.note}`] : []),
    `  1. expand every PVC of the set (ordinals ${describeOrdinals(set)}):`,
    ...pvcs.map((pvc) => `       ${k} patch pvc ${pvc} -p '${patch}'`),
    ...(selector
      ? [
          '     and any other PVC of the set this lists (ordinals beyond replicas, left by an earlier scale-in: the controller '
          + 'labels every PVC of the set with its selector labels):',
          `       ${k} get pvc -l ${selector}`,
        ]
      : []),
    '     and wait until each shows the new capacity:',
    `       ${k} get pvc ${pvcs.join(' ')}`,
    '  2. delete the set but not its pods:',
    `       ${k} delete statefulset ${set.name} --cascade=orphan`,
    '  3. sync the new manifests (with auto-sync, merge this change before step 2 so the set is re-created from the new '
    + 'template): the re-created set adopts the running pods and the grown PVCs.',
  ];
  if (expansion.allowed !== false) {
    lines.push(expansion.note);
  }
  return lines.join('\n');
}

/** `k=v,k2=v2` from the selector's matchLabels (PVCs of a set carry them), or undefined without matchLabels. */
function labelSelector(object: KubeObject): string | undefined {
  const labels = get(object.body, 'spec', 'selector', 'matchLabels');
  if (!isRecord(labels) || Object.keys(labels).length === 0) {
    return undefined;
  }
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${String(labels[key])}`)
    .join(',');
}

function describeOrdinals(set: SetFacts): string {
  const list = ordinals(set);
  if (list.length === 0) {
    return 'none: replicas is 0';
  }
  return list.length === 1 ? `${list[0]}` : `${list[0]}..${list[list.length - 1]}`;
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

/**
 * Rules for StatefulSets that disappear: renamed (heuristic), moved to another namespace, or removed.
 * `added` is consumed: a set recognised as the new name of a removed one is reported with it.
 */
export function statefulSetLifecycle(removed: KubeObject[], added: KubeObject[]): Draft[] {
  const drafts: Draft[] = [];
  const gone = removed.filter(isStatefulSet).map(facts);
  const fresh = added.filter(isStatefulSet).map(facts);
  const paired = new Set<SetFacts>();

  const consequence = (set: SetFacts): string => {
    const pvcs = allPvcs(set);
    if (pvcs.length === 0) {
      return '';
    }
    return set.whenDeleted === 'Delete'
      ? ` The old PVCs ${listNames(pvcs)} are deleted with the old set (whenDeleted: Delete).`
      : ` The old PVCs ${listNames(pvcs)} stay behind.`;
  };

  for (const set of gone) {
    // Same name in another namespace: a move.
    const moved = fresh.find((n) => !paired.has(n) && n.name === set.name && n.object.ref.namespace !== set.object.ref.namespace);
    if (moved) {
      paired.add(moved);
      const newPvcs = allPvcs(moved);
      drafts.push({
        rule: 'statefulset-moved-namespace',
        severity: Severity.BLOCK,
        object: set.object,
        field: 'metadata.namespace',
        oldValue: set.object.ref.namespace,
        newValue: moved.object.ref.namespace,
        reason:
          `Kubernetes sees a new StatefulSet ${moved.object.ref.display}`
          + (newPvcs.length > 0 ? `, which gets new empty volumes ${listNames(newPvcs)}` : '')
          + `; PVCs cannot move between namespaces.${consequence(set)}`,
        fix:
          'Keep the namespace. If the move is intended, migrate the data (back up and restore, or re-bind the PersistentVolumes: set '
          + 'their reclaimPolicy to Retain, delete the old claims, and pre-create the new claims with spec.volumeName), then accept this finding.',
      });
      continue;
    }
    // Same namespace, new name, recognisably the same workload: a rename.
    const candidates = fresh
      .filter((n) => !paired.has(n) && n.object.ref.namespace === set.object.ref.namespace)
      .map((n) => ({ set: n, evidence: similarity(set, n) }))
      .filter((c) => c.evidence.length > 0)
      .sort((a, b) => b.evidence.length - a.evidence.length || compareText(a.set.name, b.set.name));
    if (candidates.length > 0) {
      const { set: renamed, evidence } = candidates[0];
      paired.add(renamed);
      const newPvcs = allPvcs(renamed);
      drafts.push({
        rule: 'statefulset-renamed',
        severity: Severity.BLOCK,
        object: set.object,
        field: 'metadata.name',
        oldValue: set.name,
        newValue: renamed.name,
        change: `looks like a rename of ${set.name} to ${renamed.name} (same ${listNames(evidence)})`,
        reason:
          `${set.object.ref.display} is gone and ${renamed.object.ref.display} is new: Kubernetes sees a new set`
          + (newPvcs.length > 0 ? `, which gets new empty volumes named ${listNames(newPvcs)}` : '')
          + `.${consequence(set)}`,
        fix:
          `Keep the name ${set.name} (in cdk8s the name comes from the construct path: keep the construct id, or set metadata.name). `
          + 'If the rename is intended, copy the data to the new volumes (or pre-create the new PVCs bound to the old volumes), then accept this finding.',
      });
      continue;
    }
    const pvcs = allPvcs(set);
    const deletes = set.whenDeleted === 'Delete' && pvcs.length > 0;
    drafts.push({
      rule: deletes ? 'statefulset-removed-deletes-pvcs' : 'statefulset-removed',
      severity: Severity.BLOCK,
      object: set.object,
      field: '',
      change: 'removed',
      reason: deletes
        ? `When GitOps prunes it, its pods go away and, because persistentVolumeClaimRetentionPolicy.whenDeleted is Delete, so do its PVCs `
        + `${listNames(pvcs)} (with a reclaimPolicy of Delete, the data is gone).`
        : `When GitOps prunes it, its pods go away.`
          + (pvcs.length > 0 ? ` Its PVCs ${listNames(pvcs)} stay behind (whenDeleted: Retain).` : ''),
      fix: deletes
        ? 'Back up the data first. To keep the volumes, change whenDeleted to Retain and sync that before removing the set. '
        + 'If the data is disposable, accept this finding.'
        : 'If the removal is intended, accept this finding'
          + (pvcs.length > 0 ? `; delete the PVCs once their data is no longer needed:\n  ${kubectl(set.object)} delete pvc ${pvcs.join(' ')}\n` : '. ')
          + 'Otherwise restore the StatefulSet.',
    });
  }
  return drafts;
}

/** Why a new set looks like the old one under another name; empty when it does not. */
function similarity(before: SetFacts, after: SetFacts): string[] {
  const evidence: string[] = [];
  if (sameSet(before.claims, after.claims)) {
    evidence.push(`claim templates ${before.claims.join(', ')}`);
  }
  const selectorBefore = get(before.object.body, 'spec', 'selector');
  if (!isEmpty(selectorBefore) && deepEqual(selectorBefore, get(after.object.body, 'spec', 'selector'))) {
    evidence.push('selector');
  }
  const imagesBefore = images(before.object);
  if (sameSet(imagesBefore, images(after.object))) {
    evidence.push(`image${imagesBefore.length > 1 ? 's' : ''} ${imagesBefore.join(', ')}`);
  }
  return evidence;
}
