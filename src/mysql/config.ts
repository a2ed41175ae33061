/** The mysqld configuration every member of a ReplicatedMySql shares, sized from its resources. */
import * as path from 'path';
import type { ContainerResources } from 'cdk8s-plus-28';
import { Conventions } from '../conventions';
import { sizeBytes } from '../container';
import { Validator } from '../errors';
import type { GroupPlan } from './replication';

export const PORT = 3306;
/** Where the pod's generated mysqld.cnf is written (an emptyDir). */
export const CONF_DIR = '/etc/mysql/conf.d';
export const SOCKET_DIR = path.posix.dirname(Conventions.MYSQL_SOCKET);
export const DATA_ROOT = '/var/lib/mysql';
/** Where the cluster's certificate is mounted, with a tls choice. */
export const TLS_DIR = '/etc/mysql/tls';
/**
 * Memory mysqld needs besides the InnoDB buffer pool: measured at about 420 MiB idle on MySQL 9.7
 * (performance_schema, the 64 MiB log buffer, thread stacks), plus room for connections.
 */
const MYSQLD_OVERHEAD_MIB = 512;
const MIN_BUFFER_POOL_MIB = 128;
const OPTION_NAME = /^[a-z][a-z0-9_-]*$/;
/** Options the construct sets itself: overriding them would break replication, bootstrap or fencing. */
const MANAGED_OPTIONS = new Set([
  'datadir', 'server_id', 'report_host', 'report_port', 'gtid_mode', 'enforce_gtid_consistency', 'log_bin', 'skip_log_bin',
  'disable_log_bin', 'read_only', 'super_read_only', 'replicate_same_server_id', 'relay_log', 'plugin_load_add', 'skip_replica_start', 'skip_slave_start', 'socket', 'port',
  'skip_networking', 'bind_address', 'secure_file_priv', 'pid_file', 'log_replica_updates', 'user', 'tmpdir', 'innodb_tmpdir',
  'mysqlx', 'mysqlx_socket', 'mysqlx_bind_address', 'log_error', 'admin_address',
]);
const TLS_OPTIONS = ['ssl_ca', 'ssl_cert', 'ssl_key'];
/** Settings that let a crash lose commits clients saw succeed, and the values that do not. */
const DURABILITY: { [option: string]: { safe: (value: string) => boolean; risk: string } } = {
  sync_binlog: {
    safe: (value) => value.trim() === '1',
    risk: 'the binary log is not flushed at every commit, so a crash of the primary can lose transactions clients saw commit (and replicas may hold them)',
  },
  innodb_flush_log_at_trx_commit: {
    safe: (value) => value.trim() === '1',
    risk: 'the redo log is not flushed at every commit, so a crash of the primary can lose transactions clients saw commit',
  },
  innodb_doublewrite: {
    safe: (value) => !/^(off|0|false)$/i.test(value.trim()),
    risk: 'without the doublewrite buffer a crash during a page write can corrupt the data files',
  },
};

/** The memory mysqld may use, in MiB: the limit, else the request; undefined when neither is set. */
function mysqlMemoryMiB(resources: ContainerResources): number | undefined {
  for (const key of ['limit', 'request'] as const) {
    const size = resources.memory?.[key];
    if (size === undefined) continue;
    return sizeBytes(size) / (1024 * 1024);
  }
  return undefined;
}

/** A mysqld size option (`134217728`, `512M`, `2G`) in MiB, or undefined when it is not one. */
function mysqlSizeMiB(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)\s*$/i.exec(value);
  if (!m) return undefined;
  const factor: { [unit: string]: number } = { '': 1 / (1024 * 1024), 'K': 1 / 1024, 'M': 1, 'G': 1024, 'T': 1024 * 1024 };
  return Number(m[1]) * factor[m[2].toUpperCase()];
}

