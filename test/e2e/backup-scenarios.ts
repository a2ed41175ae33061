/**
 * The backup scenarios every ReplicatedMySql with `backup` must pass on real servers, whatever its name, namespace,
 * replicas, prefix or bucket: `npm run test:e2e -- --manifests DIR` runs them on each one found (manifests.e2e.ts).
 * The harness serves the bucket the manifests name from its own S3 server (versitygw, which checks signatures),
 * whatever endpoint and region they give, and creates the Secret with the access key they reference. A source
 * cluster is backed up and archived through a restart, a failover and a hole; after it is lost, new clusters are
 * made from its backup and archive with the manifests' own `restore` env (harness/backup-manifests.ts: what `restore: ...`
 * in the same construct synthesizes) and checked row by row, and the verification job runs on a good and a damaged backup.
 */
import { Archiver, archiveRecords, expandGtids, runBackup, runVerify, startArchiver } from './backup-pods';
import { newCluster, scenarioLine } from './env';
import { MySqlCluster, sleep } from './harness/cluster';
import { RestorePoint, RestoreSource, s3SecretOf, StoreFacts, withRestore } from './harness/backup-manifests';
import { Manifest } from './harness/manifests';
import { S3_SERVER_REGION, S3Server, s3ServerBinaries, startS3Server } from './harness/s3';
import { generateSecrets } from './harness/secrets';
import * as safety from './safety';
import * as s from './scenarios';

const oneLine = (gtids: string) => gtids.replace(/\\n/g, '');

// --- the scenarios ---------------------------------------------------------------------------

/** A ReplicatedMySql of the manifests with backups: its objects, namespace and store. */
export interface BackupSubject {
  readonly objects: Manifest[];
  readonly namespace: string;
  readonly name: string;
  readonly store: StoreFacts;
}

const batch = (c: MySqlCluster, primary: number, what: string, n = 5) =>
  c.query(Array.from({ length: n }, (_, i) => `INSERT INTO e2e.events (what) VALUES ('${what} ${i + 1}');`).join('\n'), { pod: primary });

/**
 * Waits until the archive's files hold every transaction of `primary` (FLUSH BINARY LOGS there closes the file at
 * once, as the agent does every binlogFlushInterval, so that the manifests' interval does not set the pace).
 */
async function archivedAll(c: MySqlCluster, server: S3Server, f: BackupSubject, primary: number): Promise<void> {
  const want = expandGtids(oneLine(s.gtidExecuted(c, primary)));
  for (let i = 0; ; i++) {
    if (i % 10 === 0) c.query('FLUSH BINARY LOGS;', { pod: primary });
    const records = await archiveRecords(server, f.store.bucket, f.store.base);
    const have = new Set(records.filter((r) => r.kind === 'file').flatMap((r) => expandGtids(r.gtids)));
    const missing = want.filter((g) => !have.has(g));
    if (missing.length === 0) return;
    if (i > 240) throw new Error(`the archive lacks ${missing.slice(0, 5).join(' ')}`);
    await sleep(500);
  }
}

/** What the restores below are to give, found on the source. */
interface Expected {
  backupId: string;
  backupGtids: string;
  backupRows: string[];
  beforeDrop?: { gtid: string; rows: string[]; gtids: string };
  time?: { at: string; rows: string[] };
}

