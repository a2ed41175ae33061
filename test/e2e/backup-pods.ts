/**
 * The backup CronJobs' containers in the e2e chroot, as their manifests say (command, env, uid 999 with its
 * fsGroup, read-only root, the volumes at their mount paths): what backup.e2e.ts and restore.e2e.ts run.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Bind } from './harness/chroot';
import { MySqlCluster } from './harness/cluster';
import { exitOf, killGroup } from './harness/process';
import { MySqlBackupStorage, MySqlRestore, MySqlRestoreSource, ReplicatedMySql, S3Credentials } from '../../src';
import { newCluster, synthObjects } from './env';
import { Manifest } from './harness/manifests';
import { S3_SERVER_REGION, S3Server, s3ServerBinaries, startS3Server } from './harness/s3';
import { generateSecrets } from './harness/secrets';

export const BACKUP_UID = 999;
export const SCRATCH = '/var/lib/mysql-backup';
export const S3_KEYS = '/etc/mysql-backup/s3';
export const SCRIPTS = '/etc/cdk8s-mysql';
export const CREDENTIALS = '/etc/mysql/credentials';
export const TLS = '/etc/mysql/tls';

export interface BackupRun {
  readonly code: number | string;
  readonly log: string;
  readonly seconds: number;
  readonly podUid: string;
}

export interface BackupOptions {
  readonly user?: string;
  readonly password?: string;
  readonly secretKey?: string;
  readonly prefix?: string;
  /** Another endpoint than the server's (a proxy in front of it). */
  readonly endpoint?: string;
  readonly timeoutMs?: number;
  /** The role the pod identity webhook would inject (S3Credentials.fromServiceAccount). */
  readonly identity?: InjectedIdentity;
}

/**
 * What the EKS pod identity webhook injects into a pod whose ServiceAccount is annotated with a role (IRSA): the
 * role's ARN, a projected ServiceAccount token (audience sts.amazonaws.com) and the region. The harness's moto
 * stands in for AWS STS (S3_STS_ENDPOINT).
 */
export interface InjectedIdentity {
  readonly roleArn: string;
  readonly stsEndpoint: string;
}

const IRSA_TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

/** The env and the token volume of `identity` in a container run under `dir` (nothing without one). */
function injected(c: MySqlCluster, dir: string, identity: InjectedIdentity | undefined): { env: { [name: string]: string }; binds: Bind[] } {
  if (!identity) return { env: {}, binds: [] };
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'e2e' })).toString('base64url');
  const claims = Buffer.from(JSON.stringify({ aud: ['sts.amazonaws.com'], sub: `system:serviceaccount:${c.namespace}:${c.name}-backup` })).toString('base64url');
  writeFiles(path.join(dir, 'aws-iam-token'), { token: `${header}.${claims}.e2e-signature` }, 0o444);
  c.chroot.ensureMountPoints([IRSA_TOKEN_DIR]);
  return {
    env: {
      AWS_ROLE_ARN: identity.roleArn, AWS_WEB_IDENTITY_TOKEN_FILE: `${IRSA_TOKEN_DIR}/token`, AWS_REGION: S3_SERVER_REGION,
      AWS_STS_REGIONAL_ENDPOINTS: 'regional', S3_STS_ENDPOINT: identity.stsEndpoint,
    },
    binds: [{ source: path.join(dir, 'aws-iam-token'), target: IRSA_TOKEN_DIR, readOnly: true }],
  };
}

function writeFiles(dir: string, files: { [name: string]: string }, mode: number): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), content, { mode });
    fs.chmodSync(path.join(dir, name), mode);
    // A Secret volume with defaultMode 0440 and fsGroup 999: root-owned, group-readable.
    fs.chownSync(path.join(dir, name), 0, BACKUP_UID);
  }
}

let runs = 0;

/** A new directory name under the cluster's work directory for one container run of `kind`. */
export function runDir(c: MySqlCluster, kind: string): string {
  return path.join(c.workDir, `${kind}-${++runs}`);
}

/**
 * A CronJob's container in the chroot as its pod spec says: uid/gid 999 with its fsGroup, read-only root, the
 * cluster's /etc (its DNS), `binds` as its volumes, `env`. Killed (its process group, a temporary mysqld too)
 * when it overruns; its scratch volume and /tmp must be empty afterwards.
 */
