/**
 * What a new user hits: connectClient for every kind of workload and across namespaces,
 * duplicate names anywhere in the App, and the mistakes plain JavaScript callers make. Every case
 * checks the whole wiring in the YAML or the whole message.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Construct } from 'constructs';
import { ApiObject, App, Chart, Cron, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import * as kplus33 from 'cdk8s-plus-33';
import { DiskProvider, DiskStorageClass, EnvSource, ReplicatedMySql, StatefulApp } from '../src';
import { find, Manifest, synthError, validateWithKubernetesModels } from './util';

const CLIENT_LABEL = 'cdk8s-stateful.io/mysql-client';
const DB = { database: { name: 'shop', user: 'shop' } };

function envOf(container: { env?: Array<{ name: string; value?: string; valueFrom?: unknown }> }): { [name: string]: unknown } {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
}

/** Synthesizes every chart of the app (validating the whole App, as `cdk8s synth` does). */
function synthAll(app: App): Manifest[] {
  const objects = app.charts.flatMap((c) => Testing.synth(c) as Manifest[]);
  objects.forEach(validateWithKubernetesModels);
  return objects;
}

/** The peers the NetworkPolicy admits on 3306 besides the members (the first peer of the first rule). */
function clientPeers(objects: Manifest[], name = 'mysql'): unknown[] {
  const np = find(objects, 'NetworkPolicy', name);
  const rules = np.spec.ingress as Array<{ from: unknown[]; ports: unknown[] }>;
  for (const rule of rules) expect(rule.ports).toEqual([{ protocol: 'TCP', port: 3306 }]);
  expect(rules[0].from[0]).toEqual({ podSelector: { matchLabels: np.spec.podSelector.matchLabels } });
  return rules.flatMap((rule) => rule.from).slice(1);
}

function expectWired(
  pod: { metadata: { labels: { [k: string]: string } }; spec: { containers: any[] } }, host: string, secret: string, containerIndex = 0,
): void {
  expect(envOf(pod.spec.containers[containerIndex])).toEqual({
    MYSQL_HOST: `mysql-primary.${host}.svc.cluster.local`,
    MYSQL_READ_HOST: `mysql-read.${host}.svc.cluster.local`,
    MYSQL_PORT: '3306',
    MYSQL_DATABASE: 'shop',
    MYSQL_USER: 'shop',
    MYSQL_PASSWORD: { secretKeyRef: { name: secret, key: 'password' } },
  });
  expect(pod.metadata.labels[CLIENT_LABEL]).toBe('mysql');
}