/** Defines the backup scenarios of `f` (describe blocks, in order): the source, then the clusters restored from it. */
export function describeBackupScenarios(f: BackupSubject): void {
  let server: S3Server | undefined;
  const expected: Partial<Expected> = {};
  beforeAll(async () => {
    s3ServerBinaries();
    server = await startS3Server({ kind: 'versitygw', bucket: f.store.bucket });
  }, 900_000);
  afterAll(async () => { await server?.dispose(); });
  const secrets = (objects: Manifest[]) => {
    const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === f.name)!;
    return { ...generateSecrets(sts, objects, f.namespace), ...s3SecretOf(f.store) };
  };
  const restored = (point: RestorePoint): MySqlCluster => {
    const from: RestoreSource = {
      store: f.store, endpoint: server!.endpoint, region: S3_SERVER_REGION, sourceNamespace: f.namespace, sourceName: f.name,
    };
    const objects = withRestore(f.objects, f.name, from, point);
    objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === f.name)!.spec.replicas = 0;
    return newCluster(objects, { secrets: secrets(objects), namespace: f.namespace });
  };

  describe('the source: a backup, the archive through a restart, a failover and a hole', () => {
    let c: MySqlCluster;
    let archiver: Archiver | undefined;
    beforeAll(() => { c = newCluster(f.objects, { secrets: secrets(f.objects), namespace: f.namespace }); });
    afterAll(async () => {
      await archiver?.stop().catch(() => undefined);
      await c.dispose();
    });
    sourceScenarios(f, () => c, () => server!, expected, { get: () => archiver, set: (a) => { archiver = a; } });
  });

  const restores: Array<{ id: string; point: () => RestorePoint; check: (c: MySqlCluster) => void; applies: boolean }> = [
    {
      id: 'backup-pitr', applies: f.store.archiver, point: () => ({ target: 'before-gtid', value: expected.beforeDrop!.gtid }),
      check: (c) => {
        expect(s.rows(c, s.factsOf(c).primary)).toEqual(expected.beforeDrop!.rows);
        expect(oneLine(s.gtidExecuted(c, s.factsOf(c).primary))).toBe(expected.beforeDrop!.gtids);
      },
    },
    {
      id: 'backup-pitr-time', applies: f.store.archiver, point: () => ({ target: 'time', value: expected.time!.at }),
      check: (c) => { expect(s.rows(c, s.factsOf(c).primary)).toEqual(expected.time!.rows); },
    },
    {
      id: 'backup-gap-refused', applies: f.store.archiver, point: () => ({ target: 'latest' }),
      check: () => undefined,
    },
    {
      id: 'backup-gap-allowed', applies: f.store.archiver, point: () => ({ target: 'latest', allowHoles: true }),
      check: (c) => { expect(c.pod(s.factsOf(c).primary).log('bootstrap')).toMatch(/STOPPED at the hole \S+ .*\(allowArchiveHoles\): nothing after it was applied/); },
    },
  ];
  for (const r of restores.filter((x) => x.applies)) {
    describe(`${r.id}: a new cluster from the source's backup and archive`, () => {
      let c: MySqlCluster;
      beforeAll(() => { c = restored(r.point()); });
      afterAll(async () => { await c.dispose(); });
      test(r.id, () => scenarioLine(r.id, c, async () => {
        await c.start();
        const facts = s.factsOf(c);
        if (r.id === 'backup-gap-refused') {
          await c.scale(facts.primary - facts.start + 1, { waitReady: false });
          await c.waitUntil('the refusal', () => (c.pods.get(facts.primary)?.log('bootstrap') ?? '').includes('the archive has a hole'), 180_000);
          expect(c.pod(facts.primary).ready).toBe(false);
          return {};
        }
        await c.scale(facts.primary - facts.start + 1);
        expect(c.pod(facts.primary).log('bootstrap')).toMatch(/RESTORED: restored backup \S+ /);
        r.check(c);
        return {};
      }));
    });
  }

  describe('backup-restore-cluster and backup-verify: every member from the backup; the verification job', () => {
    let c: MySqlCluster;
    beforeAll(() => { c = restored({ target: 'backup', backupId: expected.backupId }); });
    afterAll(async () => { await c.dispose(); });
    test('backup-restore-cluster', () => scenarioLine('backup-restore-cluster', c, async () => {
      await c.start();
      // (as many members as the source's manifests have: the restored objects start at none)
      const facts = { ...s.factsOf(c), replicas: f.objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === f.name)!.spec.replicas ?? 1 };
      await c.scale(facts.replicas);
      for (const o of s.members(facts)) {
        expect(oneLine(s.gtidExecuted(c, o))).toBe(expected.backupGtids);
        expect(s.rows(c, o)).toEqual(expected.backupRows);
      }
      return { members: facts.replicas };
    }));
    if (f.store.verify) test('backup-verify', () => scenarioLine('backup-verify', c, () => verifyGoodAndDamaged(c, server!, f)));
  });
}

