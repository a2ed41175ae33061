/** What ReplicatedMySql derives from its props: the StatefulApp's props, the configuration, the pod's scripts and env. */
import { Duration, Size } from 'cdk8s';
import type { ContainerResources, PodManagementPolicy } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DisruptionBudget, SpreadMode } from '../app/options';
import { checkLabelMap } from '../app/metadata';
import { checkSelectorMap } from '../app/network-policy';
import { StatefulAppProps, StatefulWorkloadProps } from '../app/props';
import { WORKLOAD_SHAPES } from '../app/shapes';
import { resolveName, resolveNamespace } from '../app/state';
import { checkProps } from '../check';
import { cpuMillis, EnvSource, HealthProbe, sizeBytes } from '../container';
import { Validator } from '../errors';
import { k8s } from '../kube';
import { checkDns1123Subdomain, parseImage } from '../names';
import { MySqlCredentials } from './credentials';
import { DEFAULT_EXPORTER_IMAGE, DEFAULT_MYSQL_97_IMAGE, DEFAULT_MYSQL_IMAGE, EmptyPrimaryPolicy, MySqlMetricsOptions, MySqlVersion, ReplicatedMySqlProps } from './props';
import { mysqlScripts } from './scripts';
import { MYSQL_SHAPE } from './shapes';

export const KIND = 'ReplicatedMySql';
export const PORT = 3306;
export const METRICS_PORT = 9104;
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
export const CLIENT_LABEL = 'cdk8s-stateful.io/mysql-client';
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


/** The keys of the props StatefulApp and ReplicatedMySql share. */
const SHARED_KEYS = Object.keys(WORKLOAD_SHAPES) as Array<keyof StatefulWorkloadProps>;

/** The shared props, as given: ReplicatedMySql's StatefulApp gets them unchanged. */
function sharedProps(props: ReplicatedMySqlProps): StatefulWorkloadProps {
  const out: { [key: string]: unknown } = {};
  for (const key of SHARED_KEYS) if (props[key] !== undefined) out[key] = props[key];
  return out;
}

/** What ReplicatedMySql derives from its props, checked before anything joins the tree. */
export interface MySqlPlan {
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
  readonly replicas: number;
  readonly startOrdinal: number;
  readonly namespace?: string;
  readonly appProps: StatefulAppProps;
}

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

/**
 * Checks the props and computes the StatefulApp's. Every field of the plan is set in one object
 * literal at the end, so the compiler checks that none is missing.
 */
