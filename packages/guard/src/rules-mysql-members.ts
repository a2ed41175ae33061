/**
 * ReplicatedMySql rules about what the members run and hold: the MySQL version (a data directory
 * only moves forward), which member is the primary and which members exist, and the application
 * database the clients are wired to.
 */
import { Conventions } from 'cdk8s-stateful';
import { Draft } from './draft';
import { Severity } from './model';
import { KubeObject, getArray, getNumber, getString, isRecord } from './objects';
import { bootstrapEnv, replicationMode } from './rules-mysql';

/** Rules on two versions of a ReplicatedMySql StatefulSet (the caller checked that both are one). */
export function mysqlMemberChanges(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  return [
    ...versionChange(oldObject, newObject),
    ...membersChange(oldObject, newObject),
    ...databaseChange(oldObject, newObject),
  ];
}

// --- the MySQL version ------------------------------------------------------------------------------

interface Version { readonly major: number; readonly minor: number; readonly patch?: number; readonly text: string }

/**
 * The version the members run: the mysql container's image tag (`mysql:9.7.4`, `.../community-server:8.4.3-aarch64`), else the
 * series the library recorded (an image by digest); `patch` is undefined when only the series is known.
 */
function mysqlVersion(object: KubeObject): Version | undefined {
  const containers = getArray(object.body, 'spec', 'template', 'spec', 'containers');
  const image = getString(containers.find((c) => isRecord(c) && c.name === Conventions.MYSQL_CONTAINER), 'image');
  const tag = image?.split('@')[0].match(/:([^/:]+)$/)?.[1];
  const m = tag?.match(/^v?(\d+)\.(\d+)(?:\.(\d+))?/)
    ?? getString(object.body, 'metadata', 'annotations', Conventions.MYSQL_SERIES_ANNOTATION)?.match(/^(\d+)\.(\d+)()$/);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] ? Number(m[3]) : undefined, text: `${m[1]}.${m[2]}${m[3] ? `.${m[3]}` : ''}` };
}

/** Negative when a is older; patches compare only when both are known. */
const compare = (a: Version, b: Version) =>
  a.major - b.major || a.minor - b.minor || (a.patch !== undefined && b.patch !== undefined ? a.patch - b.patch : 0);

function versionChange(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  const before = mysqlVersion(oldObject);
  const after = mysqlVersion(newObject);
  if (!before || !after || compare(before, after) === 0) return [];
  const draft = { object: newObject, field: `spec.template (container ${Conventions.MYSQL_CONTAINER} image)`, oldValue: before.text, newValue: after.text };
  const sameSeries = before.major === after.major && before.minor === after.minor;
  if (compare(after, before) < 0) {
    return [{
      ...draft,
      rule: 'mysql-version-downgrade',
      severity: sameSeries ? Severity.WARN : Severity.BLOCK,
      reason: sameSeries
        ? `A downgrade within the ${before.major}.${before.minor} series: MySQL supports it within an LTS series (8.4.x), not within an innovation series, `
        + 'where a server may refuse a data directory a later release changed.'
        : `MySQL ${after.text} cannot start on a data directory that ${before.text} has upgraded (its data dictionary and system tables are `
          + 'upgraded in place at the first start): the rolling update restarts the highest ordinal first, which crash-loops, and the rollout '
          + 'stops there; in Group Replication a member of a lower series is also refused by the group.',
      fix: sameSeries
        ? 'Keep the release the data was last written by unless the series is LTS; test the downgrade on a copy first.'
        : `Keep the image at ${before.major}.${before.minor}. To go back a series, restore a logical dump (mysqldump/mysqlpump) taken from the `
          + `${before.text} cluster into a new ReplicatedMySql running ${after.text}, then move the clients to it.`,
    }];
  }
  if (sameSeries) return [];
  return [{
    ...draft,
    rule: 'mysql-version-upgrade',
    severity: Severity.WARN,
    reason:
      `An upgrade across series (${before.text} -> ${after.text}) is one-way: the first member to start ${after.text} upgrades its data `
      + `dictionary, and ${before.major}.${before.minor} can never open that data directory again. The rolling update upgrades the members one by `
      + 'one (the highest ordinal first); MySQL supports moving from one LTS series to the next (8.4 -> 9.7), not skipping one.',
    fix:
      'Take a backup you can restore first (a logical dump, or snapshots of the claims while the cluster is parked), read the release notes '
      + `of ${after.major}.${after.minor} for removed features, and test the upgrade on a copy. Then accept this finding.`,
  }];
}

// --- the primary and the members --------------------------------------------------------------------

