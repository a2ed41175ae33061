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

/** The cloud identity of the backup pods' ServiceAccount (`S3Credentials.fromServiceAccount`). */
export interface S3ServiceAccountOptions {
  /**
   * Annotations of the ServiceAccount `<name>-backup` that give its pods an IAM role through IRSA (IAM Roles for
   * Service Accounts), e.g. `{ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/db-backups' }`.
   */
  readonly annotations: { [key: string]: string };
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

  /**
   * The IAM role of the backup pods' ServiceAccount (IRSA on EKS, or any cluster whose pod identity webhook injects
   * `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE`): the pods exchange their projected token for temporary
   * credentials with STS `AssumeRoleWithWebIdentity` (renewed before they expire) and no key is stored anywhere.
   * The annotations go on the ServiceAccount `<name>-backup`, which the backup, the archiver, the verification and
   * the prune job share. Not for `restore` (the members' own ServiceAccount restores): give it a key with `fromSecret`.
   */
  public static fromServiceAccount(options: S3ServiceAccountOptions): S3Credentials {
    return new S3Credentials(undefined, {}, options);
  }

  private constructor(
    /** The Secret with the access key (undefined with `fromServiceAccount`). */
    public readonly secretName: string | undefined,
    /** @internal */ public readonly _keys: S3SecretKeys,
    /** @internal */ public readonly _serviceAccount?: S3ServiceAccountOptions,
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
   * Continuous archiving of the binary log (a Deployment `<name>-binlog-archiver`): every transaction goes to the
   * bucket beside the full backups, with the GTID set of each file and a continuity check, so that a restore can
   * reach any point in time after the oldest backup (docs/backup.md: Point-in-time recovery). Turning it on rolls
   * the members once (the primary's agent rotates the binary log, `binlogFlushInterval`).
   * @default true
   */
  readonly binlogArchive?: boolean;
  /**
   * How often the member that takes writes closes its binary log file so that the archiver uploads it: what a lost
   * cluster can lose at most is about this plus the upload. Shorter means more (smaller) files.
   * @default Duration.seconds(60)
   */
  readonly binlogFlushInterval?: Duration;
  /**
   * What old backups and archived binary logs a CronJob `<name>-backup-prune` deletes: never what a restore to a
   * point after the oldest backup kept needs (docs/backup.md: Retention).
   * @default - nothing is ever deleted (expire objects with the bucket's lifecycle rules instead)
   */
  readonly retention?: MySqlBackupRetention;
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

/**
 * Which backups a ReplicatedMySql keeps (`backup.retention`): the newest `keepBackups`, and with `keepFor` every one
 * needed to restore any point of that period (the newest finished before it too). Give one or both: a backup either
 * rule keeps is kept. The oldest backup kept is the oldest restore point; the binary log archived before it goes too.
 */
export interface MySqlBackupRetention {
  /**
   * How many of the newest full backups are kept.
   * @default - as many as `keepFor` needs
   */
  readonly keepBackups?: number;
  /**
   * How far back any point in time stays restorable (whole hours, at least one).
   * @default - as far as `keepBackups` reaches
   */
  readonly keepFor?: Duration;
  /**
   * When the prune job runs: a cron expression in UTC, like `schedule`.
   * @default '0 5 * * *'
   */
  readonly schedule?: string;
  /**
   * The access key the prune job signs in with: it needs `s3:DeleteObject` besides List, Get and Put, which the
   * backups' own key (`storage.credentials`) is better without (a leaked backup key then cannot delete backups).
   * @default - the storage's credentials
   */
  readonly credentials?: S3Credentials;
}

/** Where the backups to restore are: the store and the cluster that made them. */
export interface MySqlRestoreSourceOptions {
  /** The store the backups are in (as the source cluster's `backup.storage` names it: bucket, prefix, endpoint, credentials). */
  readonly storage: MySqlBackupStorage;
  /**
   * The namespace of the cluster whose backups these are (they are kept under `<prefix>/<namespace>/<name>/`).
   * @default - this cluster's namespace
   */
  readonly sourceNamespace?: string;
  /**
   * The name of the cluster whose backups these are.
   * @default - this cluster's name
   */
  readonly sourceName?: string;
  /**
   * The image the members' bootstrap init container runs in while `restore` is set: the members' MySQL
   * version, with `tar` and curl 7.87 or later, like `backup.image` (the official images have neither).
   * @default - the members' image
   */
  readonly image?: string;
}

/** How a point-in-time restore treats a hole in the archive. */
export interface MySqlRestorePointOptions {
  /**
   * A hole in the archive (transactions purged before the archiver had them, reported by it) between the backup
   * and the point stops the replay there instead of refusing the restore: the cluster then holds the backup and
   * what was archived before the hole, and the log says what was not applied. Only when no better backup exists.
   * @default false
   */
  readonly allowArchiveHoles?: boolean;
}

/** What a restore reaches: a full backup alone, or a point of the binary log archive after one (not part of the API). */
export interface RestoreTarget {
  /** 'backup' (a full backup only), 'latest', 'time', 'gtid' (included) or 'before-gtid'. */
  readonly kind: string;
  /** The backup id (kind 'backup'; '' for the newest), the time or the GTID. */
  readonly value: string;
  /** The point's options, as given (checked by the construct). */
  readonly options: MySqlRestorePointOptions;
}

/** A backup location, before the point to restore is chosen. */
export class MySqlRestoreSource {
  /** @internal */
  public static _of(options: MySqlRestoreSourceOptions): MySqlRestoreSource {
    return new MySqlRestoreSource(options);
  }

  private constructor(/** @internal */ public readonly _options: MySqlRestoreSourceOptions) {}

  /** The newest full backup (the one with the latest id that has a backup.meta) when the first member starts; no binary log. */
  public toLatestBackup(): MySqlRestore {
    return MySqlRestore._to(this._options, { kind: 'backup', value: '', options: {} });
  }

  /**
   * One full backup, by its id: the folder name under `backups/`, e.g. '20261207T030000Z-6f1c...' (the backup Job's
   * log line `BACKUP <id>: ...`); no binary log. A restore that must give the same result whenever it runs names one.
   */
  public toBackup(backupId: string): MySqlRestore {
    return MySqlRestore._to(this._options, { kind: 'backup', value: backupId, options: {} });
  }

  /** The newest full backup and every transaction archived after it (`backup.binlogArchive`): the last second the archive holds. */
  public toLatest(options: MySqlRestorePointOptions = {}): MySqlRestore {
    return MySqlRestore._to(this._options, { kind: 'latest', value: '', options: { ...options } });
  }

  /**
   * The state at a time: the newest full backup that finished before it, and every archived transaction committed up
   * to it (by its original commit time, to the microsecond).
   * @param time RFC 3339 in UTC, e.g. '2026-12-07T10:15:00Z' or '2026-12-07T10:15:00.250Z'
   */
  public toTime(time: string, options: MySqlRestorePointOptions = {}): MySqlRestore {
    return MySqlRestore._to(this._options, { kind: 'time', value: time, options: { ...options } });
  }

  /** Up to and including one transaction, e.g. '3e11fa47-71ca-11e1-9e33-c80aa9429562:1234'. */
  public toGtid(gtid: string, options: MySqlRestorePointOptions = {}): MySqlRestore {
    return MySqlRestore._to(this._options, { kind: 'gtid', value: gtid, options: { ...options } });
  }

  /** Up to just before one transaction, e.g. the `DROP TABLE` to undo (`SHOW BINLOG EVENTS` or `mysqlbinlog` name its GTID). */
  public beforeGtid(gtid: string, options: MySqlRestorePointOptions = {}): MySqlRestore {
    return MySqlRestore._to(this._options, { kind: 'before-gtid', value: gtid, options: { ...options } });
  }
}

/**
 * A new cluster made from a backup instead of empty: the first member restores it (only where it would otherwise
 * initialize an empty data directory, with the same checks that no member holds data), replays the binary log archive
 * up to the point asked for, then takes writes; the others clone it. Explicit in the manifest:
 * `MySqlRestore.fromBackup({ storage }).toLatest()`.
 */
export class MySqlRestore {
  /** Backups of a cluster in a store: choose the point with `toLatest()`, `toTime(...)`, `beforeGtid(...)`, `toLatestBackup()`, ... */
  public static fromBackup(options: MySqlRestoreSourceOptions): MySqlRestoreSource {
    return MySqlRestoreSource._of({ ...options });
  }

  /** @internal */
  public static _to(source: MySqlRestoreSourceOptions, target: RestoreTarget): MySqlRestore {
    return new MySqlRestore(source, target);
  }

  private constructor(
    /** @internal */ public readonly _source: MySqlRestoreSourceOptions,
    /** @internal */ public readonly _target: RestoreTarget,
  ) {}
}
