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