describe('connectClient: any workload a user has, same namespace', () => {
  const samePeers = [{ podSelector: { matchLabels: { [CLIENT_LABEL]: 'mysql' } } }];

  test('a cdk8s-plus-28 Deployment', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    const mysql = new ReplicatedMySql(chart, 'mysql', DB);
    mysql.connectClient(new kplus.Deployment(chart, 'api', { metadata: { name: 'api' }, containers: [{ image: 'shop/api:1.0.0' }] }));
    const objects = synthAll(chart.node.root as App);
    expectWired(find(objects, 'Deployment', 'api').spec.template, 'shop', 'mysql-credentials');
    expect(clientPeers(objects)).toEqual(samePeers);
  });

  test('a cdk8s-plus-33 Deployment (another major: structural typing, no protected-member clash)', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    const mysql = new ReplicatedMySql(chart, 'mysql', DB);
    const api = new kplus33.Deployment(chart, 'api', { metadata: { name: 'api' }, containers: [{ image: 'shop/api:1.0.0' }] });
    mysql.connectClient(api);
    const objects = synthAll(chart.node.root as App);
    expectWired(find(objects, 'Deployment', 'api').spec.template, 'shop', 'mysql-credentials');
    expect(clientPeers(objects)).toEqual(samePeers);
  });

  test('a cdk8s-plus-28 CronJob (pod template one level deeper)', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    const mysql = new ReplicatedMySql(chart, 'mysql', DB);
    mysql.connectClient(new kplus.CronJob(chart, 'report', {
      metadata: { name: 'report' }, schedule: Cron.daily(), containers: [{ image: 'shop/report:1.0.0' }],
    }));
    const cron = find(synthAll(chart.node.root as App), 'CronJob', 'report');
    expectWired(cron.spec.jobTemplate.spec.template, 'shop', 'mysql-credentials');
  });

  test('this library\'s StatefulApp', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    const mysql = new ReplicatedMySql(chart, 'mysql', DB);
    const worker = new StatefulApp(chart, 'worker', { image: 'shop/worker:1.0.0', replicas: 2, ports: [{ name: 'http', port: 8080 }] });
    mysql.connectClient(worker);
    const objects = synthAll(chart.node.root as App);
    expectWired(find(objects, 'StatefulSet', 'worker').spec.template, 'shop', 'mysql-credentials');
    expect(clientPeers(objects)).toEqual(samePeers);
  });

  test('a raw k8s.KubeDeployment (JSON patches of its pod template), with and without env and labels before', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    const mysql = new ReplicatedMySql(chart, 'mysql', DB);
    const template = (labels: { [k: string]: string } | undefined, env: k8s.EnvVar[] | undefined): k8s.PodTemplateSpec => ({
      metadata: labels ? { labels } : undefined,
      spec: { containers: [{ name: 'side', image: 'shop/side:1.0.0' }, { name: 'api', image: 'shop/api:1.0.0', env }] },
    });
    const bare = new k8s.KubeDeployment(chart, 'bare', { metadata: { name: 'bare' }, spec: { selector: { matchLabels: { app: 'bare' } }, template: template(undefined, undefined) } });
    const full = new k8s.KubeDeployment(chart, 'full', {
      metadata: { name: 'full' },
      spec: { selector: { matchLabels: { app: 'full' } }, template: template({ app: 'full' }, [{ name: 'LOG', value: 'info' }]) },
    });
    mysql.connectClient(bare, { container: 'api' });
    mysql.connectClient(full, { container: 'api' });
    const objects = synthAll(chart.node.root as App);
    expectWired(find(objects, 'Deployment', 'bare').spec.template, 'shop', 'mysql-credentials', 1);
    const f = find(objects, 'Deployment', 'full').spec.template;
    expect(f.metadata.labels.app).toBe('full');
    expect(f.spec.containers[1].env[0]).toEqual({ name: 'LOG', value: 'info' });
    expectWired({ ...f, spec: { containers: [{ env: f.spec.containers[1].env.slice(1) }] } }, 'shop', 'mysql-credentials');
    expect(f.spec.containers[0].env).toBeUndefined();
  });

  test('refuses what is not a workload, and an object kind without a pod template', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    const mysql = new ReplicatedMySql(chart, 'mysql', DB);
    expect(() => mysql.connectClient('api')).toThrow(
      /ReplicatedMySql 'c\/mysql': connectClient\(client\) "api" is invalid: is not a workload: pass a cdk8s-plus workload .*, a StatefulApp, or an ApiObject with a pod template.*Fix: pass the workload construct itself/);
    const cm = new k8s.KubeConfigMap(chart, 'cm', { metadata: { name: 'cm' } });
    expect(() => mysql.connectClient(cm)).toThrow(/connectClient\(client\) "c\/cm" is invalid: is a ConfigMap, which has no pod template\. Fix: pass one of Deployment, StatefulSet/);
  });
});

