/** The props of StatefulApp; the options of its volumes and Services (volume-props.ts, service-props.ts) are re-exported here. */
import type { Duration } from 'cdk8s';
import type { PodManagementPolicy } from 'cdk8s-plus-28';
import type { CommonContainerOptions, ContainerOptions } from '../container';
import type { k8s } from '../kube';
import type { DisruptionBudget, PvcRetentionPolicy, SpreadMode, UpdateStrategy } from './options';
import type { NetworkPolicyOptions, ServiceOptions } from './service-props';
import type { ConfigFilesOptions, EmptyDirOptions, VolumeClaimOptions } from './volume-props';

export type { ConfigFilesOptions, EmptyDirOptions, VolumeClaimOptions } from './volume-props';
export type { NetworkPolicyOptions, ServiceOptions } from './service-props';

/**
 * The props StatefulApp and ReplicatedMySql share (ReplicatedMySql forwards them to its
 * StatefulApp unchanged): identity, metadata, scheduling, rollout, retention and disruption.
 */
export interface StatefulWorkloadProps {
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
   * Spread pods over zones (topology.kubernetes.io/zone).
   * @default - SpreadMode.PREFERRED when a claim uses a zonal DiskStorageClass of this app (zonal disks:
   * one zone's outage takes only that zone's pods), SpreadMode.NONE otherwise
   */
  readonly spreadAcrossZones?: SpreadMode;
  /**
   * The PodDisruptionBudget (with `unhealthyPodEvictionPolicy: AlwaysAllow`, so a drain never waits on a pod that is not Ready anyway).
   * @default - DisruptionBudget.maxUnavailable(1) when replicas > 1, none otherwise
   */
  readonly disruptionBudget?: DisruptionBudget;
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
   * Annotate the workloads and Services with the scanners' own skip annotations (checkov's
   * `checkov.io/skip<N>`, kube-score's `kube-score/ignore`) for each deliberate choice they would
   * report, each with its reason (docs/scanners.md). Only top-level metadata: no pod restarts.
   * @default true
   */
  readonly scannerAnnotations?: boolean;
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
   * Service account of the pods.
   * @default - the namespace's default service account
   */
  readonly serviceAccountName?: string;
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
   * RuntimeClass of the pods, e.g. `gvisor` or `kata` to run them in a sandbox. The RuntimeClass
   * must exist, or the pods are not admitted.
   * @default - the node's default runtime
   */
  readonly runtimeClassName?: string;
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
}

/** Props of a {@link StatefulApp}. */
export interface StatefulAppProps extends StatefulWorkloadProps, CommonContainerOptions {
  /** Container image, pinned to a version tag or digest. */
  readonly image: string;
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Per-pod persistent volumes (volumeClaimTemplates), mounted in the main container.
   * @default - none
   */
  readonly volumes?: VolumeClaimOptions[];
  /**
   * Pod-lifetime scratch volumes.
   * @default - an emptyDir `tmp` at /tmp (sizeLimit 1Gi) when the root file system is read-only and nothing else is mounted there
   */
  readonly emptyDirs?: EmptyDirOptions[];
  /**
   * Files in a ConfigMap; a checksum of their content on the pod template rolls the pods when they change.
   * @default - no ConfigMap
   */
  readonly config?: ConfigFilesOptions;
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
   * Init containers, run in order before the main container.
   * @default - none
   */
  readonly initContainers?: ContainerOptions[];
  /**
   * Sidecar containers beside the main container.
   * @default - none
   */
  readonly sidecars?: ContainerOptions[];
  /**
   * How pods are created and deleted (cdk8s-plus-28's `PodManagementPolicy`).
   * @default PodManagementPolicy.ORDERED_READY
   */
  readonly podManagementPolicy?: PodManagementPolicy;
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
   * Spread pods over nodes (kubernetes.io/hostname). Emitted whatever the replicas, so scaling never changes the pod template.
   * @default SpreadMode.PREFERRED
   */
  readonly spreadAcrossNodes?: SpreadMode;
  /**
   * Also create a load-balanced Service (ClusterIP) for clients that may talk to any pod.
   * @default - none
   */
  readonly readService?: ServiceOptions;
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
   * Time between SIGTERM and SIGKILL.
   * @default Duration.seconds(30)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * A NetworkPolicy for the pods: only the listed clients (and the app's own pods) may connect to its ports.
   * @default - NetworkPolicyOptions defaults: pods of the app's own namespace may connect, other namespaces may not
   */
  readonly networkPolicy?: NetworkPolicyOptions;
  /**
   * Pod volumes of any other source (a Secret or a projected volume, a service account token, a
   * CSI volume), passed through as written and mounted by name through `mounts` or a container's
   * `mounts`. Their names share one name space with the claims, emptyDirs and the config volume.
   * @default - none
   */
  readonly podVolumes?: k8s.Volume[];
  /**
   * The construct kind and path errors name (a ReplicatedMySql's own, for its StatefulApp).
   * @internal
   */
  readonly _errorsAs?: { readonly kind: string; readonly path: string };
}
