/**
 * How the members of a ReplicatedMySql replicate: asynchronously from a primary the manifest names,
 * or as a MySQL Group Replication group that elects its primary itself.
 */
import { createHash } from 'crypto';
import { Duration } from 'cdk8s';
import { checkOptions } from '../check';
import { Validator } from '../errors';
import { shapeOf } from '../shapes';

/** Options of {@link MySqlReplication.groupReplication}. */
export interface GroupReplicationOptions {
  /**
   * The group's name, a UUID every member shares (`group_replication_group_name`). It is also the
   * server UUID part of the GTIDs the group writes, so it never changes for a running group.
   * @default - a UUID derived from the namespace and the name: the same on every synth
   */
  readonly groupName?: string;
  /**
   * How long a member that stopped answering stays in the group, after the 5 seconds every member
   * waits before it suspects another (`group_replication_member_expel_timeout`). A lost primary is
   * replaced after about both: the longer, the fewer expulsions on a busy network, the longer a write
   * outage when a node dies.
   * @default Duration.seconds(0)
   */
  readonly memberExpelTimeout?: Duration;
  /**
   * How long a member cut off from the majority waits before it leaves the group and goes read-only
   * (`group_replication_unreachable_majority_timeout`). Until then it takes no writes either: a
   * transaction needs the majority to commit, so a client of a cut-off primary waits.
   * @default Duration.seconds(30)
   */
  readonly unreachableMajorityTimeout?: Duration;
  /**
   * Also route reads to the primary through the read Service.
   * @default false - the read Service selects the ONLINE secondaries only
   */
  readonly readFromPrimary?: boolean;
  /**
   * The escape hatch after a full outage in which members were lost for good (their volumes gone), by
   * ordinal. While no member is ONLINE, a member starts the group only when every member answers and it
   * holds all their transactions (docs/mysql.md: "Group Replication"); the members listed here are no longer
   * waited for. A listed member that was in fact the most advanced takes its extra transactions with it:
   * list only members whose data no longer exists, and remove the list once the group is back.
   * @default - none: every member must answer
   */
  readonly lostMembers?: number[];
}

/** The replication mode's tag in the plan and in the pods' environment. */
export enum ReplicationMode {
  /** A primary the manifest names (`primaryOrdinal`), replicas following it asynchronously. */
  ASYNCHRONOUS = 'async',
  /** MySQL Group Replication, single-primary: the group elects the primary. */
  GROUP = 'group',
}

/**
 * How the members replicate.
 *
 * - `MySqlReplication.asynchronous()` (the default): the manifest names the primary
 *   (`primaryOrdinal`); the others replicate from it. Failover is a manifest change (docs/mysql.md:
 *   "Failover"), and a primary lost with transactions no replica received yet loses them.
 * - `MySqlReplication.groupReplication()`: MySQL Group Replication in single-primary mode. A
 *   transaction commits only once a majority of the members has it, the group elects a new primary
 *   by itself when the primary is lost, and each pod labels itself with its role so that the write
 *   Service follows the primary. Needs 3, 5, 7 or 9 members, InnoDB tables with primary keys.
 *   Recommended for new clusters.
 *
 * @example
 * new ReplicatedMySql(chart, 'mysql', { replicas: 3, replication: MySqlReplication.groupReplication() });
 */
export class MySqlReplication {
  /** Asynchronous replication from the primary the manifest names. */
  public static asynchronous(): MySqlReplication {
    return new MySqlReplication(ReplicationMode.ASYNCHRONOUS, undefined);
  }

  /** MySQL Group Replication, single-primary. */
  public static groupReplication(options: GroupReplicationOptions = {}): MySqlReplication {
    checkOptions('MySqlReplication.groupReplication', options, shapeOf('GroupReplicationOptions'));
    return new MySqlReplication(ReplicationMode.GROUP, { ...options });
  }

  private constructor(
    /** The mode. */
    public readonly mode: ReplicationMode,
    /** The group's options. @internal */
    public readonly _group: GroupReplicationOptions | undefined,
  ) {}
}

