/**
 * What a ReplicatedMySql's manifests say about its backups (the store its backup CronJob names, the Secret with the
 * key), and the same manifests with `restore`: how the e2e harness serves and restores any synthesized directory.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Manifest } from './manifests';
import { DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY } from './s3';
import { Secrets } from './secrets';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

/** Where a cluster's backups go, as its backup CronJob's env and S3 key volume say. */
export interface StoreFacts {
  readonly bucket: string;
  readonly prefix: string;
  readonly secretName: string;
  readonly accessKeyIdKey: string;
  readonly secretAccessKeyKey: string;
  /** `<prefix>/<namespace>/<name>`: the cluster's part of the bucket. */
  readonly base: string;
  readonly archiver: boolean;
  readonly verify: boolean;
}

/** The store of the ReplicatedMySql `name` (undefined: it has no backup CronJob). */
export function storeFactsOf(objects: Manifest[], name: string, namespace: string): StoreFacts | undefined {
  const has = (kind: string, n: string) => objects.some((o) => o.kind === kind && o.metadata.name === n);
  const cron = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === `${name}-backup`);
  if (!cron) return undefined;
  const pod = cron.spec.jobTemplate.spec.template.spec;
  const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
  const secret = pod.volumes.find((v: any) => v.name === 's3').secret;
  const key = (path: string) => secret.items.find((i: any) => i.path === path).key;
  return {
    bucket: env.S3_BUCKET, prefix: env.S3_PREFIX ?? '', secretName: secret.secretName, accessKeyIdKey: key('access-key-id'), secretAccessKeyKey: key('secret-access-key'),
    base: [env.S3_PREFIX, namespace, name].filter((x) => x).join('/'),
    archiver: has('Deployment', `${name}-binlog-archiver`), verify: has('CronJob', `${name}-backup-verify`),
  };
}

/** The Secret with the harness's S3 key, under the name and keys the manifests reference. */
export function s3SecretOf(f: StoreFacts): Secrets {
  return { [f.secretName]: { [f.accessKeyIdKey]: DEFAULT_ACCESS_KEY, [f.secretAccessKeyKey]: DEFAULT_SECRET_KEY } };
}

/** What a restore reaches (restore.sh's RESTORE_TARGET and its value). */
export interface RestorePoint {
  readonly target: 'backup' | 'latest' | 'time' | 'gtid' | 'before-gtid';
  readonly value?: string;
  readonly backupId?: string;
  readonly allowHoles?: boolean;
}

/** Where the restore reads: the store, at an endpoint and region, and the cluster whose backups these are. */
export interface RestoreSource {
  readonly store: StoreFacts;
  readonly endpoint: string;
  readonly region: string;
  readonly sourceNamespace: string;
  readonly sourceName: string;
}

const SCRIPTS = path.join(__dirname, '../../../src/mysql/scripts');

/**
 * The manifests of ReplicatedMySql `name` with `restore` (what `restore: MySqlRestore.fromBackup(...).to...()` in the
 * same construct synthesizes; test/e2e/harness/with-restore.test.ts compares the two): the bootstrap's RESTORE_* and
 * S3_* env, the key's volume, and restore.sh and s3.sh in the scripts' ConfigMap.
 */
export function withRestore(objects: Manifest[], name: string, from: RestoreSource, point: RestorePoint): Manifest[] {
  const copy = clone(objects);
  const sts = copy.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name)!;
  const pod = sts.spec.template.spec;
  const boot = pod.initContainers.find((c: any) => c.name === 'bootstrap');
  const value = (n: string, v: string | number) => ({ name: n, value: String(v) });
  boot.env.push(
    value('RESTORE_NAME', from.sourceName), value('RESTORE_NAMESPACE', from.sourceNamespace), value('RESTORE_TARGET', point.target),
    ...(point.backupId !== undefined ? [value('RESTORE_BACKUP_ID', point.backupId)] : []),
    ...(point.value !== undefined ? [value('RESTORE_TARGET_VALUE', point.value)] : []),
    ...(point.allowHoles ? [value('RESTORE_ALLOW_HOLES', 1)] : []),
    { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
    value('S3_ENDPOINT', from.endpoint), value('S3_REGION', from.region), value('S3_BUCKET', from.store.bucket), value('S3_PREFIX', from.store.prefix),
    value('S3_CREDENTIALS_DIR', '/etc/mysql-restore/s3'), value('DONOR_WAIT_TIMEOUT', 6 * 3600),
  );
  boot.volumeMounts.push({ mountPath: '/etc/mysql-restore/s3', name: 'restore-s3', readOnly: true });
  const after = Math.max(...['credentials', 'kube-api', 'tls'].map((v) => pod.volumes.findIndex((x: any) => x.name === v)));
  pod.volumes.splice(after + 1, 0, {
    name: 'restore-s3',
    secret: {
      defaultMode: 0o440, secretName: from.store.secretName,
      items: [{ key: from.store.accessKeyIdKey, path: 'access-key-id' }, { key: from.store.secretAccessKeyKey, path: 'secret-access-key' }],
    },
  });
  const tools = boot.volumeMounts.find((m: any) => m.mountPath === '/etc/cdk8s-mysql').name;
  const configMap = copy.find((o) => o.kind === 'ConfigMap' && o.metadata.name === pod.volumes.find((v: any) => v.name === tools).configMap.name)!;
  for (const file of ['restore.sh', 's3.sh']) configMap.data[file] = fs.readFileSync(path.join(SCRIPTS, file), 'utf8');
  configMap.data = Object.fromEntries(Object.entries(configMap.data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return copy;
}
