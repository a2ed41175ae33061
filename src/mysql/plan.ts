/** What ReplicatedMySql derives from its props: the StatefulApp's props, the configuration, the pod's scripts and env. */
import { Duration, Size } from 'cdk8s';
import type { ContainerResources, PodManagementPolicy } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { chooseBudget } from '../app/budget';
import { DisruptionBudget, SpreadMode } from '../app/options';
import { checkLabelMap } from '../app/metadata';
import { checkSelectorMap } from '../app/network-policy';
import { ServiceOptions, StatefulAppProps, StatefulWorkloadProps } from '../app/props';
import { resolveName, resolveNamespace } from '../app/state';
import { checkProps } from '../check';
import { Conventions } from '../conventions';
import { DECLARED } from '../declarations.generated';
import { shapeOf } from '../shapes';
import { cpuMillis, sizeBytes } from '../container';
import { Validator } from '../errors';
import { checkDns1123Subdomain, parseImage } from '../names';
import { BackupPlan, planBackup } from './backup';
import { planRestore } from './restore';
import { CONF_DIR, DATA_ROOT, mysqlConfig, PORT, SOCKET_DIR } from './config';
import { MySqlCredentials } from './credentials';
import { DEFAULT_MYSQL_97_IMAGE, DEFAULT_MYSQL_IMAGE, EmptyPrimaryPolicy, MySqlMetricsOptions, MySqlVersion, ReplicatedMySqlProps } from './props';
import { MYSQL_UID, mysqlPod, TOOLS_DIR } from './pod';
import { mysqlScripts } from './scripts';
import { GroupPlan, planReplication } from './replication';
import { MySqlTls, planTls } from './tls';

export { PORT } from './config';
export const KIND = 'ReplicatedMySql';
export const METRICS_PORT = 9104;
/** Label that `connectClient` puts on client pods; the NetworkPolicy admits them by it. */
export const CLIENT_LABEL = 'cdk8s-stateful.io/mysql-client';
/** The StatefulSet's annotation naming the primary: what the pods' agents and bootstraps read from the API server. */
export const PRIMARY_ANNOTATION = Conventions.MYSQL_PRIMARY_ANNOTATION;
/** The StatefulSet's annotation listing the members declared lost for good (Group Replication's escape hatch). */
export const LOST_MEMBERS_ANNOTATION = 'mysql.cdk8s-stateful.io/lost-members';
/** The StatefulSet's annotation naming the credentials Secret and the keys the members read. */
export const CREDENTIALS_ANNOTATION = Conventions.MYSQL_CREDENTIALS_ANNOTATION;
const USER_NAME = /^[A-Za-z0-9_]{1,32}$/;
const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** The keys of the props StatefulApp and ReplicatedMySql share. */
const SHARED_KEYS = Object.keys(DECLARED.StatefulWorkloadProps) as Array<keyof StatefulWorkloadProps>;

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
  readonly backupPasswordKey: string;
  readonly databaseName?: string;
  readonly username?: string;
  readonly replicationUser: string;
  readonly exporterUser?: string;
  readonly backupUser?: string;
  readonly plain?: MySqlCredentials['_plaintext'];
  /** MySqlCredentials.fromGeneratedSecret: the construct emits the Secret and the Job that fills it. */
  readonly generated: boolean;
  readonly metrics?: MySqlMetricsOptions;
  readonly metricsIntervalSeconds: number;
  readonly version: MySqlVersion;
  readonly serviceAccountName: string;
  readonly replicas: number;
  readonly startOrdinal: number;
  readonly namespace?: string;
  readonly clusterDomain: string;
  /** The Secret with ca.crt, tls.crt and tls.key, with a tls choice. */
  readonly tlsSecretName?: string;
  readonly tls?: MySqlTls;
  readonly appProps: StatefulAppProps;
  /** The group, in Group Replication mode (undefined: asynchronous replication). */
  readonly group?: GroupPlan;
  /** Scheduled full backups, with `backup`. */
  readonly backup?: BackupPlan;
}

