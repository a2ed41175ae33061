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

/** The StatefulApp's own policy: its pods to each other, and the clients the options allow, on the app's ports. */
export function appPolicySpec(
  v: Validator, options: NetworkPolicyOptions, selector: StringMap, ports: PortOptions[], sidecarPorts: PortOptions[],
): k8s.NetworkPolicySpec {
  checkSelectorMap(v, 'networkPolicy.clientPodLabels', options.clientPodLabels);
  checkSelectorMap(v, 'networkPolicy.clientNamespaceLabels', options.clientNamespaceLabels);
  const byName = new Map([...ports, ...sidecarPorts].map((p) => [p.name, p]));
  const open = options.ports === undefined
    ? ports
    : options.ports.map((n, i) => {
        const port = byName.get(n);
        if (!port) v.fail(`networkPolicy.ports[${i}]`, n, `is not a port of the app (ports: ${[...byName.keys()].join(', ') || 'none'})`, 'name one of the app\'s ports');
        return port;
      });
  const ingress: k8s.NetworkPolicyIngressRule[] = [];
  if (open.length > 0) {
    const clients = peersOf({ pods: options.clientPodLabels ?? {}, namespaces: options.clientNamespaceLabels, sameNamespace: true });
    // Without client labels every pod of the namespace is a client, the app's own pods included.
    const own = options.clientPodLabels === undefined ? [] : [{ podSelector: { matchLabels: { ...selector } } }];
    ingress.push({ from: [...own, ...clients], ports: tcpPorts(open) });
  }
  return { podSelector: { matchLabels: { ...selector } }, policyTypes: ['Ingress'], ingress };
}