export interface ContainerRun {
  readonly script: string;
  /** Default: the container's. */
  readonly command?: string[];
  readonly binds: Bind[];
  readonly env: { [name: string]: string };
  readonly timeoutMs: number;
}
export async function runContainer(c: MySqlCluster, dir: string, pod: any, run: ContainerRun): Promise<Omit<BackupRun, 'podUid'>> {
  const container = pod.containers[0];
  const mounted = (sub: string) => container.volumeMounts.some((m: any) => m.name === sub);
  for (const sub of ['scratch', 'tmp'].filter(mounted)) expect(run.binds.find((b) => b.source === path.join(dir, sub))).toBeDefined();
  const logFile = path.join(dir, `${run.script.replace(/\.sh$/, '')}.log`);
  const started = Date.now();
  const proc = c.chroot.spawn({
    binds: run.binds, uid: pod.securityContext.runAsUser, gid: pod.securityContext.runAsGroup, groups: [pod.securityContext.fsGroup], env: run.env,
    command: run.command ?? container.command, readOnlyRoot: container.securityContext.readOnlyRootFilesystem, logFile, etc: c.etcDir,
  });
  const exited = exitOf(proc);
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), run.timeoutMs); });
  try {
    const code = await Promise.race([exited, overrun]);
    const log = fs.readFileSync(logFile, 'utf8');
    if (code === 'timeout') throw new Error(`${run.script} did not finish within ${run.timeoutMs / 1000}s:\n${log}`);
    process.stderr.write(`----- ${run.script} (exit ${code}) -----\n${log}`);
    // Nothing of it outlives it (the temporary mysqld is stopped by the script itself).
    if (mounted('scratch')) expect(fs.readdirSync(path.join(dir, 'scratch'))).toEqual([]);
    if (run.script !== 'backup.sh') expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    return { code, log, seconds: (Date.now() - started) / 1000 };
  } finally {
    clearTimeout(timer);
    killGroup(proc, 'SIGKILL');
    await exited;
  }
}

/** The volumes' host directories: the Secrets' files (root-owned, group 999), the scratch volume and /tmp. */
export function podDirs(dir: string, secrets: { [sub: string]: { [file: string]: string } }, scripts: { [file: string]: string }): void {
  writeFiles(path.join(dir, 'scripts'), scripts, 0o644);
  for (const [sub, files] of Object.entries(secrets)) writeFiles(path.join(dir, sub), files, 0o440);
  for (const [sub, mode] of [['scratch', 0o2775], ['tmp', 0o1777]] as const) {
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.chownSync(path.join(dir, sub), 0, BACKUP_UID);
    fs.chmodSync(path.join(dir, sub), mode);
  }
}

/**
 * The container's volumes as binds, as its volumeMounts say: each volume's directory under `dir` (the ConfigMap's
 * `tools` as `scripts`) at its mount path, read-only where the mount is. Mount points are made: under /etc in the
 * cluster's /etc, which the container sees, elsewhere in the chroot.
 */
export function podBinds(c: MySqlCluster, dir: string, container: any): Bind[] {
  return container.volumeMounts.map((m: any) => {
    if (m.mountPath.startsWith('/etc/')) fs.mkdirSync(path.join(c.etcDir, m.mountPath.slice('/etc/'.length)), { recursive: true });
    else c.chroot.ensureMountPoints([m.mountPath]);
    return { source: path.join(dir, m.name === 'tools' ? 'scripts' : m.name), target: m.mountPath, readOnly: m.readOnly === true };
  });
}

/** A container's env as the kubelet gives it: the manifest's values and field references (namespace, pod uid). */
export function containerEnv(c: MySqlCluster, container: any, podUid: string): { [name: string]: string } {
  const fieldRefs: { [field: string]: string } = { 'metadata.namespace': c.namespace, 'metadata.uid': podUid };
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp',
    ...Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? fieldRefs[e.valueFrom.fieldRef.fieldPath]])),
  };
}

const mountsOf = (container: any): { [volume: string]: string } => Object.fromEntries(container.volumeMounts.map((m: any) => [m.name, m.mountPath]));
const mounts = (container: any, volume: string): boolean => container.volumeMounts.some((m: any) => m.name === volume);
const mountsTls = (container: any): boolean => mounts(container, 'tls');

/** Where a pod that reaches the members (the backup, the archiver) mounts what: the scratch volume at `scratch`, the CA with tls only. */
function memberPodMounts(container: any, scratch: string): { [volume: string]: string } {
  return {
    tools: SCRIPTS, credentials: CREDENTIALS, ...(mounts(container, 's3') ? { s3: S3_KEYS } : {}), ...(mountsTls(container) ? { tls: TLS } : {}), scratch, tmp: '/tmp',
  };
}

