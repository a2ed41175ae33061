/** The runtime shapes of StatefulApp's props (for callers the compiler does not check). */
import { S, Shape } from '../check';
import { EnvSource, HealthProbe } from '../container';
import { AccessMode, DisruptionBudget, PvcRetention, SpreadMode, UpdateStrategy } from './options';

const PROTOCOL = S.enum('Protocol', { TCP: 'TCP', UDP: 'UDP', SCTP: 'SCTP' });
const PROBE = S.instance('HealthProbe', v => v instanceof HealthProbe, 'use HealthProbe.tcpSocket(), HealthProbe.httpGet("/healthz") or HealthProbe.exec([...])');
const ENV = S.map(S.instance('EnvSource', v => v instanceof EnvSource,
  v => (typeof v === 'string' ? `use EnvSource.fromValue(${JSON.stringify(v)})` : 'use EnvSource.fromValue("...") or EnvSource.fromSecretKey("secret", "key")')));
const STORAGE_CLASS = S.instance('IStorageClass', v => v !== null && typeof v === 'object' && typeof (v as { storageClassName?: unknown }).storageClassName === 'string',
  'pass a DiskStorageClass, or DiskStorageClass.fromStorageClassName("gp3") for a class that exists in the cluster');
const GROUP = (name: string) => S.object(name, { request: name === 'cpu' ? S.cpu : S.size, limit: name === 'cpu' ? S.cpu : S.size });

export const PORT_SHAPE = S.object('PortOptions', { name: S.string, port: S.number, protocol: PROTOCOL, servicePort: S.number }, ['name', 'port']);
export const MOUNT_SHAPE = S.object('VolumeMountOptions', { volume: S.string, mountPath: S.string, subPath: S.string, readOnly: S.boolean }, ['volume', 'mountPath']);
export const RESOURCES_SHAPE = S.object('ContainerResources', { cpu: GROUP('cpu'), memory: GROUP('memory'), ephemeralStorage: GROUP('ephemeralStorage') });
export const CONTAINER_SHAPE = S.object('ContainerOptions', {
  name: S.string, image: S.string, allowUnpinnedImage: S.boolean, command: S.strings, args: S.strings, env: ENV,
  ports: S.array(PORT_SHAPE), mounts: S.array(MOUNT_SHAPE), resources: RESOURCES_SHAPE,
  readinessProbe: PROBE, livenessProbe: PROBE, startupProbe: PROBE, workingDir: S.string,
}, ['name']);
export const VOLUME_SHAPE = S.object('VolumeClaimOptions', {
  name: S.string, mountPath: S.string, size: S.size, storageClass: STORAGE_CLASS,
  accessModes: S.array(S.enum('AccessMode', AccessMode)),
  subPath: S.string, readOnly: S.boolean, labels: S.stringMap, annotations: S.stringMap,
}, ['name', 'mountPath', 'size']);
export const EMPTY_DIR_SHAPE = S.object('EmptyDirOptions', { name: S.string, mountPath: S.string, sizeLimit: S.size, inMemory: S.boolean }, ['name']);
export const CONFIG_SHAPE = S.object('ConfigFilesOptions', { files: S.stringMap, mountPath: S.string, name: S.string, volumeName: S.string }, ['files']);
export const SERVICE_SHAPE = S.object('ServiceOptions', {
  name: S.string, type: S.enum('ServiceType', { CLUSTER_IP: 'ClusterIP', NODE_PORT: 'NodePort', LOAD_BALANCER: 'LoadBalancer', EXTERNAL_NAME: 'ExternalName' }),
  ports: S.strings, podOrdinal: S.number, publishNotReadyAddresses: S.boolean, headless: S.boolean, labels: S.stringMap, annotations: S.stringMap,
});
export const NETWORK_POLICY_SHAPE = S.object('NetworkPolicyOptions', { enabled: S.boolean, clientPodLabels: S.stringMap, clientNamespaceLabels: S.stringMap, ports: S.strings });
const RETENTION = S.enum('PvcRetention', PvcRetention);
const SPREAD = S.enum('SpreadMode', SpreadMode);

/** The props StatefulApp and ReplicatedMySql share. */
export const WORKLOAD_SHAPES: { [prop: string]: Shape } = {
  name: S.string, namespace: S.string,
  updateStrategy: S.instance('UpdateStrategy', v => v instanceof UpdateStrategy, 'use UpdateStrategy.rollingUpdate({ partition }) or UpdateStrategy.onDelete()'),
  pvcRetentionPolicy: S.object('PvcRetentionPolicy', { whenDeleted: RETENTION, whenScaled: RETENTION }),
  spreadAcrossZones: SPREAD,
  disruptionBudget: S.instance('DisruptionBudget', v => v instanceof DisruptionBudget, 'use DisruptionBudget.maxUnavailable(1), .minAvailable(n) or .none()'),
  labels: S.stringMap, annotations: S.stringMap, podLabels: S.stringMap, podAnnotations: S.stringMap,
  serviceAccountName: S.string, nodeSelector: S.stringMap, tolerations: S.array(S.any), priorityClassName: S.string,
  minReady: S.duration, startOrdinal: S.number, revisionHistoryLimit: S.number, clusterDomain: S.string,
};

export const STATEFUL_APP_SHAPE = S.object('StatefulAppProps', {
  ...WORKLOAD_SHAPES,
  image: S.string, replicas: S.number, ports: S.array(PORT_SHAPE), volumes: S.array(VOLUME_SHAPE), emptyDirs: S.array(EMPTY_DIR_SHAPE),
  config: CONFIG_SHAPE, mounts: S.array(MOUNT_SHAPE), allowUnpinnedImage: S.boolean,
  imagePullPolicy: S.enum('ImagePullPolicy', { ALWAYS: 'Always', IF_NOT_PRESENT: 'IfNotPresent', NEVER: 'Never' }),
  imagePullSecrets: S.strings, containerName: S.string, command: S.strings, args: S.strings, env: ENV, resources: RESOURCES_SHAPE,
  readinessProbe: PROBE, livenessProbe: PROBE, startupProbe: PROBE,
  initContainers: S.array(CONTAINER_SHAPE), sidecars: S.array(CONTAINER_SHAPE),
  podManagementPolicy: S.enum('PodManagementPolicy', { ORDERED_READY: 'OrderedReady', PARALLEL: 'Parallel' }),
  runAsUser: S.number, runAsGroup: S.number, fsGroup: S.number, readOnlyRootFilesystem: S.boolean, spreadAcrossNodes: SPREAD,
  readService: SERVICE_SHAPE, appName: S.string, component: S.string, partOf: S.string,
  automountServiceAccountToken: S.boolean, enableServiceLinks: S.boolean, terminationGracePeriod: S.duration,
  networkPolicy: NETWORK_POLICY_SHAPE,
}) as Shape & { t: 'object' };
