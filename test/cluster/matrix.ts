/**
 * The matrix of props whose output must be accepted by a real API server (test/cluster/apply.cluster.ts)
 * and pass the third-party scanners (scripts/scan/run.sh writes it with scripts/scan/matrix.js).
 *
 * One case per way of using the library that changes what is emitted: update strategies, retention
 * policies, Services, probes, spreading, disruption budgets, storage presets, config/env/containers,
 * NetworkPolicy, metrics. When the library gains an option, add a case here: nothing else needs to change
 * (the apply test and the scanners take every object of every case, whatever its kind).
 */
import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AccessMode, DiskProvider, DiskStorageClass, DisruptionBudget, EnvSource, FileSystemType, HttpScheme, MySqlBackupStorage,
  MySqlCredentials, MySqlReplication, MySqlRestore, HealthProbe, PvcRetention, ReclaimPolicy, ReplicatedMySql, S3Credentials, SpreadMode,
  StatefulApp, StatefulAppProps, UpdateStrategy, VolumeBindingMode, VolumeClaimOptions,
} from '../../src';
import { ImagePullPolicy, PodManagementPolicy, ServiceType } from 'cdk8s-plus-28';
import type { KubeObject } from './kube';

/** One way of using the library. */
export interface MatrixCase {
  /** Short, DNS-label-safe id (used in namespace and file names). */
  readonly name: string;
  /** Adds the constructs under test to a chart whose namespace is set. */
  readonly build: (chart: Chart) => void;
  /**
   * Objects a user creates beside the library's output, which the pods need to be admitted (a PriorityClass,
   * a ServiceAccount). Applied first; not part of what is scanned.
   */
  readonly prerequisites?: (namespace: string) => KubeObject[];
}

const IMAGE = 'nginxinc/nginx-unprivileged:1.25.3';
const www = (props: Partial<VolumeClaimOptions> = {}): VolumeClaimOptions[] => [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1), ...props }];

/** A StatefulApp with 3 replicas, a port and a claim, plus `props`; `then` calls its methods. */
function app(props: Partial<StatefulAppProps> = {}, then?: (web: StatefulApp) => void): (chart: Chart) => void {
  return (chart) => {
    const web = new StatefulApp(chart, 'web', { image: IMAGE, replicas: 3, ports: [{ name: 'http', port: 8080 }], volumes: www(), ...props });
    then?.(web);
  };
}

