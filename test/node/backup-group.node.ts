/**
 * backup-primary-change in Group Replication on the real node: a group of 3 whose binary log archiver (the Deployment,
 * run by kubelet; the primary's agent closes the file every 2 s) streams to versitygw on the node's address. The
 * primary's pod is deleted under writes: it hands its role to a secondary before its mysqld stops, the agents move the
 * role label, kube-proxy moves the write Service, and the archiver follows the new primary through it: every
 * transaction of the group archived, none twice, no hole and no orphan recorded.
 */
import { Chart, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { MySqlBackupStorage, MySqlCredentials, MySqlReplication, ReplicatedMySql, S3Credentials } from '../../src';
import { synthesize } from '../cluster/fixtures';
import { eventually, Kube, KubeObject } from '../cluster/kube';
import { archiveRecords, expandGtids } from '../e2e/backup-pods';
import { S3Server, startS3Server } from '../e2e/harness/s3';
import { waitPrimary } from './group-scenarios';
import { generatedSecrets, mysqlUnderTest, MySqlUnderTest, query } from './mysql-scenarios';
import { deleteNamespace, env, images, kubectl, nodeKube, note, readyPod, restrictedNamespace } from './node-env';

const BUCKET = 'db-backups';
let kube: Kube;
let ns: string;
let server: S3Server;
let m: MySqlUnderTest;

beforeAll(async () => {
  kube = nodeKube();
  ns = await restrictedNamespace(kube, 'backup-group');
  server = await startS3Server({ kind: 'versitygw', bucket: BUCKET, host: env('NODE_IP'), namespace: env('NODE_NETNS') });
  const objects: KubeObject[] = synthesize(ns, (chart: Chart) => {
    new ReplicatedMySql(chart, 'db', {
      image: images().mysql,
      replicas: 3,
      storage: { size: Size.gibibytes(1) },
      resources: { cpu: { request: Cpu.millis(250) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) } },
      credentials: MySqlCredentials.fromSecretName('db-credentials'),
      replication: MySqlReplication.groupReplication(),
      backup: {
        storage: MySqlBackupStorage.s3({
          bucket: BUCKET, prefix: 'node-group', region: 'us-east-1', endpoint: server.endpoint, allowPlainHttp: true, credentials: S3Credentials.fromSecret('backup-s3'),
        }),
        scratchSize: Size.gibibytes(1),
        binlogFlushInterval: Duration.seconds(2),
      },
    });
  });
  // The members' passwords generated; the S3 key the server's.
  const secrets = [
    ...generatedSecrets(objects).filter((s) => s.metadata.name !== 'backup-s3'),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'backup-s3', namespace: ns }, stringData: { 'access-key-id': server.accessKey, 'secret-access-key': server.secretKey } },
  ];
  m = mysqlUnderTest(kube, objects.find((o) => o.kind === 'StatefulSet')!, [...secrets, ...objects], secrets);
  await kube.applyAll([...secrets, ...objects]);
}, 300000);
afterAll(async () => {
  if (ns) await deleteNamespace(kube, ns);
  await server?.dispose();
  kube.close();
});

const records = () => archiveRecords(server, BUCKET, `node-group/${ns}/db`);

/** Waits until the archive's files hold every transaction of `ordinal`'s gtid_executed. */
async function archivedAll(ordinal: number): Promise<void> {
  const want = expandGtids(query(m, ordinal, 'SELECT REPLACE(@@GLOBAL.gtid_executed, \'\\n\', \'\');'));
  await eventually('the archive to hold every transaction of the group', async () => {
    const have = new Set((await records()).filter((r) => r.kind === 'file').flatMap((r) => expandGtids(r.gtids)));
    return want.every((g) => have.has(g)) ? true : undefined;
  }, 120000, 1000);
}

test('backup-primary-change (group): the primary\'s pod deleted under the archiver; it follows the new primary, no hole, nothing twice', async () => {
  const t0 = Date.now();
  const primary = await waitPrimary(m, undefined, 600000);
  for (const o of [0, 1, 2]) await readyPod(kube, ns, `db-${o}`, { timeoutMs: 600000 });
  await eventually('the archiver to be Ready', async () => ((await kube.get('apps/v1', 'Deployment', ns, 'db-binlog-archiver'))?.status?.readyReplicas ?? 0) >= 1, 300000, 1000);
  query(m, primary, 'CREATE DATABASE e2e; CREATE TABLE e2e.t (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(40) NOT NULL);');
  for (let i = 0; i < 10; i++) query(m, primary, `INSERT INTO e2e.t (what) VALUES ('before the failover ${i}');`);
  await archivedAll(primary);

  kubectl(['-n', ns, 'delete', 'pod', `db-${primary}`, '--wait=false']);
  const next = await waitPrimary(m, primary, 300000);
  for (let i = 0; i < 10; i++) query(m, next, `INSERT INTO e2e.t (what) VALUES ('after the failover ${i}');`);
  await archivedAll(next);

  const recs = await records();
  expect(recs.filter((r) => r.kind === 'hole' || r.kind === 'orphan')).toEqual([]);
  const files = recs.filter((r) => r.kind === 'file');
  const all = files.flatMap((r) => expandGtids(r.gtids));
  expect(all.length).toBe(new Set(all).size);
  const sources = new Set(files.map((r) => r.source_uuid));
  expect(sources.size).toBeGreaterThanOrEqual(2);
  const log = kubectl(['-n', ns, 'logs', 'deployment/db-binlog-archiver']).stdout;
  expect(log).toMatch(/stream from \S+ \(\S+\) ended: (the write Service now reaches|mysqlbinlog exited)/);
  note(`SCENARIO backup-primary-change PASS ${ns}/db mode=group sources=${sources.size} files=${files.length} seconds=${Math.round((Date.now() - t0) / 1000)}`);
}, 1200000);
