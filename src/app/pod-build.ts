/** What the parts of a pod share while it is rendered (see pod-template.ts). */
import { MountEntry } from '../container';
import { Validator } from '../errors';
import { k8s } from '../kube';
import { checkDns1123Label } from '../names';
import { AppState } from './state';

/**
 * What the parts of the pod share while it is rendered: the volume names taken so far (claims,
 * emptyDirs, config, extra volumes: one name space), the main container's mounts and the pod's volumes.
 */
export interface PodBuild {
  readonly state: AppState;
  readonly v: Validator;
  readonly volumeNames: Set<string>;
  /** The main container's mounts of the pod's own volumes, each with the prop that declared it (for errors). */
  readonly mainMounts: MountEntry[];
  readonly podVolumes: k8s.Volume[];
  readonly readOnlyRoot: boolean;
}

/** Takes a volume name for the pod, refusing an invalid or taken one. */
export function claimVolume(b: PodBuild, prop: string, volumeName: string): void {
  const problem = checkDns1123Label(volumeName);
  if (problem) b.v.fail(prop, volumeName, problem, 'use a volume name like "data"');
  if (b.volumeNames.has(volumeName)) b.v.fail(prop, volumeName, 'is already the name of another volume of this pod', 'give each volume (claims, emptyDirs, config) a unique name');
  b.volumeNames.add(volumeName);
}
