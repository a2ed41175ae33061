/**
 * StatefulSet claim template rules: renamed, removed, added or reordered templates and changed fields,
 * with the procedure that grows volumes in place.
 */
import { Draft, RuleContext, expansionNote, kubectl, quantityComparator } from './draft';
import { Severity } from './model';
import { diffWithDefaults, get, listNames, render, reordered } from './objects';
import { compareQuantities } from './quantity';
import {
  ClaimTemplate, FORBIDDEN_REASON, SetFacts, claimTemplates, describeOrdinals, labelSelector, ordinals, orphanFix, pvcNames, withTemplateDefaults,
} from './statefulset-facts';

const STORAGE_PATH = /^spec\.volumeClaimTemplates\[([^\]]+)\]\.spec\.resources\.requests\.storage$/;

/** Rules for the claim templates of a StatefulSet present in both manifest sets. */
export function claimTemplateChanges(oldSet: SetFacts, newSet: SetFacts, ctx: RuleContext): Draft[] {
  const before = claimTemplates(oldSet.object);
  const after = claimTemplates(newSet.object);
  const beforeNames = before.map((t) => t.name);
  const afterNames = after.map((t) => t.name);
  const drafts = templatesRenamedOrChanged(oldSet, newSet, before, after);
  if (reordered(beforeNames, afterNames)) {
    drafts.push({
      rule: 'statefulset-immutable-field',
      severity: Severity.BLOCK,
      object: oldSet.object,
      field: 'spec.volumeClaimTemplates',
      oldValue: beforeNames.join(', '),
      newValue: afterNames.join(', '),
      change: `claim templates reordered: ${beforeNames.join(', ')} → ${afterNames.join(', ')}`,
      reason: FORBIDDEN_REASON,
      fix: `Keep the original order of the claim templates (${beforeNames.join(', ')}).`,
    });
  }
  for (const name of beforeNames.filter((n) => afterNames.includes(n))) {
    const oldTemplate = before.find((t) => t.name === name)?.stored;
    const newTemplate = after.find((t) => t.name === name)?.stored;
    drafts.push(...templateFieldChanges(oldSet, name, oldTemplate, newTemplate, ctx));
  }
  return drafts;
}

/** One template renamed (one gone, one new), or templates removed and added. */
function templatesRenamedOrChanged(oldSet: SetFacts, newSet: SetFacts, before: ClaimTemplate[], after: ClaimTemplate[]): Draft[] {
  const object = oldSet.object;
  const beforeNames = before.map((t) => t.name);
  const afterNames = after.map((t) => t.name);
  const removed = beforeNames.filter((n) => !afterNames.includes(n));
  const added = afterNames.filter((n) => !beforeNames.includes(n));
  const existingPvcs = (claim: string) => pvcNames([claim], oldSet.name, ordinals(oldSet));
  if (removed.length === 1 && added.length === 1) {
    const [from] = removed;
    const [to] = added;
    return [{
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
    }];
  }
  const field = (name: string) => `spec.volumeClaimTemplates[${name}]`;
  return [
    ...removed.map((name): Draft => ({
      rule: 'statefulset-immutable-field',
      severity: Severity.BLOCK,
      object,
      field: field(name),
      oldValue: render(before.find((t) => t.name === name)?.stored),
      change: `claim template ${name} removed`,
      reason: `${FORBIDDEN_REASON} The PVCs ${listNames(existingPvcs(name))} would stay behind.`,
      fix: orphanFix(oldSet),
    })),
    ...added.map((name): Draft => ({
      rule: 'statefulset-immutable-field',
      severity: Severity.BLOCK,
      object,
      field: field(name),
      newValue: render(after.find((t) => t.name === name)?.stored),
      change: `claim template ${name} added`,
      reason: FORBIDDEN_REASON,
      fix: `${orphanFix(oldSet)} The controller then creates the PVCs ${listNames(pvcNames([name], newSet.name, ordinals(newSet)))} as pods are re-created.`,
    })),
  ];
}

/** Changed fields of a template both sides have: a bigger volume gets the grow procedure, a smaller one is impossible. */
function templateFieldChanges(oldSet: SetFacts, name: string, oldTemplate: unknown, newTemplate: unknown, ctx: RuleContext): Draft[] {
  const existingPvcs = listNames(pvcNames([name], oldSet.name, ordinals(oldSet)));
  const path = `spec.volumeClaimTemplates[${name}]`;
  return diffWithDefaults(oldTemplate, newTemplate, path, withTemplateDefaults, quantityComparator).map((change): Draft => {
    const base = {
      rule: 'statefulset-immutable-field',
      severity: Severity.BLOCK,
      object: oldSet.object,
      field: change.path,
      oldValue: render(change.oldValue),
      newValue: render(change.newValue),
      ...(change.text !== undefined ? { change: change.text } : {}),
    };
    const storage = STORAGE_PATH.test(change.path) ? compareQuantities(change.oldValue, change.newValue) : undefined;
    if (storage !== undefined && storage < 0) {
      return {
        ...base,
        reason: `${FORBIDDEN_REASON} Kubernetes does not resize existing PVCs from the template either: each one must be expanded.`,
        fix: growProcedure(oldSet, name, String(change.newValue), get(newTemplate, 'spec', 'storageClassName'), ctx),
      };
    }
    if (storage !== undefined && storage > 0) {
      return {
        ...base,
        reason: `${FORBIDDEN_REASON} Shrinking is not possible at all: Kubernetes volumes can only grow, so ${existingPvcs} cannot get smaller.`,
        fix:
          `Keep the storage request at ${String(change.oldValue)}. A smaller volume means a new claim template (or a new set) `
          + 'and copying the data over.',
      };
    }
    return {
      ...base,
      reason: FORBIDDEN_REASON,
      fix: `${orphanFix(oldSet)}\nExisting PVCs (${existingPvcs}) keep their current settings; only PVCs created later (new ordinals) follow the new template.`,
    };
  });
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
