import { Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import {
  AccessMode, DisruptionBudget, EnvSource, HealthProbe, PvcRetention, SpreadMode, StatefulApp, StatefulAppProps, StatefulValidationError,
  UpdateStrategy,
} from '../src';
import { ServiceType } from 'cdk8s-plus-28';
import { newChart } from './util';

const BASE: StatefulAppProps = {
  image: 'nginxinc/nginx-unprivileged:1.25.3',
  replicas: 3,
  ports: [{ name: 'http', port: 8080 }],
  volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1) }],
};
const vol = (over: object) => [{ ...BASE.volumes![0], ...over }];

// Each row: what is wrong, the props, and the parts the message must contain (prop, value, problem, fix).
const INVALID: Array<[string, Partial<StatefulAppProps> & { id?: string }, RegExp]> = [
  ['name not DNS-1035', { name: 'Web_1' }, /name "Web_1" is invalid: must consist of lower case letters.*Fix: pass a name/],
  ['name starts with a digit', { name: '1web' }, /name "1web" is invalid: .*start with a letter/],
  ['name from the construct id', { id: 'My App' }, /name \(from the construct id\) "My App" is invalid/],
  ['name over 52 characters', { name: 'a'.repeat(53) }, /name "a{53}" is invalid: must be at most 52 characters \(has 53\): the StatefulSet controller appends.*Fix:/],
  ['empty image', { image: '' }, /image "" is invalid: must name a container image\. Fix: pass an image/],
  ['image with spaces', { image: 'nginx 1.25' }, /image "nginx 1.25" is invalid: is not a valid image reference/],
  ['unpinned image: latest', { image: 'nginx:latest' }, /image "nginx:latest" is invalid: is not pinned \(tag "latest"\).*Fix: pin a version tag or digest, e\.g\. "nginx:1\.2\.3", or set allowUnpinnedImage: true/],
  ['unpinned image: no tag', { image: 'registry.example.com:5000/team/nginx' }, /is not pinned \(no tag\).*"registry\.example\.com:5000\/team\/nginx:1\.2\.3"/],
  ['negative replicas', { replicas: -1 }, /replicas -1 is invalid: must be an integer between 0 and 1000000\. Fix: set replicas to 0 or more/],
  ['fractional replicas', { replicas: 1.5 }, /replicas 1\.5 is invalid: must be an integer/],
  ['port 0', { ports: [{ name: 'http', port: 0 }] }, /ports\[0\]\.port 0 is invalid: must be an integer between 1 and 65535/],
  ['port 70000', { ports: [{ name: 'http', port: 70000 }] }, /ports\[0\]\.port 70000 is invalid/],
  ['service port out of range', { ports: [{ name: 'http', port: 8080, servicePort: 65536 }] }, /ports\[0\]\.servicePort 65536 is invalid/],
  ['port name too long', { ports: [{ name: 'a-very-long-port-name', port: 80 }] }, /ports\[0\]\.name "a-very-long-port-name" is invalid: must be at most 15 characters/],
  ['port name without letters', { ports: [{ name: '8080', port: 8080 }] }, /ports\[0\]\.name "8080" is invalid: must contain at least one letter/],
  ['duplicate port names', { ports: [{ name: 'http', port: 8080 }, { name: 'http', port: 8081 }] }, /ports\[1\]\.name "http" is invalid: is used by another port\. Fix: give each port a unique name/],
  ['duplicate port numbers', { ports: [{ name: 'http', port: 8080 }, { name: 'alt', port: 8080 }] }, /ports\[1\]\.port 8080 is invalid: is declared twice for TCP/],
  ['zero size', { volumes: vol({ size: Size.gibibytes(0) }) }, /volumes\[0\]\.size "0" is invalid: must be greater than zero/],
  ['size not a Size', { volumes: vol({ size: '10Gi' }) }, /volumes\[0\]\.size "10Gi" is invalid: must be a cdk8s Size \(received a string\)\. Fix: use Size\.gibibytes\(10\)/],
  // the fix names the amount and unit written; decimal units are explained, a bare number gets its unit asked
  ['size "10G"', { volumes: vol({ size: '10G' }) }, /volumes\[0\]\.size "10G" is invalid: must be a cdk8s Size \(received a string\)\. Fix: use Size\.gibibytes\(10\) \("10G" is 10 × 10\^9 bytes; a Size counts in powers of 2: 10 Gi is 7% more\)/],
  ['size "512MB"', { volumes: vol({ size: '512MB' }) }, /Fix: use Size\.mebibytes\(512\) \("512MB" is 512 × 10\^6 bytes; a Size counts in powers of 2: 512 Mi is 5% more\)/],
  ['size in bytes', { volumes: vol({ size: 10737418240 }) }, /volumes\[0\]\.size 10737418240 is invalid: .*Fix: use Size\.gibibytes\(10\) \(a bare number is bytes to Kubernetes\)/],
  ['size 10', { volumes: vol({ size: 10 }) }, /volumes\[0\]\.size 10 is invalid: must be a cdk8s Size \(received a number\)\. Fix: use Size\.gibibytes\(10\) if you meant 10 GiB \(a number carries no unit\), or Size\.mebibytes\(10\) for MiB/],
  ['size "big"', { volumes: vol({ size: 'big' }) }, /volumes\[0\]\.size "big" is invalid: must be a cdk8s Size \(received a string\)\. Fix: use Size\.gibibytes\(1\), or Size\.mebibytes\/tebibytes/],
  ['grace period 60', { terminationGracePeriod: 60 as unknown as Duration }, /terminationGracePeriod 60 is invalid: must be a cdk8s Duration \(received a number\)\. Fix: use Duration\.seconds\(60\) if you meant seconds/],
  ['grace period "5m"', { terminationGracePeriod: '5m' as unknown as Duration }, /terminationGracePeriod "5m" is invalid: must be a cdk8s Duration \(received a string\)\. Fix: use Duration\.minutes\(5\)/],
  ['grace period "soon"', { terminationGracePeriod: 'soon' as unknown as Duration }, /Fix: use Duration\.seconds\(30\), or Duration\.minutes\/millis/],
  // a volume's mount is named by the volume that declared it, a mount of the mounts prop by its own index
  ['relative mount path', { volumes: vol({ mountPath: 'data' }) }, /volumes\[0\]\.mountPath "data" is invalid: must be an absolute path/],
  ['relative path in mounts', { emptyDirs: [{ name: 'cache' }], mounts: [{ volume: 'cache', mountPath: 'cache' }] }, /StatefulApp 'test\/web': mounts\[0\]\.mountPath "cache" is invalid: must be an absolute path/],
  ['relative emptyDir mount path', { emptyDirs: [{ name: 'cache', mountPath: 'cache' }] }, /emptyDirs\[0\]\.mountPath "cache" is invalid: must be an absolute path/],
  ['mount path with ..', { volumes: vol({ mountPath: '/data/../etc' }) }, /mountPath "\/data\/\.\.\/etc" is invalid: must not contain "\.\." segments/],
  ['duplicate mount paths', { volumes: [...vol({}), { name: 'logs', mountPath: '/usr/share/nginx/html/', size: Size.gibibytes(1) }] }, /volumes\[1\]\.mountPath "\/usr\/share\/nginx\/html\/" is invalid: is already a mount point/],
  ['duplicate volume names', { volumes: [...vol({}), { name: 'www', mountPath: '/b', size: Size.gibibytes(1) }] }, /volumes\[1\]\.name "www" is invalid: is already the name of another volume/],
  ['volume name invalid', { volumes: vol({ name: 'WWW' }) }, /volumes\[0\]\.name "WWW" is invalid: must consist of lower case/],
  ['emptyDir clashes with a claim', { emptyDirs: [{ name: 'www', mountPath: '/cache' }] }, /emptyDirs\[0\]\.name "www" is invalid: is already the name of another volume/],
  ['empty access modes', { volumes: vol({ accessModes: [] }) }, /volumes\[0\]\.accessModes \[\] is invalid: must list at least one AccessMode/],
  ['duplicate access modes', { volumes: vol({ accessModes: [AccessMode.READ_WRITE_ONCE, AccessMode.READ_WRITE_ONCE] }) }, /accessModes .* is invalid: lists a mode twice/],
  ['bad subPath', { volumes: vol({ subPath: '/abs' }) }, /volumes\[0\]\.subPath "\/abs" is invalid: must be a relative path/],
  ['bad storage class name', { volumes: vol({ storageClass: { storageClassName: 'Fast SSD' } }) }, /volumes\[0\]\.storageClass "Fast SSD" is invalid: must consist of lower case/],
  ['partition above replicas', { replicas: 3, updateStrategy: UpdateStrategy.rollingUpdate({ partition: 4 }) }, /updateStrategy\.partition 4 is invalid: is greater than replicas \(3\), so no pod would ever be updated\. Fix: use a partition between 0 and 3/],
  ['negative partition', { updateStrategy: UpdateStrategy.rollingUpdate({ partition: -1 }) }, /updateStrategy\.partition -1 is invalid/],
  ['maxUnavailable 0', { updateStrategy: UpdateStrategy.rollingUpdate({ maxUnavailable: 0 }) }, /updateStrategy\.maxUnavailable 0 is invalid: must be an integer between 1/],
  ['bad retention', { pvcRetentionPolicy: { whenScaled: 'Keep' as PvcRetention } }, /pvcRetentionPolicy\.whenScaled "Keep" is invalid: is not a PvcRetention/],
  ['literal password env', { env: { DB_PASSWORD: EnvSource.fromValue('hunter2') } }, /env\.DB_PASSWORD "\(literal value hidden\)" is invalid: is a literal, and DB_PASSWORD looks like a credential.*Fix: keep it in a Secret and use EnvSource\.fromSecretKey\('my-secret', 'db-password'\)/],
  ['env value not an EnvSource', { env: { MODE: 'primary' as unknown as EnvSource } }, /env\.MODE "primary" is invalid: must be an EnvSource \(received a string\)\. Fix: use EnvSource\.fromValue\("primary"\)/],
  ['bad env name', { env: { '1MODE': EnvSource.fromValue('x') } }, /env name "1MODE" is invalid/],
  ['bad secret name', { env: { TOKEN: EnvSource.fromSecretKey('My_Secret', 'token') } }, /env\.TOKEN \(Secret name\) "My_Secret" is invalid/],
  ['bad secret key', { env: { TOKEN: EnvSource.fromSecretKey('creds', 'to ken') } }, /env\.TOKEN \(Secret key\) "to ken" is invalid/],
  ['root user', { runAsUser: 0 }, /runAsUser 0 is invalid: must be an integer between 1 and 2147483647\. Fix: use a non-root user id/],
  ['negative fsGroup', { fsGroup: -5 }, /fsGroup -5 is invalid/],
  ['request above limit', { resources: { memory: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } } }, /resources\.memory\.request "2Gi" is invalid: is greater than the limit 1Gi/],
  ['cpu request above limit', { resources: { cpu: { request: Cpu.units(2), limit: Cpu.millis(500) } } }, /resources\.cpu\.request "2" is invalid: is greater than the limit 500m/],
  ['no ports and no readiness probe', { ports: [] }, /readinessProbe \(unset\) is invalid: is required when the app declares no ports.*Fix: declare ports, or pass readinessProbe: HealthProbe\.exec/],
  ['liveness equals readiness', { readinessProbe: HealthProbe.tcpSocket(), livenessProbe: HealthProbe.tcpSocket() }, /livenessProbe "same as readinessProbe" is invalid: is identical to the readiness probe/],
  ['probe timeout 0', { readinessProbe: HealthProbe.tcpSocket({ timeout: Duration.seconds(0) }) }, /readinessProbe\.timeout "0s" is invalid: must be a whole number of seconds >= 1/],
  ['liveness successThreshold', { livenessProbe: HealthProbe.exec(['true'], { successThreshold: 2 }) }, /livenessProbe\.successThreshold 2 is invalid: must be 1 for liveness and startup probes/],
  ['http probe relative path', { readinessProbe: HealthProbe.httpGet('ready') }, /readinessProbe\.path "ready" is invalid: must be an absolute URL path/],
  ['probe port out of range', { readinessProbe: HealthProbe.tcpSocket({ port: 0 }) }, /readinessProbe\.port 0 is invalid/],
  ['empty exec probe', { readinessProbe: HealthProbe.exec([]) }, /readinessProbe\.command \[\] is invalid: must be a non-empty list of strings/],
  ['selector label override', { labels: { 'app.kubernetes.io/name': 'other' } }, /labels key "app\.kubernetes\.io\/name" is invalid: is set by the library/],
  ['bad label value', { labels: { team: 'a b' } }, /labels\.team "a b" is invalid/],
  ['bad label key', { podLabels: { 'bad key': 'x' } }, /podLabels key "bad key" is invalid/],
  ['bad annotation key', { annotations: { '/x': 'y' } }, /annotations key "\/x" is invalid/],
  ['bad component', { component: 'data base' }, /component "data base" is invalid/],
  ['unmounted-name sidecar volume', { sidecars: [{ name: 'log', mounts: [{ volume: 'logs', mountPath: '/logs' }], readinessProbe: HealthProbe.exec(['true']) }] }, /sidecars\[0\]\.mounts\[0\]\.volume "logs" is invalid: is not a volume of this pod \(volumes: www, tmp\)/],
  ['duplicate container names', { sidecars: [{ name: 'web' }] }, /sidecars\[0\]\.name "web" is invalid: is the name of another container in the pod/],
  ['init container with probes', { initContainers: [{ name: 'init', readinessProbe: HealthProbe.exec(['true']) }] }, /initContainers\[0\] "init" is invalid: declares probes, but init containers run to completion/],
  ['init container with preStop', { initContainers: [{ name: 'init', preStop: ['true'] }] }, /initContainers\[0\]\.preStop \["true"\] is invalid: is set on an init container, which runs to completion and is never stopped.*Fix: remove preStop, or make it a sidecar/],
  ['empty preStop', { preStop: [] }, /preStop \[\] is invalid: must be a command: a non-empty list of non-empty strings.*Fix: pass e\.g\. \["sh", "-c", "sleep 5"\], or leave preStop out/],
  ['sidecar preStop with an empty word', { sidecars: [{ name: 'log', preStop: ['sh', ''] }] }, /sidecars\[0\]\.preStop \["sh",""\] is invalid: must be a command/],
  ['init container using a main-only variable in a script', { env: { DB_HOST: EnvSource.fromValue('db') }, initContainers: [{ name: 'migrate', command: ['sh', '-c', 'migrate --host "$DB_HOST"'] }] },
    /initContainers\[0\] "migrate" is invalid: uses the variable DB_HOST, which only the main container's env \("web"\) sets.*Fix: give initContainers\[0\] its own DB_HOST \(env: \{ DB_HOST: \.\.\. \}/],
  ['sidecar using a main-only variable as $(NAME)', { env: { DB_HOST: EnvSource.fromValue('db') }, sidecars: [{ name: 'probe', args: ['--target=$(DB_HOST)'] }] },
    /sidecars\[0\] "probe" is invalid: uses the variable DB_HOST/],
  ['unpinned sidecar image', { sidecars: [{ name: 'log', image: 'busybox' }] }, /sidecars\[0\]\.image "busybox" is invalid: is not pinned/],
  ['bad container name', { containerName: 'Main' }, /containerName "Main" is invalid/],
  ['tmp volume not at /tmp', { emptyDirs: [{ name: 'tmp', mountPath: '/scratch' }] }, /emptyDirs "tmp" is invalid: is a volume name that is not mounted at \/tmp/],
  ['fractional grace period', { terminationGracePeriod: Duration.millis(1500) }, /terminationGracePeriod "1.5s" is invalid: must be a whole number of seconds/],
  ['negative start ordinal', { startOrdinal: -1 }, /startOrdinal -1 is invalid/],
  ['minAvailable >= replicas', { replicas: 3, disruptionBudget: DisruptionBudget.minAvailable(3) }, /disruptionBudget\.minAvailable 3 is invalid: is not below replicas \(3\).*Fix: use at most 2/],
  ['maxUnavailable 0 budget', { disruptionBudget: DisruptionBudget.maxUnavailable(0) }, /disruptionBudget\.maxUnavailable 0 is invalid: .*Fix: allow at least 1/],
  ['bad spread mode', { spreadAcrossNodes: 'Always' as SpreadMode }, /spreadAcrossNodes "Always" is invalid: is not a SpreadMode/],
  ['read service without ports', { ports: [], readinessProbe: HealthProbe.exec(['true']), readService: {} }, /readService\.ports \(unset\) is invalid: leaves the Service without ports/],
  ['read service unknown port', { readService: { ports: ['https'] } }, /readService\.ports\[0\] "https" is invalid: is not a port of the app \(ports: http\)/],
  ['read service named like the app', { readService: { name: 'web' } }, /readService\.name "web" is invalid: is the name of the headless governing Service/],
  ['sidecar port named like an app port', { sidecars: [{ name: 'log', ports: [{ name: 'http', port: 9000 }], readinessProbe: HealthProbe.exec(['true']) }] }, /sidecars ports "http" is invalid: is also the name of another port in the pod/],
  ['headless LoadBalancer', { readService: { headless: true, type: ServiceType.LOAD_BALANCER } }, /readService\.headless true is invalid: cannot be combined with type LoadBalancer/],
  ['read service bad type', { readService: { type: 'External' as ServiceType } }, /readService\.type "External" is invalid/],
  ['config without files', { config: { files: {} } }, /config\.files \{\} is invalid: must map at least one file name/],
  ['config bad file name', { config: { files: { 'a/b.conf': 'x' } } }, /config\.files\["a\/b\.conf"\] "a\/b\.conf" is invalid/],
  ['config over 1 MiB', { config: { files: { big: 'x'.repeat(1024 * 1024) } } }, /config\.files "1048579 bytes" is invalid: exceed the 1 MiB a ConfigMap can hold/],
  ['bad namespace', { namespace: 'Shop' }, /namespace "Shop" is invalid/],
  ['bad service account', { serviceAccountName: 'SA' }, /serviceAccountName "SA" is invalid/],
  ['bad node selector value', { nodeSelector: { disk: 'fast ssd' } }, /nodeSelector\.disk "fast ssd" is invalid/],
  ['bad image pull secret', { imagePullSecrets: ['Reg'] }, /imagePullSecrets\[0\] "Reg" is invalid/],
];

