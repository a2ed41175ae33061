import { createHash } from 'crypto';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-28';
import {
  AccessMode, DiskProvider, DiskStorageClass, DisruptionBudget, EnvSource, HealthProbe, PvcRetention, ReplicatedMySql, SpreadMode, StatefulApp,
  StatefulAppProps, UpdateStrategy,
} from '../src';
import { ImagePullPolicy, PodManagementPolicy, Protocol, ServiceType } from 'cdk8s-plus-28';
import { find, Manifest, newChart, ofKind, synth, toYaml, WEB } from './util';

function build(props: Partial<StatefulAppProps> = {}, namespace: string | null = 'shop') {
  const chart = newChart(namespace);
  const app = new StatefulApp(chart, 'web', { ...WEB, ...props });
  const objects = synth(chart);
  return { chart, app, objects, sts: find(objects, 'StatefulSet', 'web'), pod: find(objects, 'StatefulSet', 'web').spec.template.spec };
}

const mainContainer = (sts: Manifest) => sts.spec.template.spec.containers[0];

describe('StatefulApp defaults', () => {
  test('minimal app snapshot', () => {
    // GIVEN only image, replicas, ports and volumes
    const { objects } = build();
    // THEN the whole output is locked
    expect(toYaml(objects)).toMatchSnapshot();
  });

  test('emits the StatefulSet, then its headless Service, a PDB and a NetworkPolicy, and nothing else', () => {
    const { objects } = build();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['StatefulSet/web', 'Service/web', 'PodDisruptionBudget/web', 'NetworkPolicy/web']);
  });

  test('the default NetworkPolicy admits the pods of the app\'s own namespace to its ports, no other namespace', () => {
    const { objects } = build({ ports: [{ name: 'http', port: 8080 }, { name: 'dns', port: 53, protocol: Protocol.UDP }] });
    expect(find(objects, 'NetworkPolicy', 'web').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'web', 'app.kubernetes.io/name': 'web' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: {} } }], ports: [{ port: 8080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] }],
    });
  });

  test('NetworkPolicy options: chosen clients here and in listed namespaces (two peers: same-namespace clients stay admitted), chosen ports, or none', () => {
    const { objects } = build({
      ports: [{ name: 'http', port: 8080 }, { name: 'admin', port: 9000 }],
      networkPolicy: { clientPodLabels: { role: 'api' }, clientNamespaceLabels: { team: 'shop' }, ports: ['http'] },
    });
    expect(find(objects, 'NetworkPolicy', 'web').spec.ingress).toEqual([{
      from: [
        { podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'web', 'app.kubernetes.io/name': 'web' } } },
        { podSelector: { matchLabels: { role: 'api' } } },
        { namespaceSelector: { matchLabels: { team: 'shop' } }, podSelector: { matchLabels: { role: 'api' } } },
      ],
      ports: [{ port: 8080, protocol: 'TCP' }],
    }]);
    expect(ofKind(build({ networkPolicy: { enabled: false } }).objects, 'NetworkPolicy')).toEqual([]);
  });

  test('the governing Service is headless, named like the app, publishes not-ready pods and targets ports by name', () => {
    const { objects, sts } = build();
    const svc = find(objects, 'Service', 'web');
    expect(sts.spec.serviceName).toBe('web');
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.publishNotReadyAddresses).toBe(true);
    expect(svc.spec.selector).toEqual(sts.spec.selector.matchLabels);
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http' }]);
  });

  test('the selector is the fixed name/instance pair, and the pod template carries it', () => {
    const { sts } = build();
    expect(sts.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web' });
    expect(sts.spec.template.metadata.labels).toMatchObject(sts.spec.selector.matchLabels);
  });

  test('claim templates spell out apiVersion and kind and carry only fixed labels', () => {
    const { sts } = build({ image: 'nginxinc/nginx-unprivileged:1.25.3' });
    const [claim] = sts.spec.volumeClaimTemplates;
    expect(claim.apiVersion).toBe('v1');
    expect(claim.kind).toBe('PersistentVolumeClaim');
    expect(claim.metadata.labels).toEqual(sts.spec.selector.matchLabels);
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
    // the version label is on the objects and pods, never on the immutable claims
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe('1.25.3');
    expect(sts.spec.template.metadata.labels['app.kubernetes.io/version']).toBe('1.25.3');
  });

  test('keeps PVCs on scale-in and deletion', () => {
    const { sts } = build();
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('Pod Security restricted: non-root, no escalation, no capabilities, seccomp, read-only root with a /tmp emptyDir', () => {
    const { pod } = build();
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true,
    });
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }]);
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
  });

  test('requests cpu and memory, limits memory only', () => {
    const { sts } = build();
    // ephemeral storage: 256Mi for logs and the writable layer plus the 1Gi /tmp emptyDir (it counts against the pod's limit)
    expect(mainContainer(sts).resources).toEqual({
      requests: { 'cpu': '250m', 'memory': '256Mi', 'ephemeral-storage': '64Mi' }, limits: { 'memory': '256Mi', 'ephemeral-storage': '1280Mi' },
    });
  });

  test('a TCP readiness probe on the first port, no liveness probe', () => {
    const { sts } = build({ ports: [{ name: 'http', port: 8080 }, { name: 'admin', port: 9000 }] });
    expect(mainContainer(sts).readinessProbe).toEqual({ tcpSocket: { port: 8080 }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 });
    expect(mainContainer(sts).livenessProbe).toBeUndefined();
  });

  test('spreads over nodes (preferred) and has a PDB of maxUnavailable 1 (AlwaysAllow for pods that are not Ready) when replicas > 1', () => {
    const { objects, pod } = build();
    expect(pod.topologySpreadConstraints).toEqual([{
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web' } },
    }]);
    expect(find(objects, 'PodDisruptionBudget', 'web').spec).toEqual({
      maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
  });

  test.each([0, 1])('no PDB with %d replicas, but the same spreading: scaling never changes the pod template', (replicas) => {
    const { objects, pod } = build({ replicas });
    expect(ofKind(objects, 'PodDisruptionBudget')).toHaveLength(0);
    expect(pod.topologySpreadConstraints).toEqual(build({ replicas: 3 }).pod.topologySpreadConstraints);
    expect(pod).toEqual({ ...build({ replicas: 3 }).pod });
  });

  test('zone spreading (preferred) when a claim uses a zonal DiskStorageClass of the app; none for classes it cannot see', () => {
    const chart = newChart();
    const disks = new DiskStorageClass(chart, 'gp3', { provider: DiskProvider.AWS_EBS_GP3 });
    new StatefulApp(chart, 'web', { ...WEB, volumes: [{ name: 'www', mountPath: '/www', size: Size.gibibytes(1), storageClass: disks }] });
    const pod = find(synth(chart), 'StatefulSet', 'web').spec.template.spec;
    expect(pod.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
      ['topology.kubernetes.io/zone', 'ScheduleAnyway'], ['kubernetes.io/hostname', 'ScheduleAnyway'],
    ]);
    const external = build({ volumes: [{ name: 'www', mountPath: '/www', size: Size.gibibytes(1), storageClass: DiskStorageClass.fromStorageClassName('gp3') }] });
    expect(external.pod.topologySpreadConstraints.map((c: any) => c.topologyKey)).toEqual(['kubernetes.io/hostname']);
  });

  test('rolling update and OrderedReady by default', () => {
    const { sts } = build();
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate' });
    expect(sts.spec.podManagementPolicy).toBe('OrderedReady');
    expect(sts.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
  });
});

