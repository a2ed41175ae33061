/**
 * ReplicatedMySql's scheduled full backups: the checked plan, and the CronJob (`<name>-backup`, running
 * scripts/backup.sh in the members' image), its ServiceAccount and its NetworkPolicy.
 */
import { Size } from 'cdk8s';
import type { ContainerResources } from 'cdk8s-plus-28';
import { checkShape } from '../check';
import { cpuMillis, renderResources, restrictedSecurityContext } from '../container';
import { sizeBytes, sizeToQuantity } from '../container/resources';
import { Validator } from '../errors';
import { k8s, KubeCronJob, KubeNetworkPolicy, KubeServiceAccount } from '../kube';
import { checkConfigKey, checkDns1123Subdomain, LABEL_COMPONENT, LABEL_INSTANCE, LABEL_NAME, LABEL_VERSION } from '../names';
import { registerObject } from '../registry';
import { EGRESS_LEFT_OPEN, scannerChoices } from '../scanner-annotations';
import { shapeOf } from '../shapes';
import { MySqlBackupOptions, S3Credentials } from './backup-props';
import { TLS_DIR } from './config';
import { ObjectsContext } from './objects';
import { BACKUP_PASSWORD_FILE, CREDENTIALS_DIR, MYSQL_UID, TOOLS_DIR } from './pod';

/** What the backups are, checked. */
export interface BackupPlan {
  readonly schedule: string;
  readonly bucket: string;
  /** '' for the bucket's root. */
  readonly prefix: string;
  readonly region: string;
  readonly endpoint: string;
  readonly secretName: string;
  readonly accessKeyIdKey: string;
  readonly secretAccessKeyKey: string;
  readonly scratchSize: Size;
  readonly resources?: ContainerResources;
}

/** The pods' labels: what the members' NetworkPolicy admits on the MySQL port. */
export function backupPodLabels(name: string): { [key: string]: string } {
  return { [LABEL_NAME]: 'mysql-backup', [LABEL_INSTANCE]: name };
}