/**
 * The read Service: every Ready member with asynchronous replication (a replica is Ready while it keeps
 * up); in a group, the members that label themselves secondary (unless reads may go to the primary too).
 */
function readService(name: string, group: GroupPlan | undefined): ServiceOptions {
  const podLabels = group && !group.readFromPrimary ? { [Conventions.MYSQL_ROLE_LABEL]: 'secondary' } : undefined;
  return { name: `${name}-read`, podLabels };
}

/** The image, and the MySQL series it runs. */
function planImage(v: Validator, props: ReplicatedMySqlProps): { image: string; version: MySqlVersion } {
  const image = props.image ?? (props.version === MySqlVersion.V9_7 ? DEFAULT_MYSQL_97_IMAGE : DEFAULT_MYSQL_IMAGE);
  const ref = parseImage(image);
  if (!ref) v.fail('image', image, 'is not a valid image reference', `use "${DEFAULT_MYSQL_IMAGE}"`);
  const series = /^(\d+\.\d+)(\.\d+)?([-_.][A-Za-z0-9._-]+)?$/.exec(ref.tag ?? '')?.[1];
  const tagVersion = Object.values(MySqlVersion).find((x) => x === series);
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
  return { image, version };
}

/** The accounts and where their passwords come from. */
function planAccounts(v: Validator, props: ReplicatedMySqlProps, name: string) {
  const credentials = props.credentials ?? MySqlCredentials.fromSecretName(`${name}-credentials`);
  if (!(credentials instanceof MySqlCredentials)) {
    v.fail('credentials', credentials, 'is not MySqlCredentials', 'use MySqlCredentials.fromSecretName("mysql-credentials")');
  }
  const keys = credentials._keys;
  const secretName = credentials.secretName ?? `${name}-credentials`;
  if (checkDns1123Subdomain(secretName)) {
    v.fail('credentials (Secret name)', secretName, checkDns1123Subdomain(secretName), 'pass the name of the Secret that holds the passwords');
  }
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
  const backupUser = props.backup ? props.backup.user ?? 'backup' : undefined;
  if (backupUser !== undefined && (!USER_NAME.test(backupUser) || [replicationUser, 'root', props.database?.user, exporterUser].includes(backupUser))) {
    v.fail('backup.user', backupUser, 'must be 1-32 letters, digits or "_", and differ from the other users', 'use "backup"');
  }
  const plain = credentials._plaintext;
  if (plain) {
    const need: Array<[string, string | undefined]> = [['rootPassword', plain.rootPassword], ['replicationPassword', plain.replicationPassword]];
    if (props.database) need.push(['userPassword', plain.userPassword]);
    if (metrics) need.push(['exporterPassword', plain.exporterPassword]);
    if (backupUser !== undefined) need.push(['backupPassword', plain.backupPassword]);
    for (const [key, value] of need) {
      if (typeof value !== 'string' || value.length === 0) {
        v.fail(`credentials.${key}`, value === undefined ? undefined : '(hidden)', 'must be a non-empty password', `pass ${key} to MySqlCredentials.fromInsecurePlaintextPasswords`);
      } else if (hasControlCharacter(value)) {
        v.fail(`credentials.${key}`, '(hidden)', 'contains a control character (a newline, a carriage return, a tab), which a MySQL password here cannot hold', 'use a password without one');
      }
    }
  }
  return {
    secretName, replicationUser, exporterUser, backupUser, plain, generated: credentials._generated,
    rootPasswordKey: keys.rootPassword ?? 'root-password',
    replicationPasswordKey: keys.replicationPassword ?? 'replication-password',
    userPasswordKey: keys.userPassword ?? 'password',
    exporterPasswordKey: keys.exporterPassword ?? 'exporter-password',
    backupPasswordKey: keys.backupPassword ?? 'backup-password',
  };
}

