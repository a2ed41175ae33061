/**
 * The StatefulSet controller's revision rules, as pure functions (Kubernetes v1.34,
 * pkg/controller/statefulset and pkg/apis/apps/v1/defaults.go), so that the harness's controller
 * (cluster.ts) and a fast unit test (statefulset.test.ts) share one copy:
 *
 * - a ControllerRevision per distinct pod template, named `<set>-<hash>`; applying a template
 *   equal to an older revision reuses that revision (a rollback) with a new revision number;
 * - `status.currentRevision` / `status.updateRevision`; currentRevision becomes the update
 *   revision only when every replica runs it and is Ready (`completeRollingUpdate`);
 * - a missing pod is created from the current or the update revision as
 *   `newVersionedStatefulSetPod` decides: with `rollingUpdate.partition` set, ordinals below
 *   `ordinals.start + partition` get the current revision; with `type: RollingUpdate` and no
 *   `rollingUpdate` block (the API server does not default it then), ordinals below
 *   `ordinals.start + status.currentReplicas` do — the status as last written, which counts the
 *   non-terminating pods at the current revision;
 * - a rolling update deletes, from the highest ordinal down to `start + partition`, the first pod
 *   not at the update revision, and waits for an updated pod that is not Running and Ready.
 */

export interface Revision {
  /** `<set>-<hash>`: the value of the pods' `controller-revision-hash` label. */
  readonly name: string;
  /** The ControllerRevision's `.revision` (1, 2, ...; a rollback bumps an old one). */
  revision: number;
  /** The pod template this revision restores. */
  readonly template: any;
}

/** The fields of StatefulSetStatus the harness keeps (Go field order). */
export interface StatefulSetStatus {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
  availableReplicas: number;
}

/** What the controller needs to know about an existing pod. */
export interface PodView {
  readonly ordinal: number;
  /** Its `controller-revision-hash` label. */
  readonly revision: string;
  /** It has a deletionTimestamp. */
  readonly terminating: boolean;
  /** Phase Running and condition Ready True. */
  readonly runningAndReady: boolean;
}

/** SetDefaults_StatefulSet (apps/v1) on a copy of a StatefulSet spec. */
export function withDefaults(spec: any): any {
  const out = JSON.parse(JSON.stringify(spec ?? {}));
  out.podManagementPolicy ??= 'OrderedReady';
  if (!out.updateStrategy?.type) {
    // Only an absent type gets a rollingUpdate block; `type: RollingUpdate` alone keeps none.
    out.updateStrategy = { ...(out.updateStrategy ?? {}), type: 'RollingUpdate', rollingUpdate: out.updateStrategy?.rollingUpdate ?? {} };
  }
  if (out.updateStrategy.type === 'RollingUpdate' && out.updateStrategy.rollingUpdate) out.updateStrategy.rollingUpdate.partition ??= 0;
  out.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Retain', whenScaled: 'Retain', ...(out.persistentVolumeClaimRetentionPolicy ?? {}) };
  out.replicas ??= 1;
  out.revisionHistoryLimit ??= 10;
  return out;
}

export function startOrdinal(spec: any): number {
  return spec.ordinals?.start ?? 0;
}

/** JSON with object keys sorted: equal templates hash equal whatever the YAML's key order. */
export function canonicalJson(value: any): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => value[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** rand.SafeEncodeString of apimachinery: digits mapped to consonants, as in revision names. */
function safeEncode(s: string): string {
  const alphanums = 'bcdfghjklmnpqrstvwxz2456789';
  return [...s].map((ch) => alphanums[ch.charCodeAt(0) % alphanums.length]).join('');
}

/** FNV-1a 32-bit, the hash history.HashControllerRevision uses (over a different encoding). */
function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function revisionName(setName: string, template: any): string {
  return `${setName}-${safeEncode(String(fnv32a(canonicalJson({ spec: { template: { ...template, $patch: 'replace' } } }))))}`;
}

/**
 * getStatefulSetRevisions: the revision for `template` (an existing equal one, bumped to the
 * next number unless it is already the latest, or a new one), added to `revisions`.
 */
export function updateRevisionFor(setName: string, template: any, revisions: Map<string, Revision>): Revision {
  const name = revisionName(setName, template);
  const latest = Math.max(0, ...[...revisions.values()].map((r) => r.revision));
  const existing = revisions.get(name);
  if (existing) {
    if (existing.revision !== latest) existing.revision = latest + 1;
    return existing;
  }
  const created: Revision = { name, revision: latest + 1, template: JSON.parse(JSON.stringify(template)) };
  revisions.set(name, created);
  return created;
}

/**
 * newVersionedStatefulSetPod: whether a pod created now for `ordinal` gets the current or the
 * update revision. `status` is the status as the controller last wrote it.
 */
export function revisionForNewPod(spec: any, status: Pick<StatefulSetStatus, 'currentReplicas'>, ordinal: number): 'current' | 'update' {
  const strategy = spec.updateStrategy ?? {};
  const start = startOrdinal(spec);
  // Go: a && (b) || (c), where && binds tighter: (RollingUpdate && no block && below currentReplicas) || (block && below partition).
  if (strategy.type === 'RollingUpdate' && strategy.rollingUpdate == null && ordinal < start + status.currentReplicas) return 'current';
  if (strategy.rollingUpdate != null && ordinal < start + (strategy.rollingUpdate.partition ?? 0)) return 'current';
  return 'update';
}

/** updateStatus + completeRollingUpdate: the status the controller writes after a sync. */
export function computeStatus(
  spec: any, pods: PodView[], currentRevision: string, updateRevision: string, observedGeneration: number,
): StatefulSetStatus {
  const live = pods.filter((p) => !p.terminating);
  const status: StatefulSetStatus = {
    observedGeneration,
    replicas: pods.length,
    readyReplicas: pods.filter((p) => p.runningAndReady).length,
    currentReplicas: live.filter((p) => p.revision === currentRevision).length,
    updatedReplicas: live.filter((p) => p.revision === updateRevision).length,
    currentRevision,
    updateRevision,
    collisionCount: 0,
    availableReplicas: pods.filter((p) => p.runningAndReady).length,
  };
  const replicas = spec.replicas ?? 1;
  if (spec.updateStrategy?.type === 'RollingUpdate' && status.updatedReplicas === replicas && status.readyReplicas === replicas && status.replicas === replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
  return status;
}

/**
 * One step of a RollingUpdate (the end of updateStatefulSet, MaxUnavailableStatefulSet off): the
 * pod to delete, the updated pod to wait for, or nothing left to do. Under OrderedReady the
 * caller first waits for every replica to be Running and Ready.
 */
export function nextRollingUpdateStep(spec: any, pods: Map<number, PodView>, updateRevision: string): { delete: number } | { waitFor: number } | 'done' {
  const start = startOrdinal(spec);
  const replicas = spec.replicas ?? 1;
  const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let index = replicas - 1; index >= partition; index--) {
    const ordinal = start + index;
    const pod = pods.get(ordinal);
    if (!pod) return { waitFor: ordinal };
    if (pod.revision !== updateRevision && !pod.terminating) return { delete: ordinal };
    if (!pod.runningAndReady || pod.terminating) return { waitFor: ordinal };
  }
  return 'done';
}
