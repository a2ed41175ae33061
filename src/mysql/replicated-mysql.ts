import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnvValue, Probe, sizeBytes } from '../container';
import { futurePath, Validator } from '../errors';
import { KubeServiceMonitor } from '../imports/monitoring';
import { OnePassKubeNetworkPolicy } from '../l1';
import {
  checkDns1123Label, checkDns1123Subdomain, checkLabelValue, checkQualifiedKey, checkWorkloadName, LABEL_COMPONENT, LABEL_INSTANCE, parseImage,
} from '../names';
import {
  DisruptionBudget, PodManagementPolicy, PvcRetentionPolicy, SpreadMode, StatefulApp, StatefulAppProps, UpdateStrategy,
} from '../stateful-app';
import { IStorageClass } from '../storage/disk-storage-class';
import { MySqlCredentials } from './credentials';
import { mysqlScripts } from './scripts';

/** The default MySQL image (8.4 LTS). */
export const DEFAULT_MYSQL_IMAGE = 'mysql:8.4.10';
/** The default image for MySQL 9.7 LTS (the version the end-to-end tests run). */
export const DEFAULT_MYSQL_97_IMAGE = 'mysql:9.7.4';

/** A MySQL long-term-support series that ReplicatedMySql runs. */
export enum MySqlVersion {
  /** MySQL 8.4 LTS (default image `mysql:8.4.10`). */
  V8_4 = '8.4',
  /** MySQL 9.7 LTS (default image `mysql:9.7.4`). */
  V9_7 = '9.7',
}

/** What the primary does when its data directory is empty. */
export enum EmptyPrimaryPolicy {
  /**
   * Initialize a new data directory only when no other member's volume claim exists (asked of
   * the API server through a Role that lists the namespace's PersistentVolumeClaims): a new
   * cluster starts by itself, a primary whose volume was lost while replicas hold data refuses.
   */
  INITIALIZE_WHEN_NEW = 'when-new',
  /** Never initialize: an empty primary data directory always fails closed (restore it first). */
  REFUSE = 'refuse',
  /**
   * Initialize even though other members' claims exist: starts a NEW, EMPTY cluster, and the
   * replicas' data can no longer be followed (they refuse and must be re-cloned). Only to start over.
   */
  INITIALIZE_ANYWAY = 'always',
}
/** The mysqld-exporter image of the metrics sidecar. */
export const DEFAULT_EXPORTER_IMAGE = 'prom/mysqld-exporter:v0.18.0';

const KIND = 'ReplicatedMySql';
const PORT = 3306;
const METRICS_PORT = 9104;
const MYSQL_UID = 999;
/**
 * Memory mysqld needs besides the InnoDB buffer pool: measured at about 420 MiB idle on MySQL 9.7
 * (performance_schema, the 64 MiB log buffer, thread stacks), plus room for connections.
 */
const MYSQLD_OVERHEAD_MIB = 512;
const MIN_BUFFER_POOL_MIB = 128;
/** Where the pod's generated mysqld.cnf is written (an emptyDir). */
const CONF_DIR = '/etc/mysql/conf.d';
const SOCKET_DIR = '/var/run/mysqld';
const DATA_ROOT = '/var/lib/mysql';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Label that `connectClient` puts on client pods; the NetworkPolicy admits them by it. */
const CLIENT_LABEL = 'cdk8s-stateful.io/mysql-client';
/** Where the ConfigMap of scripts and .cnf files is mounted. */
const TOOLS_DIR = '/etc/cdk8s-mysql';
const PROBE = ['bash', `${TOOLS_DIR}/probe.sh`];
const USER_NAME = /^[A-Za-z0-9_]{1,32}$/;
const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;
const OPTION_NAME = /^[a-z][a-z0-9_-]*$/;
/** Options the construct sets itself: overriding them would break replication or bootstrap. */
const MANAGED_OPTIONS = new Set([
  'datadir', 'server_id', 'report_host', 'report_port', 'gtid_mode', 'enforce_gtid_consistency', 'log_bin', 'skip_log_bin',
  'disable_log_bin', 'read_only', 'super_read_only', 'relay_log', 'plugin_load_add', 'skip_replica_start', 'socket', 'port',
  'skip_networking', 'bind_address', 'secure_file_priv', 'pid_file', 'log_replica_updates', 'user', 'tmpdir', 'innodb_tmpdir',
  'mysqlx', 'mysqlx_socket', 'mysqlx_bind_address', 'log_error', 'admin_address',
]);

/** Per-pod storage of the data directory. */
export interface MySqlStorage {
  /**
   * Capacity of each member's volume.
   * @default Size.gibibytes(10)
   */
  readonly size?: Size;
  /**
   * StorageClass.
   * @default - the cluster's default StorageClass
   */
  readonly storageClass?: IStorageClass;
}

/** An application database and the user that owns it, created on first start. */
export interface MySqlDatabase {
  /** Database (schema) name. */
  readonly name: string;
  /** User name; its password is the credentials Secret's `userPassword` key. */
  readonly user: string;
}

/** The mysqld-exporter sidecar. */
export interface MySqlMetricsOptions {
  /**
   * Exporter image.
   * @default 'prom/mysqld-exporter:v0.18.0'
   */
  readonly image?: string;
  /**
   * Also emit a Prometheus Operator ServiceMonitor.
   * @default false
   */
  readonly serviceMonitor?: boolean;
  /**
   * Scrape interval of the ServiceMonitor.
   * @default Duration.seconds(30)
   */
  readonly interval?: Duration;
  /**
   * Metrics user name (its password is the Secret's `exporterPassword` key).
   * @default 'exporter'
   */
  readonly user?: string;
}

/** Who may connect, enforced by a NetworkPolicy. */
export interface MySqlNetworkPolicyOptions {
  /**
   * Labels of client pods allowed to connect to MySQL.
   * @default - pods labelled `cdk8s-stateful.io/mysql-client: <name>` (what `connectClient` adds)
   */
  readonly clientPodLabels?: { [key: string]: string };
  /**
   * Labels of other namespaces whose matching client pods may connect too.
   * @default - clients in the same namespace only
   */
  readonly clientNamespaceLabels?: { [key: string]: string };
  /**
   * Labels of the namespace Prometheus runs in (scrapes the metrics port).
   * @default { 'kubernetes.io/metadata.name': 'monitoring' }
   */
  readonly metricsNamespaceLabels?: { [key: string]: string };
}