describe('StatefulApp options', () => {
  test('a partitioned rolling update (staged rollout)', () => {
    const { sts } = build({ replicas: 5, updateStrategy: UpdateStrategy.rollingUpdate({ partition: 3 }) });
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 3 } });
  });

  test('maxUnavailable for rolling updates', () => {
    const { sts } = build({ updateStrategy: UpdateStrategy.rollingUpdate({ maxUnavailable: 2 }) });
    expect(sts.spec.updateStrategy.rollingUpdate).toEqual({ maxUnavailable: 2 });
  });

  test('OnDelete', () => {
    const { sts } = build({ updateStrategy: UpdateStrategy.onDelete() });
    expect(sts.spec.updateStrategy).toEqual({ type: 'OnDelete' });
  });

  test('Parallel pod management, PVC deletion on scale-in, start ordinal, minReady, history', () => {
    const { sts } = build({
      podManagementPolicy: PodManagementPolicy.PARALLEL,
      pvcRetentionPolicy: { whenScaled: PvcRetention.DELETE },
      startOrdinal: 5,
      minReady: Duration.seconds(15),
      revisionHistoryLimit: 3,
    });
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Delete' });
    expect(sts.spec.ordinals).toEqual({ start: 5 });
    expect(sts.spec.minReadySeconds).toBe(15);
    expect(sts.spec.revisionHistoryLimit).toBe(3);
  });

  test('volumes with a DiskStorageClass, a class name, access modes, subPath and read-only', () => {
    const chart = newChart();
    const disks = new DiskStorageClass(chart, 'fast', { provider: DiskProvider.GCE_PD_SSD });
    new StatefulApp(chart, 'web', {
      ...WEB,
      volumes: [
        { name: 'data', mountPath: '/data', size: Size.gibibytes(20), storageClass: disks, subPath: 'pgdata' },
        { name: 'shared', mountPath: '/shared', size: Size.mebibytes(1536), storageClass: DiskStorageClass.fromStorageClassName('nfs'), accessModes: [AccessMode.READ_WRITE_MANY], readOnly: true },
      ],
    });
    const sts = find(synth(chart), 'StatefulSet', 'web');
    expect(sts.spec.volumeClaimTemplates.map((c: any) => [
      c.metadata.name, c.spec.storageClassName, c.spec.resources.requests.storage, c.spec.accessModes,
    ]))
      .toEqual([['data', 'fast', '20Gi', ['ReadWriteOnce']], ['shared', 'nfs', '1536Mi', ['ReadWriteMany']]]);
    expect(mainContainer(sts).volumeMounts).toEqual([
      { name: 'data', mountPath: '/data', subPath: 'pgdata' },
      { name: 'shared', mountPath: '/shared', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
  });

  test('env: literal, from Secret, from ConfigMap, from a pod field, in order', () => {
    const { sts } = build({
      env: {
        MODE: EnvSource.fromValue('primary'),
        DB_PASSWORD: EnvSource.fromSecretKey('db-credentials', 'password'),
        FEATURE_FLAGS: EnvSource.fromConfigMapKey('flags', 'all', { optional: true }),
        POD_NAME: EnvSource.fromFieldPath('metadata.name'),
      },
    });
    expect(mainContainer(sts).env).toEqual([
      { name: 'MODE', value: 'primary' },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
      { name: 'FEATURE_FLAGS', valueFrom: { configMapKeyRef: { name: 'flags', key: 'all', optional: true } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
  });

  test('a secret-looking literal is written only through the loud opt-in', () => {
    const { sts } = build({ env: { API_TOKEN: EnvSource.fromPlaintextSecret('dev-only') } });
    expect(mainContainer(sts).env).toEqual([{ name: 'API_TOKEN', value: 'dev-only' }]);
  });

  test('config files: a ConfigMap, a read-only mount and a checksum that follows the content', () => {
    const checksum = (content: string) => {
      const { objects, sts } = build({ config: { files: { 'nginx.conf': content, 'extra.conf': 'x' }, mountPath: '/etc/nginx/conf.d' } });
      const cm = find(objects, 'ConfigMap', 'web-config');
      expect(Object.keys(cm.data)).toEqual(['extra.conf', 'nginx.conf']);
      expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'config', configMap: { name: 'web-config' } });
      expect(mainContainer(sts).volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/nginx/conf.d', readOnly: true });
      return sts.spec.template.metadata.annotations['checksum/config'];
    };
    const a = checksum('server {}');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum('server {}')).toBe(a);
    expect(checksum('server { listen 8081; }')).not.toBe(a);
  });

  test('the checksum does not depend on the order files were given in', () => {
    const sum = (files: Record<string, string>) => build({ config: { files } }).sts.spec.template.metadata.annotations['checksum/config'];
    expect(sum({ a: '1', b: '2' })).toBe(sum({ b: '2', a: '1' }));
  });

  test('the checksum is SHA-256 over each file (name, NUL, content, NUL) in name order, whatever the apps before it', () => {
    const sum = (files: Record<string, string>) => build({ config: { files } }).sts.spec.template.metadata.annotations['checksum/config'];
    const direct = (files: Record<string, string>) => {
      const hash = createHash('sha256');
      for (const name of Object.keys(files).sort()) hash.update(`${name}\0${files[name]}\0`);
      return hash.digest('hex');
    };
    // Apps in a row share the first files, differ in one, have fewer or more: each sum is the one computed from scratch.
    const sequence: Array<Record<string, string>> = [
      { a: 'lib', b: 'x', c: 'script' }, { a: 'lib', b: 'y', c: 'script' }, { a: 'lib', b: 'y' }, { a: 'lib', b: 'y', c: 'script', d: 'more' },
      { a: 'lib', b: 'y', c: 'script', d: 'more' }, { a: 'other', b: 'y' }, { a: 'lib', b: 'x', c: 'script' },
    ];
    for (const files of sequence) expect(sum(files)).toBe(direct(files));
  });

  test('a read Service and a Service for one ordinal', () => {
    const chart = newChart();
    const app = new StatefulApp(chart, 'db', { ...WEB, ports: [{ name: 'sql', port: 5432 }, { name: 'metrics', port: 9187 }], readService: { ports: ['sql'] } });
    const primary = app.addService('Primary', { podOrdinal: 0, type: ServiceType.CLUSTER_IP, annotations: { 'example.com/role': 'writer' } });
    const objects = synth(chart);
    const read = find(objects, 'Service', 'db-read');
    expect(read.spec).toEqual({ type: 'ClusterIP', selector: { 'app.kubernetes.io/name': 'db', 'app.kubernetes.io/instance': 'db' }, ports: [{ name: 'sql', port: 5432, targetPort: 'sql' }] });
    expect(primary.name).toBe('db-primary');
    const svc = find(objects, 'Service', 'db-primary');
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'db', 'app.kubernetes.io/instance': 'db', 'statefulset.kubernetes.io/pod-name': 'db-0' });
    // (and kube-score is told why no pod template carries the controller's pod-name label)
    expect(svc.metadata.annotations).toEqual({ 'example.com/role': 'writer', 'kube-score/ignore': 'service-targets-pod' });
    expect(app.readHost).toBe('db-read.shop.svc.cluster.local');
    expect(app.hostOf('db-primary')).toBe('db-primary.shop.svc.cluster.local');
  });

  test('a headless Service for a sidecar port (e.g. metrics), and the labels every object carries', () => {
    const chart = newChart();
    const app = new StatefulApp(chart, 'web', {
      ...WEB, labels: { team: 'web' },
      sidecars: [{ name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.1.0', ports: [{ name: 'metrics', port: 9113 }], readinessProbe: HealthProbe.httpGet('/metrics') }],
    });
    app.addService('Metrics', { headless: true, ports: ['metrics'] });
    const svc = find(synth(chart), 'Service', 'web-metrics');
    expect(svc.spec).toEqual({
      type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'metrics', port: 9113, targetPort: 'metrics' }],
      selector: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web' },
    });
    expect(svc.metadata.labels).toEqual(app.labels);
    expect(app.labels).toMatchObject({ 'team': 'web', 'app.kubernetes.io/managed-by': 'cdk8s-stateful' });
  });

  test('servicePort maps a Service port to a different container port', () => {
    const { objects } = build({ ports: [{ name: 'http', port: 8080, servicePort: 80 }], readService: {} });
    expect(find(objects, 'Service', 'web-read').spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
  });

  test('probes: http readiness, exec liveness, startup', () => {
    const { sts } = build({
      readinessProbe: HealthProbe.httpGet('/ready', { period: Duration.seconds(5) }),
      livenessProbe: HealthProbe.exec(['/bin/check'], { failureThreshold: 6, period: Duration.seconds(20) }),
      startupProbe: HealthProbe.tcpSocket({ port: 8080, failureThreshold: 60 }),
    });
    const c = mainContainer(sts);
    expect(c.readinessProbe).toEqual({ httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 });
    expect(c.livenessProbe).toEqual({ exec: { command: ['/bin/check'] }, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 6 });
    expect(c.startupProbe).toEqual({ tcpSocket: { port: 8080 }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 60 });
  });

  test('resources: each group given replaces the default group', () => {
    const { sts } = build({ resources: { cpu: { request: Cpu.millis(500), limit: Cpu.units(2) } } });
    expect(mainContainer(sts).resources).toEqual({
      requests: { 'cpu': '500m', 'memory': '256Mi', 'ephemeral-storage': '64Mi' }, limits: { 'cpu': '2', 'memory': '256Mi', 'ephemeral-storage': '1280Mi' },
    });
  });

  test('security context overrides and a writable root', () => {
    const { pod } = build({ runAsUser: 101, runAsGroup: 101, fsGroup: 2000, readOnlyRootFilesystem: false });
    expect(pod.securityContext).toMatchObject({ runAsUser: 101, runAsGroup: 101, fsGroup: 2000 });
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(false);
    expect(pod.volumes).toBeUndefined();
  });

  test('an emptyDir at /tmp replaces the automatic one', () => {
    const { pod } = build({ emptyDirs: [{ name: 'scratch', mountPath: '/tmp', inMemory: true, sizeLimit: Size.mebibytes(64) }] });
    expect(pod.volumes).toEqual([{ name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }]);
  });

  test('init containers and sidecars inherit image, restricted security and helper resources, and mount pod volumes', () => {
    const { pod } = build({
      emptyDirs: [{ name: 'shared', mountPath: '/shared' }],
      initContainers: [{ name: 'seed', command: ['sh', '-c', 'cp -r /seed/. /usr/share/nginx/html/'], mounts: [{ volume: 'www', mountPath: '/usr/share/nginx/html' }] }],
      sidecars: [{
        name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.1.0', ports: [{ name: 'metrics', port: 9113 }],
        readinessProbe: HealthProbe.httpGet('/metrics'), mounts: [{ volume: 'shared', mountPath: '/shared', readOnly: true }],
      }],
    });
    expect(pod.initContainers).toEqual([{
      name: 'seed', image: 'nginxinc/nginx-unprivileged:1.25.3', command: ['sh', '-c', 'cp -r /seed/. /usr/share/nginx/html/'],
      volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }],
      resources: { requests: { 'cpu': '50m', 'memory': '128Mi', 'ephemeral-storage': '16Mi' }, limits: { 'memory': '128Mi', 'ephemeral-storage': '128Mi' } },
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true },
    }]);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['web', 'exporter']);
    expect(pod.containers[1].readinessProbe.httpGet).toEqual({ path: '/metrics', port: 9113 });
    expect(pod.containers[1].volumeMounts).toEqual([{ name: 'shared', mountPath: '/shared', readOnly: true }]);
  });

  test('scheduling and identity options', () => {
    const { pod, sts } = build({
      serviceAccountName: 'web-sa', automountServiceAccountToken: true, nodeSelector: { disktype: 'ssd' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
      priorityClassName: 'high', terminationGracePeriod: Duration.minutes(2), imagePullPolicy: ImagePullPolicy.ALWAYS,
      imagePullSecrets: ['regcred'], spreadAcrossZones: SpreadMode.REQUIRED, spreadAcrossNodes: SpreadMode.REQUIRED,
      enableServiceLinks: true, containerName: 'nginx', command: ['nginx'], args: ['-g', 'daemon off;'],
    });
    expect(pod.serviceAccountName).toBe('web-sa');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.enableServiceLinks).toBe(true);
    expect(pod.nodeSelector).toEqual({ disktype: 'ssd' });
    expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }]);
    expect(pod.priorityClassName).toBe('high');
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(pod.topologySpreadConstraints.map((t: any) => [t.topologyKey, t.whenUnsatisfiable]))
      .toEqual([['topology.kubernetes.io/zone', 'DoNotSchedule'], ['kubernetes.io/hostname', 'DoNotSchedule']]);
    const c = mainContainer(sts);
    expect([c.name, c.imagePullPolicy, c.command, c.args]).toEqual(['nginx', 'Always', ['nginx'], ['-g', 'daemon off;']]);
  });

  test('spreading can be turned off, and the PDB replaced or removed', () => {
    const off = build({ spreadAcrossNodes: SpreadMode.NONE, disruptionBudget: DisruptionBudget.none() });
    expect(off.pod.topologySpreadConstraints).toBeUndefined();
    expect(ofKind(off.objects, 'PodDisruptionBudget')).toHaveLength(0);
    const min = build({ replicas: 5, disruptionBudget: DisruptionBudget.minAvailable(3) });
    expect(find(min.objects, 'PodDisruptionBudget', 'web').spec).toMatchObject({ minAvailable: 3 });
  });

  test('labels and annotations reach every object; pod labels and annotations only the pods; claims neither', () => {
    const { objects, sts } = build({
      labels: { team: 'storefront' }, annotations: { 'example.com/owner': 'sre' }, podLabels: { tier: 'web' },
      podAnnotations: { 'prometheus.io/scrape': 'true' }, component: 'frontend', partOf: 'shop', scannerAnnotations: false,
    });
    for (const o of objects) {
      expect(o.metadata.labels).toMatchObject({
        'team': 'storefront', 'app.kubernetes.io/component': 'frontend', 'app.kubernetes.io/part-of': 'shop', 'app.kubernetes.io/managed-by': 'cdk8s-stateful',
      });
      expect(o.metadata.annotations).toEqual({ 'example.com/owner': 'sre' });
    }
    expect(sts.spec.template.metadata.labels).toMatchObject({ tier: 'web', team: 'storefront' });
    expect(sts.spec.template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
    expect(sts.spec.volumeClaimTemplates[0].metadata.labels).toEqual(sts.spec.selector.matchLabels);
    expect(sts.spec.volumeClaimTemplates[0].metadata.annotations).toBeUndefined();
  });

  test('appName changes app.kubernetes.io/name but not the instance', () => {
    const { sts } = build({ appName: 'nginx' });
    expect(sts.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'nginx', 'app.kubernetes.io/instance': 'web' });
  });

  test('an image without a usable version tag gets no version label; unpinned only by opt-in', () => {
    const digest = `nginx@sha256:${'a'.repeat(64)}`;
    expect(build({ image: digest }).sts.metadata.labels['app.kubernetes.io/version']).toBeUndefined();
    expect(mainContainer(build({ image: 'nginx:latest', allowUnpinnedImage: true }).sts).image).toBe('nginx:latest');
  });

  test('no ports: an explicit readiness probe and no Service ports', () => {
    const { objects, sts } = build({ ports: undefined, readinessProbe: HealthProbe.exec(['/bin/ready']) });
    expect(find(objects, 'Service', 'web').spec.ports).toBeUndefined();
    expect(mainContainer(sts).ports).toBeUndefined();
  });
});

