/** The pod of a ReplicatedMySql member: its containers, what they mount and what they are told. */
import * as path from 'path';
import { Duration, Size } from 'cdk8s';
import { StatefulAppProps } from '../app/props';
import { ContainerOptions, cpuMillis, EnvSource, HealthProbe, VolumeMountOptions } from '../container';
import { Conventions } from '../conventions';
import { k8s } from '../kube';
import { CONF_DIR, DATA_ROOT, SOCKET_DIR, TLS_DIR } from './config';
import { EmptyPrimaryPolicy } from './props';
import { GroupPlan } from './replication';
import { RestorePlan } from './restore';

/** Where the ConfigMap of scripts and .cnf files is mounted. */
export const TOOLS_DIR = '/etc/cdk8s-mysql';
/** Where the credentials Secret is mounted: one file per password, under fixed names. */
export const CREDENTIALS_DIR = path.posix.dirname(Conventions.MYSQL_ROOT_PASSWORD_FILE);
/** Where the API server's token and CA are mounted (the kube-api volume), for the scripts that ask it. */
export const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The file of the backup user's password in the credentials volume (the members create the account, the backups use it). */
export const BACKUP_PASSWORD_FILE = 'backup-password';
/** Where the restoring bootstrap reads the S3 access key (`restore`). */
const RESTORE_S3_DIR = '/etc/mysql-restore/s3';
/** The mysql image's own user: the members and the credentials Job run as it. */
export const MYSQL_UID = 999;
const PROBE = ['bash', `${TOOLS_DIR}/probe.sh`];
const PROBE_TIMING = { period: Duration.seconds(10), timeout: Duration.seconds(5) };

/** The accounts and the keys of their passwords in the credentials Secret. */
export interface MySqlAccounts {
  readonly secretName: string;
  readonly replicationUser: string;
  readonly exporterUser?: string;
  /** The backup account, with `backup`. */
  readonly backupUser?: string;
  readonly rootPasswordKey: string;
  readonly replicationPasswordKey: string;
  readonly userPasswordKey: string;
  readonly exporterPasswordKey: string;
  readonly backupPasswordKey: string;
}

/** What the pod is built from (checked by planMySql). */
export interface PodInput {
  readonly name: string;
  readonly replicas: number;
  readonly startOrdinal: number;
  readonly primaryOrdinal: number;
  readonly serverIdBase: number;
  readonly clusterDomain: string;
  readonly maxLagSeconds: number;
  readonly startupSeconds: number;
  readonly emptyPrimary: EmptyPrimaryPolicy;
  readonly serviceAccountName: string;
  readonly tlsSecretName?: string;
  readonly verifyPeers: boolean;
  readonly database?: { readonly name: string; readonly user: string };
  readonly accounts: MySqlAccounts;
  readonly metrics: boolean;
  /** The group, in Group Replication mode. */
  readonly group?: GroupPlan;
  /** The backup a new cluster's first member restores, with `restore`. */
  readonly restore?: RestorePlan;
  /** Seconds between two rotations of the primary's binary log, with binlog archiving. */
  readonly binlogFlushSeconds?: number;
}

/** The pod's part of the StatefulApp's props. */
export type MySqlPod = Pick<StatefulAppProps, 'command' | 'env' | 'sidecars' | 'podVolumes' | 'mounts' | 'startupProbe' | 'readinessProbe' | 'livenessProbe' | 'preStop'>
  & { readonly initContainers: ContainerOptions[] };

/**
 * The containers and what they share. Every password reaches the pods as a file of the
 * credentials volume (never an environment variable: /proc/<pid>/environ, crash dumps); the API
 * token only reaches the bootstrap and the agent.
 */