describe('connectClient across namespaces', () => {
  function twoNamespaces() {
    const app = Testing.app();
    const data = new Chart(app, 'data', { namespace: 'data' });
    const apps = new Chart(app, 'apps', { namespace: 'apps' });
    const mysql = new ReplicatedMySql(data, 'mysql', DB);
    const api = new kplus.Deployment(apps, 'api', { metadata: { name: 'api' }, containers: [{ image: 'shop/api:1.0.0' }] });
    return { app, data, apps, mysql, api };
  }

  test('a client namespace that is no namespace name is refused, and the client is left as it was', () => {
    const app = Testing.app();
    const mysql = new ReplicatedMySql(new Chart(app, 'data', { namespace: 'data' }), 'mysql', DB);
    const odd = new Chart(app, 'odd', { namespace: 'x'.repeat(64) });
    const api = new kplus.Deployment(odd, 'api', { metadata: { name: 'api' }, containers: [{ image: 'shop/api:1.0.0' }] });
    expect(() => mysql.connectClient(api, { clientSecretName: 'shop-db' })).toThrow(/connectClient\(client\) ".*api" is invalid: is in namespace "x{64}", which .*Fix: give the client's chart a valid namespace name/);
    expect(api.containers[0].env.variables).toEqual({});
    expect(api.podMetadata.getLabel('cdk8s-stateful.io/mysql-client')).toBeUndefined();
  });

  test('refuses without a copy of the Secret in the client namespace, naming the key and the fix', () => {
    const { mysql, api } = twoNamespaces();
    expect(() => mysql.connectClient(api)).toThrow(new RegExp(
      'ReplicatedMySql \'data/mysql\': connectClient\\(client\\) "apps/api" is invalid: is in namespace apps and the database in data: a pod can read Secrets of its own namespace only, '
      + 'so a reference to mysql-credentials would leave it in CreateContainerConfigError\\. '
      + 'Fix: keep a copy of the Secret \\(key password\\) in apps \\(External Secrets, a SealedSecret, Reflector\\) and pass \\{ clientSecretName: \'<its name>\' \\}'));
    // nothing was half-wired
    expect(api.containers[0].env.variables).toEqual({});
  });

  test('with clientSecretName: full host names, the Secret of the client namespace, and a namespaceSelector rule', () => {
    const { app, mysql, api } = twoNamespaces();
    mysql.connectClient(api, { clientSecretName: 'shop-db' });
    const objects = synthAll(app);
    const d = find(objects, 'Deployment', 'api');
    expect(d.metadata.namespace).toBe('apps');
    expectWired(d.spec.template, 'data', 'shop-db');
    const np = find(objects, 'NetworkPolicy', 'mysql');
    expect(np.metadata.namespace).toBe('data');
    expect(clientPeers(objects)).toEqual([
      // same-namespace clients stay admitted
      { podSelector: { matchLabels: { [CLIENT_LABEL]: 'mysql' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } }, podSelector: { matchLabels: { [CLIENT_LABEL]: 'mysql' } } },
    ]);
    // the library emits no Secret into the client's namespace (the user keeps the copy)
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test('refuses when only one of the namespaces is known (the other is the GitOps target: a guess)', () => {
    const app = Testing.app();
    const data = new Chart(app, 'data', { namespace: 'data' });
    const anywhere = new Chart(app, 'anywhere');
    const mysql = new ReplicatedMySql(data, 'mysql', DB);
    const api = new kplus.Deployment(anywhere, 'api', { metadata: { name: 'api' }, containers: [{ image: 'shop/api:1.0.0' }] });
    expect(() => mysql.connectClient(api)).toThrow(/connectClient\(client\) "anywhere\/api" is invalid: has no namespace \(its chart sets none\) while the database is in data.*Fix: set the client's namespace/);
  });

  test('networkPolicy.clientNamespaceLabels admits same-namespace clients AND the listed namespaces', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'data' });
    new ReplicatedMySql(chart, 'mysql', { ...DB, networkPolicy: { clientNamespaceLabels: { team: 'shop' } } });
    expect(clientPeers(synthAll(chart.node.root as App))).toEqual([
      { podSelector: { matchLabels: { [CLIENT_LABEL]: 'mysql' } } },
      { namespaceSelector: { matchLabels: { team: 'shop' } }, podSelector: { matchLabels: { [CLIENT_LABEL]: 'mysql' } } },
    ]);
  });

  test('StatefulApp\'s networkPolicy.clientNamespaceLabels does the same', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'data' });
    new StatefulApp(chart, 'web', { image: 'nginxinc/nginx-unprivileged:1.25.3', ports: [{ name: 'http', port: 8080 }], networkPolicy: { clientPodLabels: { role: 'fe' }, clientNamespaceLabels: { team: 'shop' } } });
    const np = find(synthAll(chart.node.root as App), 'NetworkPolicy', 'web');
    const peers = np.spec.ingress.flatMap((r: { from: unknown[] }) => r.from);
    expect(peers).toEqual(expect.arrayContaining([
      { podSelector: { matchLabels: { role: 'fe' } } },
      { namespaceSelector: { matchLabels: { team: 'shop' } }, podSelector: { matchLabels: { role: 'fe' } } },
    ]));
  });
});

