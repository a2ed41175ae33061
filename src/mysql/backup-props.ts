/** The public choices of ReplicatedMySql's backups: where they go, how the pods sign in, when they run. */
import { Duration, Size } from 'cdk8s';
import type { ContainerResources } from 'cdk8s-plus-28';
import type { IStorageClass } from '../storage/disk-storage-class';

/** Keys of the S3 access key in its Secret. */
export interface S3SecretKeys {
  /**
   * Key of the access key id.
   * @default 'access-key-id'
   */
  readonly accessKeyId?: string;
  /**
   * Key of the secret access key.
   * @default 'secret-access-key'
   */
  readonly secretAccessKey?: string;
}

/** How the backup pods sign their requests to S3 (AWS Signature Version 4). */
export class S3Credentials {
  /**
   * An access key and its secret in a Secret of the cluster's namespace, created out of band
   * (kubectl, External Secrets, ...). The backup pods read it as files, never as environment variables.
   * Give the key only what backups need: s3:PutObject, s3:GetObject, s3:ListBucket and
   * s3:AbortMultipartUpload on the bucket and prefix (docs/backup.md: 'The bucket').
   * @param secretName the Secret's name
   * @param keys the Secret's keys, if they differ from the defaults
   */
  public static fromSecret(secretName: string, keys: S3SecretKeys = {}): S3Credentials {
    return new S3Credentials(secretName, { ...keys });
  }

  private constructor(
    /** The Secret with the access key. */
    public readonly secretName: string,
    /** @internal */ public readonly _keys: S3SecretKeys,
  ) {}
}

/** Where in S3 (or an S3-compatible store) backups are kept. */
export interface S3StorageOptions {
  /** The bucket (it must exist: the backups never create one). */
  readonly bucket: string;
  /**
   * A prefix under which every object of this cluster is kept, as `<prefix>/<namespace>/<name>/...`,
   * so clusters may share a bucket. No leading or trailing "/".
   * @default - the bucket's root
   */
  readonly prefix?: string;
  /** The region the requests are signed for, e.g. 'eu-central-1' ('us-east-1' for most S3-compatible servers). */
  readonly region: string;
  /**
   * The endpoint, `https://host[:port]` (path-style requests: `<endpoint>/<bucket>/<key>`).
   * @default - `https://s3.<region>.amazonaws.com`
   */
  readonly endpoint?: string;
  /** The access key. */
  readonly credentials: S3Credentials;
  /**
   * Allows an `http://` endpoint. A backup holds every row and every password hash of the cluster:
   * plain HTTP sends them readable by anyone on the path. Only for a store inside the cluster's own
   * network that cannot serve TLS.
   * @default false
   */
  readonly allowPlainHttp?: boolean;
}

/** Where backups are kept. */
export class MySqlBackupStorage {
  /** An S3 bucket, or a bucket of any store that speaks the S3 API with Signature Version 4. */
  public static s3(options: S3StorageOptions): MySqlBackupStorage {
    return new MySqlBackupStorage({ ...options });
  }

  private constructor(/** @internal */ public readonly _s3: S3StorageOptions) {}
}

/** Scheduled full backups of a ReplicatedMySql. */
export interface MySqlBackupOptions {
  /** Where the backups go. */
  readonly storage: MySqlBackupStorage;
  /**
   * When a full backup is taken: a cron expression of five fields, or a macro such as '@daily',
   * in UTC (the CronJob's timeZone is Etc/UTC).
   * @default '0 3 * * *'
   */
  readonly schedule?: string;
  /**
   * When the newest backup is restored into a throw-away server and checked (a CronJob
   * `<name>-backup-verify`): its checksum, that it starts, that its GTID set is the one recorded, and
   * `CHECK TABLE` of every table; the result goes to the bucket beside the backups (`verify/`) and a
   * failure fails the Job. A cron expression in UTC, like `schedule`. A backup never restored is not a backup.
   * @default - never
   */
  readonly verifySchedule?: string;
  /**
   * The MySQL account the backups use (BACKUP_ADMIN and what picks a donor; its password is the
   * credentials Secret's key `backupPassword`, 'backup-password' by default).
   * @default 'backup'
   */
  readonly user?: string;
  /**
   * The image of the backup pods: the members' MySQL version, with `tar` and curl 7.87 or later (which
   * signs S3 uploads right). The official `mysql` images (Oracle Linux slim) have neither: build one
   * `FROM` them, or use a Debian-based build of the same version (docs/backup.md: 'The image').
   * @default - the members' image
   */
  readonly image?: string;
  /**
   * The StorageClass of the scratch volume. A backup pod's volume holds a full copy of the data: with a
   * class that retains volumes after their claims are deleted (`reclaimPolicy: Retain`, this library's
   * DiskStorageClass default) every backup would leave one behind, so such a class is refused.
   * @default - the members' StorageClass
   */
  readonly scratchStorageClass?: IStorageClass;
  /**
   * How long one backup (or verification) may run before Kubernetes stops it as failed (the Job's
   * `activeDeadlineSeconds`): a pod stuck Pending would otherwise hold off every later run.
   * @default Duration.hours(6)
   */
  readonly timeout?: Duration;
  /**
   * Size of the scratch volume a backup clones into (a generic ephemeral volume of the members'
   * StorageClass, deleted with the pod). It must hold the whole data directory.
   * @default - the members' storage size
   */
  readonly scratchSize?: Size;
  /**
   * Requests and limits of the backup container (a throw-away mysqld that receives the clone, tar and gzip).
   * @default - cpu 250m, memory 1Gi (request and limit)
   */
  readonly resources?: ContainerResources;
}
