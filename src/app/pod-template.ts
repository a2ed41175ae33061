/**
 * The StatefulSet of an app: claim templates, pod volumes, containers, security, scheduling,
 * rollout and retention, rendered from its state. Everything that can be refused is checked here,
 * so rendering is also the validation (run at construction and again at synth).
 */
import { Duration, Size } from 'cdk8s';
import {
  ContainerOptions, HealthProbe, HELPER_RESOURCES, MAIN_RESOURCES, mainEphemeralStorage, PortOptions, renderEnv,
  renderHelperContainer, renderMounts, renderPorts, renderResources, restrictedSecurityContext, sizeBytes, sizeToQuantity,
} from '../container';
import { Validator } from '../errors';
import { k8s } from '../kube';
import { checkDns1123Label, checkDns1123Subdomain } from '../names';
import { isZonal } from '../storage/disk-storage-class';
import { checkAnnotationMap, checkLabelMap } from './metadata';
import { AccessMode, PvcRetention, SpreadMode, UpdateStrategy } from './options';
import { renderConfig } from './config-files';
import { claimVolume, PodBuild } from './pod-build';
import { AppState } from './state';

const CONFIG_CHECKSUM = 'checksum/config';

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
  const b: PodBuild = {
    state, v: state.v, volumeNames: new Set(), mainMounts: [], podVolumes: [], readOnlyRoot: state.props.readOnlyRootFilesystem ?? true,
  };
  const { claims, claimNames, zonalStorage } = renderClaims(b);
  // The given pod volumes' names are taken before the emptyDirs' (an added emptyDir that collides is the one named).
  const given = checkPodVolumes(b);
  const emptyDirBytes = renderEmptyDirs(b);
  b.podVolumes.push(...given);
  const config = renderConfig(b);
  const containers = renderContainers(b, emptyDirBytes, claimNames);
  const podAnnotations = { ...state.podAnnotations, ...(config ? { [CONFIG_CHECKSUM]: config.checksum } : {}) };
  const podSpec = renderPodSpec(b, containers, zonalStorage);
  const spec: k8s.StatefulSetSpec = {
    ...renderRollout(b),
    template: {
      metadata: {
        labels: { ...state.objectLabels, ...state.podLabels },
        annotations: Object.keys(podAnnotations).length > 0 ? podAnnotations : undefined,
      },
      spec: podSpec,
    },
    volumeClaimTemplates: claims.length > 0 ? claims : undefined,
  };
  const { main, ports, sidecarPorts } = containers;
  return { spec, containerName: main.name, ports, sidecarPorts, claimNames, configMap: config?.configMap };
}

/** `podVolumes`: each a name and exactly one source, passed through as written. */
function checkPodVolumes(b: PodBuild): k8s.Volume[] {
  const given = b.state.props.podVolumes ?? [];
  given.forEach((volume, i) => {
    const prop = `podVolumes[${i}]`;
    claimVolume(b, `${prop}.name`, volume.name);
    const sources = Object.keys(volume).filter((key) => key !== 'name');
    if (sources.length !== 1) {
      b.v.fail(prop, volume, `must have exactly one volume source besides its name (has ${sources.length === 0 ? 'none' : sources.join(', ')})`,
        'give it one source, e.g. { name: "certs", secret: { secretName: "certs" } }');
    }
  });
  return given;
}