/** Props of a {@link ReplicatedMySql}. */
export interface ReplicatedMySqlProps {
  /**
   * Name of the StatefulSet, its headless Service (`<name>`), read Service (`<name>-read`) and
   * write Service (`<name>-primary`). Renaming a deployed cluster gives it new, empty volumes.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Namespace of every object.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Members: ordinal `primaryOrdinal` is the primary, the others are read-only replicas.
   * @default 3
   */
  readonly replicas?: number;
  /**
   * Per-member storage (PVCs `data-<name>-<ordinal>`).
   * @default - 10Gi on the cluster's default StorageClass
   */
  readonly storage?: MySqlStorage;
  /**
   * MySQL image: 8.4 LTS (`mysql:8.4.x`) or 9.7 LTS (`mysql:9.7.x`), or a mirror with such a tag.
   * @default - 'mysql:8.4.10', or 'mysql:9.7.4' with `version: MySqlVersion.V9_7`
   */
  readonly image?: string;
  /**
   * The MySQL series, where the image tag does not say (a digest, a mirror's own tags).
   * @default - read from the image tag; MySqlVersion.V8_4 without an image
   */
  readonly version?: MySqlVersion;
  /**
   * Where passwords come from.
   * @default - MySqlCredentials.fromSecretName('<name>-credentials'), which you create
   */
  readonly credentials?: MySqlCredentials;
  /**
   * An application database and user, created on first start.
   * @default - none (only root and the replication user exist)
   */
  readonly database?: MySqlDatabase;
  /**
   * Name of the replication and clone user.
   * @default 'repl'
   */
  readonly replicationUser?: string;
  /**
   * Members get `server_id` = base + ordinal. Give clusters that replicate with each other
   * different bases.
   * @default 100
   */
  readonly serverIdBase?: number;
  /**
   * The ordinal of the primary. Changing it is a failover (README: "Failover"): the write
   * Service moves to that member, which promotes itself on its next start once it has applied
   * everything it received (and refuses while the old primary still accepts writes or another
   * member is ahead of it); the other members follow it.
   * @default - the first ordinal (0)
   */
  readonly primaryOrdinal?: number;
  /**
   * The first ordinal (pods are `<name>-<start>` ...). Only for recovery: it lets the set run
   * without its lowest members (README: "Recovering a lost primary").
   * @default 0
   */
  readonly startOrdinal?: number;
  /**
   * mysqld options merged over the defaults for every member (`{ max_connections: '500' }`).
   * @default - the library's defaults (GTID, binary logs, buffer pool at half the memory limit, ...)
   */
  readonly config?: { [option: string]: string };
  /**
   * SQL run once, on the primary's first start (after the users exist), e.g. schema creation.
   * @default - none
   */
  readonly initSql?: string;
  /**
   * Resources of the mysql container (and of the bootstrap init container, which runs mysqld too).
   * @default - cpu request 500m; memory request and limit 1Gi
   */
  readonly resources?: ContainerResources;
  /**
   * How long a member may take to start (crash recovery of a large data set) before it is restarted.
   * @default Duration.minutes(30)
   */
  readonly startupTimeout?: Duration;
  /**
   * A replica that lags the primary by more than this (or whose replication threads stopped)
   * is not Ready, so it leaves the read Service until it catches up.
   * @default Duration.seconds(60)
   */
  readonly maxReplicaLag?: Duration;
  /**
   * What the primary does with an empty data directory. The default starts a new cluster by
   * itself and refuses when other members' volume claims exist (the primary's volume was lost).
   * @default EmptyPrimaryPolicy.INITIALIZE_WHEN_NEW
   */
  readonly emptyPrimary?: EmptyPrimaryPolicy;
  /**
   * Time for mysqld to shut down cleanly.
   * @default Duration.seconds(120)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * The mysqld-exporter sidecar (and optionally a ServiceMonitor).
   * @default - no metrics
   */
  readonly metrics?: MySqlMetricsOptions;
  /**
   * A NetworkPolicy that admits only clients, peers and Prometheus.
   * @default - no NetworkPolicy
   */
  readonly networkPolicy?: MySqlNetworkPolicyOptions;
  /**
   * How template changes roll out (RollingUpdate goes from the highest ordinal down, so the
   * primary, ordinal 0, is updated last).
   * @default UpdateStrategy.rollingUpdate()
   */
  readonly updateStrategy?: UpdateStrategy;
  /**
   * PVC retention.
   * @default - Retain on deletion and scale-in
   */
  readonly pvcRetentionPolicy?: PvcRetentionPolicy;
  /**
   * Spread members over nodes.
   * @default SpreadMode.PREFERRED
   */
  readonly spreadAcrossNodes?: SpreadMode;
  /**
   * Spread members over zones.
   * @default SpreadMode.NONE
   */
  readonly spreadAcrossZones?: SpreadMode;
  /**
   * The PodDisruptionBudget.
   * @default - maxUnavailable 1 when replicas > 1
   */
  readonly disruptionBudget?: DisruptionBudget;
  /**
   * Labels on every object and pod.
   * @default - the recommended app.kubernetes.io labels
   */
  readonly labels?: { [key: string]: string };
  /**
   * Annotations on every object.
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
  /**
   * Extra pod annotations.
   * @default - none
   */
  readonly podAnnotations?: { [key: string]: string };
  /**
   * Node labels members must run on.
   * @default - any node
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Tolerations.
   * @default - none
   */
  readonly tolerations?: k8s.Toleration[];
  /**
   * PriorityClass.
   * @default - the cluster default
   */
  readonly priorityClassName?: string;
  /**
   * Service account.
   * @default - the namespace's default (its token is not mounted)
   */
  readonly serviceAccountName?: string;
  /**
   * Cluster DNS domain.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
}

/** Options of {@link ReplicatedMySql.connectClient}. */
export interface MySqlClientOptions {
  /**
   * The container to configure.
   * @default - the workload's first container
   */
  readonly container?: kplus.Container;
  /**
   * Prefix of the environment variable names.
   * @default 'MYSQL_'
   */
  readonly envPrefix?: string;
}

/** Checks the NetworkPolicy options (in the plan, so a refused cluster leaves nothing behind). */
function checkNetworkPolicyOptions(v: Validator, options: MySqlNetworkPolicyOptions): void {
  const labelMap = (prop: string, map: { [key: string]: string } | undefined) => {
    for (const [key, value] of Object.entries(map ?? {})) {
      if (checkQualifiedKey(key)) v.fail(`networkPolicy.${prop} key`, key, checkQualifiedKey(key), 'use a label key like "app.kubernetes.io/name"');
      if (checkLabelValue(value)) v.fail(`networkPolicy.${prop}.${key}`, value, checkLabelValue(value), 'use a label value');
    }
    if (map !== undefined && Object.keys(map).length === 0) v.fail(`networkPolicy.${prop}`, map, 'is empty and would match everything', 'list at least one label, or remove the prop');
  };
  labelMap('clientPodLabels', options.clientPodLabels);
  labelMap('clientNamespaceLabels', options.clientNamespaceLabels);
  labelMap('metricsNamespaceLabels', options.metricsNamespaceLabels);
}

/** What ReplicatedMySql derives from its props, computed (and validated) before the set exists. */
interface MySqlPlan {
  readonly name: string;
  readonly primaryOrdinal: number;
  readonly secretName: string;
  readonly rootPasswordKey: string;
  readonly replicationPasswordKey: string;
  readonly userPasswordKey: string;
  readonly exporterPasswordKey: string;
  readonly databaseName?: string;
  readonly username?: string;
  readonly replicationUser: string;
  readonly plain?: MySqlCredentials['_plaintext'];
  readonly metrics?: MySqlMetricsOptions;
  readonly metricsIntervalSeconds: number;
  readonly version: MySqlVersion;
  /** The bootstrap lists the members' claims through the API server (EmptyPrimaryPolicy.INITIALIZE_WHEN_NEW). */
  readonly asksApiServer: boolean;
  readonly serviceAccountName: string;
  readonly appProps: StatefulAppProps;
}

/** The memory mysqld may use, in MiB: the limit, else the request; undefined when neither is set. */
function mysqlMemoryMiB(v: Validator, resources: ContainerResources): number | undefined {
  for (const key of ['limit', 'request'] as const) {
    const size = resources.memory?.[key];
    if (size === undefined) continue;
    if (!(size instanceof Size)) v.fail(`resources.memory.${key}`, size, 'must be a Size', 'use Size.gibibytes(2)');
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

/**
 * Validates the props and computes the StatefulApp props. Runs before `super()`: the cluster is its
 * own StatefulSet, so the set's props must be final when it is created.
 */
function planMySql(scope: Construct, id: string, props: ReplicatedMySqlProps): MySqlPlan {
  const v: Validator = new Validator(futurePath(scope, id), KIND);
  const plan = {} as { -readonly [K in keyof MySqlPlan]: MySqlPlan[K] };
  const name = props.name ?? id;
  const nameProblem = checkWorkloadName(name);
  if (nameProblem) {
    v.fail(props.name === undefined ? 'name (from the construct id)' : 'name', name, nameProblem,
      'pass a name of lower case letters, digits and "-", starting with a letter, e.g. name: "mysql"');
  }
  if (props.namespace !== undefined && checkDns1123Label(props.namespace)) {
    v.fail('namespace', props.namespace, checkDns1123Label(props.namespace), 'use a namespace name such as "mysql"');
  }
  plan.name = name;

  // --- version, topology ----------------------------------------------------------------
  if (props.version !== undefined && !Object.values(MySqlVersion).includes(props.version)) {
    v.fail('version', props.version, 'is not a MySqlVersion', 'use MySqlVersion.V8_4 or MySqlVersion.V9_7');
  }
  const image = props.image ?? (props.version === MySqlVersion.V9_7 ? DEFAULT_MYSQL_97_IMAGE : DEFAULT_MYSQL_IMAGE);
  const ref = parseImage(image);
  if (!ref) v.fail('image', image, 'is not a valid image reference', `use "${DEFAULT_MYSQL_IMAGE}"`);
  const series = /^(\d+\.\d+)(\.\d+)?([-_.][A-Za-z0-9._-]+)?$/.exec(ref.tag ?? '')?.[1];
  const tagVersion = Object.values(MySqlVersion).find(x => x === series);
  if (ref.tag !== undefined && series !== undefined && tagVersion === undefined) {
    v.fail('image', image, `is not a supported MySQL version (tag "${ref.tag}"): ReplicatedMySql runs the LTS series 8.4 and 9.7 (8.0 is end-of-life; 5.7 lacks CLONE and GTID auto-positioning as used here; innovation releases are untested)`,
      `use "${DEFAULT_MYSQL_IMAGE}" or "${DEFAULT_MYSQL_97_IMAGE}"${ref.digest ? ' together with the digest, e.g. "mysql:8.4.10@sha256:..."' : ''}`);
  }
  if (tagVersion !== undefined && props.version !== undefined && tagVersion !== props.version) {
    v.fail('version', props.version, `contradicts the image tag "${ref.tag}" (MySQL ${tagVersion})`, 'remove version, or use an image of that series');
  }
  const version = tagVersion ?? props.version;
  if (version === undefined) {
    v.fail('image', image, `does not say which MySQL series it is (${ref.tag ? `tag "${ref.tag}"` : 'no tag'})`,
      'add version: MySqlVersion.V8_4 (or V9_7), or use a tag such as "8.4.10"');
  }
  const replicas = props.replicas ?? 3;
  v.integer('replicas', replicas, 1, 1000, 'use 1 (a single instance) or more (one primary, the rest replicas)');
  const startOrdinal = props.startOrdinal ?? 0;
  v.integer('startOrdinal', startOrdinal, 0, 1_000_000, 'use 0 or a positive ordinal');
  const primaryOrdinal = props.primaryOrdinal ?? startOrdinal;
  v.integer('primaryOrdinal', primaryOrdinal, startOrdinal, startOrdinal + replicas - 1,
    `use an ordinal between ${startOrdinal} and ${startOrdinal + replicas - 1} (the members are ${name}-${startOrdinal} to ${name}-${startOrdinal + replicas - 1})`);
  plan.primaryOrdinal = primaryOrdinal;
  const serverIdBase = props.serverIdBase ?? 100;
  const maxServerId = 4294967295;
  v.integer('serverIdBase', serverIdBase, 1, maxServerId - (startOrdinal + replicas - 1),
    `use a base between 1 and ${maxServerId - (startOrdinal + replicas - 1)} (server_id = base + ordinal must stay within 1..4294967295)`);

  const storageSize = props.storage?.size ?? Size.gibibytes(10);
  if (!(storageSize instanceof Size) || !(sizeBytes(storageSize) > 0)) {
    v.fail('storage.size', storageSize instanceof Size ? `${sizeBytes(storageSize)} bytes` : storageSize, 'must be a positive Size', 'use Size.gibibytes(10)');
  }

  // --- credentials ----------------------------------------------------------------------
  const credentials = props.credentials ?? MySqlCredentials.fromSecretName(`${name}-credentials`);
  if (!(credentials instanceof MySqlCredentials)) {
    v.fail('credentials', credentials, 'is not MySqlCredentials', 'use MySqlCredentials.fromSecretName("mysql-credentials")');
  }
  const keys = credentials._keys;
  plan.secretName = credentials.secretName ?? `${name}-credentials`;
  if (checkDns1123Subdomain(plan.secretName)) {
    v.fail('credentials (Secret name)', plan.secretName, checkDns1123Subdomain(plan.secretName), 'pass the name of the Secret that holds the passwords');
  }
  plan.rootPasswordKey = keys.rootPassword ?? 'root-password';
  plan.replicationPasswordKey = keys.replicationPassword ?? 'replication-password';
  plan.userPasswordKey = keys.userPassword ?? 'password';
  const exporterPasswordKey = keys.exporterPassword ?? 'exporter-password';

  const replicationUser = props.replicationUser ?? 'repl';
  if (!USER_NAME.test(replicationUser) || replicationUser === 'root') {
    v.fail('replicationUser', replicationUser, 'must be 1-32 letters, digits or "_", and not root', 'use "repl"');
  }
  plan.replicationUser = replicationUser;
  if (props.database !== undefined) {
    const db = props.database;
    if (typeof db.name !== 'string' || !DATABASE_NAME.test(db.name)) {
      v.fail('database.name', db.name, 'must be 1-64 letters, digits or "_"', 'use a name like "shop"');
    }
    if (typeof db.user !== 'string' || !USER_NAME.test(db.user) || db.user === 'root' || db.user === replicationUser) {
      v.fail('database.user', db.user, `must be 1-32 letters, digits or "_", and neither root nor the replication user (${replicationUser})`, 'use a name like "shop"');
    }
    plan.databaseName = db.name;
    plan.username = db.user;
  }
  const metrics = props.metrics;
  const exporterUser = metrics ? metrics.user ?? 'exporter' : undefined;
  if (exporterUser !== undefined && (!USER_NAME.test(exporterUser) || [replicationUser, 'root', plan.username].includes(exporterUser))) {
    v.fail('metrics.user', exporterUser, 'must be 1-32 letters, digits or "_", and differ from the other users', 'use "exporter"');
  }
  const plain = credentials._plaintext;
  if (plain) {
    const need: Array<[string, string | undefined]> = [['rootPassword', plain.rootPassword], ['replicationPassword', plain.replicationPassword]];
    if (props.database) need.push(['userPassword', plain.userPassword]);
    if (metrics) need.push(['exporterPassword', plain.exporterPassword]);
    for (const [key, value] of need) {
      if (typeof value !== 'string' || value.length === 0) {
        v.fail(`credentials.${key}`, value === undefined ? undefined : '(hidden)', 'must be a non-empty password', `pass ${key} to MySqlCredentials.fromInsecurePlaintextPasswords`);
      }
    }
  }

  // --- configuration ----------------------------------------------------------------------
  const resources: ContainerResources = {
    cpu: { request: Cpu.millis(500) },
    memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
    ...(props.resources ?? {}),
  };
  const memoryMiB = mysqlMemoryMiB(v, resources);
  // The buffer pool gets three quarters of what mysqld's fixed overhead leaves, in 128 MiB steps
  // (at least 128 MiB); in-memory temporary tables are capped so a big sort spills to the
  // data volume instead of exceeding the limit.
  const bufferPoolMiB = memoryMiB === undefined ? 256
    : Math.max(MIN_BUFFER_POOL_MIB, Math.floor(((memoryMiB - MYSQLD_OVERHEAD_MIB) * 3) / 4 / 128) * 128);
  const temptableMiB = memoryMiB === undefined ? 64 : Math.min(1024, Math.max(32, Math.floor(memoryMiB / 16)));
  const options = new Map<string, string>([
    ['datadir', `${DATA_ROOT}/data`],
    ['socket', `${SOCKET_DIR}/mysqld.sock`],
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
  ]);
  for (const [option, value] of Object.entries(props.config ?? {})) {
    const key = option.replace(/-/g, '_');
    if (!OPTION_NAME.test(option)) v.fail(`config key`, option, 'is not a mysqld option name', 'use names like "max_connections"');
    if (MANAGED_OPTIONS.has(key)) v.fail(`config.${option}`, value, 'is managed by ReplicatedMySql (replication, bootstrap and roles depend on it)', 'remove it');
    if (typeof value !== 'string' || /[\r\n]/.test(value)) v.fail(`config.${option}`, value, 'must be a single-line string', `quote it: "${String(value).split(/\r?\n/)[0]}"`);
    options.delete(key);
    options.set(key, value);
  }
  if (memoryMiB !== undefined) {
    const given = props.config?.innodb_buffer_pool_size ?? props.config?.['innodb-buffer-pool-size'];
    const poolMiB = mysqlSizeMiB(options.get('innodb_buffer_pool_size')!);
    if (poolMiB === undefined) {
      v.fail('config.innodb_buffer_pool_size', given, 'is not a size mysqld understands', 'use a size such as "512M" or "2G"');
    }
    const needMiB = Math.ceil(poolMiB) + MYSQLD_OVERHEAD_MIB;
    if (memoryMiB < needMiB) {
      const which = resources.memory?.limit !== undefined ? 'limit' : 'request';
      v.fail(`resources.memory.${which}`, `${memoryMiB}Mi`,
        `is too small for mysqld: the InnoDB buffer pool (${Math.ceil(poolMiB)} MiB${given !== undefined ? ', from config' : ''}) plus about ${MYSQLD_OVERHEAD_MIB} MiB that mysqld needs besides it (performance_schema, log buffer, connections: about 420 MiB idle on MySQL 9.7) make ${needMiB} MiB, so the pod would be OOM-killed`,
        `use at least Size.mebibytes(${needMiB})${given !== undefined ? ', or a smaller innodb_buffer_pool_size' : ''}`);
    }
  }
  const cnf = (title: string, entries: Iterable<[string, string]>) =>
    `# ${title}\n[mysqld]\n${[...entries].map(([k, val]) => `${k} = ${val}`).join('\n')}\n`;
  const files: { [file: string]: string } = {
    ...mysqlScripts(),
    'common.cnf': cnf(`Shared by every member of ${name}; written by cdk8s-stateful.`, options),
    'primary.cnf': cnf('The primary accepts writes.', [['read_only', 'OFF'], ['super_read_only', 'OFF']]),
    'replica.cnf': cnf('Replicas apply the primary\'s changes only: even root cannot write.', [['read_only', 'ON'], ['super_read_only', 'ON']]),
  };
  if (props.initSql !== undefined) {
    if (typeof props.initSql !== 'string' || props.initSql.trim().length === 0) v.fail('initSql', props.initSql, 'must be non-empty SQL', 'pass SQL statements, or remove initSql');
    files['init.sql'] = props.initSql;
  }

  // --- startup budget, probes -----------------------------------------------------------
  const startupTimeout = props.startupTimeout ?? Duration.minutes(30);
  const startupSeconds = startupTimeout.toMilliseconds() / 1000;
  if (!(startupSeconds >= 60)) v.fail('startupTimeout', `${startupSeconds}s`, 'must be at least 60 seconds (mysqld recovers and may initialize before it answers)', 'use Duration.minutes(30)');
  const probeTiming = { period: Duration.seconds(10), timeout: Duration.seconds(5) };

  // --- environment --------------------------------------------------------------------------
  const maxLagSeconds = (props.maxReplicaLag ?? Duration.seconds(60)).toMilliseconds() / 1000;
  if (!Number.isInteger(maxLagSeconds) || maxLagSeconds < 1) {
    v.fail('maxReplicaLag', `${maxLagSeconds}s`, 'must be a whole number of seconds >= 1', 'use Duration.seconds(60)');
  }
  const emptyPrimary = props.emptyPrimary ?? EmptyPrimaryPolicy.INITIALIZE_WHEN_NEW;
  if (!Object.values(EmptyPrimaryPolicy).includes(emptyPrimary)) {
    v.fail('emptyPrimary', emptyPrimary, 'is not an EmptyPrimaryPolicy', 'use EmptyPrimaryPolicy.INITIALIZE_WHEN_NEW');
  }
  plan.asksApiServer = emptyPrimary === EmptyPrimaryPolicy.INITIALIZE_WHEN_NEW;
  if (plan.asksApiServer && (props.namespace ?? Chart.of(scope).namespace) === undefined) {
    v.fail('namespace', undefined, 'is needed: the RoleBinding that lets the bootstrap list the members\' volume claims must name the ServiceAccount with its namespace',
      'set namespace on the chart or on the ReplicatedMySql (the namespace you deploy to)');
  }
  plan.serviceAccountName = props.serviceAccountName ?? name;
  const secretRef = (key: string) => EnvValue.fromSecretKey(plan.secretName, key);
  const identity: { [env: string]: EnvValue } = {
    POD_NAME: EnvValue.fromFieldPath('metadata.name'),
    MYSQL_NAMESPACE: EnvValue.fromFieldPath('metadata.namespace'),
    MYSQL_SET_NAME: EnvValue.fromValue(name),
    MYSQL_SERVICE: EnvValue.fromValue(name),
    CLUSTER_DOMAIN: EnvValue.fromValue(props.clusterDomain ?? 'cluster.local'),
    PRIMARY_ORDINAL: EnvValue.fromValue(String(primaryOrdinal)),
    START_ORDINAL: EnvValue.fromValue(String(startOrdinal)),
  };
  const rootPassword = { MYSQL_ROOT_PASSWORD: secretRef(plan.rootPasswordKey) };
  const mainEnv: { [env: string]: EnvValue } = {
    // root logs in over the pod-local socket only (root@localhost): the probes, and you with kubectl exec.
    ...rootPassword,
    MAX_REPLICA_LAG_SECONDS: EnvValue.fromValue(String(maxLagSeconds)),
  };
  const bootstrapEnv: { [env: string]: EnvValue } = {
    ...identity,
    ...rootPassword,
    REPLICAS: EnvValue.fromValue(String(replicas)),
    REPLICATION_USER: EnvValue.fromValue(replicationUser),
    REPLICATION_PASSWORD: secretRef(plan.replicationPasswordKey),
    ...(props.database ? {
      APP_DATABASE: EnvValue.fromValue(props.database.name),
      APP_USER: EnvValue.fromValue(props.database.user),
      APP_PASSWORD: secretRef(plan.userPasswordKey),
    } : {}),
    ...(exporterUser ? { EXPORTER_USER: EnvValue.fromValue(exporterUser), EXPORTER_PASSWORD: secretRef(exporterPasswordKey) } : {}),
    EMPTY_PRIMARY: EnvValue.fromValue(emptyPrimary),
    ...(plan.asksApiServer ? {
      CLAIM_SELECTOR: EnvValue.fromValue(`app.kubernetes.io/instance=${name},app.kubernetes.io/name=mysql`),
      SERVICE_ACCOUNT: EnvValue.fromValue(plan.serviceAccountName),
    } : {}),
  };

  const toolsMount = { volume: 'config', mountPath: TOOLS_DIR, readOnly: true };
  const socketMount = { volume: 'run', mountPath: SOCKET_DIR };
  if (metrics) {
    // The exporter connects over the pod-local socket (the socket counts as secure for
    // caching_sha2_password, and mysqld listens on the pod IP only); its password comes from
    // MYSQLD_EXPORTER_PASSWORD.
    files['exporter.cnf'] = `# mysqld_exporter's connection (--config.my-cnf); written by cdk8s-stateful.\n[client]\nuser = ${exporterUser}\nsocket = ${SOCKET_DIR}/mysqld.sock\n`;
  }
  const sidecars = metrics ? [{
    name: 'metrics',
    image: metrics.image ?? DEFAULT_EXPORTER_IMAGE,
    args: [`--config.my-cnf=${TOOLS_DIR}/exporter.cnf`, `--web.listen-address=:${METRICS_PORT}`],
    env: { MYSQLD_EXPORTER_PASSWORD: secretRef(exporterPasswordKey) },
    ports: [{ name: 'metrics', port: METRICS_PORT }],
    mounts: [toolsMount, socketMount],
    readinessProbe: Probe.httpGet('/', { port: METRICS_PORT }),
    resources: { cpu: { request: Cpu.millis(50) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) } },
  }] : [];

  // The bootstrap asks the API server for the members' volume claims; only it gets a token,
  // short-lived and projected, while the pod keeps automountServiceAccountToken: false.
  const apiAccess: k8s.Volume[] = plan.asksApiServer ? [{
    name: 'kube-api',
    projected: {
      sources: [
        { serviceAccountToken: { path: 'token', expirationSeconds: 600 } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      ],
    },
  }] : [];

  plan.appProps = {
    name,
    namespace: props.namespace,
    image,
    replicas,
    startOrdinal: props.startOrdinal,
    appName: 'mysql',
    component: 'database',
    containerName: 'mysql',
    // The pod owns its behaviour: mysqld with the configuration init-config wrote, no image entrypoint.
    command: ['mysqld'],
    args: [`--defaults-file=${CONF_DIR}/mysqld.cnf`],
    ports: [{ name: 'mysql', port: PORT }],
    env: mainEnv,
    volumes: [{ name: 'data', mountPath: DATA_ROOT, size: storageSize, storageClass: props.storage?.storageClass }],
    emptyDirs: [
      { name: 'conf', mountPath: CONF_DIR, sizeLimit: Size.mebibytes(1) },
      { name: 'run', mountPath: SOCKET_DIR, sizeLimit: Size.mebibytes(16) },
      // For the shell and the client; mysqld's own temporary files go to the data volume.
      { name: 'tmp', mountPath: '/tmp', sizeLimit: Size.mebibytes(64) },
    ],
    _extraVolumes: apiAccess,
    config: { files, mountPath: TOOLS_DIR },
    resources,
    startupProbe: Probe.exec([...PROBE, 'startup'], { ...probeTiming, failureThreshold: Math.ceil(startupSeconds / 10) }),
    readinessProbe: Probe.exec([...PROBE, 'readiness'], probeTiming),
    // Restart only a mysqld that stopped answering for a minute; never a slow one.
    livenessProbe: Probe.exec([...PROBE, 'liveness'], { ...probeTiming, failureThreshold: 6 }),
    initContainers: [
      {
        name: 'init-config',
        command: ['bash', `${TOOLS_DIR}/init-config.sh`],
        env: {
          ...identity,
          POD_IP: EnvValue.fromFieldPath('status.podIP'),
          SERVER_ID_BASE: EnvValue.fromValue(String(serverIdBase)),
        },
        mounts: [toolsMount, { volume: 'conf', mountPath: CONF_DIR }],
      },
      {
        name: 'bootstrap',
        command: ['bash', `${TOOLS_DIR}/bootstrap.sh`],
        env: bootstrapEnv,
        mounts: [
          toolsMount,
          { volume: 'conf', mountPath: CONF_DIR, readOnly: true },
          { volume: 'data', mountPath: DATA_ROOT },
          { volume: 'tmp', mountPath: '/tmp' },
          ...(plan.asksApiServer ? [{ volume: 'kube-api', mountPath: SA_DIR, readOnly: true }] : []),
        ],
        // It runs mysqld (initialization, clone, reconciliation): same needs as the server.
        resources,
      },
    ],
    sidecars,
    runAsUser: MYSQL_UID,
    runAsGroup: MYSQL_UID,
    fsGroup: MYSQL_UID,
    terminationGracePeriod: props.terminationGracePeriod ?? Duration.seconds(120),
    // Members start together: each bootstrap orders itself (a replica waits for its donor), and a
    // replica is Ready only while it replicates, so OrderedReady would deadlock a full restart
    // whenever the primary is not the first ordinal (after a failover), and would keep a
    // failover's rolling update from reaching a stuck member.
    podManagementPolicy: PodManagementPolicy.PARALLEL,
    updateStrategy: props.updateStrategy,
    pvcRetentionPolicy: props.pvcRetentionPolicy,
    spreadAcrossNodes: props.spreadAcrossNodes,
    spreadAcrossZones: props.spreadAcrossZones,
    disruptionBudget: props.disruptionBudget,
    readService: { name: `${name}-read` },
    labels: props.labels,
    annotations: props.annotations,
    podAnnotations: props.podAnnotations,
    nodeSelector: props.nodeSelector,
    tolerations: props.tolerations,
    priorityClassName: props.priorityClassName,
    serviceAccountName: plan.asksApiServer ? plan.serviceAccountName : props.serviceAccountName,
    clusterDomain: props.clusterDomain,
  };
  plan.version = version;
  plan.exporterPasswordKey = exporterPasswordKey;
  plan.plain = plain;
  plan.metrics = metrics;
  const intervalSeconds = (metrics?.interval ?? Duration.seconds(30)).toMilliseconds() / 1000;
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 5) v.fail('metrics.interval', `${intervalSeconds}s`, 'must be a whole number of seconds >= 5', 'use Duration.seconds(30)');
  plan.metricsIntervalSeconds = intervalSeconds;
  if (props.networkPolicy !== undefined) checkNetworkPolicyOptions(v, props.networkPolicy);
  return plan;
}

/**
 * Replicated MySQL 8.4 on one StatefulSet, the Kubernetes docs' design made safe: ordinal 0 is
 * the primary, the others clone it (CLONE plugin) and replicate with GTID auto-positioning and
 * `super_read_only`. Runs as uid 999 under Pod Security 'restricted' with a read-only root,
 * takes every password from a Secret, and exposes a headless, a read and a write Service.
 *
 * It is a `StatefulApp` (and so its own StatefulSet): it computes the app's props from its own,
 * then adds the MySQL objects. Extending rather than holding a StatefulApp keeps one construct per
 * emitted object, which is what keeps synthesis of large fleets close to raw cdk8s.
 *
 * @example
 * const mysql = new ReplicatedMySql(chart, 'mysql', {
 *   replicas: 3,
 *   storage: { size: Size.gibibytes(10), storageClass: disks },
 *   database: { name: 'shop', user: 'shop' },
 * });
 * mysql.connectClient(deployment);
 */
export class ReplicatedMySql extends StatefulApp {
  /** Ordinal of the primary. */
  public readonly primaryOrdinal: number;
  /** The MySQL port. */
  public readonly port: number = PORT;
  /** Name of the Secret with the passwords. */
  public readonly secretName: string;
  /** Key of root's password in the Secret. */
  public readonly rootPasswordKey: string;
  /** Key of the replication user's password in the Secret. */
  public readonly replicationPasswordKey: string;
  /** Key of the application user's password in the Secret. */
  public readonly userPasswordKey: string;
  /** The application database, if configured. */
  public readonly databaseName?: string;
  /** The application user, if configured. */
  public readonly username?: string;
  /** The replication user. */
  public readonly replicationUser: string;
  /** The write Service (`<name>-primary`), selecting the primary pod only. */
  public readonly primaryService: k8s.KubeService;
  /** The read Service (`<name>-read`), load-balancing over every Ready member. */
  declare public readonly readService: k8s.KubeService;
  /** The ConfigMap with the configuration and scripts. */
  declare public readonly configMap: k8s.KubeConfigMap;
  /** The Secret, only with `fromInsecurePlaintextPasswords`. */
  public readonly plaintextSecret?: k8s.KubeSecret;
  /** The NetworkPolicy, if enabled. */
  public readonly networkPolicy?: k8s.KubeNetworkPolicy;
  /** The metrics Service, if metrics are enabled. */
  public readonly metricsService?: k8s.KubeService;
  /** The ServiceMonitor, if enabled. */
  public readonly serviceMonitor?: KubeServiceMonitor;
  /** The MySQL series the members run. */
  public readonly version: MySqlVersion;
  /**
   * The pods' ServiceAccount (`<name>`), unless `serviceAccountName` names yours; only with
   * EmptyPrimaryPolicy.INITIALIZE_WHEN_NEW. Its token is never mounted automatically.
   */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** The Role (`<name>-bootstrap`) that lets the bootstrap list the namespace's PersistentVolumeClaims. */
  public readonly bootstrapRole?: k8s.KubeRole;
  /** The RoleBinding (`<name>-bootstrap`) of that Role to the pods' ServiceAccount. */
  public readonly bootstrapRoleBinding?: k8s.KubeRoleBinding;

  private clients = 0;

  constructor(scope: Construct, id: string, props: ReplicatedMySqlProps = {}) {
    const plan = planMySql(scope, id, props);
    super(scope, id, plan.appProps);
    const { name, primaryOrdinal, plain, metrics, exporterPasswordKey } = plan;
    this.primaryOrdinal = primaryOrdinal;
    this.secretName = plan.secretName;
    this.rootPasswordKey = plan.rootPasswordKey;
    this.replicationPasswordKey = plan.replicationPasswordKey;
    this.userPasswordKey = plan.userPasswordKey;
    this.databaseName = plan.databaseName;
    this.username = plan.username;
    this.replicationUser = plan.replicationUser;
    this.version = plan.version;
    this.primaryService = this.addService('Primary', { name: `${name}-primary`, podOrdinal: primaryOrdinal });

    if (plan.asksApiServer) {
      const metadata = (objectName: string) => ({ name: objectName, namespace: this.namespace, labels: this.labels });
      if (props.serviceAccountName === undefined) {
        this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
          metadata: metadata(plan.serviceAccountName),
          automountServiceAccountToken: false,
        });
      }
      // The evidence that a cluster has run before: each member labels its own claim once it
      // holds data, and an empty primary lists the labelled claims. Claims only, this namespace,
      // labels only on the members' own claims.
      const claimNames = Array.from({ length: this.replicas }, (_, i) => `data-${name}-${this.startOrdinal + i}`);
      this.bootstrapRole = new k8s.KubeRole(this, 'BootstrapRole', {
        metadata: metadata(`${name}-bootstrap`),
        rules: [
          { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['list'] },
          ...(claimNames.length > 0 ? [{ apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['patch'], resourceNames: claimNames }] : []),
        ],
      });
      this.bootstrapRoleBinding = new k8s.KubeRoleBinding(this, 'BootstrapRoleBinding', {
        metadata: metadata(`${name}-bootstrap`),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-bootstrap` },
        subjects: [{ kind: 'ServiceAccount', name: plan.serviceAccountName, namespace: this.namespace }],
      });
    }

    if (plain) {
      this.plaintextSecret = new k8s.KubeSecret(this, 'Secret', {
        metadata: {
          name: this.secretName,
          namespace: this.namespace,
          labels: this.labels,
          annotations: { 'cdk8s-stateful.io/warning': 'plaintext passwords committed by MySqlCredentials.fromInsecurePlaintextPasswords' },
        },
        stringData: {
          [this.rootPasswordKey]: plain.rootPassword,
          [this.replicationPasswordKey]: plain.replicationPassword,
          ...(props.database ? { [this.userPasswordKey]: plain.userPassword! } : {}),
          ...(metrics ? { [exporterPasswordKey]: plain.exporterPassword! } : {}),
        },
      });
    }

    if (metrics) {
      this.metricsService = this.addService('Metrics', {
        name: `${name}-metrics`, headless: true, ports: ['metrics'], labels: { [LABEL_COMPONENT]: 'metrics' },
      });
      if (metrics.serviceMonitor) {
        const intervalSeconds = plan.metricsIntervalSeconds;
        this.serviceMonitor = new KubeServiceMonitor(this, 'ServiceMonitor', {
          metadata: { name, namespace: this.namespace, labels: { ...this.labels, [LABEL_COMPONENT]: 'metrics' } },
          spec: {
            selector: { matchLabels: { [LABEL_INSTANCE]: name, [LABEL_COMPONENT]: 'metrics' } },
            endpoints: [{ port: 'metrics', path: '/metrics', interval: `${intervalSeconds}s` }],
          },
        });
      }
    }

    if (props.networkPolicy !== undefined) {
      this.networkPolicy = this.createNetworkPolicy(props.networkPolicy, metrics !== undefined);
    }
  }

  /** DNS name of the write Service: always the current primary. */
  public get primaryHost(): string {
    return this.hostOf(this.primaryService.name);
  }

  /** DNS name of the primary pod through the headless Service. */
  public get primaryPodHost(): string {
    return this.podDnsName(this.primaryOrdinal);
  }

  /** DNS name of the read Service (every Ready member, replicas and primary). */
  public get readHost(): string {
    return this.hostOf(this.readService.name);
  }

  /**
   * Wires a cdk8s-plus-28 workload (Deployment, StatefulSet, Job, ...) as a client: sets
   * `MYSQL_HOST` (the write Service), `MYSQL_READ_HOST`, `MYSQL_PORT`, `MYSQL_DATABASE`,
   * `MYSQL_USER` and `MYSQL_PASSWORD` (from the Secret) on its container, and labels its pods so
   * the NetworkPolicy admits them.
   */
  public connectClient(workload: kplus.Workload, options: MySqlClientOptions = {}): void {
    const v: Validator = new Validator(this, KIND);
    if (!this.username || !this.databaseName) {
      v.fail('database', undefined, 'is not configured, so there is no application user for clients (they must not use root)',
        'set database: { name: "app", user: "app" } on the ReplicatedMySql');
    }
    if (!workload || !Array.isArray((workload as { containers?: unknown }).containers) || !workload.podMetadata) {
      v.fail('connectClient(workload)', workload, 'is not a cdk8s-plus-28 workload', 'pass a kplus.Deployment, StatefulSet, DaemonSet or Job');
    }
    const container = options.container ?? workload.containers[0];
    if (!container) v.fail('connectClient(workload)', workload.node.path, 'has no container to configure', 'add a container first, or pass options.container');
    const prefix = options.envPrefix ?? 'MYSQL_';
    if (!/^[A-Z_][A-Z0-9_]*$/.test(prefix)) v.fail('connectClient options.envPrefix', prefix, 'must be upper case letters, digits and "_"', 'use "MYSQL_" or "DB_"');
    const secret = kplus.Secret.fromSecretName(this, `ClientSecret${this.clients++}`, this.secretName);
    container.env.addVariable(`${prefix}HOST`, kplus.EnvValue.fromValue(this.primaryHost));
    container.env.addVariable(`${prefix}READ_HOST`, kplus.EnvValue.fromValue(this.readHost));
    container.env.addVariable(`${prefix}PORT`, kplus.EnvValue.fromValue(String(this.port)));
    container.env.addVariable(`${prefix}DATABASE`, kplus.EnvValue.fromValue(this.databaseName));
    container.env.addVariable(`${prefix}USER`, kplus.EnvValue.fromValue(this.username));
    container.env.addVariable(`${prefix}PASSWORD`, kplus.EnvValue.fromSecretValue({ secret, key: this.userPasswordKey }));
    workload.podMetadata.addLabel(CLIENT_LABEL, this.name);
  }

  private createNetworkPolicy(options: MySqlNetworkPolicyOptions, metrics: boolean): k8s.KubeNetworkPolicy {
    const mysqlPort = [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(PORT) }];
    const clientPods = { matchLabels: { ...(options.clientPodLabels ?? { [CLIENT_LABEL]: this.name }) } };
    const ingress: k8s.NetworkPolicyIngressRule[] = [
      // Members replicate from and clone each other.
      { from: [{ podSelector: { matchLabels: { ...this.selectorLabels } } }], ports: mysqlPort },
      {
        from: [options.clientNamespaceLabels
          ? { podSelector: clientPods, namespaceSelector: { matchLabels: { ...options.clientNamespaceLabels } } }
          : { podSelector: clientPods }],
        ports: mysqlPort,
      },
    ];
    if (metrics) {
      ingress.push({
        from: [{ namespaceSelector: { matchLabels: { ...(options.metricsNamespaceLabels ?? { 'kubernetes.io/metadata.name': 'monitoring' }) } } }],
        ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(METRICS_PORT) }],
      });
    }
    return new OnePassKubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: this.name, namespace: this.namespace, labels: this.labels },
      spec: {
        podSelector: { matchLabels: { ...this.selectorLabels } },
        policyTypes: ['Ingress'],
        ingress,
      },
    });
  }
}
