/**
 * Compares two manifest sets and turns rule output into sorted, identified, possibly accepted findings.
 */
import { createHash } from 'crypto';
import { Draft, RuleContext, kubernetesMinor } from './draft';
import { CheckOptions, CheckResult, Finding, ObjectRef, Severity } from './model';
import { KubeObject, compareText, deepEqual, objectId, renderShort, toKubeObjects } from './objects';
import { jobChanges } from './rules-jobs';
import {
  namespaceUnset,
  pvcChanges,
  removedObjects,
  serviceChanges,
  storageClassChanges,
  workloadSelectorChanges,
} from './rules-objects';
import { binlogExpiryShort } from './rules-backup';
import { mysqlConfigChanges, mysqlSetChanges, generatedCredentialsForRunningCluster, mysqlSetsAdded } from './rules-mysql';
import { statefulSetLifecycle } from './rules-lifecycle';
import { statefulSetChanges } from './rules-statefulset';

type PairRule = (oldObject: KubeObject, newObject: KubeObject, ctx: RuleContext) => Draft[];

// Rules for objects present on both sides, by `group|kind`.
const PAIR_RULES: Record<string, PairRule> = {
  'apps|StatefulSet': (oldObject, newObject, ctx) => [...statefulSetChanges(oldObject, newObject, ctx), ...mysqlSetChanges(oldObject, newObject)],
  'apps|Deployment': workloadSelectorChanges,
  'apps|DaemonSet': workloadSelectorChanges,
  'apps|ReplicaSet': workloadSelectorChanges,
  '|Service': serviceChanges,
  '|PersistentVolumeClaim': pvcChanges,
  'storage.k8s.io|StorageClass': storageClassChanges,
  'batch|Job': jobChanges,
  '|ConfigMap': mysqlConfigChanges,
};

const HASH = /@[0-9a-f]{8}$/;

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
 * @param options accepted finding ids, a default namespace and the target Kubernetes version
 * @throws ManifestError when an item is not a Kubernetes object (no apiVersion, kind or metadata.name), or
 * when `kubernetesVersion` is not a Kubernetes 1.x version
 */
