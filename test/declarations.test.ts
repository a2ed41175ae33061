/**
 * The runtime checks for plain-JavaScript callers take an options object's props from its
 * interface (src/declarations.generated.ts, generated from src/index.ts): a typo in a nested
 * option is refused with the closest prop, and a prop added to an interface is checked without
 * a second declaration.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as kplus from 'cdk8s-plus-28';
import { declaredShape, Shape } from '../src/check';
import { DECLARED } from '../src/declarations.generated';
import { DiskProvider, EnvSource, HealthProbe, ReplicatedMySql, StatefulApp, UpdateStrategy } from '../src';
import { shapeOf } from '../src/shapes';
import { newChart } from './util';

/** What a plain-JavaScript caller can pass: any object, unchecked by the compiler. */
const js = (value: object | null): never => value as never;

test('src/declarations.generated.ts is what the interfaces declare today', () => {
  const script = path.join(__dirname, '../scripts/declarations/generate.js');
  expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
});

describe('a factory refuses an unknown or mistyped option when it is called, naming the call and the fix', () => {
  test.each([
    ['UpdateStrategy.rollingUpdate, a typo', () => UpdateStrategy.rollingUpdate(js({ partiton: 2 })),
      'UpdateStrategy.rollingUpdate(): partiton 2 is invalid: is not a prop of RollingUpdateOptions (known: partition, maxUnavailable). Fix: did you mean partition?'],
    ['UpdateStrategy.rollingUpdate, a quoted number', () => UpdateStrategy.rollingUpdate(js({ partition: '2' })),
      'UpdateStrategy.rollingUpdate(): partition "2" is invalid: must be a number (received a string). Fix: pass the number 2 without quotes'],
    ['UpdateStrategy.rollingUpdate, null', () => UpdateStrategy.rollingUpdate(js(null)),
      'UpdateStrategy.rollingUpdate(): options null is invalid: must be an object (RollingUpdateOptions). Fix: pass { partition, maxUnavailable } or nothing'],
    ['HealthProbe.tcpSocket, a Kubernetes field name', () => HealthProbe.tcpSocket(js({ periodSeconds: 5 })),
      'HealthProbe.tcpSocket(): periodSeconds 5 is invalid: is not a prop of TcpSocketHealthProbeOptions (known: initialDelay, period, timeout, failureThreshold, successThreshold, port). Fix: remove it'],
    ['HealthProbe.httpGet, an inherited option of the wrong type', () => HealthProbe.httpGet('/healthz', js({ timeout: 5 })),
      'HealthProbe.httpGet(): timeout 5 is invalid: must be a cdk8s Duration (received a number). Fix: use Duration.seconds(5) if you meant seconds (a number carries no unit)'],
    ['HealthProbe.httpGet, an enum as lower case', () => HealthProbe.httpGet('/healthz', js({ scheme: 'https' })),
      'HealthProbe.httpGet(): scheme "https" is invalid: is not a HttpScheme (one of "HTTP", "HTTPS"). Fix: use HttpScheme.HTTPS ("HTTPS")'],
    ['HealthProbe.exec, a typo', () => HealthProbe.exec(['true'], js({ failureTreshold: 3 })),
      'HealthProbe.exec(): failureTreshold 3 is invalid: is not a prop of HealthProbeOptions (known: initialDelay, period, timeout, failureThreshold, successThreshold). Fix: did you mean failureThreshold?'],
    ['EnvSource.fromSecretKey, a typo', () => EnvSource.fromSecretKey('api', 'token', js({ optinal: true })),
      'EnvSource.fromSecretKey(): optinal true is invalid: is not a prop of EnvReferenceOptions (known: optional). Fix: did you mean optional?'],
    ['EnvSource.fromConfigMapKey, a string for a boolean', () => EnvSource.fromConfigMapKey('settings', 'mode', js({ optional: 'yes' })),
      'EnvSource.fromConfigMapKey(): optional "yes" is invalid: must be true or false (received a string). Fix: pass true or false (without quotes)'],
    ['DiskProvider.custom, a typo', () => DiskProvider.custom('csi.example.com', js({ parameter: { tier: 'fast' } })),
      'DiskProvider.custom(): parameter {"tier":"fast"} is invalid: is not a prop of CustomProviderOptions (known: parameters, zonal). Fix: did you mean parameters?'],
  ])('%s', (_what, call, message) => {
    expect(call).toThrow(message);
  });

  test('valid options pass', () => {
    expect(UpdateStrategy.rollingUpdate({ partition: 2 }).partition).toBe(2);
    expect(() => HealthProbe.httpGet('/healthz', { port: 8080 })).not.toThrow();
  });
});