describe('duplicate names anywhere in the App', () => {
  const IMAGE = 'nginxinc/nginx-unprivileged:1.25.3';
  const web = { image: IMAGE, ports: [{ name: 'http', port: 8080 }] };

  test('two StatefulApps "web" in one chart (two ids, one name)', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    new StatefulApp(chart, 'web', web);
    expect(() => new StatefulApp(chart, 'web2', { ...web, name: 'web' })).toThrow(
      /StatefulApp 'c\/web2': name "web" is invalid: gives a StatefulSet "web" in namespace shop that 'c\/web' emits too: in the cluster one would overwrite the other\. Fix: /);
  });

  test('two StatefulApps "web" in two charts of one namespace', () => {
    const app = Testing.app();
    new StatefulApp(new Chart(app, 'a', { namespace: 'shop' }), 'web', web);
    expect(() => new StatefulApp(new Chart(app, 'b', { namespace: 'shop' }), 'web', web)).toThrow(/StatefulApp 'b\/web': name "web" is invalid: gives a StatefulSet "web" in namespace shop that 'a\/web' emits too/);
    // other namespaces, other objects
    expect(() => new StatefulApp(new Chart(app, 'other', { namespace: 'blog' }), 'web', web)).not.toThrow();
  });

  test('a StatefulApp "db-read" beside a ReplicatedMySql "db" (whose read Service is db-read)', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    new ReplicatedMySql(chart, 'db', {});
    expect(() => new StatefulApp(chart, 'db-read', web)).toThrow(/StatefulApp 'c\/db-read': name "db-read" is invalid: gives a Service "db-read" in namespace shop that 'c\/db\/Resource' emits too/);
  });

  test('two DiskStorageClasses "gp3" in two charts (StorageClasses are cluster-scoped)', () => {
    const app = Testing.app();
    new DiskStorageClass(new Chart(app, 'a', { namespace: 'shop' }), 'gp3', { provider: DiskProvider.AWS_EBS_GP3 });
    expect(() => new DiskStorageClass(new Chart(app, 'b', { namespace: 'blog' }), 'gp3', { provider: DiskProvider.AWS_EBS_GP3 })).toThrow(
      /DiskStorageClass 'b\/gp3': name \(from the construct id\) "gp3" is invalid: gives a StorageClass "gp3" cluster-scoped that 'a\/gp3' emits too.*Fix: give one of them another name \(name\), or create one DiskStorageClass and pass it to both/);
  });

  test('two default StorageClasses', () => {
    const chart = new Chart(Testing.app(), 'c');
    new DiskStorageClass(chart, 'gp3', { provider: DiskProvider.AWS_EBS_GP3, isDefault: true });
    expect(() => new DiskStorageClass(chart, 'io2', { provider: DiskProvider.AWS_EBS_IO2, isDefault: true })).toThrow(
      /DiskStorageClass 'c\/io2': isDefault true is invalid: 'c\/gp3' is the default StorageClass already: a claim without a storageClassName would get either\. Fix: mark only one StorageClass as the default \(this one is "io2"\)/);
  });

  test('at synth, the user\'s own objects too: a cdk8s-plus Service named like the database\'s read Service', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    new ReplicatedMySql(chart, 'db', {});
    new kplus.Service(chart, 'mine', { metadata: { name: 'db-read' }, ports: [{ port: 80 }] });
    // (one validation on the App's root holds the library's synth-time checks: cdk8s prints its empty path, the message names both)
    expect(() => Testing.synth(chart)).toThrow(/\[\] Service "db-read" in namespace shop is emitted by both 'c\/db\/Resource\/ReadService' and 'c\/mine\/Resource': in the cluster one would overwrite the other/);
  });

  test('the check is cached while cdk8s validates the App once per chart, yet sees an object added between two synths', () => {
    // GIVEN a valid App, synthesized once
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'shop' });
    const nested = new Construct(chart, 'nested');
    new StatefulApp(chart, 'web', { image: 'nginxinc/nginx-unprivileged:1.25.3', ports: [{ name: 'http', port: 8080 }] });
    expect(Testing.synth(chart).length).toBeGreaterThan(0);
    // WHEN a clashing object is added one level down, synchronously, and the App synthesized again
    new kplus.Service(nested, 'clash', { metadata: { name: 'web' }, ports: [{ port: 80 }] });
    // THEN the second synth sees it
    expect(() => Testing.synth(chart)).toThrow(/Service "web" in namespace shop is emitted by both 'c\/nested\/clash\/Resource' and 'c\/web\/Service'/);
  });

  test('a mutator call between two synths is validated again (the per-app result stands until the app changes)', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    const web = new StatefulApp(chart, 'web', { image: 'nginxinc/nginx-unprivileged:1.25.3', ports: [{ name: 'http', port: 8080 }] });
    Testing.synth(chart);
    web.addContainer({ name: 'side', mounts: [{ volume: 'nope', mountPath: '/x' }] });
    expect(() => Testing.synth(chart)).toThrow(/nope/);
  });

  test('an app\'s refusal at synth stands at every later synth, once in the message, whatever the number of charts', () => {
    // GIVEN three apps with a chart each, one of which refers to a container that never comes
    const app = Testing.app();
    const apps = [0, 1, 2].map((i) => new StatefulApp(new Chart(app, `c${i}`, { namespace: 'shop' }), `web${i}`, {
      image: 'nginxinc/nginx-unprivileged:1.25.3', ports: [{ name: 'http', port: 8080 }],
    }));
    apps[1].addEnv('X', EnvSource.fromValue('1'), { container: 'never' });
    // WHEN the App is synthesized twice (cdk8s validates it once, then once per chart)
    const messages = [0, 1].map(() => synthError(apps[0].node.scope as Chart));
    // THEN both times the one refusal, named once
    for (const message of messages) expect(message.match(/StatefulApp 'c1\/web1': addEnv\("X"\)\.container "never" is invalid/g)).toHaveLength(1);
  });

  test('refusals come in the order the apps were created, and an app removed from the tree takes its refusal along', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'shop' });
    const [a, b] = ['a', 'b'].map((id) => new StatefulApp(chart, id, { image: 'nginxinc/nginx-unprivileged:1.25.3', ports: [{ name: 'http', port: 8080 }] }));
    b.addEnv('X', EnvSource.fromValue('1'), { container: 'never' });
    expect(synthError(chart)).toMatch(/StatefulApp 'c\/b'/);
    a.addEnv('X', EnvSource.fromValue('1'), { container: 'never' });
    expect(synthError(chart)).toMatch(/\[\] StatefulApp 'c\/a': [^\n]*\n\s*\[\] StatefulApp 'c\/b': /);
    chart.node.tryRemoveChild('b');
    expect(synthError(chart)).not.toMatch(/'c\/b'/);
    chart.node.tryRemoveChild('a');
    expect(Testing.synth(chart)).toEqual([]);
  });

  test('a volume\'s options object changed after the call changes nothing: the app keeps what it checked', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    const data = { name: 'data', mountPath: '/data', size: Size.gibibytes(1), labels: { tier: 'a' } };
    const cache = { name: 'cache', mountPath: '/cache', size: Size.gibibytes(1) };
    const web = new StatefulApp(chart, 'web', { image: 'nginxinc/nginx-unprivileged:1.25.3', ports: [{ name: 'http', port: 8080 }], volumes: [data] });
    web.addVolume(cache);
    data.mountPath = 'relative';
    data.labels.tier = 'b';
    cache.mountPath = 'also relative';
    web.addLabel('changed', 'yes'); // (a change of the app renders the pod again)
    const set = find(Testing.synth(chart), 'StatefulSet', 'web');
    expect(set.spec.template.spec.containers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toEqual(['/data', '/cache', '/tmp']);
    expect(set.spec.volumeClaimTemplates[0].metadata.labels.tier).toBe('a');
  });

  test('allowIngress between two synths is checked again', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    const web = new StatefulApp(chart, 'web', { image: 'nginxinc/nginx-unprivileged:1.25.3', ports: [{ name: 'http', port: 8080 }] });
    Testing.synth(chart);
    web.allowIngress({ podLabels: { role: 'api' }, ports: ['grpc'] });
    expect(() => Testing.synth(chart)).toThrow(/Validation failed[\s\S]*allowIngress #1 ports\[0\] "grpc" is invalid: is not a port of the app/);
  });

  test('at synth: a raw StorageClass of the same name and a second default, across charts', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a');
    new DiskStorageClass(a, 'gp3', { provider: DiskProvider.AWS_EBS_GP3, isDefault: true });
    const b = new Chart(app, 'b', { namespace: 'blog' });
    new k8s.KubeStorageClass(b, 'raw', { metadata: { name: 'gp3' }, provisioner: 'ebs.csi.aws.com' });
    new k8s.KubeStorageClass(b, 'other', { metadata: { name: 'other', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'ebs.csi.aws.com' });
    let message = '';
    try {
      Testing.synth(a);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/StorageClass "gp3" cluster-scoped is emitted by both 'a\/gp3\/Resource' and 'b\/raw'/);
    expect(message).toMatch(/StorageClasses 'a\/gp3\/Resource' and 'b\/other' are both marked as the cluster's default/);
  });

  test('objects of different kinds, or in different namespaces, may share a name', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'shop' });
    new StatefulApp(chart, 'web', web);
    new k8s.KubeConfigMap(chart, 'cm', { metadata: { name: 'web' } });
    new k8s.KubeService(new Chart(app, 'd', { namespace: 'blog' }), 'svc', { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
    expect(() => app.charts.forEach((c) => Testing.synth(c))).not.toThrow();
    expect(ApiObject.of(chart.node.findChild('cm')).name).toBe('web');
  });
});

