import { JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s, KubeStorageClass } from '../kube';
import { checkOptions, checkProps } from '../check';
import { shapeOf } from '../shapes';
import { Validator } from '../errors';
import { checkLabelMap } from '../app/metadata';
import { registerDefaultStorageClass, registerObject } from '../registry';
import { checkDns1123Subdomain, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY } from '../names';

/**
 * A StorageClass that claim templates can name: a `DiskStorageClass` in the same app, or one that
 * already exists in the cluster (`DiskStorageClass.fromStorageClassName('gp3')`).
 */
export interface IStorageClass {
  /** The StorageClass name that PersistentVolumeClaims put in `spec.storageClassName`. */
  readonly storageClassName: string;
}

/** What happens to a PersistentVolume when its claim is deleted. */
export enum ReclaimPolicy {
  /** Keep the volume and its data; an operator deletes it by hand. */
  RETAIN = 'Retain',
  /** Delete the volume (and the cloud disk) with the claim. */
  DELETE = 'Delete',
}

/** When a volume is provisioned and bound. */
export enum VolumeBindingMode {
  /**
   * Provision when the first pod using the claim is scheduled, in that pod's zone. Required for
   * zonal disks (EBS, PD, Azure Disk), or a pod can be stuck with a volume in another zone.
   */
  WAIT_FOR_FIRST_CONSUMER = 'WaitForFirstConsumer',
  /** Provision as soon as the claim exists. */
  IMMEDIATE = 'Immediate',
}

/** File system the CSI driver formats new volumes with. */
export enum FileSystemType {
  /** ext4 */
  EXT4 = 'ext4',
  /** XFS (recommended by MySQL and PostgreSQL for large data directories) */
  XFS = 'xfs',
}

/** Cloud or cluster family of a provider; decides which options apply. */
enum Family { AWS_EBS, GCE_PD, AZURE_DISK, LOCAL, CUSTOM }

/** Options of a custom provisioner. */
export interface CustomProviderOptions {
  /**
   * Provisioner parameters, passed verbatim.
   * @default - none
   */
  readonly parameters?: { [key: string]: string };
  /**
   * Whether volumes are zonal (then `WaitForFirstConsumer` is the default binding mode).
   * @default true
   */
  readonly zonal?: boolean;
}
/**
 * A disk provider preset: the CSI provisioner and the parameters for one disk type.
 *
 * Pick by cloud: `DiskProvider.AWS_EBS_GP3`, `DiskProvider.GCE_PD_BALANCED`,
 * `DiskProvider.AZURE_DISK_PREMIUM`, `DiskProvider.MINIKUBE`, or `DiskProvider.custom(...)`.
 */
export class DiskProvider {
  /** AWS EBS gp3 (general purpose SSD; 3,000 IOPS and 125 MiB/s baseline, tunable). */
  public static readonly AWS_EBS_GP3 = new DiskProvider('ebs.csi.aws.com', { type: 'gp3' }, Family.AWS_EBS, true, 'gp3');
  /** AWS EBS gp2 (previous generation general purpose SSD; IOPS grow with size). */
  public static readonly AWS_EBS_GP2 = new DiskProvider('ebs.csi.aws.com', { type: 'gp2' }, Family.AWS_EBS, true, 'gp2');
  /** AWS EBS io2 (provisioned IOPS SSD; set `iops`, default 3,000). */
  public static readonly AWS_EBS_IO2 = new DiskProvider('ebs.csi.aws.com', { type: 'io2' }, Family.AWS_EBS, true, 'io2');
  /** Google Compute Engine balanced persistent disk. */
  public static readonly GCE_PD_BALANCED = new DiskProvider('pd.csi.storage.gke.io', { type: 'pd-balanced' }, Family.GCE_PD, true, 'pd-balanced');
  /** Google Compute Engine SSD persistent disk. */
  public static readonly GCE_PD_SSD = new DiskProvider('pd.csi.storage.gke.io', { type: 'pd-ssd' }, Family.GCE_PD, true, 'pd-ssd');
  /** Azure Premium SSD managed disk (locally redundant). */
  public static readonly AZURE_DISK_PREMIUM = new DiskProvider('disk.csi.azure.com', { skuName: 'Premium_LRS' }, Family.AZURE_DISK, true, 'Premium_LRS');
  /** Azure Standard SSD managed disk (locally redundant). */
  public static readonly AZURE_DISK_STANDARD_SSD = new DiskProvider('disk.csi.azure.com', { skuName: 'StandardSSD_LRS' }, Family.AZURE_DISK, true, 'StandardSSD_LRS');
  /** minikube's host-path provisioner (single node; for development). */
  public static readonly MINIKUBE = new DiskProvider('k8s.io/minikube-hostpath', {}, Family.LOCAL, false, 'minikube-hostpath');
  /** Rancher local-path provisioner (kind, k3s): node-local disks, bound where the pod runs. */
  public static readonly LOCAL_PATH = new DiskProvider('rancher.io/local-path', {}, Family.LOCAL, true, 'local-path');

