/**
 * `npm run test:node -- --manifests DIR`: the node scenarios on any synthesized directory. For every
 * StatefulSet: ordered-start, per-pod-dns, pod-returns-with-claim, scale-keeps-claims; for every ReplicatedMySql
 * (found as test/e2e/harness/manifests.ts findMySql finds them) also fresh-cluster, read-service-readiness,
 * mysqld-killed, pod-deleted, replica-claim-deleted (and old-primary-returns once its hook is set). Every Secret
 * the manifests reference is created with generated values; images and classes are mapped as test/node/mapping.ts
 * says (each change is printed as a NOTE line). One line per scenario:
 *
 *   SCENARIO <id> PASS|FAIL <namespace>/<name> [key=value ...]
 *
 * and the run fails when any scenario does. Sets run one after another (each scaled to 0 when done, to free the
 * node's cores for the next); everything is deleted at the end.
 */
import { isReady } from '../cluster/fixtures';
import { eventually, Kube, KubeObject } from '../cluster/kube';
import { findMySql, loadDirectory, runsGroupReplication } from '../e2e/harness/manifests';
import { applyForNode, forNode, NodeManifests } from './mapping';
import { deleteNamespace, nodeKube, note, podsOf } from './node-env';
import { groupFailoverUnderLoad, groupFresh, groupHungPrimary, GroupUnderTest, groupUnderTest } from './group-scenarios';
import {
  dumpLogs, freshCluster, mysqldKilled, MySqlUnderTest, mysqlUnderTest, oldPrimaryReturns, podDeleted, readServiceReadiness, replicaClaimDeleted,
} from './mysql-scenarios';
import { Details, orderedStart, perPodDns, podReturnsWithClaim, scaleKeepsClaims, SetUnderTest } from './scenarios';

const dir = process.env.NODE_MANIFESTS;
if (!dir) throw new Error('NODE_MANIFESTS is not set: run `npm run test:node -- --manifests DIR`');

const input = loadDirectory(dir);
const sets = input.filter((o) => o.kind === 'StatefulSet');
const mysqlSets = new Set(findMySql(input, 'cdk8s-stateful-manifests').map((f) => f.statefulSet.metadata.name + '@' + f.namespace));

let kube: Kube;
let mapped: NodeManifests;
let applied: KubeObject[] = [];
const results: Array<{ id: string; ok: boolean }> = [];

/** `key=value` pairs; values with spaces are quoted. */
function format(details: Details): string {
  return Object.entries(details).map(([k, v]) => `${k}=${/\s/.test(String(v)) ? JSON.stringify(String(v)) : String(v)}`).join(' ');
}

async function run(id: string, target: string, body: () => Promise<Details>, onFail?: () => string): Promise<boolean> {
  try {
    const details = await body();
    process.stdout.write(`SCENARIO ${id} PASS ${target}${Object.keys(details).length ? ` ${format(details)}` : ''}\n`);
    results.push({ id: `${id} ${target}`, ok: true });
    return true;
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split('\n').filter((l) => l.trim() !== '').slice(0, 12);
    process.stdout.write(`SCENARIO ${id} FAIL ${target} reason=${JSON.stringify(message[0] ?? 'unknown')}\n`);
    process.stdout.write(`${message.map((l) => `  | ${l}`).join('\n')}\n`);
    if (onFail) process.stdout.write(`${onFail().split('\n').map((l) => `  | ${l}`).join('\n')}\n`);
    results.push({ id: `${id} ${target}`, ok: false });
    return false;
  }
}

