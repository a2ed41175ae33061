/**
 * What a StatefulApp is made of after its props were checked: the identity (fixed at
 * construction) and the parts the `add...` methods extend afterwards. Rendering reads only this.
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { checkImage, ContainerOptions, EnvSource } from '../container';
import { Validator } from '../errors';
import {
  checkDns1123Label, checkDns1123Subdomain, checkLabelValue, checkWorkloadName, LABEL_COMPONENT, LABEL_INSTANCE,
  LABEL_MANAGED_BY, LABEL_NAME, LABEL_PART_OF, LABEL_VERSION, MANAGED_BY, parseImage, versionLabelOf,
} from '../names';
import { checkAnnotationMap, checkLabelMap, StringMap } from './metadata';
import { EmptyDirOptions, StatefulAppProps, VolumeClaimOptions } from './props';

/** An env var added with `addEnv`, for one container (or the main one). */
export interface AddedEnv {
  readonly container?: string;
  readonly name: string;
  readonly value: EnvSource;
  /** How the call is named in errors, e.g. `addEnv("MODE")`. */
  readonly prop: string;
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
  readonly initContainers: Array<Named<ContainerOptions>>;
  readonly sidecars: Array<Named<ContainerOptions>>;
  readonly env: AddedEnv[];
}

/** A list entry with the name errors give it (`volumes[0]`, or `addVolume("www")`). */
export interface Named<T> {
  readonly o: T;
  readonly prop: string;
}

function named<T>(list: T[] | undefined, prop: string): Array<Named<T>> {
  return (list ?? []).map((o, i) => ({ o, prop: `${prop}[${i}]` }));
}

/** Checks the identity props and builds the state; the rest is checked when it is rendered. */
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
  return {
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
    initContainers: named(props.initContainers, 'initContainers'),
    sidecars: named(props.sidecars, 'sidecars'),
    env: Object.entries(props.env ?? {}).map(([envName, value]) => ({ name: envName, value, prop: 'env' })),
  };
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
