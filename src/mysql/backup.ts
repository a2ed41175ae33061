/**
 * ReplicatedMySql's backups, checked: where they go, how the pods sign in, when they run. The objects
 * are in backup-jobs.ts.
 */
import { Duration, Size } from 'cdk8s';
import type { ContainerResources } from 'cdk8s-plus-28';
import { checkShape } from '../check';
import { sizeBytes } from '../container/resources';
import { Validator } from '../errors';
import { checkConfigKey, checkDns1123Subdomain, isPinnedImage, parseImage } from '../names';
import { DiskStorageClass, IStorageClass, ReclaimPolicy } from '../storage/disk-storage-class';
import { shapeOf } from '../shapes';
import { MySqlBackupOptions, MySqlBackupRetention, MySqlBackupStorage, S3Credentials } from './backup-props';

/** What the backups are, checked. */
export interface BackupPlan extends StoragePlan {
  readonly schedule: string;
  /** When the newest backup is restored and checked (undefined: never). */
  readonly verifySchedule?: string;
  readonly scratchSize: Size;
  /** The scratch volume's class (undefined: the cluster's default). */
  readonly scratchStorageClassName?: string;
  /** The backup pods' image (undefined: the members'). */
  readonly image?: string;
  readonly timeoutSeconds: number;
  readonly resources?: ContainerResources;
  /** Seconds between two rotations of the primary's binary log, with binlog archiving (undefined: no archiving). */
  readonly binlogFlushSeconds?: number;
  /** The server_id of the archiver's dump connection: no member's (the source would drop a member's dump for it). */
  readonly archiverServerId: number;
  /** What the prune job keeps (undefined: no prune job). */
  readonly retention?: RetentionPlan;
}

/** `backup.retention`, checked. */
export interface RetentionPlan {
  readonly schedule: string;
  /** 0: by age alone. */
  readonly keepBackups: number;
  /** 0: by count alone. */
  readonly keepSeconds: number;
  readonly credentials: S3CredentialsPlan;
}