export function mysqlPod(input: PodInput): MySqlPod {
  const { identity, members } = podEnv(input);
  const tools: VolumeMountOptions = { volume: 'config', mountPath: TOOLS_DIR, readOnly: true };
  const secrets: VolumeMountOptions[] = [
    { volume: 'credentials', mountPath: CREDENTIALS_DIR, readOnly: true },
    ...(input.tlsSecretName !== undefined ? [{ volume: 'tls', mountPath: TLS_DIR, readOnly: true }] : []),
  ];
  const api: VolumeMountOptions = { volume: 'kube-api', mountPath: SA_DIR, readOnly: true };
  const value = (x: string | number) => EnvSource.fromValue(String(x));
  return {
    // The pod owns its behaviour: mysqld with the configuration init-config wrote, under a new
    // server_uuid at every start, no image entrypoint.
    command: ['bash', `${TOOLS_DIR}/run-mysqld.sh`],
    env: { POD_NAME: EnvSource.fromFieldPath('metadata.name') },
    mounts: secrets,
    podVolumes: podVolumes(input),
    initContainers: [
      {
        name: 'init-config',
        command: ['bash', `${TOOLS_DIR}/init-config.sh`],
        env: { ...identity, POD_IP: EnvSource.fromFieldPath('status.podIP'), SERVER_ID_BASE: value(input.serverIdBase) },
        mounts: [tools, { volume: 'conf', mountPath: CONF_DIR }],
      },
      {
        name: Conventions.MYSQL_BOOTSTRAP_CONTAINER,
        image: input.restore?.image,
        command: ['bash', `${TOOLS_DIR}/${Conventions.MYSQL_BOOTSTRAP_SCRIPT_KEY}`],
        env: { ...members, EMPTY_PRIMARY: value(input.emptyPrimary), ...restoreEnv(input.restore) },
        mounts: [
          tools, { volume: 'conf', mountPath: CONF_DIR, readOnly: true }, { volume: 'data', mountPath: DATA_ROOT }, { volume: 'tmp', mountPath: '/tmp' }, api, ...secrets,
          ...(input.restore ? [{ volume: 'restore-s3', mountPath: RESTORE_S3_DIR, readOnly: true }] : []),
        ],
      },
    ],
    sidecars: [{
      name: 'agent',
      command: ['bash', `${TOOLS_DIR}/agent.sh`],
      env: { ...members, MAX_REPLICA_LAG_SECONDS: value(input.maxLagSeconds) },
      mounts: [tools, { volume: 'run', mountPath: SOCKET_DIR }, { volume: 'tmp', mountPath: '/tmp' }, api, ...secrets],
      // A bash loop and short-lived mysql and curl clients.
      resources: { cpu: { request: cpuMillis(20) }, memory: { request: Size.mebibytes(96), limit: Size.mebibytes(96) } },
      // An agent that stopped reporting (a query that hangs) is restarted; mysqld is not touched.
      livenessProbe: HealthProbe.exec([...PROBE, 'agent'], { period: Duration.seconds(30), timeout: Duration.seconds(5), failureThreshold: 3 }),
    }],
    startupProbe: HealthProbe.exec([...PROBE, 'startup'], { ...PROBE_TIMING, failureThreshold: Math.ceil(input.startupSeconds / 10) }),
    readinessProbe: HealthProbe.exec([...PROBE, 'readiness'], PROBE_TIMING),
    // Restart only a mysqld that stopped answering for a minute; never a slow one.
    livenessProbe: HealthProbe.exec([...PROBE, 'liveness'], { ...PROBE_TIMING, failureThreshold: 6 }),
    // A group's primary keeps mysqld up while its agent hands the primary role over (agent.sh: stop_member).
    preStop: input.group ? [...PROBE, 'pre-stop'] : undefined,
  };
}

/**
 * How the members' connections use TLS (the scripts' MYSQL_TLS): verify, they check each other against the
 * CA; serve, they present the cluster's certificate but do not check yet (turning TLS on takes two rollouts);
 * self-signed, neither.
 */
export function tlsMode(tlsSecretName: string | undefined, verifyPeers: boolean): string {
  return tlsSecretName === undefined ? 'self-signed' : verifyPeers ? 'verify' : 'serve';
}

/**
 * What every Job pod (and the archiver's) in the members' image has: its own ServiceAccount, no automatic token, no service links,
 * the mysql user under Pod Security restricted (with `fsGroup`, a volume it writes is its own).
 */
export function mysqlJobPodBase(serviceAccountName: string, restartPolicy: 'Never' | 'OnFailure' | 'Always', fsGroup: boolean): k8s.PodSpec {
  return {
    restartPolicy,
    serviceAccountName,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true, runAsUser: MYSQL_UID, runAsGroup: MYSQL_UID, ...(fsGroup ? { fsGroup: MYSQL_UID } : {}), seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [],
  };
}

/** The env of init-config (identity) and of the bootstrap and the agent (members). */
function podEnv(input: PodInput): { identity: { [env: string]: EnvSource }; members: { [env: string]: EnvSource } } {
  const { accounts } = input;
  const value = (x: string | number) => EnvSource.fromValue(String(x));
  const identity: { [env: string]: EnvSource } = {
    POD_NAME: EnvSource.fromFieldPath('metadata.name'),
    MYSQL_NAMESPACE: EnvSource.fromFieldPath('metadata.namespace'),
    [Conventions.MYSQL_SET_NAME_ENV]: value(input.name),
    MYSQL_SERVICE: value(input.name),
    CLUSTER_DOMAIN: value(input.clusterDomain),
    PRIMARY_ORDINAL: value(input.primaryOrdinal),
    START_ORDINAL: value(input.startOrdinal),
    // Only a group says so: asynchronous replication is the scripts' default, and its pods stay as they were.
    ...(input.group ? { [Conventions.MYSQL_REPLICATION_MODE_ENV]: value('group') } : {}),
    REPLICAS: value(input.replicas),
    [Conventions.MYSQL_TLS_ENV]: value(tlsMode(input.tlsSecretName, input.verifyPeers)),
  };
  const members: { [env: string]: EnvSource } = {
    ...identity,
    REPLICATION_USER: value(accounts.replicationUser),
    ...(input.database ? { [Conventions.MYSQL_DATABASE_ENV]: value(input.database.name), APP_USER: value(input.database.user) } : {}),
    ...(accounts.exporterUser ? { EXPORTER_USER: value(accounts.exporterUser) } : {}),
    ...(accounts.backupUser ? { BACKUP_USER: value(accounts.backupUser) } : {}),
    // (the primary's agent rotates the binary log for the archiver; the members grant the backup account REPLICATION SLAVE)
    ...(input.binlogFlushSeconds !== undefined ? { BINLOG_FLUSH_INTERVAL: value(input.binlogFlushSeconds) } : {}),
    SERVICE_ACCOUNT: value(input.serviceAccountName),
  };
  return { identity, members };
}

