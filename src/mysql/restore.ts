/**
 * ReplicatedMySql's `restore`, checked: which backup of which cluster, in which store, and the image the
 * restoring bootstrap runs in. What the bootstrap does with it is scripts/restore.sh; what the pod gets, pod.ts.
 */
import { checkShape } from '../check';
import { Validator } from '../errors';
import { checkDns1123Label, checkWorkloadName } from '../names';
import { shapeOf } from '../shapes';
import { checkToolsImage, planStorage, StoragePlan } from './backup';
import { MySqlRestore, MySqlRestoreSource } from './backup-props';
import { EmptyPrimaryPolicy } from './props';

/** What to restore, checked. */
export interface RestorePlan extends StoragePlan {
  /** (always a Secret: a restore cannot sign in with a ServiceAccount's identity) */
  readonly secretName: string;
  /** The source cluster's namespace (undefined: the pod's own). */
  readonly sourceNamespace?: string;
  readonly sourceName: string;
  /** backup (a full backup only), latest, time, gtid or before-gtid (restore.sh's RESTORE_TARGET). */
  readonly target: string;
  /** The backup's id (target backup; undefined: the newest), the time or the GTID. */
  readonly backupId?: string;
  readonly targetValue?: string;
  readonly allowArchiveHoles: boolean;
  /** The bootstrap's image while restoring (undefined: the members'). */
  readonly image?: string;
}

/** A backup's id: `<UTC yyyymmddThhmmssZ>-<pod uid>` (backup.sh). */
const BACKUP_ID = /^[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9-]{1,63}$/;
const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/;
const GTID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:[a-z_][a-z0-9_]{0,31})?:[1-9][0-9]{0,18}$/;

/** Checks `restore` (undefined: a new cluster starts empty). `target` is the new cluster. */
export function planRestore(
  v: Validator, restore: MySqlRestore | MySqlRestoreSource | undefined,
  target: { name: string; namespace?: string; image: string; emptyPrimary?: EmptyPrimaryPolicy; backup?: StoragePlan },
): RestorePlan | undefined {
  if (restore === undefined) return undefined;
  if (restore instanceof MySqlRestoreSource) {
    v.fail('restore', 'MySqlRestore.fromBackup(...)', 'says where the backups are, not which point to restore',
      'add the point: .toLatest() (the newest backup and the archive after it), .toTime("2026-12-07T10:15:00Z"), .beforeGtid("<gtid>"), or .toLatestBackup() (a full backup only)');
    return undefined;
  }
  const source = restore._source;
  checkShape(v, 'restore (MySqlRestore.fromBackup)', source, shapeOf('MySqlRestoreSourceOptions'));
  const storage = planStorage(v, 'restore.storage', source.storage, false);
  const sourceName = source.sourceName ?? target.name;
  const nameProblem = typeof sourceName === 'string' ? checkWorkloadName(sourceName) : 'must be a string';
  if (nameProblem) v.fail('restore.sourceName', sourceName, nameProblem, 'pass the name of the ReplicatedMySql whose backups these are');
  const sourceNamespace = source.sourceNamespace ?? target.namespace;
  const namespaceProblem = sourceNamespace === undefined ? '' : typeof sourceNamespace === 'string' ? checkDns1123Label(sourceNamespace) : 'must be a string';
  if (namespaceProblem) v.fail('restore.sourceNamespace', sourceNamespace, namespaceProblem, 'pass the namespace of the ReplicatedMySql whose backups these are');
  checkOwnHistory(v, storage, { name: sourceName, namespace: sourceNamespace }, target);
  if (target.emptyPrimary === EmptyPrimaryPolicy.INITIALIZE_ANYWAY) {
    v.fail('emptyPrimary', 'INITIALIZE_ANYWAY', 'skips the checks that no member holds data, which a restore must run (it would restore beside members with data)',
      'remove emptyPrimary while restore is set');
  }
  const { kind, value, options } = restore._target;
  checkTarget(v, kind, value);
  checkShape(v, 'restore (the point\'s options)', options, shapeOf('MySqlRestorePointOptions'));
  const allowArchiveHoles = options.allowArchiveHoles === true;
  return {
    ...storage, secretName: storage.secretName!, sourceNamespace, sourceName, target: kind, allowArchiveHoles,
    backupId: kind === 'backup' && value !== '' ? value : undefined,
    targetValue: ['time', 'gtid', 'before-gtid'].includes(kind) ? value : undefined,
    image: checkToolsImage(v, 'restore.image', source.image, target.image),
  };
}

/**
 * A cluster must not back up into the place it restores from: its archive would go on from the restored point on top
 * of the history it was restored from, and a later restore could pick a backup of the discarded history.
 */
function checkOwnHistory(
  v: Validator, from: StoragePlan, source: { name: string; namespace?: string }, target: { name: string; namespace?: string; backup?: StoragePlan },
): void {
  const to = target.backup;
  if (to === undefined || to.bucket !== from.bucket || to.endpoint !== from.endpoint || to.prefix !== from.prefix) return;
  if (source.name !== target.name || source.namespace !== target.namespace) return;
  v.fail('backup.storage', `s3://${to.bucket}/${to.prefix ? `${to.prefix}/` : ''}${target.namespace}/${target.name}/`,
    'is where restore reads from: the new cluster would write its backups and archive into the history it is restored from',
    'give backup.storage another prefix (e.g. "prod-restored") while restore reads this one');
}

/** The point's value: a backup id (toBackup), a UTC time (toTime), a GTID (toGtid, beforeGtid). */
function checkTarget(v: Validator, kind: string, value: string): void {
  if (kind === 'backup' && value !== '' && (typeof value !== 'string' || !BACKUP_ID.test(value))) {
    v.fail('restore (toBackup)', value, 'is not a backup id (<UTC yyyymmddThhmmssZ>-<pod uid>, the folder under backups/)',
      'copy the id from the backup Job\'s log line "BACKUP <id>: ...", or use .toLatestBackup()');
  }
  if (kind === 'time' && !isUtcTime(value)) {
    v.fail('restore (toTime)', value, 'is not a time in RFC 3339 in UTC, to the microsecond at most', 'write e.g. "2026-12-07T10:15:00Z" (UTC, with the Z)');
  }
  if ((kind === 'gtid' || kind === 'before-gtid') && (typeof value !== 'string' || !GTID.test(value))) {
    v.fail(`restore (${kind === 'gtid' ? 'toGtid' : 'beforeGtid'})`, value, 'is not one GTID (<server uuid>:<number>, or <uuid>:<tag>:<number>)',
      'copy it from SHOW BINLOG EVENTS or mysqlbinlog, e.g. "3e11fa47-71ca-11e1-9e33-c80aa9429562:1234"');
  }
}

/** An RFC 3339 time in UTC that exists (Date.parse rolls 2026-02-30 over to March; this does not). */
function isUtcTime(value: unknown): boolean {
  if (typeof value !== 'string' || !RFC3339_UTC.test(value)) return false;
  const [y, mo, d, h, mi, s] = value.slice(0, 19).split(/[-T:]/).map(Number);
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const back = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()];
  return back.join() === [y, mo, d, h, mi, s].join();
}
