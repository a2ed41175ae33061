/**
 * ReplicatedMySql backups: binary logs that expire before a second full backup is taken. The archiver reads the
 * binary log; when it is down longer than the binary log is kept, what expired is a hole in the archive, and only a
 * full backup closes it. With expiry shorter than twice the backup interval, one failed backup run is enough for a
 * stretch of history to exist nowhere.
 */
import { Conventions } from 'cdk8s-stateful';
import { Draft, fieldDraft } from './draft';
import { Severity } from './model';
import { KubeObject, getArray, getString, isManagedByLibrary, isRecord } from './objects';

const MACROS: { [macro: string]: string } = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0', '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};
const NAMES: { [field: number]: string[] } = {
  3: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  4: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};
const BOUNDS: Array<[number, number]> = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];

/** The values of one cron field (undefined: not understood). */
function cronField(text: string, index: number): Set<number> | undefined {
  const [min, max] = BOUNDS[index];
  const value = (v: string) => {
    const named = NAMES[index]?.indexOf(v.toLowerCase()) ?? -1;
    return named >= 0 ? named + (index === 3 ? 1 : 0) : /^\d+$/.test(v) ? Number(v) : NaN;
  };
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|\?|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const ends = m[1] === '*' || m[1] === '?' ? [min, max] : m[1].split('-').map(value);
    const from = ends[0];
    const last = ends.length > 1 ? ends[1] : m[2] ? max : from;
    const step = m[2] ? Number(m[2]) : 1;
    if ([from, last, step].some((n) => Number.isNaN(n)) || from < min || last > max || step < 1) return undefined;
    for (let n = from; n <= last; n += step) out.add(index === 4 && n === 7 ? 0 : n);
  }
  return out;
}

/** The longest time between two runs of a cron schedule (UTC), in seconds; undefined when not understood. */
export function cronMaxGapSeconds(schedule: string): number | undefined {
  const fields = (MACROS[schedule.trim()] ?? schedule).trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const sets = fields.map(cronField);
  if (sets.some((s) => s === undefined)) return undefined;
  const [minutes, hours, days, months, weekdays] = sets as Array<Set<number>>;
  const anyDay = fields[2] === '*' || fields[2] === '?';
  const anyWeekday = fields[4] === '*' || fields[4] === '?';
  const hourList = [...hours].sort((a, b) => a - b);
  const minuteList = [...minutes].sort((a, b) => a - b);
  let previous: number | undefined;
  let gap = 0;
  const start = Date.UTC(2026, 0, 1);
  // (four years and a bit: a yearly schedule meets a leap year)
  for (let day = 0; day < 1500; day++) {
    const date = new Date(start + day * 86400_000);
    if (!months.has(date.getUTCMonth() + 1)) continue;
    const byDay = days.has(date.getUTCDate());
    const byWeekday = weekdays.has(date.getUTCDay());
    // (cron: when both are restricted, either matches)
    if (!(anyDay && anyWeekday ? true : anyDay ? byWeekday : anyWeekday ? byDay : byDay || byWeekday)) continue;
    for (const h of hourList) {
      for (const m of minuteList) {
        const t = date.getTime() / 1000 + h * 3600 + m * 60;
        if (previous !== undefined) gap = Math.max(gap, t - previous);
        previous = t;
      }
    }
  }
  return previous === undefined ? undefined : gap;
}

/** The last `binlog_expire_logs_seconds` of a my.cnf text. */
function binlogExpiry(cnf: string): number | undefined {
  const values = [...cnf.matchAll(/^\s*binlog[_-]expire[_-]logs[_-]seconds\s*=\s*(\d+)\s*$/gm)].map((m) => Number(m[1]));
  return values.length > 0 ? values[values.length - 1] : undefined;
}

/** A backup CronJob of a ReplicatedMySql, and the ConfigMap its container reads the scripts (and the server's configuration) from. */
function backupCronJob(object: KubeObject): { schedule: string; configMap: string } | undefined {
  if (object.group !== 'batch' || object.ref.kind !== 'CronJob' || !isManagedByLibrary(object)) return undefined;
  const pod = isRecord(object.body.spec) ? object.body.spec : {};
  const podSpec = getArray(pod, 'jobTemplate', 'spec', 'template', 'spec', 'containers')[0];
  const command = getArray(podSpec, 'command').map(String);
  if (!command.at(-1)?.endsWith(`/${Conventions.MYSQL_BACKUP_SCRIPT_KEY}`)) return undefined;
  const volume = getArray(pod, 'jobTemplate', 'spec', 'template', 'spec', 'volumes').find((v) => getString(v, 'configMap', 'name') !== undefined);
  const configMap = getString(volume, 'configMap', 'name');
  const schedule = getString(pod, 'schedule');
  return configMap && schedule ? { schedule, configMap } : undefined;
}

/**
 * A new or changed backup schedule, or binary log expiry, that keeps binary logs for less than two backup intervals:
 * warns on the CronJob (only when one of the two changed, so that it is said once).
 */
export function binlogExpiryShort(newObjects: KubeObject[], changedOrAdded: Set<string>): Draft[] {
  const drafts: Draft[] = [];
  for (const cron of newObjects) {
    const backup = backupCronJob(cron);
    if (!backup) continue;
    const config = newObjects.find((o) => o.ref.kind === 'ConfigMap' && o.ref.name === backup.configMap && o.ref.namespace === cron.ref.namespace);
    if (!changedOrAdded.has(cron.key) && !(config && changedOrAdded.has(config.key))) continue;
    const expiry = binlogExpiry(getString(config?.body, 'data', Conventions.MYSQL_CONFIG_FILE_KEY) ?? '');
    const gap = cronMaxGapSeconds(backup.schedule);
    if (expiry === undefined || gap === undefined || expiry === 0 || expiry >= 2 * gap) continue;
    drafts.push(fieldDraft(
      'mysql-binlog-expiry-short', Severity.WARN, cron, 'spec.schedule', undefined,
      `${backup.schedule} (up to ${Math.round(gap / 3600)} h apart), binlog_expire_logs_seconds ${expiry} (${Math.round(expiry / 3600)} h)`,
      'The members keep their binary logs for less than two backup intervals. When the binary log archiver is down longer than '
      + 'that (or one backup run fails while it is), what expired is in no binary log, no archived file and no backup: a hole, '
      + 'and no point-in-time restore can cross it.',
      `Keep binary logs at least twice the longest time between backups: config { binlog_expire_logs_seconds: '${2 * gap}' } or more, `
      + 'or back up more often (docs/backup.md: Point-in-time recovery).',
      'binary logs kept for less than two backup intervals',
    ));
  }
  return drafts;
}