/**
 * Checks the props and computes the StatefulApp's. Every field of the plan is set in one object
 * literal at the end, so the compiler checks that none is missing.
 */
export function planMySql(scope: Construct, v: Validator, id: string, props: ReplicatedMySqlProps): MySqlPlan {
  checkProps(v, props, shapeOf('ReplicatedMySqlProps'));
  const name = resolveName(v, props.name, id, 'mysql');
  const namespace = resolveNamespace(v, scope, props.namespace);
  const { image, version } = planImage(v, props);
  const topology = planTopology(v, props, name);
  const group = planReplication(v, props.replication, name, namespace, {
    replicas: topology.replicas, startOrdinal: topology.startOrdinal, primaryOrdinal: props.primaryOrdinal, protectPrimary: props.protectPrimary,
  });
  const accounts = planAccounts(v, props, name);
  const tlsSecretName = planTls(v, props.tls, name, namespace);
  const resources: ContainerResources = {
    cpu: { request: cpuMillis(500) },
    memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
    ...(props.resources ?? {}),
  };
  const verifyPeers = props.tls?._verifyPeers !== false;
  const backup = planBackup(v, props.backup, {
    image, size: topology.storageSize, storageClass: props.storage?.storageClass,
    serverIdBase: topology.serverIdBase, lastServerId: topology.serverIdBase + topology.startOrdinal + Math.max(topology.replicas, 1) - 1,
  });
  const restore = planRestore(v, props.restore, { name, namespace, image, emptyPrimary: props.emptyPrimary, backup });
  const files = planFiles(v, props, {
    name, resources, tlsSecretName, verifyPeers, group, generated: accounts.generated,
    backup: backup !== undefined, retention: backup?.retention !== undefined, restore: restore !== undefined,
  });
  const timing = planTiming(v, props);
  const { serviceAccountName, clusterDomain, metricsIntervalSeconds } = planAccess(v, props, name, namespace);
  const pod = mysqlPod({
    ...topology, ...timing, name, clusterDomain, serviceAccountName, tlsSecretName, accounts,
    verifyPeers, database: props.database, metrics: props.metrics !== undefined, group, restore, binlogFlushSeconds: backup?.binlogFlushSeconds,
  });
  const appProps: StatefulAppProps = {
    // The props it shares with StatefulApp, unchanged (then the MySQL-specific ones).
    ...sharedProps(props),
    name,
    image,
    replicas: topology.replicas,
    ...pod,
    ...MEMBER_PROPS,
    ...planPolicies(v, props, name, topology.replicas),
    volumes: [{ name: 'data', mountPath: DATA_ROOT, size: topology.storageSize, storageClass: props.storage?.storageClass }],
    config: { files, mountPath: TOOLS_DIR },
    resources,
    initContainers: pod.initContainers.map((c) => ({ ...c, resources: c.name === Conventions.MYSQL_BOOTSTRAP_CONTAINER ? resources : c.resources })),
    terminationGracePeriod: props.terminationGracePeriod ?? Duration.seconds(120),
    // Two members on one node would be lost together.
    spreadAcrossNodes: props.spreadAcrossNodes ?? SpreadMode.REQUIRED,
    // A single instance (or a parked cluster) has nothing a read Service would add.
    readService: topology.replicas > 1 ? readService(name, group) : undefined,
    serviceAccountName,
    _errorsAs: { kind: KIND, path: v.path },
  };
  return {
    name, namespace, primaryOrdinal: topology.primaryOrdinal, replicas: topology.replicas, startOrdinal: topology.startOrdinal, ...accounts,
    databaseName: props.database?.name, username: props.database?.user, metrics: props.metrics, metricsIntervalSeconds, version,
    serviceAccountName, clusterDomain, tlsSecretName, tls: props.tls, appProps, group, backup,
  };
}

