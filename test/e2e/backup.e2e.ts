/**
 * The full backup (src/mysql/scripts/backup.sh) on real servers: a 3-member asynchronous cluster with
 * verified TLS and `backup`, whose members create the backup account themselves; the CronJob's container
 * run as its manifest says (its command and env, uid 999, read-only root, the members' ConfigMap, the
 * backup password, the S3 keys and the CA as read-only volumes at its mount paths, a scratch volume and
 * /tmp), against versitygw (SigV4 checked) and gofakes3, which stands in for whatever endpoint the
 * manifest names. The backup is then downloaded,
 * checked against its meta, extracted and started: its gtid_executed and rows are the primary's.
 * Failures: a wrong S3 secret, no member answering, and a clone refused after the upload began --
 * each leaves no backup.meta, no object and no open multipart upload.
 */
import { createHash, randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { MySqlBackupStorage, MySqlTls, ReplicatedMySql, S3Credentials } from '../../src';
import { clusterFor, scenarioLine, synthObjects } from './env';
import { BACKUP_UID, BackupRun, backupPassword, parseMeta, runBackup, runVerify } from './backup-pods';
import { MySqlCluster, sleep } from './harness/cluster';
import { exitOf, killGroup } from './harness/process';
import { Manifest } from './harness/manifests';
import { S3Kind, S3Server, s3ServerBinaries, startS3Server } from './harness/s3';
import * as s from './scenarios';

const BUCKET = 'db-backups';
const PREFIX = 'e2e/prod';
const META_KEYS = ['id', 'format', 'gtid_executed', 'donor_host', 'donor_role', 'donor_uuid', 'binlog_file', 'binlog_position', 'mysql_version',
  'started_at', 'finished_at', 'size', 'sha256'];
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
// Quotes and a backslash: the password goes through client_cnf and sql_string.
const NOCLONE_PASSWORD = `bk'p\\a"ss-${randomBytes(4).toString('hex')}`;
const ROWS = 50;
const NOISE_SQL = 'SELECT COUNT(*), SUM(CRC32(b)) FROM e2e.noise;';

const synth = (): Manifest[] => synthObjects((chart) => new ReplicatedMySql(chart, 'mysql', {
  image: 'mysql:9.7.4', replicas: 3, tls: MySqlTls.fromSecret('mysql-tls'),
  backup: {
    storage: MySqlBackupStorage.s3({
      bucket: BUCKET, prefix: PREFIX, region: 'us-east-1', endpoint: 'https://s3.backup.example', credentials: S3Credentials.fromSecret('backup-s3'),
    }),
    // (the official images lack tar and a recent curl: an image with both, as the chroot's Debian build has them)
    image: 'registry.example/mysql-debian:9.7.4',
    verifySchedule: '0 5 * * *',
  },
}));
/** The grants the members give the backup account (lib.sh backup_statements), as SHOW GRANTS prints them (the archiver's REPLICATION SLAVE too). */
const BACKUP_GRANTS = [
  'GRANT REPLICATION SLAVE ON *.* TO `backup`@`%`',
  'GRANT BACKUP_ADMIN ON *.* TO `backup`@`%`',
  'GRANT SELECT ON `performance_schema`.`replication_applier_status` TO `backup`@`%`',
  'GRANT SELECT ON `performance_schema`.`replication_connection_status` TO `backup`@`%`',
  'GRANT SELECT ON `performance_schema`.`replication_group_members` TO `backup`@`%`',
];
const sqlString = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, '\'\'')}'`;
/** A GTID set as mysql --batch prints it ("\n" between UUIDs, escaped) on one line. */
const oneLine = (gtids: string) => gtids.replace(/\\n/g, '');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** An account like the members' backup account, made here on the primary so it replicates (failure cases). */
function createBackupAccount(c: MySqlCluster, user: string, password: string, options: { backupAdmin: boolean }): void {
  const account = `'${user}'@'%'`;
  c.query(`CREATE USER ${account} IDENTIFIED BY ${sqlString(password)} REQUIRE SSL WITH MAX_USER_CONNECTIONS 4;
${options.backupAdmin ? `GRANT BACKUP_ADMIN ON *.* TO ${account};` : ''}
GRANT SELECT ON performance_schema.replication_connection_status TO ${account};
GRANT SELECT ON performance_schema.replication_applier_status TO ${account};
GRANT SELECT ON performance_schema.replication_group_members TO ${account};`, { pod: 0 });
}

