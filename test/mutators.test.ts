import { Size, Testing } from 'cdk8s';
import { EnvSource, HealthProbe, ReplicatedMySql, StatefulApp, StatefulAppProps, StatefulValidationError } from '../src';
import { find, Manifest, newChart, synth, synthError, WEB } from './util';

function app(props: Partial<StatefulAppProps> = {}) {
  const chart = newChart();
  const web = new StatefulApp(chart, 'web', { ...WEB, ...props });
  return { chart, web, render: () => synth(chart), pod: () => find(synth(chart), 'StatefulSet', 'web').spec.template.spec };
}
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
describe('addEnv', () => {
  test('a variable added after construction is in the YAML, after the props\' ones', () => {
    const { web, pod } = app({ env: { MODE: EnvSource.fromValue('primary') } });
    web.addEnv('LOG_LEVEL', EnvSource.fromValue('debug'));
    web.addEnv('DB_PASSWORD', EnvSource.fromSecretKey('db', 'password'));
    expect(pod().containers[0].env).toEqual([
      { name: 'MODE', value: 'primary' },
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    ]);
  });

  test('a later variable of the same name replaces the earlier one', () => {
    const { web, pod } = app({ env: { MODE: EnvSource.fromValue('primary') } });
    web.addEnv('MODE', EnvSource.fromValue('replica'));
    expect(pod().containers[0].env).toEqual([{ name: 'MODE', value: 'replica' }]);
  });

  test('into a sidecar added later: checked at synth, so the order of the calls does not matter', () => {
    const { web, pod } = app();
    web.addEnv('SCRAPE', EnvSource.fromValue('yes'), { container: 'metrics' });
    web.addContainer({ name: 'metrics', image: 'nginx/nginx-prometheus-exporter:1.1.0', ports: [{ name: 'metrics', port: 9113 }] });
    expect(envOf(pod().containers[1])).toEqual({ SCRAPE: 'yes' });
  });

  test('a late invalid one is refused at synth with the construct path: a container that never came', () => {
    const { chart, web } = app();
    web.addEnv('SCRAPE', EnvSource.fromValue('yes'), { container: 'metrics' });
    expect(synthError(chart)).toMatch(/StatefulApp 'test\/web': addEnv\("SCRAPE"\)\.container "metrics" is invalid: is not a container of the pod \(containers: web\)\. Fix: name one of them, or add the container first/);
  });

  test('refused at the call: a bad name, a credential-looking literal, a value that is not an EnvSource', () => {
    const { web, pod } = app();
    expect(() => web.addEnv('1X', EnvSource.fromValue('a'))).toThrow(/StatefulApp 'test\/web': addEnv\("1X"\) name "1X" is invalid/);
    expect(() => web.addEnv('API_TOKEN', EnvSource.fromValue('s3cr3t'))).toThrow(/addEnv\("API_TOKEN"\)\.API_TOKEN "\(literal value hidden\)" is invalid: is a literal, and API_TOKEN looks like a credential/);
    expect(() => web.addEnv('MODE', 'primary' as unknown as EnvSource)).toThrow(/addEnv\("MODE"\) value "primary" is invalid: must be an EnvSource \(received a string\)\. Fix: use EnvSource\.fromValue/);
    // nothing refused was kept
    expect(pod().containers[0].env).toBeUndefined();
  });
});