/** The ordinals of the members: spec.ordinals.start up to spec.replicas of them. */
function memberOrdinals(object: KubeObject): number[] {
  const start = getNumber(object.body, 'spec', 'ordinals', 'start') ?? 0;
  const replicas = getNumber(object.body, 'spec', 'replicas') ?? 1;
  return Array.from({ length: replicas }, (_, i) => start + i);
}

function primaryOrdinal(object: KubeObject): number | undefined {
  const value = getString(object.body, 'metadata', 'annotations', Conventions.MYSQL_PRIMARY_ANNOTATION);
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function membersChange(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  const before = memberOrdinals(oldObject);
  const after = memberOrdinals(newObject);
  const name = oldObject.ref.name;
  if (replicationMode(oldObject) === 'group' || replicationMode(newObject) === 'group') return [];
  const oldPrimary = primaryOrdinal(oldObject);
  const newPrimary = primaryOrdinal(newObject);
  if (oldPrimary === undefined || newPrimary === undefined || after.length === 0) return [];
  if (!after.includes(oldPrimary) && before.includes(oldPrimary)) {
    return [{
      object: newObject, field: 'spec.ordinals.start / spec.replicas', oldValue: `primary ${name}-${oldPrimary}`,
      newValue: `members ${after[0]}..${after[after.length - 1]}`, rule: 'mysql-primary-removed', severity: Severity.BLOCK,
      reason: `The change deletes the primary's pod ${name}-${oldPrimary} and makes member ${newPrimary} the primary in the same apply: the `
        + 'new primary would promote itself while the old one is being removed, without the hand-over a failover does first (it waits for '
        + 'the old primary to stop writes and applies everything it has).',
      fix: `Two applies: first make the new primary the primary with the members as they are (primaryOrdinal: ${newPrimary}, docs/mysql.md: Failover) `
        + 'and wait until every member is Ready; then change startOrdinal or replicas.',
    }];
  }
  if (oldPrimary === newPrimary) return [];
  if (!before.includes(newPrimary)) {
    return [{
      object: newObject, field: `metadata.annotations["${Conventions.MYSQL_PRIMARY_ANNOTATION}"]`, oldValue: String(oldPrimary),
      newValue: String(newPrimary), rule: 'mysql-failover-to-new-member', severity: Severity.BLOCK,
      reason: `Member ${newPrimary} is not running before this change (${before.length === 0 ? 'the cluster is parked' : 'it is added by it'}): `
        + `${name}-${oldPrimary} stops taking writes within about 10 s, and ${name}-${newPrimary} has no data to promote (an empty member `
        + 'refuses to initialize while others hold data), so writes stay down until someone steps in.',
      fix: 'Two applies: first the members (scale out, or unpark with the same primaryOrdinal) and wait until every member is Ready; '
        + `then primaryOrdinal: ${newPrimary} (docs/mysql.md: Failover).`,
    }];
  }
  return [{
    object: newObject, field: `metadata.annotations["${Conventions.MYSQL_PRIMARY_ANNOTATION}"]`, oldValue: String(oldPrimary),
    newValue: String(newPrimary), rule: 'mysql-failover', severity: Severity.WARN,
    reason: `A failover by manifest: ${name}-${oldPrimary} stops taking writes within about 10 s, and ${name}-${newPrimary} opens for writes only `
      + 'after the rolling update restarted it and it showed that it holds everything the old primary has; clients\' writes fail in between.',
    fix: 'Before applying: check that every member is Ready (a member that is behind or starting delays the promotion or is counted down), '
      + 'do it outside busy hours, and keep the cluster running (not parked). Accept this finding; docs/mysql.md "Failover" lists what the '
      + 'members check and what each refusal asks you to do.',
  }];
}

// --- the application database -----------------------------------------------------------------------

function databaseChange(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  const before = bootstrapEnv(oldObject, Conventions.MYSQL_DATABASE_ENV);
  const after = bootstrapEnv(newObject, Conventions.MYSQL_DATABASE_ENV);
  if (before === undefined || after === undefined || before === after) return [];
  return [{
    object: newObject, field: `spec.template (${Conventions.MYSQL_DATABASE_ENV})`, oldValue: before, newValue: after,
    rule: 'mysql-database-renamed', severity: Severity.WARN,
    reason: `Changing database.name does not rename the database: the primary creates \`${after}\` empty and grants the user on it; \`${before}\` `
      + 'keeps its data, and every client wired with connectClient gets the new name (MYSQL_DATABASE) and sees an empty database.',
    fix: `To rename, on the primary first: CREATE DATABASE \`${after}\`, then RENAME TABLE \`${before}\`.t TO \`${after}\`.t for each table `
      + '(a table with triggers: drop them first and recreate them after; views and routines are recreated by hand); or keep the old '
      + 'name. Then accept this finding.',
  }];
}