/** What the configuration is derived from. */
export interface MySqlConfigInput {
  readonly name: string;
  readonly config?: { [option: string]: string };
  readonly acceptRelaxedDurability?: string[];
  readonly resources: ContainerResources;
  readonly tls: boolean;
  /** With tls: the members verify each other against the CA (false: the first of the two rollouts that turn TLS on). */
  readonly verifyPeers?: boolean;
  /** The group, in Group Replication mode. */
  readonly group?: GroupPlan;
}

/** The library's defaults: GTID replication, binary logs, every member read-only at start. */
function defaultOptions(resources: ContainerResources, tls: boolean): Map<string, string> {
  const memoryMiB = mysqlMemoryMiB(resources);
  // The buffer pool gets three quarters of what mysqld's fixed overhead leaves, in 128 MiB steps
  // (at least 128 MiB); in-memory temporary tables are capped so a big sort spills to the
  // data volume instead of exceeding the limit.
  const bufferPoolMiB = memoryMiB === undefined
    ? 256
    : Math.max(MIN_BUFFER_POOL_MIB, Math.floor(((memoryMiB - MYSQLD_OVERHEAD_MIB) * 3) / 4 / 128) * 128);
  const temptableMiB = memoryMiB === undefined ? 64 : Math.min(1024, Math.max(32, Math.floor(memoryMiB / 16)));
  return new Map<string, string>([
    ['datadir', `${DATA_ROOT}/data`],
    ['socket', Conventions.MYSQL_SOCKET],
    ['pid_file', `${SOCKET_DIR}/mysqld.pid`],
    ['port', String(PORT)],
    // The X protocol is not used: one port less, less memory.
    ['mysqlx', 'OFF'],
    // Temporary files (large sorts, ALTER TABLE) on the data volume, not in an emptyDir that
    // would get the pod evicted when it fills.
    ['tmpdir', `${DATA_ROOT}/tmp`],
    ['innodb_tmpdir', `${DATA_ROOT}/tmp`],
    ['secure_file_priv', `${DATA_ROOT}/files`],
    ['skip_name_resolve', 'ON'],
    ['gtid_mode', 'ON'],
    ['enforce_gtid_consistency', 'ON'],
    ['log_bin', 'binlog'],
    ['relay_log', 'relay-bin'],
    ['log_replica_updates', 'ON'],
    ['binlog_expire_logs_seconds', '604800'],
    ['plugin_load_add', 'mysql_clone.so'],
    ['max_allowed_packet', '64M'],
    ['innodb_buffer_pool_size', `${bufferPoolMiB}M`],
    ['temptable_max_ram', `${temptableMiB}M`],
    // A replica notices a vanished source within 20 s (heartbeats every 5 s).
    ['replica_net_timeout', '20'],
    // Every member starts read-only and without replication, whatever it was before: the pod's
    // agent opens the primary for writes, and starts a replica's replication, only after checking
    // the other members (agent.sh). A restarted mysqld is never writable by accident.
    ['read_only', 'ON'],
    ['super_read_only', 'ON'],
    ['skip_replica_start', 'ON'],
    // A member that lost transactions it wrote itself (restored from an older copy, a crash with
    // relaxed durability) gets them back from the primary: without this, its receiver would drop
    // every event carrying its own server_id. GTIDs keep this from looping (mysqld says so at start).
    ['replicate_same_server_id', 'ON'],
    ...(tls ? [['ssl_ca', `${TLS_DIR}/ca.crt`], ['ssl_cert', `${TLS_DIR}/tls.crt`], ['ssl_key', `${TLS_DIR}/tls.key`]] as Array<[string, string]> : []),
  ]);
}

/** Group Replication options the construct sets itself (the group's identity, membership and bootstrap). */
const GROUP_MANAGED = /^(group_replication_(group_name|local_address|group_seeds|start_on_boot|bootstrap_group|single_primary_mode|communication_stack|enforce_update_everywhere_checks|recovery_use_ssl|ssl_mode|recovery_ssl_verify_server_cert|recovery_ssl_ca|exit_state_action|autorejoin_tries|member_weight)|sql_require_primary_key|disabled_storage_engines)$/;

