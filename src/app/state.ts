/**
 * What a StatefulApp is made of after its props were checked: the identity (fixed at
 * construction) and the parts the `add...` methods extend afterwards. Rendering reads only this.
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { checkImage, ContainerOptions, HELPER_RESOURCES } from '../container';
import { Validator } from '../errors';
import {
  checkDns1123Label, checkDns1123Subdomain, checkLabelValue, checkWorkloadName, LABEL_COMPONENT, LABEL_INSTANCE,
  LABEL_MANAGED_BY, LABEL_NAME, LABEL_PART_OF, LABEL_VERSION, MANAGED_BY, parseImage, versionLabelOf,
} from '../names';
import { AppContainer, ContainerContext, ContainerHost, EnvEntry } from './container';
import { checkAnnotationMap, checkLabelMap, StringMap } from './metadata';
import { EmptyDirOptions, StatefulAppProps, VolumeClaimOptions } from './props';

/** A variable `addEnv` set for a container not added yet: it joins the container when it is added. */
export interface PendingEnv {
  readonly container: string;
  readonly entry: EnvEntry;
}

export interface AppState {
  /** The class name in error messages (StatefulApp, ReplicatedMySql). */
  readonly kind: string;
  readonly v: Validator;
  readonly props: StatefulAppProps;
  readonly name: string;
  readonly namespace?: string;
  readonly clusterDomain: string;
  readonly replicas: number;
  readonly startOrdinal: number;
  readonly image: string;
  readonly selectorLabels: StringMap;
  /** Labels of every object and pod (mutable: addLabel). */
  readonly objectLabels: StringMap;
  /** Annotations of every object (mutable: addAnnotation). */
  readonly objectAnnotations: StringMap;
  readonly podLabels: StringMap;
  readonly podAnnotations: StringMap;
  readonly volumes: Array<Named<VolumeClaimOptions>>;
  readonly emptyDirs: Array<Named<EmptyDirOptions>>;
  /** Files of the ConfigMap (props.config.files, then addConfigFile). */
  readonly configFiles: StringMap;
  readonly main: AppContainer;
  readonly initContainers: AppContainer[];
  readonly sidecars: AppContainer[];
  /** Variables for containers not added yet; any left at synth is an error. */
  readonly pendingEnv: PendingEnv[];
  /** What the app's containers report their changes to. */
  readonly host: ContainerHost;
  /**
   * Counts the changes of the pod (a rendering is reused until the next one); `checkAgain` is told of
   * every change of the app (the pod's, or of objects only the synth-time check looks at).
   */
  readonly changes: { count: number; checkAgain: () => void };
}

/** A list entry with the name errors give it (`volumes[0]`, or `addVolume("www")`). */
export interface Named<T> {
  readonly o: T;
  readonly prop: string;
}

function named<T>(list: T[] | undefined, prop: string): Array<Named<T>> {
  return (list ?? []).map((o, i) => ({ o: ownCopy(o), prop: `${prop}[${i}]` }));
}

/**
 * A copy of a volume's options, its lists and maps included (a Size or a StorageClass is shared), as the
 * containers copy theirs: changing the object after the call must not change what was checked.
 */
export function ownCopy<T>(o: T): T {
  if (o === null || typeof o !== 'object') return o;
  const copy: { [key: string]: unknown } = {};
  for (const [key, value] of Object.entries(o)) {
    copy[key] = Array.isArray(value) ? [...value as unknown[]] : isPlainObject(value) ? { ...value } : value;
  }
  return copy as T;
}

function isPlainObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * Checks the identity props and builds the state, with the containers of the props (each checked
 * on its own); the rest, and how the parts fit together, is checked when the pod is rendered.
 */