/** What every ReplicatedMySql's StatefulApp is, whatever the props. */
const MEMBER_PROPS = {
  appName: 'mysql',
  component: 'database',
  containerName: Conventions.MYSQL_CONTAINER,
  ports: [{ name: 'mysql', port: PORT }],
  emptyDirs: [
    { name: 'conf', mountPath: CONF_DIR, sizeLimit: Size.mebibytes(1) },
    { name: 'run', mountPath: SOCKET_DIR, sizeLimit: Size.mebibytes(16) },
    // For the shell and the client; mysqld's own temporary files go to the data volume.
    { name: 'tmp', mountPath: '/tmp', sizeLimit: Size.mebibytes(64) },
  ],
  runAsUser: MYSQL_UID,
  runAsGroup: MYSQL_UID,
  fsGroup: MYSQL_UID,
  // Members start together: each bootstrap orders itself (a replica waits for its donor), and a
  // replica is Ready only while it replicates, so OrderedReady would deadlock a full restart
  // whenever the primary is not the first ordinal (after a failover), and would keep a
  // failover's rolling update from reaching a stuck member.
  podManagementPolicy: 'Parallel' as PodManagementPolicy,
} satisfies Partial<StatefulAppProps>;

/**
 * The members' budget and NetworkPolicy, owned by the StatefulApp: a single instance has no budget (it
 * could never be drained); with protectPrimary the budget counts the replicas only (the primary gets its
 * own, ReplicatedMySql's protectPod), chosen and checked here, before anything joins the tree. Members
 * reach each other, and clients (the pods connectClient labels, unless given) the members, on the MySQL
 * port only.
 */
function planPolicies(
  v: Validator, props: ReplicatedMySqlProps, name: string, replicas: number,
): Pick<StatefulAppProps, 'disruptionBudget' | 'networkPolicy'> {
  const options = props.networkPolicy ?? {};
  const counted = replicas > 1 && props.protectPrimary === true ? replicas - 1 : replicas;
  return {
    disruptionBudget: replicas > 1 ? chooseBudget(v, props.disruptionBudget, counted) : DisruptionBudget.none(),
    networkPolicy: options.enabled === false
      ? { enabled: false }
      : { clientPodLabels: options.clientPodLabels ?? { [CLIENT_LABEL]: name }, clientNamespaceLabels: options.clientNamespaceLabels, ports: ['mysql'] },
  };
}

/** The members: how many, from which ordinal, which is the primary, their server ids, their volumes' size. */
function planTopology(v: Validator, props: ReplicatedMySqlProps, name: string) {
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
  return { replicas, startOrdinal, primaryOrdinal, serverIdBase, storageSize };
}

/** The scripts, the server's configuration and initSql: the files of the ConfigMap the pods mount. */
function planFiles(
  v: Validator, props: ReplicatedMySqlProps,
  c: {
    name: string; resources: ContainerResources; tlsSecretName?: string; verifyPeers: boolean; group?: GroupPlan; generated: boolean; backup: boolean;
    retention: boolean; restore: boolean;
  },
) {
  const { 'group.sh': group, 'generate-credentials.sh': generator, 's3.sh': s3, 'backup.sh': backup, 'verify-backup.sh': verify, 'restore.sh': restore,
    'archiver.sh': archiver, 'prune.sh': prune, ...scripts } = mysqlScripts();
  const files: { [file: string]: string } = {
    ...scripts,
    // Group Replication's part of the scripts, only for a group; the credentials Job's, the backups' and the restore's, only with them.
    ...(c.group ? { 'group.sh': group } : {}),
    ...(c.generated ? { 'generate-credentials.sh': generator } : {}),
    ...(c.backup || c.restore ? { 's3.sh': s3 } : {}),
    ...(c.backup ? { [Conventions.MYSQL_BACKUP_SCRIPT_KEY]: backup, 'verify-backup.sh': verify, 'archiver.sh': archiver } : {}),
    ...(c.retention ? { 'prune.sh': prune } : {}),
    ...(c.restore ? { 'restore.sh': restore } : {}),
    [Conventions.MYSQL_CONFIG_FILE_KEY]: mysqlConfig(v, {
      name: c.name, config: props.config, acceptRelaxedDurability: props.acceptRelaxedDurability, resources: c.resources,
      tls: c.tlsSecretName !== undefined, verifyPeers: c.verifyPeers, group: c.group,
    }),
  };
  if (props.initSql !== undefined) {
    if (typeof props.initSql !== 'string' || props.initSql.trim().length === 0) v.fail('initSql', props.initSql, 'must be non-empty SQL', 'pass SQL statements, or remove initSql');
    files[Conventions.MYSQL_INIT_SQL_KEY] = props.initSql;
  }
  return files;
}