/** The Secrets' files of such a pod: the backup password, the S3 key (the harness's server's), the members' CA with tls. */
function memberPodSecrets(c: MySqlCluster, container: any, server: S3Server, options: { password?: string; secretKey?: string } = {}) {
  return {
    credentials: { 'backup-password': options.password ?? backupPassword(c) },
    s3: { 'access-key-id': server.accessKey, 'secret-access-key': options.secretKey ?? server.secretKey },
    ...(mountsTls(container) ? { tls: { 'ca.crt': c.tlsCa() } } : {}),
  };
}

/**
 * backup.sh as the CronJob's container: uid/gid 999, read-only root, the cluster's /etc (its DNS),
 * the ConfigMap's scripts, the backup password, the S3 keys and the members' CA as read-only volumes,
 * a scratch volume and /tmp. Killed (its process group, the recipient mysqld too) when it overruns.
 */
export async function runBackup(c: MySqlCluster, server: S3Server, options: BackupOptions = {}): Promise<BackupRun> {
  const dir = runDir(c, 'backup');
  const pod = backupPodSpec(c);
  const container = pod.containers[0];
  // What the manifest mounts where this test puts it (the paths are the script's defaults too; the CA with tls only).
  expect(mountsOf(container)).toEqual(memberPodMounts(container, SCRATCH));
  const configMap = pod.volumes.find((v: any) => v.name === 'tools').configMap.name;
  podDirs(dir, memberPodSecrets(c, container, server, options), c.configMap(configMap)!.data!);
  const podUid = randomUUID();
  const identity = injected(c, dir, options.identity);
  const env: { [name: string]: string } = {
    ...containerEnv(c, container, podUid), ...identity.env,
    // The harness's server stands in for the manifest's endpoint.
    S3_ENDPOINT: options.endpoint ?? server.endpoint, S3_REGION: S3_SERVER_REGION,
    // S3's smallest part, so that a small cluster's backup still goes up in several parts.
    S3_PART_SIZE: '5M',
  };
  if (options.user !== undefined) env.BACKUP_USER = options.user;
  if (options.prefix !== undefined) env.S3_PREFIX = options.prefix;
  const run = await runContainer(c, dir, pod, {
    script: 'backup.sh',
    binds: [...podBinds(c, dir, container), ...identity.binds],
    env, timeoutMs: options.timeoutMs ?? 300_000,
  });
  return { ...run, podUid };
}

/**
 * prune.sh as the manifest's CronJob `<name>-backup-prune` runs it: its command, env and mounts (the ConfigMap's
 * scripts, the S3 key, /tmp; no scratch volume, no MySQL password); `env` adds to the manifest's (PRUNE_CLOCK_SKEW).
 */
export async function runPrune(
  c: MySqlCluster, server: S3Server, env: { [name: string]: string } = {}, options: { identity?: InjectedIdentity } = {},
): Promise<BackupRun> {
  const dir = runDir(c, 'prune');
  const pod = podSpecOf(c, `${c.name}-backup-prune`);
  const container = pod.containers[0];
  expect(mountsOf(container)).toEqual({ tools: SCRIPTS, ...(mounts(container, 's3') ? { s3: S3_KEYS } : {}), tmp: '/tmp' });
  podDirs(dir, { s3: { 'access-key-id': server.accessKey, 'secret-access-key': server.secretKey } },
    c.configMap(pod.volumes.find((v: any) => v.name === 'tools').configMap.name)!.data!);
  const podUid = randomUUID();
  const identity = injected(c, dir, options.identity);
  const run = await runContainer(c, dir, pod, {
    script: 'prune.sh', binds: [...podBinds(c, dir, container), ...identity.binds],
    env: { ...containerEnv(c, container, podUid), ...identity.env, S3_ENDPOINT: server.endpoint, S3_REGION: S3_SERVER_REGION, ...env },
    timeoutMs: 120_000,
  });
  expect(run.log).not.toContain(server.secretKey);
  return { ...run, podUid };
}

export interface VerifyOptions {
  readonly prefix?: string;
  /** ListObjectsV2's max-keys (S3_LIST_MAX_KEYS): 1 makes versitygw answer a page per key (gofakes3 ignores it). */
  readonly listMaxKeys?: number;
  readonly identity?: InjectedIdentity;
}

/**
 * verify-backup.sh as the manifest's CronJob `<name>-backup-verify` runs it: its command, env and mounts (the
 * ConfigMap's scripts, the S3 keys, a scratch volume and /tmp; no members' credentials, no CA).
 */