describe('plain JavaScript mistakes get the usual message', () => {
  const js = (props: unknown) => props as any;
  const chart = () => new Chart(Testing.app(), 'c', { namespace: 'shop' });

  test.each([
    ['memory.limit as a string', () => new ReplicatedMySql(chart(), 'db', js({ resources: { memory: { limit: '2Gi' } } })),
      /ReplicatedMySql 'c\/db': resources\.memory\.limit "2Gi" is invalid: must be a cdk8s Size \(received a string\)\. Fix: use Size\.gibibytes\(2\)/],
    ['storageClass as a string', () => new ReplicatedMySql(chart(), 'db', js({ storage: { storageClass: 'gp3' } })),
      /ReplicatedMySql 'c\/db': storage\.storageClass "gp3" is invalid: must be an IStorageClass \(received a string\)\. Fix: pass a DiskStorageClass, or DiskStorageClass\.fromStorageClassName\("gp3"\) for a class that exists in the cluster/],
    ['cpu.request as a string', () => new StatefulApp(chart(), 'web', js({ image: 'nginx:1.25.3', resources: { cpu: { request: '250m' } } })),
      /StatefulApp 'c\/web': resources\.cpu\.request "250m" is invalid: must be a cdk8s-plus Cpu \(received a string\)\. Fix: use Cpu\.millis\(250\) from cdk8s-plus-28/],
    ['a mountpath typo', () => new StatefulApp(chart(), 'web', js({ image: 'nginx:1.25.3', volumes: [{ name: 'data', mountpath: '/data', size: Size.gibibytes(1) }] })),
      /StatefulApp 'c\/web': volumes\[0\]\.mountpath "\/data" is invalid: is not a prop of VolumeClaimOptions \(known: .*\)\. Fix: did you mean mountPath\?/],
    ['an unknown prop', () => new StatefulApp(chart(), 'web', js({ image: 'nginx:1.25.3', replica: 3 })),
      /StatefulApp 'c\/web': replica 3 is invalid: is not a prop of StatefulAppProps \(known: .*replicas.*\)\. Fix: did you mean replicas\?/],
    ['an unknown DiskStorageClass prop', () => new DiskStorageClass(chart(), 'gp3', js({ provider: DiskProvider.AWS_EBS_GP3, encrypt: true })),
      /DiskStorageClass 'c\/gp3': encrypt true is invalid: is not a prop of DiskStorageClassProps \(known: .*\)\. Fix: did you mean encrypted\?/],
    ['a provider given by name', () => new DiskStorageClass(chart(), 'gp3', js({ provider: 'gp3' })),
      /DiskStorageClass 'c\/gp3': provider "gp3" is invalid: must be a DiskProvider \(received a string\)\. Fix: use a preset such as DiskProvider\.AWS_EBS_GP3/],
    ['replicas as a string', () => new ReplicatedMySql(chart(), 'db', js({ replicas: '3' })),
      /ReplicatedMySql 'c\/db': replicas "3" is invalid: must be a number \(received a string\)\. Fix: pass the number 3 without quotes/],
    ['props that are not an object', () => new StatefulApp(chart(), 'web', js('nginx:1.25.3')),
      /StatefulApp 'c\/web': props "nginx:1\.25\.3" is invalid: must be an object \(StatefulAppProps\)/],
  ])('%s', (_name, build, message) => {
    expect(build).toThrow(message);
  });

  test('an uppercase chart namespace is refused like the namespace prop', () => {
    const c = new Chart(Testing.app(), 'c', { namespace: 'Shop' });
    expect(() => new StatefulApp(c, 'web', { image: 'nginx:1.25.3' })).toThrow(
      /StatefulApp 'c\/web': namespace \(from the chart 'c'\) "Shop" is invalid: .*Fix: give the chart a namespace name such as "shop"/);
    expect(() => new ReplicatedMySql(new Chart(Testing.app(), 'c', { namespace: 'Shop' }), 'db')).toThrow(/namespace \(from the chart 'c'\) "Shop" is invalid/);
  });

  test('a refused construct leaves nothing in the tree', () => {
    const c = chart();
    expect(() => new ReplicatedMySql(c, 'db', js({ replicas: '3' }))).toThrow();
    expect(c.node.tryFindChild('db')).toBeUndefined();
    expect(() => new ReplicatedMySql(c, 'db', {})).not.toThrow();
  });
});

describe('the package a user installs', () => {
  test('runs no install script: npm pack drops `prepare` (which builds lib/ for installs from git) and puts it back after', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    expect(pkg.scripts.prepack).toMatch(/&& node scripts\/pack-manifest\.js strip$/);
    expect(pkg.scripts.postpack).toBe('node scripts/pack-manifest.js restore');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-manifest-'));
    try {
      const original = `${JSON.stringify(pkg, null, 2)}\n`;
      fs.writeFileSync(path.join(dir, 'package.json'), original);
      const run = (step: string) => execFileSync('node', [path.join(__dirname, '..', 'scripts', 'pack-manifest.js'), step], { env: { ...process.env, PACK_ROOT: dir } });
      run('strip');
      const packed = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      for (const lifecycle of ['preinstall', 'install', 'postinstall', 'prepare']) expect(packed.scripts[lifecycle]).toBeUndefined();
      expect(packed.scripts.build).toBe(pkg.scripts.build);
      run('restore');
      expect(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).toBe(original);
      // a pack that died between strip and restore: the next one starts from the original, not the stripped copy
      run('strip');
      run('strip');
      run('restore');
      expect(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).toBe(original);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