  /**
   * Any other CSI or in-tree provisioner.
   * @param provisioner the provisioner name, e.g. `csi.vsphere.vmware.com`
   */
  public static custom(provisioner: string, options: CustomProviderOptions = {}): DiskProvider {
    checkOptions('DiskProvider.custom', options, shapeOf('CustomProviderOptions'));
    return new DiskProvider(provisioner, { ...(options.parameters ?? {}) }, Family.CUSTOM, options.zonal ?? true, provisioner);
  }

  private constructor(
    /** The provisioner name written to the StorageClass. */
    public readonly provisioner: string,
    /** @internal */ public readonly _parameters: { [key: string]: string },
    /** @internal */ public readonly _family: Family,
    /** Whether volumes live in one zone (then binding waits for the first consumer). */
    public readonly zonal: boolean,
    /** Short name for messages. */
    public readonly description: string,
  ) {}
}

/** Props of a {@link DiskStorageClass}. */
export interface DiskStorageClassProps {
  /** The disk type and provisioner. */
  readonly provider: DiskProvider;
  /**
   * StorageClass name (cluster-wide, so pick one that does not collide).
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * What happens to a volume when its claim is deleted. `Retain` keeps the data of a deleted
   * claim (scale-in with whenScaled Delete, an accidental `kubectl delete pvc`); `Delete` is an
   * explicit choice.
   * @default ReclaimPolicy.RETAIN
   */
  readonly reclaimPolicy?: ReclaimPolicy;
  /**
   * When volumes are provisioned.
   * @default - WAIT_FOR_FIRST_CONSUMER for zonal providers (all clouds, local-path); IMMEDIATE for minikube
   */
  readonly volumeBindingMode?: VolumeBindingMode;
  /**
   * Whether claims can grow in place by editing their size.
   * @default true
   */
  readonly allowVolumeExpansion?: boolean;
  /**
   * Mark this class as the cluster default (`storageclass.kubernetes.io/is-default-class`).
   * @default false
   */
  readonly isDefault?: boolean;
  /**
   * Encrypt volumes at rest (AWS EBS only; GCE PD and Azure Disk always encrypt).
   * @default true for AWS EBS
   */
  readonly encrypted?: boolean;
  /**
   * Customer-managed key: a KMS key ARN (AWS EBS), a Cloud KMS key name (GCE PD,
   * `disk-encryption-kms-key`) or a disk encryption set ID (Azure Disk).
   * @default - the provider-managed key
   */
  readonly kmsKeyId?: string;
  /**
   * File system for new volumes.
   * @default - the driver's default (ext4)
   */
  readonly fsType?: FileSystemType;
  /**
   * Provisioned IOPS (AWS EBS gp3: 3,000-16,000; io2: 100-256,000).
   * @default - gp3 baseline 3,000; io2 3,000
   */
  readonly iops?: number;
  /**
   * Throughput in MiB/s (AWS EBS gp3 only: 125-1,000).
   * @default - gp3 baseline 125
   */
  readonly throughputMiBps?: number;
  /**
   * Restrict provisioning to these zones (`topology.kubernetes.io/zone`).
   * @default - any zone
   */
  readonly zones?: string[];
  /**
   * Mount options for volumes of this class.
   * @default - none
   */
  readonly mountOptions?: string[];
  /**
   * Extra provisioner parameters, merged over the preset's (yours win).
   * @default - none
   */
  readonly parameters?: { [key: string]: string };
  /**
   * Extra labels on the StorageClass.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/**
 * A StorageClass for a cloud or local disk provider, with defaults that protect data:
 * `reclaimPolicy: Retain`, `allowVolumeExpansion: true`, `WaitForFirstConsumer` for zonal disks
 * and encryption on AWS EBS.
 *
 * @example
 * const disks = new DiskStorageClass(chart, 'fast', { provider: DiskProvider.AWS_EBS_GP3 });
 * new StatefulApp(chart, 'web', { ..., volumes: [{ name: 'www', mountPath: '/data', size: Size.gibibytes(1), storageClass: disks }] });
 */
export class DiskStorageClass extends Construct implements IStorageClass {
  /** A StorageClass that exists in the cluster already (e.g. EKS's `gp2`, GKE's `standard-rwo`). */
  public static fromStorageClassName(name: string): IStorageClass {
    const problem = checkDns1123Subdomain(name);
    if (problem) {
      throw new Error(`DiskStorageClass.fromStorageClassName: name ${JSON.stringify(name)} is invalid: ${problem}. Fix: pass the name of an existing StorageClass (kubectl get storageclass).`);
    }
    return { storageClassName: name };
  }

