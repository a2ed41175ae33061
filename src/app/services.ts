/** The Services of an app: the headless governing Service, the read Service and added ones. */
import { PortOptions } from '../container';
import { Validator } from '../errors';
import { k8s } from '../kube';
import { checkDns1035Label, POD_NAME_LABEL } from '../names';
import { checkAnnotationMap, checkLabelMap, objectMeta, StringMap } from './metadata';
import { namedPorts } from './network-policy';
import type { RenderedPod } from './pod-template';
import { ServiceOptions } from './props';
import type { AppState } from './state';

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'];

/** What a Service of the app is derived from. */
export interface ServiceContext {
  readonly name: string;
  readonly namespace?: string;
  readonly startOrdinal: number;
  readonly selectorLabels: StringMap;
  readonly objectLabels: StringMap;
  readonly objectAnnotations: StringMap;
  readonly ports: PortOptions[];
  readonly sidecarPorts: PortOptions[];
}

/** What the app's Services derive from its state and its rendered pod. */
export function serviceContext(state: AppState, pod: RenderedPod): ServiceContext {
  return {
    name: state.name, namespace: state.namespace, startOrdinal: state.startOrdinal, selectorLabels: state.selectorLabels,
    objectLabels: state.objectLabels, objectAnnotations: state.objectAnnotations, ports: pod.ports, sidecarPorts: pod.sidecarPorts,
  };
}

/** Checks the options that do not depend on the pod (at the call of addService). */
export function checkServiceOptions(v: Validator, ctx: Pick<ServiceContext, 'name' | 'startOrdinal'>, prop: string, options: ServiceOptions, defaultName: string): void {
  const serviceName = options.name ?? defaultName;
  const problem = checkDns1035Label(serviceName);
  if (problem) v.fail(`${prop}.name`, serviceName, problem, 'use a Service name like "web-read"');
  if (serviceName === ctx.name) v.fail(`${prop}.name`, serviceName, 'is the name of the headless governing Service', 'pick another name');
  const type: string = options.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(type)) v.fail(`${prop}.type`, type, 'is not a ServiceType that selects pods (ClusterIP, NodePort, LoadBalancer)', 'use ServiceType.CLUSTER_IP (cdk8s-plus-28)');
  if (options.headless && type !== 'ClusterIP') v.fail(`${prop}.headless`, true, `cannot be combined with type ${type}`, 'remove type or headless');
  if (options.podOrdinal !== undefined) {
    v.integer(`${prop}.podOrdinal`, options.podOrdinal, ctx.startOrdinal, 1_000_000, `use an ordinal >= ${ctx.startOrdinal}`);
  }
  checkLabelMap(v, `${prop}.labels`, options.labels, true);
  checkLabelMap(v, `${prop}.podLabels`, options.podLabels, true);
  if (options.podOrdinal !== undefined && options.podLabels?.[POD_NAME_LABEL] !== undefined) {
    v.fail(`${prop}.podLabels`, options.podLabels, `selects by ${POD_NAME_LABEL}, as podOrdinal does`, 'use one of them');
  }
  checkAnnotationMap(v, `${prop}.annotations`, options.annotations);
}

/** The metadata of a Service of the app (its labels and annotations merged over the app's). */
export function serviceMetadata(ctx: Pick<ServiceContext, 'namespace' | 'objectLabels' | 'objectAnnotations'>, options: ServiceOptions, serviceName: string): k8s.ObjectMeta {
  const metadata = objectMeta(ctx.namespace, ctx.objectLabels, ctx.objectAnnotations, serviceName);
  return {
    ...metadata,
    labels: { ...metadata.labels, ...(options.labels ?? {}) },
    annotations: options.annotations || metadata.annotations ? { ...(metadata.annotations ?? {}), ...(options.annotations ?? {}) } : undefined,
  };
}

/** A Service in front of the app's pods. */
export function serviceProps(v: Validator, ctx: ServiceContext, prop: string, options: ServiceOptions, defaultName: string): k8s.KubeServiceProps {
  checkServiceOptions(v, ctx, prop, options, defaultName);
  const serviceName = options.name ?? defaultName;
  const ports = servicePorts(v, ctx, `${prop}.ports`, options.ports);
  if (!ports || ports.length === 0) v.fail(`${prop}.ports`, options.ports, 'leaves the Service without ports (the app declares none)', 'declare ports on the app');
  const selector: StringMap = { ...ctx.selectorLabels };
  if (options.podOrdinal !== undefined) selector[POD_NAME_LABEL] = `${ctx.name}-${options.podOrdinal}`;
  Object.assign(selector, options.podLabels ?? {});
  return {
    metadata: serviceMetadata(ctx, options, serviceName),
    spec: {
      type: options.type ?? 'ClusterIP',
      clusterIp: options.headless ? 'None' : undefined,
      publishNotReadyAddresses: options.publishNotReadyAddresses,
      selector,
      ports,
    },
  };
}

/** The headless governing Service: every pod, Ready or not, by its own DNS name. */
export function headlessServiceSpec(v: Validator, ctx: ServiceContext): k8s.ServiceSpec {
  return {
    clusterIp: 'None',
    // Peers must find each other by DNS before they are Ready (bootstrap, clustering).
    publishNotReadyAddresses: true,
    selector: { ...ctx.selectorLabels },
    ports: servicePorts(v, ctx, 'ports', undefined),
  };
}

function servicePorts(v: Validator, ctx: ServiceContext, prop: string, names: string[] | undefined): k8s.ServicePort[] | undefined {
  const chosen = namedPorts(v, prop, names, ctx.ports, ctx.sidecarPorts);
  if (chosen.length === 0) return undefined;
  return chosen.map((p) => ({
    name: p.name,
    port: p.servicePort ?? p.port,
    targetPort: k8s.IntOrString.fromString(p.name),
    protocol: p.protocol,
  }));
}

/** Refuses an id that is empty, reserved for the app's own objects, or in use by another child. */
export function checkChildId(v: Validator, prop: string, id: string, reserved: string[], inUse: string[]): void {
  if (typeof id !== 'string' || id.length === 0) v.fail(prop, id, 'must be a non-empty string', 'pass an id such as "Primary"');
  if (reserved.includes(id) || inUse.includes(id)) v.fail(prop, id, `is already taken by another object of the app (ids in use: ${inUse.join(', ')})`, 'pick another id');
}
