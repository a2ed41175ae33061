/**
 * A full backup on the real node: a Job made from the CronJob `<name>-backup` as `kubectl create job --from=cronjob`
 * makes it, run by kubelet under Pod Security 'restricted' with its generic ephemeral volume from local-path,
 * against versitygw listening on the node's address inside the node's network namespace (which the pods reach).
 * The backup holds the primary's GTID set, was taken from the replica, and its scratch claim goes with the pod.
 * Then the cluster is lost, and a new Group Replication cluster is made from the backup (`restore`): its first
 * member restores it under kubelet, the others clone it and join the group, and every member holds the rows.
 */
import { createHash } from 'crypto';
import { Chart, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { MySqlBackupStorage, MySqlCredentials, MySqlReplication, MySqlRestore, ReplicatedMySql, S3Credentials } from '../../src';
import { synthesize } from '../cluster/fixtures';
import { eventually, Kube, KubeObject } from '../cluster/kube';
import { S3Server, startS3Server } from '../e2e/harness/s3';
import { deleteNamespace, env, exec, images, kubectl, nodeKube, note, readyPod, restrictedNamespace } from './node-env';

const BUCKET = 'db-backups';
let kube: Kube;
let ns: string;
let server: S3Server;
let objects: KubeObject[];
let storage: () => MySqlBackupStorage;
/** What the first test backed up: the backup's id and GTID set. */
let backedUp: { id: string; gtids: string } | undefined;

beforeAll(async () => {
  kube = nodeKube();
  ns = await restrictedNamespace(kube, 'backup');
  server = await startS3Server({ kind: 'versitygw', bucket: BUCKET, host: env('NODE_IP'), namespace: env('NODE_NETNS') });
  await kube.applyAll([{
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 'backup-s3', namespace: ns },
    stringData: { 'access-key-id': server.accessKey, 'secret-access-key': server.secretKey },
  }], 'node-test-setup');
  storage = () => MySqlBackupStorage.s3({
    bucket: BUCKET, prefix: 'node', region: 'us-east-1', endpoint: server.endpoint, allowPlainHttp: true, credentials: S3Credentials.fromSecret('backup-s3'),
  });
  objects = synthesize(ns, (chart: Chart) => {
    new ReplicatedMySql(chart, 'db', {
      image: images().mysql,
      replicas: 2,
      storage: { size: Size.gibibytes(1) },
      credentials: MySqlCredentials.fromGeneratedSecret(),
      backup: {
        storage: storage(),
        scratchSize: Size.gibibytes(1),
        verifySchedule: '0 5 * * 0',
      },
    });
  });
}, 300000);
afterAll(async () => {
  if (ns) await deleteNamespace(kube, ns);
  await server?.dispose();
  kube.close();
});

/** The root password the credentials Job of cluster `name` generated. */
async function rootPassword(name = 'db'): Promise<string> {
  const secret = await kube.get('v1', 'Secret', ns, `${name}-credentials`);
  return Buffer.from(secret!.data['root-password'], 'base64').toString();
}

function sql(pod: string, password: string, text: string): string {
  const run = exec(ns, pod, ['bash', '-c', 'IFS= read -r pw; mysql --defaults-file=<(printf \'[client]\\nuser=root\\npassword="%s"\\n\' "$pw") -N -B'],
    { container: 'mysql', input: `${password}\n${text}\n` });
  if (run.status !== 0) throw new Error(`mysql on ${pod}: ${run.stderr}`);
  return run.stdout.trim();
}