/** The source's scenarios: the backup, then with an archiver its restart, a failover, the points and a hole. */
function sourceScenarios(
  f: BackupSubject, cluster: () => MySqlCluster, s3: () => S3Server, expected: Partial<Expected>,
  archiver: { get: () => Archiver | undefined; set: (a: Archiver) => void },
): void {
  const start = (c: MySqlCluster) => archiver.set(startArchiver(c, s3(), { ARCHIVE_INTERVAL: '1' }));
  test('backup-archiver-restart', () => scenarioLine(f.store.archiver ? 'backup-archiver-restart' : 'backup-restore-source', cluster(), async () => {
    const c = cluster();
    await c.start();
    const p = s.factsOf(c).primary;
    s.createTestTable(c, p);
    batch(c, p, 'before the backup');
    await s.waitReplicated(c, p, s.replicasOf(s.factsOf(c)));
    const run = await runBackup(c, s3());
    expect(run.code).toBe(0);
    Object.assign(expected, { backupId: /^backup\.sh: BACKUP (\S+): /m.exec(run.log)![1], backupGtids: oneLine(s.gtidExecuted(c, p)), backupRows: s.rows(c, p) });
    if (!f.store.archiver) return { backup: expected.backupId };
    start(c);
    for (let i = 0; i < 10; i++) {
      s.insert(c, p, `around the kill ${i}`);
      await sleep(150);
      if (i === 5) expect(await archiver.get()!.stop('SIGKILL')).toBe('SIGKILL');
    }
    start(c);
    await archivedAll(c, s3(), f, p);
    const all = (await archiveRecords(s3(), f.store.bucket, f.store.base)).filter((r) => r.kind === 'file').flatMap((r) => expandGtids(r.gtids));
    expect(all.length).toBe(new Set(all).size);
    return { transactions: all.length };
  }));
  if (!f.store.archiver) return;
  test('backup-primary-change', () => scenarioLine('backup-primary-change', cluster(), async () => {
    const c = cluster();
    const facts = s.factsOf(c);
    if (facts.replicas < 2) return { skipped: 'no-replica' };
    const to = s.replicasOf(facts)[0];
    await safety.failOver(c, to);
    batch(c, to, 'after the failover');
    await archivedAll(c, s3(), f, to);
    const recs = await archiveRecords(s3(), f.store.bucket, f.store.base);
    expect(recs.filter((r) => r.kind === 'hole' || r.kind === 'orphan')).toEqual([]);
    const all = recs.filter((r) => r.kind === 'file').flatMap((r) => expandGtids(r.gtids));
    expect(all.length).toBe(new Set(all).size);
    return { sources: new Set(recs.filter((r) => r.kind === 'file').map((r) => r.source_uuid)).size };
  }));
  test('backup-gap', () => scenarioLine('backup-gap', cluster(), async () => {
    const c = cluster();
    const facts = s.factsOf(c);
    const p = facts.primary;
    // The points the restores reach: a time between two batches, and just before a DROP TABLE.
    batch(c, p, 'before the time');
    const beforeTime = s.rows(c, p);
    await sleep(1100);
    const at = new Date().toISOString();
    await sleep(1100);
    batch(c, p, 'after the time');
    const before = { rows: s.rows(c, p), gtids: oneLine(s.gtidExecuted(c, p)) };
    c.query('DROP TABLE e2e.events;', { pod: p });
    const drop = expandGtids(oneLine(s.gtidExecuted(c, p))).filter((g) => !new Set(expandGtids(before.gtids)).has(g));
    expect(drop).toHaveLength(1);
    Object.assign(expected, { beforeDrop: { gtid: drop[0], ...before }, time: { at, rows: beforeTime } });
    await archivedAll(c, s3(), f, p);
    // Binary logs purged while the archiver is down: a hole.
    await archiver.get()!.stop();
    s.createTestTable(c, p);
    batch(c, p, 'lost in the hole');
    await s.waitReplicated(c, p, s.replicasOf(facts));
    for (const o of s.members(facts)) c.query('FLUSH BINARY LOGS; PURGE BINARY LOGS BEFORE NOW() + INTERVAL 1 SECOND;', { pod: o });
    batch(c, p, 'after the hole');
    start(c);
    await c.waitUntil('the archiver to report the hole', () => /^not-ready hole: /.test(archiver.get()!.status()), 60_000);
    expect(archiver.get()!.log()).toMatch(/HOLE: transactions \S+ are in no binary log the archiver can read and not in the archive/);
    const holes = (await archiveRecords(s3(), f.store.bucket, f.store.base)).filter((r) => r.kind === 'hole');
    expect(holes).toHaveLength(1);
    return { hole: holes[0].gtids };
  }));
}

/** The verification job passes on the good backup, and fails naming the object when its data is damaged. */
async function verifyGoodAndDamaged(c: MySqlCluster, server: S3Server, f: BackupSubject): Promise<{ [k: string]: string }> {
  const good = await runVerify(c, server);
  expect(good.code).toBe(0);
  expect(good.log).toMatch(/VERIFIED \S+: \d+ bytes, sha256 ok/);
  const client = server.client();
  const key = (await client.listObjects(f.store.bucket, `${f.store.base}/backups/`)).map((o) => o.key).filter((k) => k.endsWith('/data.tar.gz')).sort().pop()!;
  const data = (await client.getObject(f.store.bucket, key)).body;
  const damaged = Buffer.from(data);
  for (let i = 0; i < 64; i++) damaged[(damaged.length >> 1) + i] ^= 0xff;
  await client.putObject(f.store.bucket, key, damaged);
  try {
    const bad = await runVerify(c, server);
    expect(bad.code).not.toBe(0);
    expect(bad.log).toContain(`VERIFY FAILED`);
    expect(bad.log).toContain(`${key} is damaged`);
  } finally {
    await client.putObject(f.store.bucket, key, data);
  }
  return { damaged: 'refused' };
}
