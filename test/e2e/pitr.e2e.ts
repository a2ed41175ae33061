/**
 * Point-in-time recovery on real servers: a 3-member asynchronous cluster (verified TLS) with `backup` and its binary
 * log archiver (the Deployment's container, archiver.sh) streaming to versitygw; the primary's agent rotates the
 * binary log every 2 s. The archiver is killed mid-file and restarted, follows a failover, and meets binary logs
 * purged before it read them (a hole). New clusters are then made from the backup and the archive: to just before a
 * DROP TABLE, to a time, and to the latest point across the hole (refused; with allowArchiveHoles, up to the hole).
 */
import { Duration } from 'cdk8s';
import { MySqlRestore, MySqlRestoreSource, MySqlTls, ReplicatedMySql, ReplicatedMySqlProps } from '../../src';
import { Archiver, archiveRecords, expandGtids, restoreStore, runBackup, startArchiver } from './backup-pods';
import { scenarioLine, synthObjects } from './env';
import { MySqlCluster, sleep } from './harness/cluster';
import { Manifest } from './harness/manifests';
import * as s from './scenarios';

const BUCKET = 'db-backups';
const PREFIX = 'e2e/pitr';
const IMAGE = 'registry.example/mysql-debian:9.7.4';
const oneLine = (gtids: string) => gtids.replace(/\\n/g, '');

const store = restoreStore(BUCKET, PREFIX);
const storage = (endpoint: string) => store.storage(endpoint);
const clusterOf = (objects: Manifest[]) => store.clusterOf(objects);

const expand = expandGtids;

/** The archive's records, in order: each meta's keys. */
const records = () => archiveRecords(store.server(), BUCKET, `${PREFIX}/mysql/mysql`);

/**
 * Waits until the archive's files hold every transaction the primary executed (with `lost`, records of holes and
 * of the start count too); returns how long that took.
 */
async function archived(c: MySqlCluster, primary: number, options: { lost?: boolean; timeoutMs?: number } = {}): Promise<number> {
  const { lost = false, timeoutMs = 60_000 } = options;
  const want = new Set(expand(oneLine(s.gtidExecuted(c, primary))));
  const started = Date.now();
  const kinds = lost ? ['file', 'start', 'hole'] : ['file'];
  for (;;) {
    const have = new Set((await records()).filter((r) => kinds.includes(r.kind)).flatMap((r) => expand(r.gtids)));
    if ([...want].every((g) => have.has(g))) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeoutMs) throw new Error(`the archive lacks ${[...want].filter((g) => !have.has(g)).slice(0, 5).join(' ')} after ${timeoutMs / 1000}s`);
    await sleep(500);
  }
}

const batch = (c: MySqlCluster, primary: number, name: string, n = 10) =>
  c.query(Array.from({ length: n }, (_, i) => `INSERT INTO e2e.events (what) VALUES ('${name} ${i + 1}');`).join('\n'), { pod: primary });

/** What each restore is to give: its point and the rows of e2e.events then (undefined: the table is gone). */
const expected: { [id: string]: { point: (r: MySqlRestoreSource) => MySqlRestore; rows?: string[]; gtids?: string } } = {};
let sourceProps: ReplicatedMySqlProps;