/** How long a member may take to start, how far a replica may lag, and what an empty primary may do. */
function planTiming(v: Validator, props: ReplicatedMySqlProps) {
  const startupSeconds = (props.startupTimeout ?? Duration.minutes(30)).toMilliseconds() / 1000;
  if (!(startupSeconds >= 60)) v.fail('startupTimeout', `${startupSeconds}s`, 'must be at least 60 seconds (mysqld recovers and may initialize before it answers)', 'use Duration.minutes(30)');
  const maxLagSeconds = (props.maxReplicaLag ?? Duration.seconds(60)).toMilliseconds() / 1000;
  if (!Number.isInteger(maxLagSeconds) || maxLagSeconds < 1) {
    v.fail('maxReplicaLag', `${maxLagSeconds}s`, 'must be a whole number of seconds >= 1', 'use Duration.seconds(60)');
  }
  const emptyPrimary = props.emptyPrimary ?? EmptyPrimaryPolicy.INITIALIZE_WHEN_NEW;
  return { startupSeconds, maxLagSeconds, emptyPrimary };
}

/** Who the members are to the API server, and who may reach them (clients, metrics). */
function planAccess(v: Validator, props: ReplicatedMySqlProps, name: string, namespace: string | undefined) {
  if (namespace === undefined) {
    v.fail('namespace', undefined, 'is needed: the RoleBinding that lets each member ask the API server which member is the primary and which hold data must name the ServiceAccount with its namespace',
      'set namespace on the chart or on the ReplicatedMySql (the namespace you deploy to)');
  }
  const serviceAccountName = props.serviceAccountName ?? name;
  if (serviceAccountName === 'default') {
    v.fail('serviceAccountName', serviceAccountName, 'would bind the members\' Role (read the StatefulSet, the members\' pods and claims, write the ConfigMap of evidence) to every pod of the namespace that runs as "default"',
      `use a ServiceAccount of the database's own, e.g. "${name}" (the default: ReplicatedMySql emits it)`);
  }
  const clusterDomain = props.clusterDomain ?? 'cluster.local';
  const metricsIntervalSeconds = (props.metrics?.interval ?? Duration.seconds(30)).toMilliseconds() / 1000;
  if (!Number.isInteger(metricsIntervalSeconds) || metricsIntervalSeconds < 5) {
    v.fail('metrics.interval', `${metricsIntervalSeconds}s`, 'must be a whole number of seconds >= 5', 'use Duration.seconds(30)');
  }
  checkLabelMap(v, 'metrics.serviceMonitorLabels', props.metrics?.serviceMonitorLabels, true);
  checkSelectorMap(v, 'networkPolicy.clientPodLabels', props.networkPolicy?.clientPodLabels);
  checkSelectorMap(v, 'networkPolicy.clientNamespaceLabels', props.networkPolicy?.clientNamespaceLabels);
  checkSelectorMap(v, 'networkPolicy.metricsNamespaceLabels', props.networkPolicy?.metricsNamespaceLabels);
  return { serviceAccountName, clusterDomain, metricsIntervalSeconds };
}

/** True when `value` holds a character below U+0020 or U+007F: a password file cannot carry one through the scripts. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
