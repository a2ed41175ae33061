/**
 * Restore as a new cluster (`restore`, src/mysql/scripts/restore.sh in the bootstrap) on real servers: a source
 * cluster takes two backups through its CronJob's container (backup-pods.ts) into versitygw; it is then lost
 * (every pod and volume gone), and a new cluster of the same name, with Secrets of its own (other passwords),
 * is made from a backup: the first member restores it, the others clone it, and every member ends with the
 * backup's GTID set and rows. A restore that finds no such backup fails closed and creates nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MySqlRestore, MySqlTls, ReplicatedMySql } from '../../src';
import { restoreStore, runBackup } from './backup-pods';
import { scenarioLine, synthObjects } from './env';
import { MySqlCluster, sleep } from './harness/cluster';
import { Manifest } from './harness/manifests';
import * as s from './scenarios';

const BUCKET = 'db-backups';
const PREFIX = 'e2e/restore';
// (a Debian build: the official images lack tar and a recent curl, backup.image's and restore's documented need)
const IMAGE = 'registry.example/mysql-debian:9.7.4';
const oneLine = (gtids: string) => gtids.replace(/\\n/g, '');

const store = restoreStore(BUCKET, PREFIX);
const storage = (endpoint: string) => store.storage(endpoint);
const clusterOf = (objects: Manifest[]) => store.clusterOf(objects);

/** What the source cluster held at each backup. */
interface Taken { readonly id: string; readonly gtids: string; readonly rows: string[] }
const taken: Taken[] = [];
let sourceRootPassword = '';
/**
 * The restore benchmark (docs/backup.md: "Restore time"): E2E_RESTORE_MIB=1024 writes that much data (half random hex,
 * half constant: about 3x compressible) before the first backup, and backup-restore-cluster prints where the time goes.
 */
const BULK_MIB = Number(process.env.E2E_RESTORE_MIB ?? '0');
let backupSeconds = 0;

/**
 * BULK_MIB MiB into e2e.bulk, 32 KiB a row (RANDOM_BYTES gives at most 1024 bytes), 256 rows a statement; between two
 * statements the harness's API server answers (a query blocks this process, and the agents' role lease is 20 s).
 */
async function writeBulk(c: MySqlCluster): Promise<void> {
  c.query('CREATE TABLE e2e.bulk (id INT AUTO_INCREMENT PRIMARY KEY, b MEDIUMTEXT NOT NULL);', { pod: 0 });
  for (let i = 0; i < BULK_MIB / 8; i++) {
    await sleep(200);
    c.query(`INSERT INTO e2e.bulk (b) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 256)
      SELECT CONCAT(${Array(8).fill('HEX(RANDOM_BYTES(1024))').join(', ')}, REPEAT('x', 16384)) FROM n;`, { pod: 0 });
  }
}

describe('the source cluster: 3 members, two backups, then lost', () => {
  let c: MySqlCluster;
  beforeAll(() => {
    c = clusterOf(synthObjects((chart) => new ReplicatedMySql(chart, 'mysql', {
      image: IMAGE, replicas: 3, tls: MySqlTls.fromSecret('mysql-tls'), backup: { storage: storage('https://s3.backup.example') },
    })));
  });
  afterAll(async () => { await c.dispose(); });

  test('rows, a backup, more rows, a second backup', () => scenarioLine('backup-restore-source', c, async () => {
    await c.start();
    s.createTestTable(c, 0);
    if (BULK_MIB > 0) await writeBulk(c);
    for (const batch of [1, 2]) {
      c.query(Array.from({ length: 20 }, (_, i) => `INSERT INTO e2e.events (what) VALUES ('batch ${batch} row ${i + 1}');`).join('\n'), { pod: 0 });
      await s.waitReplicated(c, 0, [1, 2], BULK_MIB > 0 ? 900_000 : 60_000);
      const run = await runBackup(c, store.server(), { timeoutMs: 1_800_000 });
      expect(run.code).toBe(0);
      if (batch === 1) backupSeconds = run.seconds;
      const id = /^backup\.sh: BACKUP (\S+): /m.exec(run.log)?.[1];
      expect(id).toBeDefined();
      taken.push({ id: id!, gtids: oneLine(s.gtidExecuted(c, 0)), rows: s.rows(c, 0) });
    }
    expect(taken.map((t) => t.rows.length)).toEqual([20, 40]);
    sourceRootPassword = c.rootPassword();
    return { backups: taken.length };
  }));
});

