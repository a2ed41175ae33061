/**
 * Retention (`backup.retention`, src/mysql/scripts/prune.sh as the CronJob `<name>-backup-prune` runs it) on real
 * servers: a cluster with two full backups and the binary log archived between and after them (versitygw). Pruned to
 * one backup: the older backup and the archive records the newer one holds go, the rest stays; the pruning record
 * lets the restarted archiver go on without a false hole and without archiving anything twice; a new cluster
 * restored to the latest point has every row; a point before the oldest backup kept is refused, not restored with
 * the pruned transactions missing.
 */
import { Duration } from 'cdk8s';
import { MySqlRestore, MySqlRestoreSource, MySqlTls, ReplicatedMySql, ReplicatedMySqlProps } from '../../src';
import { Archiver, archiveRecords, expandGtids, restoreStore, runBackup, runPrune, startArchiver } from './backup-pods';
import { scenarioLine, synthObjects } from './env';
import { MySqlCluster, sleep } from './harness/cluster';
import * as s from './scenarios';

const BUCKET = 'db-backups';
const PREFIX = 'e2e/prune';
const BASE = `${PREFIX}/mysql/mysql`;
const IMAGE = 'registry.example/mysql-debian:9.7.4';
const oneLine = (gtids: string) => gtids.replace(/\\n/g, '');

const store = restoreStore(BUCKET, PREFIX);
const records = () => archiveRecords(store.server(), BUCKET, BASE);
const keysUnder = async (prefix: string) => (await store.server().client().listObjects(BUCKET, prefix)).map((o) => o.key).sort();

const batch = (c: MySqlCluster, name: string) =>
  c.query(Array.from({ length: 5 }, (_, i) => `INSERT INTO e2e.events (what) VALUES ('${name} ${i + 1}');`).join('\n'), { pod: 0 });

/** Waits until the archive's file records hold every transaction of `want`. */
async function archivedAll(want: string[]): Promise<void> {
  for (let i = 0; ; i++) {
    const have = new Set((await records()).filter((r) => r.kind === 'file').flatMap((r) => expandGtids(r.gtids)));
    const missing = want.filter((g) => !have.has(g));
    if (missing.length === 0) return;
    if (i > 120) throw new Error(`the archive lacks ${missing.slice(0, 5).join(' ')}`);
    await sleep(500);
  }
}

/** What the source held when: its backups (id, GTID set), a time between them, and every row. */
const source: {
  backups: Array<{ id: string; gtids: string }>; between?: string; rows?: string[]; gtids?: string; savedOld?: Array<[string, Buffer]>;
} = { backups: [] };

