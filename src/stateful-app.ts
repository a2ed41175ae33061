import { createHash } from 'crypto';
import { Chart, Duration, Size } from 'cdk8s';
import { ContainerResources, k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  checkImage, ContainerSpec, EnvValue, MAIN_RESOURCES, HELPER_RESOURCES, PortSpec, Probe, renderEnv,
  renderHelperContainer, renderMounts, renderPorts, renderResources, restrictedSecurityContext, sizeBytes,
  sizeToQuantity, VolumeMountSpec,
} from './container';
import { futurePath, Validator } from './errors';
import { OnePassKubeConfigMap, OnePassKubePodDisruptionBudget, OnePassKubeService, OnePassKubeStatefulSet } from './l1';
import {
  checkConfigKey, checkDns1035Label, checkDns1123Label, checkDns1123Subdomain, checkLabelValue,
  checkQualifiedKey, checkWorkloadName, LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, LABEL_PART_OF,
  LABEL_VERSION, MANAGED_BY, parseImage, podHostName, POD_NAME_LABEL, serviceHostName, versionLabelOf,
} from './names';
import { IStorageClass } from './storage/disk-storage-class';

/** How the StatefulSet controller creates and deletes pods. */
export enum PodManagementPolicy {
  /** One at a time, in ordinal order, each Ready before the next (scale-in in reverse). */
  ORDERED_READY = 'OrderedReady',
  /** All at once (updates still follow the update strategy). */
  PARALLEL = 'Parallel',
}

/** What happens to the PVCs of a StatefulSet. */
export enum PvcRetention {
  /** Keep the claims (and data). */
  RETAIN = 'Retain',
  /** Delete the claims; with a `Delete` reclaim policy the data is gone. */
  DELETE = 'Delete',
}

/** `persistentVolumeClaimRetentionPolicy` of the StatefulSet. */
export interface PvcRetentionPolicy {
  /**
   * Claims of a deleted StatefulSet.
   * @default PvcRetention.RETAIN
   */
  readonly whenDeleted?: PvcRetention;
  /**
   * Claims of ordinals removed by a scale-in.
   * @default PvcRetention.RETAIN
   */
  readonly whenScaled?: PvcRetention;
}

/** Access mode of a volume claim. */
export enum AccessMode {
  /** Read-write by one node (block disks). */
  READ_WRITE_ONCE = 'ReadWriteOnce',
  /** Read-write by one pod. */
  READ_WRITE_ONCE_POD = 'ReadWriteOncePod',
  /** Read-only by many nodes. */
  READ_ONLY_MANY = 'ReadOnlyMany',
  /** Read-write by many nodes (shared file systems). */
  READ_WRITE_MANY = 'ReadWriteMany',
}

/** How strictly pods are spread over a topology domain. */
export enum SpreadMode {
  /** No constraint. */
  NONE = 'None',
  /** Spread when possible, schedule anyway when not (`whenUnsatisfiable: ScheduleAnyway`). */
  PREFERRED = 'ScheduleAnyway',
  /** Never put more pods in one domain than the skew allows (`DoNotSchedule`); pods may stay Pending. */
  REQUIRED = 'DoNotSchedule',
}

/** Type of a Service. */
export enum ServiceType {
  /** A cluster-internal virtual IP. */
  CLUSTER_IP = 'ClusterIP',
  /** A port on every node. */
  NODE_PORT = 'NodePort',
  /** A cloud load balancer. */
  LOAD_BALANCER = 'LoadBalancer',
}

/** Image pull policy. */
export enum ImagePullPolicy {
  /** Always pull. */
  ALWAYS = 'Always',
  /** Pull when missing on the node. */
  IF_NOT_PRESENT = 'IfNotPresent',
  /** Never pull. */
  NEVER = 'Never',
}

/** Options of a rolling update. */
export interface RollingUpdateOptions {
  /**
   * Only ordinals >= partition are updated; lower ones keep the old revision (staged rollouts).
   * @default 0
   */
  readonly partition?: number;
  /**
   * Pods updated at once. Needs the MaxUnavailableStatefulSet feature gate (alpha in 1.28);
   * ignored by clusters without it.
   * @default - one at a time
   */
  readonly maxUnavailable?: number;
}

/** How a changed pod template reaches the pods. */
export class UpdateStrategy {
  /** Replace pods one at a time from the highest ordinal, optionally only down to a partition. */
  public static rollingUpdate(options: RollingUpdateOptions = {}): UpdateStrategy {
    return new UpdateStrategy('RollingUpdate', options.partition, options.maxUnavailable);
  }

  /** Never replace running pods; a pod picks up the new template when you delete it. */
  public static onDelete(): UpdateStrategy {
    return new UpdateStrategy('OnDelete');
  }

  private constructor(
    /** `RollingUpdate` or `OnDelete`. */
    public readonly strategyType: string,
    /** The partition, for rolling updates. */
    public readonly partition?: number,
    /** The maxUnavailable, for rolling updates. */
    public readonly maxUnavailable?: number,
  ) {}
}

/** The PodDisruptionBudget of an app. */
export class DisruptionBudget {
  /** At most this many pods may be down through voluntary disruptions (drains). */
  public static maxUnavailable(pods: number): DisruptionBudget {
    return new DisruptionBudget(pods, undefined);
  }

  /** At least this many pods must stay up through voluntary disruptions. */
  public static minAvailable(pods: number): DisruptionBudget {
    return new DisruptionBudget(undefined, pods);
  }

  /** No PodDisruptionBudget: node drains may evict every pod at once. */
  public static none(): DisruptionBudget {
    return new DisruptionBudget(undefined, undefined);
  }

  private constructor(
    /** Max unavailable pods, if set. */
    public readonly maxUnavailablePods?: number,
    /** Min available pods, if set. */
    public readonly minAvailablePods?: number,
  ) {}
}