describe('restore.toBackup(id) into a new 3-member cluster of the same name, with its own passwords', () => {
  let c: MySqlCluster;
  beforeAll(() => {
    c = clusterOf(synthObjects((chart) => new ReplicatedMySql(chart, 'mysql', {
      image: IMAGE, replicas: 3, tls: MySqlTls.fromSecret('mysql-tls'),
      // (the first backup, not the newest: the id decides)
      restore: MySqlRestore.fromBackup({ storage: storage(store.server().endpoint) }).toBackup(taken[0].id),
    })));
  });
  afterAll(async () => { await c.dispose(); });

  test('the first member restores the backup, the others clone it: every member has its GTID set and rows, and takes writes', () => scenarioLine('backup-restore-cluster', c, async () => {
    const [backup] = taken;
    const started = Date.now();
    await c.start();
    const readySeconds = (Date.now() - started) / 1000;
    const firstReadySeconds = (c.pod(0).readyAt! - started) / 1000;
    const bootstrap = c.pod(0).log('bootstrap');
    const fetched = /downloaded and extracted backup \S+ in (\d+)s: (\d+) bytes/.exec(bootstrap);
    const restored = new RegExp(`RESTORED: restored backup ${backup.id} of mysql/mysql \\(taken \\S+ from \\S+\\): gtid_executed (\\S*); no binary logs applied, in (\\d+)s`).exec(bootstrap);
    expect(restored).not.toBeNull();
    expect(restored![1]).toBe(backup.gtids);
    expect(bootstrap).not.toContain('initialized a new cluster');
    expect(c.configMap('mysql-members')?.data?.restored).toMatch(new RegExp(`^restored backup ${backup.id} of mysql/mysql `));
    for (const o of [1, 2]) expect(c.pod(o).log('bootstrap')).toMatch(/cloned from \S+; replicating from mysql-0\./);
    // The harness made this cluster's Secrets anew: its root password (every query here) is not the source's.
    expect(c.rootPassword()).not.toBe(sourceRootPassword);
    // Every member: the backup's transactions and rows, no more (nothing was written yet); equal on all.
    const sets = [0, 1, 2].map((o) => oneLine(s.gtidExecuted(c, o)));
    expect(sets).toEqual([backup.gtids, backup.gtids, backup.gtids]);
    for (const o of [0, 1, 2]) expect(s.rows(c, o)).toEqual(backup.rows);
    // The source's replication channel did not come with it; the primary takes writes, which replicate.
    s.insert(c, 0, 'after the restore');
    await s.waitReplicated(c, 0, [1, 2]);
    for (const o of [0, 1, 2]) expect(s.rows(c, o)).toEqual([...backup.rows, 'after the restore']);
    const figures = { backup: backup.id, rows: backup.rows.length, ready_s: Math.round(readySeconds), restore_s: Number(restored![2]) };
    if (BULK_MIB === 0) return figures;
    // Where the time goes: the backup's download and extraction, the rest of the restore (accounts, two temporary
    // mysqld starts), the first member's start, the others' clones.
    return {
      ...figures, bulk_mib: BULK_MIB, backup_s: Math.round(backupSeconds), gzip_bytes: Number(fetched![2]), download_extract_s: Number(fetched![1]),
      first_ready_s: Math.round(firstReadySeconds),
    };
  }));

  test('restore still in the manifest, the primary\'s volume lost while the replicas hold data: refused, never restored again', () => scenarioLine('backup-restore-beside-data', c, async () => {
    await s.primaryVolumeLoss(c);
    // The refusal came before anything was asked of the store.
    expect(c.pod(0).log('bootstrap')).not.toContain('restoring');
    expect(c.pod(0).log('bootstrap')).toContain('create the cluster anew from a backup (docs/backup.md: \'Restore\')');
  }));
});

describe('restore of a backup that is not there: fails closed', () => {
  let c: MySqlCluster;
  beforeAll(() => {
    const objects = synthObjects((chart) => new ReplicatedMySql(chart, 'mysql', {
      image: IMAGE, replicas: 1,
      restore: MySqlRestore.fromBackup({ storage: storage(store.server().endpoint), sourceName: 'other' }).toLatestBackup(),
    }));
    // Started at 0 and scaled to 1 without waiting for a Ready pod, which never comes.
    objects.find((o) => o.kind === 'StatefulSet')!.spec.replicas = 0;
    c = clusterOf(objects);
  });
  afterAll(async () => { await c.dispose(); });

  test('no backup of the source named: the bootstrap says so and retries; no data directory, no evidence', () => scenarioLine('backup-restore-none', c, async () => {
    await c.start();
    await c.scale(1, { waitReady: false });
    await c.waitUntil('the bootstrap refused', () => (c.pods.get(0)?.log('bootstrap') ?? '').includes('there is no backup of mysql/other'), 120_000);
    expect(c.pod(0).log('bootstrap')).toContain(`under s3://${BUCKET}/${PREFIX}/mysql/other/backups/`);
    expect(c.pod(0).log('bootstrap')).not.toContain('initialized a new cluster');
    expect(c.configMap('mysql-members')?.data ?? {}).toEqual({});
    expect(c.pod(0).ready).toBe(false);
    expect(fs.existsSync(path.join(c.claimPath('data', 0), 'data'))).toBe(false);
  }));
});