describe('the source: two backups, the archive, pruned to one backup', () => {
  let c: MySqlCluster;
  let archiver: Archiver;
  beforeAll(() => {
    const props: ReplicatedMySqlProps = {
      image: IMAGE, replicas: 1, tls: MySqlTls.fromSecret('mysql-tls'),
      backup: { storage: store.storage('https://s3.backup.example'), binlogFlushInterval: Duration.seconds(2), retention: { keepBackups: 1 } },
    };
    c = store.clusterOf(synthObjects((chart) => new ReplicatedMySql(chart, 'mysql', props)));
  });
  afterAll(async () => {
    await archiver?.stop().catch(() => undefined);
    await c.dispose();
  });

  const backup = async () => {
    const run = await runBackup(c, store.server());
    expect(run.code).toBe(0);
    source.backups.push({ id: /^backup\.sh: BACKUP (\S+): /m.exec(run.log)![1], gtids: oneLine(s.gtidExecuted(c, 0)) });
  };

  test('the older backup and the records the newer one holds are deleted; the rest stays; a second run deletes nothing', () => scenarioLine('backup-prune', c, async () => {
    await c.start();
    s.createTestTable(c, 0);
    batch(c, 'before the first backup');
    await backup();
    archiver = startArchiver(c, store.server(), { ARCHIVE_INTERVAL: '1' });
    batch(c, 'between the backups');
    await archivedAll(expandGtids(oneLine(s.gtidExecuted(c, 0))));
    source.between = new Date().toISOString();
    // (the records of the writes above were archived a second or more before the second backup starts)
    await sleep(2000);
    await backup();
    batch(c, 'after the second backup');
    await archivedAll(expandGtids(oneLine(s.gtidExecuted(c, 0))));
    const [older, newer] = source.backups;
    source.savedOld = await Promise.all((await keysUnder(`${BASE}/backups/${older.id}/`)).map(async (k) => [k, (await store.server().client().getObject(BUCKET, k)).body] as [string, Buffer]));
    const before = await records();
    const newerSet = new Set(expandGtids(newer.gtids));

    // (PRUNE_CLOCK_SKEW 0: records archived before the newer backup started are candidates at once, not 10 minutes later)
    const run = await runPrune(c, store.server(), { PRUNE_CLOCK_SKEW: '0' });
    expect(run.code).toBe(0);
    const after = await records();
    const deleted = before.filter((r) => !after.some((a) => a.key === r.key));
    expect(run.log).toMatch(new RegExp(`PRUNED: kept 1 backups, the oldest ${newer.id} .*; deleted 1 older backups and ${deleted.length} archive records \\(the first kept: seq ${after[0].seq}\\)`));
    expect(await keysUnder(`${BASE}/backups/${older.id}/`)).toEqual([]);
    expect(await keysUnder(`${BASE}/backups/${newer.id}/`)).toEqual([`${BASE}/backups/${newer.id}/backup.meta`, `${BASE}/backups/${newer.id}/data.tar.gz`]);
    // Only records whose every transaction the kept backup holds, the oldest first; their files went with them.
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted.every((r) => expandGtids(r.gtids).every((g) => newerSet.has(g)))).toBe(true);
    expect(deleted.map((r) => r.key)).toEqual(before.slice(0, deleted.length).map((r) => r.key));
    expect((await keysUnder(`${BASE}/binlog/`)).filter((k) => deleted.some((r) => k.startsWith(r.key.replace(/\.meta$/, ''))))).toEqual([]);
    // The transactions after the newer backup are all still archived.
    const kept = new Set(after.flatMap((r) => expandGtids(r.gtids)));
    expect(expandGtids(oneLine(s.gtidExecuted(c, 0))).filter((g) => !newerSet.has(g) && !kept.has(g))).toEqual([]);
    // The pruning record, written first: every transaction deleted (merged into ranges), the first record kept.
    const [prunedKey, ...more] = await keysUnder(`${BASE}/pruned/`);
    expect(more).toEqual([]);
    expect(prunedKey).toMatch(new RegExp(`^${BASE}/pruned/\\d{8}T\\d{6}Z-${run.podUid}\\.meta$`));
    const pruned = Object.fromEntries((await store.server().client().getObject(BUCKET, prunedKey)).body.toString('utf8').trimEnd().split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(pruned).toMatchObject({ below_seq: String(Number(after[0].seq)), backup: newer.id });
    expect(new Set(expandGtids(pruned.gtids))).toEqual(new Set(deleted.flatMap((r) => expandGtids(r.gtids))));

    const again = await runPrune(c, store.server(), { PRUNE_CLOCK_SKEW: '0' });
    expect(again.code).toBe(0);
    expect(again.log).toMatch(/PRUNED: kept 1 backups, .*; deleted 0 older backups and 0 archive records .*; 0 objects in all/);
    expect(await keysUnder(`${BASE}/pruned/`)).toEqual([prunedKey]);
    return { deleted_records: deleted.length, kept_records: after.length };
  }));

  test('the archiver restarted after pruning: no hole, nothing archived again, later writes archived', () => scenarioLine('backup-prune-archiver', c, async () => {
    await archiver.stop();
    const before = await records();
    archiver = startArchiver(c, store.server(), { ARCHIVE_INTERVAL: '1' });
    const executedBefore = new Set(expandGtids(oneLine(s.gtidExecuted(c, 0))));
    batch(c, 'after pruning');
    const now = expandGtids(oneLine(s.gtidExecuted(c, 0)));
    await archivedAll(now.filter((g) => !executedBefore.has(g)));
    expect(archiver.log()).toMatch(/archive pruned \(the oldest backup kept: \S+; records before seq \d+\): its transactions \S+ count as archived/);
    const added = (await records()).filter((r) => !before.some((b) => b.key === r.key));
    expect(added.filter((r) => r.kind !== 'file')).toEqual([]);
    expect(added.flatMap((r) => expandGtids(r.gtids)).filter((g) => executedBefore.has(g))).toEqual([]);
    expect(archiver.status()).toMatch(/^ready /);
    source.rows = s.rows(c, 0);
    source.gtids = oneLine(s.gtidExecuted(c, 0));
    return { records: added.length };
  }));
});

/** A new single-member cluster made from the source's backups and archive. */
const restoredCluster = (point: (r: MySqlRestoreSource) => MySqlRestore): MySqlCluster => store.restored(IMAGE, point);

describe('backup-prune-restore: the latest point from the pruned store', () => {
  let c: MySqlCluster;
  beforeAll(() => { c = restoredCluster((r) => r.toLatest()); });
  afterAll(async () => { await c.dispose(); });
  test('every row, the source\'s GTID set', () => scenarioLine('backup-prune-restore', c, async () => {
    await c.start();
    await c.scale(1);
    expect(c.pod(0).log('bootstrap')).toContain(`RESTORED: restored backup ${source.backups[1].id} `);
    expect(s.rows(c, 0)).toEqual(source.rows);
    expect(oneLine(s.gtidExecuted(c, 0))).toBe(source.gtids);
  }));
});

describe('backup-prune-refused: a point before the oldest backup kept', () => {
  let c: MySqlCluster;
  beforeAll(() => { c = restoredCluster((r) => r.toTime(source.between!)); });
  afterAll(async () => { await c.dispose(); });
  test('with the older backup put back (a bucket version restored), refused: its archive is gone', () => scenarioLine('backup-prune-refused', c, async () => {
    for (const [key, body] of source.savedOld!) await store.server().client().putObject(BUCKET, key, body);
    await c.start();
    await c.scale(1, { waitReady: false });
    await c.waitUntil('the refusal', () => (c.pods.get(0)?.log('bootstrap') ?? '').includes('is older than the oldest point the archive keeps'), 180_000);
    expect(c.pod(0).log('bootstrap')).toMatch(new RegExp(`backup ${source.backups[0].id} is older than the oldest point the archive keeps: `
      + `backup\\.retention deleted archived binary logs with transactions it lacks \\(\\S+; the oldest backup kept: ${source.backups[1].id}\\)`));
    expect(c.pod(0).ready).toBe(false);
    expect(c.configMap('mysql-members')?.data ?? {}).toEqual({});
  }));
});