describe('StatefulApp refuses bad props with a message naming construct, prop, value and fix', () => {
  test.each(INVALID)('%s', (_what, override, message) => {
    const { id, ...props } = override;
    // GIVEN a fresh chart, WHEN a StatefulApp is built with one bad prop
    const build = () => new StatefulApp(newChart(), id ?? 'web', { ...BASE, ...props });
    // THEN it throws our error type, naming the construct path and the fix
    expect(build).toThrow(StatefulValidationError);
    expect(build).toThrow(new RegExp(`^StatefulApp 'test/${id ?? 'web'}': `));
    expect(build).toThrow(message);
    expect(build).toThrow(/\. Fix: ./);
  });

  test('addService refuses an ordinal below the start ordinal and a duplicate name', () => {
    const app = new StatefulApp(newChart(), 'web', { ...BASE, startOrdinal: 1 });
    expect(() => app.addService('Primary', { podOrdinal: 0 })).toThrow(/addService\("Primary"\)\.podOrdinal 0 is invalid: must be an integer between 1/);
    expect(() => app.addService('Web', { name: 'web' })).toThrow(/is the name of the headless governing Service/);
  });

  test('of two wrong props the one declared first is named, whatever the order of the keys', () => {
    // `image` is declared before `replicas` (src/app/props.ts); here it comes last.
    const props = { replicas: 'three', ports: BASE.ports, volumes: BASE.volumes, image: 5 } as unknown as StatefulAppProps;
    expect(Object.keys(props)[0]).toBe('replicas');
    expect(() => new StatefulApp(newChart(), 'web', props)).toThrow(/: image 5 is invalid: must be a string/);
  });

  test('props a class instance or a prototype provides are checked like own ones', () => {
    class Props { public get image(): unknown { return 5; } }
    expect(() => new StatefulApp(newChart(), 'web', new Props() as unknown as StatefulAppProps)).toThrow(/: image 5 is invalid: must be a string/);
    const inherited = Object.assign(Object.create({ replicas: 'three' }) as object, { image: BASE.image, ports: BASE.ports });
    expect(() => new StatefulApp(newChart(), 'web', inherited as StatefulAppProps)).toThrow(/: replicas "three" is invalid: must be a number/);
    const hidden = Object.defineProperty({ ...BASE }, 'replicas', { value: 'three', enumerable: false });
    expect(() => new StatefulApp(newChart(), 'web', hidden)).toThrow(/: replicas "three" is invalid: must be a number/);
  });

  test('a Proxy is asked for every declared prop, also in a nested option object', () => {
    const proxy = <T extends object>(target: T, prop: string, value: unknown) =>
      new Proxy(target, { get: (t, k) => (k === prop ? value : (t as { [k: string | symbol]: unknown })[k]) });
    expect(() => new StatefulApp(newChart(), 'web', proxy({ ...BASE }, 'spreadAcrossZones', 'no')))
      .toThrow(/: spreadAcrossZones "no" is invalid: is not a SpreadMode/);
    expect(() => new StatefulApp(newChart(), 'web', { ...BASE, pvcRetentionPolicy: proxy({}, 'whenDeleted', 5) }))
      .toThrow(/: pvcRetentionPolicy\.whenDeleted 5 is invalid/);
  });

  test('props are read in declaration order: a getter is not called before an earlier wrong prop is reported', () => {
    // (`namespace` is declared before `podAnnotations`; here it comes after it)
    const props = { ...BASE, get podAnnotations(): never { throw new Error('read too early'); }, namespace: 5 } as unknown as StatefulAppProps;
    expect(() => new StatefulApp(newChart(), 'web', props)).toThrow(/: namespace 5 is invalid: must be a string/);
  });

  test('the error carries the construct path and prop for tools', () => {
    try {
      new StatefulApp(newChart(), 'web', { ...BASE, replicas: -2 });
      throw new Error('expected a validation error');
    } catch (e) {
      expect(e).toBeInstanceOf(StatefulValidationError);
      expect((e as StatefulValidationError).constructPath).toBe('test/web');
      expect((e as StatefulValidationError).prop).toBe('replicas');
    }
  });
});