describe('StatefulApp attributes and helpers', () => {
  test('names, DNS and PVC helpers', () => {
    const { app } = build();
    expect(app.name).toBe('web');
    expect(app.serviceName).toBe('web');
    expect(app.namespace).toBe('shop');
    expect(app.podName(1)).toBe('web-1');
    expect(app.podDnsName(0)).toBe('web-0.web.shop.svc.cluster.local');
    expect(app.serviceHost).toBe('web.shop.svc.cluster.local');
    expect(app.pvcName('www', 2)).toBe('www-web-2');
    expect(app.readHost).toBeUndefined();
  });

  test('without a namespace the DNS helpers return names that resolve within the namespace', () => {
    const { app, sts } = build({}, null);
    expect(sts.metadata.namespace).toBeUndefined();
    expect(app.podDnsName(0)).toBe('web-0.web');
    expect(app.serviceHost).toBe('web');
  });

  test('a namespace prop overrides the chart namespace; cluster domain is configurable', () => {
    const { app, objects } = build({ namespace: 'store', clusterDomain: 'k8s.internal' });
    expect(objects.every((o) => o.metadata.namespace === 'store')).toBe(true);
    expect(app.podDnsName(2)).toBe('web-2.web.store.svc.k8s.internal');
  });

  test('the helpers refuse unknown volumes and bad ordinals', () => {
    const { app } = build({ startOrdinal: 2 });
    expect(() => app.pvcName('data', 0)).toThrow(/StatefulApp 'test\/web': pvcName\(volume\) "data" is invalid: is not a claim template of this app \(claims: www\)/);
    expect(() => app.podDnsName(1)).toThrow(/ordinal 1 is invalid: must be an integer >= 2/);
    expect(() => app.podName(-1)).toThrow(/ordinal -1 is invalid/);
  });

  test('every emitted object is reachable; ApiObject.of(app) is its StatefulSet', () => {
    const { app } = build({ config: { files: { a: 'b' } }, readService: {} });
    expect(ApiObject.of(app)).toBe(app.statefulSet);
    expect(app.statefulSet).toBeInstanceOf(k8s.KubeStatefulSet);
    expect(app.statefulSet.name).toBe('web');
    expect(app.name).toBe('web');
    expect(app.service.name).toBe('web');
    expect(app.readService?.name).toBe('web-read');
    expect(app.configMap?.name).toBe('web-config');
    expect(app.podDisruptionBudget?.name).toBe('web');
  });

  test('the app is one construct; each emitted object is its child with a stable id', () => {
    // GIVEN an app with every optional object
    const { chart, objects } = build({ config: { files: { a: 'b' } }, readService: {}, sidecars: [{ name: 'metrics', ports: [{ name: 'metrics', port: 9113 }] }] });
    // THEN the chart holds the app and one construct per object in the output
    const constructs = chart.node.findAll().filter((c) => c !== chart);
    expect(constructs.filter((c) => !(c instanceof ApiObject)).map((c) => c.node.path)).toEqual(['test/web']);
    expect(constructs.filter((c) => c instanceof ApiObject).length).toBe(objects.length);
    expect(constructs.map((c) => c.node.path)).toEqual([
      'test/web', 'test/web/Resource', 'test/web/ConfigMap', 'test/web/Service', 'test/web/ReadService', 'test/web/DisruptionBudget', 'test/web/NetworkPolicy',
    ]);
  });

  test('a refused app leaves nothing behind in the tree', () => {
    // GIVEN a chart, WHEN an app is refused
    const chart = newChart();
    expect(() => new StatefulApp(chart, 'web', { ...WEB, replicas: -1 })).toThrow(/StatefulApp 'test\/web': replicas -1 is invalid/);
    // THEN the id is still free (validation runs before the set is created)
    expect(chart.node.tryFindChild('web')).toBeUndefined();
    // the Services are checked before the set exists too
    expect(() => new StatefulApp(chart, 'web', { ...WEB, readService: { name: 'web' } })).toThrow(/readService.name "web" is invalid: is the name of the headless governing Service/);
    expect(chart.node.tryFindChild('web')).toBeUndefined();
    expect(() => new StatefulApp(chart, 'web', WEB)).not.toThrow();
  });

  test('errors name the class the user wrote, and pvcName explains a swapped argument', () => {
    class WebServer extends StatefulApp {}
    const chart = newChart();
    expect(() => new WebServer(chart, 'web', { ...WEB, replicas: 1.5 })).toThrow(/^WebServer 'test\/web': replicas 1.5 is invalid/);
    const app = new WebServer(chart, 'web', WEB);
    expect(() => app.pvcName(1 as unknown as string, 0)).toThrow(/WebServer 'test\/web': pvcName\(volume\) 1 is invalid: is not a claim template .* Fix: pass one of the volume names first, then the ordinal: pvcName\("www", 1\)/);
  });

  test('escape hatch: a JSON patch on the StatefulSet reaches the output', () => {
    const chart = newChart();
    const app = new StatefulApp(chart, 'web', WEB);
    app.statefulSet.addJsonPatch(JsonPatch.add('/spec/template/spec/hostname', 'ignored-by-sts'));
    const sts = find(synth(chart), 'StatefulSet', 'web');
    expect(sts.spec.template.spec.hostname).toBe('ignored-by-sts');
  });
});

describe('runtimeClassName', () => {
  test('the pods run under the RuntimeClass; ReplicatedMySql forwards it like every shared prop', () => {
    expect(build({ runtimeClassName: 'gvisor' }).pod.runtimeClassName).toBe('gvisor');
    expect(build().pod.runtimeClassName).toBeUndefined();
    const chart = newChart('db');
    new ReplicatedMySql(chart, 'mysql', { runtimeClassName: 'kata' });
    expect(find(synth(chart), 'StatefulSet', 'mysql').spec.template.spec.runtimeClassName).toBe('kata');
  });

  test.each([
    ['not a DNS name', { runtimeClassName: 'Kata_VM' }, /runtimeClassName "Kata_VM" is invalid: .*Fix: pass the name of a RuntimeClass, e.g. "gvisor"/],
    ['not a string (plain JavaScript)', { runtimeClassName: 3 }, /runtimeClassName 3 is invalid: must be a string/],
    ['misspelt (plain JavaScript)', { runtimeClass: 'gvisor' }, /runtimeClass .*did you mean runtimeClassName\?/],
  ])('refuses a name that is %s', (_what, props, message) => {
    expect(() => build(props as Partial<StatefulAppProps>)).toThrow(message);
  });
});