/**
 * Group Replication, single-primary, over the MySQL port (`communication_stack = MYSQL`: no second port,
 * the members authenticate as the replication user, TLS as the server's). The agent starts the group on
 * each start of mysqld (agent.sh); the per-pod address and seeds are init-config.sh's.
 */
function groupOptions(options: Map<string, string>, group: GroupPlan, tls: 'none' | 'serve' | 'verify'): void {
  options.set('plugin_load_add', 'mysql_clone.so;group_replication.so');
  // Asynchronous replication's own loop guard; a group never receives its own transactions back.
  options.delete('replicate_same_server_id');
  options.delete('replica_net_timeout');
  for (const [k, val] of [
    ['group_replication_group_name', group.groupName],
    ['group_replication_start_on_boot', 'OFF'],
    ['group_replication_single_primary_mode', 'ON'],
    ['group_replication_enforce_update_everywhere_checks', 'OFF'],
    ['group_replication_communication_stack', 'MYSQL'],
    ['group_replication_member_expel_timeout', String(group.expelTimeoutSeconds)],
    ['group_replication_unreachable_majority_timeout', String(group.unreachableMajorityTimeoutSeconds)],
    // A member that leaves the group involuntarily stays read-only: it never takes a write alone.
    ['group_replication_exit_state_action', 'READ_ONLY'],
    // The agent is the one that rejoins an expelled member: its join discards the member's unapplied queue first
    // (group.sh group_start). MySQL's own rejoin would keep it.
    ['group_replication_autorejoin_tries', '0'],
    // A new primary takes writes only once it applied everything the group had committed.
    ['group_replication_consistency', 'BEFORE_ON_PRIMARY_FAILOVER'],
    // The group's connections verify the members' names against the cluster's CA: with the MySQL stack they take
    // the recovery channel's CA (without it the member cannot even reach itself: ERROR 3092, measured).
    ['group_replication_recovery_use_ssl', 'ON'],
    ['group_replication_ssl_mode', tls === 'verify' ? 'VERIFY_IDENTITY' : 'REQUIRED'],
    ['group_replication_recovery_ssl_verify_server_cert', tls === 'verify' ? 'ON' : 'OFF'],
    ...(tls !== 'none' ? [['group_replication_recovery_ssl_ca', `${TLS_DIR}/ca.crt`]] as Array<[string, string]> : []),
    // The group refuses a row change without a primary key at commit; refuse the table at CREATE instead.
    ['sql_require_primary_key', 'ON'],
    // Only InnoDB is transactional: the group cannot certify anything else.
    ['disabled_storage_engines', 'MyISAM,BLACKHOLE,FEDERATED,ARCHIVE,MEMORY'],
  ] as Array<[string, string]>) options.set(k, val);
}

/** The options `key` may stand for through mysqld's prefixes (`loose_super_read_only` is super_read_only). */
function optionBases(key: string): string[] {
  const bases: string[] = [];
  let rest = key.replace(/^loose_/, '');
  if (rest !== key) bases.push(rest);
  const prefixed = /^(skip|enable|disable|maximum)_(.+)$/.exec(rest);
  if (prefixed) {
    rest = prefixed[2];
    bases.push(rest);
  }
  return bases;
}