  /** The StorageClass name. */
  public readonly storageClassName: string;
  /** The emitted StorageClass (escape hatch). */
  public readonly resource: k8s.KubeStorageClass;
  /** Whether its volumes are zonal (a pod can only run in its volume's zone). */
  public readonly zonal: boolean;
  /** What happens to a volume when its claim is deleted. */
  public readonly reclaimPolicy: ReclaimPolicy;

  constructor(scope: Construct, id: string, props: DiskStorageClassProps) {
    super(scope, id);
    const v = new Validator(this, 'DiskStorageClass');
    checkProps(v, props, shapeOf('DiskStorageClassProps'));
    if (props.provider === undefined) {
      v.fail('provider', undefined, 'is required', 'pass a preset such as DiskProvider.AWS_EBS_GP3, or DiskProvider.custom(provisioner)');
    }
    const provider = props.provider;
    const name = props.name ?? id;
    const nameProblem = checkDns1123Subdomain(name);
    if (nameProblem) v.fail(props.name === undefined ? 'name (from the construct id)' : 'name', name, nameProblem, 'pass a name like "fast-ssd"');

    const parameters = storageParameters(v, props, provider);

    // (Enum values were checked with the props: checkProps derives that from the declarations.)
    const reclaimPolicy = props.reclaimPolicy ?? ReclaimPolicy.RETAIN;
    this.reclaimPolicy = reclaimPolicy;
    const bindingMode = props.volumeBindingMode ?? (provider.zonal ? VolumeBindingMode.WAIT_FOR_FIRST_CONSUMER : VolumeBindingMode.IMMEDIATE);

    const zones = props.zones ?? [];
    zones.forEach((zone, i) => {
      if (typeof zone !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(zone)) v.fail(`zones[${i}]`, zone, 'is not a zone name', 'use names like "eu-west-1a"');
    });
    if (new Set(zones).size !== zones.length) v.fail('zones', zones, 'lists a zone twice', 'list each zone once');

    checkLabelMap(v, 'labels', props.labels, false);
    // StorageClasses are cluster-scoped: the same name in two charts (or two apps' charts) is one object.
    registerObject(this, v, props.name === undefined ? 'name (from the construct id)' : 'name', { kind: 'storage.k8s.io/StorageClass', name, clusterScoped: true },
      'give one of them another name (name), or create one DiskStorageClass and pass it to both');
    if (props.isDefault) registerDefaultStorageClass(this, v, name);

    const annotations: { [key: string]: string } = {};
    if (props.isDefault) annotations['storageclass.kubernetes.io/is-default-class'] = 'true';

    this.storageClassName = name;
    this.zonal = provider.zonal;
    this.resource = new KubeStorageClass(this, 'Resource', {
      metadata: {
        name,
        labels: { [LABEL_NAME]: name, [LABEL_MANAGED_BY]: MANAGED_BY, ...(props.labels ?? {}) },
        ...(props.isDefault ? { annotations } : {}),
      },
      provisioner: provider.provisioner,
      parameters: Object.keys(parameters).length > 0 ? parameters : undefined,
      reclaimPolicy,
      volumeBindingMode: bindingMode,
      allowVolumeExpansion: props.allowVolumeExpansion ?? true,
      mountOptions: props.mountOptions && props.mountOptions.length > 0 ? [...props.mountOptions] : undefined,
      allowedTopologies: zones.length > 0
        ? [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: [...zones] }] }]
        : undefined,
    });
    // StorageClasses are cluster-scoped; a chart namespace on one makes GitOps tools report drift.
    if (this.resource.metadata.namespace) {
      this.resource.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
  }
}

