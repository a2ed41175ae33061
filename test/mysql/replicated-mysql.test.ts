import { ApiObject, Duration, Size, Testing, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  DiskProvider, DiskStorageClass, EmptyPrimaryPolicy, MySqlCredentials, MySqlVersion, ReplicatedMySql, ReplicatedMySqlProps, StatefulApp, StatefulValidationError, UpdateStrategy,
} from '../../src';
import { checkAll } from '../policy';
import { find, Manifest, newChart, ofKind, synth, toYaml } from '../util';

function build(props: ReplicatedMySqlProps = {}, namespace: string | null = 'mysql') {
  const chart = newChart(namespace);
  const mysql = new ReplicatedMySql(chart, 'mysql', props);
  const objects = synth(chart);
  const sts = find(objects, 'StatefulSet', 'mysql');
  return { chart, mysql, objects, sts, pod: sts.spec.template.spec };
}
const containerIn = (pod: any, name: string) => [...(pod.initContainers ?? []), ...pod.containers].find((c: any) => c.name === name);
const container = (sts: Manifest, name: string) => containerIn(sts.spec.template.spec, name);
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('ReplicatedMySql defaults', () => {
  test('snapshot', () => {
    expect(toYaml(build().objects)).toMatchSnapshot();
  });

  test('it holds a StatefulApp (id Resource): ApiObject.of finds the StatefulSet; every object is a typed child', () => {
    const chart = newChart('mysql');
    const mysql = new ReplicatedMySql(chart, 'mysql', { networkPolicy: {}, metrics: { serviceMonitor: true } });
    const objects = synth(chart);
    expect(mysql.app).toBeInstanceOf(StatefulApp);
    expect(ApiObject.of(mysql)).toBe(mysql.statefulSet);
    expect(mysql.statefulSet).toBe(mysql.app.statefulSet);
    expect(mysql.configMap.name).toBe('mysql-config');
    const constructs = chart.node.findAll().filter(c => c !== chart);
    expect(constructs.filter(c => !(c instanceof ApiObject)).map(c => c.node.path)).toEqual(['test/mysql', 'test/mysql/Resource']);
    expect(constructs.filter(c => c instanceof ApiObject).length).toBe(objects.length);
    expect(constructs.filter(c => c instanceof ApiObject).map(c => c.node.path.replace('test/mysql/', '')).sort()).toEqual([
      'BootstrapRole', 'BootstrapRoleBinding', 'DisruptionBudget', 'NetworkPolicy', 'Resource/ConfigMap', 'Resource/Metrics', 'Resource/Primary',
      'Resource/ReadService', 'Resource/Resource', 'Resource/Service', 'ServiceAccount', 'ServiceMonitor',
    ]);
    // the StatefulApp helpers work through it
    expect(mysql.pvcName('data', 1)).toBe('data-mysql-1');
  });

  test('a refused cluster leaves nothing behind in the tree', () => {
    const chart = newChart('mysql');
    expect(() => new ReplicatedMySql(chart, 'mysql', { replicas: -1 })).toThrow(/ReplicatedMySql 'test\/mysql': replicas -1 is invalid/);
    expect(chart.node.tryFindChild('mysql')).toBeUndefined();
    expect(() => new ReplicatedMySql(chart, 'mysql', { metrics: { interval: Duration.seconds(1) } })).toThrow(/metrics.interval "1s" is invalid/);
    expect(chart.node.tryFindChild('mysql')).toBeUndefined();
    expect(() => new ReplicatedMySql(chart, 'mysql', { networkPolicy: { clientPodLabels: {} } })).toThrow(/networkPolicy.clientPodLabels \{\} is invalid/);
    expect(chart.node.tryFindChild('mysql')).toBeUndefined();
  });

  test('objects: ConfigMap, headless, read and write Services, StatefulSet, PDB, and the bootstrap\'s RBAC', () => {
    const { objects } = build();
    expect(objects.map(o => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/mysql-config', 'NetworkPolicy/mysql', 'PodDisruptionBudget/mysql', 'Role/mysql-bootstrap', 'RoleBinding/mysql-bootstrap',
      'Service/mysql', 'Service/mysql-primary', 'Service/mysql-read', 'ServiceAccount/mysql', 'StatefulSet/mysql',
    ]);
  });

  test('the bootstrap may list claims and label the members\' own; only it gets a token, short-lived', () => {
    const { objects, pod, mysql } = build();
    expect(find(objects, 'Role', 'mysql-bootstrap').rules).toEqual([
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['list'] },
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['patch'], resourceNames: ['data-mysql-0', 'data-mysql-1', 'data-mysql-2'] },
    ]);
    expect(find(objects, 'RoleBinding', 'mysql-bootstrap')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'mysql-bootstrap' },
      subjects: [{ kind: 'ServiceAccount', name: 'mysql', namespace: 'mysql' }],
    });
    expect(find(objects, 'ServiceAccount', 'mysql').automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('mysql');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes.find((v: any) => v.name === 'kube-api').projected.sources).toEqual([
      { serviceAccountToken: { path: 'token', expirationSeconds: 600 } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
    const mounting = [...pod.initContainers, ...pod.containers].filter((c: any) => (c.volumeMounts ?? []).some((m: any) => m.name === 'kube-api'));
    expect(mounting.map((c: any) => c.name)).toEqual(['bootstrap']);
    expect(envOf(container(find(objects, 'StatefulSet', 'mysql'), 'bootstrap'))).toMatchObject({
      EMPTY_PRIMARY: 'when-new', CLAIM_SELECTOR: 'app.kubernetes.io/instance=mysql,app.kubernetes.io/name=mysql', SERVICE_ACCOUNT: 'mysql',
    });
    expect([mysql.serviceAccount?.name, mysql.bootstrapRole?.name, mysql.bootstrapRoleBinding?.name]).toEqual(['mysql', 'mysql-bootstrap', 'mysql-bootstrap']);
  });

  test.each([
    [EmptyPrimaryPolicy.REFUSE, 'refuse'],
    [EmptyPrimaryPolicy.INITIALIZE_ANYWAY, 'always'],
  ])('emptyPrimary %s: no API access at all', (policy, env) => {
    const { objects, pod, sts } = build({ emptyPrimary: policy });
    expect(ofKind(objects, 'Role').concat(ofKind(objects, 'RoleBinding'), ofKind(objects, 'ServiceAccount'))).toEqual([]);
    expect(pod.volumes.map((v: any) => v.name)).not.toContain('kube-api');
    expect(pod.serviceAccountName).toBeUndefined();
    expect(envOf(container(sts, 'bootstrap')).EMPTY_PRIMARY).toBe(env);
  });

  test('your own service account gets the RoleBinding, and no ServiceAccount is emitted', () => {
    const { objects, pod } = build({ serviceAccountName: 'db' });
    expect(ofKind(objects, 'ServiceAccount')).toEqual([]);
    expect(pod.serviceAccountName).toBe('db');
    expect(find(objects, 'RoleBinding', 'mysql-bootstrap').subjects).toEqual([{ kind: 'ServiceAccount', name: 'db', namespace: 'mysql' }]);
  });

  test('3 members of MySQL 8.4, pinned, OrderedReady, 10Gi data volumes kept on deletion and scale-in', () => {
    const { sts } = build();
    expect(sts.spec.replicas).toBe(3);
    // members start together; each bootstrap orders itself (README: how it works)
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(container(sts, 'mysql').image).toBe('mysql:8.4.10');
    // the pod owns its behaviour: mysqld with the generated configuration, no image entrypoint
    expect([container(sts, 'mysql').command, container(sts, 'mysql').args]).toEqual([['mysqld'], ['--defaults-file=/etc/mysql/conf.d/mysqld.cnf']]);
    expect(sts.spec.volumeClaimTemplates[0]).toMatchObject({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { resources: { requests: { storage: '10Gi' } } },
    });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('runs as mysql (999) under Pod Security restricted with a read-only root and writable emptyDirs', () => {
    const { pod } = build();
    expect(pod.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, fsGroup: 999, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true });
    }
    expect(pod.volumes.map((v: any) => [v.name, v.emptyDir?.sizeLimit])).toEqual([
      ['conf', '1Mi'], ['run', '16Mi'], ['tmp', '64Mi'], ['kube-api', undefined], ['config', undefined],
    ]);
    expect(containerIn(pod, 'mysql').volumeMounts.map((m: any) => m.mountPath)).toEqual([
      '/var/lib/mysql', '/etc/mysql/conf.d', '/var/run/mysqld', '/tmp', '/etc/cdk8s-mysql',
    ]);
  });

  test('credentials come only from the Secret mysql-credentials; root is local-only', () => {
    const { sts, objects } = build({ database: { name: 'shop', user: 'shop' } });
    // the server's container needs only root's password (its probes); the bootstrap gets the rest
    expect(envOf(container(sts, 'mysql'))).toEqual({
      MYSQL_ROOT_PASSWORD: { secretKeyRef: { name: 'mysql-credentials', key: 'root-password' } }, MAX_REPLICA_LAG_SECONDS: '60',
    });
    const env = envOf(container(sts, 'bootstrap'));
    expect(env.MYSQL_ROOT_PASSWORD).toEqual({ secretKeyRef: { name: 'mysql-credentials', key: 'root-password' } });
    expect(env.REPLICATION_PASSWORD).toEqual({ secretKeyRef: { name: 'mysql-credentials', key: 'replication-password' } });
    expect(env.APP_PASSWORD).toEqual({ secretKeyRef: { name: 'mysql-credentials', key: 'password' } });
    expect([env.APP_DATABASE, env.APP_USER]).toEqual(['shop', 'shop']);
    expect(envOf(container(sts, 'init-config')).MYSQL_ROOT_PASSWORD).toBeUndefined();
    expect(ofKind(objects, 'Secret')).toHaveLength(0);
    // no literal value of any env var anywhere looks like a password
    expect(JSON.stringify(objects)).not.toMatch(/"name":"[A-Z_]*PASSWORD","value"/);
  });

  test('Services: headless (peers find each other before Ready), read (all members), write (the primary pod)', () => {
    const { objects, mysql } = build();
    expect(find(objects, 'Service', 'mysql').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(find(objects, 'Service', 'mysql-read').spec.selector).toEqual({ 'app.kubernetes.io/name': 'mysql', 'app.kubernetes.io/instance': 'mysql' });
    expect(find(objects, 'Service', 'mysql-primary').spec.selector).toEqual({
      'app.kubernetes.io/name': 'mysql', 'app.kubernetes.io/instance': 'mysql', 'statefulset.kubernetes.io/pod-name': 'mysql-0',
    });
    expect(mysql.primaryHost).toBe('mysql-primary.mysql.svc.cluster.local');
    expect(mysql.primaryPodHost).toBe('mysql-0.mysql.mysql.svc.cluster.local');
    expect(mysql.readHost).toBe('mysql-read.mysql.svc.cluster.local');
    expect(mysql.port).toBe(3306);
    expect(mysql.pvcName('data', 2)).toBe('data-mysql-2');
    expect(mysql.podDnsName(1)).toBe('mysql-1.mysql.mysql.svc.cluster.local');
    expect([mysql.secretName, mysql.rootPasswordKey, mysql.replicationPasswordKey, mysql.userPasswordKey]).toEqual(['mysql-credentials', 'root-password', 'replication-password', 'password']);
    // the properties name the Services that exist
    expect(mysql.primaryService.name).toBe('mysql-primary');
    expect(mysql.readService?.name).toBe('mysql-read');
  });

  test('probes fit a database: a 30-minute startup budget, liveness only when mysqld stops answering, readiness by SQL', () => {
    const c = container(build().sts, 'mysql');
    expect(c.startupProbe).toEqual({ exec: { command: ['bash', '/etc/cdk8s-mysql/probe.sh', 'startup'] }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 180 });
    expect(c.livenessProbe).toEqual({ exec: { command: ['bash', '/etc/cdk8s-mysql/probe.sh', 'liveness'] }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 });
    expect(c.readinessProbe).toEqual({ exec: { command: ['bash', '/etc/cdk8s-mysql/probe.sh', 'readiness'] }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
  });

  test('cloning happens in an init container, where no probe can kill it', () => {
    const { pod } = build();
    expect(pod.initContainers.map((c: any) => [c.name, c.command])).toEqual([
      ['init-config', ['bash', '/etc/cdk8s-mysql/init-config.sh']],
      ['bootstrap', ['bash', '/etc/cdk8s-mysql/bootstrap.sh']],
    ]);
    for (const c of pod.initContainers) expect([c.startupProbe, c.livenessProbe, c.readinessProbe]).toEqual([undefined, undefined, undefined]);
    // the bootstrap runs mysqld, so it gets the server's resources
    // (its ephemeral storage is a helper's: it writes to the data volume, not to emptyDirs)
    const { 'ephemeral-storage': _l, ...limits } = pod.containers[0].resources.limits;
    const { 'ephemeral-storage': _r, ...requests } = pod.containers[0].resources.requests;
    expect(containerIn(pod, 'bootstrap').resources).toEqual({ limits: { ...limits, 'ephemeral-storage': '128Mi' }, requests: { ...requests, 'ephemeral-storage': '16Mi' } });
  });

  test('config: GTID, binary logs everywhere, clone plugin, temporary files on the volume, memory within the limit; super_read_only on replicas', () => {
    const { objects } = build();
    const data = find(objects, 'ConfigMap', 'mysql-config').data;
    expect(data['common.cnf']).toBe(`# Shared by every member of mysql; written by cdk8s-stateful.
[mysqld]
datadir = /var/lib/mysql/data
socket = /var/run/mysqld/mysqld.sock
pid_file = /var/run/mysqld/mysqld.pid
port = 3306
mysqlx = OFF
tmpdir = /var/lib/mysql/tmp
innodb_tmpdir = /var/lib/mysql/tmp
secure_file_priv = /var/lib/mysql/files
skip_name_resolve = ON
gtid_mode = ON
enforce_gtid_consistency = ON
log_bin = binlog
relay_log = relay-bin
log_replica_updates = ON
binlog_expire_logs_seconds = 604800
plugin_load_add = mysql_clone.so
max_allowed_packet = 64M
innodb_buffer_pool_size = 384M
temptable_max_ram = 64M
replica_net_timeout = 20
`);
    expect(data['primary.cnf']).toContain('read_only = OFF\nsuper_read_only = OFF');
    expect(data['replica.cnf']).toContain('read_only = ON\nsuper_read_only = ON');
    expect(Object.keys(data).sort()).toEqual(['bootstrap.sh', 'common.cnf', 'init-config.sh', 'lib.sh', 'primary.cnf', 'probe.sh', 'replica.cnf']);
  });

  test('spreading over nodes is required (two members on one node are lost together); a single instance has no PDB and no read Service', () => {
    expect(build().pod.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([['kubernetes.io/hostname', 'DoNotSchedule']]);
    const single = build({ replicas: 1 });
    expect(ofKind(single.objects, 'PodDisruptionBudget')).toHaveLength(0);
    expect(single.pod.topologySpreadConstraints).toEqual(build().pod.topologySpreadConstraints);
    expect(single.sts.spec.replicas).toBe(1);
    expect(ofKind(single.objects, 'Service').map(o => o.metadata.name).sort()).toEqual(['mysql', 'mysql-primary']);
    expect(single.mysql.readHost).toBe(single.mysql.primaryHost);
  });

  test('replicas 0 parks the cluster: the set, Services and volumes stay, no pod runs', () => {
    const { sts, objects, mysql } = build({ replicas: 0 });
    expect(sts.spec.replicas).toBe(0);
    expect(ofKind(objects, 'PodDisruptionBudget')).toEqual([]);
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(find(objects, 'Role', 'mysql-bootstrap').rules).toEqual([{ apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['list'] }]);
    expect(mysql.primaryOrdinal).toBe(0);
  });

  test('protectPrimary: the primary\'s own budget (maxUnavailable 0), the replicas\' budget without it', () => {
    const { objects } = build({ protectPrimary: true, primaryOrdinal: 1 });
    const selector = { 'app.kubernetes.io/instance': 'mysql', 'app.kubernetes.io/name': 'mysql' };
    expect(find(objects, 'PodDisruptionBudget', 'mysql-primary').spec).toEqual({
      maxUnavailable: 0, selector: { matchLabels: { ...selector, 'statefulset.kubernetes.io/pod-name': 'mysql-1' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    expect(find(objects, 'PodDisruptionBudget', 'mysql').spec).toEqual({
      maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow',
      selector: { matchLabels: selector, matchExpressions: [{ key: 'statefulset.kubernetes.io/pod-name', operator: 'NotIn', values: ['mysql-1'] }] },
    });
    // by default one budget over every member: a drain may take the primary (one restart of writes)
    expect(ofKind(build().objects, 'PodDisruptionBudget').map(o => o.metadata.name)).toEqual(['mysql']);
  });

  test.each([1, 3])('policy-clean with %d member(s), apart from the Secret the user creates', (replicas) => {
    const { objects } = build({ replicas, database: { name: 'app', user: 'app' }, metrics: {}, networkPolicy: {} });
    expect(checkAll(objects, ['external-ref'])).toEqual([]);
  });
});

describe('ReplicatedMySql options', () => {
  test('storage class, size, resources (buffer pool follows the memory limit), user config merged over defaults', () => {
    const chart = newChart('mysql');
    const disks = new DiskStorageClass(chart, 'gp3', { provider: DiskProvider.AWS_EBS_GP3 });
    new ReplicatedMySql(chart, 'mysql', {
      storage: { size: Size.gibibytes(100), storageClass: disks },
      resources: { memory: { request: Size.gibibytes(8), limit: Size.gibibytes(8) } },
      config: { 'max-connections': '500', 'innodb_buffer_pool_size': '6G', 'binlog_expire_logs_seconds': '86400' },
    });
    const objects = synth(chart);
    const sts = find(objects, 'StatefulSet', 'mysql');
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'gp3', resources: { requests: { storage: '100Gi' } } });
    expect(container(sts, 'mysql').resources).toEqual({ requests: { 'cpu': '500m', 'memory': '8Gi', 'ephemeral-storage': '64Mi' }, limits: { 'memory': '8Gi', 'ephemeral-storage': '337Mi' } });
    const cnf: string = find(objects, 'ConfigMap', 'mysql-config').data['common.cnf'];
    expect(cnf).toContain('binlog_expire_logs_seconds = 86400');
    expect(cnf).not.toContain('binlog_expire_logs_seconds = 604800');
    // user options come last, in the order given, replacing the defaults they name
    expect(cnf.trimEnd().split('\n').slice(-3)).toEqual(['max_connections = 500', 'innodb_buffer_pool_size = 6G', 'binlog_expire_logs_seconds = 86400']);
  });

  // three quarters of what the limit leaves after mysqld's ~512 MiB of other memory, in 128 MiB steps
  test.each([
    [Size.mebibytes(640), '128M', '40M'],
    [Size.gibibytes(1), '384M', '64M'],
    [Size.gibibytes(4), '2688M', '256M'],
    [Size.gibibytes(32), '24192M', '1024M'],
  ])('the buffer pool and in-memory temporary tables follow the memory limit %s', (limit, pool, temptable) => {
    const { objects } = build({ resources: { memory: { request: limit, limit } } });
    const cnf = find(objects, 'ConfigMap', 'mysql-config').data['common.cnf'];
    expect(cnf).toContain(`innodb_buffer_pool_size = ${pool}\n`);
    expect(cnf).toContain(`temptable_max_ram = ${temptable}\n`);
  });

  test('a custom Secret and keys', () => {
    const { sts, mysql } = build({ credentials: MySqlCredentials.fromSecretName('db-secrets', { rootPassword: 'root', replicationPassword: 'repl' }) });
    expect(envOf(container(sts, 'bootstrap')).MYSQL_ROOT_PASSWORD).toEqual({ secretKeyRef: { name: 'db-secrets', key: 'root' } });
    expect(envOf(container(sts, 'bootstrap')).REPLICATION_PASSWORD).toEqual({ secretKeyRef: { name: 'db-secrets', key: 'repl' } });
    expect(mysql.secretName).toBe('db-secrets');
  });

  test('plaintext passwords only through the loudly named opt-in, as a Secret object', () => {
    const { objects, mysql } = build({
      database: { name: 'app', user: 'app' },
      credentials: MySqlCredentials.fromInsecurePlaintextPasswords({ rootPassword: 'r', replicationPassword: 'p', userPassword: 'u' }),
    });
    const secret = find(objects, 'Secret', 'mysql-credentials');
    expect(secret.stringData).toEqual({ 'root-password': 'r', 'replication-password': 'p', 'password': 'u' });
    expect(secret.metadata.annotations['cdk8s-stateful.io/warning']).toMatch(/plaintext/);
    expect(mysql.plaintextSecret).toBeDefined();
    expect(checkAll(objects)).toEqual([]);
  });

  test('init SQL runs once on the primary (shipped for the entrypoint)', () => {
    const { objects } = build({ initSql: 'CREATE TABLE app.t (id INT PRIMARY KEY);' });
    expect(find(objects, 'ConfigMap', 'mysql-config').data['init.sql']).toBe('CREATE TABLE app.t (id INT PRIMARY KEY);');
  });

  test('server id base and primary ordinal reach the pods; the write Service follows the primary', () => {
    const { sts, objects, mysql } = build({ serverIdBase: 1000, primaryOrdinal: 2 });
    const env = envOf(container(sts, 'init-config'));
    expect([env.SERVER_ID_BASE, env.PRIMARY_ORDINAL]).toEqual(['1000', '2']);
    expect(find(objects, 'Service', 'mysql-primary').spec.selector['statefulset.kubernetes.io/pod-name']).toBe('mysql-2');
    expect(mysql.primaryPodHost).toBe('mysql-2.mysql.mysql.svc.cluster.local');
  });

  test('metrics: exporter sidecar with its own user, a headless metrics Service and a ServiceMonitor', () => {
    const { objects, sts, mysql } = build({ metrics: { serviceMonitor: true, interval: Duration.seconds(15) } });
    const exporter = container(sts, 'metrics');
    expect(exporter.image).toBe('prom/mysqld-exporter:v0.18.0');
    expect(exporter.args).toEqual(['--config.my-cnf=/etc/cdk8s-mysql/exporter.cnf', '--web.listen-address=:9104']);
    // it connects over the pod-local socket (mysqld listens on the pod IP only)
    expect(find(objects, 'ConfigMap', 'mysql-config').data['exporter.cnf']).toBe(
      "# mysqld_exporter's connection (--config.my-cnf); written by cdk8s-stateful.\n[client]\nuser = exporter\nsocket = /var/run/mysqld/mysqld.sock\n");
    expect(exporter.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/etc/cdk8s-mysql', '/var/run/mysqld']);
    expect(envOf(exporter).MYSQLD_EXPORTER_PASSWORD).toEqual({ secretKeyRef: { name: 'mysql-credentials', key: 'exporter-password' } });
    expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: 9104 }]);
    expect(envOf(container(sts, 'bootstrap')).EXPORTER_USER).toBe('exporter');
    const svc = find(objects, 'Service', 'mysql-metrics');
    expect(svc.spec).toMatchObject({ clusterIP: 'None', ports: [{ name: 'metrics', port: 9104, targetPort: 'metrics' }] });
    const sm = find(objects, 'ServiceMonitor', 'mysql');
    expect(sm.spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/instance': 'mysql', 'app.kubernetes.io/component': 'metrics' } },
      endpoints: [{ port: 'metrics', path: '/metrics', interval: '15s' }],
    });
    // the ServiceMonitor selects the metrics Service and no other
    for (const s of ofKind(objects, 'Service')) {
      const selected = Object.entries(sm.spec.selector.matchLabels).every(([k, val]) => s.metadata.labels[k] === val);
      expect(selected).toBe(s.metadata.name === 'mysql-metrics');
    }
    expect(mysql.serviceMonitor).toBeDefined();
  });

  test('NetworkPolicy: peers, clients by label (optionally from other namespaces), Prometheus to metrics', () => {
    const { objects } = build({
      metrics: {},
      networkPolicy: { clientPodLabels: { role: 'api' }, clientNamespaceLabels: { team: 'shop' }, metricsNamespaceLabels: { name: 'prom' } },
    });
    const np = find(objects, 'NetworkPolicy', 'mysql');
    const selector = { 'app.kubernetes.io/name': 'mysql', 'app.kubernetes.io/instance': 'mysql' };
    expect(np.spec).toEqual({
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress'],
      ingress: [
        { from: [{ podSelector: { matchLabels: selector } }], ports: [{ protocol: 'TCP', port: 3306 }] },
        // two peers: clients here, and clients in the listed namespaces
        { from: [{ podSelector: { matchLabels: { role: 'api' } } }, { podSelector: { matchLabels: { role: 'api' } }, namespaceSelector: { matchLabels: { team: 'shop' } } }], ports: [{ protocol: 'TCP', port: 3306 }] },
        { from: [{ namespaceSelector: { matchLabels: { name: 'prom' } } }], ports: [{ protocol: 'TCP', port: 9104 }] },
      ],
    });
  });

  test('update strategy and other pass-through options', () => {
    const { sts } = build({ updateStrategy: UpdateStrategy.rollingUpdate({ partition: 1 }), terminationGracePeriod: Duration.minutes(5), nodeSelector: { disk: 'ssd' } });
    expect(sts.spec.updateStrategy.rollingUpdate).toEqual({ partition: 1 });
    expect(sts.spec.template.spec.terminationGracePeriodSeconds).toBe(300);
    expect(sts.spec.template.spec.nodeSelector).toEqual({ disk: 'ssd' });
  });

  test('startup budget', () => {
    expect(container(build({ startupTimeout: Duration.hours(2) }).sts, 'mysql').startupProbe.failureThreshold).toBe(720);
  });
});

describe('connectClient wires a cdk8s-plus-28 Deployment', () => {
  function client(props: ReplicatedMySqlProps = { database: { name: 'shop', user: 'shop' }, networkPolicy: {} }) {
    const chart = newChart('mysql');
    const mysql = new ReplicatedMySql(chart, 'mysql', props);
    const deployment = new kplus.Deployment(chart, 'api', { metadata: { name: 'api' }, containers: [{ image: 'shop/api:1.0.0', portNumber: 8080 }] });
    return { chart, mysql, deployment };
  }

  test('sets the connection env from the properties, the password from the Secret, and the NetworkPolicy label', () => {
    const { chart, mysql, deployment } = client();
    mysql.connectClient(deployment);
    const objects = Testing.synth(chart) as Manifest[];
    const d = find(objects, 'Deployment', 'api');
    const env = envOf(d.spec.template.spec.containers[0]);
    expect(env).toEqual({
      MYSQL_HOST: mysql.primaryHost,
      MYSQL_READ_HOST: mysql.readHost,
      MYSQL_PORT: '3306',
      MYSQL_DATABASE: 'shop',
      MYSQL_USER: 'shop',
      MYSQL_PASSWORD: { secretKeyRef: { name: 'mysql-credentials', key: 'password' } },
    });
    expect(d.spec.template.metadata.labels['cdk8s-stateful.io/mysql-client']).toBe('mysql');
    // the NetworkPolicy's client rule selects exactly these pods
    const np = find(objects, 'NetworkPolicy', 'mysql');
    expect(np.spec.ingress[1].from[0].podSelector.matchLabels).toEqual({ 'cdk8s-stateful.io/mysql-client': 'mysql' });
  });

  test('a prefix and a chosen container', () => {
    const { chart, mysql, deployment } = client();
    const sidecar = deployment.addContainer({ name: 'worker', image: 'shop/worker:1.0.0' });
    mysql.connectClient(deployment, { container: sidecar.name, envPrefix: 'DB_' });
    const d = find(Testing.synth(chart) as Manifest[], 'Deployment', 'api');
    expect(d.spec.template.spec.containers[0].env).toBeUndefined();
    expect(Object.keys(envOf(d.spec.template.spec.containers[1]))).toEqual(['DB_HOST', 'DB_READ_HOST', 'DB_PORT', 'DB_DATABASE', 'DB_USER', 'DB_PASSWORD']);
  });

  test('refuses without an application user (clients must not use root), and a bad prefix', () => {
    const { mysql, deployment } = client({});
    expect(() => mysql.connectClient(deployment)).toThrow(/ReplicatedMySql 'test\/mysql': database \(unset\) is invalid: is not configured, so there is no application user for clients.*Fix: set database/);
    const ok = client();
    expect(() => ok.mysql.connectClient(ok.deployment, { envPrefix: 'db-' })).toThrow(/envPrefix "db-" is invalid/);
  });
});

describe('ReplicatedMySql versions', () => {
  test.each([
    [{}, 'mysql:8.4.10', MySqlVersion.V8_4],
    [{ version: MySqlVersion.V9_7 }, 'mysql:9.7.4', MySqlVersion.V9_7],
    [{ image: 'registry.example.com/mysql:9.7.4-oracle' }, 'registry.example.com/mysql:9.7.4-oracle', MySqlVersion.V9_7],
    [{ image: `mysql@sha256:${'b'.repeat(64)}`, version: MySqlVersion.V8_4 }, `mysql@sha256:${'b'.repeat(64)}`, MySqlVersion.V8_4],
  ])('%j runs %s (MySQL %s)', (props, image, version) => {
    const { sts, mysql } = build(props);
    expect(container(sts, 'mysql').image).toBe(image);
    expect(mysql.version).toBe(version);
  });

  test('without a namespace the RoleBinding could not name the service account: refused with the fix', () => {
    expect(() => new ReplicatedMySql(newChart(null), 'mysql')).toThrow(/ReplicatedMySql 'test\/mysql': namespace \(unset\) is invalid: is needed: the RoleBinding .*Fix: set namespace on the chart or on the ReplicatedMySql/);
    expect(() => new ReplicatedMySql(newChart(null), 'mysql', { emptyPrimary: EmptyPrimaryPolicy.REFUSE })).not.toThrow();
  });
});

describe('ReplicatedMySql refuses bad props', () => {
  test.each<[string, ReplicatedMySqlProps & { id?: string }, RegExp]>([
    ['replicas -1', { replicas: -1 }, /replicas -1 is invalid: must be an integer between 0 and 1000\. Fix: use 1 \(a single instance\) or more .* or 0 to park the cluster/],
    ['fractional replicas', { replicas: 2.5 }, /replicas 2\.5 is invalid/],
    ['size 0', { storage: { size: Size.gibibytes(0) } }, /storage\.size "0 bytes" is invalid: must be a positive Size\. Fix: use Size\.gibibytes\(10\)/],
    ['size not a Size', { storage: { size: '10Gi' as unknown as Size } }, /storage\.size "10Gi" is invalid: must be a cdk8s Size \(received a string\)\. Fix: use Size\.gibibytes\(10\)/],
    ['server id base 0', { serverIdBase: 0 }, /serverIdBase 0 is invalid: must be an integer between 1 and 4294967293\. Fix: use a base between 1 and 4294967293 \(server_id = base \+ ordinal/],
    ['server id base too high', { serverIdBase: 4294967295 }, /serverIdBase 4294967295 is invalid/],
    ['bad name', { name: 'My_SQL' }, /name "My_SQL" is invalid: must consist of lower case letters/],
    ['name from the id', { id: 'MySQL' }, /name \(from the construct id\) "MySQL" is invalid/],
    ['name too long', { name: 'm'.repeat(53) }, /must be at most 52 characters/],
    ['bad namespace', { namespace: 'My NS' }, /namespace "My NS" is invalid/],
    ['MySQL 5.7', { image: 'mysql:5.7' }, /image "mysql:5\.7" is invalid: is not a supported MySQL version \(tag "5\.7"\): ReplicatedMySql runs the LTS series 8\.4 and 9\.7.*Fix: use "mysql:8\.4\.10" or "mysql:9\.7\.4"/],
    ['MySQL 8.0', { image: 'mysql:8.0.40' }, /is not a supported MySQL version \(tag "8\.0\.40"\)/],
    ['MySQL 9', { image: 'mysql:9.1.0' }, /is not a supported MySQL version \(tag "9\.1\.0"\)/],
    ['latest', { image: 'mysql:latest' }, /image "mysql:latest" is invalid: does not say which MySQL series it is \(tag "latest"\)\. Fix: add version: MySqlVersion\.V8_4 \(or V9_7\)/],
    ['latest, even with a version', { image: 'mysql:latest', version: MySqlVersion.V8_4 }, /image "mysql:latest" is invalid: is not pinned/],
    ['no tag', { image: 'mysql' }, /does not say which MySQL series it is \(no tag\)/],
    ['a version the tag contradicts', { image: 'mysql:8.4.10', version: MySqlVersion.V9_7 }, /version "9\.7" is invalid: contradicts the image tag "8\.4\.10" \(MySQL 8\.4\)/],
    ['not a version (JavaScript)', { version: '8.0' as MySqlVersion }, /version "8\.0" is invalid: is not a MySqlVersion \(one of "8\.4", "9\.7"\)\. Fix: use MySqlVersion\.V8_4 \("8\.4"\)/],
    ['memory below what mysqld needs', { resources: { memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) } } },
      /resources\.memory\.limit "64Mi" is invalid: is too small for mysqld: the InnoDB buffer pool \(128 MiB\) plus about 512 MiB that mysqld needs besides it .* make 640 MiB, so the pod would be OOM-killed\. Fix: use at least Size\.mebibytes\(640\)$/],
    ['a buffer pool that does not fit the limit', { config: { innodb_buffer_pool_size: '1G' } },
      /resources\.memory\.limit "1024Mi" is invalid: .*buffer pool \(1024 MiB, from config\).* make 1536 MiB.*Fix: use at least Size\.mebibytes\(1536\), or a smaller innodb_buffer_pool_size/],
    ['a buffer pool size mysqld cannot read', { config: { innodb_buffer_pool_size: 'lots' } }, /config\.innodb_buffer_pool_size "lots" is invalid: is not a size mysqld understands/],
    ['memory not a Size (JavaScript)', { resources: { memory: { limit: '2Gi' as unknown as Size } } }, /resources\.memory\.limit "2Gi" is invalid: must be a cdk8s Size \(received a string\)\. Fix: use Size\.gibibytes\(2\)/],
    ['replica lag below a second', { maxReplicaLag: Duration.millis(500) }, /maxReplicaLag "0\.5s" is invalid: must be a whole number of seconds >= 1/],
    ['not an EmptyPrimaryPolicy', { emptyPrimary: 'yes' as EmptyPrimaryPolicy }, /emptyPrimary "yes" is invalid: is not an EmptyPrimaryPolicy/],
    ['primary outside the members of a later start ordinal', { startOrdinal: 1, replicas: 2, primaryOrdinal: 0 }, /primaryOrdinal 0 is invalid: must be an integer between 1 and 2\. Fix: use an ordinal between 1 and 2 \(the members are mysql-1 to mysql-2\)/],
    ['not an image', { image: 'my sql' }, /image "my sql" is invalid: is not a valid image reference/],
    ['primary ordinal out of range', { replicas: 3, primaryOrdinal: 3 }, /primaryOrdinal 3 is invalid: must be an integer between 0 and 2/],
    ['bad replication user', { replicationUser: 'repl-user' }, /replicationUser "repl-user" is invalid/],
    ['root as replication user', { replicationUser: 'root' }, /replicationUser "root" is invalid: .*not root/],
    ['bad database name', { database: { name: 'my-db', user: 'app' } }, /database\.name "my-db" is invalid: must be 1-64 letters, digits or "_"/],
    ['database user root', { database: { name: 'app', user: 'root' } }, /database\.user "root" is invalid: .*neither root nor the replication user \(repl\)/],
    ['managed option', { config: { server_id: '7' } }, /config\.server_id "7" is invalid: is managed by ReplicatedMySql/],
    ['managed option with dashes', { config: { 'super-read-only': 'OFF' } }, /config\.super-read-only "OFF" is invalid: is managed by ReplicatedMySql/],
    ['bad option name', { config: { 'Max Connections': '5' } }, /config key "Max Connections" is invalid: is not a mysqld option name/],
    ['multi-line option', { config: { max_connections: '5\nskip_grant_tables = ON' } }, /config\.max_connections .* is invalid: must be a single-line string/],
    ['empty init SQL', { initSql: '  ' }, /initSql " {2}" is invalid: must be non-empty SQL/],
    ['short startup budget', { startupTimeout: Duration.seconds(30) }, /startupTimeout "30s" is invalid: must be at least 60 seconds/],
    ['plaintext without a user password', { database: { name: 'a', user: 'a' }, credentials: MySqlCredentials.fromInsecurePlaintextPasswords({ rootPassword: 'r', replicationPassword: 'p' }) }, /credentials\.userPassword \(unset\) is invalid: must be a non-empty password/],
    ['plaintext empty root password', { credentials: MySqlCredentials.fromInsecurePlaintextPasswords({ rootPassword: '', replicationPassword: 'p' }) }, /credentials\.rootPassword "\(hidden\)" is invalid/],
    ['bad secret name', { credentials: MySqlCredentials.fromSecretName('My Secret') }, /credentials \(Secret name\) "My Secret" is invalid/],
    ['bad metrics user', { metrics: { user: 'repl' } }, /metrics\.user "repl" is invalid/],
    ['metrics interval', { metrics: { serviceMonitor: true, interval: Duration.seconds(1) } }, /metrics\.interval "1s" is invalid/],
    ['empty client labels', { networkPolicy: { clientPodLabels: {} } }, /networkPolicy\.clientPodLabels \{\} is invalid: is empty and would match everything/],
    ['bad client label', { networkPolicy: { clientPodLabels: { 'a b': 'c' } } }, /networkPolicy\.clientPodLabels key "a b" is invalid/],
  ])('%s', (_what, override, message) => {
    const { id, ...props } = override;
    const build = () => new ReplicatedMySql(newChart('mysql'), id ?? 'mysql', props);
    expect(build).toThrow(StatefulValidationError);
    expect(build).toThrow(new RegExp(`^ReplicatedMySql 'test/${id ?? 'mysql'}': `));
    expect(build).toThrow(message);
  });

  test('the same app placed deeper gives the same YAML', () => {
    const yaml = (deep: boolean) => {
      const app = Testing.app();
      const chart = new Chart(app, 'db', { namespace: 'mysql' });
      new ReplicatedMySql(deep ? new Construct(new Construct(chart, 'platform'), 'data') : chart, 'mysql', { metrics: { serviceMonitor: true }, networkPolicy: {} });
      return app.synthYaml();
    };
    expect(yaml(true)).toBe(yaml(false));
  });
});
