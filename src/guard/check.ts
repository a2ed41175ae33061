/**
 * Compares two manifest sets and turns rule output into sorted, identified, possibly accepted findings.
 */
import { Draft, RuleContext } from './draft';
import { CheckOptions, CheckResult, Finding, Severity } from './model';
import { KubeObject, renderShort, toKubeObjects } from './objects';
import { jobChanges, pvcChanges, removedObjects, serviceChanges, storageClassChanges, workloadSelectorChanges } from './rules-objects';
import { statefulSetChanges, statefulSetLifecycle } from './rules-statefulset';

type PairRule = (oldObject: KubeObject, newObject: KubeObject, ctx: RuleContext) => Draft[];

// Rules for objects present on both sides, by `group|kind`.
const PAIR_RULES: Record<string, PairRule> = {
  'apps|StatefulSet': statefulSetChanges,
  'apps|Deployment': workloadSelectorChanges,
  'apps|DaemonSet': workloadSelectorChanges,
  'apps|ReplicaSet': workloadSelectorChanges,
  '|Service': serviceChanges,
  '|PersistentVolumeClaim': pvcChanges,
  'storage.k8s.io|StorageClass': storageClassChanges,
  'batch|Job': jobChanges,
};

/**
 * Compares the manifests of a change (old: what the cluster runs, new: what will be applied) and reports
 * changes that the API server refuses or that strand or delete data.
 *
 * Both inputs are lists of Kubernetes objects as plain data (for example from `loadManifests` or a
 * cdk8s `Chart.toJson()`); `kind: List` objects are flattened. Objects are matched by API group, kind,
 * namespace and name, so document order does not matter. When an object appears twice, the last wins.
 *
 * @param oldManifests the objects before the change
 * @param newManifests the objects after the change
 * @param options accepted finding ids and a default namespace
 * @throws ManifestError when an item is not a Kubernetes object (no apiVersion, kind or metadata.name)
 */
export function checkUpgrade(oldManifests: unknown[], newManifests: unknown[], options: CheckOptions = {}): CheckResult {
  const oldObjects = toKubeObjects(oldManifests, 'old manifests', options.namespace);
  const newObjects = toKubeObjects(newManifests, 'new manifests', options.namespace);
  const oldByKey = byKey(oldObjects);
  const newByKey = byKey(newObjects);
  const ctx = new RuleContext([...oldByKey.values()], [...newByKey.values()]);

  const drafts: Draft[] = [];
  for (const [key, oldObject] of oldByKey) {
    const newObject = newByKey.get(key);
    const rule = PAIR_RULES[`${oldObject.group}|${oldObject.ref.kind}`];
    if (newObject && rule) {
      drafts.push(...rule(oldObject, newObject, ctx));
    }
  }
  const removed = [...oldByKey.values()].filter((o) => !newByKey.has(o.key));
  const added = [...newByKey.values()].filter((o) => !oldByKey.has(o.key));
  drafts.push(...statefulSetLifecycle(removed, added));
  drafts.push(...removedObjects(removed, added));

  const accepted = new Set((options.accept ?? []).map((id) => id.trim()).filter((id) => id !== ''));
  const findings = uniqueById(drafts.map((draft) => toFinding(draft, accepted))).sort(compareFindings);
  const ids = new Set(findings.map((f) => f.id));
  return {
    findings,
    blocking: findings.some((f) => f.severity === Severity.BLOCK),
    staleAccepts: [...accepted].filter((id) => !ids.has(id)).sort(),
    oldObjectCount: oldObjects.length,
    newObjectCount: newObjects.length,
  };
}

function byKey(objects: KubeObject[]): Map<string, KubeObject> {
  const map = new Map<string, KubeObject>();
  for (const object of objects) {
    map.set(object.key, object);
  }
  return map;
}

/** `rule:Kind/namespace/name[:field]`: derived from what the finding is about, so it survives unrelated edits. */
export function findingId(rule: string, objectDisplay: string, field: string): string {
  return field ? `${rule}:${objectDisplay}:${field}` : `${rule}:${objectDisplay}`;
}

function toFinding(draft: Draft, accepted: Set<string>): Finding {
  const object = draft.object.ref;
  const id = findingId(draft.rule, object.display, draft.field);
  const isAccepted = draft.severity === Severity.BLOCK && accepted.has(id);
  const change = draft.change ?? `${renderShort(draft.oldValue)} → ${renderShort(draft.newValue)}`;
  return {
    id,
    rule: draft.rule,
    severity: isAccepted ? Severity.WARN : draft.severity,
    accepted: isAccepted,
    object,
    field: draft.field,
    ...(draft.oldValue !== undefined ? { oldValue: draft.oldValue } : {}),
    ...(draft.newValue !== undefined ? { newValue: draft.newValue } : {}),
    change,
    reason: draft.reason,
    message: `${object.display}${draft.field ? ` ${draft.field}` : ''}: ${change}. ${draft.reason}`,
    fix: draft.fix,
  };
}

// Two drafts with one id would make `--accept` ambiguous; the first (most specific rule order) wins.
function uniqueById(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => (seen.has(f.id) ? false : (seen.add(f.id), true)));
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareFindings(a: Finding, b: Finding): number {
  return compareStrings(a.object.display, b.object.display) || compareStrings(a.field, b.field) || compareStrings(a.rule, b.rule);
}
