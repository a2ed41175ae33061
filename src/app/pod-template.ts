/**
 * The StatefulSet of an app: claim templates, pod volumes, containers, security, scheduling,
 * rollout and retention, rendered from its state. Everything that can be refused is checked here,
 * so rendering is also the validation (run at construction and again at synth).
 */
import { Duration } from 'cdk8s';
import {
  checkEnvReferences, HealthProbe, HELPER_RESOURCES, MAIN_RESOURCES, mainEphemeralStorage, PortOptions, renderMounts, renderPorts, renderPreStop,
  renderResources, restrictedSecurityContext,
} from '../container';
import { Validator } from '../errors';
import { k8s } from '../kube';
import { checkDns1123Label, checkDns1123Subdomain } from '../names';
import { renderConfig } from './config-files';
import { AppContainer } from './container';
import { checkLabelMap } from './metadata';
import { PvcRetention, SpreadMode, UpdateStrategy } from './options';
import { PodBuild } from './pod-build';
import { AppState } from './state';
import { checkPodVolumes, renderClaims, renderEmptyDirs } from './volumes';

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

interface RenderedContainers {
  readonly main: k8s.Container;
  readonly initContainers: k8s.Container[];
  readonly sidecars: k8s.Container[];
  readonly ports: PortOptions[];
  readonly sidecarPorts: PortOptions[];
}

/** The main container, the init containers and the sidecars. */
function renderContainers(b: PodBuild, emptyDirBytes: number, claimNames: Set<string>): RenderedContainers {
  const { state, v } = b;
  const { props } = state;
  const containerName = state.main.name;
  const containerProblem = checkDns1123Label(containerName);
  if (containerProblem) v.fail('containerName', containerName, containerProblem, 'use a name like "web"');
  const ports = state.main.ports;
  const containerPorts = renderPorts(v, 'ports', ports);
  const firstPort = ports[0]?.port;
  const probes = renderProbes(b, firstPort);
  const containerNames = new Set([containerName]);
  const ctx = { image: state.image, readOnlyRootFilesystem: b.readOnlyRoot, resources: HELPER_RESOURCES, volumeNames: b.volumeNames };
  const helpers = (list: AppContainer[]) => list.map((helper) => {
    const c = helper._render(ctx);
    if (containerNames.has(c.name)) v.fail(`${helper._prop}.name`, c.name, 'is the name of another container in the pod', 'give each container a unique name');
    containerNames.add(c.name);
    return c;
  });
  const initContainers = helpers(state.initContainers);
  const sidecars = helpers(state.sidecars);
  checkPendingEnv(state, [containerName, ...initContainers.map((c) => c.name), ...sidecars.map((c) => c.name)]);
  const main: k8s.Container = {
    name: containerName,
    image: state.image,
    imagePullPolicy: props.imagePullPolicy,
    command: props.command ? [...props.command] : undefined,
    args: props.args ? [...props.args] : undefined,
    workingDir: props.workingDir,
    env: state.main._renderEnv(),
    ports: containerPorts,
    volumeMounts: renderMounts(v, 'mounts', [...b.mainMounts, ...state.main._mountEntries], b.volumeNames),
    resources: renderResources(v, 'resources', props.resources, { ...MAIN_RESOURCES, ephemeralStorage: mainEphemeralStorage(emptyDirBytes) }),
    startupProbe: props.startupProbe?._render(v, 'startupProbe', firstPort, false),
    ...probes,
    lifecycle: renderPreStop(v, 'preStop', props.preStop),
    securityContext: restrictedSecurityContext(b.readOnlyRoot),
  };
  [...state.initContainers, ...state.sidecars].forEach((helper, i) => checkEnvReferences(v, helper._prop, [...initContainers, ...sidecars][i], main));
  const sidecarPorts = state.sidecars.flatMap((s) => s.ports);
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

/** A variable `addEnv` set for a container that was never added. */
function checkPendingEnv(state: AppState, containerNames: string[]): void {
  const [pending] = state.pendingEnv;
  if (pending) {
    state.v.fail(`${pending.entry.prop}.container`, pending.container, `is not a container of the pod (containers: ${containerNames.join(', ')})`,
      'name one of them, or add the container first');
  }
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
    runtimeClassName: props.runtimeClassName,
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
  if (props.runtimeClassName !== undefined && checkDns1123Subdomain(props.runtimeClassName)) {
    v.fail('runtimeClassName', props.runtimeClassName, checkDns1123Subdomain(props.runtimeClassName), 'pass the name of a RuntimeClass, e.g. "gvisor"');
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