/** The claim templates, each mounted in the main container. */
function renderClaims(b: PodBuild) {
  const { state, v } = b;
  const lastOrdinal = state.startOrdinal + Math.max(state.replicas, 1) - 1;
  const claims: k8s.KubePersistentVolumeClaimProps[] = [];
  const claimNames = new Set<string>();
  let zonalStorage = false;
  for (const { o: vol, prop: p } of state.volumes) {
    claimVolume(b, `${p}.name`, vol?.name);
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
    const pvc = `${vol.name}-${state.name}-${lastOrdinal}`;
    if (pvc.length > 253) v.fail(`${p}.name`, vol.name, `makes PVC names like ${pvc} longer than 253 characters`, 'shorten the volume or app name');
    claimNames.add(vol.name);
    b.mainMounts.push({ volume: vol.name, mountPath: vol.mountPath, subPath: vol.subPath, readOnly: vol.readOnly });
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
  return { claims, claimNames, zonalStorage };
}

/** The emptyDirs (and the default /tmp a read-only root needs); returns the bytes they may take on the node's disk. */
function renderEmptyDirs(b: PodBuild): number {
  const { state, v } = b;
  const emptyDirs = [...state.emptyDirs];
  const mountsTmp = [...b.mainMounts, ...(state.props.mounts ?? [])].some((m) => m.mountPath === '/tmp' || m.mountPath === '/tmp/')
    || emptyDirs.some((e) => e.o.mountPath === '/tmp' || e.o.mountPath === '/tmp/');
  if (b.readOnlyRoot && !mountsTmp) {
    // Most programs need a writable /tmp; with a read-only root it has to be a volume.
    if (emptyDirs.some((e) => e.o.name === 'tmp') || b.volumeNames.has('tmp')) {
      v.fail('emptyDirs', 'tmp', 'is a volume name that is not mounted at /tmp, but the read-only root file system needs a writable /tmp', 'mount a volume at /tmp, rename your "tmp" volume, or set readOnlyRootFilesystem: false');
    }
    emptyDirs.push({ o: { name: 'tmp', mountPath: '/tmp', sizeLimit: Size.gibibytes(1) }, prop: 'emptyDirs (the default /tmp)' });
  }
  let emptyDirBytes = 0;
  for (const { o: dir, prop: p } of emptyDirs) {
    claimVolume(b, `${p}.name`, dir?.name);
    if (dir.sizeLimit !== undefined && !(sizeBytes(dir.sizeLimit) > 0)) {
      v.fail(`${p}.sizeLimit`, sizeToQuantity(dir.sizeLimit), 'must be a positive Size', 'use Size.mebibytes(512)');
    }
    if (dir.sizeLimit !== undefined && !dir.inMemory) emptyDirBytes += sizeBytes(dir.sizeLimit);
    if (dir.mountPath !== undefined) b.mainMounts.push({ volume: dir.name, mountPath: dir.mountPath });
    b.podVolumes.push({
      name: dir.name,
      emptyDir: {
        medium: dir.inMemory ? 'Memory' : undefined,
        sizeLimit: dir.sizeLimit ? k8s.Quantity.fromString(sizeToQuantity(dir.sizeLimit)) : undefined,
      },
    });
  }
  return emptyDirBytes;
}

interface RenderedContainers {
  readonly main: k8s.Container;
  readonly initContainers: k8s.Container[];
  readonly sidecars: k8s.Container[];
  readonly ports: PortOptions[];
  readonly sidecarPorts: PortOptions[];
}

/** The main container, the init containers and the sidecars, with addEnv's variables. */
function renderContainers(b: PodBuild, emptyDirBytes: number, claimNames: Set<string>): RenderedContainers {
  const { state, v } = b;
  const { props } = state;
  const containerName = props.containerName ?? state.name;
  const containerProblem = checkDns1123Label(containerName);
  if (containerProblem) v.fail('containerName', containerName, containerProblem, 'use a name like "web"');
  for (const m of props.mounts ?? []) b.mainMounts.push(m);
  const containerPorts = renderPorts(v, 'ports', props.ports);
  const ports = [...(props.ports ?? [])];
  const firstPort = ports[0]?.port;
  const probes = renderProbes(b, firstPort);
  const containerNames = new Set([containerName]);
  const helpers = (list: AppState['initContainers'], allowProbes: boolean) => list.map(({ o: spec, prop }) => {
    const defaults = { image: state.image, readOnlyRootFilesystem: b.readOnlyRoot, resources: HELPER_RESOURCES, volumeNames: b.volumeNames };
    const c = renderHelperContainer(v, prop, spec, defaults, allowProbes);
    if (containerNames.has(c.name)) v.fail(`${prop}.name`, c.name, 'is the name of another container in the pod', 'give each container a unique name');
    containerNames.add(c.name);
    return c;
  });
  const initContainers = helpers(state.initContainers, false);
  const sidecars = helpers(state.sidecars, true);
  const main: k8s.Container = {
    name: containerName,
    image: state.image,
    imagePullPolicy: props.imagePullPolicy,
    command: props.command ? [...props.command] : undefined,
    args: props.args ? [...props.args] : undefined,
    env: renderEnv(v, 'env', undefined) ?? [],
    ports: containerPorts,
    volumeMounts: renderMounts(v, 'mounts', b.mainMounts, b.volumeNames),
    resources: renderResources(v, 'resources', props.resources, { ...MAIN_RESOURCES, ephemeralStorage: mainEphemeralStorage(emptyDirBytes) }),
    startupProbe: props.startupProbe?._render(v, 'startupProbe', firstPort, false),
    ...probes,
    securityContext: restrictedSecurityContext(b.readOnlyRoot),
  };
  applyAddedEnv(state, [main, ...initContainers, ...sidecars]);
  if (main.env && main.env.length === 0) (main as { env?: k8s.EnvVar[] }).env = undefined;
  const sidecarPorts = state.sidecars.flatMap((s) => s.o.ports ?? []);
  const portNames = new Set(ports.map((p) => p.name));
  sidecarPorts.forEach((p) => {
    if (portNames.has(p.name)) v.fail('sidecars ports', p.name, 'is also the name of another port in the pod', 'give each port in the pod a unique name (Services target them by name)');
    portNames.add(p.name);
  });
  // Every claim must be mounted somewhere, or the API server refuses the StatefulSet.
  const mounted = new Set([main, ...initContainers, ...sidecars].flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  for (const claim of claimNames) {
    if (!mounted.has(claim)) v.fail('volumes', claim, 'is not mounted by any container', 'give it a mountPath');
  }
  return { main, initContainers, sidecars, ports, sidecarPorts };
}

/** The main container's probes: readiness by default on its first port; liveness never the same as readiness. */
function renderProbes(b: PodBuild, firstPort: number | undefined): Pick<k8s.Container, 'readinessProbe' | 'livenessProbe'> {
  const { props } = b.state;
  const v = b.v;
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
  return { readinessProbe, livenessProbe };
}

/** The env of every container, in order: the props', then addEnv's (a later one replaces an earlier one of the same name). */
function applyAddedEnv(state: AppState, containers: k8s.Container[]): void {
  const v: Validator = state.v;
  const byName = new Map<string, k8s.Container>(containers.map((c) => [c.name, c]));
  const mainName = containers[0].name;
  for (const added of state.env) {
    const target = byName.get(added.container ?? mainName);
    if (!target) {
      v.missing(`${added.prop}.container`, added.container, `is not a container of the pod (containers: ${[...byName.keys()].join(', ')})`, 'name one of them, or add the container first');
    }
    const [rendered] = renderEnv(v, added.prop, { [added.name]: added.value })!;
    const env = [...(target.env ?? [])].filter((e) => e.name !== added.name);
    env.push(rendered);
    (target as { env?: k8s.EnvVar[] }).env = env;
  }
}

/** The StatefulSet's own fields: replicas, selector, rollout, retention. */
function renderRollout(b: PodBuild): Omit<k8s.StatefulSetSpec, 'template' | 'volumeClaimTemplates'> {
  const { state, v } = b;
  const { props } = state;
  const minReady = durationSeconds(v, 'minReady', props.minReady);
  v.integer('revisionHistoryLimit', props.revisionHistoryLimit, 0, 1_000_000, 'use 0 or more');
  // (Enum values, like every prop's type, were checked with the props.)
  const podManagementPolicy: string = props.podManagementPolicy ?? 'OrderedReady';
  const strategy = props.updateStrategy ?? UpdateStrategy.rollingUpdate();
  v.integer('updateStrategy.partition', strategy.partition, 0, 1_000_000, `use a partition between 0 and replicas (${state.replicas})`);
  if (strategy.partition !== undefined && strategy.partition > state.replicas) {
    v.fail('updateStrategy.partition', strategy.partition, `is greater than replicas (${state.replicas}), so no pod would ever be updated`, `use a partition between 0 and ${state.replicas}`);
  }
  v.integer('updateStrategy.maxUnavailable', strategy.maxUnavailable, 1, 1_000_000, 'use 1 or more');
  const retention = props.pvcRetentionPolicy ?? {};
  const rolling = strategy.partition !== undefined || strategy.maxUnavailable !== undefined
    ? {
        partition: strategy.partition,
        maxUnavailable: strategy.maxUnavailable !== undefined ? k8s.IntOrString.fromNumber(strategy.maxUnavailable) : undefined,
      }
    : undefined;
  return {
    replicas: state.replicas,
    serviceName: state.name,
    selector: { matchLabels: { ...state.selectorLabels } },
    podManagementPolicy,
    updateStrategy: strategy.strategyType === 'OnDelete' ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: rolling },
    persistentVolumeClaimRetentionPolicy: {
      whenDeleted: retention.whenDeleted ?? PvcRetention.RETAIN,
      whenScaled: retention.whenScaled ?? PvcRetention.RETAIN,
    },
    minReadySeconds: minReady,
    revisionHistoryLimit: props.revisionHistoryLimit,
    ordinals: props.startOrdinal !== undefined ? { start: state.startOrdinal } : undefined,
  };
}

/** The pod's spec: identity, security, containers, volumes, scheduling. */
function renderPodSpec(b: PodBuild, containers: RenderedContainers, zonalStorage: boolean): k8s.PodSpec {
  const { state, v } = b;
  const { props } = state;
  const runAsUser = props.runAsUser ?? 1000;
  const runAsGroup = props.runAsGroup ?? 1000;
  const fsGroup = props.fsGroup ?? 1000;
  v.integer('runAsUser', runAsUser, 1, 2147483647, 'use a non-root user id (Pod Security "restricted" forbids 0), e.g. the image\'s USER');
  v.integer('runAsGroup', runAsGroup, 0, 2147483647, 'use a group id >= 0');
  v.integer('fsGroup', fsGroup, 0, 2147483647, 'use a group id >= 0');
  const spread = renderSpread(b, zonalStorage);
  const grace = durationSeconds(v, 'terminationGracePeriod', props.terminationGracePeriod) ?? 30;
  return {
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
    imagePullSecrets: props.imagePullSecrets && props.imagePullSecrets.length > 0 ? props.imagePullSecrets.map((s) => ({ name: s })) : undefined,
    initContainers: containers.initContainers.length > 0 ? containers.initContainers : undefined,
    containers: [containers.main, ...containers.sidecars],
    volumes: b.podVolumes.length > 0 ? b.podVolumes : undefined,
    terminationGracePeriodSeconds: grace,
    priorityClassName: props.priorityClassName,
    nodeSelector: props.nodeSelector && Object.keys(props.nodeSelector).length > 0 ? { ...props.nodeSelector } : undefined,
    tolerations: props.tolerations && props.tolerations.length > 0 ? [...props.tolerations] : undefined,
    topologySpreadConstraints: spread.length > 0 ? spread : undefined,
  };
}

/**
 * Spreading across zones and nodes, and the checks of the other scheduling props. Emitted whatever
 * the replicas: a constraint on one pod is trivially met, and the template does not change (and
 * roll the pods) when the app is scaled.
 */
function renderSpread(b: PodBuild, zonalStorage: boolean): k8s.TopologySpreadConstraint[] {
  const { state, v } = b;
  const { props } = state;
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
  return spread;
}

export function durationSeconds(v: Validator, prop: string, d: Duration | undefined): number | undefined {
  if (d === undefined) return undefined;
  const s = d.toMilliseconds() / 1000;
  if (!Number.isInteger(s) || s < 0) v.fail(prop, `${s}s`, 'must be a whole number of seconds >= 0', `use Duration.seconds(${Math.max(0, Math.ceil(s))})`);
  return s;
}

export type { ContainerOptions };