/** The group of a ReplicatedMySql in group mode, as its pods are told. */
export interface GroupPlan {
  readonly groupName: string;
  readonly expelTimeoutSeconds: number;
  readonly unreachableMajorityTimeoutSeconds: number;
  readonly readFromPrimary: boolean;
  readonly lostMembers: number[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A version-5-style UUID of the namespace and name: stable across synths, distinct per cluster. */
function derivedGroupName(namespace: string | undefined, name: string): string {
  const h = createHash('sha1').update(`cdk8s-stateful/mysql-group/${namespace ?? ''}/${name}`).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function wholeSeconds(v: Validator, prop: string, value: Duration | undefined, fallback: number, max: number, fix: string): number {
  if (value === undefined) return fallback;
  if (!(value instanceof Duration)) v.fail(prop, value, 'is not a Duration', fix);
  const seconds = value.toMilliseconds() / 1000;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > max) v.fail(prop, `${seconds}s`, `must be a whole number of seconds from 0 to ${max}`, fix);
  return seconds;
}

function checkLostMembers(v: Validator, lost: number[] | undefined, start: number, replicas: number): number[] {
  const last = start + Math.max(replicas, 1) - 1;
  for (const [i, o] of (lost ?? []).entries()) {
    v.integer(`replication.lostMembers[${i}]`, o, start, last, `list ordinals of members (${start} to ${last})`);
  }
  const unique = [...new Set(lost ?? [])].sort((a, b) => a - b);
  if (replicas > 0 && unique.length >= replicas) {
    v.fail('replication.lostMembers', lost, 'lists every member: no member would be left to start the group', 'list only the members whose volumes are gone');
  }
  return unique;
}

/**
 * The group, in group mode (undefined: asynchronous replication); `replicas` must then be an odd 3 to 9 (or 0,
 * a parked cluster). The props group mode replaces (`primaryOrdinal`, `protectPrimary`) are refused.
 */
export function planReplication(
  v: Validator, replication: MySqlReplication | undefined, name: string, namespace: string | undefined,
  conflicts: { replicas: number; startOrdinal: number; primaryOrdinal?: number; protectPrimary?: boolean },
): GroupPlan | undefined {
  if (replication === undefined) return undefined;
  if (!(replication instanceof MySqlReplication)) {
    v.fail('replication', replication, 'is not MySqlReplication', 'use MySqlReplication.groupReplication() or MySqlReplication.asynchronous()');
  }
  if (replication.mode === ReplicationMode.ASYNCHRONOUS) return undefined;
  const { replicas } = conflicts;
  if (replicas !== 0 && (replicas < 3 || replicas > 9 || replicas % 2 === 0)) {
    v.fail('replicas', replicas, 'must be 3, 5, 7 or 9 with Group Replication (a majority must survive the loss of a member; an even count adds a member without adding a failure it survives)',
      `use ${replicas < 3 ? 3 : replicas > 9 ? 9 : replicas + 1} members, or MySqlReplication.asynchronous() for one or two`);
  }
  if (conflicts.primaryOrdinal !== undefined) {
    v.fail('primaryOrdinal', conflicts.primaryOrdinal, 'has no effect with Group Replication: the group elects its primary', 'remove primaryOrdinal');
  }
  if (conflicts.protectPrimary === true) {
    v.fail('protectPrimary', true, 'cannot follow the primary with Group Replication: the group elects it, any member may be it (the primary hands over before its pod stops)', 'remove protectPrimary');
  }
  const options = replication._group ?? {};
  const groupName = options.groupName ?? derivedGroupName(namespace, name);
  if (typeof groupName !== 'string' || !UUID.test(groupName)) {
    v.fail('replication.groupName', groupName, 'is not a lowercase UUID', 'remove it (a UUID is derived from the namespace and name), or pass one such as "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"');
  }
  return {
    groupName,
    expelTimeoutSeconds: wholeSeconds(v, 'replication.memberExpelTimeout', options.memberExpelTimeout, 0, 3600, 'use Duration.seconds(0) to Duration.hours(1)'),
    unreachableMajorityTimeoutSeconds: wholeSeconds(v, 'replication.unreachableMajorityTimeout', options.unreachableMajorityTimeout, 30, 31536000,
      'use Duration.seconds(30); 0 waits for the majority forever'),
    readFromPrimary: options.readFromPrimary === true,
    lostMembers: checkLostMembers(v, options.lostMembers, conflicts.startOrdinal, replicas),
  };
}
