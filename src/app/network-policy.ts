/** NetworkPolicies: ingress to an app's pods from its own pods and the clients allowed. */
import { PortOptions } from '../container';
import { Validator } from '../errors';
import { k8s } from '../kube';
import { checkLabelValue, checkQualifiedKey } from '../names';
import { StringMap } from './metadata';
import { NetworkPolicyOptions } from './props';

/** One kind of peer allowed in: pods by labels, in the app's namespace and/or other namespaces. */
export interface Peer {
  /** Pods by labels; `{}` is every pod. */
  readonly pods: StringMap;
  /** Also from namespaces with these labels (undefined: only the app's namespace). */
  readonly namespaces?: StringMap;
  /** Also pods of the app's own namespace (a rule without namespaceSelector). */
  readonly sameNamespace: boolean;
}

export function checkSelectorMap(v: Validator, prop: string, map: StringMap | undefined): void {
  for (const [key, value] of Object.entries(map ?? {})) {
    if (checkQualifiedKey(key)) v.fail(`${prop} key`, key, checkQualifiedKey(key), 'use a label key like "app.kubernetes.io/name"');
    if (checkLabelValue(value)) v.fail(`${prop}.${key}`, value, checkLabelValue(value), 'use a label value');
  }
  if (map !== undefined && Object.keys(map).length === 0) v.fail(prop, map, 'is empty and would match everything', 'list at least one label, or remove the prop');
}

/** The `from` entries of a peer: same-namespace and listed-namespace clients are separate peers, so both are admitted. */
export function peersOf(peer: Peer): k8s.NetworkPolicyPeer[] {
  const out: k8s.NetworkPolicyPeer[] = [];
  if (peer.sameNamespace) out.push({ podSelector: { matchLabels: { ...peer.pods } } });
  if (peer.namespaces) out.push({ namespaceSelector: { matchLabels: { ...peer.namespaces } }, podSelector: { matchLabels: { ...peer.pods } } });
  return out;
}

export function tcpPorts(ports: PortOptions[]): k8s.NetworkPolicyPort[] {
  return ports.map((p) => ({ protocol: p.protocol ?? 'TCP', port: k8s.IntOrString.fromNumber(p.port) }));
}

/** Options of {@link StatefulApp.allowIngress}: one more kind of peer the NetworkPolicy admits. */
export interface AllowIngressOptions {
  /** Labels of the pods admitted (`{}`: every pod). */
  readonly podLabels: { [key: string]: string };
  /**
   * Labels of the namespaces whose matching pods are admitted.
   * @default - pods of the app's own namespace
   */
  readonly namespaceLabels?: { [key: string]: string };
  /**
   * Names of the ports they may reach (the main container's or a sidecar's, checked at synth).
   * @default - every port of the main container
   */
  readonly ports?: string[];
}

/**
 * The ports named in `names`, from the main container's and the sidecars' (checked at synth, when every
 * sidecar is known); the main container's when `names` is undefined. Services and NetworkPolicies name
 * ports this way.
 */
export function namedPorts(
  v: Validator, prop: string, names: string[] | undefined, ports: PortOptions[], sidecarPorts: PortOptions[],
): PortOptions[] {
  if (names === undefined) return ports;
  const byName = new Map([...ports, ...sidecarPorts].map((p) => [p.name, p]));
  return names.map((n, i) => {
    const port = byName.get(n);
    if (!port) v.fail(`${prop}[${i}]`, n, `is not a port of the app (ports: ${[...byName.keys()].join(', ') || 'none'})`, 'name one of the app\'s ports');
    return port;
  });
}

/**
 * The StatefulApp's own policy: its pods to each other and the clients `options` allow, on the app's
 * ports; then one rule per `allowIngress` call.
 */
export function appPolicySpec(
  v: Validator, options: NetworkPolicyOptions, selector: StringMap, ports: PortOptions[], sidecarPorts: PortOptions[],
  extra: AllowIngressOptions[] = [],
): k8s.NetworkPolicySpec {
  checkSelectorMap(v, 'networkPolicy.clientPodLabels', options.clientPodLabels);
  checkSelectorMap(v, 'networkPolicy.clientNamespaceLabels', options.clientNamespaceLabels);
  const open = namedPorts(v, 'networkPolicy.ports', options.ports, ports, sidecarPorts);
  const ingress: k8s.NetworkPolicyIngressRule[] = [];
  if (open.length > 0) {
    const clients = peersOf({ pods: options.clientPodLabels ?? {}, namespaces: options.clientNamespaceLabels, sameNamespace: true });
    // Without client labels every pod of the namespace is a client, the app's own pods included.
    const own = options.clientPodLabels === undefined ? [] : [{ podSelector: { matchLabels: { ...selector } } }];
    ingress.push({ from: [...own, ...clients], ports: tcpPorts(open) });
  }
  extra.forEach((allow, i) => {
    const peers = peersOf({ pods: allow.podLabels, namespaces: allow.namespaceLabels, sameNamespace: allow.namespaceLabels === undefined });
    ingress.push({ from: peers, ports: tcpPorts(namedPorts(v, `allowIngress #${i + 1} ports`, allow.ports, ports, sidecarPorts)) });
  });
  return { podSelector: { matchLabels: { ...selector } }, policyTypes: ['Ingress'], ingress };
}

/** Checks what `allowIngress` is given at the call (the ports wait for synth: a sidecar may come later). */
export function checkAllowIngress(v: Validator, options: AllowIngressOptions): void {
  const prop = 'allowIngress';
  // `{}` is every pod here, not a mistake.
  if (Object.keys(options.podLabels).length > 0) checkSelectorMap(v, `${prop} podLabels`, options.podLabels);
  checkSelectorMap(v, `${prop} namespaceLabels`, options.namespaceLabels);
  if (options.ports !== undefined && options.ports.length === 0) v.fail(`${prop} ports`, options.ports, 'is empty: the rule would admit every port', 'name at least one port, or leave ports out');
}