/** The one `.result` the verification run wrote (`<prefix>/<ns>/<name>/verify/<UTC>-<pod uid>.result`), parsed. */
async function verifyResult(c: MySqlCluster, server: S3Server, run: BackupRun, prefix = PREFIX): Promise<{ [key: string]: string }> {
  const dir = `${prefix}/${c.namespace}/${c.name}/verify/`;
  const keys = (await server.client().listObjects(BUCKET, dir)).map((o) => o.key).filter((k) => k.includes(run.podUid));
  expect(keys).toHaveLength(1);
  expect(keys[0]).toMatch(new RegExp(`^${dir}\\d{8}T\\d{6}Z-${run.podUid}\\.result$`));
  const result = parseMeta((await server.client().getObject(BUCKET, keys[0])).body.toString('utf8'));
  expect(Object.keys(result)).toEqual(['backup_id', 'result', 'reason', 'checked_at', 'seconds', 'tables']);
  expect(result.checked_at).toMatch(RFC3339);
  expect(keys[0].slice(dir.length, dir.length + 16)).toBe(result.checked_at.replace(/[-:]/g, ''));
  expect(Number(result.seconds)).toBeLessThanOrEqual(Math.ceil(run.seconds));
  return result;
}

/**
 * A proxy in front of an S3 server (127.0.0.1, a free port) that answers HTTP 500 InternalError to the
 * requests `fail` picks and passes everything else on unchanged (the Host header too, so the signatures
 * hold); `seen` lists each request with its status.
 */