export function planMySql(scope: Construct, v: Validator, id: string, props: ReplicatedMySqlProps): MySqlPlan {
  checkProps(v, props, MYSQL_SHAPE);
  const name = resolveName(v, props.name, id, 'mysql');
  const namespace = resolveNamespace(v, scope, props.namespace);

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
  v.integer('replicas', replicas, 0, 1000, 'use 1 (a single instance) or more (one primary, the rest replicas), or 0 to park the cluster (volumes kept)');
  const startOrdinal = props.startOrdinal ?? 0;
  v.integer('startOrdinal', startOrdinal, 0, 1_000_000, 'use 0 or a positive ordinal');
  const primaryOrdinal = props.primaryOrdinal ?? startOrdinal;
  // A parked cluster keeps its primary ordinal: it decides where it restarts.
  const lastMember = startOrdinal + Math.max(replicas, 1) - 1;
  v.integer('primaryOrdinal', primaryOrdinal, startOrdinal, lastMember,
    `use an ordinal between ${startOrdinal} and ${lastMember} (the members are ${name}-${startOrdinal} to ${name}-${lastMember})`);
  const serverIdBase = props.serverIdBase ?? 100;
  const maxServerId = 4294967295;
  v.integer('serverIdBase', serverIdBase, 1, maxServerId - lastMember,
    `use a base between 1 and ${maxServerId - lastMember} (server_id = base + ordinal must stay within 1..4294967295)`);

  const storageSize = props.storage?.size ?? Size.gibibytes(10);
  if (!(sizeBytes(storageSize) > 0)) v.fail('storage.size', `${sizeBytes(storageSize)} bytes`, 'must be a positive Size', 'use Size.gibibytes(10)');

  // --- credentials ----------------------------------------------------------------------
  const credentials = props.credentials ?? MySqlCredentials.fromSecretName(`${name}-credentials`);
  if (!(credentials instanceof MySqlCredentials)) {
    v.fail('credentials', credentials, 'is not MySqlCredentials', 'use MySqlCredentials.fromSecretName("mysql-credentials")');
  }
  const keys = credentials._keys;
  const secretName = credentials.secretName ?? `${name}-credentials`;
  if (checkDns1123Subdomain(secretName)) {
    v.fail('credentials (Secret name)', secretName, checkDns1123Subdomain(secretName), 'pass the name of the Secret that holds the passwords');
  }
  const rootPasswordKey = keys.rootPassword ?? 'root-password';
  const replicationPasswordKey = keys.replicationPassword ?? 'replication-password';
  const userPasswordKey = keys.userPassword ?? 'password';
  const exporterPasswordKey = keys.exporterPassword ?? 'exporter-password';

  const replicationUser = props.replicationUser ?? 'repl';
  if (!USER_NAME.test(replicationUser) || replicationUser === 'root') {
    v.fail('replicationUser', replicationUser, 'must be 1-32 letters, digits or "_", and not root', 'use "repl"');
  }
  if (props.database !== undefined) {
    const db = props.database;
    if (typeof db.name !== 'string' || !DATABASE_NAME.test(db.name)) {
      v.fail('database.name', db.name, 'must be 1-64 letters, digits or "_"', 'use a name like "shop"');
    }
    if (typeof db.user !== 'string' || !USER_NAME.test(db.user) || db.user === 'root' || db.user === replicationUser) {
      v.fail('database.user', db.user, `must be 1-32 letters, digits or "_", and neither root nor the replication user (${replicationUser})`, 'use a name like "shop"');
    }
  }
  const metrics = props.metrics;
  const exporterUser = metrics ? metrics.user ?? 'exporter' : undefined;
  if (exporterUser !== undefined && (!USER_NAME.test(exporterUser) || [replicationUser, 'root', props.database?.user].includes(exporterUser))) {
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
    cpu: { request: cpuMillis(500) },
    memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
    ...(props.resources ?? {}),
  };
  const memoryMiB = mysqlMemoryMiB(resources);
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
  const asksApiServer = emptyPrimary === EmptyPrimaryPolicy.INITIALIZE_WHEN_NEW;
  if (asksApiServer && namespace === undefined) {
    v.fail('namespace', undefined, 'is needed: the RoleBinding that lets the bootstrap list the members\' volume claims must name the ServiceAccount with its namespace',
      'set namespace on the chart or on the ReplicatedMySql (the namespace you deploy to)');
  }
  const serviceAccountName = props.serviceAccountName ?? name;
  const secretRef = (key: string) => EnvSource.fromSecretKey(secretName, key);
  const identity: { [env: string]: EnvSource } = {
    POD_NAME: EnvSource.fromFieldPath('metadata.name'),
    MYSQL_NAMESPACE: EnvSource.fromFieldPath('metadata.namespace'),
    MYSQL_SET_NAME: EnvSource.fromValue(name),
    MYSQL_SERVICE: EnvSource.fromValue(name),
    CLUSTER_DOMAIN: EnvSource.fromValue(props.clusterDomain ?? 'cluster.local'),
    PRIMARY_ORDINAL: EnvSource.fromValue(String(primaryOrdinal)),
    START_ORDINAL: EnvSource.fromValue(String(startOrdinal)),
  };
  const rootPassword = { MYSQL_ROOT_PASSWORD: secretRef(rootPasswordKey) };
  const mainEnv: { [env: string]: EnvSource } = {
    // root logs in over the pod-local socket only (root@localhost): the probes, and you with kubectl exec.
    ...rootPassword,
    MAX_REPLICA_LAG_SECONDS: EnvSource.fromValue(String(maxLagSeconds)),
  };
  const bootstrapEnv: { [env: string]: EnvSource } = {
    ...identity,
    ...rootPassword,
    REPLICAS: EnvSource.fromValue(String(replicas)),
    REPLICATION_USER: EnvSource.fromValue(replicationUser),
    REPLICATION_PASSWORD: secretRef(replicationPasswordKey),
    ...(props.database ? {
      APP_DATABASE: EnvSource.fromValue(props.database.name),
      APP_USER: EnvSource.fromValue(props.database.user),
      APP_PASSWORD: secretRef(userPasswordKey),
    } : {}),
    ...(exporterUser ? { EXPORTER_USER: EnvSource.fromValue(exporterUser), EXPORTER_PASSWORD: secretRef(exporterPasswordKey) } : {}),
    EMPTY_PRIMARY: EnvSource.fromValue(emptyPrimary),
    ...(asksApiServer ? {
      CLAIM_SELECTOR: EnvSource.fromValue(`app.kubernetes.io/instance=${name},app.kubernetes.io/name=mysql`),
      SERVICE_ACCOUNT: EnvSource.fromValue(serviceAccountName),
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
    readinessProbe: HealthProbe.httpGet('/', { port: METRICS_PORT }),
    resources: { cpu: { request: cpuMillis(50) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) } },
  }] : [];

  // The bootstrap asks the API server for the members' volume claims; only it gets a token,
  // short-lived and projected, while the pod keeps automountServiceAccountToken: false.
  const apiAccess: k8s.Volume[] = asksApiServer ? [{
    name: 'kube-api',
    projected: {
      sources: [
        { serviceAccountToken: { path: 'token', expirationSeconds: 600 } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      ],
    },
  }] : [];

  const appProps: StatefulAppProps = {
    // The props it shares with StatefulApp, unchanged (then the MySQL-specific ones).
    ...sharedProps(props),
    name,
    image,
    replicas,
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
    startupProbe: HealthProbe.exec([...PROBE, 'startup'], { ...probeTiming, failureThreshold: Math.ceil(startupSeconds / 10) }),
    readinessProbe: HealthProbe.exec([...PROBE, 'readiness'], probeTiming),
    // Restart only a mysqld that stopped answering for a minute; never a slow one.
    livenessProbe: HealthProbe.exec([...PROBE, 'liveness'], { ...probeTiming, failureThreshold: 6 }),
    initContainers: [
      {
        name: 'init-config',
        command: ['bash', `${TOOLS_DIR}/init-config.sh`],
        env: {
          ...identity,
          POD_IP: EnvSource.fromFieldPath('status.podIP'),
          SERVER_ID_BASE: EnvSource.fromValue(String(serverIdBase)),
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
          ...(asksApiServer ? [{ volume: 'kube-api', mountPath: SA_DIR, readOnly: true }] : []),
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
    podManagementPolicy: 'Parallel' as PodManagementPolicy,
    // Two members on one node would be lost together.
    spreadAcrossNodes: props.spreadAcrossNodes ?? SpreadMode.REQUIRED,
    // ReplicatedMySql emits its own budgets (the primary's and the replicas') and NetworkPolicy.
    disruptionBudget: DisruptionBudget.none(),
    networkPolicy: { enabled: false },
    // A single instance (or a parked cluster) has nothing a read Service would add.
    readService: replicas > 1 ? { name: `${name}-read` } : undefined,
    serviceAccountName: asksApiServer ? serviceAccountName : props.serviceAccountName,
    _errorsAs: { kind: KIND, path: v.path },
  };
  const intervalSeconds = (metrics?.interval ?? Duration.seconds(30)).toMilliseconds() / 1000;
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 5) v.fail('metrics.interval', `${intervalSeconds}s`, 'must be a whole number of seconds >= 5', 'use Duration.seconds(30)');
  checkLabelMap(v, 'metrics.serviceMonitorLabels', metrics?.serviceMonitorLabels, true);
  checkSelectorMap(v, 'networkPolicy.clientPodLabels', props.networkPolicy?.clientPodLabels);
  checkSelectorMap(v, 'networkPolicy.clientNamespaceLabels', props.networkPolicy?.clientNamespaceLabels);
  checkSelectorMap(v, 'networkPolicy.metricsNamespaceLabels', props.networkPolicy?.metricsNamespaceLabels);
  return {
    name, namespace, primaryOrdinal, replicas, startOrdinal, secretName, rootPasswordKey, replicationPasswordKey, userPasswordKey,
    exporterPasswordKey, databaseName: props.database?.name, username: props.database?.user, replicationUser, plain, metrics,
    metricsIntervalSeconds: intervalSeconds, version, asksApiServer, serviceAccountName, appProps,
  };
}

