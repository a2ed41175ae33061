import { Size } from 'cdk8s';
import { Cpu, ImagePullPolicy } from 'cdk8s-plus-28';
import { HealthProbe, ReplicatedMySql, SpreadMode, StatefulApp, StatefulAppProps } from '../src';
import { find, Manifest, newChart, synth, WEB } from './util';

/** The skip annotations of an object: checkov's by check, kube-score's list. */
function skips(object: Manifest): { checkov: { [check: string]: string }; kubeScore?: string } {
  const annotations = (object.metadata.annotations ?? {}) as { [key: string]: string };
  const checkov: { [check: string]: string } = {};
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith('checkov.io/skip')) checkov[value.split('=')[0]] = value.slice(value.indexOf('=') + 1);
  }
  return { checkov, kubeScore: annotations['kube-score/ignore'] };
}

function web(props: Partial<StatefulAppProps> = {}) {
  const chart = newChart();
  new StatefulApp(chart, 'web', { ...WEB, replicas: 3, ...props });
  return find(synth(chart), 'StatefulSet', 'web');
}

describe('scanner skip annotations', () => {
  test('the defaults: every deliberate choice the StatefulSet makes, with its reason, numbered in check order', () => {
    const sts = web();
    const { checkov, kubeScore } = skips(sts);
    expect(Object.keys(checkov)).toEqual(['CKV_K8S_11', 'CKV_K8S_15', 'CKV_K8S_40', 'CKV_K8S_43', 'CKV_K8S_8']);
    expect(sts.metadata.annotations['checkov.io/skip1']).toMatch(/^CKV_K8S_11=no CPU limit by design: /);
    expect(kubeScore).toBe('container-image-pull-policy,container-resources,container-security-context-user-group-id,pod-networkpolicy,pod-probes,statefulset-has-host-podantiaffinity');
    // never on the pod template: adding or removing them restarts nothing
    expect(JSON.stringify(sts.spec.template)).not.toMatch(/checkov|kube-score/);
  });

  test('a choice the object does not make is not skipped', () => {
    const sts = web({
      image: `nginxinc/nginx-unprivileged@sha256:${'ab'.repeat(32)}`,
      imagePullPolicy: ImagePullPolicy.ALWAYS,
      resources: { cpu: { request: Cpu.millis(100), limit: Cpu.millis(500) }, memory: { request: Size.mebibytes(128), limit: Size.mebibytes(128) } },
      livenessProbe: HealthProbe.tcpSocket({ failureThreshold: 6 }),
      runAsUser: 20000, runAsGroup: 20000, fsGroup: 20000,
      networkPolicy: { enabled: false },
      spreadAcrossNodes: SpreadMode.NONE,
    });
    expect(sts.metadata.annotations).toBeUndefined();
  });

  test('scannerAnnotations: false emits none, on any object', () => {
    expect(web({ scannerAnnotations: false }).metadata.annotations).toBeUndefined();
    const chart = newChart();
    new ReplicatedMySql(chart, 'mysql', { scannerAnnotations: false, metrics: {} });
    const annotated = synth(chart).filter((o) => Object.keys(o.metadata.annotations ?? {}).some((k) => /^(checkov\.io|kube-score)\//.test(k)));
    expect(annotated.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });

  test('ReplicatedMySql adds the choices only it knows: the agent\'s readiness, the write Service\'s run-time label, the exporter', () => {
    const chart = newChart();
    new ReplicatedMySql(chart, 'mysql', { metrics: {} });
    const objects = synth(chart);
    expect(skips(find(objects, 'StatefulSet', 'mysql')).checkov.CKV_K8S_9).toMatch(/agent sidecar reports through the mysql container's readiness probe/);
    expect(skips(find(objects, 'Service', 'mysql-primary'))).toEqual({ checkov: {}, kubeScore: 'service-targets-pod' });
    expect(skips(find(objects, 'Service', 'mysql')).kubeScore).toBeUndefined();
    const exporter = skips(find(objects, 'Deployment', 'mysql-metrics'));
    expect(Object.keys(exporter.checkov)).toEqual(['CKV_K8S_11', 'CKV_K8S_15', 'CKV_K8S_35', 'CKV_K8S_43']);
    expect(exporter.kubeScore).toBe('container-image-pull-policy,container-resources,deployment-replicas,pod-networkpolicy');
  });

  test('the annotations are in key order, as cdk8s writes them, the construct\'s own among the skips', () => {
    const chart = newChart();
    new ReplicatedMySql(chart, 'mysql', {});
    const keys = Object.keys(find(synth(chart), 'StatefulSet', 'mysql').metadata.annotations);
    expect(keys).toContain('mysql.cdk8s-stateful.io/series');
    expect(keys).toEqual([...keys].sort());
  });
});

test('a Service that selects one pod by the controller\'s pod-name label tells kube-score why no pod template carries it', () => {
  const chart = newChart();
  const app = new StatefulApp(chart, 'web', { ...WEB, replicas: 3 });
  app.addService('First', { name: 'web-first', podOrdinal: 0 });
  const objects = synth(chart);
  expect(skips(find(objects, 'Service', 'web-first')).kubeScore).toBe('service-targets-pod');
  expect(skips(find(objects, 'Service', 'web')).kubeScore).toBeUndefined();
});

describe('scanner skip annotations beside the user\'s own', () => {
  test('the user\'s skips stay: the library numbers after them and skips nothing twice; kube-score\'s lists merge', () => {
    const sts = web({ annotations: { 'checkov.io/skip1': 'CKV_K8S_21=our namespace policy', 'checkov.io/skip2': 'CKV_K8S_11=we meant it', 'kube-score/ignore': 'statefulset-has-poddisruptionbudget' } });
    const a = sts.metadata.annotations;
    expect([a['checkov.io/skip1'], a['checkov.io/skip2']]).toEqual(['CKV_K8S_21=our namespace policy', 'CKV_K8S_11=we meant it']);
    expect(Object.keys(skips(sts).checkov)).toEqual(['CKV_K8S_21', 'CKV_K8S_11', 'CKV_K8S_15', 'CKV_K8S_40', 'CKV_K8S_43', 'CKV_K8S_8']);
    expect(a['checkov.io/skip3']).toMatch(/^CKV_K8S_15=/);
    expect(a['kube-score/ignore'].split(',')).toContain('statefulset-has-poddisruptionbudget');
    expect(a['kube-score/ignore'].split(',')).toContain('container-resources');
  });

  test('a sidecar the user adds to ReplicatedMySql without a readiness probe is not skipped: CKV_K8S_9 covers the agent alone', () => {
    const chart = newChart();
    const mysql = new ReplicatedMySql(chart, 'mysql', {});
    mysql.app.addContainer({ name: 'backup', image: 'busybox:1.36.1', command: ['sleep', 'infinity'] });
    expect(skips(find(synth(chart), 'StatefulSet', 'mysql')).checkov.CKV_K8S_9).toBeUndefined();
  });

  test('kube-score\'s container-resources stays checked when a request is missing; pod-probes when any container has liveness', () => {
    const sized = web({ resources: { cpu: {}, memory: { limit: Size.mebibytes(256) } } });
    expect(skips(sized).kubeScore?.split(',')).not.toContain('container-resources');
    const live = web({ livenessProbe: HealthProbe.httpGet('/healthz', { failureThreshold: 6 }), readinessProbe: HealthProbe.httpGet('/healthz') });
    expect(skips(live).kubeScore?.split(',')).not.toContain('pod-probes');
  });
});
