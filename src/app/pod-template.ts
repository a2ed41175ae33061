/**
 * The StatefulSet of an app: claim templates, pod volumes, containers, security, scheduling,
 * rollout and retention, rendered from its state. Everything that can be refused is checked here,
 * so rendering is also the validation (run at construction and again at synth).
 */
import { createHash } from 'crypto';
import { Duration, Size } from 'cdk8s';
import {
  ContainerOptions, HealthProbe, HELPER_RESOURCES, MAIN_RESOURCES, mainEphemeralStorage, PortOptions, renderEnv,
  renderHelperContainer, renderMounts, renderPorts, renderResources, restrictedSecurityContext, sizeBytes, sizeToQuantity,
  VolumeMountOptions,
} from '../container';
import { Validator } from '../errors';
import { k8s } from '../kube';
import { checkConfigKey, checkDns1123Label, checkDns1123Subdomain } from '../names';
import { isZonal } from '../storage/disk-storage-class';
import { checkAnnotationMap, checkLabelMap } from './metadata';
import { AccessMode, PvcRetention, SpreadMode, UpdateStrategy } from './options';
import { ConfigFilesOptions } from './props';
import { AppState } from './state';

const CONFIG_CHECKSUM = 'checksum/config';
/** A ConfigMap holds at most 1 MiB. */
const CONFIGMAP_LIMIT = 1024 * 1024;
const POD_MANAGEMENT_POLICIES = ['OrderedReady', 'Parallel'];
const IMAGE_PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

/** The rendered StatefulSet and what the app's other objects derive from it. */
export interface RenderedPod {
  readonly spec: k8s.StatefulSetSpec;
  readonly containerName: string;
  /** The main container's ports; every Service exposes them. */
  readonly ports: PortOptions[];
  /** Ports of the sidecars (a Service may name them). */
  readonly sidecarPorts: PortOptions[];
  readonly claimNames: Set<string>;
  readonly configMap?: { readonly name: string; readonly data: { [file: string]: string } };
}