const SCRATCH = '/var/lib/mysql-backup';
const S3_KEYS_DIR = '/etc/mysql-backup/s3';
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;
const REGION = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ENDPOINT = /^(https?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?\/?$/;
const CRON_FIELD = /^[0-9A-Za-z*?/,-]+$/;
const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** Checks `backup` (undefined: no backups). `storageSize` is the members' volume size (the default scratch size). */
export function planBackup(v: Validator, backup: MySqlBackupOptions | undefined, storageSize: Size): BackupPlan | undefined {
  if (backup === undefined) return undefined;
  // (checkProps checked that storage is a MySqlBackupStorage; its options come from a static method, checked here)
  const s3 = backup.storage._s3;
  checkShape(v, 'backup.storage (MySqlBackupStorage.s3)', s3, shapeOf('S3StorageOptions'));
  if (typeof s3.bucket !== 'string' || !BUCKET.test(s3.bucket) || s3.bucket.includes('..')) {
    v.fail('backup.storage.bucket', s3.bucket, 'is not an S3 bucket name (3-63 lower-case letters, digits, "." and "-")', 'pass the name of an existing bucket, e.g. "db-backups"');
  }
  const prefix = s3.prefix ?? '';
  if (prefix !== '' && (typeof prefix !== 'string' || !PREFIX.test(prefix))) {
    v.fail('backup.storage.prefix', prefix, 'must be path segments of letters, digits and !_.*\'()- joined by "/", without a leading or trailing "/"', 'use a prefix such as "mysql/prod"');
  }
  if (typeof s3.region !== 'string' || !REGION.test(s3.region)) {
    v.fail('backup.storage.region', s3.region, 'is not a region name', 'pass the bucket\'s region, e.g. "eu-central-1" ("us-east-1" for most S3-compatible servers)');
  }
  const endpoint = (s3.endpoint ?? `https://s3.${s3.region}.amazonaws.com`).replace(/\/$/, '');
  const scheme = ENDPOINT.exec(endpoint)?.[1];
  if (scheme === undefined) v.fail('backup.storage.endpoint', s3.endpoint, 'is not https://host[:port] (no path: requests are path-style)', 'pass e.g. "https://s3.eu-central-1.amazonaws.com"');
  if (scheme === 'http' && s3.allowPlainHttp !== true) {
    v.fail('backup.storage.endpoint', s3.endpoint, 'is plain HTTP: every row and password hash of the cluster would cross the network readable',
      'use an https:// endpoint, or set allowPlainHttp: true for a store inside the cluster\'s own network');
  }
  const credentials = planS3Credentials(v, s3.credentials);
  return {
    schedule: checkSchedule(v, backup.schedule ?? '0 3 * * *'),
    bucket: s3.bucket, prefix, region: s3.region, endpoint, ...credentials,
    scratchSize: checkScratch(v, backup.scratchSize ?? storageSize),
    resources: backup.resources,
  };
}

function planS3Credentials(v: Validator, credentials: S3Credentials): { secretName: string; accessKeyIdKey: string; secretAccessKeyKey: string } {
  checkShape(v, 'backup.storage.credentials keys (S3Credentials.fromSecret)', credentials._keys, shapeOf('S3SecretKeys'));
  const problem = typeof credentials.secretName === 'string' ? checkDns1123Subdomain(credentials.secretName) : 'must be a string';
  if (problem) v.fail('backup.storage.credentials (Secret name)', credentials.secretName, problem, 'pass the name of the Secret with the access key');
  const accessKeyIdKey = credentials._keys.accessKeyId ?? 'access-key-id';
  const secretAccessKeyKey = credentials._keys.secretAccessKey ?? 'secret-access-key';
  for (const [prop, key] of [['accessKeyId', accessKeyIdKey], ['secretAccessKey', secretAccessKeyKey]]) {
    const keyProblem = checkConfigKey(key);
    if (keyProblem) v.fail(`backup.storage.credentials keys.${prop}`, key, keyProblem, 'pass the Secret\'s key, e.g. "access-key-id"');
  }
  if (accessKeyIdKey === secretAccessKeyKey) v.fail('backup.storage.credentials keys.secretAccessKey', secretAccessKeyKey, 'is the key of the access key id too', 'use two keys');
  return { secretName: credentials.secretName, accessKeyIdKey, secretAccessKeyKey };
}

function checkSchedule(v: Validator, schedule: string): string {
  const fields = typeof schedule === 'string' ? schedule.trim().split(/\s+/) : [];
  const valid = fields.length === 1 ? CRON_MACROS.includes(fields[0]) : fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
  if (!valid) {
    v.fail('backup.schedule', schedule, 'is not a cron schedule of five fields or a macro such as "@daily" (in UTC; no TZ= or CRON_TZ=)', 'use e.g. "0 3 * * *" (03:00 UTC every day)');
  }
  return fields.join(' ');
}

function checkScratch(v: Validator, size: Size): Size {
  if (!(size instanceof Size) || !(sizeBytes(size) >= 2 ** 30)) {
    v.fail('backup.scratchSize', size instanceof Size ? `${sizeBytes(size)} bytes` : size, 'must be a Size of at least 1 GiB (it holds the whole data directory)', 'use the members\' storage size, e.g. Size.gibibytes(10)');
  }
  return size;
}

/** The CronJob and what it runs as. `configMapName` holds the members' scripts; `image` is the members'. */
export function addBackup(c: ObjectsContext, b: BackupPlan, configMapName: string, image: string, networkPolicy: boolean): k8s.KubeCronJob {
  const { plan } = c;
  const name = `${plan.name}-backup`;
  const podLabels = backupPodLabels(plan.name);
  const labels: { [key: string]: string } = { ...c.labels, ...podLabels, [LABEL_COMPONENT]: 'backup' };
  delete labels[LABEL_VERSION];
  const metadata = { name, namespace: c.namespace, labels };
  const register = (kind: string) => registerObject(c.scope, c.v, 'backup', { kind, namespace: c.namespace, name }, 'give the ReplicatedMySql another name');
  new KubeServiceAccount(c.scope, 'BackupServiceAccount', { metadata: { ...metadata, labels: { ...labels } }, automountServiceAccountToken: false });
  register('ServiceAccount');
  const cronJob = new KubeCronJob(c.scope, 'BackupCronJob', {
    metadata: { ...metadata, labels: { ...labels } },
    spec: {
      schedule: b.schedule,
      timeZone: 'Etc/UTC',
      // One backup at a time: a slow one is never overtaken by the next, which would clone beside it.
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: { ...labels } },
        spec: { backoffLimit: 2, template: { metadata: { labels: { ...labels } }, spec: backupPod(c, b, name, configMapName, image) } },
      },
    },
  });
  register('batch/CronJob');
  if (networkPolicy) {
    // Nothing connects to it; it connects to the members and the store (egress stays open, as on every pod here).
    new KubeNetworkPolicy(c.scope, 'BackupNetworkPolicy', { metadata: { ...metadata, labels: { ...labels } }, spec: { podSelector: { matchLabels: podLabels }, policyTypes: ['Ingress'] } });
    register('networking.k8s.io/NetworkPolicy');
    scannerChoices(cronJob, { kubeScore: [EGRESS_LEFT_OPEN] });
  }
  return cronJob;
}

