/**
 * Metrics of a ReplicatedMySql: one mysqld_exporter Deployment scrapes every member over the
 * network through its multi-target `/probe` endpoint. Outside the database pods on purpose: an
 * exporter that cannot be pulled, crash-loops or runs out of memory never makes a member NotReady
 * (and so never empties the write Service).
 */
import { Construct } from 'constructs';
import { cpuMillis, renderResources, restrictedSecurityContext } from '../container';
import { Validator } from '../errors';
import { k8s, KubeConfigMap, KubeDeployment, KubeNetworkPolicy, KubeService, KubeServiceMonitor } from '../kube';
import { LABEL_INSTANCE, LABEL_NAME } from '../names';
import { registerObject } from '../registry';
import { EGRESS_LEFT_OPEN, optOutOfScannerAnnotations, scannerChoices } from '../scanner-annotations';
import { Size } from 'cdk8s';
import type { KubeServiceMonitor as ServiceMonitorL1 } from '../imports/monitoring';
import { TLS_DIR } from './config';
import { sideObjectLabels } from './objects';
import { METRICS_PORT, MySqlPlan } from './plan';
import { DEFAULT_EXPORTER_IMAGE } from './props';
import type { ReplicatedMySql } from './replicated-mysql';

const CONFIG_DIR = '/etc/mysqld-exporter';
const NOBODY = 65534;
/** What kube-prometheus-stack's Prometheus selects ServiceMonitors by, installed as its documentation says. */
const DEFAULT_SERVICE_MONITOR_LABELS = { release: 'kube-prometheus-stack' };

/** What a ReplicatedMySql's metrics are made of. */
export interface MySqlMetricsObjects {
  readonly deployment: k8s.KubeDeployment;
  readonly service: k8s.KubeService;
  readonly networkPolicy?: k8s.KubeNetworkPolicy;
  readonly serviceMonitor?: ServiceMonitorL1;
  /** Labels of the exporter's pods (the database's NetworkPolicy admits them). */
  readonly podLabels: { [key: string]: string };
}

/** Where the members are and who they belong to. */
export interface MetricsContext {
  readonly plan: MySqlPlan;
  readonly v: Validator;
  readonly labels: { [key: string]: string };
  readonly memberHost: (ordinal: number) => string;
  readonly primaryHost: string;
  readonly metricsNamespaceLabels: { [key: string]: string };
  readonly networkPolicy: boolean;
}

/** The exporter's connection: the `[client]` section; the password comes from MYSQLD_EXPORTER_PASSWORD. */
function exporterConfig(plan: MySqlPlan): string {
  const tls = plan.tlsSecretName !== undefined && plan.tls?._verifyPeers !== false
    // The server's identity is checked against the cluster's CA (the target's host name).
    ? `ssl-ca = ${TLS_DIR}/ca.crt`
    // Encrypted, not authenticated: each mysqld has its own self-signed certificate.
    : 'tls = skip-verify';
  return `# mysqld_exporter's connection (--config.my-cnf); written by cdk8s-stateful.\n[client]\nuser = ${plan.exporterUser}\n${tls}\n`;
}

