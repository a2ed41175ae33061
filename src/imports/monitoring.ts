// A typed L1 for the Prometheus Operator's ServiceMonitor (monitoring.coreos.com/v1), in the
// shape `cdk8s import` generates, limited to the fields this library sets. Hand-written so the
// build needs no CRD download.
import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';
import { Construct } from 'constructs';

/** One scrape endpoint of a ServiceMonitor. */
export interface ServiceMonitorEndpoint {
  /** Name of the Service port to scrape. */
  readonly port: string;
  /**
   * HTTP path to scrape.
   * @default '/metrics'
   */
  readonly path?: string;
  /**
   * Scrape interval, e.g. "30s".
   * @default - the Prometheus global interval
   */
  readonly interval?: string;
  /**
   * Scrape timeout, e.g. "10s".
   * @default - the Prometheus global timeout
   */
  readonly scrapeTimeout?: string;
  /**
   * URL query parameters of the scrape, e.g. `{ target: ['db-0:3306'] }` for a multi-target exporter.
   * @default - none
   */
  readonly params?: { [name: string]: string[] };
  /**
   * Relabelings applied to the target's labels before the scrape.
   * @default - none
   */
  readonly relabelings?: ServiceMonitorRelabeling[];
}

/** A relabeling of a ServiceMonitor endpoint (Prometheus `relabel_config`). */
export interface ServiceMonitorRelabeling {
  /**
   * The action.
   * @default 'replace'
   */
  readonly action?: string;
  /**
   * Labels whose values are concatenated as the input.
   * @default - none
   */
  readonly sourceLabels?: string[];
  /**
   * The label to write.
   * @default - none
   */
  readonly targetLabel?: string;
  /**
   * The value to write (may reference regex groups).
   * @default '$1'
   */
  readonly replacement?: string;
}

/** Selects the Services a ServiceMonitor scrapes, by label. */
export interface ServiceMonitorSelector {
  /** Labels a Service must carry (all of them). */
  readonly matchLabels: { [key: string]: string };
}

/** Selects the namespaces whose Services a ServiceMonitor scrapes. */
export interface ServiceMonitorNamespaceSelector {
  /** Names of the namespaces. */
  readonly matchNames: string[];
}

/** Spec of a ServiceMonitor. */
export interface ServiceMonitorSpec {
  /** Labels of the Services to scrape. */
  readonly selector: ServiceMonitorSelector;
  /**
   * Namespaces of those Services.
   * @default - the ServiceMonitor's own namespace
   */
  readonly namespaceSelector?: ServiceMonitorNamespaceSelector;
  /** Endpoints to scrape on each selected Service. */
  readonly endpoints: ServiceMonitorEndpoint[];
  /**
   * Label whose value becomes the `job` label.
   * @default - the Service name
   */
  readonly jobLabel?: string;
}

/** Props of a {@link KubeServiceMonitor}. */
export interface KubeServiceMonitorProps {
  /** Object metadata. */
  readonly metadata?: ApiObjectMetadata;
  /** The spec. */
  readonly spec: ServiceMonitorSpec;
}

/** A Prometheus Operator ServiceMonitor. */
export class KubeServiceMonitor extends ApiObject {
  /** apiVersion and kind. */
  public static readonly GVK: GroupVersionKind = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' };

  constructor(scope: Construct, id: string, props: KubeServiceMonitorProps) {
    super(scope, id, { ...KubeServiceMonitor.GVK, ...props });
  }
}
