/**
 * The apps the benchmark synthesizes, three ways: with our constructs, with raw cdk8s ApiObjects
 * that emit the same YAML, and with the closest cdk8s-plus-28 equivalent. Not part of the public API.
 */
import { ApiObject, Chart, JsonPatch, Size } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * The modules each implementation uses, loaded at its first app so that the raw runs never load this
 * library (or cdk8s-plus-28), and once: a `require` per app would add Node's module lookup (about 16 µs)
 * to every app of ours and of plus, which a program importing them at the top never pays.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
const modules = {
  lib: once(() => require('../lib/index') as typeof import('../lib/index')),
  kube: once(() => require('../lib/kube') as typeof import('../lib/kube')),
  kplus: once(() => require('cdk8s-plus-28') as typeof import('cdk8s-plus-28')),
};
/* eslint-enable @typescript-eslint/no-require-imports */

function once<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}

/** Which app. */
export type AppKind = 'web' | 'mysql';

/** Our constructs: the seeds' nginx `web`, or a 3-member ReplicatedMySql. */
export function buildOurs(scope: Construct, kind: AppKind, i: number): void {
  const lib = modules.lib();
  if (kind === 'web') {
    new lib.StatefulApp(scope, `web-${i}`, {
      image: 'nginxinc/nginx-unprivileged:1.25.3',
      replicas: 3,
      ports: [{ name: 'http', port: 8080 }],
      volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1) }],
      runAsUser: 101,
      runAsGroup: 101,
      fsGroup: 101,
    });
  } else {
    new lib.ReplicatedMySql(scope, `mysql-${i}`, {
      replicas: 3,
      storage: { size: Size.gibibytes(10) },
      database: { name: 'shop', user: 'shop' },
    });
  }
}

/** Raw ApiObjects from captured JSON: the floor (cdk8s itself, nothing on top). */
export function buildRaw(scope: Construct, objects: unknown[], i: number): void {
  objects.forEach((o, j) => new ApiObject(scope, `o${i}-${j}`, o as { apiVersion: string; kind: string }));
}

/**
 * The same captured JSON in our construct tree: a construct per app holding its objects as typed L1
 * objects, no logic of ours. Against `raw` it measures what the tree shape costs in cdk8s'
 * synthesis; against `ours`, what our code costs.
 */
export function buildTyped(scope: Construct, objects: unknown[], i: number): void {
  const kube = modules.kube();
  // `never`: each class takes its own props type; the captured JSON is passed as is.
  const classes: { [kind: string]: new (scope: Construct, id: string, props: never) => ApiObject } = {
    StatefulSet: kube.KubeStatefulSet,
    Service: kube.KubeService,
    ConfigMap: kube.KubeConfigMap,
    PodDisruptionBudget: kube.KubePodDisruptionBudget,
    NetworkPolicy: kube.KubeNetworkPolicy,
    ServiceAccount: kube.KubeServiceAccount,
    Role: kube.KubeRole,
    RoleBinding: kube.KubeRoleBinding,
    Secret: kube.KubeSecret,
  };
  const parent = new Construct(scope, `app${i}`);
  objects.forEach((o, j) => {
    const { kind } = o as { kind: string };
    const type = classes[kind];
    if (!type) throw new Error(`bench: no typed L1 class for kind ${kind}; add it to buildTyped`);
    new type(parent, j === 0 ? 'Resource' : `o${j}`, o as never);
  });
}

/**
 * The closest cdk8s-plus-28 equivalent: kplus StatefulSet with a headless Service that publishes
 * not-ready pods, ConfigMap and Services, the same labels on every object, spreading, a sized /tmp,
 * ephemeral-storage resources and (web) a NetworkPolicy; what kplus lacks (claim templates,
 * retention, PDB) through a JSON patch or the L1 it exports. It is not identical YAML: it is what a
 * kplus user would write for the same app (no scanner annotations, kplus' own defaults and
 * selector label). The mysql equivalent has none of ReplicatedMySql's scripts, RBAC or agents.
 */
