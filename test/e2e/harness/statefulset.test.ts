/**
 * The e2e harness's StatefulSet revision rules (statefulset.ts) against what the v1.34 controller
 * does: in `npm test` because it needs no servers.
 */
import {
  computeStatus, nextRollingUpdateStep, PodView, Revision, revisionForNewPod, revisionName, updateRevisionFor, withDefaults,
} from './statefulset';

const templateA = { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'mysql', image: 'mysql:9.7.4', env: [{ name: 'PRIMARY_ORDINAL', value: '0' }] }] } };
const templateB = { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'mysql', image: 'mysql:9.7.4', env: [{ name: 'PRIMARY_ORDINAL', value: '1' }] }] } };

const pod = (ordinal: number, revision: string, extra: Partial<PodView> = {}): PodView =>
  ({ ordinal, revision, terminating: false, runningAndReady: true, ...extra });
const byOrdinal = (pods: PodView[]) => new Map(pods.map((p) => [p.ordinal, p]));

describe('revisions', () => {
  test('named <set>-<hash>, equal for equal templates whatever the key order', () => {
    const reordered = { spec: templateA.spec, metadata: templateA.metadata };
    expect(revisionName('mysql', templateA)).toMatch(/^mysql-[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(revisionName('mysql', reordered)).toBe(revisionName('mysql', templateA));
    expect(revisionName('mysql', templateB)).not.toBe(revisionName('mysql', templateA));
  });

  test('a rollback reuses the old revision with the next number', () => {
    const revisions = new Map<string, Revision>();
    const a = updateRevisionFor('mysql', templateA, revisions);
    const b = updateRevisionFor('mysql', templateB, revisions);
    expect([a.revision, b.revision]).toEqual([1, 2]);
    expect(updateRevisionFor('mysql', templateB, revisions)).toBe(b);
    expect(b.revision).toBe(2);
    const back = updateRevisionFor('mysql', templateA, revisions);
    expect(back).toBe(a);
    expect(a.revision).toBe(3);
    expect(revisions.size).toBe(2);
  });

  test('defaults: an explicit type RollingUpdate gets no rollingUpdate block; an absent strategy gets partition 0', () => {
    expect(withDefaults({ updateStrategy: { type: 'RollingUpdate' } }).updateStrategy).toEqual({ type: 'RollingUpdate' });
    expect(withDefaults({}).updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(withDefaults({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: {} } }).updateStrategy.rollingUpdate).toEqual({ partition: 0 });
    expect(withDefaults({}).podManagementPolicy).toBe('OrderedReady');
  });
});

describe('a rollout with a partition', () => {
  // 3 members at A; B applied with partition 2: only ordinal 2 is updated.
  const spec = withDefaults({ replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
  const A = revisionName('mysql', templateA);
  const B = revisionName('mysql', templateB);

  test('updates only ordinals >= start + partition, from the top', () => {
    expect(nextRollingUpdateStep(spec, byOrdinal([pod(0, A), pod(1, A), pod(2, A)]), B)).toEqual({ delete: 2 });
    expect(nextRollingUpdateStep(spec, byOrdinal([pod(0, A), pod(1, A), pod(2, B, { runningAndReady: false })]), B)).toEqual({ waitFor: 2 });
    expect(nextRollingUpdateStep(spec, byOrdinal([pod(0, A), pod(1, A), pod(2, B)]), B)).toBe('done');
  });

  test('the rollout stays incomplete: currentRevision stays A', () => {
    const status = computeStatus(spec, [pod(0, A), pod(1, A), pod(2, B)], A, B, 2);
    expect(status).toMatchObject({ currentRevision: A, updateRevision: B, currentReplicas: 2, updatedReplicas: 1 });
  });

  test('a pod below the partition deleted meanwhile comes back with the OLD template', () => {
    const status = computeStatus(spec, [pod(0, A, { terminating: true }), pod(1, A), pod(2, B)], A, B, 2);
    expect(revisionForNewPod(spec, status, 0)).toBe('current');
    expect(revisionForNewPod(spec, status, 1)).toBe('current');
    expect(revisionForNewPod(spec, status, 2)).toBe('update');
  });

  test('partition counts from ordinals.start', () => {
    const shifted = withDefaults({ ...spec, ordinals: { start: 5 } });
    expect(revisionForNewPod(shifted, { currentReplicas: 0 }, 6)).toBe('current');
    expect(revisionForNewPod(shifted, { currentReplicas: 0 }, 7)).toBe('update');
    expect(nextRollingUpdateStep(shifted, byOrdinal([pod(5, A), pod(6, A), pod(7, A)]), B)).toEqual({ delete: 7 });
  });

  test('partition 0: every pod is updated, then currentRevision becomes B (only once all are Ready)', () => {
    const all = withDefaults({ ...spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } });
    expect(nextRollingUpdateStep(all, byOrdinal([pod(0, A), pod(1, A), pod(2, B)]), B)).toEqual({ delete: 1 });
    expect(computeStatus(all, [pod(0, B), pod(1, B), pod(2, B, { runningAndReady: false })], A, B, 3).currentRevision).toBe(A);
    expect(computeStatus(all, [pod(0, B), pod(1, B), pod(2, B)], A, B, 3)).toMatchObject({ currentRevision: B, currentReplicas: 3 });
  });
});

describe('type RollingUpdate without a rollingUpdate block (what ReplicatedMySql emits)', () => {
  const spec = withDefaults({ replicas: 3, updateStrategy: { type: 'RollingUpdate' } });
  const A = revisionName('mysql', templateA);
  const B = revisionName('mysql', templateB);

  test('a deleted pod below status.currentReplicas comes back at the current revision', () => {
    // Mid-rollout: 2 at B; 0 and 1 at A. Deleting 0 gracefully: the controller writes a status
    // without it (terminating), currentReplicas 1: ordinal 0 < 1 -> A.
    const status = computeStatus(spec, [pod(0, A, { terminating: true }), pod(1, A), pod(2, B)], A, B, 2);
    expect(status.currentReplicas).toBe(1);
    expect(revisionForNewPod(spec, status, 0)).toBe('current');
    // Deleting 1 instead: currentReplicas 1 (pod 0), ordinal 1 is not below it -> B.
    const other = computeStatus(spec, [pod(0, A), pod(1, A, { terminating: true }), pod(2, B)], A, B, 2);
    expect(revisionForNewPod(spec, other, 1)).toBe('update');
    // Force-deleted (no terminating state observed): the status still counts it -> A.
    expect(revisionForNewPod(spec, computeStatus(spec, [pod(0, A), pod(1, A), pod(2, B)], A, B, 2), 1)).toBe('current');
  });

  test('OnDelete: a deleted pod is re-created at the update revision; currentRevision never advances', () => {
    const onDelete = withDefaults({ replicas: 2, updateStrategy: { type: 'OnDelete' } });
    expect(revisionForNewPod(onDelete, { currentReplicas: 2 }, 0)).toBe('update');
    expect(computeStatus(onDelete, [pod(0, B), pod(1, B)], A, B, 2).currentRevision).toBe(A);
  });
});