export function renderStatefulSet(state: AppState): RenderedPod {
  const v: Validator = state.v;
  const { props, name } = state;
  const lastOrdinal = state.startOrdinal + Math.max(state.replicas, 1) - 1;

  // --- volumes --------------------------------------------------------------------------
  const volumeNames = new Set<string>();
  const claimVolume = (prop: string, volumeName: string) => {
    const problem = checkDns1123Label(volumeName);
    if (problem) v.fail(prop, volumeName, problem, 'use a volume name like "data"');
    if (volumeNames.has(volumeName)) v.fail(prop, volumeName, 'is already the name of another volume of this pod', 'give each volume (claims, emptyDirs, config) a unique name');
    volumeNames.add(volumeName);
  };
  const mainMounts: VolumeMountOptions[] = [];
  const claims: k8s.KubePersistentVolumeClaimProps[] = [];
  const claimNames = new Set<string>();
  let zonalStorage = false;
  for (const { o: vol, prop: p } of state.volumes) {
    claimVolume(`${p}.name`, vol?.name);
    if (!(sizeBytes(vol.size) > 0)) v.fail(`${p}.size`, sizeToQuantity(vol.size), 'must be greater than zero', 'use a positive Size such as Size.gibibytes(1)');
    const accessModes = vol.accessModes ?? [AccessMode.READ_WRITE_ONCE];
    if (accessModes.length === 0) v.fail(`${p}.accessModes`, accessModes, 'must list at least one AccessMode', 'use [AccessMode.READ_WRITE_ONCE]');
    if (new Set(accessModes).size !== accessModes.length) v.fail(`${p}.accessModes`, accessModes, 'lists a mode twice', 'list each mode once');
    if (vol.storageClass !== undefined) {
      const className = vol.storageClass.storageClassName;
      const problem = checkDns1123Subdomain(className);
      if (problem) v.fail(`${p}.storageClass`, className, problem, 'pass a DiskStorageClass or DiskStorageClass.fromStorageClassName("gp3")');
      zonalStorage = zonalStorage || isZonal(vol.storageClass);
    }
    checkLabelMap(v, `${p}.labels`, vol.labels, true);
    checkAnnotationMap(v, `${p}.annotations`, vol.annotations);
    const pvc = `${vol.name}-${name}-${lastOrdinal}`;
    if (pvc.length > 253) v.fail(`${p}.name`, vol.name, `makes PVC names like ${pvc} longer than 253 characters`, 'shorten the volume or app name');
    claimNames.add(vol.name);
    mainMounts.push({ volume: vol.name, mountPath: vol.mountPath, subPath: vol.subPath, readOnly: vol.readOnly });
    claims.push({
      metadata: {
        name: vol.name,
        // Only fixed labels: claim templates are immutable, so nothing here may change with the image or user labels.
        labels: { ...state.selectorLabels, ...(vol.labels ?? {}) },
        annotations: vol.annotations && Object.keys(vol.annotations).length > 0 ? { ...vol.annotations } : undefined,
      },
      spec: {
        accessModes: [...accessModes],
        storageClassName: vol.storageClass?.storageClassName,
        resources: { requests: { storage: k8s.Quantity.fromString(sizeToQuantity(vol.size)) } },
      },
    });
  }

  const readOnlyRoot = props.readOnlyRootFilesystem ?? true;
  const podVolumes: k8s.Volume[] = [];
  const emptyDirs = [...state.emptyDirs];
  const mountsTmp = [...mainMounts, ...(props.mounts ?? [])].some(m => m.mountPath === '/tmp' || m.mountPath === '/tmp/')
    || emptyDirs.some(e => e.o.mountPath === '/tmp' || e.o.mountPath === '/tmp/');
  if (readOnlyRoot && !mountsTmp) {
    // Most programs need a writable /tmp; with a read-only root it has to be a volume.
    if (emptyDirs.some(e => e.o.name === 'tmp') || volumeNames.has('tmp')) {
      v.fail('emptyDirs', 'tmp', 'is a volume name that is not mounted at /tmp, but the read-only root file system needs a writable /tmp', 'mount a volume at /tmp, rename your "tmp" volume, or set readOnlyRootFilesystem: false');
    }
    emptyDirs.push({ o: { name: 'tmp', mountPath: '/tmp', sizeLimit: Size.gibibytes(1) }, prop: 'emptyDirs (the default /tmp)' });
  }
  let emptyDirBytes = 0;
  for (const { o: dir, prop: p } of emptyDirs) {
    claimVolume(`${p}.name`, dir?.name);
    if (dir.sizeLimit !== undefined && !(sizeBytes(dir.sizeLimit) > 0)) {
      v.fail(`${p}.sizeLimit`, sizeToQuantity(dir.sizeLimit), 'must be a positive Size', 'use Size.mebibytes(512)');
    }
    if (dir.sizeLimit !== undefined && !dir.inMemory) emptyDirBytes += sizeBytes(dir.sizeLimit);
    if (dir.mountPath !== undefined) mainMounts.push({ volume: dir.name, mountPath: dir.mountPath });
    podVolumes.push({
      name: dir.name,
      emptyDir: {
        medium: dir.inMemory ? 'Memory' : undefined,
        sizeLimit: dir.sizeLimit ? k8s.Quantity.fromString(sizeToQuantity(dir.sizeLimit)) : undefined,
      },
    });
  }
  for (const extra of props._extraVolumes ?? []) {
    claimVolume('volumes', extra.name);
    podVolumes.push(extra);
  }

  // --- config files -----------------------------------------------------------------------
  let configChecksum: string | undefined;
  let configMap: RenderedPod['configMap'];
  const files = state.configFiles;
  if (props.config !== undefined || Object.keys(files).length > 0) {
    const cfg: Partial<ConfigFilesOptions> = props.config ?? {};
    if (Object.keys(files).length === 0) {
      v.fail('config.files', cfg.files, 'must map at least one file name to its content', 'pass { files: { "app.conf": "..." } }');
    }
    let total = 0;
    const hashed: string[] = [];
    const data: { [file: string]: string } = {};
    // Sorted, so the checksum and the ConfigMap do not depend on insertion order.
    for (const fileName of Object.keys(files).sort()) {
      const content = files[fileName];
      const problem = checkConfigKey(fileName);
      if (problem) v.fail(`config.files["${fileName}"]`, fileName, problem, 'use a file name such as "app.conf"');
      if (typeof content !== 'string') v.fail(`config.files["${fileName}"]`, content, 'must be a string', 'pass the file content as a string');
      total += Buffer.byteLength(content) + fileName.length;
      hashed.push(fileName, '\0', content, '\0');
      data[fileName] = content;
    }
    if (total > CONFIGMAP_LIMIT) v.fail('config.files', `${total} bytes`, 'exceed the 1 MiB a ConfigMap can hold', 'ship large files in the image or a volume');
    const configMapName = cfg.name ?? `${name}-config`;
    const problem = checkDns1123Subdomain(configMapName);
    if (problem) v.fail('config.name', configMapName, problem, 'use a name like "web-config"');
    const configVolume = cfg.volumeName ?? 'config';
    claimVolume('config.volumeName', configVolume);
    podVolumes.push({ name: configVolume, configMap: { name: configMapName } });
    if (cfg.mountPath !== undefined) mainMounts.push({ volume: configVolume, mountPath: cfg.mountPath, readOnly: true });
    configChecksum = sha256Hex(hashed.join(''));
    configMap = { name: configMapName, data };
  }

  // --- containers -----------------------------------------------------------------------
  const containerName = props.containerName ?? name;
  const containerProblem = checkDns1123Label(containerName);
  if (containerProblem) v.fail('containerName', containerName, containerProblem, 'use a name like "web"');
  for (const m of props.mounts ?? []) mainMounts.push(m);
  const containerPorts = renderPorts(v, 'ports', props.ports);
  const ports = [...(props.ports ?? [])];
  const firstPort = ports[0]?.port;
  if (props.readinessProbe === undefined && firstPort === undefined) {
    v.fail('readinessProbe', undefined, 'is required when the app declares no ports (there is nothing to derive a default probe from)',
      'declare ports, or pass readinessProbe: HealthProbe.exec([...])');
  }
  const readinessProbe = (props.readinessProbe ?? HealthProbe.tcpSocket())._render(v, 'readinessProbe', firstPort, true);
  const livenessProbe = props.livenessProbe?._render(v, 'livenessProbe', firstPort, false);
  if (livenessProbe && JSON.stringify(livenessProbe) === JSON.stringify(readinessProbe)) {
    v.fail('livenessProbe', 'same as readinessProbe', 'is identical to the readiness probe: a slow server is restarted instead of being taken out of rotation',
      'give the liveness probe a larger failureThreshold or period, or check something else');
  }
  const containerNames = new Set([containerName]);
  const helpers = (list: AppState['initContainers'], allowProbes: boolean) => list.map(({ o: spec, prop }) => {
    const c = renderHelperContainer(v, prop, spec, { image: state.image, readOnlyRootFilesystem: readOnlyRoot, resources: HELPER_RESOURCES, volumeNames }, allowProbes);
    if (containerNames.has(c.name)) v.fail(`${prop}.name`, c.name, 'is the name of another container in the pod', 'give each container a unique name');
    containerNames.add(c.name);
    return c;
  });
  const initContainers = helpers(state.initContainers, false);
  const sidecars = helpers(state.sidecars, true);
  const mainEnv = renderEnv(v, 'env', undefined) ?? [];
  const mainResources = {
    ...MAIN_RESOURCES,
    ephemeralStorage: mainEphemeralStorage(emptyDirBytes),
  };
  const main: k8s.Container = {
    name: containerName,
    image: state.image,
    imagePullPolicy: props.imagePullPolicy,
    command: props.command ? [...props.command] : undefined,
    args: props.args ? [...props.args] : undefined,
    env: mainEnv,
    ports: containerPorts,
    volumeMounts: renderMounts(v, 'mounts', mainMounts, volumeNames),
    resources: renderResources(v, 'resources', props.resources, mainResources),
    startupProbe: props.startupProbe?._render(v, 'startupProbe', firstPort, false),
    readinessProbe,
    livenessProbe,
    securityContext: restrictedSecurityContext(readOnlyRoot),
  };
  // The env of every container, in order: the props', then addEnv's (a later one replaces an earlier one of the same name).
  const byName = new Map<string, k8s.Container>([main, ...initContainers, ...sidecars].map(c => [c.name, c]));
  for (const added of state.env) {
    const target = byName.get(added.container ?? containerName);
    if (!target) {
      v.missing(`${added.prop}.container`, added.container, `is not a container of the pod (containers: ${[...byName.keys()].join(', ')})`, 'name one of them, or add the container first');
    }
    const [rendered] = renderEnv(v, added.prop, { [added.name]: added.value })!;
    const env = [...(target.env ?? [])].filter(e => e.name !== added.name);
    env.push(rendered);
    (target as { env?: k8s.EnvVar[] }).env = env;
  }
  if (main.env && main.env.length === 0) (main as { env?: k8s.EnvVar[] }).env = undefined;
  const sidecarPorts = state.sidecars.flatMap(s => s.o.ports ?? []);
  const portNames = new Set(ports.map(p => p.name));
  sidecarPorts.forEach(p => {
    if (portNames.has(p.name)) v.fail('sidecars ports', p.name, 'is also the name of another port in the pod', 'give each port in the pod a unique name (Services target them by name)');
    portNames.add(p.name);
  });
  // Every claim must be mounted somewhere, or the API server refuses the StatefulSet.
  const mounted = new Set([main, ...initContainers, ...sidecars].flatMap(c => (c.volumeMounts ?? []).map(m => m.name)));
  for (const claim of claimNames) {
    if (!mounted.has(claim)) v.fail('volumes', claim, 'is not mounted by any container', 'give it a mountPath');
  }

  // --- pod security ---------------------------------------------------------------------
  const runAsUser = props.runAsUser ?? 1000;
  const runAsGroup = props.runAsGroup ?? 1000;
  const fsGroup = props.fsGroup ?? 1000;
  v.integer('runAsUser', runAsUser, 1, 2147483647, 'use a non-root user id (Pod Security "restricted" forbids 0), e.g. the image\'s USER');
  v.integer('runAsGroup', runAsGroup, 0, 2147483647, 'use a group id >= 0');
  v.integer('fsGroup', fsGroup, 0, 2147483647, 'use a group id >= 0');

  // --- scheduling -----------------------------------------------------------------------
  // Emitted whatever the replicas: a constraint on one pod is trivially met, and the template
  // does not change (and roll the pods) when the app is scaled.
  const spreadNodes = props.spreadAcrossNodes ?? SpreadMode.PREFERRED;
  const spreadZones = props.spreadAcrossZones ?? (zonalStorage ? SpreadMode.PREFERRED : SpreadMode.NONE);
  const spread: k8s.TopologySpreadConstraint[] = [];
  for (const [mode, key] of [[spreadZones, 'topology.kubernetes.io/zone'], [spreadNodes, 'kubernetes.io/hostname']] as const) {
    if (mode === SpreadMode.NONE) continue;
    spread.push({ maxSkew: 1, topologyKey: key, whenUnsatisfiable: mode, labelSelector: { matchLabels: { ...state.selectorLabels } } });
  }
  checkLabelMap(v, 'nodeSelector', props.nodeSelector, false);
  if (props.serviceAccountName !== undefined && checkDns1123Subdomain(props.serviceAccountName)) {
    v.fail('serviceAccountName', props.serviceAccountName, checkDns1123Subdomain(props.serviceAccountName), 'pass the name of a ServiceAccount');
  }
  if (props.priorityClassName !== undefined && checkDns1123Subdomain(props.priorityClassName)) {
    v.fail('priorityClassName', props.priorityClassName, checkDns1123Subdomain(props.priorityClassName), 'pass the name of a PriorityClass');
  }
  (props.imagePullSecrets ?? []).forEach((s, i) => {
    if (checkDns1123Subdomain(s)) v.fail(`imagePullSecrets[${i}]`, s, checkDns1123Subdomain(s), 'pass the name of a docker-registry Secret');
  });
  if (props.imagePullPolicy !== undefined && !IMAGE_PULL_POLICIES.includes(props.imagePullPolicy)) {
    v.fail('imagePullPolicy', props.imagePullPolicy, 'is not an ImagePullPolicy', 'use ImagePullPolicy.IF_NOT_PRESENT (cdk8s-plus-28)');
  }
  const grace = durationSeconds(v, 'terminationGracePeriod', props.terminationGracePeriod) ?? 30;
  const minReady = durationSeconds(v, 'minReady', props.minReady);
  v.integer('revisionHistoryLimit', props.revisionHistoryLimit, 0, 1_000_000, 'use 0 or more');

  // --- rollout and retention --------------------------------------------------------------
  const podManagementPolicy: string = props.podManagementPolicy ?? 'OrderedReady';
  if (!POD_MANAGEMENT_POLICIES.includes(podManagementPolicy)) {
    v.fail('podManagementPolicy', podManagementPolicy, 'is not a PodManagementPolicy', 'use PodManagementPolicy.ORDERED_READY or PARALLEL (cdk8s-plus-28)');
  }
  const strategy = props.updateStrategy ?? UpdateStrategy.rollingUpdate();
  v.integer('updateStrategy.partition', strategy.partition, 0, 1_000_000, `use a partition between 0 and replicas (${state.replicas})`);
  if (strategy.partition !== undefined && strategy.partition > state.replicas) {
    v.fail('updateStrategy.partition', strategy.partition, `is greater than replicas (${state.replicas}), so no pod would ever be updated`, `use a partition between 0 and ${state.replicas}`);
  }
  v.integer('updateStrategy.maxUnavailable', strategy.maxUnavailable, 1, 1_000_000, 'use 1 or more');
  const retention = props.pvcRetentionPolicy ?? {};

  const podAnnotations = { ...state.podAnnotations, ...(configChecksum ? { [CONFIG_CHECKSUM]: configChecksum } : {}) };
  const spec: k8s.StatefulSetSpec = {
    replicas: state.replicas,
    serviceName: name,
    selector: { matchLabels: { ...state.selectorLabels } },
    podManagementPolicy,
    updateStrategy: strategy.strategyType === 'OnDelete'
      ? { type: 'OnDelete' }
      : {
        type: 'RollingUpdate',
        rollingUpdate: strategy.partition !== undefined || strategy.maxUnavailable !== undefined
          ? {
            partition: strategy.partition,
            maxUnavailable: strategy.maxUnavailable !== undefined ? k8s.IntOrString.fromNumber(strategy.maxUnavailable) : undefined,
          }
          : undefined,
      },
    persistentVolumeClaimRetentionPolicy: {
      whenDeleted: retention.whenDeleted ?? PvcRetention.RETAIN,
      whenScaled: retention.whenScaled ?? PvcRetention.RETAIN,
    },
    minReadySeconds: minReady,
    revisionHistoryLimit: props.revisionHistoryLimit,
    ordinals: props.startOrdinal !== undefined ? { start: state.startOrdinal } : undefined,
    template: {
      metadata: {
        labels: { ...state.objectLabels, ...state.podLabels },
        annotations: Object.keys(podAnnotations).length > 0 ? podAnnotations : undefined,
      },
      spec: {
        serviceAccountName: props.serviceAccountName,
        automountServiceAccountToken: props.automountServiceAccountToken ?? false,
        enableServiceLinks: props.enableServiceLinks ?? false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser,
          runAsGroup,
          fsGroup,
          // Re-chown only when the volume root is not ours yet: large volumes start much faster.
          fsGroupChangePolicy: 'OnRootMismatch',
          seccompProfile: { type: 'RuntimeDefault' },
        },
        imagePullSecrets: props.imagePullSecrets && props.imagePullSecrets.length > 0 ? props.imagePullSecrets.map(s => ({ name: s })) : undefined,
        initContainers: initContainers.length > 0 ? initContainers : undefined,
        containers: [main, ...sidecars],
        volumes: podVolumes.length > 0 ? podVolumes : undefined,
        terminationGracePeriodSeconds: grace,
        priorityClassName: props.priorityClassName,
        nodeSelector: props.nodeSelector && Object.keys(props.nodeSelector).length > 0 ? { ...props.nodeSelector } : undefined,
        tolerations: props.tolerations && props.tolerations.length > 0 ? [...props.tolerations] : undefined,
        topologySpreadConstraints: spread.length > 0 ? spread : undefined,
      },
    },
    volumeClaimTemplates: claims.length > 0 ? claims : undefined,
  };
  return { spec, containerName, ports, sidecarPorts, claimNames, configMap };
}

export function durationSeconds(v: Validator, prop: string, d: Duration | undefined): number | undefined {
  if (d === undefined) return undefined;
  const s = d.toMilliseconds() / 1000;
  if (!Number.isInteger(s) || s < 0) v.fail(prop, `${s}s`, 'must be a whole number of seconds >= 0', `use Duration.seconds(${Math.max(0, Math.ceil(s))})`);
  return s;
}

export type { ContainerOptions };

/** The last checksum: a fleet's apps mostly carry the same files (MySQL's scripts), and comparing is cheaper than hashing. */
let lastChecksum: { readonly input: string; readonly hex: string } | undefined;

function sha256Hex(input: string): string {
  if (lastChecksum?.input !== input) lastChecksum = { input, hex: createHash('sha256').update(input).digest('hex') };
  return lastChecksum.hex;
}
