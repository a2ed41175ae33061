/** The parts of a container: env values, probes, resources, ports and mounts, and how each is checked and rendered. */
export { checkEnvReferences, EnvSource, renderEnv } from './container/env';
export type { EnvReferenceOptions } from './container/env';
export { HealthProbe, HttpScheme } from './container/probes';
export type { HealthProbeOptions, HttpGetHealthProbeOptions, TcpSocketHealthProbeOptions } from './container/probes';
export type { CommonContainerOptions, ContainerOptions, PortOptions, VolumeMountOptions } from './container/options';
export {
  cpuMillis, HELPER_RESOURCES, MAIN_RESOURCES, mainEphemeralStorage, renderResources, sizeBytes, sizeToQuantity,
} from './container/resources';
export { checkImage, checkMount, checkPort, normalizeMountPath, renderMounts, renderPorts, renderPreStop, restrictedSecurityContext } from './container/render';
export type { MountEntry } from './container/render';
