/** The runtime shapes of ReplicatedMySql's props (for callers the compiler does not check). */
import { RESOURCES_SHAPE, WORKLOAD_SHAPES } from '../app/shapes';
import { S, Shape } from '../check';
import { SpreadMode } from '../app/options';
import { MySqlCredentials } from './credentials';
import { EmptyPrimaryPolicy, MySqlVersion } from './props';
import { MySqlTls } from './tls';

const STORAGE_CLASS = S.instance('IStorageClass', v => v !== null && typeof v === 'object' && typeof (v as { storageClassName?: unknown }).storageClassName === 'string',
  'pass a DiskStorageClass, or DiskStorageClass.fromStorageClassName("gp3") for a class that exists in the cluster');

export const MYSQL_SHAPE = S.object('ReplicatedMySqlProps', {
  ...WORKLOAD_SHAPES,
  replicas: S.number,
  storage: S.object('MySqlStorageOptions', { size: S.size, storageClass: STORAGE_CLASS }),
  image: S.string,
  version: S.enum('MySqlVersion', MySqlVersion),
  credentials: S.instance('MySqlCredentials', v => v instanceof MySqlCredentials, 'use MySqlCredentials.fromSecretName("mysql-credentials")'),
  database: S.object('MySqlDatabaseOptions', { name: S.string, user: S.string }, ['name', 'user']),
  replicationUser: S.string,
  serverIdBase: S.number,
  primaryOrdinal: S.number,
  config: S.stringMap,
  acceptRelaxedDurability: S.strings,
  tls: S.instance('MySqlTls', v => v instanceof MySqlTls, 'use MySqlTls.fromSecret("mysql-tls") or MySqlTls.certManager({ issuerName: "ca-issuer" })'),
  initSql: S.string,
  resources: RESOURCES_SHAPE,
  startupTimeout: S.duration,
  maxReplicaLag: S.duration,
  emptyPrimary: S.enum('EmptyPrimaryPolicy', EmptyPrimaryPolicy),
  terminationGracePeriod: S.duration,
  metrics: S.object('MySqlMetricsOptions', { image: S.string, serviceMonitor: S.boolean, interval: S.duration, user: S.string, serviceMonitorLabels: S.stringMap }),
  networkPolicy: S.object('MySqlNetworkPolicyOptions', { enabled: S.boolean, clientPodLabels: S.stringMap, clientNamespaceLabels: S.stringMap, metricsNamespaceLabels: S.stringMap }),
  spreadAcrossNodes: S.enum('SpreadMode', SpreadMode),
  protectPrimary: S.boolean,
}) as Shape & { t: 'object' };