test('a Job from the CronJob: kubelet runs it with its ephemeral claim; it clones the replica and uploads a backup of the primary\'s GTID set', async () => {
  await kube.applyAll(objects);
  await eventually('the Job db-credentials to succeed', async () => ((await kube.get('batch/v1', 'Job', ns, 'db-credentials'))?.status?.succeeded ?? 0) >= 1, 180000, 1000);
  await readyPod(kube, ns, 'db-0', { timeoutMs: 300000 });
  await readyPod(kube, ns, 'db-1', { timeoutMs: 300000 });
  const password = await rootPassword();
  sql('db-0', password, 'CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1), (2), (3);');
  const gtids = sql('db-0', password, 'SELECT REPLACE(@@GLOBAL.gtid_executed, \'\\n\', \'\');');
  await eventually('db-1 to hold the primary\'s transactions', () => Promise.resolve(sql('db-1', password, `SELECT GTID_SUBSET('${gtids}', @@GLOBAL.gtid_executed);`) === '1'), 60000, 1000);

  // What `kubectl create job --from=cronjob/db-backup db-backup-now` creates.
  const cron = objects.find((o) => o.kind === 'CronJob')!;
  const t0 = Date.now();
  await kube.applyAll([{ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'db-backup-now', namespace: ns, labels: cron.spec.jobTemplate.metadata.labels }, spec: cron.spec.jobTemplate.spec }]);
  const claim = await eventually('the backup pod\'s scratch claim', async () => (await kube.list('v1', 'PersistentVolumeClaim', ns)).find((c) => c.metadata.name.endsWith('-scratch')), 120000, 500);
  const job = await eventually('the Job db-backup-now to finish', async () => {
    const j = await kube.get('batch/v1', 'Job', ns, 'db-backup-now');
    return (j?.status?.succeeded ?? 0) + (j?.status?.failed ?? 0) >= 1 ? j : undefined;
  }, 300000, 1000);
  const log = kubectl(['-n', ns, 'logs', 'job/db-backup-now']).stdout;
  note(`backup job: ${Math.round((Date.now() - t0) / 1000)} s\n${log}`);
  expect(job.status.succeeded).toBe(1);
  expect(claim.metadata.ownerReferences?.[0]?.kind).toBe('Pod');

  const done = /^backup\.sh: BACKUP (\S+): (\d+) bytes sha256 ([0-9a-f]{64}) from (\S+), gtid_executed (\S*)$/m.exec(log);
  expect(done).not.toBeNull();
  const [, id, size, sum, donor, backupGtids] = done!;
  expect(donor).toBe(`db-1.db.${ns}.svc.cluster.local`);
  expect(backupGtids).toBe(gtids);
  backedUp = { id, gtids };
  const base = `node/${ns}/db/backups/${id}`;
  const s3 = server.client();
  expect((await s3.listObjects(BUCKET, `node/${ns}/db/backups/`)).map((o) => o.key).sort()).toEqual([`${base}/backup.meta`, `${base}/data.tar.gz`]);
  // The binary log archiver (the Deployment, under kubelet) is Ready and has archived the primary's writes.
  const archiver = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'db-binlog-archiver')!;
  await eventually('the archiver to be Ready', async () => ((await kube.get('apps/v1', 'Deployment', ns, archiver.metadata.name))?.status?.readyReplicas ?? 0) >= 1, 180000, 1000);
  const records = (await s3.listObjects(BUCKET, `node/${ns}/db/binlog/`)).map((o) => o.key).filter((k) => k.endsWith('.meta'));
  expect(records.length).toBeGreaterThan(0);
  const first = (await s3.getObject(BUCKET, records.sort()[0])).body.toString('utf8');
  expect(first).toMatch(/^seq=1\nkind=file\ngtids=\S+\n/);
  const meta = (await s3.getObject(BUCKET, `${base}/backup.meta`)).body.toString('utf8');
  expect(meta).toContain(`gtid_executed=${gtids}\n`);
  expect(meta).toContain(`sha256=${sum}\n`);
  const data = (await s3.getObject(BUCKET, `${base}/data.tar.gz`)).body;
  expect(data.length).toBe(Number(size));
  expect(createHash('sha256').update(data).digest('hex')).toBe(sum);
  for (const secret of [server.secretKey, password]) expect(log).not.toContain(secret);

  // The scratch claim goes with its pod.
  await kube.delete('batch/v1', 'Job', ns, 'db-backup-now', { propagationPolicy: 'Foreground' });
  await eventually('the scratch claim deleted with the pod', async () => ((await kube.get('v1', 'PersistentVolumeClaim', ns, claim.metadata.name)) ? undefined : true), 120000, 1000);

  // The verification, as kubelet runs it: the newest backup restored on its own scratch volume and checked.
  const verify = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'db-backup-verify')!;
  await kube.applyAll([{ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'db-verify-now', namespace: ns, labels: verify.spec.jobTemplate.metadata.labels }, spec: verify.spec.jobTemplate.spec }]);
  const checked = await eventually('the Job db-verify-now to finish', async () => {
    const j = await kube.get('batch/v1', 'Job', ns, 'db-verify-now');
    return (j?.status?.succeeded ?? 0) + (j?.status?.failed ?? 0) >= 1 ? j : undefined;
  }, 300000, 1000);
  const verifyLog = kubectl(['-n', ns, 'logs', 'job/db-verify-now']).stdout;
  note(`verify job:\n${verifyLog}`);
  expect(checked.status.succeeded).toBe(1);
  const verified = /^verify-backup\.sh: VERIFIED (\S+): (\d+) bytes, sha256 ok, gtid_executed (\S*), (\d+) tables checked$/.exec(verifyLog.trimEnd().split('\n').pop()!);
  expect(verified?.slice(1, 4)).toEqual([id, size, gtids]);
}, 900000);

