/**
 * The pod's volumes: claim templates, emptyDirs and passed-through pod volumes. Each entry's own
 * checks are functions of the entry (and the app's identity), so `addVolume` and `addEmptyDir`
 * run them at the call, and rendering runs them again over the whole pod.
 */
import { Size } from 'cdk8s';
import { sizeBytes, sizeToQuantity } from '../container';
import { Validator } from '../errors';
import { k8s } from '../kube';
import { checkDns1123Subdomain } from '../names';
import { isZonal } from '../storage/disk-storage-class';
import { checkAnnotationMap, checkLabelMap } from './metadata';
import { AccessMode } from './options';
import { claimVolume, PodBuild } from './pod-build';
import { EmptyDirOptions, VolumeClaimOptions } from './props';
import { AppState } from './state';

/** `podVolumes`: each a name and exactly one source, passed through as written. */
export function checkPodVolumes(b: PodBuild): k8s.Volume[] {
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

/** A claim template's own fields (not its name, which the pod's volumes share). */
export function checkClaim(v: Validator, state: AppState, p: string, vol: VolumeClaimOptions): void {
  const lastOrdinal = state.startOrdinal + Math.max(state.replicas, 1) - 1;
  if (!(sizeBytes(vol.size) > 0)) v.fail(`${p}.size`, sizeToQuantity(vol.size), 'must be greater than zero', 'use a positive Size such as Size.gibibytes(1)');
  const accessModes = vol.accessModes ?? [AccessMode.READ_WRITE_ONCE];
  if (accessModes.length === 0) v.fail(`${p}.accessModes`, accessModes, 'must list at least one AccessMode', 'use [AccessMode.READ_WRITE_ONCE]');
  if (new Set(accessModes).size !== accessModes.length) v.fail(`${p}.accessModes`, accessModes, 'lists a mode twice', 'list each mode once');
  if (vol.storageClass !== undefined) {
    const className = vol.storageClass.storageClassName;
    const problem = checkDns1123Subdomain(className);
    if (problem) v.fail(`${p}.storageClass`, className, problem, 'pass a DiskStorageClass or DiskStorageClass.fromStorageClassName("gp3")');
  }
  checkLabelMap(v, `${p}.labels`, vol.labels, true);
  checkAnnotationMap(v, `${p}.annotations`, vol.annotations);
  const pvc = `${vol.name}-${state.name}-${lastOrdinal}`;
  if (pvc.length > 253) v.fail(`${p}.name`, vol.name, `makes PVC names like ${pvc} longer than 253 characters`, 'shorten the volume or app name');
}

/** The claim templates, each mounted in the main container. */
export function renderClaims(b: PodBuild) {
  const { state, v } = b;
  const claims: k8s.KubePersistentVolumeClaimProps[] = [];
  const claimNames = new Set<string>();
  let zonalStorage = false;
  for (const { o: vol, prop: p } of state.volumes) {
    claimVolume(b, `${p}.name`, vol?.name);
    checkClaim(v, state, p, vol);
    zonalStorage = zonalStorage || (vol.storageClass !== undefined && isZonal(vol.storageClass));
    claimNames.add(vol.name);
    b.mainMounts.push({ m: { volume: vol.name, mountPath: vol.mountPath, subPath: vol.subPath, readOnly: vol.readOnly }, prop: p });
    claims.push({
      metadata: {
        name: vol.name,
        // Only fixed labels: claim templates are immutable, so nothing here may change with the image or user labels.
        labels: { ...state.selectorLabels, ...(vol.labels ?? {}) },
        annotations: vol.annotations && Object.keys(vol.annotations).length > 0 ? { ...vol.annotations } : undefined,
      },
      spec: {
        accessModes: [...(vol.accessModes ?? [AccessMode.READ_WRITE_ONCE])],
        storageClassName: vol.storageClass?.storageClassName,
        resources: { requests: { storage: k8s.Quantity.fromString(sizeToQuantity(vol.size)) } },
      },
    });
  }
  return { claims, claimNames, zonalStorage };
}

/** An emptyDir's own fields (not its name, which the pod's volumes share). */
export function checkEmptyDir(v: Validator, p: string, dir: EmptyDirOptions): void {
  if (dir.sizeLimit !== undefined && !(sizeBytes(dir.sizeLimit) > 0)) {
    v.fail(`${p}.sizeLimit`, sizeToQuantity(dir.sizeLimit), 'must be a positive Size', 'use Size.mebibytes(512)');
  }
}

/** The emptyDirs (and the default /tmp a read-only root needs); returns the bytes they may take on the node's disk. */
export function renderEmptyDirs(b: PodBuild): number {
  const { state, v } = b;
  const emptyDirs = [...state.emptyDirs];
  const mountsTmp = [...b.mainMounts.map((e) => e.m), ...state.main.mounts].some((m) => m.mountPath === '/tmp' || m.mountPath === '/tmp/')
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
    checkEmptyDir(v, p, dir);
    if (dir.sizeLimit !== undefined && !dir.inMemory) emptyDirBytes += sizeBytes(dir.sizeLimit);
    if (dir.mountPath !== undefined) b.mainMounts.push({ m: { volume: dir.name, mountPath: dir.mountPath }, prop: p });
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

/** Refuses a name that is not one of the app's claim templates (pvcName). */
export function checkClaimName(state: AppState, volume: string): void {
  const claims = state.volumes.map((x) => x.o.name);
  if (claims.includes(volume)) return;
  const given: unknown = volume; // JavaScript callers may pass the ordinal first
  const hint = typeof given === 'number' ? ` first, then the ordinal: pvcName(${JSON.stringify(claims[0] ?? 'data')}, ${given})` : '';
  state.v.fail('pvcName(volume)', volume, `is not a claim template of this app (claims: ${claims.join(', ') || 'none'})`, `pass one of the volume names${hint}`);
}
