// Public API of cdk8s-stateful. Exported by name so internal helpers stay private.
export { StatefulValidationError } from './errors';

export { Protocol, EnvValue, HttpScheme, Probe } from './container';
export type {
  PortSpec, EnvReferenceOptions, ProbeOptions, HttpGetProbeOptions, TcpSocketProbeOptions, VolumeMountSpec, ContainerSpec,
} from './container';

export { ReclaimPolicy, VolumeBindingMode, FileSystemType, DiskProvider, DiskStorageClass } from './storage/disk-storage-class';
export type { IStorageClass, CustomProviderOptions, DiskStorageClassProps } from './storage/disk-storage-class';

export {
  PodManagementPolicy, PvcRetention, AccessMode, SpreadMode, ServiceType, ImagePullPolicy, UpdateStrategy, DisruptionBudget,
  StatefulApp,
} from './stateful-app';
export type {
  PvcRetentionPolicy, RollingUpdateOptions, VolumeClaimSpec, EmptyDirSpec, ConfigFilesSpec, ServiceOptions, StatefulAppProps,
} from './stateful-app';

export {
  checkUpgrade, findingId, formatFindings, formatFindingsJson, loadManifests, loadManifestsAtRevision, parseManifests,
  ManifestError, Severity, UpgradeGuard,
} from './guard';
export type { CheckOptions, CheckResult, Finding, ObjectRef, RevisionManifests } from './guard';

export { ReplicatedMySql, DEFAULT_MYSQL_IMAGE, DEFAULT_MYSQL_97_IMAGE, DEFAULT_EXPORTER_IMAGE, EmptyPrimaryPolicy, MySqlVersion } from './mysql/replicated-mysql';
export type {
  ReplicatedMySqlProps, MySqlStorage, MySqlDatabase, MySqlMetricsOptions, MySqlNetworkPolicyOptions, MySqlClientOptions,
} from './mysql/replicated-mysql';
export { MySqlCredentials } from './mysql/credentials';
export type { MySqlSecretKeys, MySqlPlaintextPasswords } from './mysql/credentials';
export { KubeServiceMonitor } from './imports/monitoring';
export type { KubeServiceMonitorProps, ServiceMonitorSpec, ServiceMonitorEndpoint } from './imports/monitoring';