export function initialState(scope: Construct, path: string, id: string, props: StatefulAppProps, kind: string): AppState {
  const v: Validator = new Validator(path, kind);
  const name = resolveName(v, props.name, id, 'web');
  const namespace = resolveNamespace(v, scope, props.namespace);
  const clusterDomain = props.clusterDomain ?? 'cluster.local';
  if (checkDns1123Subdomain(clusterDomain)) v.fail('clusterDomain', props.clusterDomain, 'must be a DNS domain', 'use "cluster.local" or your cluster\'s domain');
  const image = checkImage(v, 'image', props.image, props.allowUnpinnedImage);
  const replicas = props.replicas ?? 1;
  v.integer('replicas', replicas, 0, 1_000_000, 'set replicas to 0 or more (0 stops every pod and keeps the volumes)');
  v.integer('startOrdinal', props.startOrdinal, 0, 1_000_000, 'use 0 or a positive ordinal');

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
  const selectorLabels = { [LABEL_NAME]: appName, [LABEL_INSTANCE]: name };
  const version = versionLabelOf(parseImage(image)!);
  const changes = { count: 0, checkAgain: () => undefined };
  const host: ContainerHost = {
    v,
    changed: () => {
      changes.count++;
      changes.checkAgain();
    },
    implicitMountPaths: () => mainImplicitMountPaths(state),
  };
  // The props' containers are checked by the constructor's first render of the pod.
  const helpers = (list: ContainerOptions[] | undefined, prop: string, role: 'sidecar' | 'init') =>
    (list ?? []).map((o, i) => AppContainer._create(host, { role, prop: `${prop}[${i}]` }, o.name, o));
  const main = AppContainer._create(host, { role: 'main', prop: '' }, props.containerName ?? name,
    { name: props.containerName ?? name, env: props.env, ports: props.ports, mounts: props.mounts });
  const state: AppState = {
    kind, v, props, name, namespace, clusterDomain, replicas, image,
    startOrdinal: props.startOrdinal ?? 0,
    selectorLabels,
    objectLabels: {
      ...selectorLabels,
      ...(version ? { [LABEL_VERSION]: version } : {}),
      ...(props.component ? { [LABEL_COMPONENT]: props.component } : {}),
      ...(props.partOf ? { [LABEL_PART_OF]: props.partOf } : {}),
      [LABEL_MANAGED_BY]: MANAGED_BY,
      ...(props.labels ?? {}),
    },
    objectAnnotations: { ...(props.annotations ?? {}) },
    podLabels: { ...(props.podLabels ?? {}) },
    podAnnotations: { ...(props.podAnnotations ?? {}) },
    volumes: named(props.volumes, 'volumes'),
    emptyDirs: named(props.emptyDirs, 'emptyDirs'),
    configFiles: { ...(props.config?.files ?? {}) },
    main,
    initContainers: helpers(props.initContainers, 'initContainers', 'init'),
    sidecars: helpers(props.sidecars, 'sidecars', 'sidecar'),
    pendingEnv: [],
    host,
    changes,
  };
  return state;
}

/** What an init container or sidecar inherits from the app, to check it on its own. */
export function helperContext(props: StatefulAppProps, image: string): ContainerContext {
  return { image, readOnlyRootFilesystem: props.readOnlyRootFilesystem ?? true, resources: HELPER_RESOURCES };
}

/** The main container's mount points that come with the app's volumes (claims, emptyDirs, config). */
export function mainImplicitMountPaths(state: AppState): string[] {
  const paths = [...state.volumes.map((x) => x.o.mountPath), ...state.emptyDirs.map((x) => x.o.mountPath)];
  if (hasConfig(state)) paths.push(state.props.config?.mountPath);
  return paths.filter((p): p is string => typeof p === 'string');
}

/** Whether the app has a ConfigMap (config in its props, or a file added). */
export function hasConfig(state: AppState): boolean {
  return state.props.config !== undefined || Object.keys(state.configFiles).length > 0;
}

/** The names of the pod's volumes so far (claims, pod volumes, emptyDirs, config), for the calls that add one. */
export function volumeNamesOf(state: AppState): Set<string> {
  const names = [
    ...state.volumes.map((x) => x.o.name), ...(state.props.podVolumes ?? []).map((x) => x.name), ...state.emptyDirs.map((x) => x.o.name),
  ];
  if (hasConfig(state)) names.push(state.props.config?.volumeName ?? 'config');
  return new Set(names);
}

/** The namespace of the objects: the prop, else the chart's; both checked as namespace names. */
/** The workload's name (`name`, else the construct id), checked; `example` goes into the fix. */
export function resolveName(v: Validator, given: string | undefined, id: string, example: string): string {
  const name = given ?? id;
  const problem = checkWorkloadName(name);
  if (problem) {
    v.fail(given === undefined ? 'name (from the construct id)' : 'name', name, problem,
      `pass a name of lower case letters, digits and "-", starting with a letter, e.g. name: "${example}"`);
  }
  return name;
}

export function resolveNamespace(v: Validator, scope: Construct, given: string | undefined): string | undefined {
  if (given !== undefined) {
    const problem = checkDns1123Label(given);
    if (problem) v.fail('namespace', given, problem, 'use a namespace name such as "shop"');
    return given;
  }
  const chart = Chart.of(scope);
  if (chart.namespace !== undefined) {
    const problem = checkDns1123Label(chart.namespace);
    if (problem) v.fail(`namespace (from the chart '${chart.node.path}')`, chart.namespace, problem, 'give the chart a namespace name such as "shop"');
  }
  return chart.namespace;
}
