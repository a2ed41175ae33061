/** The options of a StatefulApp's volumes: claim templates, emptyDirs and the ConfigMap of files. */
import type { Size } from 'cdk8s';
import type { IStorageClass } from '../storage/disk-storage-class';
import type { AccessMode } from './options';

/** A per-pod volume: one PersistentVolumeClaim per pod from a claim template. */
export interface VolumeClaimOptions {
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
export interface EmptyDirOptions {
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
export interface ConfigFilesOptions {
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