/** A per-pod volume: one PersistentVolumeClaim per pod from a claim template. */
export interface VolumeClaimSpec {
  /** Claim template name; each pod's PVC is `<name>-<app>-<ordinal>` (DNS-1123 label). */
  readonly name: string;
  /** Where the main container mounts it. */
  readonly mountPath: string;
  /** Requested capacity. */
  readonly size: Size;
  /**
   * StorageClass: a `DiskStorageClass`, or `DiskStorageClass.fromStorageClassName('gp3')`.
   * @default - the cluster's default StorageClass
   */
  readonly storageClass?: IStorageClass;
  /**
   * Access modes.
   * @default [AccessMode.READ_WRITE_ONCE]
   */
  readonly accessModes?: AccessMode[];
  /**
   * Mount this sub-directory of the volume (e.g. to skip `lost+found` on a fresh ext4 disk).
   * @default - the volume root
   */
  readonly subPath?: string;
  /**
   * Mount read-only in the main container.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Extra labels on the claim template. Claim templates are immutable: changing them later needs
   * the StatefulSet re-created (`kubectl delete sts --cascade=orphan`).
   * @default - only the selector labels
   */
  readonly labels?: { [key: string]: string };
  /**
   * Annotations on the claim template (immutable too).
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
}

/** A scratch volume that lives as long as the pod (writable space under a read-only root). */
export interface EmptyDirSpec {
  /** Volume name (DNS-1123 label). */
  readonly name: string;
  /**
   * Where the main container mounts it.
   * @default - not mounted in the main container (mount it from init containers or sidecars)
   */
  readonly mountPath?: string;
  /**
   * Size limit; the pod is evicted when it writes more.
   * @default - no limit
   */
  readonly sizeLimit?: Size;
  /**
   * Back it with memory (tmpfs; counts against the memory limit).
   * @default false
   */
  readonly inMemory?: boolean;
}

/** Files rendered into a ConfigMap and mounted into the pods. */
export interface ConfigFilesSpec {
  /** File name to content. */
  readonly files: { [fileName: string]: string };
  /**
   * Where the main container mounts the files.
   * @default - not mounted in the main container (mount volume `configVolumeName` from other containers)
   */
  readonly mountPath?: string;
  /**
   * ConfigMap name.
   * @default `<app name>-config`
   */
  readonly name?: string;
  /**
   * Pod volume name of the ConfigMap.
   * @default 'config'
   */
  readonly volumeName?: string;
}

/** A Service in front of the app's pods. */
export interface ServiceOptions {
  /**
   * Service name (DNS-1035 label).
   * @default - `<app name>-read` for the read Service; `<app name>-<id>` for `addService`
   */
  readonly name?: string;
  /**
   * Service type.
   * @default ServiceType.CLUSTER_IP
   */
  readonly type?: ServiceType;
  /**
   * Names of the ports to expose: the main container's, or a sidecar's.
   * @default - all ports of the main container
   */
  readonly ports?: string[];
  /**
   * Select only the pod with this ordinal (by `statefulset.kubernetes.io/pod-name`), e.g. 0 for a primary.
   * @default - all pods
   */
  readonly podOrdinal?: number;
  /**
   * Route to pods that are not Ready too.
   * @default false
   */
  readonly publishNotReadyAddresses?: boolean;
  /**
   * A headless Service (`clusterIP: None`): DNS returns the pod addresses, no virtual IP.
   * @default false
   */
  readonly headless?: boolean;
  /**
   * Extra labels.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * Annotations (e.g. for a cloud load balancer).
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
}

/** Props of a {@link StatefulApp}. */
export interface StatefulAppProps {
  /** Container image, pinned to a version tag or digest. */
  readonly image: string;
  /**
   * Name of the StatefulSet, its headless Service and its pods (`<name>-0`); DNS-1035, at most 52 characters.
   * Renaming a deployed app gives it new, empty volumes.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Namespace of every object.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Ports the main container listens on; every Service exposes them by name.
   * @default - none (then `readinessProbe` is required)
   */
  readonly ports?: PortSpec[];
  /**
   * Per-pod persistent volumes (volumeClaimTemplates), mounted in the main container.
   * @default - none
   */
  readonly volumes?: VolumeClaimSpec[];
  /**
   * Pod-lifetime scratch volumes.
   * @default - an emptyDir at /tmp when the root file system is read-only and nothing else is mounted there
   */
  readonly emptyDirs?: EmptyDirSpec[];
  /**
   * Files in a ConfigMap; a checksum of their content on the pod template rolls the pods when they change.
   * @default - no ConfigMap
   */
  readonly config?: ConfigFilesSpec;
  /**
   * Extra mounts of the main container (a claim at a second path, the config volume, ...).
   * @default - none
   */
  readonly mounts?: VolumeMountSpec[];
  /**
   * Allow an image with tag `latest` or no tag.
   * @default false
   */
  readonly allowUnpinnedImage?: boolean;
  /**
   * Image pull policy.
   * @default - Kubernetes' default (IfNotPresent for pinned tags)
   */
  readonly imagePullPolicy?: ImagePullPolicy;
  /**
   * Secrets with registry credentials.
   * @default - none
   */
  readonly imagePullSecrets?: string[];
  /**
   * Name of the main container.
   * @default - the app name
   */
  readonly containerName?: string;
  /**
   * Entrypoint override.
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * Arguments.
   * @default - the image's command
   */
  readonly args?: string[];
  /**
   * Environment variables of the main container, in this order.
   * @default - none
   */
  readonly env?: { [name: string]: EnvValue };
  /**
   * Resources of the main container; each group (cpu, memory, ephemeralStorage) you pass replaces the default group.
   * @default - cpu request 250m (no CPU limit, to avoid throttling); memory request and limit 256Mi
   */
  readonly resources?: ContainerResources;
  /**
   * Readiness probe: gates Service traffic and ordered rollouts.
   * @default - a TCP probe of the first port every 10s
   */
  readonly readinessProbe?: Probe;
  /**
   * Liveness probe (restarts the container when it fails).
   * @default - none: a restart rarely fixes a stateful server, and a bad probe restarts healthy ones
   */
  readonly livenessProbe?: Probe;
  /**
   * Startup probe (holds off the other probes until it passes).
   * @default - none
   */
  readonly startupProbe?: Probe;
  /**
   * Init containers, run in order before the main container.
   * @default - none
   */
  readonly initContainers?: ContainerSpec[];
  /**
   * Sidecar containers beside the main container.
   * @default - none
   */
  readonly sidecars?: ContainerSpec[];
  /**
   * How pods are created and deleted.
   * @default PodManagementPolicy.ORDERED_READY
   */
  readonly podManagementPolicy?: PodManagementPolicy;
  /**
   * How template changes roll out.
   * @default UpdateStrategy.rollingUpdate()
   */
  readonly updateStrategy?: UpdateStrategy;
  /**
   * What happens to PVCs on scale-in and deletion.
   * @default - Retain for both
   */
  readonly pvcRetentionPolicy?: PvcRetentionPolicy;
  /**
   * User id of all containers.
   * @default 1000
   */
  readonly runAsUser?: number;
  /**
   * Group id of all containers.
   * @default 1000
   */
  readonly runAsGroup?: number;
  /**
   * Group that owns mounted volumes.
   * @default 1000
   */
  readonly fsGroup?: number;
  /**
   * Mount the image's file system read-only (write to volumes and emptyDirs only).
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;
  /**
   * Spread pods over nodes (kubernetes.io/hostname) when replicas > 1.
   * @default SpreadMode.PREFERRED
   */
  readonly spreadAcrossNodes?: SpreadMode;
  /**
   * Spread pods over zones (topology.kubernetes.io/zone) when replicas > 1.
   * @default SpreadMode.NONE
   */
  readonly spreadAcrossZones?: SpreadMode;
  /**
   * The PodDisruptionBudget.
   * @default - DisruptionBudget.maxUnavailable(1) when replicas > 1, none otherwise
   */
  readonly disruptionBudget?: DisruptionBudget;
  /**
   * Also create a load-balanced Service (ClusterIP) for clients that may talk to any pod.
   * @default - none
   */
  readonly readService?: ServiceOptions;
  /**
   * Labels on every object and pod (not on claim templates, which are immutable).
   * @default - only the recommended app.kubernetes.io labels
   */
  readonly labels?: { [key: string]: string };
  /**
   * Annotations on every object (not on pods or claim templates).
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
  /**
   * Extra pod labels.
   * @default - none
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * Extra pod annotations.
   * @default - none
   */
  readonly podAnnotations?: { [key: string]: string };
  /**
   * `app.kubernetes.io/name`: what the application is (the instance label is the app name).
   * @default - the app name
   */
  readonly appName?: string;
  /**
   * `app.kubernetes.io/component`, e.g. "database".
   * @default - none
   */
  readonly component?: string;
  /**
   * `app.kubernetes.io/part-of`, e.g. "shop".
   * @default - none
   */
  readonly partOf?: string;
  /**
   * Service account of the pods.
   * @default - the namespace's default service account
   */
  readonly serviceAccountName?: string;
  /**
   * Mount the service account token (only apps that call the Kubernetes API need it).
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /**
   * Inject environment variables for every Service in the namespace (legacy Docker links).
   * @default false
   */
  readonly enableServiceLinks?: boolean;
  /**
   * Node labels the pods must run on.
   * @default - any node
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Tolerations.
   * @default - none
   */
  readonly tolerations?: k8s.Toleration[];
  /**
   * PriorityClass of the pods.
   * @default - the cluster default
   */
  readonly priorityClassName?: string;
  /**
   * Time between SIGTERM and SIGKILL.
   * @default Duration.seconds(30)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * A new pod must stay Ready this long before it counts as available.
   * @default - 0
   */
  readonly minReady?: Duration;
  /**
   * First ordinal (pods are `<name>-<start>`, ...), for migrating sets between clusters.
   * @default 0
   */
  readonly startOrdinal?: number;
  /**
   * Old revisions kept for rollback.
   * @default - Kubernetes' default (10)
   */
  readonly revisionHistoryLimit?: number;
  /**
   * Cluster DNS domain, for the DNS helpers.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * Pod volumes of other kinds (a projected service account token), mounted by name.
   * @internal
   */
  readonly _extraVolumes?: k8s.Volume[];
}

const KIND = 'StatefulApp';
const CONFIG_CHECKSUM = 'checksum/config';
/** A ConfigMap holds at most 1 MiB. */
const CONFIGMAP_LIMIT = 1024 * 1024;

/** What StatefulApp derives from its props, computed (and validated) before the set exists. */
interface AppPlan {
  readonly name: string;
  readonly namespace?: string;
  readonly clusterDomain: string;
  readonly replicas: number;
  readonly startOrdinal: number;
  readonly selectorLabels: { [key: string]: string };
  readonly objectLabels: { [key: string]: string };
  readonly objectAnnotations?: { [key: string]: string };
  readonly containerName: string;
  readonly ports: PortSpec[];
  readonly sidecarPorts: PortSpec[];
  readonly claimNames: Set<string>;
  readonly configMap?: { readonly name: string; readonly data: { [key: string]: string } };
  readonly serviceProps: k8s.KubeServiceProps;
  readonly readServiceProps?: k8s.KubeServiceProps;
  readonly budget: DisruptionBudget;
  readonly statefulSet: k8s.KubeStatefulSetProps;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Validates the props and computes every object of the app. Runs before `super()`: the app is its
 * own StatefulSet, so its props must be final when the ApiObject is created.
 */
function planStatefulApp(scope: Construct, id: string, props: StatefulAppProps, kind: string): AppPlan {
  const v: Validator = new Validator(futurePath(scope, id), kind);
  const plan = {} as Writable<AppPlan>;
  if (props === undefined || props === null || typeof props !== 'object') {
    v.fail('props', props, 'are missing', 'pass at least { image }');
  }

  // --- identity -------------------------------------------------------------------------
  const name = props.name ?? id;
  const nameProblem = checkWorkloadName(name);
  if (nameProblem) {
    v.fail(props.name === undefined ? 'name (from the construct id)' : 'name', name, nameProblem,
      'pass a name of lower case letters, digits and "-", starting with a letter, e.g. name: "web"');
  }
  plan.name = name;
  const namespace = props.namespace ?? Chart.of(scope).namespace;
  if (props.namespace !== undefined) {
    const problem = checkDns1123Label(props.namespace);
    if (problem) v.fail('namespace', props.namespace, problem, 'use a namespace name such as "shop"');
  }
  plan.namespace = namespace;
  plan.clusterDomain = props.clusterDomain ?? 'cluster.local';
  if (checkDns1123Subdomain(plan.clusterDomain)) v.fail('clusterDomain', props.clusterDomain, 'must be a DNS domain', 'use "cluster.local" or your cluster\'s domain');

  const image = checkImage(v, 'image', props.image, props.allowUnpinnedImage);
  const replicas = props.replicas ?? 1;
  v.integer('replicas', replicas, 0, 1_000_000, 'set replicas to 0 or more (0 stops every pod and keeps the volumes)');
  plan.replicas = replicas;
  const startOrdinal = props.startOrdinal ?? 0;
  v.integer('startOrdinal', props.startOrdinal, 0, 1_000_000, 'use 0 or a positive ordinal');
  plan.startOrdinal = startOrdinal;
  // (52 characters + "-" + at most 7 ordinal digits keeps pod host names within 63.)
  const lastOrdinal = startOrdinal + Math.max(replicas, 1) - 1;

  // --- labels ---------------------------------------------------------------------------
  const appName = props.appName ?? name;
  checkLabelMap(v, 'labels', props.labels, true);
  checkLabelMap(v, 'podLabels', props.podLabels, true);
  checkAnnotationMap(v, 'annotations', props.annotations);
  checkAnnotationMap(v, 'podAnnotations', props.podAnnotations);
  for (const [prop, value] of [['appName', props.appName], ['component', props.component], ['partOf', props.partOf]] as const) {
    if (value !== undefined && (value === '' || checkLabelValue(value))) {
      v.fail(prop, value, checkLabelValue(value) || 'must not be empty', 'use a short label value such as "database"');
    }
  }
  plan.selectorLabels = { [LABEL_NAME]: appName, [LABEL_INSTANCE]: name };
  const parsed = parseImage(image)!;
  const version = versionLabelOf(parsed);
  plan.objectLabels = {
    ...plan.selectorLabels,
    ...(version ? { [LABEL_VERSION]: version } : {}),
    ...(props.component ? { [LABEL_COMPONENT]: props.component } : {}),
    ...(props.partOf ? { [LABEL_PART_OF]: props.partOf } : {}),
    [LABEL_MANAGED_BY]: MANAGED_BY,
    ...(props.labels ?? {}),
  };
  plan.objectAnnotations = props.annotations && Object.keys(props.annotations).length > 0 ? { ...props.annotations } : undefined;

  // --- ports ----------------------------------------------------------------------------
  const containerPorts = renderPorts(v, 'ports', props.ports);
  plan.ports = [...(props.ports ?? [])];

  // --- volumes --------------------------------------------------------------------------
  const volumeNames = new Set<string>();
  const claimVolume = (prop: string, volumeName: string) => {
    const problem = checkDns1123Label(volumeName);
    if (problem) v.fail(prop, volumeName, problem, 'use a volume name like "data"');
    if (volumeNames.has(volumeName)) v.fail(prop, volumeName, 'is already the name of another volume of this pod', 'give each volume (claims, emptyDirs, config) a unique name');
    volumeNames.add(volumeName);
  };
  const mainMounts: VolumeMountSpec[] = [];
  const claims: k8s.KubePersistentVolumeClaimProps[] = [];
  plan.claimNames = new Set();
  (props.volumes ?? []).forEach((vol, i) => {
    const p = `volumes[${i}]`;
    claimVolume(`${p}.name`, vol?.name);
    if (!(vol.size instanceof Size)) v.fail(`${p}.size`, vol.size, 'must be a Size', 'use Size.gibibytes(10)');
    if (!(sizeBytes(vol.size) > 0)) v.fail(`${p}.size`, sizeToQuantity(vol.size), 'must be greater than zero', 'use a positive Size such as Size.gibibytes(1)');
    const accessModes = vol.accessModes ?? [AccessMode.READ_WRITE_ONCE];
    if (!Array.isArray(accessModes) || accessModes.length === 0) v.fail(`${p}.accessModes`, accessModes, 'must list at least one AccessMode', 'use [AccessMode.READ_WRITE_ONCE]');
    accessModes.forEach((mode, j) => {
      if (!Object.values(AccessMode).includes(mode)) v.fail(`${p}.accessModes[${j}]`, mode, 'is not an AccessMode', 'use AccessMode.READ_WRITE_ONCE');
    });
    if (new Set(accessModes).size !== accessModes.length) v.fail(`${p}.accessModes`, accessModes, 'lists a mode twice', 'list each mode once');
    if (vol.storageClass !== undefined) {
      const className = vol.storageClass?.storageClassName;
      const problem = checkDns1123Subdomain(className);
      if (problem) v.fail(`${p}.storageClass`, className, problem, 'pass a DiskStorageClass or DiskStorageClass.fromStorageClassName("gp3")');
    }
    checkLabelMap(v, `${p}.labels`, vol.labels, true);
    checkAnnotationMap(v, `${p}.annotations`, vol.annotations);
    const pvc = `${vol.name}-${name}-${lastOrdinal}`;
    if (pvc.length > 253) v.fail(`${p}.name`, vol.name, `makes PVC names like ${pvc} longer than 253 characters`, 'shorten the volume or app name');
    plan.claimNames.add(vol.name);
    mainMounts.push({ volume: vol.name, mountPath: vol.mountPath, subPath: vol.subPath, readOnly: vol.readOnly });
    claims.push({
      metadata: {
        name: vol.name,
        // Only fixed labels: claim templates are immutable, so nothing here may change with the image or user labels.
        labels: { ...plan.selectorLabels, ...(vol.labels ?? {}) },
        annotations: vol.annotations && Object.keys(vol.annotations).length > 0 ? { ...vol.annotations } : undefined,
      },
      spec: {
        accessModes: [...accessModes],
        storageClassName: vol.storageClass?.storageClassName,
        resources: { requests: { storage: k8s.Quantity.fromString(sizeToQuantity(vol.size)) } },
      },
    });
  });

  const readOnlyRoot = props.readOnlyRootFilesystem ?? true;
  const podVolumes: k8s.Volume[] = [];
  const emptyDirs = [...(props.emptyDirs ?? [])];
  const mountsTmp = [...mainMounts, ...(props.mounts ?? [])].some(m => m.mountPath === '/tmp' || m.mountPath === '/tmp/')
    || emptyDirs.some(e => e.mountPath === '/tmp' || e.mountPath === '/tmp/');
  if (readOnlyRoot && !mountsTmp) {
    // Most programs need a writable /tmp; with a read-only root it has to be a volume.
    if (emptyDirs.some(e => e.name === 'tmp') || volumeNames.has('tmp')) {
      v.fail('emptyDirs', 'tmp', 'is a volume name that is not mounted at /tmp, but the read-only root file system needs a writable /tmp', 'mount a volume at /tmp, rename your "tmp" volume, or set readOnlyRootFilesystem: false');
    }
    emptyDirs.push({ name: 'tmp', mountPath: '/tmp', sizeLimit: Size.gibibytes(1) });
  }
  emptyDirs.forEach((dir, i) => {
    const p = `emptyDirs[${i}]`;
    claimVolume(`${p}.name`, dir?.name);
    if (dir.sizeLimit !== undefined && !(dir.sizeLimit instanceof Size && sizeBytes(dir.sizeLimit) > 0)) {
      v.fail(`${p}.sizeLimit`, dir.sizeLimit instanceof Size ? sizeToQuantity(dir.sizeLimit) : dir.sizeLimit, 'must be a positive Size', 'use Size.mebibytes(512)');
    }
    if (dir.mountPath !== undefined) mainMounts.push({ volume: dir.name, mountPath: dir.mountPath });
    podVolumes.push({
      name: dir.name,
      emptyDir: {
        medium: dir.inMemory ? 'Memory' : undefined,
        sizeLimit: dir.sizeLimit ? k8s.Quantity.fromString(sizeToQuantity(dir.sizeLimit)) : undefined,
      },
    });
  });

  for (const extra of props._extraVolumes ?? []) {
    claimVolume('volumes', extra.name);
    podVolumes.push(extra);
  }

  // --- config files -----------------------------------------------------------------------
  let configChecksum: string | undefined;
  let configMapName: string | undefined;
  let configData: { [key: string]: string } | undefined;
  if (props.config !== undefined) {
    const cfg = props.config;
    if (typeof cfg.files !== 'object' || cfg.files === null || Object.keys(cfg.files).length === 0) {
      v.fail('config.files', cfg.files, 'must map at least one file name to its content', 'pass { files: { "app.conf": "..." } }');
    }
    let total = 0;
    const hash = createHash('sha256');
    // Sorted, so the checksum and the ConfigMap do not depend on insertion order.
    for (const fileName of Object.keys(cfg.files).sort()) {
      const content = cfg.files[fileName];
      const problem = checkConfigKey(fileName);
      if (problem) v.fail(`config.files["${fileName}"]`, fileName, problem, 'use a file name such as "app.conf"');
      if (typeof content !== 'string') v.fail(`config.files["${fileName}"]`, content, 'must be a string', 'pass the file content as a string');
      total += Buffer.byteLength(content) + fileName.length;
      hash.update(fileName).update('\0').update(content).update('\0');
    }
    if (total > CONFIGMAP_LIMIT) v.fail('config.files', `${total} bytes`, 'exceed the 1 MiB a ConfigMap can hold', 'ship large files in the image or a volume');
    configMapName = cfg.name ?? `${name}-config`;
    const problem = checkDns1123Subdomain(configMapName);
    if (problem) v.fail('config.name', configMapName, problem, 'use a name like "web-config"');
    const configVolume = cfg.volumeName ?? 'config';
    claimVolume('config.volumeName', configVolume);
    podVolumes.push({ name: configVolume, configMap: { name: configMapName } });
    if (cfg.mountPath !== undefined) mainMounts.push({ volume: configVolume, mountPath: cfg.mountPath, readOnly: true });
    configChecksum = hash.digest('hex');
    configData = {};
    for (const fileName of Object.keys(cfg.files).sort()) configData[fileName] = cfg.files[fileName];
  }

  // --- containers -----------------------------------------------------------------------
  const containerName = props.containerName ?? name;
  const containerProblem = checkDns1123Label(containerName);
  if (containerProblem) v.fail('containerName', containerName, containerProblem, 'use a name like "web"');
  plan.containerName = containerName;
  for (const m of props.mounts ?? []) mainMounts.push(m);
  const firstPort = props.ports?.[0]?.port;
  if (props.readinessProbe === undefined && firstPort === undefined) {
    v.fail('readinessProbe', undefined, 'is required when the app declares no ports (there is nothing to derive a default probe from)',
      'declare ports, or pass readinessProbe: Probe.exec([...])');
  }
  const readinessProbe = (props.readinessProbe ?? Probe.tcpSocket())._render(v, 'readinessProbe', firstPort, true);
  const livenessProbe = props.livenessProbe?._render(v, 'livenessProbe', firstPort, false);
  if (livenessProbe && JSON.stringify(livenessProbe) === JSON.stringify(readinessProbe)) {
    v.fail('livenessProbe', 'same as readinessProbe', 'is identical to the readiness probe: a slow server is restarted instead of being taken out of rotation',
      'give the liveness probe a larger failureThreshold or period, or check something else');
  }
  const main: k8s.Container = {
    name: containerName,
    image,
    imagePullPolicy: props.imagePullPolicy,
    command: props.command ? [...props.command] : undefined,
    args: props.args ? [...props.args] : undefined,
    env: renderEnv(v, 'env', props.env),
    ports: containerPorts,
    volumeMounts: renderMounts(v, 'mounts', mainMounts, volumeNames),
    resources: renderResources(v, 'resources', props.resources, MAIN_RESOURCES),
    startupProbe: props.startupProbe?._render(v, 'startupProbe', firstPort, false),
    readinessProbe,
    livenessProbe,
    securityContext: restrictedSecurityContext(readOnlyRoot),
  };
  const defaults = { image, readOnlyRootFilesystem: readOnlyRoot, resources: HELPER_RESOURCES, volumeNames };
  const containerNames = new Set([containerName]);
  const helper = (list: ContainerSpec[] | undefined, prop: string, allowProbes: boolean) => (list ?? []).map((spec, i) => {
    const c = renderHelperContainer(v, `${prop}[${i}]`, spec, defaults, allowProbes);
    if (containerNames.has(c.name)) v.fail(`${prop}[${i}].name`, c.name, 'is the name of another container in the pod', 'give each container a unique name');
    containerNames.add(c.name);
    return c;
  });
  const initContainers = helper(props.initContainers, 'initContainers', false);
  const sidecars = helper(props.sidecars, 'sidecars', true);
  plan.sidecarPorts = (props.sidecars ?? []).flatMap(s => s.ports ?? []);
  const portNames = new Set(plan.ports.map(p => p.name));
  plan.sidecarPorts.forEach(p => {
    if (portNames.has(p.name)) v.fail('sidecars ports', p.name, 'is also the name of another port in the pod', 'give each port in the pod a unique name (Services target them by name)');
    portNames.add(p.name);
  });

  // Every claim must be mounted somewhere, or the API server refuses the StatefulSet.
  const mounted = new Set([main, ...initContainers, ...sidecars].flatMap(c => (c.volumeMounts ?? []).map(m => m.name)));
  for (const claim of plan.claimNames) {
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
  const spreadNodes = props.spreadAcrossNodes ?? SpreadMode.PREFERRED;
  const spreadZones = props.spreadAcrossZones ?? SpreadMode.NONE;
  for (const [prop, mode] of [['spreadAcrossNodes', spreadNodes], ['spreadAcrossZones', spreadZones]] as const) {
    if (!Object.values(SpreadMode).includes(mode)) v.fail(prop, mode, 'is not a SpreadMode', 'use SpreadMode.PREFERRED, REQUIRED or NONE');
  }
  const spread: k8s.TopologySpreadConstraint[] = [];
  if (replicas > 1) {
    for (const [mode, key] of [[spreadZones, 'topology.kubernetes.io/zone'], [spreadNodes, 'kubernetes.io/hostname']] as const) {
      if (mode === SpreadMode.NONE) continue;
      spread.push({ maxSkew: 1, topologyKey: key, whenUnsatisfiable: mode, labelSelector: { matchLabels: { ...plan.selectorLabels } } });
    }
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
  if (props.imagePullPolicy !== undefined && !Object.values(ImagePullPolicy).includes(props.imagePullPolicy)) {
    v.fail('imagePullPolicy', props.imagePullPolicy, 'is not an ImagePullPolicy', 'use ImagePullPolicy.IF_NOT_PRESENT');
  }
  const grace = durationSeconds(v, 'terminationGracePeriod', props.terminationGracePeriod) ?? 30;
  const minReady = durationSeconds(v, 'minReady', props.minReady);
  v.integer('revisionHistoryLimit', props.revisionHistoryLimit, 0, 1_000_000, 'use 0 or more');

  // --- rollout and retention --------------------------------------------------------------
  const podManagementPolicy = props.podManagementPolicy ?? PodManagementPolicy.ORDERED_READY;
  if (!Object.values(PodManagementPolicy).includes(podManagementPolicy)) {
    v.fail('podManagementPolicy', podManagementPolicy, 'is not a PodManagementPolicy', 'use PodManagementPolicy.ORDERED_READY or PARALLEL');
  }
  const strategy = props.updateStrategy ?? UpdateStrategy.rollingUpdate();
  if (!(strategy instanceof UpdateStrategy)) v.fail('updateStrategy', strategy, 'is not an UpdateStrategy', 'use UpdateStrategy.rollingUpdate({ partition }) or UpdateStrategy.onDelete()');
  v.integer('updateStrategy.partition', strategy.partition, 0, 1_000_000, `use a partition between 0 and replicas (${replicas})`);
  if (strategy.partition !== undefined && strategy.partition > replicas) {
    v.fail('updateStrategy.partition', strategy.partition, `is greater than replicas (${replicas}), so no pod would ever be updated`, `use a partition between 0 and ${replicas}`);
  }
  v.integer('updateStrategy.maxUnavailable', strategy.maxUnavailable, 1, 1_000_000, 'use 1 or more');
  const retention = props.pvcRetentionPolicy ?? {};
  for (const key of ['whenDeleted', 'whenScaled'] as const) {
    const value = retention[key];
    if (value !== undefined && !Object.values(PvcRetention).includes(value)) {
      v.fail(`pvcRetentionPolicy.${key}`, value, 'is not a PvcRetention', 'use PvcRetention.RETAIN (keeps data) or PvcRetention.DELETE');
    }
  }

  if (configMapName !== undefined) plan.configMap = { name: configMapName, data: configData! };
  // Services are validated here too, so a refused app leaves nothing in the construct tree.
  plan.serviceProps = {
    metadata: objectMeta(plan, name),
    spec: {
      clusterIp: 'None',
      // Peers must find each other by DNS before they are Ready (bootstrap, clustering).
      publishNotReadyAddresses: true,
      selector: { ...plan.selectorLabels },
      ports: servicePorts(v, plan, 'ports', undefined),
    },
  };
  plan.readServiceProps = props.readService === undefined ? undefined : serviceProps(v, plan, 'readService', props.readService, `${name}-read`);

  const podAnnotations = {
    ...(props.podAnnotations ?? {}),
    ...(configChecksum ? { [CONFIG_CHECKSUM]: configChecksum } : {}),
  };
  plan.statefulSet = {
    metadata: objectMeta(plan, name),
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { ...plan.selectorLabels } },
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
      ordinals: props.startOrdinal !== undefined ? { start: startOrdinal } : undefined,
      template: {
        metadata: {
          labels: { ...plan.objectLabels, ...(props.podLabels ?? {}) },
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
    },
  };
  const budget = props.disruptionBudget ?? (replicas > 1 ? DisruptionBudget.maxUnavailable(1) : DisruptionBudget.none());
  if (!(budget instanceof DisruptionBudget)) v.fail('disruptionBudget', budget, 'is not a DisruptionBudget', 'use DisruptionBudget.maxUnavailable(1)');
  v.integer('disruptionBudget.maxUnavailable', budget.maxUnavailablePods, 1, 1_000_000, 'allow at least 1 (0 blocks every node drain)');
  v.integer('disruptionBudget.minAvailable', budget.minAvailablePods, 0, 1_000_000, 'use 0 or more');
  if (budget.minAvailablePods !== undefined && budget.minAvailablePods >= replicas && replicas > 0) {
    v.fail('disruptionBudget.minAvailable', budget.minAvailablePods, `is not below replicas (${replicas}), so no node holding a pod can ever be drained`, `use at most ${replicas - 1}`);
  }
  plan.budget = budget;
  return plan;
}

/**
 * Any stateful workload as a StatefulSet with per-pod volumes, a headless governing Service, an
 * optional read Service and ConfigMap, a PodDisruptionBudget and pod spreading, secure by default
 * (Pod Security 'restricted', read-only root, no service account token, PVCs retained).
 *
 * The app is its own StatefulSet (it extends the typed L1 `k8s.KubeStatefulSet`) and the other
 * objects are its children: no wrapper construct, because cdk8s walks the whole construct tree
 * once per chart and every extra node costs synthesis time in large apps (see README: Performance).
 *
 * @example
 * new StatefulApp(chart, 'web', {
 *   image: 'nginxinc/nginx-unprivileged:1.25.3',
 *   replicas: 3,
 *   ports: [{ name: 'http', port: 8080 }],
 *   volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1) }],
 * });
 */
export class StatefulApp extends OnePassKubeStatefulSet {
  /** Namespace of the objects, if known. */
  public readonly namespace?: string;
  /** Name of the headless governing Service (same as the app). */
  public readonly serviceName: string;
  /** Number of replicas. */
  public readonly replicas: number;
  /** First ordinal. */
  public readonly startOrdinal: number;
  /** The fixed selector labels (`app.kubernetes.io/name` and `app.kubernetes.io/instance`). */
  public readonly selectorLabels: { [key: string]: string };
  /** Name of the main container. */
  public readonly containerName: string;
  /** The StatefulSet: the app itself (kept so every emitted object has a named property). */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The headless governing Service. */
  public readonly service: k8s.KubeService;
  /** The read Service, if requested. */
  public readonly readService?: k8s.KubeService;
  /** The ConfigMap, if `config` was given. */
  public readonly configMap?: k8s.KubeConfigMap;
  /** The PodDisruptionBudget, if any. */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;

  private readonly clusterDomain: string;
  /** The class name in error messages. */
  private readonly kind_: string;
  private readonly claimNames: Set<string>;
  private readonly context: ServiceContext;

  constructor(scope: Construct, id: string, props: StatefulAppProps) {
    // Errors name the class the user wrote (ReplicatedMySql, or their own subclass).
    const kind = new.target?.name || KIND;
    const plan = planStatefulApp(scope, id, props, kind);
    super(scope, id, plan.statefulSet);
    this.namespace = plan.namespace;
    this.serviceName = plan.name;
    this.clusterDomain = plan.clusterDomain;
    this.replicas = plan.replicas;
    this.startOrdinal = plan.startOrdinal;
    this.selectorLabels = plan.selectorLabels;
    this.containerName = plan.containerName;
    this.claimNames = plan.claimNames;
    // What later Services and helpers derive from (not the whole plan: the set's props are big).
    this.context = {
      name: plan.name, namespace: plan.namespace, startOrdinal: plan.startOrdinal, selectorLabels: plan.selectorLabels,
      objectLabels: plan.objectLabels, objectAnnotations: plan.objectAnnotations, ports: plan.ports, sidecarPorts: plan.sidecarPorts,
    };
    this.statefulSet = this;
    this.kind_ = kind;

    // The other objects are children of the set: no wrapper construct, so the app adds no node to
    // the tree that cdk8s walks once per chart (see README: performance).
    if (plan.configMap !== undefined) {
      this.configMap = new OnePassKubeConfigMap(this, 'ConfigMap', {
        metadata: this.objectMetadata(plan.configMap.name),
        data: plan.configMap.data,
      });
    }
    this.service = new OnePassKubeService(this, 'Service', plan.serviceProps);
    if (plan.readServiceProps !== undefined) {
      this.readService = new OnePassKubeService(this, 'ReadService', plan.readServiceProps);
    }
    const budget = plan.budget;
    if (budget.maxUnavailablePods !== undefined || budget.minAvailablePods !== undefined) {
      this.podDisruptionBudget = new OnePassKubePodDisruptionBudget(this, 'DisruptionBudget', {
        metadata: this.objectMetadata(plan.name),
        spec: {
          selector: { matchLabels: { ...this.selectorLabels } },
          maxUnavailable: budget.maxUnavailablePods !== undefined ? k8s.IntOrString.fromNumber(budget.maxUnavailablePods) : undefined,
          minAvailable: budget.minAvailablePods !== undefined ? k8s.IntOrString.fromNumber(budget.minAvailablePods) : undefined,
        },
      });
    }
  }

  /** Name of pod `ordinal`, e.g. `web-0`. */
  public podName(ordinal: number): string {
    this.checkOrdinal(ordinal);
    return `${this.name}-${ordinal}`;
  }

  /** DNS name of pod `ordinal` through the headless Service, e.g. `web-0.web.shop.svc.cluster.local`. */
  public podDnsName(ordinal: number): string {
    this.checkOrdinal(ordinal);
    return podHostName(this.name, ordinal, this.serviceName, this.namespace, this.clusterDomain);
  }

  /** Name of the PVC of `volume` for pod `ordinal`, e.g. `www-web-0`. */
  public pvcName(volume: string, ordinal: number): string {
    if (!this.claimNames.has(volume)) {
      const hint = typeof volume === 'number' ? ` first, then the ordinal: pvcName(${JSON.stringify([...this.claimNames][0] ?? 'data')}, ${volume})` : '';
      throw new Error(`${this.kind_} '${this.node.path}': pvcName: volume ${JSON.stringify(volume)} is not a claim template of this app (claims: ${[...this.claimNames].join(', ') || 'none'}). Fix: pass one of the volume names${hint}.`);
    }
    this.checkOrdinal(ordinal);
    return `${volume}-${this.name}-${ordinal}`;
  }

  /** The labels on every object of the app (recommended labels plus `labels`). */
  public get labels(): { [key: string]: string } {
    return { ...this.context.objectLabels };
  }

  /** DNS name of the headless Service (resolves to every pod, Ready or not). */
  public get serviceHost(): string {
    return serviceHostName(this.serviceName, this.namespace, this.clusterDomain);
  }

  /** DNS name of the read Service, if there is one. */
  public get readHost(): string | undefined {
    return this.readService ? serviceHostName(this.readService.name, this.namespace, this.clusterDomain) : undefined;
  }

  /** DNS name of a Service in the app's namespace. */
  public hostOf(serviceName: string): string {
    return serviceHostName(serviceName, this.namespace, this.clusterDomain);
  }

  /**
   * Adds a Service in front of the pods, e.g. a write Service for ordinal 0:
   * `app.addService('Primary', { name: 'db-primary', podOrdinal: 0 })`.
   */
  public addService(id: string, options: ServiceOptions = {}): k8s.KubeService {
    const v: Validator = new Validator(this, this.kind_);
    return this.createService(v, `addService(${JSON.stringify(id)})`, id, options, `${this.name}-${id.toLowerCase()}`);
  }

  private createService(v: Validator, prop: string, id: string, options: ServiceOptions, defaultName: string): k8s.KubeService {
    return new OnePassKubeService(this, id, serviceProps(v, this.context, prop, options, defaultName));
  }

  /** Metadata for one more object of the app (`metadata` is the set's own, from ApiObject). */
  private objectMetadata(objectName: string): k8s.ObjectMeta {
    return objectMeta(this.context, objectName);
  }

  private checkOrdinal(ordinal: number): void {
    if (!Number.isInteger(ordinal) || ordinal < this.startOrdinal) {
      throw new Error(`${this.kind_} '${this.node.path}': ordinal ${ordinal} is invalid: must be an integer >= ${this.startOrdinal}. Fix: pass a pod ordinal such as ${this.startOrdinal}.`);
    }
  }
}

function durationSeconds(v: Validator, prop: string, d: Duration | undefined): number | undefined {
  if (d === undefined) return undefined;
  if (!(d instanceof Duration)) v.fail(prop, d, 'must be a Duration', 'use Duration.seconds(30)');
  const s = d.toMilliseconds() / 1000;
  if (!Number.isInteger(s) || s < 0) v.fail(prop, `${s}s`, 'must be a whole number of seconds >= 0', `use Duration.seconds(${Math.max(0, Math.ceil(s))})`);
  return s;
}

function checkLabelMap(v: Validator, prop: string, labels: { [key: string]: string } | undefined, guardSelector: boolean): void {
  if (labels === undefined) return;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) v.fail(prop, labels, 'must be a map of strings', 'pass { key: "value" }');
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = checkQualifiedKey(key);
    if (keyProblem) v.fail(`${prop} key`, key, keyProblem, 'use a key like "team" or "example.com/team"');
    const valueProblem = checkLabelValue(value);
    if (valueProblem) v.fail(`${prop}.${key}`, value, valueProblem, 'use a short value such as "payments"');
    if (guardSelector && (key === LABEL_NAME || key === LABEL_INSTANCE || key === LABEL_MANAGED_BY)) {
      v.fail(`${prop} key`, key, 'is set by StatefulApp (the selector and managed-by labels are fixed so pods are never orphaned)', 'remove it; use appName to change app.kubernetes.io/name');
    }
  }
}

function checkAnnotationMap(v: Validator, prop: string, annotations: { [key: string]: string } | undefined): void {
  if (annotations === undefined) return;
  if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations)) v.fail(prop, annotations, 'must be a map of strings', 'pass { key: "value" }');
  for (const [key, value] of Object.entries(annotations)) {
    const keyProblem = checkQualifiedKey(key);
    if (keyProblem) v.fail(`${prop} key`, key, keyProblem, 'use a key like "example.com/owner"');
    if (typeof value !== 'string') v.fail(`${prop}.${key}`, value, 'must be a string', `quote it: "${String(value)}"`);
  }
}

function objectMeta(plan: Pick<AppPlan, 'namespace' | 'objectLabels' | 'objectAnnotations'>, objectName: string): k8s.ObjectMeta {
  return {
    name: objectName,
    namespace: plan.namespace,
    labels: { ...plan.objectLabels },
    annotations: plan.objectAnnotations ? { ...plan.objectAnnotations } : undefined,
  };
}

/** What a Service of the app is derived from (a plan, or the app once it exists). */
type ServiceContext = Pick<AppPlan, 'name' | 'namespace' | 'startOrdinal' | 'selectorLabels' | 'objectLabels' | 'objectAnnotations' | 'ports' | 'sidecarPorts'>;

/** Validates Service options and builds the Service; pure, so a plan can run it before the app exists. */
function serviceProps(v: Validator, ctx: ServiceContext, prop: string, options: ServiceOptions, defaultName: string): k8s.KubeServiceProps {
  const serviceName = options.name ?? defaultName;
  const problem = checkDns1035Label(serviceName);
  if (problem) v.fail(`${prop}.name`, serviceName, problem, 'use a Service name like "web-read"');
  if (serviceName === ctx.name) v.fail(`${prop}.name`, serviceName, 'is the name of the headless governing Service', 'pick another name');
  const type = options.type ?? ServiceType.CLUSTER_IP;
  if (!Object.values(ServiceType).includes(type)) v.fail(`${prop}.type`, type, 'is not a ServiceType', 'use ServiceType.CLUSTER_IP');
  if (options.headless && type !== ServiceType.CLUSTER_IP) v.fail(`${prop}.headless`, true, `cannot be combined with type ${type}`, 'remove type or headless');
  const ports = servicePorts(v, ctx, `${prop}.ports`, options.ports);
  if (!ports || ports.length === 0) v.fail(`${prop}.ports`, options.ports, 'leaves the Service without ports (the app declares none)', 'declare ports on the app');
  const selector: { [key: string]: string } = { ...ctx.selectorLabels };
  if (options.podOrdinal !== undefined) {
    v.integer(`${prop}.podOrdinal`, options.podOrdinal, ctx.startOrdinal, 1_000_000, `use an ordinal >= ${ctx.startOrdinal}`);
    selector[POD_NAME_LABEL] = `${ctx.name}-${options.podOrdinal}`;
  }
  checkLabelMap(v, `${prop}.labels`, options.labels, true);
  checkAnnotationMap(v, `${prop}.annotations`, options.annotations);
  const metadata = objectMeta(ctx, serviceName);
  return {
    metadata: {
      ...metadata,
      labels: { ...metadata.labels, ...(options.labels ?? {}) },
      annotations: options.annotations || metadata.annotations ? { ...(metadata.annotations ?? {}), ...(options.annotations ?? {}) } : undefined,
    },
    spec: {
      type,
      clusterIp: options.headless ? 'None' : undefined,
      publishNotReadyAddresses: options.publishNotReadyAddresses,
      selector,
      ports,
    },
  };
}

function servicePorts(v: Validator, ctx: ServiceContext, prop: string, names: string[] | undefined): k8s.ServicePort[] | undefined {
  const byName = new Map([...ctx.ports, ...(names === undefined ? [] : ctx.sidecarPorts)].map(p => [p.name, p]));
  const chosen = names === undefined ? ctx.ports : names.map((n, i) => {
    const port = byName.get(n);
    if (!port) v.fail(`${prop}[${i}]`, n, `is not a port of the app (ports: ${[...byName.keys()].join(', ') || 'none'})`, 'name one of the app\'s ports');
    return port;
  });
  if (chosen.length === 0) return undefined;
  return chosen.map(p => ({
    name: p.name,
    port: p.servicePort ?? p.port,
    targetPort: k8s.IntOrString.fromString(p.name),
    protocol: p.protocol,
  }));
}
