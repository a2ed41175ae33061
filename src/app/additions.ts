/**
 * The checks of StatefulApp's `add...` calls: each checks its own input against the app's state
 * as it is, without rendering the pod. A reference to something a later call may still add (a
 * container, a volume, a port) is left to the render at synth.
 */
import { checkShape } from '../check';
import { checkMount, ContainerOptions, normalizeMountPath, VolumeMountOptions } from '../container';
import { Validator } from '../errors';
import { checkConfigKey, checkDns1123Label } from '../names';
import { shapeOf } from '../shapes';
import { CONFIGMAP_LIMIT } from './config-files';
import { AppContainer } from './container';
import { EmptyDirOptions, VolumeClaimOptions } from './props';
import { AppState, hasConfig, helperContext, mainImplicitMountPaths, volumeNamesOf } from './state';
import { checkClaim, checkEmptyDir } from './volumes';

/** The app's containers: the main one, the sidecars, then the init containers. */
export function containersOf(state: AppState): AppContainer[] {
  return [state.main, ...state.sidecars, ...state.initContainers];
}

/** Checks an argument that is an options object (plain JavaScript may pass nothing, or a typo). */
function checkGiven(v: Validator, prop: string, value: unknown, iface: string, example: string): void {
  if (value === undefined) v.fail(prop, value, `must be a ${iface}`, `pass ${example}`);
  checkShape(v, prop, value, shapeOf(iface));
}

/** Checks a sidecar or init container and makes it; the caller adds it. */
export function newHelper(state: AppState, method: string, role: 'sidecar' | 'init', options: ContainerOptions): AppContainer {
  const prop = `${method}(${JSON.stringify(options?.name)})`;
  const v = state.v;
  checkGiven(v, prop, options, 'ContainerOptions', '{ name: "log-shipper", image: "fluent/fluent-bit:3.2.2" }');
  const container = AppContainer._create(state.host, { role, prop }, options.name, options, helperContext(state.props, state.image));
  const names = containersOf(state).map((c) => c.name);
  if (names.includes(container.name)) v.fail(`${prop}.name`, container.name, 'is the name of another container in the pod', 'give each container a unique name');
  return container;
}

/** Adds a checked sidecar or init container to `list`, with the variables addEnv set for it before it came. */
export function addHelper(state: AppState, container: AppContainer, list: AppContainer[]): void {
  list.push(container);
  for (const pending of state.pendingEnv.filter((p) => p.container === container.name)) {
    state.pendingEnv.splice(state.pendingEnv.indexOf(pending), 1);
    container._setEnv(pending.entry);
  }
  state.host.changed();
}

/** Checks a volume name at the call that adds it: valid, and not a volume of the pod yet. */
function checkNewVolumeName(state: AppState, prop: string, name: string): void {
  const problem = checkDns1123Label(name);
  if (problem) state.v.fail(prop, name, problem, 'use a volume name like "data"');
  if (volumeNamesOf(state).has(name)) {
    state.v.fail(prop, name, 'is already the name of another volume of this pod', 'give each volume (claims, emptyDirs, config) a unique name');
  }
}

/** Checks a mount the app gives its main container (a volume's `mountPath`). */
function checkMainMount(state: AppState, prop: string, mount: VolumeMountOptions): void {
  const paths = [...mainImplicitMountPaths(state), ...state.main.mounts.map((m) => m.mountPath)];
  checkMount(state.v, prop, mount, new Set(paths.map(normalizeMountPath)));
}

/** Checks a claim template at `addVolume`. */
export function checkAddedVolume(state: AppState, prop: string, volume: VolumeClaimOptions): void {
  checkGiven(state.v, prop, volume, 'VolumeClaimOptions', '{ name: "cache", mountPath: "/cache", size: Size.gibibytes(1) }');
  checkNewVolumeName(state, `${prop}.name`, volume.name);
  checkClaim(state.v, state, prop, volume);
  checkMainMount(state, prop, { volume: volume.name, mountPath: volume.mountPath, subPath: volume.subPath });
}

/** Checks an emptyDir at `addEmptyDir`. */
export function checkAddedEmptyDir(state: AppState, prop: string, emptyDir: EmptyDirOptions): void {
  checkGiven(state.v, prop, emptyDir, 'EmptyDirOptions', '{ name: "scratch", mountPath: "/scratch" }');
  checkNewVolumeName(state, `${prop}.name`, emptyDir.name);
  checkEmptyDir(state.v, prop, emptyDir);
  if (emptyDir.mountPath !== undefined) checkMainMount(state, prop, { volume: emptyDir.name, mountPath: emptyDir.mountPath });
}

/** Checks a file at `addConfigFile`: its name, its content, the ConfigMap's size, and the config volume it may bring. */
export function checkAddedConfigFile(state: AppState, prop: string, fileName: string, content: string): void {
  const v = state.v;
  if (typeof content !== 'string') {
    checkShape(v, `${prop} content`, content, { t: 'string' });
    v.fail(`${prop} content`, content, 'must be a string', 'pass the file content as a string');
  }
  if (Object.prototype.hasOwnProperty.call(state.configFiles, fileName)) v.fail(prop, fileName, 'is already a file of the ConfigMap', 'use another file name');
  const problem = checkConfigKey(fileName);
  if (problem) v.fail(prop, fileName, problem, 'use a file name such as "app.conf"');
  let total = Buffer.byteLength(content) + fileName.length;
  for (const [name, text] of Object.entries(state.configFiles)) total += Buffer.byteLength(text) + name.length;
  if (total > CONFIGMAP_LIMIT) v.fail(prop, `${total} bytes`, 'would make the files exceed the 1 MiB a ConfigMap can hold', 'ship large files in the image or a volume');
  // The first file brings the ConfigMap and its volume, named "config".
  if (!hasConfig(state) && volumeNamesOf(state).has('config')) {
    v.fail(prop, fileName, 'brings the config volume "config", but the pod has another volume of that name', 'rename that volume');
  }
}