const storagePresets: Array<[string, DiskProvider, Record<string, unknown>]> = [
  ['aws-gp3', DiskProvider.AWS_EBS_GP3, { iops: 4000, throughputMiBps: 250, kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', fsType: FileSystemType.XFS }],
  ['aws-gp2', DiskProvider.AWS_EBS_GP2, { encrypted: false }],
  ['aws-io2', DiskProvider.AWS_EBS_IO2, { iops: 10000 }],
  ['gce-balanced', DiskProvider.GCE_PD_BALANCED, { zones: ['europe-west1-b', 'europe-west1-c'] }],
  ['gce-ssd', DiskProvider.GCE_PD_SSD, { reclaimPolicy: ReclaimPolicy.DELETE }],
  ['azure-premium', DiskProvider.AZURE_DISK_PREMIUM, { mountOptions: ['noatime'] }],
  ['azure-standard-ssd', DiskProvider.AZURE_DISK_STANDARD_SSD, {}],
  ['minikube', DiskProvider.MINIKUBE, {}],
  ['local-path', DiskProvider.LOCAL_PATH, { isDefault: true }],
  ['custom', DiskProvider.custom('csi.example.com', { parameters: { tier: 'gold' } }), { volumeBindingMode: VolumeBindingMode.IMMEDIATE, allowVolumeExpansion: false }],
];

export const MATRIX: MatrixCase[] = [
  // --- StatefulApp: sizes and defaults ---
  { name: 'app-single', build: app({ replicas: 1 }) },
  { name: 'app-defaults', build: app() },
  { name: 'app-no-volumes', build: (chart) => void new StatefulApp(chart, 'cache', { image: IMAGE, replicas: 2, ports: [{ name: 'redis', port: 6379 }] }) },
  // --- update strategies and pod management ---
  { name: 'update-partition', build: app({ replicas: 5, updateStrategy: UpdateStrategy.rollingUpdate({ partition: 3 }) }) },
  { name: 'update-max-unavailable', build: app({ podManagementPolicy: PodManagementPolicy.PARALLEL, updateStrategy: UpdateStrategy.rollingUpdate({ maxUnavailable: 2 }) }) },
  { name: 'update-on-delete', build: app({ updateStrategy: UpdateStrategy.onDelete() }) },
  { name: 'parallel', build: app({ podManagementPolicy: PodManagementPolicy.PARALLEL }) },
  // --- PVC retention ---
  { name: 'retention-delete', build: app({ pvcRetentionPolicy: { whenDeleted: PvcRetention.DELETE, whenScaled: PvcRetention.DELETE } }) },
  { name: 'retention-scaled-delete', build: app({ pvcRetentionPolicy: { whenScaled: PvcRetention.DELETE } }) },
  // --- Services ---
  {
    name: 'services',
    build: app({
      ports: [{ name: 'http', port: 8080 }, { name: 'admin', port: 9090 }],
      readService: { ports: ['http'], labels: { exposed: 'true' }, annotations: { note: 'read' } },
    }, (web) => {
      web.addService('Primary', { podOrdinal: 0 });
      web.addService('Peers', { headless: true, publishNotReadyAddresses: true, ports: ['admin'] });
    }),
  },
  { name: 'service-nodeport', build: app({ readService: { type: ServiceType.NODE_PORT } }) },
  { name: 'service-loadbalancer', build: app({ readService: { name: 'web-public', type: ServiceType.LOAD_BALANCER } }) },
  // --- probes ---
  {
    name: 'probes',
    build: app({
      readinessProbe: HealthProbe.httpGet('/ready', { period: Duration.seconds(5), timeout: Duration.seconds(2), failureThreshold: 2, successThreshold: 2 }),
      livenessProbe: HealthProbe.tcpSocket({ initialDelay: Duration.seconds(30), period: Duration.seconds(20) }),
      startupProbe: HealthProbe.exec(['sh', '-c', 'test -f /tmp/started'], { period: Duration.seconds(2), failureThreshold: 60 }),
    }),
  },
  { name: 'probe-https', build: app({ readinessProbe: HealthProbe.httpGet('/healthz', { port: 8443, scheme: HttpScheme.HTTPS }), ports: [{ name: 'https', port: 8443 }] }) },
  // --- spreading and disruption budgets ---
  { name: 'spread-required', build: app({ spreadAcrossNodes: SpreadMode.REQUIRED, spreadAcrossZones: SpreadMode.PREFERRED }) },
  { name: 'spread-zones-required', build: app({ spreadAcrossNodes: SpreadMode.NONE, spreadAcrossZones: SpreadMode.REQUIRED }) },
  { name: 'pdb-min-available', build: app({ replicas: 5, disruptionBudget: DisruptionBudget.minAvailable(3) }) },
  { name: 'pdb-max-unavailable-2', build: app({ replicas: 5, disruptionBudget: DisruptionBudget.maxUnavailable(2) }) },
  { name: 'pdb-none', build: app({ disruptionBudget: DisruptionBudget.none() }) },
  // --- storage presets (each with its StorageClass) ---
  ...storagePresets.map(([name, provider, options]): MatrixCase => ({
    name: `storage-${name}`,
    build: (chart) => {
      const disks = new DiskStorageClass(chart, `disks-${name}`, { provider, ...options });
      new StatefulApp(chart, 'web', { image: IMAGE, replicas: 3, ports: [{ name: 'http', port: 8080 }], volumes: www({ storageClass: disks }) });
    },
  })),
  {
    name: 'storage-existing-class-two-claims',
    build: app({
      volumes: [
        { name: 'data', mountPath: '/data', size: Size.gibibytes(20), storageClass: DiskStorageClass.fromStorageClassName('gp3'), labels: { backup: 'daily' }, annotations: { note: 'x' } },
        { name: 'logs', mountPath: '/logs', size: Size.mebibytes(512), accessModes: [AccessMode.READ_WRITE_ONCE_POD], subPath: 'logs' },
      ],
    }),
  },
  // --- configuration, environment, extra containers, volumes, resources ---
  {
    name: 'config-env-containers',
    build: app({
      config: { files: { 'default.conf': 'server { listen 8080; }\n', 'extra.conf': '# extra\n' }, mountPath: '/etc/nginx/conf.d' },
      env: {
        MODE: EnvSource.fromValue('primary'),
        DB_PASSWORD: EnvSource.fromSecretKey('db-credentials', 'password'),
        FLAGS: EnvSource.fromConfigMapKey('flags', 'all', { optional: true }),
        POD_NAME: EnvSource.fromFieldPath('metadata.name'),
      },
      initContainers: [{ name: 'seed', command: ['sh', '-c', 'echo seeded > /www/index.html'], mounts: [{ volume: 'www', mountPath: '/www' }] }],
      sidecars: [
        {
          name: 'exporter',
          image: 'nginx/nginx-prometheus-exporter:1.1.0',
          ports: [{ name: 'metrics', port: 9113 }],
          readinessProbe: HealthProbe.httpGet('/metrics'),
          mounts: [{ volume: 'config', mountPath: '/etc/nginx/conf.d', readOnly: true }],
        },
      ],
      emptyDirs: [
        { name: 'cache', mountPath: '/var/cache/nginx', sizeLimit: Size.mebibytes(256) },
        { name: 'shm', mountPath: '/dev/shm', inMemory: true, sizeLimit: Size.mebibytes(64) },
      ],
      resources: {
        cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(2) },
        memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) },
        ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(2) },
      },
    }),
  },
  {
    name: 'pod-settings',
    prerequisites: (namespace) => [
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'matrix-high' }, value: 100000 },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web-runner', namespace } },
    ],
    build: app({
      appName: 'shop-web',
      component: 'frontend',
      partOf: 'shop',
      labels: { team: 'web' },
      annotations: { owner: 'team-web' },
      podLabels: { tier: 'front' },
      podAnnotations: { 'prometheus.io/scrape': 'false' },
      startOrdinal: 1,
      minReady: Duration.seconds(10),
      revisionHistoryLimit: 3,
      terminationGracePeriod: Duration.seconds(120),
      imagePullSecrets: ['registry'],
      imagePullPolicy: ImagePullPolicy.ALWAYS,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
      priorityClassName: 'matrix-high',
      serviceAccountName: 'web-runner',
      automountServiceAccountToken: true,
      enableServiceLinks: true,
      runAsUser: 101,
      runAsGroup: 101,
      fsGroup: 101,
      readOnlyRootFilesystem: false,
      command: ['nginx'],
      args: ['-g', 'daemon off;'],
      containerName: 'nginx',
    }),
  },
  // --- NetworkPolicy (on by default: every case above has one) ---
  {
    name: 'app-network-policy',
    build: app({
      ports: [{ name: 'http', port: 8080 }, { name: 'admin', port: 9090 }],
      networkPolicy: { clientPodLabels: { 'app.kubernetes.io/name': 'shop' }, clientNamespaceLabels: { team: 'shop' }, ports: ['http'] },
    }, (web) => web.addLabel('tier', 'web')),
  },
  { name: 'app-replicas-zero', build: app({ replicas: 0 }) },
  // --- ReplicatedMySql ---
  { name: 'mysql-defaults', build: (chart) => void new ReplicatedMySql(chart, 'mysql', {}) },
  { name: 'mysql-single', build: (chart) => void new ReplicatedMySql(chart, 'mysql', { replicas: 1 }) },
  {
    name: 'mysql-network-policy',
    build: (chart) =>
      void new ReplicatedMySql(chart, 'mysql', {
        networkPolicy: { clientPodLabels: { 'app.kubernetes.io/name': 'shop' }, clientNamespaceLabels: { team: 'shop' }, metricsNamespaceLabels: { name: 'monitoring' } },
        metrics: {},
      }),
  },
  { name: 'mysql-protect-primary', build: (chart) => void new ReplicatedMySql(chart, 'mysql', { replicas: 3, protectPrimary: true }) },
  { name: 'mysql-stopped', build: (chart) => void new ReplicatedMySql(chart, 'mysql', { replicas: 0 }) },
  {
    name: 'mysql-metrics',
    build: (chart) => void new ReplicatedMySql(chart, 'mysql', { metrics: { serviceMonitor: true, interval: Duration.seconds(15) }, networkPolicy: {} }),
  },
  {
    name: 'mysql-plaintext',
    build: (chart) =>
      void new ReplicatedMySql(chart, 'mysql', {
        credentials: MySqlCredentials.fromInsecurePlaintextPasswords({ rootPassword: 'root-pw', replicationPassword: 'repl-pw', userPassword: 'user-pw' }),
        database: { name: 'shop', user: 'shop' },
      }),
  },
  {
    name: 'mysql-generated-credentials',
    build: (chart) => void new ReplicatedMySql(chart, 'mysql', { credentials: MySqlCredentials.fromGeneratedSecret(), database: { name: 'shop', user: 'shop' }, metrics: {} }),
  },
  {
    // A new cluster restored to a point in time, in Group Replication (the bootstrap's own image and S3 key), backing up elsewhere.
    name: 'mysql-restore',
    build: (chart) => {
      const bucket = { bucket: 'db-backups', region: 'eu-central-1', credentials: S3Credentials.fromSecret('backup-s3') };
      new ReplicatedMySql(chart, 'mysql', {
        credentials: MySqlCredentials.fromGeneratedSecret(),
        replication: MySqlReplication.groupReplication(),
        restore: MySqlRestore.fromBackup({ storage: MySqlBackupStorage.s3({ ...bucket, prefix: 'prod' }), image: 'registry.example/mysql-tools:8.4.10' })
          .toTime('2026-12-07T10:15:00.250Z', { allowArchiveHoles: true }),
        backup: { storage: MySqlBackupStorage.s3({ ...bucket, prefix: 'prod-restored' }), image: 'registry.example/mysql-tools:8.4.10' },
      });
    },
  },
  {
    // The backups signing in with a ServiceAccount's role (its annotations), verified and pruned, their egress policies.
    name: 'mysql-backup-identity',
    build: (chart) => void new ReplicatedMySql(chart, 'mysql', {
      backup: {
        storage: MySqlBackupStorage.s3({
          bucket: 'db-backups', region: 'eu-central-1', endpoint: 'https://store.example:9000',
          credentials: S3Credentials.fromServiceAccount({ annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/db-backups' } }),
        }),
        image: 'registry.example/mysql-tools:8.4.10', verifySchedule: '0 6 * * 0', retention: { keepBackups: 7, keepFor: Duration.days(14) },
      },
    }),
  },
  {
    // The backup CronJob (its pod template with a generic ephemeral volume) and the archiver under Pod Security restricted.
    name: 'mysql-backup',
    build: (chart) => void new ReplicatedMySql(chart, 'mysql', {
      credentials: MySqlCredentials.fromGeneratedSecret(),
      backup: {
        storage: MySqlBackupStorage.s3({ bucket: 'db-backups', region: 'eu-central-1', credentials: S3Credentials.fromSecret('backup-s3') }),
        image: 'registry.example/mysql-tools:8.4.10',
      },
    }),
  },
  {
    name: 'mysql-tuned',
    build: (chart) => {
      const disks = new DiskStorageClass(chart, 'mysql-disks', { provider: DiskProvider.GCE_PD_SSD });
      new ReplicatedMySql(chart, 'db', {
        name: 'orders',
        replicas: 5,
        storage: { size: Size.gibibytes(50), storageClass: disks },
        credentials: MySqlCredentials.fromSecretName('orders-db', { rootPassword: 'root', replicationPassword: 'repl' }),
        database: { name: 'orders', user: 'orders' },
        config: { max_connections: '500' },
        initSql: 'CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY);',
        resources: { cpu: { request: kplus.Cpu.units(1) }, memory: { request: Size.gibibytes(2), limit: Size.gibibytes(2) } },
        startupTimeout: Duration.minutes(20),
        terminationGracePeriod: Duration.seconds(90),
        updateStrategy: UpdateStrategy.rollingUpdate({ partition: 1 }),
        pvcRetentionPolicy: { whenDeleted: PvcRetention.RETAIN, whenScaled: PvcRetention.RETAIN },
        spreadAcrossZones: SpreadMode.REQUIRED,
        disruptionBudget: DisruptionBudget.minAvailable(3),
        labels: { team: 'orders' },
        podAnnotations: { note: 'tuned' },
      });
    },
  },
  {
    name: 'mysql-with-client',
    build: (chart) => {
      const mysql = new ReplicatedMySql(chart, 'mysql', { networkPolicy: {}, database: { name: 'shop', user: 'shop' } });
      const client = new kplus.Deployment(chart, 'client', {
        metadata: { name: 'shop' },
        replicas: 1,
        securityContext: { user: 1000, group: 1000, ensureNonRoot: true },
        containers: [
          {
            name: 'shop',
            image: 'mysql:8.4.10',
            command: ['sleep', 'infinity'],
            resources: { cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) } },
            securityContext: {
              ensureNonRoot: true,
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
              seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
              capabilities: { drop: [kplus.Capability.ALL] },
            },
          },
        ],
      });
      mysql.connectClient(client);
    },
  },
];

/** Synthesizes one case into `namespace` (with the library's validation), as plain objects. */
export function synthesizeCase(matrixCase: MatrixCase, namespace: string): KubeObject[] {
  const chart = new Chart(Testing.app(), matrixCase.name, { namespace });
  matrixCase.build(chart);
  return Testing.synth(chart) as KubeObject[];
}