test('connectClient refuses a typo in its options, naming the database and the prop', () => {
  const chart = newChart();
  const mysql = new ReplicatedMySql(chart, 'db', { database: { name: 'shop', user: 'shop' } });
  const api = new kplus.Deployment(chart, 'api', { metadata: { name: 'api' }, containers: [{ image: 'shop/api:1.0.0' }] });
  expect(() => mysql.connectClient(api, js({ envPrefx: 'DB_' })))
    .toThrow('ReplicatedMySql \'test/db\': connectClient options.envPrefx "DB_" is invalid: is not a prop of MySqlClientOptions (known: container, clientSecretName, envPrefix). Fix: did you mean envPrefix?');
});

describe('the constructs\' props checks are derived from their interfaces', () => {
  const CHECKED = ['StatefulAppProps', 'ReplicatedMySqlProps', 'DiskStorageClassProps', 'ContainerOptions', 'ServiceOptions', 'VolumeClaimOptions', 'EmptyDirOptions'];

  test.each(CHECKED)('%s: every declared prop, each with a shape', (name) => {
    const shape = shapeOf(name);
    expect(Object.keys(shape.props)).toEqual(Object.keys(DECLARED[name]));
    expect(Object.values(shape.props).every((p) => p !== undefined)).toBe(true);
  });

  test('nested interfaces, lists, maps and enums are derived; classes come from the one table of src/shapes.ts', () => {
    const app = shapeOf('StatefulAppProps').props;
    expect(app.ports).toMatchObject({ t: 'array', of: { t: 'object', name: 'PortOptions', required: ['name', 'port'] } });
    expect((app.ports as { of: { props: { [p: string]: Shape } } }).of.props.protocol).toMatchObject({ t: 'enum', name: 'Protocol' });
    expect(app.env).toMatchObject({ t: 'map', of: { t: 'instance', name: 'EnvSource' } });
    expect(app.podLabels).toEqual({ t: 'map', of: { t: 'string' } });
    expect(app.updateStrategy).toMatchObject({ t: 'instance', name: 'UpdateStrategy' });
    expect(shapeOf('ReplicatedMySqlProps').props.storage).toMatchObject({ t: 'object', name: 'MySqlStorageOptions', props: { storageClass: { t: 'instance', name: 'IStorageClass' } } });
  });

  test('inherited props are checked first: of two wrong props, the shared one is reported', () => {
    const chart = newChart();
    expect(() => new StatefulApp(chart, 'web', js({ image: 'nginx:1.27.0', namespace: 5, replicas: 'two' })))
      .toThrow(/namespace 5 is invalid: must be a string/);
    expect(() => new StatefulApp(chart, 'web2', js({ image: 'nginx:1.27.0', spreadAcrossZodes: 'None' })))
      .toThrow(/is not a prop of StatefulAppProps \(known: name, namespace, updateStrategy, .*\)\. Fix: did you mean spreadAcrossZones\?/);
  });

  test('a required prop the construct checks itself, with its own fix, is left to it', () => {
    expect(shapeOf('StatefulAppProps').required).toEqual([]);
    expect(shapeOf('DiskStorageClassProps').required).toEqual([]);
    expect(shapeOf('VolumeClaimOptions').required).toEqual(['name', 'mountPath', 'size']);
  });
});

describe('declaredShape: a mistake in this library fails when its module loads', () => {
  test('an interface the public API does not export', () => {
    expect(() => declaredShape('NoSuchOptions')).toThrow('declaredShape: NoSuchOptions is not an interface src/index.ts exports');
  });
  test('a prop whose type has no shape', () => {
    expect(() => declaredShape('DiskStorageClassProps')).toThrow('declaredShape: DiskStorageClassProps.provider is of type DiskProvider: give its shape');
  });
  test('plain types, maps and nested interfaces are derived', () => {
    const shape = declaredShape('MySqlCertManagerOptions');
    expect(shape.required).toEqual(['issuerName']);
    expect(shape.props.duration).toEqual({ t: 'Duration' });
    expect(shape.props.issuerKind).toMatchObject({ t: 'enum', name: 'CertManagerIssuerKind' });
    expect(declaredShape('NetworkPolicyOptions').props.clientPodLabels).toEqual({ t: 'map', of: { t: 'string' } });
  });
});