function backupPod(c: ObjectsContext, b: BackupPlan, name: string, configMapName: string, image: string): k8s.PodSpec {
  const { plan } = c;
  const value = (n: string, x: string | number) => ({ name: n, value: String(x) });
  const tls = plan.tlsSecretName !== undefined;
  return {
    // A failed attempt leaves no half-written data: the next one (backoffLimit) starts from a new scratch volume.
    restartPolicy: 'Never',
    serviceAccountName: name,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: MYSQL_UID, runAsGroup: MYSQL_UID, fsGroup: MYSQL_UID, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{
      name: 'backup',
      image,
      command: ['bash', `${TOOLS_DIR}/backup.sh`],
      env: [
        { name: 'MYSQL_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        value('MYSQL_SET_NAME', plan.name), value('MYSQL_SERVICE', plan.name), value('CLUSTER_DOMAIN', plan.clusterDomain),
        value('START_ORDINAL', plan.startOrdinal), value('REPLICAS', plan.replicas),
        ...(plan.group ? [value('REPLICATION_MODE', 'group')] : []),
        value('MYSQL_TLS', !tls ? 'self-signed' : plan.tls?._verifyPeers === false ? 'serve' : 'verify'),
        value('BACKUP_USER', plan.backupUser!), value('BACKUP_SCRATCH', SCRATCH),
        value('S3_ENDPOINT', b.endpoint), value('S3_REGION', b.region), value('S3_BUCKET', b.bucket), value('S3_PREFIX', b.prefix),
        value('S3_CREDENTIALS_DIR', S3_KEYS_DIR),
      ],
      resources: renderResources(c.v, 'backup.resources', b.resources, {
        cpu: { request: cpuMillis(250) },
        memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) },
        ephemeralStorage: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
      }),
      securityContext: restrictedSecurityContext(true),
      volumeMounts: [
        { name: 'tools', mountPath: TOOLS_DIR, readOnly: true },
        // (only the backup user's file, where the scripts read every password)
        { name: 'credentials', mountPath: CREDENTIALS_DIR, readOnly: true },
        { name: 's3', mountPath: S3_KEYS_DIR, readOnly: true },
        ...(tls ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : []),
        { name: 'scratch', mountPath: SCRATCH },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    }],
    volumes: backupVolumes(c, b, configMapName),
  };
}

function backupVolumes(c: ObjectsContext, b: BackupPlan, configMapName: string): k8s.Volume[] {
  const { plan } = c;
  const storageClassName = plan.appProps.volumes?.[0]?.storageClass?.storageClassName;
  return [
    { name: 'tools', configMap: { name: configMapName } },
    { name: 'credentials', secret: { secretName: plan.secretName, defaultMode: 0o440, items: [{ key: plan.backupPasswordKey, path: BACKUP_PASSWORD_FILE }] } },
    {
      name: 's3',
      secret: {
        secretName: b.secretName, defaultMode: 0o440,
        items: [{ key: b.accessKeyIdKey, path: 'access-key-id' }, { key: b.secretAccessKeyKey, path: 'secret-access-key' }],
      },
    },
    ...(plan.tlsSecretName !== undefined ? [{ name: 'tls', secret: { secretName: plan.tlsSecretName, defaultMode: 0o440, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] : []),
    {
      // The clone of the whole data directory: a volume of the members' class, made for the pod and deleted with it.
      name: 'scratch',
      ephemeral: {
        volumeClaimTemplate: {
          metadata: { labels: { ...backupPodLabels(plan.name) } },
          spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: k8s.Quantity.fromString(sizeToQuantity(b.scratchSize)) } } },
        },
      },
    },
    { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
  ];
}