export async function runVerify(c: MySqlCluster, server: S3Server, options: VerifyOptions = {}): Promise<BackupRun> {
  const dir = runDir(c, 'verify');
  const pod = podSpecOf(c, `${c.name}-backup-verify`);
  const container = pod.containers[0];
  expect(container.command).toEqual(['bash', `${SCRIPTS}/verify-backup.sh`]);
  expect(mountsOf(container)).toEqual({ tools: SCRIPTS, ...(mounts(container, 's3') ? { s3: S3_KEYS } : {}), scratch: SCRATCH, tmp: '/tmp' });
  const configMap: { [file: string]: string } = c.configMap(pod.volumes.find((v: any) => v.name === 'tools').configMap.name)!.data!;
  podDirs(dir, { s3: { 'access-key-id': server.accessKey, 'secret-access-key': server.secretKey } }, configMap);
  const podUid = randomUUID();
  const identity = injected(c, dir, options.identity);
  const env = { ...containerEnv(c, container, podUid), ...identity.env };
  // The harness's server stands in for the manifest's endpoint.
  env.S3_ENDPOINT = server.endpoint;
  env.S3_REGION = S3_SERVER_REGION;
  if (options.prefix !== undefined) env.S3_PREFIX = options.prefix;
  if (options.listMaxKeys !== undefined) env.S3_LIST_MAX_KEYS = String(options.listMaxKeys);
  const run = await runContainer(c, dir, pod, {
    script: 'verify-backup.sh',
    binds: [...podBinds(c, dir, container), ...identity.binds],
    env, timeoutMs: 300_000,
  });
  // No secret in its log, and its last line says how it ended.
  expect(run.log).not.toContain(server.secretKey);
  expect(run.log.trimEnd().split('\n').pop()).toMatch(/^verify-backup\.sh: (VERIFIED|VERIFY FAILED) /);
  return { ...run, podUid };
}

/** The pod template of the manifest's CronJob `name`. */
export function podSpecOf(c: MySqlCluster, name: string): any {
  const cron = c.manifests().find((o) => o.kind === 'CronJob' && o.metadata.name === name);
  if (!cron) throw new Error(`the manifests have no CronJob ${name}`);
  return cron.spec.jobTemplate.spec.template.spec;
}

/** The pod template of the manifest's backup CronJob. */
export function backupPodSpec(c: MySqlCluster): any {
  return podSpecOf(c, `${c.name}-backup`);
}

/** The backup user's password: the members' credentials Secret, as the harness created it. */
export function backupPassword(c: MySqlCluster): string {
  const volume = backupPodSpec(c).volumes.find((v: any) => v.name === 'credentials').secret;
  const value = c.secretFor(0, volume.secretName)?.[volume.items[0].key];
  if (value === undefined) throw new Error(`the harness made no ${volume.items[0].key} in Secret ${volume.secretName}`);
  return value;
}

export function parseMeta(text: string): { [key: string]: string } {
  expect(text.endsWith('\n')).toBe(true);
  return Object.fromEntries(text.trimEnd().split('\n').map((line) => {
    const i = line.indexOf('=');
    expect(i).toBeGreaterThan(0);
    return [line.slice(0, i), line.slice(i + 1)];
  }));
}

/** A running archiver (the Deployment's container): its log, its readiness verdict, and a way to stop it. */
export interface Archiver {
  readonly podUid: string;
  log(): string;
  /** What archiver.sh last wrote for the readiness probe ('' before the first look). */
  status(): string;
  /** Stops it (SIGTERM: it uploads what is closed and exits; SIGKILL: mid-file) and waits for it. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

const SPOOL = '/var/lib/mysql-archive';

/**
 * archiver.sh as the manifest's Deployment `<name>-binlog-archiver` runs it: its command, env and mounts (the
 * ConfigMap's scripts, the backup password, the S3 keys, the members' CA, the spool and /tmp), uid 999, read-only
 * root; the harness's S3 server stands in for the manifest's endpoint. Runs until stopped.
 */
export function startArchiver(c: MySqlCluster, server: S3Server, env: { [name: string]: string } = {}): Archiver {
  const dir = runDir(c, 'archiver');
  const deployment = c.manifests().find((o) => o.kind === 'Deployment' && o.metadata.name === `${c.name}-binlog-archiver`);
  if (!deployment) throw new Error(`the manifests have no Deployment ${c.name}-binlog-archiver`);
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  expect(mountsOf(container)).toEqual(memberPodMounts(container, SPOOL));
  podDirs(dir, memberPodSecrets(c, container, server), c.configMap(pod.volumes.find((v: any) => v.name === 'tools').configMap.name)!.data!);
  const podUid = randomUUID();
  const logFile = path.join(dir, 'archiver.log');
  const proc = c.chroot.spawn({
    binds: podBinds(c, dir, container),
    uid: pod.securityContext.runAsUser, gid: pod.securityContext.runAsGroup, groups: [pod.securityContext.fsGroup],
    env: { ...containerEnv(c, container, podUid), S3_ENDPOINT: server.endpoint, S3_REGION: S3_SERVER_REGION, ...env },
    command: container.command, readOnlyRoot: container.securityContext.readOnlyRootFilesystem, logFile, etc: c.etcDir,
  });
  const exited = exitOf(proc);
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  return {
    podUid,
    log: () => read(logFile),
    status: () => read(path.join(dir, 'tmp', 'archiver.status')).trim(),
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      killGroup(proc, signal);
      const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      killGroup(proc, 'SIGKILL');
      process.stderr.write(`----- archiver.sh (${podUid}, exit ${code}) -----\n${read(logFile)}`);
      return code;
    },
  };
}

