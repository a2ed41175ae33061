/** The options of a StatefulApp's Services and NetworkPolicy. */
import type { ServiceType } from 'cdk8s-plus-28';

/** A Service in front of the app's pods. */
export interface ServiceOptions {
  /**
   * Service name (DNS-1035 label).
   * @default - `<app name>-read` for the read Service; `<app name>-<id>` for `addService`
   */
  readonly name?: string;
  /**
   * Service type (cdk8s-plus-28's `ServiceType`; ExternalName is refused: it selects no pods).
   * @default ServiceType.CLUSTER_IP
   */
  readonly type?: ServiceType;
  /**
   * Names of the ports to expose: the main container's, or a sidecar's.
   * @default - all ports of the main container
   */
  readonly ports?: string[];
  /**
   * Select only the pod with this ordinal (by `statefulset.kubernetes.io/pod-name`), e.g. 0 for a primary.
   * @default - all pods
   */
  readonly podOrdinal?: number;
  /**
   * Select only the pods that also carry these labels, e.g. a role label a sidecar sets on its own pod.
   * The app's selector labels cannot be overridden here.
   * @default - no more than the app's selector (and `podOrdinal`)
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * Route to pods that are not Ready too.
   * @default false
   */
  readonly publishNotReadyAddresses?: boolean;
  /**
   * A headless Service (`clusterIP: None`): DNS returns the pod addresses, no virtual IP.
   * @default false
   */
  readonly headless?: boolean;
  /**
   * Extra labels.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * Annotations (e.g. for a cloud load balancer).
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
}

/** Who may connect to an app's pods, enforced by a NetworkPolicy (ingress only). */
export interface NetworkPolicyOptions {
  /**
   * Emit the NetworkPolicy.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Labels of the client pods that may connect; in the app's namespace, and in `clientNamespaceLabels` namespaces.
   * @default - every pod of the app's namespace
   */
  readonly clientPodLabels?: { [key: string]: string };
  /**
   * Labels of other namespaces whose (matching) pods may connect too. Pods of the app's own
   * namespace may connect either way.
   * @default - no other namespace
   */
  readonly clientNamespaceLabels?: { [key: string]: string };
  /**
   * Names of the ports clients may reach.
   * @default - every port of the app
   */
  readonly ports?: string[];
}