/** The StorageClass's parameters: the provider's, encryption, performance, file system, then the user's own. */
function storageParameters(v: Validator, props: DiskStorageClassProps, provider: DiskProvider): { [key: string]: string } {
  const parameters: { [key: string]: string } = { ...provider._parameters };
  const family = provider._family;
  const type = parameters.type;

  if (props.encrypted !== undefined && family !== Family.AWS_EBS) {
    v.fail('encrypted', props.encrypted, `only applies to AWS EBS; ${provider.description} volumes are always encrypted at rest`, 'remove encrypted (use kmsKeyId for a customer-managed key)');
  }
  if (family === Family.AWS_EBS) {
    const encrypted = props.encrypted ?? true;
    parameters.encrypted = String(encrypted);
    if (props.kmsKeyId !== undefined) {
      if (!encrypted) v.fail('kmsKeyId', props.kmsKeyId, 'needs encrypted volumes', 'remove encrypted: false or the kmsKeyId');
      parameters.kmsKeyId = props.kmsKeyId;
    }
  } else if (props.kmsKeyId !== undefined) {
    if (family === Family.GCE_PD) parameters['disk-encryption-kms-key'] = props.kmsKeyId;
    else if (family === Family.AZURE_DISK) parameters.diskEncryptionSetID = props.kmsKeyId;
    else v.fail('kmsKeyId', props.kmsKeyId, `does not apply to ${provider.description}`, 'remove kmsKeyId, or pass the key in parameters with the name your provisioner expects');
  }

  if (props.iops !== undefined) {
    if (type === 'gp3') v.integer('iops', props.iops, 3000, 16000, 'gp3 supports 3000 to 16000 IOPS');
    else if (type === 'io2') v.integer('iops', props.iops, 100, 256000, 'io2 supports 100 to 256000 IOPS');
    else v.fail('iops', props.iops, `only applies to AWS EBS gp3 and io2, not ${provider.description}`, 'remove iops or pick DiskProvider.AWS_EBS_GP3 / AWS_EBS_IO2');
    parameters.iops = String(props.iops);
  } else if (type === 'io2' && family === Family.AWS_EBS) {
    // io2 volumes cannot be created without an IOPS figure.
    parameters.iops = '3000';
  }
  if (props.throughputMiBps !== undefined) {
    if (type !== 'gp3' || family !== Family.AWS_EBS) {
      v.fail('throughputMiBps', props.throughputMiBps, `only applies to AWS EBS gp3, not ${provider.description}`, 'remove throughputMiBps or pick DiskProvider.AWS_EBS_GP3');
    }
    v.integer('throughputMiBps', props.throughputMiBps, 125, 1000, 'gp3 supports 125 to 1000 MiB/s');
    parameters.throughput = String(props.throughputMiBps);
  }
  if (props.fsType !== undefined) parameters['csi.storage.k8s.io/fstype'] = props.fsType;
  for (const [key, value] of Object.entries(props.parameters ?? {})) {
    if (typeof value !== 'string') v.fail(`parameters.${key}`, value, 'must be a string', `quote it: "${String(value)}"`);
    parameters[key] = value;
  }
  return parameters;
}

/** Whether claims on this class get zonal volumes (known for a DiskStorageClass of the app only). */
export function isZonal(storageClass: IStorageClass): boolean {
  return (storageClass as { zonal?: unknown }).zonal === true;
}