describe('addContainer and addInitContainer', () => {
  test('a sidecar and an init container added later, with the inherited defaults', () => {
    const { web, pod } = app();
    web.addContainer({ name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.1.0', ports: [{ name: 'metrics', port: 9113 }], readinessProbe: HealthProbe.httpGet('/metrics') });
    web.addInitContainer({ name: 'seed', command: ['sh', '-c', 'true'], mounts: [{ volume: 'www', mountPath: '/www' }] });
    const p = pod();
    expect(p.containers.map((c: any) => c.name)).toEqual(['web', 'exporter']);
    expect(p.initContainers).toEqual([expect.objectContaining({ name: 'seed', image: WEB.image, volumeMounts: [{ name: 'www', mountPath: '/www' }] })]);
    expect(p.containers[1].securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true });
  });

  test('refused at the call: a duplicate name, probes on an init container, a typo in a prop', () => {
    const { web } = app();
    expect(() => web.addContainer({ name: 'web' })).toThrow(/StatefulApp 'test\/web': addContainer\("web"\)\.name "web" is invalid: is the name of another container in the pod/);
    expect(() => web.addInitContainer({ name: 'x', readinessProbe: HealthProbe.tcpSocket({ port: 1 }) })).toThrow(/addInitContainer\("x"\) "x" is invalid: declares probes, but init containers run to completion/);
    expect(() => web.addContainer({ name: 'y', mounts: [{ volume: 'www', mountpath: '/x' } as any] })).toThrow(/addContainer\("y"\)\.mounts\[0\]\.mountpath "\/x" is invalid: is not a prop of VolumeMountOptions \(known: volume, mountPath, subPath, readOnly\)\. Fix: did you mean mountPath\?/);
  });

  test('a sidecar mounting a volume added after it: fine at synth', () => {
    const { web, pod } = app();
    web.addContainer({ name: 'shipper', mounts: [{ volume: 'logs', mountPath: '/logs' }] });
    web.addEmptyDir({ name: 'logs', sizeLimit: Size.mebibytes(100) });
    expect(pod().containers[1].volumeMounts).toEqual([{ name: 'logs', mountPath: '/logs' }]);
  });
});

describe('addVolume, addEmptyDir, addConfigFile', () => {
  test('a claim template added later gets its mount and its claim', () => {
    const { web, render } = app();
    web.addVolume({ name: 'cache', mountPath: '/cache', size: Size.gibibytes(2) });
    const sts = find(render(), 'StatefulSet', 'web');
    expect(sts.spec.volumeClaimTemplates.map((c: any) => [c.metadata.name, c.spec.resources.requests.storage])).toEqual([['www', '1Gi'], ['cache', '2Gi']]);
    expect(sts.spec.template.spec.containers[0].volumeMounts.map((m: any) => m.mountPath)).toContain('/cache');
    expect(web.pvcName('cache', 1)).toBe('cache-web-1');
  });

  test('an emptyDir added later (and its sizeLimit counts in the ephemeral-storage limit)', () => {
    const { web, pod } = app();
    web.addEmptyDir({ name: 'scratch', mountPath: '/scratch', sizeLimit: Size.gibibytes(1) });
    const p = pod();
    expect(p.volumes).toContainEqual({ name: 'scratch', emptyDir: { sizeLimit: '1Gi' } });
    expect(p.containers[0].resources.limits['ephemeral-storage']).toBe(`${256 + 1024 + 1024}Mi`);
  });

  test('refused at the call: a volume name taken, a size that is not a Size', () => {
    const { web } = app();
    expect(() => web.addVolume({ name: 'www', mountPath: '/w2', size: Size.gibibytes(1) })).toThrow(/addVolume\("www"\)\.name "www" is invalid: is already the name of another volume of this pod/);
    expect(() => web.addEmptyDir({ name: 'x', sizeLimit: '1Gi' as unknown as Size })).toThrow(/addEmptyDir\("x"\)\.sizeLimit "1Gi" is invalid: must be a cdk8s Size \(received a string\)\. Fix: use Size\.gibibytes\(1\)/);
  });

  test('a config file creates the ConfigMap when the app has none, and rolls the pods (checksum)', () => {
    const { web, render } = app();
    expect(web.configMap).toBeUndefined();
    web.addConfigFile('app.conf', 'a = 1\n');
    const objects = render();
    expect(find(objects, 'ConfigMap', 'web-config').data).toEqual({ 'app.conf': 'a = 1\n' });
    expect(web.configMap?.name).toBe('web-config');
    const checksum = find(objects, 'StatefulSet', 'web').spec.template.metadata.annotations['checksum/config'];
    web.addConfigFile('more.conf', 'b = 2\n');
    expect(find(render(), 'StatefulSet', 'web').spec.template.metadata.annotations['checksum/config']).not.toBe(checksum);
  });

  test('a config file beside the props\' files; a duplicate file is refused', () => {
    const { web, render } = app({ config: { files: { 'a.conf': 'a' }, mountPath: '/etc/app' } });
    web.addConfigFile('b.conf', 'b');
    expect(Object.keys(find(render(), 'ConfigMap', 'web-config').data)).toEqual(['a.conf', 'b.conf']);
    expect(() => web.addConfigFile('a.conf', 'again')).toThrow(/addConfigFile\("a\.conf"\) "a\.conf" is invalid: is already a file of the ConfigMap/);
    expect(() => web.addConfigFile('bad name', 'x')).toThrow(/addConfigFile\("bad name"\) "bad name" is invalid: must consist of letters, digits/);
  });
});

describe('addService', () => {
  test('a Service added later, exposing a sidecar port added after it (ports are checked at synth)', () => {
    const { web, render } = app();
    const svc = web.addService('Metrics', { ports: ['metrics'] });
    web.addContainer({ name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.1.0', ports: [{ name: 'metrics', port: 9113 }] });
    expect(svc.name).toBe('web-metrics');
    expect(find(render(), 'Service', 'web-metrics').spec.ports).toEqual([{ name: 'metrics', port: 9113, targetPort: 'metrics' }]);
  });

  test('a port that never came is refused at synth with the construct path', () => {
    const { chart, web } = app();
    web.addService('Metrics', { ports: ['metrics'] });
    expect(synthError(chart)).toMatch(/StatefulApp 'test\/web': addService\("Metrics"\)\.ports\[0\] "metrics" is invalid: is not a port of the app \(ports: http\)/);
  });

  test('an id of the app\'s own objects, or one used twice, is refused with the ids in use (not a raw constructs error)', () => {
    const { web } = app();
    expect(() => web.addService('Service')).toThrow(/StatefulApp 'test\/web': addService\("Service"\) id "Service" is invalid: is already taken by another object of the app \(ids in use: Resource, Service, DisruptionBudget, NetworkPolicy\)\. Fix: pick another id/);
    web.addService('Primary', { podOrdinal: 0 });
    expect(() => web.addService('Primary')).toThrow(StatefulValidationError);
  });
});

describe('addLabel and addAnnotation reach every object and pod', () => {
  test('labels on every object and the pod template, never on claim templates or selectors', () => {
    const { web, render } = app({ readService: {}, config: { files: { a: 'b' } } });
    web.addService('Primary', { podOrdinal: 0 });
    web.addLabel('team', 'payments');
    const objects = render();
    for (const o of objects) expect([o.kind, o.metadata.labels.team]).toEqual([o.kind, 'payments']);
    const sts = find(objects, 'StatefulSet', 'web');
    expect(sts.spec.template.metadata.labels.team).toBe('payments');
    expect(sts.spec.selector.matchLabels.team).toBeUndefined();
    expect(sts.spec.volumeClaimTemplates[0].metadata.labels.team).toBeUndefined();
    expect(web.labels.team).toBe('payments');
  });

  test('a ConfigMap created after the label gets it too', () => {
    const { web, render } = app();
    web.addLabel('team', 'payments');
    web.addConfigFile('a.conf', 'a');
    expect(find(render(), 'ConfigMap', 'web-config').metadata.labels.team).toBe('payments');
  });

  test('annotations on every object, not on pods', () => {
    const { web, render } = app();
    web.addAnnotation('example.com/owner', 'team-a');
    const objects = render();
    // (besides the scanners' skip annotations: test/scanner-annotations.test.ts)
    for (const o of objects) expect(o.metadata.annotations).toMatchObject({ 'example.com/owner': 'team-a' });
    for (const o of objects) expect(Object.keys(o.metadata.annotations).filter((k) => !/^(checkov\.io|kube-score)\//.test(k))).toEqual(['example.com/owner']);
    expect(find(objects, 'StatefulSet', 'web').spec.template.metadata.annotations).toBeUndefined();
  });

  test('refused: selector and managed-by keys, bad keys and values', () => {
    const { web } = app();
    expect(() => web.addLabel('app.kubernetes.io/instance', 'x')).toThrow(/addLabel key "app\.kubernetes\.io\/instance" is invalid: is set by the library/);
    expect(() => web.addLabel('team', 'a b')).toThrow(/addLabel\.team "a b" is invalid/);
    expect(() => web.addAnnotation('bad key!', 'x')).toThrow(/addAnnotation key "bad key!" is invalid/);
  });

  test('on a ReplicatedMySql, through its app, the MySQL objects keep theirs', () => {
    const chart = newChart('mysql');
    const mysql = new ReplicatedMySql(chart, 'mysql', {});
    mysql.app.addLabel('team', 'data');
    const objects = Testing.synth(chart) as Manifest[];
    expect(find(objects, 'StatefulSet', 'mysql').spec.template.metadata.labels.team).toBe('data');
    expect(find(objects, 'Service', 'mysql-primary').metadata.labels.team).toBe('data');
  });
});

describe('podVolumes, addPodLabel, containerNames: what ReplicatedMySql builds on, public', () => {
  test('a pod volume of another source is passed through and can be mounted by name', () => {
    const { pod } = app({
      podVolumes: [{ name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }] } }],
      mounts: [{ volume: 'token', mountPath: '/var/run/token', readOnly: true }],
    });
    expect(pod().volumes).toContainEqual({ name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }] } });
    expect(pod().containers[0].volumeMounts).toContainEqual({ name: 'token', mountPath: '/var/run/token', readOnly: true });
  });

  test('a pod volume shares the volumes\' name space: a second "www" is refused', () => {
    expect(() => app({ podVolumes: [{ name: 'www', emptyDir: {} }] }))
      .toThrow(/podVolumes\[0\]\.name "www" is invalid: is already the name of another volume of this pod/);
  });

  test('a pod volume must be an object with a name and exactly one source', () => {
    expect(() => app({ podVolumes: [null as any] })).toThrow(/podVolumes\[0\] null is invalid: must be a k8s\.Volume .*Fix: pass a Kubernetes Volume/);
    expect(() => app({ podVolumes: [{ name: 'certs' }] }))
      .toThrow(/podVolumes\[0\] \{"name":"certs"\} is invalid: must have exactly one volume source besides its name \(has none\)/);
    expect(() => app({ podVolumes: [{ name: 'certs', secret: { secretName: 'a' }, emptyDir: {} }] }))
      .toThrow(/must have exactly one volume source besides its name \(has secret, emptyDir\)/);
  });

  test('an emptyDir added with the name of one of ReplicatedMySql\'s pod volumes is refused at the call that adds it', () => {
    const chart = newChart();
    const db = new ReplicatedMySql(chart, 'db', {});
    expect(() => db.app.addEmptyDir({ name: 'kube-api', mountPath: '/x' }))
      .toThrow(/addEmptyDir\("kube-api"\)\.name "kube-api" is invalid: is already the name of another volume of this pod/);
  });

  test('addPodLabel labels the pods, not the StatefulSet, and is checked', () => {
    const { web, render } = app();
    web.addPodLabel('team', 'payments');
    const sts = find(render(), 'StatefulSet', 'web');
    expect(sts.spec.template.metadata.labels.team).toBe('payments');
    expect(sts.metadata.labels.team).toBeUndefined();
    expect(() => web.addPodLabel('team', 'not a label value')).toThrow(StatefulValidationError);
  });

  test('containerNames lists the main container, the sidecars, then the init containers', () => {
    const { web } = app();
    web.addContainer({ name: 'log-shipper', image: 'fluent/fluent-bit:3.0.7' });
    web.addInitContainer({ name: 'migrate', image: 'shop/migrate:1.0.0' });
    expect(web.containerNames).toEqual(['web', 'log-shipper', 'migrate']);
  });
});
