// Public API of cdk8s-stateful. Exported by name so internal helpers stay private.
export { StatefulValidationError } from './errors';

export { EnvSource, HttpScheme, HealthProbe } from './container';
export type {
  PortOptions, EnvReferenceOptions, HealthProbeOptions, HttpGetHealthProbeOptions, TcpSocketHealthProbeOptions, VolumeMountOptions, ContainerOptions,
  CommonContainerOptions,
} from './container';

export { ReclaimPolicy, VolumeBindingMode, FileSystemType, DiskProvider, DiskStorageClass } from './storage/disk-storage-class';
export type { IStorageClass, CustomProviderOptions, DiskStorageClassProps } from './storage/disk-storage-class';

export { PvcRetention, AccessMode, SpreadMode, UpdateStrategy, DisruptionBudget } from './app/options';
export type { PvcRetentionPolicy, RollingUpdateOptions } from './app/options';
export type {
  VolumeClaimOptions, EmptyDirOptions, ConfigFilesOptions, ServiceOptions, NetworkPolicyOptions, StatefulWorkloadProps, StatefulAppProps,
} from './app/props';
export { StatefulApp } from './app/stateful-app';
export { AppContainer } from './app/container';
export type { AddEnvOptions } from './app/container';
export type { ProtectPodOptions } from './app/budget';
export type { AllowIngressOptions } from './app/network-policy';

// The names the constructs write that tools reading manifests rely on (the guard: packages/guard).
export { Conventions } from './conventions';

export { ReplicatedMySql } from './mysql/replicated-mysql';
export { DEFAULT_MYSQL_IMAGE, DEFAULT_MYSQL_97_IMAGE, DEFAULT_EXPORTER_IMAGE, EmptyPrimaryPolicy, MySqlVersion } from './mysql/props';
export type {
  ReplicatedMySqlProps, MySqlStorageOptions, MySqlDatabaseOptions, MySqlMetricsOptions, MySqlNetworkPolicyOptions, MySqlClientOptions,
} from './mysql/props';
export { MySqlCredentials } from './mysql/credentials';
export { MySqlBackupStorage, MySqlRestore, MySqlRestoreSource, S3Credentials } from './mysql/backup-props';
export type {
  MySqlBackupOptions, MySqlBackupRetention, MySqlRestorePointOptions, MySqlRestoreSourceOptions, S3StorageOptions, S3SecretKeys,
  S3ServiceAccountOptions,
} from './mysql/backup-props';
export { MySqlTls, CertManagerIssuerKind } from './mysql/tls';
export { MySqlReplication, ReplicationMode } from './mysql/replication';
export type { GroupReplicationOptions } from './mysql/replication';
export type { MySqlCertManagerOptions, MySqlTlsOptions } from './mysql/tls';
export type { MySqlSecretKeys, MySqlPlaintextPasswords } from './mysql/credentials';
export { KubeServiceMonitor } from './imports/monitoring';
export type {
  KubeServiceMonitorProps, ServiceMonitorSpec, ServiceMonitorSelector, ServiceMonitorNamespaceSelector, ServiceMonitorEndpoint,
  ServiceMonitorRelabeling,
} from './imports/monitoring';
export { KubeCertificate } from './imports/cert-manager';
export type { KubeCertificateProps, CertificateSpec, CertificateIssuerRef, CertificatePrivateKey } from './imports/cert-manager';