beforeAll(async () => {
  kube = nodeKube();
  if (sets.length === 0) throw new Error(`no StatefulSet in ${dir}`);
  mapped = forNode(input);
  for (const line of mapped.notes) process.stdout.write(`NOTE ${line}\n`);
  // Everything but the StatefulSets now; each set is applied by its own scenarios, under a watch of its pods.
  applied = await applyForNode(kube, mapped.objects.filter((o) => o.kind !== 'StatefulSet'), []);
  applied.push(...mapped.objects.filter((o) => o.kind === 'StatefulSet'));
});
afterAll(async () => {
  for (const n of new Set(applied.filter((o) => o.metadata.namespace).map((o) => o.metadata.namespace!))) await deleteNamespace(kube, n);
  for (const sc of applied.filter((o) => o.kind === 'StorageClass')) await kube.delete('storage.k8s.io/v1', 'StorageClass', undefined, sc.metadata.name);
  kube.close();
});

/** A ReplicatedMySql in Group Replication mode: the group's scenarios (they write through the write Service as its application user). */
async function groupScenarios(m: MySqlUnderTest, target: string, logs: () => string): Promise<void> {
  let group: GroupUnderTest | undefined;
  const fresh = await run('gr-fresh', target, () => {
    group = groupUnderTest(m, mapped.secrets);
    return groupFresh(group);
  }, logs);
  const g = group;
  if (!fresh || !g) return;
  await run('gr-failover-under-load', target, () => groupFailoverUnderLoad(g, 1), logs);
  await run('gr-hung-primary', target, () => groupHungPrimary(g), logs);
}

describe.each(sets.map((s) => [`${s.metadata.namespace ?? 'cdk8s-stateful-manifests'}/${s.metadata.name}`, s] as const))('%s', (target, original) => {
  test('every scenario passes', async () => {
    const set = applied.find((o) => o.kind === 'StatefulSet' && o.metadata.name === original.metadata.name && o.metadata.namespace === (original.metadata.namespace ?? 'cdk8s-stateful-manifests'))!;
    const t: SetUnderTest = { kube, set };
    const isMySql = mysqlSets.has(`${set.metadata.name}@${set.metadata.namespace}`);
    const m = isMySql ? mysqlUnderTest(kube, set, mapped.objects, mapped.secrets) : undefined;
    const logs = m ? () => dumpLogs(m) : undefined;
    const watch = await kube.watch('v1', 'Pod', set.metadata.namespace!);
    try {
      const result = await kube.apply(set);
      if (!result.ok) throw new Error(`apply StatefulSet ${target}: ${result.status} ${result.message}`);
      const started = await run('ordered-start', target, () => orderedStart(t, watch), logs);
      if (m && runsGroupReplication(m.set)) {
        await groupScenarios(m, target, logs!);
        return;
      }
      if (m) await run('fresh-cluster', target, () => freshCluster(m, watch), logs);
      await run('per-pod-dns', target, () => perPodDns(t), logs);
      await run('pod-returns-with-claim', target, () => podReturnsWithClaim(t), logs);
      await run('scale-keeps-claims', target, () => scaleKeepsClaims(t), logs);
      if (m) {
        await run('read-service-readiness', target, () => readServiceReadiness(m), logs);
        await run('mysqld-killed', target, () => mysqldKilled(m), logs);
        await run('pod-deleted', target, () => podDeleted(m), logs);
        await run('replica-claim-deleted', target, () => replicaClaimDeleted(m), logs);
        // Last: it leaves the highest ordinal the primary.
        await run('old-primary-returns', target, () => oldPrimaryReturns(m), logs);
      }
      if (!started) note(`(${target} never started: the scenarios after ordered-start could not pass)`);
    } finally {
      watch.stop();
      // Free the node's cores for the next set: scale to 0 (the claims stay until the namespace goes).
      await kube.mergePatch('apps/v1', 'StatefulSet', set.metadata.namespace, set.metadata.name, { spec: { replicas: 0 } }).catch(() => undefined);
      await eventually(`${target} scaled to 0`, async () => (await podsOf(kube, set)).filter((p) => isReady(p) || p.status?.phase === 'Running').length === 0, 300000, 1000).catch(() => undefined);
    }
    expect(results.filter((r) => r.id.endsWith(` ${target}`) && !r.ok).map((r) => r.id)).toEqual([]);
  });
});