export function checkUpgrade(oldManifests: unknown[], newManifests: unknown[], options: CheckOptions = {}): CheckResult {
  const oldObjects = toKubeObjects(oldManifests, 'old manifests', options.namespace);
  const newObjects = toKubeObjects(newManifests, 'new manifests', options.namespace);
  const oldByKey = byKey(oldObjects);
  const newByKey = byKey(newObjects);
  const minor = options.kubernetesVersion !== undefined ? kubernetesMinor(options.kubernetesVersion) : undefined;
  const ctx = new RuleContext([...oldByKey.values()], [...newByKey.values()], minor);

  const pairs: Array<[KubeObject, KubeObject]> = [];
  for (const [key, oldObject] of oldByKey) {
    const newObject = newByKey.get(key);
    if (newObject) {
      pairs.push([oldObject, newObject]);
    }
  }
  let removed = [...oldByKey.values()].filter((o) => !newByKey.has(o.key));
  let added = [...newByKey.values()].filter((o) => !oldByKey.has(o.key));
  const drafts: Draft[] = [];
  if (options.namespace === undefined) {
    // Without --namespace, "no namespace" means "wherever GitOps applies it": most likely the namespace the
    // other side names, so compare the two as one object (and warn) rather than report a move.
    const unset = pairUnsetNamespaces(removed, added);
    for (const pair of unset) {
      drafts.push(namespaceUnset(pair[0], pair[1]));
      pairs.push(pair);
    }
    removed = removed.filter((o) => !unset.some(([before]) => before === o));
    added = added.filter((o) => !unset.some(([, after]) => after === o));
  }
  for (const [oldObject, newObject] of pairs) {
    const rule = PAIR_RULES[`${oldObject.group}|${oldObject.ref.kind}`];
    if (rule && newObject.group === oldObject.group && newObject.ref.kind === oldObject.ref.kind) {
      drafts.push(...rule(oldObject, newObject, ctx));
    }
  }
  drafts.push(...statefulSetLifecycle(removed, added));
  drafts.push(...mysqlSetsAdded(added));
  const changed = new Set([...added, ...pairs.filter(([a, b]) => !deepEqual(a.body, b.body)).map(([, b]) => b)].map((o) => o.key));
  drafts.push(...binlogExpiryShort([...newByKey.values()], changed));
  drafts.push(...generatedCredentialsForRunningCluster(pairs, added));
  drafts.push(...removedObjects(removed, added));

  const accepts = new Set((options.accept ?? []).map((id) => id.trim()).filter((id) => id !== ''));
  const used = new Set<string>();
  const findings = uniqueByUnboundId(drafts)
    .map((draft) => toFinding(draft, accepts, used))
    .sort(compareFindings);
  return {
    findings,
    blocking: findings.some((f) => f.severity === Severity.BLOCK),
    staleAccepts: [...accepts].filter((id) => !used.has(id)).sort(compareText),
    unboundAccepts: [...used].filter((id) => !HASH.test(id)).sort(compareText),
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

/** Removed and added objects that differ only in a namespace set on one side: one pair per unambiguous match. */
function pairUnsetNamespaces(removed: KubeObject[], added: KubeObject[]): Array<[KubeObject, KubeObject]> {
  const pairs: Array<[KubeObject, KubeObject]> = [];
  const sameButNamespace = (a: KubeObject, b: KubeObject) =>
    a.group === b.group
    && a.ref.kind === b.ref.kind
    && a.ref.name === b.ref.name
    && (a.ref.namespace === undefined) !== (b.ref.namespace === undefined);
  for (const before of removed) {
    const matches = added.filter((after) => sameButNamespace(before, after));
    const rivals = removed.filter((other) => matches.length === 1 && sameButNamespace(other, matches[0]));
    // Ambiguous (one object without namespace, several with): leave them to the move/removal rules.
    if (matches.length === 1 && rivals.length === 1) {
      pairs.push([before, matches[0]]);
    }
  }
  return pairs;
}

/**
 * The id of a finding: `rule:[group/]Kind/namespace/name[:field]@hash`, where `hash` binds it to the change
 * (8 hex digits of SHA-256 over the old and new value), so accepting one change does not accept another.
 *
 * @param rule the rule id, e.g. `statefulset-immutable-field`
 * @param object the object the finding is about (the API group of non-core kinds comes from its apiVersion)
 * @param field the field path, or '' for the whole object
 * @param oldValue the finding's `oldValue`
 * @param newValue the finding's `newValue`
 */
export function findingId(rule: string, object: ObjectRef, field: string, oldValue?: string, newValue?: string): string {
  return `${unboundId(rule, object, field)}@${changeHash(oldValue, newValue)}`;
}

function unboundId(rule: string, object: ObjectRef, field: string): string {
  const target = objectId(object);
  return field ? `${rule}:${target}:${field}` : `${rule}:${target}`;
}

function changeHash(oldValue: string | undefined, newValue: string | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify([oldValue ?? null, newValue ?? null]))
    .digest('hex')
    .slice(0, 8);
}

function toFinding(draft: Draft, accepts: Set<string>, used: Set<string>): Finding {
  const object = draft.object.ref;
  const unbound = unboundId(draft.rule, object, draft.field);
  const id = `${unbound}@${changeHash(draft.oldValue, draft.newValue)}`;
  const by = draft.severity !== Severity.BLOCK ? undefined : accepts.has(id) ? id : accepts.has(unbound) ? unbound : undefined;
  if (by !== undefined) {
    used.add(by);
  }
  const change = draft.change ?? `${renderShort(draft.oldValue)} → ${renderShort(draft.newValue)}`;
  return {
    id,
    rule: draft.rule,
    severity: by !== undefined ? Severity.WARN : draft.severity,
    accepted: by !== undefined,
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

// Two drafts about one rule, object and field would make an unbound `--accept` ambiguous; the first wins.
function uniqueByUnboundId(drafts: Draft[]): Draft[] {
  const seen = new Set<string>();
  return drafts.filter((d) => {
    const id = unboundId(d.rule, d.object.ref, d.field);
    return seen.has(id) ? false : (seen.add(id), true);
  });
}

function compareFindings(a: Finding, b: Finding): number {
  return compareText(a.object.display, b.object.display) || compareText(a.field, b.field) || compareText(a.rule, b.rule);
}
