/**
 * ReplicatedMySql on the real node: a 3-member cluster synthesized by the library (../../src), its pods run by
 * kubelet on the MySQL 9.7.4 image packed from the e2e chroot, its claims from local-path, its Services served
 * by kube-proxy and named by CoreDNS. The scenarios (test/node/mysql-scenarios.ts) run in order on the same
 * cluster, each leaving it whole for the next.
 */
import { Chart, Size } from 'cdk8s';
import { MySqlCredentials, ReplicatedMySql } from '../../src';
import { synthesize } from '../cluster/fixtures';
import { Kube, KubeObject, Watch } from '../cluster/kube';
import { deleteNamespace, images, nodeKube, note, restrictedNamespace } from './node-env';
import {
  dumpLogs, freshCluster, generatedSecrets, mysqldKilled, mysqlUnderTest, MySqlUnderTest, oldPrimaryReturns, podDeleted, readServiceReadiness,
  replicaClaimDeleted,
} from './mysql-scenarios';
import { perPodDns } from './scenarios';

let kube: Kube;
let ns: string;
let m: MySqlUnderTest;
let watch: Watch;

beforeAll(async () => {
  kube = nodeKube();
  ns = await restrictedNamespace(kube, 'mysql');
  let objects: KubeObject[] = synthesize(ns, (chart: Chart) => {
    new ReplicatedMySql(chart, 'db', {
      image: images().mysql,
      replicas: 3,
      storage: { size: Size.gibibytes(1) },
      credentials: MySqlCredentials.fromSecretName('db-credentials'),
    });
  });
  const secrets = generatedSecrets(objects);
  objects = [...secrets, ...objects];
  const set = objects.find((o) => o.kind === 'StatefulSet')!;
  m = mysqlUnderTest(kube, set, objects, secrets);
  watch = await kube.watch('v1', 'Pod', ns);
  await kube.applyAll(objects);
});
afterAll(async () => {
  watch?.stop();
  if (ns) await deleteNamespace(kube, ns);
  kube.close();
});

let started = false;

/**
 * Runs a scenario; on failure prints the members' logs first. Once the fresh cluster failed to start, every later
 * scenario fails at once (saying so) instead of waiting out its own deadlines on a cluster that is not there.
 */
async function scenario(name: string, body: () => Promise<Record<string, string | number>>, first = false): Promise<void> {
  if (!first && !started) throw new Error(`${name}: the cluster never started (see the fresh-cluster failure)`);
  try {
    note(`${name}: ${JSON.stringify(await body())}`);
    if (first) started = true;
  } catch (e) {
    note(`===== ${name} failed; logs of ${ns}/${m.set.metadata.name}\n${dumpLogs(m)}`);
    throw e;
  }
}

test('fresh cluster: every member Ready, the primary writable and replicated to both replicas, the write Service on the primary only, the read Service on all', async () => {
  await scenario('fresh-cluster', () => freshCluster(m, watch, 300000), true);
});

test('per-pod DNS: db-N.db.<ns>.svc.cluster.local resolves to each member, the headless Service to all three', async () => {
  await scenario('per-pod-dns', () => perPodDns(m));
});

test('readiness: a frozen replica leaves the read Service\'s EndpointSlice and rejoins when it answers again', async () => {
  await scenario('read-service-readiness', () => readServiceReadiness(m));
});

test('kill -9 of the primary\'s mysqld: kubelet restarts the container, every committed row survives, replicas catch up', async () => {
  await scenario('mysqld-killed', () => mysqldKilled(m));
});

test('a replica\'s pod, then the primary\'s, deleted: each returns on its claim with its rows; the write Service follows the primary', async () => {
  await scenario('pod-deleted', () => podDeleted(m));
});

test('a replica\'s claim deleted: it returns on a new claim and holds the primary\'s rows again', async () => {
  await scenario('replica-claim-deleted', () => replicaClaimDeleted(m));
});

test('failover held by a partition: the old primary re-created from the old revision comes back read-only and follows the new primary', async () => {
  await scenario('old-primary-returns', () => oldPrimaryReturns(m));
});