/** What the bootstrap restores (scripts/restore.sh), with `restore`: the store, the source cluster, the backup. */
function restoreEnv(restore: RestorePlan | undefined): { [env: string]: EnvSource } {
  if (restore === undefined) return {};
  const value = (x: string | number) => EnvSource.fromValue(String(x));
  return {
    RESTORE_NAME: value(restore.sourceName),
    RESTORE_NAMESPACE: restore.sourceNamespace === undefined ? EnvSource.fromFieldPath('metadata.namespace') : value(restore.sourceNamespace),
    RESTORE_TARGET: value(restore.target),
    ...(restore.backupId !== undefined ? { RESTORE_BACKUP_ID: value(restore.backupId) } : {}),
    ...(restore.targetValue !== undefined ? { RESTORE_TARGET_VALUE: value(restore.targetValue) } : {}),
    ...(restore.allowArchiveHoles ? { RESTORE_ALLOW_HOLES: value(1) } : {}),
    POD_UID: EnvSource.fromFieldPath('metadata.uid'),
    S3_ENDPOINT: value(restore.endpoint), S3_REGION: value(restore.region), S3_BUCKET: value(restore.bucket), S3_PREFIX: value(restore.prefix),
    S3_CREDENTIALS_DIR: value(RESTORE_S3_DIR),
    // The other members wait for the first while it downloads (they retry beyond it, restarting).
    DONOR_WAIT_TIMEOUT: value(6 * 3600),
  };
}

/**
 * The keys of the credentials Secret the members read, each as the file it becomes: root's and the replication
 * user's always, the application user's with a database, the metrics user's with metrics, the backup user's with backups.
 */
export function credentialFiles(accounts: MySqlAccounts, database: boolean, metrics: boolean): Array<{ key: string; path: string }> {
  return [
    { key: accounts.rootPasswordKey, path: path.posix.basename(Conventions.MYSQL_ROOT_PASSWORD_FILE) },
    { key: accounts.replicationPasswordKey, path: 'replication-password' },
    ...(database ? [{ key: accounts.userPasswordKey, path: 'password' }] : []),
    ...(metrics ? [{ key: accounts.exporterPasswordKey, path: 'exporter-password' }] : []),
    ...(accounts.backupUser !== undefined ? [{ key: accounts.backupPasswordKey, path: BACKUP_PASSWORD_FILE }] : []),
  ];
}

/** The API server's short-lived token and CA, projected (the pods keep automountServiceAccountToken: false). */
export function kubeApiVolume(): k8s.Volume {
  return {
    name: 'kube-api',
    projected: {
      sources: [
        { serviceAccountToken: { path: 'token', expirationSeconds: 600 } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      ],
    },
  };
}

/** The credentials, the API server's token and CA, and the certificate, as volumes. */
function podVolumes(input: PodInput): k8s.Volume[] {
  const { accounts, tlsSecretName, restore } = input;
  const items = credentialFiles(accounts, input.database !== undefined, input.metrics);
  return [
    { name: 'credentials', projected: { defaultMode: 0o440, sources: [{ secret: { name: accounts.secretName, items } }] } },
    // The bootstrap and the agent ask the API server (the primary's ordinal, the members' pods and
    // claims, the evidence ConfigMap): only they get the token.
    kubeApiVolume(),
    ...(tlsSecretName !== undefined
      ? [{
          name: 'tls',
          secret: { secretName: tlsSecretName, defaultMode: 0o440, items: ['ca.crt', 'tls.crt', 'tls.key'].map((key) => ({ key, path: key })) },
        }]
      : []),
    ...(restore !== undefined
      ? [{
          name: 'restore-s3',
          secret: {
            secretName: restore.secretName, defaultMode: 0o440,
            items: [{ key: restore.accessKeyIdKey, path: 'access-key-id' }, { key: restore.secretAccessKeyKey, path: 'secret-access-key' }],
          },
        }]
      : []),
  ];
}