export function addMetrics(scope: Construct, ctx: MetricsContext): MySqlMetricsObjects {
  const { plan, v } = ctx;
  const metrics = plan.metrics!;
  const name = `${plan.name}-metrics`;
  const podLabels = { [LABEL_NAME]: 'mysqld-exporter', [LABEL_INSTANCE]: plan.name };
  const labels = sideObjectLabels(ctx.labels, podLabels, 'metrics');
  const metadata = (objectName: string, extra: { [key: string]: string } = {}) => ({
    name: objectName, namespace: plan.namespace, labels: { ...labels, ...extra },
  });
  const fix = 'give the ReplicatedMySql another name (or namespace)';
  const register = (kind: string, objectName: string) => registerObject(scope, v, 'metrics', { kind, namespace: plan.namespace, name: objectName }, fix);

  new KubeConfigMap(scope, 'MetricsConfig', { metadata: metadata(name), data: { 'my.cnf': exporterConfig(plan) } });
  register('ConfigMap', name);
  const deployment = new KubeDeployment(scope, 'MetricsDeployment', {
    metadata: metadata(name),
    spec: { replicas: 1, selector: { matchLabels: podLabels }, template: { metadata: { labels }, spec: exporterPod(ctx, name) } },
  });
  register('apps/Deployment', name);
  const service = new KubeService(scope, 'MetricsService', {
    metadata: metadata(name),
    spec: { selector: podLabels, ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: k8s.IntOrString.fromString('metrics') }] },
  });
  register('Service', name);

  let networkPolicy: k8s.KubeNetworkPolicy | undefined;
  if (ctx.networkPolicy) {
    networkPolicy = new KubeNetworkPolicy(scope, 'MetricsNetworkPolicy', {
      metadata: metadata(name),
      spec: {
        podSelector: { matchLabels: podLabels },
        policyTypes: ['Ingress'],
        ingress: [{
          from: [{ namespaceSelector: { matchLabels: { ...ctx.metricsNamespaceLabels } } }],
          ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(METRICS_PORT) }],
        }],
      },
    });
    register('networking.k8s.io/NetworkPolicy', name);
  }

  let serviceMonitor: ServiceMonitorL1 | undefined;
  if (metrics.serviceMonitor) {
    const members = Array.from({ length: plan.replicas }, (_, i) => plan.startOrdinal + i);
    serviceMonitor = new KubeServiceMonitor(scope, 'ServiceMonitor', {
      metadata: metadata(plan.name, metrics.serviceMonitorLabels ?? DEFAULT_SERVICE_MONITOR_LABELS),
      spec: {
        selector: { matchLabels: { ...podLabels } },
        // One endpoint per member: the exporter connects to it, and `instance` names the pod.
        endpoints: members.map((ordinal) => ({
          port: 'metrics',
          path: '/probe',
          interval: `${plan.metricsIntervalSeconds}s`,
          params: { target: [`${ctx.memberHost(ordinal)}:3306`], auth_module: ['client'] },
          relabelings: [{ action: 'replace', targetLabel: 'instance', replacement: `${plan.name}-${ordinal}` }],
        })),
      },
    });
    register('monitoring.coreos.com/ServiceMonitor', plan.name);
  }
  return { deployment, service, networkPolicy, serviceMonitor, podLabels };
}

/** The choices ReplicatedMySql makes on purpose that the scanners report (docs/scanners.md); the StatefulApp adds the pod's. */
export function addMySqlScannerChoices(mysql: ReplicatedMySql, enabled: boolean): void {
  if (!enabled) {
    optOutOfScannerAnnotations(mysql);
    return;
  }
  scannerChoices(mysql.app.statefulSet, {
    withoutReadiness: {
      containers: ['agent'],
      reason: 'the agent sidecar reports through the mysql container\'s readiness probe (probe.sh reads its verdict); a probe of its own would repeat it',
    },
  });
  if (mysql.metricsDeployment) {
    scannerChoices(mysql.metricsDeployment, {
      checkov: { CKV_K8S_35: 'mysqld_exporter reads its password only from MYSQLD_EXPORTER_PASSWORD (its config file expands $ inside values)' },
      // One exporter scrapes every member: a second would double the load and duplicate every series.
      kubeScore: ['deployment-replicas', ...(mysql.networkPolicy ? [EGRESS_LEFT_OPEN] : [])],
    });
  }
}

/** The exporter's pod: one container, reading its password from the Secret, verifying the members with the cluster's CA when there is one. */
function exporterPod(ctx: MetricsContext, name: string): k8s.PodSpec {
  const { plan, v } = ctx;
  const metrics = plan.metrics!;
  const tls = plan.tlsSecretName !== undefined;
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: NOBODY, runAsGroup: NOBODY, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{
      name: 'exporter',
      image: metrics.image ?? DEFAULT_EXPORTER_IMAGE,
      args: [`--config.my-cnf=${CONFIG_DIR}/my.cnf`, `--web.listen-address=:${METRICS_PORT}`, `--mysqld.address=${ctx.primaryHost}:3306`],
      // mysqld_exporter reads a password only from this variable (or from its config file,
      // where it expands $VARIABLES inside the value, so a password with "$" would break).
      env: [{ name: 'MYSQLD_EXPORTER_PASSWORD', valueFrom: { secretKeyRef: { name: plan.secretName, key: plan.exporterPasswordKey } } }],
      ports: [{ name: 'metrics', containerPort: METRICS_PORT }],
      // Liveness: the process listens (a restart helps nothing else); readiness: it serves HTTP.
      livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
      readinessProbe: { httpGet: { path: '/', port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 10, timeoutSeconds: 5 },
      resources: renderResources(v, 'metrics', undefined, {
        cpu: { request: cpuMillis(50) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) },
        ephemeralStorage: { request: Size.mebibytes(16), limit: Size.mebibytes(64) },
      }),
      securityContext: restrictedSecurityContext(true),
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        ...(tls ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : []),
      ],
    }],
    volumes: [
      { name: 'config', configMap: { name } },
      ...(tls ? [{ name: 'tls', secret: { secretName: plan.tlsSecretName, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] : []),
    ],
  };
}