describe('the source: archiving through a restart, a failover, a DROP TABLE and a hole', () => {
  let c: MySqlCluster;
  let archiver: Archiver;
  const synth = (props: ReplicatedMySqlProps) => synthObjects((chart) => new ReplicatedMySql(chart, 'mysql', props));
  beforeAll(() => {
    sourceProps = {
      image: IMAGE, replicas: 3, tls: MySqlTls.fromSecret('mysql-tls'),
      backup: { storage: storage('https://s3.backup.example'), binlogFlushInterval: Duration.seconds(2) },
    };
    c = clusterOf(synth(sourceProps));
  });
  afterAll(async () => {
    await archiver?.stop().catch(() => undefined);
    await c.dispose();
  });

  test('a full backup, then the archiver: every later transaction is archived within seconds under steady writes', () => scenarioLine('backup-pitr-archive', c, async () => {
    await c.start();
    s.createTestTable(c, 0);
    batch(c, 0, 'before the backup');
    await s.waitReplicated(c, 0, [1, 2]);
    expect((await runBackup(c, store.server())).code).toBe(0);
    archiver = startArchiver(c, store.server(), { ARCHIVE_INTERVAL: '1' });
    // Steady writes for 20 s, the archive's lag sampled as the archiver reports it.
    let maxLag = 0;
    for (let i = 0; i < 40; i++) {
      s.insert(c, 0, `steady ${i}`);
      await sleep(500);
      const lag = /^ready lag (\d+)s/.exec(archiver.status())?.[1];
      if (lag !== undefined) maxLag = Math.max(maxLag, Number(lag));
    }
    const catchUp = await archived(c, 0);
    expect(archiver.status()).toMatch(/^ready lag \d+s seq \d+$/);
    // The primary never purged its binary log: the archive holds everything since the cluster began, in files.
    const recs = await records();
    expect(recs.map((r) => r.kind).filter((k) => k !== 'file')).toEqual([]);
    expect(maxLag).toBeLessThanOrEqual(5);
    return { rpo_s: maxLag, catch_up_s: catchUp, files: recs.filter((r) => r.kind === 'file').length };
  }));

  test('killed mid-file (SIGKILL) under writes and restarted: no transaction lost or archived twice', () => scenarioLine('backup-archiver-restart', c, async () => {
    const writes = (async () => {
      for (let i = 0; i < 20; i++) {
        s.insert(c, 0, `around the kill ${i}`);
        await sleep(150);
      }
    })();
    await sleep(1200);
    expect(await archiver.stop('SIGKILL')).toBe('SIGKILL');
    await writes;
    archiver = startArchiver(c, store.server(), { ARCHIVE_INTERVAL: '1' });
    await archived(c, 0);
    const files = (await records()).filter((r) => r.kind === 'file');
    const all = files.flatMap((r) => expand(r.gtids));
    expect(all.length).toBe(new Set(all).size);
    expect(archiver.log()).toMatch(/archive s3:\/\/\S+: \d+ records up to seq \d+/);
    return { files: files.length, transactions: all.length };
  }));

  test('a failover (primaryOrdinal 1): the archiver follows the new primary; no hole, nothing twice', () => scenarioLine('backup-primary-change', c, async () => {
    batch(c, 0, 'before the failover');
    await s.waitReplicated(c, 0, [1, 2]);
    sourceProps = { ...sourceProps, primaryOrdinal: 1 };
    await c.apply(synth(sourceProps));
    for (const o of [0, 1, 2]) await c.waitReady(o);
    batch(c, 1, 'after the failover');
    await archived(c, 1);
    const recs = await records();
    expect(recs.filter((r) => r.kind === 'hole' || r.kind === 'orphan')).toEqual([]);
    const all = recs.filter((r) => r.kind === 'file').flatMap((r) => expand(r.gtids));
    expect(all.length).toBe(new Set(all).size);
    const uuids = new Set(recs.filter((r) => r.kind === 'file').map((r) => r.source_uuid));
    expect(uuids.size).toBeGreaterThanOrEqual(2);
    expect(archiver.log()).toMatch(/stream from \S+ \(\S+\) ended: the write Service now reaches/);
    // A full backup while the archiver streams (both sign in as the backup account).
    expect((await runBackup(c, store.server())).code).toBe(0);
    expect(archiver.status()).toMatch(/^ready /);
    return { sources: uuids.size };
  }));

  test('a DROP TABLE and a time between batches: the points the restores below reach', async () => {
    batch(c, 1, 'before the time');
    const beforeTime = s.rows(c, 1);
    await sleep(300);
    const time = new Date().toISOString();
    await sleep(300);
    batch(c, 1, 'after the time');
    const beforeDrop = s.rows(c, 1);
    const gtidsBeforeDrop = oneLine(s.gtidExecuted(c, 1));
    c.query('DROP TABLE e2e.events;', { pod: 1 });
    const dropped = expand(oneLine(s.gtidExecuted(c, 1))).filter((g) => !new Set(expand(gtidsBeforeDrop)).has(g));
    expect(dropped).toHaveLength(1);
    c.query('CREATE TABLE e2e.after_drop (id INT PRIMARY KEY); INSERT INTO e2e.after_drop VALUES (1);', { pod: 1 });
    await archived(c, 1);
    expected['backup-pitr'] = { point: (r) => r.beforeGtid(dropped[0]), rows: beforeDrop, gtids: gtidsBeforeDrop };
    expected['backup-pitr-time'] = { point: (r) => r.toTime(time), rows: beforeTime };
  });

  test('binary logs purged while the archiver was down: a HOLE, logged and recorded; the archiver turns not Ready', () => scenarioLine('backup-gap', c, async () => {
    await archiver.stop();
    c.query('CREATE TABLE e2e.events (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(100) NOT NULL);', { pod: 1 });
    batch(c, 1, 'lost in the hole');
    await s.waitReplicated(c, 1, [0, 2]);
    for (const o of [0, 1, 2]) c.query('FLUSH BINARY LOGS; PURGE BINARY LOGS BEFORE NOW() + INTERVAL 1 SECOND;', { pod: o });
    batch(c, 1, 'after the hole');
    archiver = startArchiver(c, store.server(), { ARCHIVE_INTERVAL: '1' });
    await c.waitUntil('the archiver to report the hole', () => /^not-ready hole: /.test(archiver.status()), 60_000);
    expect(archiver.log()).toMatch(/HOLE: transactions \S+ are in no binary log the archiver can read and not in the archive/);
    const holes = (await records()).filter((r) => r.kind === 'hole');
    expect(holes).toHaveLength(1);
    expect(expand(holes[0].gtids).length).toBeGreaterThanOrEqual(11);
    return { hole: holes[0].gtids };
  }));
});