export function buildPlus(scope: Construct, kind: AppKind, i: number): void {
  const kplus = modules.kplus();
  const name = kind === 'web' ? `web-${i}` : `mysql-${i}`;
  const labels = { 'app.kubernetes.io/name': kind, 'app.kubernetes.io/instance': name };
  const objectLabels = { ...labels, 'app.kubernetes.io/managed-by': 'bench', 'app.kubernetes.io/version': kind === 'web' ? '1.25.3' : '8.4.10' };
  const port = kind === 'web' ? 8080 : 3306;
  const dataPath = kind === 'web' ? '/usr/share/nginx/html' : '/var/lib/mysql';
  const uid = kind === 'web' ? 101 : 999;
  const group = new Construct(scope, name);
  let config: InstanceType<typeof kplus.ConfigMap> | undefined;
  if (kind === 'mysql') {
    config = new kplus.ConfigMap(group, 'Config', { metadata: { name: `${name}-config` }, data: { 'common.cnf': '[mysqld]\ngtid_mode = ON\n' } });
  }
  const service = new kplus.Service(group, 'Service', {
    metadata: { name, labels: objectLabels },
    clusterIP: 'None',
    publishNotReadyAddresses: true,
    ports: [{ name: kind === 'web' ? 'http' : 'mysql', port, targetPort: port }],
  });
  const sts = new kplus.StatefulSet(group, 'Set', {
    metadata: { name, labels: objectLabels },
    service,
    replicas: 3,
    podManagementPolicy: kplus.PodManagementPolicy.ORDERED_READY,
    securityContext: { user: uid, group: uid, fsGroup: uid, ensureNonRoot: true },
    containers: [{
      name: kind,
      image: kind === 'web' ? 'nginxinc/nginx-unprivileged:1.25.3' : 'mysql:8.4.10',
      ports: [{ name: kind === 'web' ? 'http' : 'mysql', number: port }],
      resources: {
        cpu: { request: kplus.Cpu.millis(250) },
        memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
        ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(2) }, // kplus writes whole GiB only
      },
      readiness: kplus.Probe.fromTcpSocket({ port }),
      securityContext: { ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, user: uid, group: uid },
      volumeMounts: [
        { path: '/tmp', volume: kplus.Volume.fromEmptyDir(group, 'Tmp', 'tmp', { sizeLimit: Size.gibibytes(1) }) },
        ...(config ? [{ path: '/etc/mysql/conf.d', volume: kplus.Volume.fromConfigMap(group, 'ConfigVolume', config) }] : []),
      ],
    }],
  });
  // Spread over nodes when it can, as ours (kplus' `spread: true` would require a node and a zone per pod).
  sts.scheduling.spread({ topology: kplus.Topology.HOSTNAME, weight: 100 });
  // The pods carry the app's labels too, so that the budget's selector (by label, like ours) matches them.
  for (const [key, value] of Object.entries(objectLabels)) sts.podMetadata.addLabel(key, value);
  // kplus has no volumeClaimTemplates: users patch them in (the L2 mounts them by name). The patch applies
  // before the L1's conversion, so the size must be a Quantity (a string becomes `storage: null`).
  const set = ApiObject.of(sts);
  set.addJsonPatch(JsonPatch.add('/spec/volumeClaimTemplates', [{
    metadata: { name: 'data', labels },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: kplus.k8s.Quantity.fromString(kind === 'web' ? '1Gi' : '10Gi') } } },
  }]));
  set.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/-', { name: 'data', mountPath: dataPath }));
  set.addJsonPatch(JsonPatch.add('/spec/persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Retain', whenScaled: 'Retain' }));
  if (kind === 'mysql') {
    new kplus.Service(group, 'Read', { metadata: { name: `${name}-read` }, selector: sts, ports: [{ port, targetPort: port }] });
    new kplus.Service(group, 'Primary', { metadata: { name: `${name}-primary` }, selector: sts, ports: [{ port, targetPort: port }] });
  }
  if (kind === 'web') {
    new kplus.NetworkPolicy(group, 'Policy', {
      metadata: { name, labels: objectLabels },
      selector: sts,
      ingress: { rules: [{ peer: kplus.Pods.all(group, 'Peers'), ports: [kplus.NetworkPolicyPort.tcp(port)] }] },
    });
  }
  // kplus-28 has no PodDisruptionBudget construct: the L1 it exports.
  new kplus.k8s.KubePodDisruptionBudget(group, 'Budget', {
    metadata: { name, labels: objectLabels },
    spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  });
}

/** Creates the chart that holds app `i` (one chart per app) or returns the shared one. */
export function chartFor(app: Construct, shared: Chart | undefined, i: number): Chart {
  return shared ?? new Chart(app, `app-${i}`, { namespace: `team-${i % 10}` });
}
