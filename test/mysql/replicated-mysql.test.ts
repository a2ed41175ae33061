import { ApiObject, Duration, Size, Testing, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  CertManagerIssuerKind, DiskProvider, DiskStorageClass, DisruptionBudget, EmptyPrimaryPolicy, MySqlCredentials, MySqlTls, MySqlVersion,
  ReplicatedMySql, ReplicatedMySqlProps,
  StatefulApp, StatefulValidationError, UpdateStrategy,
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
    const constructs = chart.node.findAll().filter((c) => c !== chart);
    expect(constructs.filter((c) => !(c instanceof ApiObject)).map((c) => c.node.path)).toEqual(['test/mysql', 'test/mysql/Resource']);
    expect(constructs.filter((c) => c instanceof ApiObject).length).toBe(objects.length);
    expect(constructs.filter((c) => c instanceof ApiObject).map((c) => c.node.path.replace('test/mysql/', '')).sort()).toEqual([
      'MemberRole', 'MemberRoleBinding', 'Members', 'MetricsConfig', 'MetricsDeployment', 'MetricsNetworkPolicy', 'MetricsService',
      'Resource/ConfigMap', 'Resource/DisruptionBudget', 'Resource/NetworkPolicy', 'Resource/Primary', 'Resource/ReadService', 'Resource/Resource',
      'Resource/Service', 'ServiceAccount', 'ServiceMonitor',
    ]);
    // the budget and the NetworkPolicy are the StatefulApp's, extended through its public methods
    expect(mysql.podDisruptionBudget).toBe(mysql.app.podDisruptionBudget);
    expect(mysql.networkPolicy).toBe(mysql.app.networkPolicy);
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

  test('objects: ConfigMaps (scripts, evidence), headless, read and write Services, StatefulSet, PDB, and the members\' RBAC', () => {
    const { objects } = build();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/mysql-config', 'ConfigMap/mysql-members', 'NetworkPolicy/mysql', 'PodDisruptionBudget/mysql', 'Role/mysql-member', 'RoleBinding/mysql-member',
      'Service/mysql', 'Service/mysql-primary', 'Service/mysql-read', 'ServiceAccount/mysql', 'StatefulSet/mysql',
    ]);
  });

  test('the StatefulSet names the primary in an annotation (what every member reads from the API server) and the series (what the guard compares)', () => {
    const credentials = 'Secret mysql-credentials, keys root-password, replication-password';
    expect(build({ scannerAnnotations: false }).sts.metadata.annotations)
      .toEqual({ 'mysql.cdk8s-stateful.io/primary-ordinal': '0', 'mysql.cdk8s-stateful.io/series': '8.4', 'mysql.cdk8s-stateful.io/credentials': credentials });
    expect(build({ primaryOrdinal: 2, image: 'mysql:9.7.4', scannerAnnotations: false }).sts.metadata.annotations)
      .toEqual({ 'mysql.cdk8s-stateful.io/primary-ordinal': '2', 'mysql.cdk8s-stateful.io/series': '9.7', 'mysql.cdk8s-stateful.io/credentials': credentials });
    // not on the template: a change of the primary changes the template through the env only
    expect(build().sts.spec.template.metadata.annotations['mysql.cdk8s-stateful.io/primary-ordinal']).toBeUndefined();
  });

  test('the evidence ConfigMap is emitted without data: the members write it, GitOps leaves their entries alone', () => {
    const { objects, mysql } = build();
    const cm = find(objects, 'ConfigMap', 'mysql-members');
    expect(cm.data).toBeUndefined();
    expect(cm.metadata.annotations['cdk8s-stateful.io/purpose']).toMatch(/^Each member of mysql records here that it holds data/);
    expect(mysql.membersConfigMap.name).toBe('mysql-members');
  });

  test('the members read their StatefulSet and pods and write the evidence ConfigMap, each by name, and get any claim (a scale-in keeps claims beyond the range); only the bootstrap and the agent get a token, short-lived', () => {
    const { objects, pod, mysql } = build();
    expect(find(objects, 'Role', 'mysql-member').rules).toEqual([
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get'], resourceNames: ['mysql'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['mysql-0', 'mysql-1', 'mysql-2'] },
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'], resourceNames: ['mysql-members'] },
    ]);
    // no list, no watch; only claims are not named
    for (const rule of find(objects, 'Role', 'mysql-member').rules) {
      expect(rule.verbs.every((v: string) => v === 'get' || v === 'patch')).toBe(true);
      if (rule.resources[0] !== 'persistentvolumeclaims') expect(rule.resourceNames.length).toBeGreaterThan(0);
    }
    expect(find(objects, 'RoleBinding', 'mysql-member')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'mysql-member' },
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
    expect(mounting.map((c: any) => c.name)).toEqual(['bootstrap', 'agent']);
    expect(envOf(container(find(objects, 'StatefulSet', 'mysql'), 'bootstrap'))).toMatchObject({ EMPTY_PRIMARY: 'when-new', SERVICE_ACCOUNT: 'mysql' });
    expect([mysql.serviceAccount?.name, mysql.memberRole.name, mysql.memberRoleBinding.name]).toEqual(['mysql', 'mysql-member', 'mysql-member']);
  });

  test.each([
    [EmptyPrimaryPolicy.REFUSE, 'refuse'],
    [EmptyPrimaryPolicy.INITIALIZE_ANYWAY, 'always'],
  ])('emptyPrimary %s: the members still ask the API server (which member is the primary)', (policy, env) => {
    const { objects, pod, sts } = build({ emptyPrimary: policy });
    expect(ofKind(objects, 'Role').map((o) => o.metadata.name)).toEqual(['mysql-member']);
    expect(pod.volumes.map((v: any) => v.name)).toContain('kube-api');
    expect(envOf(container(sts, 'bootstrap')).EMPTY_PRIMARY).toBe(env);
  });

  test('your own service account gets the RoleBinding, and no ServiceAccount is emitted; "default" is refused', () => {
    const { objects, pod } = build({ serviceAccountName: 'db' });
    expect(ofKind(objects, 'ServiceAccount')).toEqual([]);
    expect(pod.serviceAccountName).toBe('db');
    expect(find(objects, 'RoleBinding', 'mysql-member').subjects).toEqual([{ kind: 'ServiceAccount', name: 'db', namespace: 'mysql' }]);
    expect(() => build({ serviceAccountName: 'default' })).toThrow(
      /serviceAccountName "default" is invalid: would bind the members' Role .* to every pod of the namespace that runs as "default"\. Fix: use a ServiceAccount of the database's own, e\.g\. "mysql"/);
  });

  test('3 members of MySQL 8.4, pinned, OrderedReady, 10Gi data volumes kept on deletion and scale-in', () => {
    const { sts } = build();
    expect(sts.spec.replicas).toBe(3);
    // members start together; each bootstrap orders itself (docs/mysql.md: how it works)
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(container(sts, 'mysql').image).toBe('mysql:8.4.10');
    // the pod owns its behaviour: mysqld with the generated configuration under a new server_uuid, no image entrypoint
    expect([container(sts, 'mysql').command, container(sts, 'mysql').args]).toEqual([['bash', '/etc/cdk8s-mysql/run-mysqld.sh'], undefined]);
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
      ['conf', '1Mi'], ['run', '16Mi'], ['tmp', '64Mi'], ['credentials', undefined], ['kube-api', undefined], ['config', undefined],
    ]);
    expect(containerIn(pod, 'mysql').volumeMounts.map((m: any) => m.mountPath)).toEqual([
      '/var/lib/mysql', '/etc/mysql/conf.d', '/var/run/mysqld', '/tmp', '/etc/cdk8s-mysql', '/etc/mysql/credentials',
    ]);
  });

  test('credentials come only from the Secret mysql-credentials, as files: never an environment variable', () => {
    const { sts, objects, pod } = build({ database: { name: 'shop', user: 'shop' } });
    expect(pod.volumes.find((v: any) => v.name === 'credentials')).toEqual({
      name: 'credentials',
      projected: {
        defaultMode: 0o440,
        sources: [{ secret: { name: 'mysql-credentials', items: [
          { key: 'root-password', path: 'root-password' }, { key: 'replication-password', path: 'replication-password' }, { key: 'password', path: 'password' },
        ] } }],
      },
    });
    // mounted where the scripts read them (the server's probes, the bootstrap, the agent); init-config needs none
    const mounts = (c: any) => (c.volumeMounts ?? []).filter((m: any) => m.name === 'credentials');
    for (const name of ['mysql', 'bootstrap', 'agent']) expect(mounts(container(sts, name))).toEqual([{ name: 'credentials', mountPath: '/etc/mysql/credentials', readOnly: true }]);
    expect(mounts(container(sts, 'init-config'))).toEqual([]);
    // no Secret reaches any container of the StatefulSet through the environment (checkov CKV_K8S_35)
    expect(JSON.stringify(sts)).not.toMatch(/secretKeyRef/);
    expect([envOf(container(sts, 'bootstrap')).APP_DATABASE, envOf(container(sts, 'bootstrap')).APP_USER]).toEqual(['shop', 'shop']);
    expect(ofKind(objects, 'Secret')).toHaveLength(0);
    // no literal value of any env var anywhere looks like a password
    expect(JSON.stringify(objects)).not.toMatch(/"name":"[A-Z_]*PASSWORD","value"/);
  });

  test('the agent: a sidecar in the MySQL image with the API token, the socket and the passwords; restarted when it stops reporting', () => {
    const { sts } = build();
    const agent = container(sts, 'agent');
    expect([agent.image, agent.command]).toEqual(['mysql:8.4.10', ['bash', '/etc/cdk8s-mysql/agent.sh']]);
    expect(agent.volumeMounts.map((m: any) => m.mountPath)).toEqual([
      '/etc/cdk8s-mysql', '/var/run/mysqld', '/tmp', '/var/run/secrets/kubernetes.io/serviceaccount', '/etc/mysql/credentials',
    ]);
    expect(envOf(agent)).toMatchObject({ PRIMARY_ORDINAL: '0', REPLICAS: '3', MAX_REPLICA_LAG_SECONDS: '60', MYSQL_TLS: 'self-signed', REPLICATION_USER: 'repl' });
    expect(agent.livenessProbe).toEqual({ exec: { command: ['bash', '/etc/cdk8s-mysql/probe.sh', 'agent'] }, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 });
    // no readiness probe of its own: the mysql container's readiness reads the agent's verdict
    expect(agent.readinessProbe).toBeUndefined();
    expect(agent.resources).toEqual({ requests: { 'cpu': '20m', 'memory': '96Mi', 'ephemeral-storage': '16Mi' }, limits: { 'memory': '96Mi', 'ephemeral-storage': '128Mi' } });
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

  test('config: GTID, binary logs everywhere, clone plugin, temporary files on the volume, memory within the limit; every member starts read-only without replication', () => {
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
read_only = ON
super_read_only = ON
skip_replica_start = ON
replicate_same_server_id = ON
`);
    expect(Object.keys(data).sort()).toEqual(['agent.sh', 'bootstrap.sh', 'common.cnf', 'init-config.sh', 'lib.sh', 'probe.sh', 'run-mysqld.sh']);
  });

  test('spreading over nodes is required (two members on one node are lost together); a single instance has no PDB and no read Service', () => {
    expect(build().pod.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([['kubernetes.io/hostname', 'DoNotSchedule']]);
    const single = build({ replicas: 1 });
    expect(ofKind(single.objects, 'PodDisruptionBudget')).toHaveLength(0);
    expect(single.pod.topologySpreadConstraints).toEqual(build().pod.topologySpreadConstraints);
    expect(single.sts.spec.replicas).toBe(1);
    expect(ofKind(single.objects, 'Service').map((o) => o.metadata.name).sort()).toEqual(['mysql', 'mysql-primary']);
    expect(single.mysql.readHost).toBe(single.mysql.primaryHost);
  });

  test('replicas 0 parks the cluster: the set, Services and volumes stay, no pod runs', () => {
    const { sts, objects, mysql } = build({ replicas: 0 });
    expect(sts.spec.replicas).toBe(0);
    expect(ofKind(objects, 'PodDisruptionBudget')).toEqual([]);
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    // the parked primary's names stay in the Role: it decides where the cluster restarts
    expect(find(objects, 'Role', 'mysql-member').rules[1].resourceNames).toEqual(['mysql-0']);
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
    expect(ofKind(build().objects, 'PodDisruptionBudget').map((o) => o.metadata.name)).toEqual(['mysql']);
    // two members: the one replica needs no budget of its own; the primary keeps its
    expect(ofKind(build({ replicas: 2, protectPrimary: true }).objects, 'PodDisruptionBudget').map((o) => o.metadata.name)).toEqual(['mysql-primary']);
  });

  test('protectPrimary with a budget the replicas cannot meet is refused before anything joins the tree, with the right fix', () => {
    const chart = newChart('mysql');
    expect(() => new ReplicatedMySql(chart, 'mysql', { replicas: 3, protectPrimary: true, disruptionBudget: DisruptionBudget.minAvailable(2) }))
      .toThrow(/disruptionBudget\.minAvailable 2 is invalid: is not below replicas \(2\).*Fix: use at most 1/);
    expect(chart.node.children).toEqual([]);
    // the fix it gives is accepted
    new ReplicatedMySql(chart, 'mysql', { replicas: 3, protectPrimary: true, disruptionBudget: DisruptionBudget.minAvailable(1) });
    expect(find(synth(chart), 'PodDisruptionBudget', 'mysql').spec.minAvailable).toBe(1);
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

  test('a custom Secret and keys: the files keep their names, so the scripts find them', () => {
    const { pod, mysql } = build({ credentials: MySqlCredentials.fromSecretName('db-secrets', { rootPassword: 'root', replicationPassword: 'repl' }) });
    expect(pod.volumes.find((v: any) => v.name === 'credentials').projected.sources).toEqual([{ secret: { name: 'db-secrets', items: [
      { key: 'root', path: 'root-password' }, { key: 'repl', path: 'replication-password' },
    ] } }]);
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

  test('metrics: one exporter Deployment scrapes every member over the network, outside the database pods', () => {
    const { objects, sts, mysql } = build({ metrics: { serviceMonitor: true, interval: Duration.seconds(15) } });
    // nothing in the database pods: a failing exporter cannot make a member NotReady
    expect(sts.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['mysql', 'agent']);
    const deployment = find(objects, 'Deployment', 'mysql-metrics');
    const podLabels = { 'app.kubernetes.io/name': 'mysqld-exporter', 'app.kubernetes.io/instance': 'mysql' };
    expect(deployment.spec.selector).toEqual({ matchLabels: podLabels });
    const exporter = deployment.spec.template.spec.containers[0];
    expect(exporter.image).toBe('prom/mysqld-exporter:v0.18.0');
    expect(exporter.args).toEqual(['--config.my-cnf=/etc/mysqld-exporter/my.cnf', '--web.listen-address=:9104', '--mysqld.address=mysql-primary.mysql.svc.cluster.local:3306']);
    // without a tls choice the connection is encrypted, not verified
    expect(find(objects, 'ConfigMap', 'mysql-metrics').data['my.cnf']).toBe(
      '# mysqld_exporter\'s connection (--config.my-cnf); written by cdk8s-stateful.\n[client]\nuser = exporter\ntls = skip-verify\n');
    expect(envOf(exporter).MYSQLD_EXPORTER_PASSWORD).toEqual({ secretKeyRef: { name: 'mysql-credentials', key: 'exporter-password' } });
    expect(exporter.livenessProbe.tcpSocket).toEqual({ port: 'metrics' });
    expect(exporter.readinessProbe.httpGet).toEqual({ path: '/', port: 'metrics' });
    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
    expect(envOf(container(sts, 'bootstrap')).EXPORTER_USER).toBe('exporter');
    // the exporter's pods are no database members: the StatefulSet's Services and budget do not select them
    for (const name of ['mysql', 'mysql-read', 'mysql-primary']) {
      const selector = find(objects, 'Service', name).spec.selector;
      expect(Object.entries(selector).every(([k, val]) => deployment.spec.template.metadata.labels[k] === val)).toBe(false);
    }
    expect(find(objects, 'Service', 'mysql-metrics').spec).toEqual({ selector: podLabels, ports: [{ name: 'metrics', port: 9104, targetPort: 'metrics' }] });
    const sm = find(objects, 'ServiceMonitor', 'mysql');
    expect(sm.spec.selector).toEqual({ matchLabels: podLabels });
    expect(sm.spec.endpoints).toEqual([0, 1, 2].map((o) => ({
      port: 'metrics', path: '/probe', interval: '15s',
      params: { target: [`mysql-${o}.mysql.mysql.svc.cluster.local:3306`], auth_module: ['client'] },
      relabelings: [{ action: 'replace', targetLabel: 'instance', replacement: `mysql-${o}` }],
    })));
    expect([mysql.serviceMonitor, mysql.metricsDeployment, mysql.metricsService].every((x) => x !== undefined)).toBe(true);
    // kube-prometheus-stack's Prometheus selects ServiceMonitors by its release label: without it, nothing is scraped
    expect(sm.metadata.labels.release).toBe('kube-prometheus-stack');
  });

  test('metrics: serviceMonitorLabels replace the default release label; {} adds none', () => {
    const own = find(build({ metrics: { serviceMonitor: true, serviceMonitorLabels: { release: 'prom' } } }).objects, 'ServiceMonitor', 'mysql');
    expect(own.metadata.labels.release).toBe('prom');
    const none = find(build({ metrics: { serviceMonitor: true, serviceMonitorLabels: {} } }).objects, 'ServiceMonitor', 'mysql');
    expect(none.metadata.labels.release).toBeUndefined();
    expect(none.metadata.labels['app.kubernetes.io/instance']).toBe('mysql');
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
        // the members to each other, and two client peers: clients here, and clients in the listed namespaces
        {
          from: [
            { podSelector: { matchLabels: selector } },
            { podSelector: { matchLabels: { role: 'api' } } },
            { podSelector: { matchLabels: { role: 'api' } }, namespaceSelector: { matchLabels: { team: 'shop' } } },
          ],
          ports: [{ protocol: 'TCP', port: 3306 }],
        },
        // the exporter scrapes every member
        { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mysqld-exporter', 'app.kubernetes.io/instance': 'mysql' } } }], ports: [{ protocol: 'TCP', port: 3306 }] },
      ],
    });
    // Prometheus reaches the exporter only
    expect(find(objects, 'NetworkPolicy', 'mysql-metrics').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mysqld-exporter', 'app.kubernetes.io/instance': 'mysql' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { name: 'prom' } } }], ports: [{ protocol: 'TCP', port: 9104 }] }],
    });
  });

  test('tls from a Secret: mounted for mysqld and the scripts, members verify each other; the exporter verifies too', () => {
    const { sts, pod, objects } = build({ metrics: {}, tls: MySqlTls.fromSecret('db-tls') });
    expect(pod.volumes.find((v: any) => v.name === 'tls')).toEqual({
      name: 'tls', secret: { secretName: 'db-tls', defaultMode: 0o440, items: ['ca.crt', 'tls.crt', 'tls.key'].map((key) => ({ key, path: key })) },
    });
    for (const name of ['mysql', 'bootstrap', 'agent']) {
      expect(container(sts, name).volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/mysql/tls', readOnly: true });
      expect(envOf(container(sts, name === 'mysql' ? 'agent' : name)).MYSQL_TLS).toBe('verify');
    }
    expect(find(objects, 'ConfigMap', 'mysql-config').data['common.cnf']).toMatch(/\nssl_ca = \/etc\/mysql\/tls\/ca\.crt\nssl_cert = \/etc\/mysql\/tls\/tls\.crt\nssl_key = \/etc\/mysql\/tls\/tls\.key\n/);
    expect(find(objects, 'ConfigMap', 'mysql-metrics').data['my.cnf']).toContain('\nssl-ca = /etc/mysql/tls/ca.crt\n');
    expect(ofKind(objects, 'Certificate')).toEqual([]);
    // the first of two rollouts on a running cluster: present the certificate, verify nothing yet
    expect(envOf(container(build({ tls: MySqlTls.fromSecret('db-tls', { verifyPeers: false }) }).sts, 'agent')).MYSQL_TLS).toBe('serve');
    expect(() => build({ tls: MySqlTls.fromSecret('db-tls'), config: { ssl_cert: '/x.pem' } })).toThrow(/config\.ssl_cert "\/x\.pem" is invalid: is managed by ReplicatedMySql with a tls choice/);
  });

  test('tls from cert-manager: a Certificate for every member and Service name, renewed and reloaded without restarts', () => {
    const { objects, mysql } = build({ tls: MySqlTls.certManager({ issuerName: 'db-ca', issuerKind: CertManagerIssuerKind.CLUSTER_ISSUER }) });
    const names = (svc: string) => [`${svc}.mysql.svc.cluster.local`, `${svc}.mysql.svc`, `${svc}.mysql`, svc];
    expect(find(objects, 'Certificate', 'mysql-tls').spec).toEqual({
      secretName: 'mysql-tls',
      issuerRef: { name: 'db-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      dnsNames: ['*.mysql.mysql.svc.cluster.local', ...names('mysql'), ...names('mysql-primary'), ...names('mysql-read')],
      duration: '2160h',
      renewBefore: '720h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'client auth', 'digital signature', 'key encipherment'],
    });
    expect(mysql.certificate).toBeDefined();
    expect(find(objects, 'StatefulSet', 'mysql').spec.template.spec.volumes.find((v: any) => v.name === 'tls').secret.secretName).toBe('mysql-tls');
  });

  test('durability: relaxing sync_binlog and friends is refused unless accepted by name', () => {
    expect(() => build({ config: { sync_binlog: '0' } })).toThrow(
      /config\.sync_binlog "0" is invalid: relaxes durability: the binary log is not flushed at every commit, so a crash of the primary can lose transactions clients saw commit .*Fix: remove it, or accept the risk by name: acceptRelaxedDurability: \['sync_binlog'\]/);
    expect(() => build({ config: { 'innodb-flush-log-at-trx-commit': '2' } })).toThrow(/config\.innodb-flush-log-at-trx-commit "2" is invalid: relaxes durability: the redo log/);
    expect(() => build({ config: { innodb_doublewrite: 'OFF' } })).toThrow(/config\.innodb_doublewrite "OFF" is invalid: relaxes durability: without the doublewrite buffer/);
    const cnf = find(build({ config: { sync_binlog: '1000' }, acceptRelaxedDurability: ['sync_binlog'] }).objects, 'ConfigMap', 'mysql-config').data['common.cnf'];
    expect(cnf).toContain('\nsync_binlog = 1000\n');
    // safe values need no acceptance
    expect(() => build({ config: { sync_binlog: '1', innodb_doublewrite: 'ON' } })).not.toThrow();
    expect(() => build({ acceptRelaxedDurability: ['max_connections'] })).toThrow(/acceptRelaxedDurability\[0\] "max_connections" is invalid: is not a durability setting \(sync_binlog, innodb_flush_log_at_trx_commit, innodb_doublewrite\)/);
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
    expect(np.spec.ingress[0].from[1].podSelector.matchLabels).toEqual({ 'cdk8s-stateful.io/mysql-client': 'mysql' });
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

describe('connectClient: one client, several databases', () => {
  function two(usersProps: ReplicatedMySqlProps = {}) {
    const chart = newChart('mysql');
    const orders = new ReplicatedMySql(chart, 'orders', { database: { name: 'orders', user: 'api' } });
    const users = new ReplicatedMySql(chart, 'users', { database: { name: 'users', user: 'api' }, ...usersProps });
    const deployment = new kplus.Deployment(chart, 'api', { metadata: { name: 'api' }, containers: [{ image: 'shop/api:1.0.0', portNumber: 8080 }] });
    return { chart, orders, users, deployment };
  }

  test('a second database with the default client label is refused, naming the first and the fix; nothing changes', () => {
    const { chart, orders, users, deployment } = two();
    orders.connectClient(deployment);
    expect(() => users.connectClient(deployment, { envPrefix: 'USERS_' })).toThrow(
      /ReplicatedMySql 'test\/users': connectClient\(client\) .* is invalid: is already labelled cdk8s-stateful.io\/mysql-client=orders: a pod has one value per label key, so labelling it a client of 'users' would shut it out of the NetworkPolicy of 'orders'\. Fix: give ReplicatedMySql 'users' networkPolicy.clientPodLabels of its own/);
    const d = find(Testing.synth(chart) as Manifest[], 'Deployment', 'api');
    expect(d.spec.template.metadata.labels['cdk8s-stateful.io/mysql-client']).toBe('orders');
    expect(Object.keys(envOf(d.spec.template.spec.containers[0]))).toEqual(['MYSQL_HOST', 'MYSQL_READ_HOST', 'MYSQL_PORT', 'MYSQL_DATABASE', 'MYSQL_USER', 'MYSQL_PASSWORD']);
  });

  test('the same env names twice are refused with a prefix to use (names, not prefixes, compared); the same database twice too', () => {
    const { orders, users, deployment } = two({ networkPolicy: { clientPodLabels: { 'app.kubernetes.io/name': 'api' } } });
    orders.connectClient(deployment, { envPrefix: 'DB_READ_' });
    expect(() => users.connectClient(deployment, { envPrefix: 'DB_' })).toThrow(/already has DB_READ_HOST in container main, set for ReplicatedMySql 'orders': the second value would replace it\. Fix: pass \{ envPrefix: 'USERS_' \}/);
    expect(() => orders.connectClient(deployment, { envPrefix: 'AGAIN_' })).toThrow(/is already a client of ReplicatedMySql 'orders' in container main/);
  });

  test('the same database for a second container of the client is wired', () => {
    const { chart, orders, deployment } = two();
    const worker = deployment.addContainer({ name: 'worker', image: 'shop/worker:1.0.0' });
    orders.connectClient(deployment);
    orders.connectClient(deployment, { container: worker.name });
    const d = find(Testing.synth(chart) as Manifest[], 'Deployment', 'api');
    expect(envOf(d.spec.template.spec.containers[1]).MYSQL_DATABASE).toBe('orders');
    expect(d.spec.template.metadata.labels['cdk8s-stateful.io/mysql-client']).toBe('orders');
  });

  test('with its own client labels and prefix, the second database is wired beside the first: both policies admit the client', () => {
    const { chart, orders, users, deployment } = two({ networkPolicy: { clientPodLabels: { 'app.kubernetes.io/name': 'api' } } });
    orders.connectClient(deployment);
    users.connectClient(deployment, { envPrefix: 'USERS_' });
    deployment.podMetadata.addLabel('app.kubernetes.io/name', 'api');
    const objects = Testing.synth(chart) as Manifest[];
    const d = find(objects, 'Deployment', 'api');
    const env = envOf(d.spec.template.spec.containers[0]);
    expect(env.MYSQL_DATABASE).toBe('orders');
    expect(env.USERS_DATABASE).toBe('users');
    expect(env.USERS_HOST).toBe(users.primaryHost);
    const labels = d.spec.template.metadata.labels;
    for (const name of ['orders', 'users']) {
      const selected = find(objects, 'NetworkPolicy', name).spec.ingress[0].from[1].podSelector.matchLabels;
      expect(Object.entries(selected).every(([k, val]) => labels[k] === val)).toBe(true);
    }
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
    expect(() => new ReplicatedMySql(newChart(null), 'mysql', { emptyPrimary: EmptyPrimaryPolicy.REFUSE })).toThrow(/namespace \(unset\) is invalid/);
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
    ['a password with a newline', { credentials: MySqlCredentials.fromInsecurePlaintextPasswords({ rootPassword: 'r\n', replicationPassword: 'p' }) }, /credentials\.rootPassword "\(hidden\)" is invalid: contains a control character/],
    ['not MySqlTls (JavaScript)', { tls: 'mysql-tls' as unknown as MySqlTls }, /tls "mysql-tls" is invalid: must be a MySqlTls/],
    ['a tls Secret name that is none', { tls: MySqlTls.fromSecret('My TLS') }, /tls \(Secret name\) "My TLS" is invalid/],
    ['a cert-manager issuer that is none', { tls: MySqlTls.certManager({ issuerName: '' }) }, /tls\.issuerName "" is invalid: is not the name of an Issuer or ClusterIssuer/],
    ['renewal after expiry', { tls: MySqlTls.certManager({ issuerName: 'ca', duration: Duration.days(10), renewBefore: Duration.days(20) }) }, /tls\.renewBefore "20 days" is invalid: must be positive and shorter than the duration \(10 days\)/],
    ['not a list of settings (JavaScript)', { acceptRelaxedDurability: 'sync_binlog' as unknown as string[] }, /acceptRelaxedDurability "sync_binlog" is invalid/],
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
