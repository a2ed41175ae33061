/** The options of a container: its ports, its mounts, and the container itself. */
import type { ContainerResources, ImagePullPolicy, Protocol } from 'cdk8s-plus-28';
import type { EnvSource } from './env';
import type { HealthProbe } from './probes';

/** A port the container listens on. */
export interface PortOptions {
  /** Port name (IANA service name: at most 15 lower case letters, digits and "-"); Services target it by name. */
  readonly name: string;
  /** Container port number (1-65535). */
  readonly port: number;
  /**
   * Protocol (cdk8s-plus-28's `Protocol`).
   * @default Protocol.TCP
   */
  readonly protocol?: Protocol;
  /**
   * Port number on the Services.
   * @default - the container port
   */
  readonly servicePort?: number;
}

/** A volume mounted into a container by name: a claim template, an emptyDir or the config volume. */
export interface VolumeMountOptions {
  /** Name of the pod volume (a `volumes` claim, an `emptyDirs` entry, or `configVolumeName`). */
  readonly volume: string;
  /** Absolute path in the container. */
  readonly mountPath: string;
  /**
   * Mount only this sub-directory of the volume.
   * @default - the whole volume
   */
  readonly subPath?: string;
  /**
   * Mount read-only.
   * @default false
   */
  readonly readOnly?: boolean;
}

/**
 * What every container of a StatefulApp's pod may set, declared once: the main container (on
 * `StatefulAppProps`), the sidecars and the init containers (`ContainerOptions`).
 */
export interface CommonContainerOptions {
  /**
   * Allow an image with tag `latest` or no tag.
   * @default false
   */
  readonly allowUnpinnedImage?: boolean;
  /**
   * Image pull policy (cdk8s-plus-28's `ImagePullPolicy`).
   * @default - Kubernetes' default (IfNotPresent for pinned tags)
   */
  readonly imagePullPolicy?: ImagePullPolicy;
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
   * Working directory.
   * @default - the image's
   */
  readonly workingDir?: string;
  /**
   * Environment variables, in this order.
   * @default - none
   */
  readonly env?: { [name: string]: EnvSource };
  /**
   * Ports the container listens on. Every Service of the app exposes the main container's by name (without
   * any, `readinessProbe` is required); a sidecar's only where a Service or the NetworkPolicy names them.
   * @default - none
   */
  readonly ports?: PortOptions[];
  /**
   * Volumes to mount (for the main container: besides those of `volumes`, `emptyDirs` and `config`, e.g. a
   * claim at a second path).
   * @default - none
   */
  readonly mounts?: VolumeMountOptions[];
  /**
   * Resources; each group (cpu, memory, ephemeralStorage) you pass replaces the default group.
   * @default - main container: cpu request 250m (no CPU limit, to avoid throttling), memory request and
   * limit 256Mi, ephemeral storage request 64Mi and limit 256Mi plus the pod's disk-backed emptyDirs'
   * sizeLimits; sidecars and init containers: cpu request 50m, memory request and limit 128Mi
   */
  readonly resources?: ContainerResources;
  /**
   * Readiness probe: gates Service traffic and ordered rollouts (init containers cannot have probes).
   * @default - main container: a TCP probe of the first port every 10s; sidecars: none
   */
  readonly readinessProbe?: HealthProbe;
  /**
   * Liveness probe (restarts the container when it fails).
   * @default - none: a restart rarely fixes a stateful server, and a bad probe restarts healthy ones
   */
  readonly livenessProbe?: HealthProbe;
  /**
   * Startup probe (holds off the other probes until it passes).
   * @default - none
   */
  readonly startupProbe?: HealthProbe;
  /**
   * Command run in the container when the pod stops, before the container gets SIGTERM (an exec `preStop`
   * hook: e.g. hand work over, drain connections). The pod's `terminationGracePeriod` covers the hook and the
   * shutdown together. Init containers cannot have one.
   * @default - none: SIGTERM at once
   */
  readonly preStop?: string[];
}

/** An init container or sidecar of a {@link StatefulApp}. */
export interface ContainerOptions extends CommonContainerOptions {
  /** Container name (DNS-1123 label, unique in the pod). */
  readonly name: string;
  /**
   * Image, pinned to a tag or digest.
   * @default - the app's image
   */
  readonly image?: string;
}