/** The bucket, the S3 server (versitygw, started for the test file) and the store the manifests of a restore test name. */
export interface RestoreStore {
  server(): S3Server;
  /** The store at `endpoint` (the manifest's; the harness's server stands in for it, or is named directly). */
  storage(endpoint: string): MySqlBackupStorage;
  /** A cluster of `objects` with the harness's Secrets and the S3 key the manifests reference (Secret backup-s3). */
  clusterOf(objects: Manifest[]): MySqlCluster;
  /** A new cluster `mysql` of one member of `image` (none until scaled) restored from the store at `point`. */
  restored(image: string, point: (r: MySqlRestoreSource) => MySqlRestore): MySqlCluster;
}

/** Starts versitygw for the test file (stopped after it) and serves bucket `bucket` under `prefix`. */
export function restoreStore(bucket: string, prefix: string): RestoreStore {
  let server: S3Server | undefined;
  beforeAll(async () => {
    s3ServerBinaries();
    server = await startS3Server({ kind: 'versitygw', bucket });
  }, 900_000);
  afterAll(async () => { await server?.dispose(); });
  const s3 = () => server!;
  const storage = (endpoint: string) => MySqlBackupStorage.s3({
    bucket, prefix, region: 'us-east-1', endpoint, allowPlainHttp: endpoint.startsWith('http:'), credentials: S3Credentials.fromSecret('backup-s3'),
  });
  const clusterOf = (objects: Manifest[]) => {
    const sts = objects.find((o) => o.kind === 'StatefulSet')!;
    return newCluster(objects, {
      secrets: { ...generateSecrets(sts, objects, 'mysql'), 'backup-s3': { 'access-key-id': s3().accessKey, 'secret-access-key': s3().secretKey } },
    });
  };
  return {
    server: s3,
    storage,
    clusterOf,
    restored: (image, point) => {
      const objects = synthObjects((chart) => new ReplicatedMySql(chart, 'mysql', {
        image, replicas: 1, restore: point(MySqlRestore.fromBackup({ storage: storage(s3().endpoint) })),
      }));
      objects.find((o) => o.kind === 'StatefulSet')!.spec.replicas = 0;
      return clusterOf(objects);
    },
  };
}

/** Every GTID of a set in text ("uuid:1-3:5,uuid2:7"), one by one. */
export function expandGtids(set: string): string[] {
  return set.split(',').filter((x) => x !== '').flatMap((part) => {
    const [uuid, ...ranges] = part.split(':');
    return ranges.flatMap((r) => {
      const [lo, hi] = r.split('-').map(Number);
      return Array.from({ length: (hi ?? lo) - lo + 1 }, (_, i) => `${uuid}:${lo + i}`);
    });
  });
}

/** The binary log archive's records under `base` (`<prefix>/<namespace>/<name>`), in order: each meta's keys and its object key. */
export async function archiveRecords(server: S3Server, bucket: string, base: string): Promise<Array<{ [key: string]: string }>> {
  const s3 = server.client();
  const keys = (await s3.listObjects(bucket, `${base}/binlog/`)).map((o) => o.key).filter((k) => k.endsWith('.meta')).sort();
  const out: Array<{ [key: string]: string }> = [];
  for (const key of keys) {
    const text = (await s3.getObject(bucket, key)).body.toString('utf8');
    out.push({ ...Object.fromEntries(text.trimEnd().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])), key });
  }
  return out;
}