interface Proxy { readonly endpoint: string; readonly seen: string[]; close(): Promise<void> }
async function faultyProxy(target: S3Server, fail: (req: http.IncomingMessage) => boolean): Promise<Proxy> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const line = `${req.method} ${req.url}`;
    if (fail(req)) {
      req.resume();
      req.on('end', () => {
        seen.push(`${line} -> 500`);
        res.writeHead(500, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>injected by the test</Message></Error>');
      });
      return;
    }
    // (Expect is not signed: this proxy already answered 100 Continue itself.)
    const headers = { ...req.headers };
    delete headers.expect;
    const upstream = http.request({ host: target.host, port: target.port, method: req.method, path: req.url, headers, agent: false }, (r) => {
      seen.push(`${line} -> ${r.statusCode}`);
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    upstream.on('error', (e) => res.destroy(e));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Where each server keeps an object's bytes (docs/e2e-harness.md, S3 servers: storage). */
function storedFile(server: S3Server, key: string): string {
  return server.kind === 'versitygw' ? path.join(server.dataDir, server.bucket, key) : path.join(server.dataDir, 'buckets', server.bucket, key);
}

/**
 * The downloaded backup extracted and started on a throw-away mysqld (uid 999, no network) in the
 * chroot; returns its gtid_executed and rows, and stops it by PID.
 */
interface Restored { readonly gtids: string; readonly rows: string[]; readonly noise: string; readonly channels: string }
async function startRestored(c: MySqlCluster, data: Buffer, name: string): Promise<Restored> {
  const dir = path.join(c.workDir, `restore-${name}`);
  const datadir = path.join(dir, 'data');
  fs.mkdirSync(datadir, { recursive: true });
  for (const sub of ['tmp', 'files']) fs.mkdirSync(path.join(dir, sub));
  fs.writeFileSync(path.join(dir, 'data.tar.gz'), data);
  const untar = c.chroot.run(['tar', '-C', c.chroot.insidePath(datadir), '-xzf', c.chroot.insidePath(path.join(dir, 'data.tar.gz'))]);
  if (untar.status !== 0) throw new Error(`tar -x of the backup failed: ${untar.stderr}`);
  fs.rmSync(path.join(dir, 'data.tar.gz'));
  c.chroot.run(['chown', '-R', `${BACKUP_UID}:${BACKUP_UID}`, c.chroot.insidePath(dir)]);
  const inside = (p: string) => c.chroot.insidePath(path.join(dir, p));
  const socket = inside('mysqld.sock');
  const proc = c.chroot.spawn({
    binds: [], uid: BACKUP_UID, gid: BACKUP_UID, groups: [BACKUP_UID], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp' }, readOnlyRoot: false,
    command: ['mysqld', '--no-defaults', `--datadir=${inside('data')}`, `--socket=${socket}`, `--pid-file=${socket}.pid`, '--skip-networking', '--mysqlx=OFF',
      '--skip-replica-start', '--gtid-mode=ON', '--enforce-gtid-consistency=ON', `--tmpdir=${inside('tmp')}`, `--secure-file-priv=${inside('files')}`,
      '--innodb-buffer-pool-size=64M'],
    logFile: path.join(dir, 'mysqld.log'), etc: c.etcDir,
  });
  const exited = exitOf(proc);
  const cnf = path.join(dir, 'client.cnf');
  fs.writeFileSync(cnf, `[client]\nuser="root"\npassword="${c.rootPassword().replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\n`, { mode: 0o600 });
  const sql = (text: string) => c.chroot.run(['mysql', `--defaults-file=${inside('client.cnf')}`, `--socket=${socket}`, '--batch', '--skip-column-names'], text);
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`the restored mysqld exited:\n${fs.readFileSync(path.join(dir, 'mysqld.log'), 'utf8')}`);
      if (sql('SELECT 1;').status === 0) break;
      if (Date.now() > deadline) throw new Error(`the restored mysqld did not answer within 120 s:\n${fs.readFileSync(path.join(dir, 'mysqld.log'), 'utf8')}`);
      await sleep(500);
    }
    // (and the replication channels it holds: the donor's, with the replication password, must be gone)
    const out = sql(`SELECT REPLACE(@@GLOBAL.gtid_executed, '\\n', ''); ${NOISE_SQL}
SELECT COUNT(*) FROM performance_schema.replication_connection_configuration; SELECT what FROM e2e.events ORDER BY id;`);
    if (out.status !== 0) throw new Error(`queries on the restored mysqld failed: ${out.stderr}`);
    const [gtids, noise, channels, ...rows] = out.stdout.trimEnd().split('\n');
    return { gtids, rows, noise, channels };
  } finally {
    killGroup(proc, 'SIGTERM');
    const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    killGroup(proc, 'SIGKILL');
    if (!process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('full backup (backup.sh): 3 members, asynchronous, verified TLS', () => {
  const cluster = clusterFor(synth);
  let c: MySqlCluster;
  const servers: { [kind in S3Kind]?: S3Server } = {};
  let primaryGtids = '';
  let primaryRows: string[] = [];
  let primaryNoise = '';
  beforeAll(async () => {
    c = cluster();
    // Built (or found in the cache) outside any test's time budget.
    s3ServerBinaries();
    servers.versitygw = await startS3Server({ kind: 'versitygw', bucket: BUCKET });
    servers.gofakes3 = await startS3Server({ kind: 'gofakes3', bucket: BUCKET });
  }, 900_000);
  afterAll(async () => {
    for (const server of Object.values(servers)) await server?.dispose();
  });

  test('the cluster: rows written; every member has the backup account the members created, with its grants and no others', () => scenarioLine('backup-setup', c, async () => {
    await c.start();
    s.createTestTable(c, 0);
    c.query(Array.from({ length: ROWS }, (_, i) => `INSERT INTO e2e.events (what) VALUES ('row ${i + 1}');`).join('\n'), { pod: 0 });
    // About 12 MiB that gzip cannot shrink, so that the backup goes up in several 5 MiB parts.
    c.query(`CREATE TABLE e2e.noise (id INT AUTO_INCREMENT PRIMARY KEY, b VARBINARY(1024) NOT NULL);
${'INSERT INTO e2e.noise (b) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) SELECT RANDOM_BYTES(1024) FROM n a, n b LIMIT 4000;\n'.repeat(3)}`, { pod: 0 });
    // The members made the backup account (lib.sh backup_statements) with these grants and no others.
    for (const pod of [0, 1, 2]) {
      expect(c.query('SHOW GRANTS FOR \'backup\'@\'%\';', { pod }).trim().split('\n').sort()).toEqual([...BACKUP_GRANTS].sort());
      expect(c.query('SELECT ssl_type, max_user_connections FROM mysql.user WHERE user = \'backup\';', { pod }).trim()).toBe('ANY\t8');
    }
    // An account that can tell the members apart but may not clone (failure case: the clone is refused).
    createBackupAccount(c, 'noclone', NOCLONE_PASSWORD, { backupAdmin: false });
    await s.waitReplicated(c, 0, [1, 2]);
    primaryGtids = oneLine(s.gtidExecuted(c, 0));
    primaryRows = s.rows(c, 0);
    expect(primaryRows).toHaveLength(ROWS);
    primaryNoise = c.query(NOISE_SQL, { pod: 0 });
    expect(primaryNoise).toMatch(/^12000\t\d+$/);
  }));

  for (const kind of ['versitygw', 'gofakes3'] as const) {
    test(`${kind}: a replica is cloned, uploaded in parts, the meta written last; the backup starts with the primary's GTIDs and rows`, () => scenarioLine('backup-full', c, async () => {
      const server = servers[kind]!;
      const s3 = server.client();
      const before = (await s3.listObjects(BUCKET)).map((o) => o.key);
      const run = await runBackup(c, server);
      expect(run.code).toBe(0);
      // No write during the backup: the primary's set is what it was.
      expect(oneLine(s.gtidExecuted(c, 0))).toBe(primaryGtids);
      const done = /^backup\.sh: BACKUP (\S+): (\d+) bytes sha256 ([0-9a-f]{64}) from (\S+), gtid_executed (\S*)$/m.exec(run.log);
      expect(done).not.toBeNull();
      const [, id, size, sum, donor, gtids] = done!;
      expect(id).toMatch(new RegExp(`^\\d{8}T\\d{6}Z-${run.podUid}$`));
      const base = `${PREFIX}/${c.namespace}/${c.name}/backups/${id}`;
      const objects = (await s3.listObjects(BUCKET)).filter((o) => !before.includes(o.key));
      expect(objects.map((o) => o.key).sort()).toEqual([`${base}/backup.meta`, `${base}/data.tar.gz`]);
      expect(await s3.listMultipartUploads(BUCKET)).toEqual([]);
      // The meta: every key, as the log says.
      const meta = parseMeta((await s3.getObject(BUCKET, `${base}/backup.meta`)).body.toString('utf8'));
      expect(Object.keys(meta)).toEqual(META_KEYS);
      expect(meta).toMatchObject({ id, format: 'clone-tar-gzip-v1', size, sha256: sum, gtid_executed: gtids, donor_host: donor, donor_role: 'replica' });
      expect(meta.started_at).toMatch(RFC3339);
      expect(meta.finished_at).toMatch(RFC3339);
      expect(meta.finished_at >= meta.started_at).toBe(true);
      expect(meta.binlog_file).toMatch(/^binlog\.\d{6}$/);
      expect(Number(meta.binlog_position)).toBeGreaterThan(0);
      expect(meta.mysql_version).toMatch(/^9\.7\.4/);
      // Written after the data object: its stored bytes are newer (S3's LastModified agrees, to its resolution).
      const [dataObject, metaObject] = [`${base}/data.tar.gz`, `${base}/backup.meta`].map((k) => objects.find((o) => o.key === k)!);
      expect(Date.parse(metaObject.lastModified)).toBeGreaterThanOrEqual(Date.parse(dataObject.lastModified));
      expect(fs.statSync(storedFile(server, `${base}/backup.meta`)).mtimeMs).toBeGreaterThan(fs.statSync(storedFile(server, `${base}/data.tar.gz`)).mtimeMs);
      const logged = (what: RegExp) => run.log.search(what);
      expect(logged(/uploaded \S+data\.tar\.gz/)).toBeGreaterThan(0);
      expect(logged(/uploaded \S+data\.tar\.gz/)).toBeLessThan(logged(/BACKUP /));
      // The donor: a replica, not the primary mysql-0; the uuid is that member's.
      const donorOrdinal = [1, 2].find((o) => c.podDnsName(o) === donor);
      expect(donorOrdinal).toBeDefined();
      expect(meta.donor_uuid).toBe(s.serverUuid(c, donorOrdinal!));
      // The data: what the meta says, in several parts.
      const data = (await s3.getObject(BUCKET, `${base}/data.tar.gz`)).body;
      expect(data.length).toBe(Number(meta.size));
      expect(sha256(data)).toBe(meta.sha256);
      expect(dataObject.size).toBe(data.length);
      const parts = Number(/ bytes in (\d+) parts/.exec(run.log)?.[1]);
      expect(parts).toBe(Math.ceil(data.length / (5 * 1024 * 1024)));
      expect(parts).toBeGreaterThan(1);
      // Started: the primary's GTIDs and rows.
      const restored = await startRestored(c, data, kind);
      expect(restored.gtids).toBe(meta.gtid_executed);
      expect(restored.gtids).toBe(primaryGtids);
      expect(restored.rows).toEqual(primaryRows);
      expect(restored.noise).toBe(primaryNoise);
      // The donor was a replica: its channel (and the replication password in it) was removed before the upload.
      expect(restored.channels).toBe('0');
      // No secret in the log.
      for (const secret of [backupPassword(c), server.secretKey]) expect(run.log).not.toContain(secret);
      const seconds = (re: RegExp) => Number(re.exec(run.log)?.[1]);
      return {
        s3: kind, donor: `${c.name}-${donorOrdinal}`, size: data.length, parts,
        clone_s: seconds(/cloned \S+ in (\d+)s/), first_start_s: seconds(/started the clone once in (\d+)s/), upload_s: seconds(/data\.tar\.gz in (\d+)s/), total_s: Math.round(run.seconds * 10) / 10,
      };
    }));
  }

  /** What every failure leaves: a non-zero exit, no new object, no open upload, no secret in the log. */
  async function expectNothingLeft(server: S3Server, before: string[], run: BackupRun): Promise<void> {
    expect(run.code).not.toBe(0);
    expect((await server.client().listObjects(BUCKET)).map((o) => o.key)).toEqual(before);
    expect(await server.client().listMultipartUploads(BUCKET)).toEqual([]);
    expect(run.log).not.toMatch(/BACKUP \S+:/);
    for (const secret of [backupPassword(c), server.secretKey]) expect(run.log).not.toContain(secret);
  }

  test('a wrong S3 secret (versitygw): refused before anything is cloned; the log names the endpoint and the HTTP status', () => scenarioLine('backup-full-s3-refused', c, async () => {
    const server = servers.versitygw!;
    const before = (await server.client().listObjects(BUCKET)).map((o) => o.key);
    const run = await runBackup(c, server, { secretKey: `${server.secretKey}-wrong` });
    await expectNothingLeft(server, before, run);
    expect(run.log).toContain(`CreateMultipartUpload: the S3 endpoint ${server.endpoint} answered HTTP 403 SignatureDoesNotMatch`);
    expect(run.log).not.toContain('CLONE INSTANCE');
    return { s3: 'versitygw', exit: run.code, seconds_to_fail: Math.round(run.seconds * 10) / 10 };
  }));

  test('no member answers (a wrong backup password): fails naming each member\'s answer; nothing is written', () => scenarioLine('backup-full-no-donor', c, async () => {
    const server = servers.versitygw!;
    const before = (await server.client().listObjects(BUCKET)).map((o) => o.key);
    const run = await runBackup(c, server, { password: 'not-the-password' });
    await expectNothingLeft(server, before, run);
    expect(run.log).toMatch(/ERROR: no member answered as backup, so there is nothing to back up: /);
    for (const o of [0, 1, 2]) expect(run.log).toContain(`${c.podDnsName(o)}: ERROR 1045 (28000): Access denied for user 'backup'`);
    return { s3: 'versitygw', exit: run.code };
  }));

  test('the clone refused after the upload began (no BACKUP_ADMIN): the multipart upload is aborted', () => scenarioLine('backup-full-clone-refused', c, async () => {
    const server = servers.versitygw!;
    const before = (await server.client().listObjects(BUCKET)).map((o) => o.key);
    const run = await runBackup(c, server, { user: 'noclone', password: NOCLONE_PASSWORD });
    await expectNothingLeft(server, before, run);
    expect(run.log).toMatch(/CLONE INSTANCE FROM mysql-[12]\./);
    expect(run.log).toMatch(/Clone Donor Error: 1227 : Access denied; you need \(at least one of\) the BACKUP_ADMIN privilege/);
    expect(run.log).toMatch(/aborted the multipart upload of e2e\/prod\/mysql\/mysql\/backups\/\S+\/data\.tar\.gz/);
    return { s3: 'versitygw', exit: run.code };
  }));
  test('a part refused mid-upload (HTTP 500 to part 2, after curl\'s retries): the upload is aborted, part 1 with it', () => scenarioLine('backup-full-part-refused', c, async () => {
    const server = servers.versitygw!;
    const before = (await server.client().listObjects(BUCKET)).map((o) => o.key);
    const proxy = await faultyProxy(server, (req) => req.method === 'PUT' && /[?&]partNumber=2&/.test(req.url ?? ''));
    try {
      const run = await runBackup(c, server, { endpoint: proxy.endpoint });
      await expectNothingLeft(server, before, run);
      expect(run.log).toContain(`UploadPart 2: the S3 endpoint ${proxy.endpoint} answered HTTP 500 InternalError: injected by the test`);
      expect(run.log).toMatch(/aborted the multipart upload of e2e\/prod\/mysql\/mysql\/backups\/\S+\/data\.tar\.gz/);
      // Part 1 went up; part 2 was tried once and retried 3 times (curl --retry 3); then the abort, and nothing after it.
      const calls = proxy.seen.map((l) => l.replace(/uploadId=[^&\s]+/, 'uploadId=U').replace(/\/e2e\/prod\/\S+?\?/, '/KEY?'));
      expect(calls).toEqual([
        'POST /db-backups/KEY?uploads -> 200',
        'PUT /db-backups/KEY?partNumber=1&uploadId=U -> 200',
        ...Array(4).fill('PUT /db-backups/KEY?partNumber=2&uploadId=U -> 500'),
        'DELETE /db-backups/KEY?uploadId=U -> 204',
      ]);
      return { s3: 'versitygw', exit: run.code, seconds_to_fail: Math.round(run.seconds * 10) / 10 };
    } finally {
      await proxy.close();
    }
  }));
  // --- verify-backup.sh: the newest backup restored and checked, on its own (no member, no MySQL credential) ---

  interface StoredBackup { id: string; base: string; meta: { [key: string]: string }; metaText: string; data: Buffer }
  /** The newest backup with a backup.meta on a server: its id, key prefix, meta and data. */
  async function newestBackup(server: S3Server): Promise<StoredBackup> {
    const s3 = server.client();
    const backups = `${PREFIX}/${c.namespace}/${c.name}/backups/`;
    const ids = (await s3.listObjects(BUCKET, backups)).map((o) => /^(\d{8}T\d{6}Z-[^/]+)\/backup\.meta$/.exec(o.key.slice(backups.length))?.[1])
      .filter((id): id is string => id !== undefined).sort();
    expect(ids.length).toBeGreaterThan(0);
    const id = ids[ids.length - 1];
    const base = `${backups}${id}`;
    const metaText = (await s3.getObject(BUCKET, `${base}/backup.meta`)).body.toString('utf8');
    return { id, base, meta: parseMeta(metaText), metaText, data: (await s3.getObject(BUCKET, `${base}/data.tar.gz`)).body };
  }

  const lastLine = (run: BackupRun) => run.log.trimEnd().split('\n').pop()!;
  const secondsIn = (run: BackupRun, re: RegExp) => Number(re.exec(run.log)?.[1]);

  for (const kind of ['versitygw', 'gofakes3'] as const) {
    test(`${kind}: verify-backup.sh picks the newest backup with a backup.meta, restores and checks it, and records ok`, () => scenarioLine('backup-verify', c, async () => {
      const server = servers[kind]!;
      const s3 = server.client();
      const { id, base, meta } = await newestBackup(server);
      expect(meta.gtid_executed).toBe(primaryGtids);
      // Beside it: an older backup whose meta is garbage, a newer data object without a meta (a run killed before
      // writing it), and a stray object. Listed one key a page where the server pages (versitygw).
      const backups = `${PREFIX}/${c.namespace}/${c.name}/backups`;
      const decoys = [`${backups}/20000101T000000Z-old/backup.meta`, `${backups}/29991231T235959Z-nometa/data.tar.gz`, `${backups}/notes.txt`];
      for (const key of decoys) await s3.putObject(BUCKET, key, Buffer.from('format=not-a-backup\n'));
      try {
        const listed = (await s3.listObjects(BUCKET, `${backups}/`)).length;
        const run = await runVerify(c, server, { listMaxKeys: 1 });
        expect(run.code).toBe(0);
        const done = /^verify-backup\.sh: VERIFIED (\S+): (\d+) bytes, sha256 ok, gtid_executed (\S*), (\d+) tables checked$/.exec(lastLine(run));
        expect(done).not.toBeNull();
        const [, verified, size, gtids, tables] = done!;
        expect(verified).toBe(id);
        expect(size).toBe(meta.size);
        expect(gtids).toBe(primaryGtids);
        // Every base table but information_schema's and performance_schema's (the data dictionary's are hidden), as on the primary.
        expect(tables).toBe(c.query(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'
          AND TABLE_SCHEMA NOT IN ('information_schema', 'performance_schema');`, { pod: 0 }).trim());
        expect(run.log).toContain(`sha256 ${meta.sha256} as in backup.meta`);
        const pages = Number(new RegExp(`listed ${listed} objects in (\\d+) pages under s3://${BUCKET}/${PREFIX}/${c.namespace}/${c.name}/backups/: 2 backups with a backup\\.meta`).exec(run.log)?.[1]);
        // gofakes3 ignores max-keys: one page.
        expect(pages).toBe(kind === 'versitygw' ? listed : 1);
        const result = await verifyResult(c, server, run);
        expect(result).toMatchObject({ backup_id: id, result: 'ok', reason: '', tables });
        // It only read: the backup is as it was.
        expect((await s3.headObject(BUCKET, `${base}/data.tar.gz`))?.size).toBe(Number(meta.size));
        return {
          s3: kind, size: Number(size), tables: Number(tables), list_pages: pages,
          download_s: secondsIn(run, /extracted data\.tar\.gz in (\d+)s/), check_s: secondsIn(run, /checked it in (\d+)s/), total_s: Math.round(run.seconds * 10) / 10,
        };
      } finally {
        for (const key of decoys) await s3.deleteObject(BUCKET, key);
      }
    }));
  }

  test('verify: data.tar.gz damaged in the middle (versitygw): fails naming the object and both checksums; records failed', () => scenarioLine('backup-verify-damaged', c, async () => {
    const server = servers.versitygw!;
    const s3 = server.client();
    const { id, base, meta, data } = await newestBackup(server);
    const damaged = Buffer.from(data);
    for (let i = 0; i < 64; i++) damaged[(damaged.length >> 1) + i] ^= 0xff;
    await s3.putObject(BUCKET, `${base}/data.tar.gz`, damaged);
    try {
      const run = await runVerify(c, server);
      expect(run.code).toBe(1);
      const reason = `s3://${BUCKET}/${base}/data.tar.gz is damaged: sha256 ${sha256(damaged)} (${damaged.length} bytes), `
        + `backup.meta says sha256 ${meta.sha256} (${meta.size} bytes)`;
      expect(sha256(damaged)).not.toBe(meta.sha256);
      expect(lastLine(run)).toBe(`verify-backup.sh: VERIFY FAILED ${id}: ${reason}`);
      // Nothing started on it.
      expect(run.log).not.toMatch(/started the restored data|temporary mysqld/);
      expect(await verifyResult(c, server, run)).toMatchObject({ backup_id: id, result: 'failed', reason, tables: '' });
      return { s3: 'versitygw', exit: run.code, seconds_to_fail: Math.round(run.seconds * 10) / 10 };
    } finally {
      await s3.putObject(BUCKET, `${base}/data.tar.gz`, data);
    }
  }));

  test('verify: backup.meta claims another gtid_executed (versitygw; the checksum right): fails on the GTID check', () => scenarioLine('backup-verify-gtid', c, async () => {
    const server = servers.versitygw!;
    const s3 = server.client();
    const { id, base, meta, metaText } = await newestBackup(server);
    // Transactions the copy does not hold.
    const claimed = `${meta.gtid_executed},${randomUUID()}:1-7`;
    await s3.putObject(BUCKET, `${base}/backup.meta`, Buffer.from(metaText.replace(/^gtid_executed=.*$/m, `gtid_executed=${claimed}`)));
    try {
      const run = await runVerify(c, server);
      expect(run.code).toBe(1);
      // The data matched its checksum and the server started: only the GTID set differs.
      expect(run.log).toContain(`sha256 ${meta.sha256} as in backup.meta`);
      const reason = `gtid_executed of the restored data is '${meta.gtid_executed}', backup.meta says '${claimed}'`;
      expect(lastLine(run)).toBe(`verify-backup.sh: VERIFY FAILED ${id}: ${reason}`);
      expect(await verifyResult(c, server, run)).toMatchObject({ backup_id: id, result: 'failed', reason });
      return { s3: 'versitygw', exit: run.code, seconds_to_fail: Math.round(run.seconds * 10) / 10 };
    } finally {
      await s3.putObject(BUCKET, `${base}/backup.meta`, Buffer.from(metaText));
    }
  }));

  test('verify: no backup under the prefix (versitygw): fails saying so, and records it', () => scenarioLine('backup-verify-none', c, async () => {
    const server = servers.versitygw!;
    const prefix = `e2e/none-${randomBytes(3).toString('hex')}`;
    const run = await runVerify(c, server, { prefix });
    expect(run.code).toBe(1);
    expect(lastLine(run)).toBe(`verify-backup.sh: VERIFY FAILED -: no backup to verify under s3://${BUCKET}/${prefix}/${c.namespace}/${c.name}/backups/ (no <id>/backup.meta there)`);
    expect(await verifyResult(c, server, run, prefix)).toMatchObject({ backup_id: '', result: 'failed', tables: '' });
    // The result is all it wrote.
    expect((await server.client().listObjects(BUCKET, `${prefix}/`)).map((o) => o.key)).toEqual([expect.stringMatching(/\.result$/)]);
    return { s3: 'versitygw', exit: run.code, seconds_to_fail: Math.round(run.seconds * 10) / 10 };
  }));

  test('a MyISAM table (whose rows CLONE does not copy): the backup is refused, naming it; nothing is written', () => scenarioLine('backup-full-not-innodb', c, async () => {
    const server = servers.versitygw!;
    const before = (await server.client().listObjects(BUCKET)).map((o) => o.key);
    c.query('CREATE TABLE e2e.legacy (id INT PRIMARY KEY) ENGINE=MyISAM; INSERT INTO e2e.legacy VALUES (1), (2);', { pod: 0 });
    try {
      await s.waitReplicated(c, 0, [1, 2]);
      const run = await runBackup(c, server);
      await expectNothingLeft(server, before, run);
      expect(run.log).toContain('these tables are not InnoDB, and CLONE copies none of their rows: e2e.legacy (MyISAM)');
      return { s3: 'versitygw', exit: run.code };
    } finally {
      c.query('DROP TABLE e2e.legacy;', { pod: 0 });
    }
  }));
});
