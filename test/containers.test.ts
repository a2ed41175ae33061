import { Size } from 'cdk8s';
import { ImagePullPolicy, Protocol } from 'cdk8s-plus-28';
import { AppContainer, EnvSource, HealthProbe, StatefulApp, StatefulAppProps, StatefulValidationError } from '../src';
import { find, newChart, synth, synthError, WEB } from './util';

function app(props: Partial<StatefulAppProps> = {}) {
  const chart = newChart();
  const web = new StatefulApp(chart, 'web', { ...WEB, ...props });
  return { chart, web, pod: () => find(synth(chart), 'StatefulSet', 'web').spec.template.spec };
}

/** Runs `setup`, then `refused` (which must throw); the app must synthesize as with `setup` alone. */
function expectNothingLeft(setup: (web: StatefulApp) => void, refused: (web: StatefulApp) => void, message: RegExp): void {
  const without = app();
  setup(without.web);
  const withRefused = app();
  setup(withRefused.web);
  expect(() => refused(withRefused.web)).toThrow(StatefulValidationError);
  expect(() => refused(withRefused.web)).toThrow(message);
  expect(synth(withRefused.chart)).toEqual(synth(without.chart));
}

describe('containers are objects', () => {
  test('addContainer and addInitContainer return the container; the props\' ones are found by name', () => {
    const { web } = app({ sidecars: [{ name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.1.0' }] });
    const shipper = web.addContainer({ name: 'log-shipper', image: 'fluent/fluent-bit:3.2.2' });
    const migrate = web.addInitContainer({ name: 'migrate', image: 'shop/migrate:1.0.0' });
    expect(shipper).toBeInstanceOf(AppContainer);
    expect([shipper.name, migrate.name, web.mainContainer.name]).toEqual(['log-shipper', 'migrate', 'web']);
    expect(web.findContainer('exporter')?.name).toBe('exporter');
    expect(web.findContainer('log-shipper')).toBe(shipper);
    expect(web.findContainer('nope')).toBeUndefined();
  });

  test('a container\'s env, mounts and ports added after it, in the YAML', () => {
    const { web, pod } = app();
    web.addEmptyDir({ name: 'logs', sizeLimit: Size.mebibytes(100) });
    const shipper = web.addContainer({ name: 'log-shipper', image: 'fluent/fluent-bit:3.2.2', env: { A: EnvSource.fromValue('1') } });
    shipper.addEnv('B', EnvSource.fromValue('2'));
    shipper.addEnv('A', EnvSource.fromValue('3'));
    shipper.addMount({ volume: 'logs', mountPath: '/logs', readOnly: true });
    shipper.addPort({ name: 'metrics', port: 2020 });
    const c = pod().containers[1];
    expect(c.env).toEqual([{ name: 'B', value: '2' }, { name: 'A', value: '3' }]);
    expect(c.volumeMounts).toEqual([{ name: 'logs', mountPath: '/logs', readOnly: true }]);
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 2020 }]);
    expect(shipper.env).toEqual({ B: EnvSource.fromValue('2'), A: EnvSource.fromValue('3') });
    expect(shipper.ports).toEqual([{ name: 'metrics', port: 2020 }]);
  });

  test('a port added to the main container is exposed by the Services; one on a sidecar can be named by a Service', () => {
    const { chart, web } = app({ readService: {} });
    web.mainContainer.addPort({ name: 'admin', port: 9090, servicePort: 90 });
    const svc = web.addService('Metrics', { ports: ['metrics'] });
    web.addContainer({ name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.1.0' }).addPort({ name: 'metrics', port: 9113 });
    const objects = synth(chart);
    for (const name of ['web', 'web-read']) {
      expect(find(objects, 'Service', name).spec.ports.map((p: any) => [p.name, p.port])).toEqual([['http', 8080], ['admin', 90]]);
    }
    expect(find(objects, 'Service', svc.name).spec.ports).toEqual([{ name: 'metrics', port: 9113, targetPort: 'metrics' }]);
  });

  test('the main container mounts a volume by name, like the props\' mounts', () => {
    const { web, pod } = app({ podVolumes: [{ name: 'certs', secret: { secretName: 'web-certs' } }] });
    web.mainContainer.addMount({ volume: 'certs', mountPath: '/etc/certs', readOnly: true });
    expect(pod().containers[0].volumeMounts).toContainEqual({ name: 'certs', mountPath: '/etc/certs', readOnly: true });
  });

  test('workingDir on the main container, imagePullPolicy on a sidecar', () => {
    const { web, pod } = app({ workingDir: '/srv' });
    web.addContainer({ name: 'side', image: 'fluent/fluent-bit:3.2.2', imagePullPolicy: ImagePullPolicy.ALWAYS, workingDir: '/work' });
    const [main, side] = pod().containers;
    expect(main.workingDir).toBe('/srv');
    expect([side.imagePullPolicy, side.workingDir]).toEqual(['Always', '/work']);
  });
});

describe('a container\'s mutators check their own input at the call', () => {
  const setup = (web: StatefulApp) => {
    web.addContainer({ name: 'log', image: 'fluent/fluent-bit:3.2.2', ports: [{ name: 'metrics', port: 2020 }], mounts: [{ volume: 'www', mountPath: '/www' }] });
  };
  const log = (web: StatefulApp) => web.findContainer('log')!;

  test.each<[string, (web: StatefulApp) => void, RegExp]>([
    ['an env name', (web) => log(web).addEnv('1X', EnvSource.fromValue('a')),
      /^StatefulApp 'test\/web': container\("log"\)\.addEnv\("1X"\) name "1X" is invalid: .*Fix: use a name like DATABASE_URL$/],
    ['a credential as a literal', (web) => log(web).addEnv('API_TOKEN', EnvSource.fromValue('s3cr3t')),
      /container\("log"\)\.addEnv\("API_TOKEN"\)\.API_TOKEN "\(literal value hidden\)" is invalid: is a literal, and API_TOKEN looks like a credential.*Fix: keep it in a Secret/],
    ['a value that is not an EnvSource', (web) => log(web).addEnv('MODE', 'x' as unknown as EnvSource),
      /container\("log"\)\.addEnv\("MODE"\) value "x" is invalid: must be an EnvSource \(received a string\)\. Fix: use EnvSource\.fromValue\(\.\.\.\)/],
    ['a secret reference of a bad name', (web) => log(web).addEnv('TOKEN', EnvSource.fromSecretKey('My_Secret', 'token')),
      /container\("log"\)\.addEnv\("TOKEN"\)\.TOKEN \(Secret name\) "My_Secret" is invalid/],
    ['a relative mount path', (web) => log(web).addMount({ volume: 'www', mountPath: 'logs' }),
      /container\("log"\)\.addMount\("logs"\)\.mountPath "logs" is invalid: must be an absolute path.*Fix: use an absolute path such as "\/data"/],
    ['a mount path taken in the container', (web) => log(web).addMount({ volume: 'www', mountPath: '/www/' }),
      /container\("log"\)\.addMount\("\/www\/"\)\.mountPath "\/www\/" is invalid: is already a mount point in this container\. Fix: give each mount its own path/],
    ['a mount path the main container has from a volume', (web) => web.mainContainer.addMount({ volume: 'www', mountPath: '/usr/share/nginx/html' }),
      /container\("web"\)\.addMount\("\/usr\/share\/nginx\/html"\)\.mountPath "\/usr\/share\/nginx\/html" is invalid: is already a mount point in this container/],
    ['a sub path with ..', (web) => log(web).addMount({ volume: 'www', mountPath: '/x', subPath: '../etc' }),
      /container\("log"\)\.addMount\("\/x"\)\.subPath "\.\.\/etc" is invalid: must be a relative path without "\.\."/],
    ['a typo in a mount', (web) => log(web).addMount({ volume: 'www', mountPath: '/x', readonly: true } as any),
      /container\("log"\)\.addMount\("\/x"\)\.readonly true is invalid: is not a prop of VolumeMountOptions .*Fix: did you mean readOnly\?/],
    ['a port name', (web) => log(web).addPort({ name: 'a-very-long-port-name', port: 80 }),
      /container\("log"\)\.addPort\("a-very-long-port-name"\)\.name "a-very-long-port-name" is invalid: must be at most 15 characters/],
    ['a port number out of range', (web) => log(web).addPort({ name: 'admin', port: 70000 }),
      /container\("log"\)\.addPort\("admin"\)\.port 70000 is invalid: must be an integer between 1 and 65535/],
    ['a port name taken in the container', (web) => log(web).addPort({ name: 'metrics', port: 2021 }),
      /container\("log"\)\.addPort\("metrics"\)\.name "metrics" is invalid: is used by another port\. Fix: give each port a unique name/],
    ['a port number taken in the container', (web) => log(web).addPort({ name: 'other', port: 2020, protocol: Protocol.TCP }),
      /container\("log"\)\.addPort\("other"\)\.port 2020 is invalid: is declared twice for TCP/],
    ['a port of the main container taken', (web) => web.mainContainer.addPort({ name: 'http', port: 8081 }),
      /container\("web"\)\.addPort\("http"\)\.name "http" is invalid: is used by another port/],
  ])('%s, and the refused call leaves nothing behind', (_what, refused, message) => {
    expectNothingLeft(setup, refused, message);
  });
});

describe('the app\'s add calls check their own input at the call, and a refused one leaves nothing behind', () => {
  test.each<[string, (web: StatefulApp) => void, RegExp]>([
    ['addEnv: a credential as a literal', (web) => web.addEnv('DB_PASSWORD', EnvSource.fromValue('hunter2'), { container: 'later' }),
      /addEnv\("DB_PASSWORD"\)\.DB_PASSWORD "\(literal value hidden\)" is invalid/],
    ['addEnv: a typo in the options', (web) => web.addEnv('MODE', EnvSource.fromValue('a'), { containr: 'x' } as any),
      /addEnv\("MODE"\) options\.containr "x" is invalid: is not a prop of AddEnvOptions \(known: container\)\. Fix: did you mean container\?/],
    ['addContainer: a name taken', (web) => web.addContainer({ name: 'web' }), /addContainer\("web"\)\.name "web" is invalid: is the name of another container/],
    ['addContainer: a bad env', (web) => web.addContainer({ name: 'side', env: { API_KEY: EnvSource.fromValue('k') } }),
      /addContainer\("side"\)\.env\.API_KEY "\(literal value hidden\)" is invalid/],
    ['addContainer: nothing', (web) => web.addContainer(undefined as any), /addContainer\(undefined\) \(unset\) is invalid: must be a ContainerOptions/],
    ['addInitContainer: probes', (web) => web.addInitContainer({ name: 'init', readinessProbe: HealthProbe.exec(['true']) }),
      /addInitContainer\("init"\) "init" is invalid: declares probes/],
    ['addVolume: a relative mount path', (web) => web.addVolume({ name: 'cache', mountPath: 'cache', size: Size.gibibytes(1) }),
      /addVolume\("cache"\)\.mountPath "cache" is invalid: must be an absolute path/],
    ['addVolume: a mount path taken', (web) => web.addVolume({ name: 'cache', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1) }),
      /addVolume\("cache"\)\.mountPath "\/usr\/share\/nginx\/html" is invalid: is already a mount point in this container/],
    ['addVolume: a zero size', (web) => web.addVolume({ name: 'cache', mountPath: '/cache', size: Size.gibibytes(0) }),
      /addVolume\("cache"\)\.size "0" is invalid: must be greater than zero/],
    ['addEmptyDir: a bad name', (web) => web.addEmptyDir({ name: 'Scratch' }), /addEmptyDir\("Scratch"\)\.name "Scratch" is invalid: must consist of lower case/],
    ['addConfigFile: content that is not a string', (web) => web.addConfigFile('a.conf', 1 as unknown as string),
      /addConfigFile\("a\.conf"\) content 1 is invalid: must be a string \(received a number\)\. Fix: quote it: "1"/],
    ['addConfigFile: over 1 MiB', (web) => web.addConfigFile('big', 'x'.repeat(1024 * 1024)),
      /addConfigFile\("big"\) "1048579 bytes" is invalid: would make the files exceed the 1 MiB a ConfigMap can hold/],
  ])('%s', (_what, refused, message) => {
    expectNothingLeft(() => undefined, refused, message);
  });

  test('addConfigFile: the config volume it brings clashes with a volume named config', () => {
    expectNothingLeft((web) => web.addEmptyDir({ name: 'config', mountPath: '/config' }), (web) => web.addConfigFile('a.conf', 'a'),
      /addConfigFile\("a\.conf"\) "a\.conf" is invalid: brings the config volume "config", but the pod has another volume of that name\. Fix: rename that volume/);
  });

  test('a refused addContainer keeps the variables waiting for that name', () => {
    const { chart, web, pod } = app();
    web.addEnv('MODE', EnvSource.fromValue('x'), { container: 'side' });
    expect(() => web.addContainer({ name: 'side', image: 'busybox' })).toThrow(/addContainer\("side"\)\.image "busybox" is invalid: is not pinned/);
    expect(synthError(chart)).toMatch(/addEnv\("MODE"\)\.container "side" is invalid: is not a container of the pod/);
    web.addContainer({ name: 'side', image: 'busybox:1.36.1' });
    expect(pod().containers[1].env).toEqual([{ name: 'MODE', value: 'x' }]);
  });
});

describe('references to what a later call may add are checked once, at synth', () => {
  test('a mount of a volume added later, and variables for a container added later, are fine', () => {
    const { web, pod } = app();
    const side = web.addContainer({ name: 'side', image: 'fluent/fluent-bit:3.2.2' });
    side.addMount({ volume: 'logs', mountPath: '/logs' });
    web.mainContainer.addMount({ volume: 'logs', mountPath: '/var/log/nginx' });
    web.addEnv('A', EnvSource.fromValue('1'), { container: 'init' });
    web.addEnv('B', EnvSource.fromValue('2'), { container: 'init' });
    web.addEmptyDir({ name: 'logs' });
    web.addInitContainer({ name: 'init', env: { C: EnvSource.fromValue('3') } });
    const p = pod();
    expect(p.containers[1].volumeMounts).toEqual([{ name: 'logs', mountPath: '/logs' }]);
    expect(p.containers[0].volumeMounts).toContainEqual({ name: 'logs', mountPath: '/var/log/nginx' });
    expect(p.initContainers[0].env).toEqual([{ name: 'C', value: '3' }, { name: 'A', value: '1' }, { name: 'B', value: '2' }]);
  });

  test('a mount of a volume that never came is refused at synth, naming the call', () => {
    const { chart, web } = app();
    web.addContainer({ name: 'side', image: 'fluent/fluent-bit:3.2.2' }).addMount({ volume: 'logs', mountPath: '/logs' });
    expect(synthError(chart)).toMatch(
      /StatefulApp 'test\/web': container\("side"\)\.addMount\("\/logs"\)\.volume "logs" is invalid: is not a volume of this pod \(volumes: www, tmp\)\. Fix: mount one of the listed volumes/);
  });

  test('a variable for a container that never came is refused at synth', () => {
    const { chart, web } = app();
    web.addContainer({ name: 'side', image: 'fluent/fluent-bit:3.2.2' });
    web.addEnv('MODE', EnvSource.fromValue('x'), { container: 'sidecar' });
    expect(synthError(chart)).toMatch(/addEnv\("MODE"\)\.container "sidecar" is invalid: is not a container of the pod \(containers: web, side\)\. Fix: name one of them, or add the container first/);
  });

  test('a sidecar port named like a port of the main container is refused at synth', () => {
    const { chart, web } = app();
    web.addContainer({ name: 'side', image: 'fluent/fluent-bit:3.2.2' }).addPort({ name: 'http', port: 2020 });
    expect(synthError(chart)).toMatch(/sidecars ports "http" is invalid: is also the name of another port in the pod/);
  });
});

describe('a container keeps copies of what it is given and what it gives out', () => {
  test('changing a port or mount object afterwards (plain JavaScript) changes nothing the app emits', () => {
    const port = { name: 'http', port: 8080 };
    const { chart, web } = app({ ports: [port] });
    port.port = 70000;
    (web.mainContainer.ports[0] as { port: number }).port = 70001;
    const objects = synth(chart);
    expect(find(objects, 'StatefulSet', 'web').spec.template.spec.containers[0].ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(find(objects, 'NetworkPolicy', 'web').spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 8080 }]);
  });
});

describe('preStop', () => {
  test('the main container and a sidecar get an exec preStop hook; containers without one get no lifecycle', () => {
    const { pod } = app({
      preStop: ['sh', '-c', 'sleep 5'],
      sidecars: [{ name: 'shipper', image: 'fluent/fluent-bit:3.2.2', preStop: ['/bin/flush'] }, { name: 'idle', image: 'busybox:1.36.1' }],
    });
    const [main, shipper, idle] = pod().containers;
    expect(main.lifecycle).toEqual({ preStop: { exec: { command: ['sh', '-c', 'sleep 5'] } } });
    expect(shipper.lifecycle).toEqual({ preStop: { exec: { command: ['/bin/flush'] } } });
    expect(idle.lifecycle).toBeUndefined();
  });
});

describe('helper containers and the main container\'s env', () => {
  const DB_HOST = { DB_HOST: EnvSource.fromValue('db') };
  test.each([
    ['its own copy of the variable', { env: DB_HOST, command: ['sh', '-c', 'migrate --host "$DB_HOST" --to $(DB_HOST)'] }],
    ['a variable the script sets itself', { command: ['sh', '-c', 'DB_HOST=localhost; migrate --host "$DB_HOST"'] }],
    ['a longer name that starts the same', { command: ['sh', '-c', 'echo "$DB_HOST_2" ${DB_HOSTS}'] }],
    ['shell command substitution of a name the main container lacks', { command: ['sh', '-c', 'echo $(date) $(hostname)'] }],
    ['Kubernetes\' escape for a literal $(...)', { command: ['sh', '-c', 'echo $$(DB_HOST)'] }],
    ['a variable the runtime sets in every container, though the main container sets it too', { command: ['sh', '-c', 'cd "$HOME"'] }],
    ['a name that only looks like a dotted one', { command: ['sh', '-c', 'echo $aXb'] }],
  ])('an init container with %s is accepted', (_what, init) => {
    const { pod } = app({ env: { ...DB_HOST, 'HOME': EnvSource.fromValue('/tmp'), 'a.b': EnvSource.fromValue('x') }, initContainers: [{ name: 'migrate', ...init }] });
    expect(pod().initContainers[0].name).toBe('migrate');
  });

  test.each([
    ['a default expansion', { command: ['sh', '-c', 'migrate --host "${DB_HOST:-localhost}"'] }, 'initContainers[0]'],
    ['its preStop command', { preStop: ['sh', '-c', 'curl "$DB_HOST/drain"'] }, 'sidecars[0]'],
  ])('a helper using a main-only variable in %s is refused', (_what, options, prop) => {
    const helper = { name: 'helper', ...options };
    const props = prop.startsWith('init') ? { initContainers: [helper] } : { sidecars: [helper] };
    expect(() => app({ env: DB_HOST, ...props }).pod()).toThrow(new RegExp(`${prop.replace(/[[\]]/g, '\\$&')} "helper" is invalid: uses the variable DB_HOST`));
  });
});