/** A new single-member cluster made from the source's backups and archive. */
const restoredCluster = (point: (r: MySqlRestoreSource) => MySqlRestore): MySqlCluster => store.restored(IMAGE, point);

for (const id of ['backup-pitr', 'backup-pitr-time'] as const) {
  describe(`${id}: a new cluster at the point`, () => {
    let c: MySqlCluster;
    beforeAll(() => { c = restoredCluster(expected[id].point); });
    afterAll(async () => { await c.dispose(); });
    test('restored and replayed to the point: every row of then, nothing after', () => scenarioLine(id, c, async () => {
      await c.start();
      const started = Date.now();
      await c.scale(1);
      const log = c.pod(0).log('bootstrap');
      const line = /RESTORED: restored backup (\S+) .*; (\d+) archived transactions replayed from (\d+) files .*, in (\d+)s/.exec(log);
      expect(line).not.toBeNull();
      expect(s.rows(c, 0)).toEqual(expected[id].rows);
      if (id === 'backup-pitr') {
        expect(oneLine(s.gtidExecuted(c, 0))).toBe(expected[id].gtids);
        expect(c.sql('SELECT * FROM e2e.after_drop;', { pod: 0 }).status).not.toBe(0);
      }
      const readySeconds = Math.round((Date.now() - started) / 1000);
      return { transactions: Number(line![2]), files: Number(line![3]), restore_s: Number(line![4]), ready_s: readySeconds };
    }));
  });
}

describe('backup-gap: the latest point lies across the hole', () => {
  let c: MySqlCluster;
  beforeAll(() => { c = restoredCluster((r) => r.toLatest()); });
  afterAll(async () => { await c.dispose(); });
  test('refused, naming the hole; no data directory', () => scenarioLine('backup-gap-refused', c, async () => {
    await c.start();
    await c.scale(1, { waitReady: false });
    await c.waitUntil('the refusal', () => (c.pods.get(0)?.log('bootstrap') ?? '').includes('the archive has a hole'), 180_000);
    expect(c.pod(0).log('bootstrap')).toMatch(/the archive has a hole \S+ \(record \S+\.meta, [0-9TZ:-]+\) that backup \S+ does not hold/);
    expect(c.pod(0).ready).toBe(false);
    expect(c.configMap('mysql-members')?.data ?? {}).toEqual({});
  }));
});

describe('backup-gap: allowArchiveHoles restores up to the hole and says so', () => {
  let c: MySqlCluster;
  beforeAll(() => { c = restoredCluster((r) => r.toLatest({ allowArchiveHoles: true })); });
  afterAll(async () => { await c.dispose(); });
  test('the backup and the archive before the hole; the log says what was not applied', () => scenarioLine('backup-gap-allowed', c, async () => {
    await c.start();
    await c.scale(1);
    expect(c.pod(0).log('bootstrap')).toMatch(/STOPPED at the hole \S+ .*\(allowArchiveHoles\): nothing after it was applied/);
    // Before the hole the table had been dropped and not yet made again.
    expect(c.sql('SELECT COUNT(*) FROM e2e.events;', { pod: 0 }).status).not.toBe(0);
    expect(c.query('SELECT COUNT(*) FROM e2e.after_drop;', { pod: 0 }).trim()).toBe('1');
  }));
});