/** How a pod signs in to S3: the Secret with an access key and its keys, or its ServiceAccount's cloud identity. */
export interface S3CredentialsPlan {
  /** undefined: the ServiceAccount's identity. */
  readonly secretName?: string;
  readonly accessKeyIdKey: string;
  readonly secretAccessKeyKey: string;
  /** The ServiceAccount's annotations that give the identity (`fromServiceAccount`). */
  readonly serviceAccountAnnotations?: { [key: string]: string };
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// (only characters that need no percent-encoding: curl signs the path as it sends it)
const PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const REGION = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ENDPOINT = /^(https?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?\/?$/;
const CRON_FIELD = /^[0-9A-Za-z*?/,-]+$/;
const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/**
 * Checks `backup` (undefined: no backups). `members` are the members' image and volumes (the defaults of the backup pods')
 * and their server ids (serverIdBase + ordinal, up to `lastServerId`).
 */
export function planBackup(
  v: Validator, backup: MySqlBackupOptions | undefined,
  members: { image: string; size: Size; storageClass?: IStorageClass; serverIdBase: number; lastServerId: number },
): BackupPlan | undefined {
  if (backup === undefined) return undefined;
  const storage = planStorage(v, 'backup.storage', backup.storage);
  return {
    schedule: checkSchedule(v, 'backup.schedule', backup.schedule ?? '0 3 * * *'),
    verifySchedule: backup.verifySchedule === undefined ? undefined : checkSchedule(v, 'backup.verifySchedule', backup.verifySchedule),
    ...storage,
    scratchSize: checkScratch(v, backup.scratchSize ?? members.size),
    scratchStorageClassName: checkScratchClass(v, backup.scratchStorageClass, members.storageClass),
    image: checkToolsImage(v, 'backup.image', backup.image, members.image),
    timeoutSeconds: checkTimeout(v, backup.timeout ?? Duration.hours(6)),
    binlogFlushSeconds: backup.binlogArchive === false ? undefined : checkFlush(v, backup.binlogFlushInterval ?? Duration.seconds(60)),
    // (below the members' ids, or above them when the base is 1)
    archiverServerId: members.serverIdBase > 1 ? members.serverIdBase - 1 : members.lastServerId + 1,
    resources: backup.resources,
    retention: backup.retention === undefined ? undefined : planRetention(v, backup.retention, storage),
  };
}

const MAX_KEEP_BACKUPS = 10_000;

function planRetention(v: Validator, retention: MySqlBackupRetention, storage: StoragePlan): RetentionPlan {
  const { keepBackups, keepFor } = retention;
  if (keepBackups === undefined && keepFor === undefined) {
    v.fail('backup.retention', '{}', 'keeps nothing: without keepBackups or keepFor every backup could go', 'give keepBackups (e.g. 7), keepFor (e.g. Duration.days(7)), or both');
  }
  if (keepBackups !== undefined && !(Number.isInteger(keepBackups) && keepBackups >= 1 && keepBackups <= MAX_KEEP_BACKUPS)) {
    v.fail('backup.retention.keepBackups', keepBackups, `must be a whole number from 1 to ${MAX_KEEP_BACKUPS}`, 'use e.g. 7 (a week of daily backups)');
  }
  const keepSeconds = keepFor === undefined ? 0 : keepFor instanceof Duration ? keepFor.toSeconds({ integral: false }) : NaN;
  if (keepFor !== undefined && !(Number.isInteger(keepSeconds / 3600) && keepSeconds >= 3600)) {
    v.fail('backup.retention.keepFor', keepFor instanceof Duration ? `${keepSeconds}s` : keepFor, 'must be a whole number of hours, at least one', 'use e.g. Duration.days(7)');
  }
  return {
    schedule: checkSchedule(v, 'backup.retention.schedule', retention.schedule ?? '0 5 * * *'),
    keepBackups: keepBackups ?? 0,
    keepSeconds,
    credentials: retention.credentials === undefined
      ? {
          secretName: storage.secretName, accessKeyIdKey: storage.accessKeyIdKey, secretAccessKeyKey: storage.secretAccessKeyKey,
          serviceAccountAnnotations: storage.serviceAccountAnnotations,
        }
      : planS3Credentials(v, 'backup.retention.credentials', retention.credentials, false),
  };
}

/** Where in S3 a cluster's backups are, and how to sign in: `backup.storage`, or `restore`'s. */
export interface StoragePlan extends S3CredentialsPlan {
  readonly bucket: string;
  /** '' for the bucket's root. */
  readonly prefix: string;
  readonly region: string;
  readonly endpoint: string;
}

/**
 * Checks a MySqlBackupStorage (`prop` names it in errors). `serviceAccount`: what signs in with the ServiceAccount's
 * identity, if anything may (the backup pods' ServiceAccount; a restore runs under the members' own).
 */
export function planStorage(v: Validator, prop: string, storage: MySqlBackupStorage, serviceAccount = true): StoragePlan {
  // (checkProps checked that storage is a MySqlBackupStorage; its options come from a static method, checked here)
  const s3 = storage._s3;
  checkShape(v, `${prop} (MySqlBackupStorage.s3)`, s3, shapeOf('S3StorageOptions'));
  if (typeof s3.bucket !== 'string' || !BUCKET.test(s3.bucket) || s3.bucket.includes('..')) {
    v.fail(`${prop}.bucket`, s3.bucket, 'is not an S3 bucket name (3-63 lower-case letters, digits, "." and "-")', 'pass the name of an existing bucket, e.g. "db-backups"');
  }
  const prefix = s3.prefix ?? '';
  if (prefix !== '' && (typeof prefix !== 'string' || !PREFIX.test(prefix) || prefix.length > 200)) {
    v.fail(`${prop}.prefix`, prefix, 'must be path segments of letters, digits and ._- joined by "/", without a leading or trailing "/", at most 200 characters', 'use a prefix such as "mysql/prod"');
  }
  if (typeof s3.region !== 'string' || !REGION.test(s3.region)) {
    v.fail(`${prop}.region`, s3.region, 'is not a region name', 'pass the bucket\'s region, e.g. "eu-central-1" ("us-east-1" for most S3-compatible servers)');
  }
  const endpoint = (s3.endpoint ?? `https://s3.${s3.region}.amazonaws.com`).replace(/\/$/, '');
  const scheme = ENDPOINT.exec(endpoint)?.[1];
  if (scheme === undefined) v.fail(`${prop}.endpoint`, s3.endpoint, 'is not https://host[:port] (no path: requests are path-style)', 'pass e.g. "https://s3.eu-central-1.amazonaws.com"');
  if (scheme === 'http' && s3.allowPlainHttp !== true) {
    v.fail(`${prop}.endpoint`, s3.endpoint, 'is plain HTTP: every row and password hash of the cluster would cross the network readable',
      'use an https:// endpoint, or set allowPlainHttp: true for a store inside the cluster\'s own network');
  }
  return { bucket: s3.bucket, prefix, region: s3.region, endpoint, ...planS3Credentials(v, `${prop}.credentials`, s3.credentials, serviceAccount) };
}

const ANNOTATION_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** The cloud identity of the backup pods' ServiceAccount (`serviceAccount`: whether `prop` may use one). */
function planServiceAccount(v: Validator, prop: string, credentials: S3Credentials, serviceAccount: boolean): S3CredentialsPlan {
  if (!serviceAccount) {
    v.fail(prop, 'S3Credentials.fromServiceAccount(...)', prop.startsWith('restore')
      ? 'is a ServiceAccount identity, but the restore runs in the members\' bootstrap under their own ServiceAccount'
      : 'is a ServiceAccount identity, but the backup pods share one ServiceAccount, whose identity the storage\'s credentials already set',
    prop.startsWith('restore') ? 'give the restore a key: S3Credentials.fromSecret(...)' : 'give retention its own key with S3Credentials.fromSecret(...), or remove retention.credentials and allow the role s3:DeleteObject');
  }
  const annotations = credentials._serviceAccount?.annotations;
  checkShape(v, `${prop} (S3Credentials.fromServiceAccount)`, credentials._serviceAccount, shapeOf('S3ServiceAccountOptions'));
  if (typeof annotations !== 'object' || annotations === null || Object.keys(annotations).length === 0) {
    v.fail(`${prop} annotations`, annotations, 'must name at least one annotation that gives the ServiceAccount its identity',
      'pass e.g. { \'eks.amazonaws.com/role-arn\': \'arn:aws:iam::123456789012:role/db-backups\' }');
  }
  for (const key of Object.keys(annotations ?? {})) {
    if (!ANNOTATION_KEY.test(key) || key.length > 316) v.fail(`${prop} annotations`, key, 'is not an annotation key', 'use a key such as "eks.amazonaws.com/role-arn"');
  }
  return { accessKeyIdKey: '', secretAccessKeyKey: '', serviceAccountAnnotations: { ...annotations } };
}

function planS3Credentials(v: Validator, prop: string, credentials: S3Credentials, serviceAccount: boolean): S3CredentialsPlan {
  if (credentials instanceof S3Credentials && credentials._serviceAccount !== undefined) {
    return planServiceAccount(v, prop, credentials, serviceAccount);
  }
  checkShape(v, `${prop} keys (S3Credentials.fromSecret)`, credentials._keys, shapeOf('S3SecretKeys'));
  const problem = typeof credentials.secretName === 'string' ? checkDns1123Subdomain(credentials.secretName) : 'must be a string';
  if (problem) v.fail(`${prop} (Secret name)`, credentials.secretName, problem, 'pass the name of the Secret with the access key');
  const accessKeyIdKey = credentials._keys.accessKeyId ?? 'access-key-id';
  const secretAccessKeyKey = credentials._keys.secretAccessKey ?? 'secret-access-key';
  for (const [name, key] of [['accessKeyId', accessKeyIdKey], ['secretAccessKey', secretAccessKeyKey]]) {
    const keyProblem = checkConfigKey(key);
    if (keyProblem) v.fail(`${prop} keys.${name}`, key, keyProblem, 'pass the Secret\'s key, e.g. "access-key-id"');
  }
  if (accessKeyIdKey === secretAccessKeyKey) v.fail(`${prop} keys.secretAccessKey`, secretAccessKeyKey, 'is the key of the access key id too', 'use two keys');
  return { secretName: credentials.secretName, accessKeyIdKey, secretAccessKeyKey };
}

function checkSchedule(v: Validator, prop: string, schedule: string): string {
  const fields = typeof schedule === 'string' ? schedule.trim().split(/\s+/) : [];
  const valid = fields.length === 1 ? CRON_MACROS.includes(fields[0]) : fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
  if (!valid) {
    v.fail(prop, schedule, 'is not a cron schedule of five fields or a macro such as "@daily" (in UTC; no TZ= or CRON_TZ=)', 'use e.g. "0 3 * * *" (03:00 UTC every day)');
  }
  return fields.join(' ');
}

function checkScratch(v: Validator, size: Size): Size {
  if (!(size instanceof Size) || !(sizeBytes(size) >= 2 ** 30)) {
    v.fail('backup.scratchSize', size instanceof Size ? `${sizeBytes(size)} bytes` : size, 'must be a Size of at least 1 GiB (it holds the whole data directory)', 'use the members\' storage size, e.g. Size.gibibytes(10)');
  }
  return size;
}

/** The scratch volume's class: one that deletes its volumes (a retained one would keep a full copy per backup). */
function checkScratchClass(v: Validator, given: IStorageClass | undefined, members: IStorageClass | undefined): string | undefined {
  const storageClass = given ?? members;
  if (storageClass instanceof DiskStorageClass && storageClass.reclaimPolicy === ReclaimPolicy.RETAIN) {
    v.fail(given ? 'backup.scratchStorageClass' : 'backup.scratchStorageClass (the members\' class)', storageClass.storageClassName,
      'retains volumes after their claims are deleted: every backup pod would leave a full copy of the data behind',
      'pass a class with reclaimPolicy: ReclaimPolicy.DELETE as backup.scratchStorageClass');
  }
  return storageClass?.storageClassName;
}

/** The official images: Oracle Linux slim, without tar, with a curl (7.76) that cannot sign S3 uploads. */
const OFFICIAL_MYSQL = ['mysql', 'library/mysql', 'docker.io/library/mysql', 'index.docker.io/library/mysql', 'container-registry.oracle.com/mysql/community-server'];

/** An image for the scripts that reach S3 (`prop`: backup.image or restore's image); undefined: the members'. */
export function checkToolsImage(v: Validator, prop: string, image: string | undefined, membersImage: string): string | undefined {
  const ref = image === undefined ? undefined : parseImage(image);
  if (image !== undefined && (!ref || !isPinnedImage(ref))) {
    v.fail(prop, image, 'is not an image reference pinned to a tag or digest', 'use an image of the members\' MySQL version, e.g. "registry.example.com/mysql-tools:9.7.4"');
  }
  if (image === undefined && OFFICIAL_MYSQL.includes(parseImage(membersImage)?.repository ?? '')) {
    v.fail(`${prop} (the members' image)`, membersImage,
      'is an official mysql image: it has no tar, and its curl (before 7.87) cannot sign S3 requests, so every backup and restore would fail',
      `set ${prop} to an image of the same MySQL version with tar and curl 7.87 or later (docs/backup.md: The image)`);
  }
  return image;
}

function checkFlush(v: Validator, interval: Duration): number {
  const seconds = interval instanceof Duration ? interval.toSeconds({ integral: false }) : NaN;
  if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= 3600)) {
    v.fail('backup.binlogFlushInterval', interval instanceof Duration ? `${seconds}s` : interval, 'must be a whole number of seconds from 1 to 3600',
      'use Duration.seconds(60) (what a lost cluster can lose at most, about)');
  }
  return seconds;
}

function checkTimeout(v: Validator, timeout: Duration): number {
  const seconds = timeout instanceof Duration ? timeout.toSeconds({ integral: false }) : NaN;
  if (!(Number.isInteger(seconds) && seconds >= 600)) {
    v.fail('backup.timeout', timeout instanceof Duration ? `${seconds}s` : timeout, 'must be a whole number of seconds of at least 10 minutes', 'use Duration.hours(6)');
  }
  return seconds;
}
