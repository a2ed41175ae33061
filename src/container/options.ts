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

/** An init container or sidecar of a {@link StatefulApp}. */
export interface ContainerOptions {
  /** Container name (DNS-1123 label, unique in the pod). */
  readonly name: string;
  /**
   * Image, pinned to a tag or digest.
   * @default - the app's image
   */
  readonly image?: string;
  /**
   * Allow `latest` or no tag.
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
   * Environment variables, in this order.
   * @default - none
   */
  readonly env?: { [name: string]: EnvSource };
  /**
   * Ports the container listens on (not added to the app's Services).
   * @default - none
   */
  readonly ports?: PortOptions[];
  /**
   * Volumes to mount.
   * @default - none
   */
  readonly mounts?: VolumeMountOptions[];
  /**
   * Resources.
   * @default - cpu request 50m; memory request and limit 128Mi
   */
  readonly resources?: ContainerResources;
  /**
   * Readiness probe (sidecars only).
   * @default - none
   */
  readonly readinessProbe?: HealthProbe;
  /**
   * Liveness probe (sidecars only).
   * @default - none
   */
  readonly livenessProbe?: HealthProbe;
  /**
   * Startup probe (sidecars only).
   * @default - none
   */
  readonly startupProbe?: HealthProbe;
  /**
   * Working directory.
   * @default - the image's
   */
  readonly workingDir?: string;
}