test('the cluster lost, a Group Replication cluster made from the backup: restored by the first member, cloned by the others, one group', async () => {
  expect(backedUp).toBeDefined();
  // Lost: its pods and claims gone (the 2 CPUs of the node then hold the new group).
  await kube.delete('apps/v1', 'StatefulSet', ns, 'db', { propagationPolicy: 'Foreground' });
  for (const claim of ['data-db-0', 'data-db-1']) await kube.delete('v1', 'PersistentVolumeClaim', ns, claim);
  const restored = synthesize(ns, (chart: Chart) => {
    new ReplicatedMySql(chart, 'restored', {
      image: images().mysql,
      replicas: 3,
      storage: { size: Size.gibibytes(1) },
      resources: { cpu: { request: Cpu.millis(250) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) } },
      // Passwords of its own: the restore gives the backup's accounts these.
      credentials: MySqlCredentials.fromGeneratedSecret(),
      replication: MySqlReplication.groupReplication(),
      restore: MySqlRestore.fromBackup({ storage: storage(), sourceName: 'db' }).toBackup(backedUp!.id),
    });
  });
  const t0 = Date.now();
  await kube.applyAll(restored);
  for (const pod of ['restored-0', 'restored-1', 'restored-2']) await readyPod(kube, ns, pod, { timeoutMs: 600000 });
  const bootstrap = kubectl(['-n', ns, 'logs', 'restored-0', '-c', 'bootstrap']).stdout;
  note(`restore into a group: all Ready after ${Math.round((Date.now() - t0) / 1000)} s\n${bootstrap}`);
  expect(bootstrap).toContain(`RESTORED: restored backup ${backedUp!.id} of ${ns}/db `);
  expect(bootstrap).toContain(`gtid_executed ${backedUp!.gtids}; no binary logs applied`);
  const password = await rootPassword('restored');
  expect(password).not.toBe(await rootPassword('db'));
  for (const pod of ['restored-1', 'restored-2']) expect(kubectl(['-n', ns, 'logs', pod, '-c', 'bootstrap']).stdout).toMatch(/cloned from \S+; the agent joins the group/);
  const online = sql('restored-0', password, 'SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_STATE = \'ONLINE\';');
  expect(online).toBe('3');
  for (const pod of ['restored-0', 'restored-1', 'restored-2']) {
    expect(sql(pod, password, 'SELECT GROUP_CONCAT(id ORDER BY id) FROM app.t;')).toBe('1,2,3');
    expect(sql(pod, password, `SELECT GTID_SUBSET('${backedUp!.gtids}', @@GLOBAL.gtid_executed);`)).toBe('1');
  }
}, 900000);