/** Checks `config` and returns `common.cnf`, the options every member runs with. */
export function mysqlConfig(v: Validator, input: MySqlConfigInput): string {
  const options = defaultOptions(input.resources, input.tls);
  if (input.group) groupOptions(options, input.group, input.tls ? (input.verifyPeers === false ? 'serve' : 'verify') : 'none');
  const accepted = new Set<string>();
  for (const [i, option] of (input.acceptRelaxedDurability ?? []).entries()) {
    const key = typeof option === 'string' ? option.replace(/-/g, '_') : option;
    if (typeof key !== 'string' || !(key in DURABILITY)) {
      v.fail(`acceptRelaxedDurability[${i}]`, option, `is not a durability setting (${Object.keys(DURABILITY).join(', ')})`, 'list only the settings you relax in config');
    }
    accepted.add(key);
  }
  for (const [option, value] of Object.entries(input.config ?? {})) {
    const key = option.replace(/-/g, '_');
    if (!OPTION_NAME.test(option)) v.fail(`config key`, option, 'is not a mysqld option name', 'use names like "max_connections"');
    const managed = (name: string) => MANAGED_OPTIONS.has(name) || (input.group !== undefined && GROUP_MANAGED.test(name));
    // mysqld reads loose_X, skip_X, enable_X, disable_X and maximum_X as X: each is X for these checks.
    const names = [key, ...optionBases(key)];
    if (names.some(managed)) v.fail(`config.${option}`, value, 'is managed by ReplicatedMySql (replication, bootstrap and fencing depend on it)', 'remove it');
    if (input.tls && names.some((k) => TLS_OPTIONS.includes(k))) v.fail(`config.${option}`, value, 'is managed by ReplicatedMySql with a tls choice (the certificate is mounted from its Secret)', 'remove it');
    if (typeof value !== 'string' || /[\r\n]/.test(value)) v.fail(`config.${option}`, value, 'must be a single-line string', `quote it: "${String(value).split(/\r?\n/)[0]}"`);
    const alias = names.slice(1).find((k) => k in DURABILITY);
    if (alias) v.fail(`config.${option}`, value, `is ${alias} under another name`, `write it as ${alias} (relaxing it needs acceptRelaxedDurability)`);
    const durability = DURABILITY[key];
    if (durability && !durability.safe(value) && !accepted.has(key)) {
      v.fail(`config.${option}`, value, `relaxes durability: ${durability.risk}`,
        `remove it, or accept the risk by name: acceptRelaxedDurability: ['${key}']`);
    }
    options.delete(key);
    options.set(key, value);
  }
  checkMemory(v, input, options);
  // The group plugin's options are unknown to mysqld --initialize, which loads no plugin: `loose_` makes them a warning there.
  const lines = [...options].map(([k, val]) => `${k.startsWith('group_replication_') ? 'loose_' : ''}${k} = ${val}`).join('\n');
  return `# Shared by every member of ${input.name}; written by cdk8s-stateful.\n[mysqld]\n${lines}\n`;
}

/** The buffer pool plus mysqld's own needs must fit in the memory limit. */
function checkMemory(v: Validator, input: MySqlConfigInput, options: Map<string, string>): void {
  const memoryMiB = mysqlMemoryMiB(input.resources);
  if (memoryMiB === undefined) return;
  const given = input.config?.innodb_buffer_pool_size ?? input.config?.['innodb-buffer-pool-size'];
  const poolMiB = mysqlSizeMiB(options.get('innodb_buffer_pool_size')!);
  if (poolMiB === undefined) {
    v.fail('config.innodb_buffer_pool_size', given, 'is not a size mysqld understands', 'use a size such as "512M" or "2G"');
  }
  const needMiB = Math.ceil(poolMiB) + MYSQLD_OVERHEAD_MIB;
  if (memoryMiB < needMiB) {
    const which = input.resources.memory?.limit !== undefined ? 'limit' : 'request';
    v.fail(`resources.memory.${which}`, `${memoryMiB}Mi`,
      `is too small for mysqld: the InnoDB buffer pool (${Math.ceil(poolMiB)} MiB${given !== undefined ? ', from config' : ''}) plus about ${MYSQLD_OVERHEAD_MIB} MiB that mysqld needs besides it (performance_schema, log buffer, connections: about 420 MiB idle on MySQL 9.7) make ${needMiB} MiB, so the pod would be OOM-killed`,
      `use at least Size.mebibytes(${needMiB})${given !== undefined ? ', or a smaller innodb_buffer_pool_size' : ''}`);
  }
}
