/**
 * StatefulSets that disappear: renamed (heuristic), moved to another namespace, or removed, with what
 * happens to their volumes.
 */
import { Draft, kubectl } from './draft';
import { Severity } from './model';
import { KubeObject, compareText, deepEqual, get, isEmpty, listNames } from './objects';
import { SetFacts, allPvcs, facts, images, isStatefulSet, sameSet } from './statefulset-facts';

/**
 * Rules for StatefulSets that disappear: renamed (heuristic), moved to another namespace, or removed.
 * `added` is consumed: a set recognised as the new name of a removed one is reported with it.
 */
export function statefulSetLifecycle(removed: KubeObject[], added: KubeObject[]): Draft[] {
  const fresh = added.filter(isStatefulSet).map(facts);
  const paired = new Set<SetFacts>();
  return removed.filter(isStatefulSet).map(facts).map((set) => {
    // Same name in another namespace: a move.
    const moved = fresh.find((n) => !paired.has(n) && n.name === set.name && n.object.ref.namespace !== set.object.ref.namespace);
    if (moved) {
      paired.add(moved);
      return movedDraft(set, moved);
    }
    // Same namespace, new name, recognisably the same workload: a rename.
    const candidates = fresh
      .filter((n) => !paired.has(n) && n.object.ref.namespace === set.object.ref.namespace)
      .map((n) => ({ set: n, evidence: similarity(set, n) }))
      .filter((c) => c.evidence.length > 0)
      .sort((a, b) => b.evidence.length - a.evidence.length || compareText(a.set.name, b.set.name));
    if (candidates.length > 0) {
      paired.add(candidates[0].set);
      return renamedDraft(set, candidates[0].set, candidates[0].evidence);
    }
    return removedDraft(set);
  });
}

/** What happens to the PVCs of a set that is gone. */
function consequence(set: SetFacts): string {
  const pvcs = allPvcs(set);
  if (pvcs.length === 0) {
    return '';
  }
  return set.whenDeleted === 'Delete'
    ? ` The old PVCs ${listNames(pvcs)} are deleted with the old set (whenDeleted: Delete).`
    : ` The old PVCs ${listNames(pvcs)} stay behind.`;
}

function movedDraft(set: SetFacts, moved: SetFacts): Draft {
  const newPvcs = allPvcs(moved);
  return {
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
  };
}

function renamedDraft(set: SetFacts, renamed: SetFacts, evidence: string[]): Draft {
  const newPvcs = allPvcs(renamed);
  return {
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
  };
}

function removedDraft(set: SetFacts): Draft {
  const pvcs = allPvcs(set);
  const deletes = set.whenDeleted === 'Delete' && pvcs.length > 0;
  return {
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
  };
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
