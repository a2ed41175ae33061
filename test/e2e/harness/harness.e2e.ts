/**
 * The harness itself on real pods (a 2-member ReplicatedMySql): DNS like CoreDNS, Services that
 * honour readiness, the API stand-in's answers and RBAC, faults, and the StatefulSet controller's
 * revisions (a pod below a rollout's partition comes back with the OLD template).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'cdk8s';
import { ReplicatedMySql } from '../../../src';
import { clusterFor, scenario, synthObjects } from '../env';
import { MySqlCluster } from './cluster';
import { Manifest } from './manifests';

const synth = (): Manifest[] => synthObjects((chart) => new ReplicatedMySql(chart, 'mysql', { image: 'mysql:9.7.4', replicas: 2, database: { name: 'shop', user: 'shop' }, maxReplicaLag: Duration.seconds(5) }));

/** A Role and binding that let the pods read what the newer scripts read (not part of the construct today). */
function withReaderRole(objects: Manifest[]): Manifest[] {
  return [...objects,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'e2e-reader', namespace: 'mysql' },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
        { apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: ['mysql'], verbs: ['get'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['mysql-state'], verbs: ['get', 'patch'] },
        { apiGroups: [''], resources: ['persistentvolumeclaims'], resourceNames: ['data-mysql-0', 'data-mysql-1'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'e2e-reader', namespace: 'mysql' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'e2e-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'mysql', namespace: 'mysql' }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mysql-state', namespace: 'mysql' } },
  ];
}

/** A TLS Secret mounted in the mysql container: a `secret` volume and a `projected` secret source. */
function withTlsVolumes(objects: Manifest[]): Manifest[] {
  const copy = JSON.parse(JSON.stringify(objects)) as Manifest[];
  const pod = copy.find((o) => o.kind === 'StatefulSet')!.spec.template.spec;
  pod.volumes.push(
    { name: 'tls', secret: { secretName: 'mysql-tls', defaultMode: 0o400, items: [{ key: 'tls.crt', path: 'tls.crt', mode: 0o444 }, { key: 'tls.key', path: 'tls.key' }] } },
    { name: 'tls-ca', projected: { sources: [{ secret: { name: 'mysql-tls', items: [{ key: 'ca.crt', path: 'ca/ca.crt' }] } }] } },
  );
  pod.containers[0].volumeMounts.push({ name: 'tls', mountPath: '/etc/e2e-tls', readOnly: true }, { name: 'tls-ca', mountPath: '/etc/e2e-ca', readOnly: true });
  return copy;
}

/** The StatefulSet with a changed template and a rollout partition. */
function rolled(objects: Manifest[], marker: string, partition: number): Manifest[] {
  const copy = JSON.parse(JSON.stringify(objects)) as Manifest[];
  const sts = copy.find((o) => o.kind === 'StatefulSet')!;
  sts.spec.template.metadata.annotations = { ...(sts.spec.template.metadata.annotations ?? {}), 'e2e/marker': marker };
  sts.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition } };
  return copy;
}

describe('the harness on a 2-member cluster', () => {
  const base = withTlsVolumes(withReaderRole(synth()));
  const cluster = clusterFor(() => base);
  let c: MySqlCluster;
  beforeAll(() => { c = cluster(); });
  const step = (name: string, body: () => Promise<void>) => test(name, () => scenario(c, body));

  /** curl to the API stand-in from a pod, with its token: [status code, body] (the API ends bodies with a newline). */
  const api = async (ordinal: number, path: string, patch?: string): Promise<[number, string]> => {
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const data = patch === undefined ? '' : `-X PATCH -H 'Content-Type: application/merge-patch+json' --data '${patch}'`;
    const res = await c.pod(ordinal).exec('bootstrap', ['bash', '-c',
      `curl -sS --cacert ${sa}/ca.crt -H "Authorization: Bearer $(cat ${sa}/token)" ${data} -w '\\n%{http_code}' "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT${path}"`]);
    const i = res.output.lastIndexOf('\n');
    expect(res.output.slice(i - 1, i)).toBe('\n');
    return [Number(res.output.slice(i + 1)), res.output.slice(0, i - 1)];
  };
  const resolve = (name: string) => c.chroot.run(['getent', 'hosts', name], undefined, 30_000, { etc: c.etcDir });
  const hostOf = (target: Parameters<MySqlCluster['sql']>[1]) => c.query('SELECT @@report_host;', target);

  step('start; DNS: pod names resolve while pods exist, unknown names fail at once', async () => {
    await c.start();
    expect(resolve('mysql-1.mysql.mysql.svc.cluster.local').stdout).toMatch(/^127\.0\.0\.12\s/);
    expect(resolve('mysql-1.mysql').stdout).toMatch(/^127\.0\.0\.12\s/);
    expect(resolve('mysql-read.mysql.svc.cluster.local').stdout).toMatch(/^127\.0\.1\.\d+\s/);
    const t0 = Date.now();
    const unknown = c.sql('SELECT 1;', { host: 'mysql-7.mysql.mysql.svc.cluster.local' });
    expect(unknown.stderr).toMatch(/ERROR 2005 .*Unknown MySQL server host/);
    expect(Date.now() - t0).toBeLessThan(3000);
    // A pod that is gone has no name (NXDOMAIN); it comes back with its pod.
    await c.deletePod(1, { recreate: false });
    expect(resolve('mysql-1.mysql.mysql.svc.cluster.local').status).not.toBe(0);
    c.createPod(1);
    expect(resolve('mysql-1.mysql.mysql.svc.cluster.local').stdout).toMatch(/^127\.0\.0\.12\s/);
    await c.waitReady(1);
    // CoreDNS unreachable: lookups time out (4 names with the search list, 1 s each here) instead of failing at once.
    c.dnsOutage({ timeoutSeconds: 1, attempts: 1 });
    const t1 = Date.now();
    expect(resolve('mysql-1.mysql.mysql.svc.cluster.local').status).not.toBe(0);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(1000);
    c.dnsOutage(false);
    expect(resolve('mysql-1.mysql.mysql.svc.cluster.local').stdout).toMatch(/^127\.0\.0\.12\s/);
  });

  step('Services: round-robin over Ready endpoints; a NotReady pod gets no new connection; none: refused at once', async () => {
    const app = { user: 'shop', password: c.secrets['mysql-credentials'].password, database: 'shop' };
    const read = 'mysql-read.mysql.svc.cluster.local';
    const seen = new Set([0, 1, 2, 3].map(() => hostOf({ ...app, host: read })));
    expect([...seen].sort()).toEqual([c.podDnsName(0), c.podDnsName(1)]);
    expect(hostOf({ ...app, host: 'mysql-primary.mysql.svc.cluster.local' })).toBe(c.podDnsName(0));
    // The replica's source delayed: it turns NotReady and leaves mysql-read.
    c.query('STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_DELAY = 3600; START REPLICA;', { pod: 1 });
    c.query('CREATE TABLE IF NOT EXISTS shop.t (id INT PRIMARY KEY); INSERT INTO shop.t VALUES (1);', { pod: 0 });
    await c.waitNotReady(1, 150_000);
    expect(new Set([0, 1, 2].map(() => hostOf({ ...app, host: read })))).toEqual(new Set([c.podDnsName(0)]));
    // The source pod NotReady too (a replication channel configured on it: its agent no longer calls it
    // the primary): no endpoint, refused at once (error 2003, not a timeout).
    c.query('CHANGE REPLICATION SOURCE TO SOURCE_HOST = \'mysql-1.mysql.mysql.svc.cluster.local\', SOURCE_AUTO_POSITION = 1;', { pod: 0 });
    await c.waitNotReady(0);
    expect(c.endpoints('mysql-read')).toEqual([]);
    const t0 = Date.now();
    expect(c.sql('SELECT 1;', { ...app, host: read }).stderr).toMatch(/ERROR 2003 .*\(111\)/);
    expect(Date.now() - t0).toBeLessThan(3000);
    c.query('RESET REPLICA ALL;', { pod: 0 });
    c.query('STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_DELAY = 0; START REPLICA;', { pod: 1 });
    await c.waitReady(0);
    await c.waitReady(1, 150_000);
    // The proxy connects from the client's address: the server sees the test client (127.0.0.1).
    expect(c.query('SELECT SUBSTRING_INDEX(host, \':\', 1) FROM information_schema.processlist WHERE id = CONNECTION_ID();', { ...app, host: read })).toBe('127.0.0.1');
  });

  step('the API stand-in: pods, the StatefulSet, claims, ConfigMaps; RBAC with resourceNames', async () => {
    let [code, body] = await api(0, '/api/v1/namespaces/mysql/pods/mysql-1');
    expect(code).toBe(200);
    expect(body).toMatch(/^\{"kind":"Pod","apiVersion":"v1","metadata":\{"name":"mysql-1","generateName":"mysql-","namespace":"mysql",/);
    expect(body).toContain('{"type":"Ready","observedGeneration":1,"status":"True","lastProbeTime":null,"lastTransitionTime":"');
    expect(body).toContain(`"controller-revision-hash":"${c.podRevision(1)}"`);
    expect(body).toContain('"podIP":"127.0.0.12"');
    expect(body).not.toMatch(/": /);
    [code, body] = await api(0, '/api/v1/namespaces/mysql/pods/mysql-5');
    expect([code, body]).toEqual([404, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"mysql-5\\" not found","reason":"NotFound","details":{"name":"mysql-5","kind":"pods"},"code":404}']);
    [code, body] = await api(0, '/apis/apps/v1/namespaces/mysql/statefulsets/mysql');
    expect(code).toBe(200);
    const sts = JSON.parse(body);
    const { currentRevision, updateRevision } = c.statefulSetStatus();
    expect(sts.status).toMatchObject({ currentRevision, updateRevision, replicas: 2 });
    expect(sts.spec.template.spec.containers[0].name).toBe('mysql');
    expect((await api(0, '/api/v1/namespaces/mysql/persistentvolumeclaims/data-mysql-1'))[0]).toBe(200);
    // The construct's Role gets any claim by name (a scale-in keeps claims beyond the range): a missing one is 404.
    expect((await api(0, '/api/v1/namespaces/mysql/persistentvolumeclaims/data-mysql-9'))[0]).toBe(404);
    // ConfigMaps: a key added by a pod, removed with null; another ConfigMap is forbidden.
    [code, body] = await api(0, '/api/v1/namespaces/mysql/configmaps/mysql-state', '{"data":{"primary":"mysql-0","epoch":"1"}}');
    expect(code).toBe(200);
    expect(body).toMatch(/"data":\{"epoch":"1","primary":"mysql-0"\}\}$/);
    [code] = await api(1, '/api/v1/namespaces/mysql/configmaps/mysql-state', '{"data":{"epoch":null}}');
    expect(code).toBe(200);
    expect(c.configMap('mysql-state')!.data).toEqual({ primary: 'mysql-0' });
    [code, body] = await api(0, '/api/v1/namespaces/mysql/configmaps/mysql-config');
    expect(code).toBe(403);
    expect(JSON.parse(body).message).toBe('configmaps "mysql-config" is forbidden: User "system:serviceaccount:mysql:mysql" cannot get resource "configmaps" in API group "" in the namespace "mysql"');
    // Test hooks: keys deleted, claim labels stripped, the ConfigMap deleted.
    c.deleteConfigMapKeys('mysql-state', ['primary']);
    expect((await api(0, '/api/v1/namespaces/mysql/configmaps/mysql-state'))[1]).not.toContain('"data"');
    c.setClaimLabels('data-mysql-1', { 'e2e/x': 'y' });
    c.stripClaimLabels('data-mysql-1');
    expect(JSON.parse((await api(0, '/api/v1/namespaces/mysql/persistentvolumeclaims/data-mysql-1'))[1]).metadata.labels).toBeUndefined();
    c.deleteConfigMap('mysql-state');
    expect((await api(0, '/api/v1/namespaces/mysql/configmaps/mysql-state'))[0]).toBe(404);
  });

  step('Secrets: volumes laid out as the kubelet does; the TLS Secret serves mysqld and client auth; an impostor CA is refused', async () => {
    const pod = c.pod(1);
    const sh = async (script: string) => {
      const res = await pod.exec('mysql', ['bash', '-c', script], 120_000);
      return { code: res.code, out: res.output.trim() };
    };
    // Modes: item mode or defaultMode, plus group read with fsGroup; owned by the fsGroup; the atomic writer's ..data.
    expect((await sh('stat -L -c "%a %g" /etc/e2e-tls/tls.key /etc/e2e-tls/tls.crt /etc/e2e-ca/ca/ca.crt')).out.split('\n')).toEqual(['440 999', '444 999', '644 999']);
    expect((await sh('readlink /etc/e2e-tls/tls.key; ls -A /etc/e2e-tls | grep -c "^\\.\\.data$"')).out).toBe('..data/tls.key\n1');
    expect((await sh('id -u; head -c 10 /etc/e2e-tls/tls.key')).out).toBe('999\n-----BEGIN');
    expect((await sh('touch /etc/e2e-tls/x 2>&1 || echo read-only')).out).toMatch(/read-only/);
    // The certificate: issued by the Secret's CA, for the members' and the Services' names.
    expect((await sh('openssl verify -CAfile /etc/e2e-ca/ca/ca.crt /etc/e2e-tls/tls.crt')).out).toBe('/etc/e2e-tls/tls.crt: OK');
    for (const name of [c.podDnsName(1), 'mysql-1.mysql', 'mysql-primary.mysql.svc.cluster.local', 'mysql-read', 'mysql.mysql.svc']) {
      expect((await sh(`openssl x509 -in /etc/e2e-tls/tls.crt -noout -checkhost ${name}`)).out).toBe(`Hostname ${name} does match certificate`);
    }
    // A mysqld serving it; a client verifying the server's identity and authenticating with it (REQUIRE X509).
    const impostor = c.impostorTls();
    fs.writeFileSync(path.join(pod.volumePath('tmp'), 'impostor-ca.crt'), impostor['ca.crt']);
    const tls = '--ssl-ca=/etc/e2e-ca/ca/ca.crt --ssl-cert=/etc/e2e-tls/tls.crt --ssl-key=/etc/e2e-tls/tls.key';
    const client = `mysql --no-defaults -h ${c.podDnsName(1)} -P 3307 -u x --batch --skip-column-names --connect-timeout=5`;
    const res = await sh(`set -u; d=/tmp/tlscheck; rm -rf $d; mkdir -p $d
mysqld --no-defaults --initialize-insecure --datadir=$d/data --tmpdir=$d >$d/init.log 2>&1 || { cat $d/init.log; exit 1; }
mysqld --no-defaults --datadir=$d/data --tmpdir=$d --secure-file-priv=$d --socket=$d/sock --pid-file=$d/pid --mysqlx=OFF --port=3307 --bind-address=${c.ipOf(1)} ${tls} --require-secure-transport=ON >$d/err.log 2>&1 &
for _ in $(seq 60); do [ -S $d/sock ] && break; sleep 0.5; done
[ -S $d/sock ] || { tail -n 20 $d/err.log; exit 1; }
mysql --no-defaults -S $d/sock -u root -e "CREATE USER 'x'@'%' REQUIRE X509; GRANT USAGE ON *.* TO 'x'@'%';"
echo "verified: $(${client} --ssl-mode=VERIFY_IDENTITY ${tls} -e "SELECT CURRENT_USER()" 2>&1)"
echo "no client cert: $(${client} --ssl-mode=VERIFY_IDENTITY --ssl-ca=/etc/e2e-ca/ca/ca.crt -e "SELECT 1" 2>&1 | grep -o 'ERROR [0-9]*')"
echo "impostor CA: $(${client} --ssl-mode=VERIFY_CA --ssl-ca=/tmp/impostor-ca.crt --ssl-cert=/etc/e2e-tls/tls.crt --ssl-key=/etc/e2e-tls/tls.key -e "SELECT 1" 2>&1 | grep -o 'ERROR [0-9]*')"
mysqladmin --no-defaults -S $d/sock -u root shutdown; wait; rm -rf $d`);
    expect({ code: res.code, lines: res.out.split('\n').filter((l) => /^(verified|no client cert|impostor CA):/.test(l)) }).toEqual({ code: 0, lines: ['verified: x@%', 'no client cert: ERROR 1045', 'impostor CA: ERROR 2026'] });
  });

  step('faults: a black-holed pod times out; a partition cuts two pods; a killed mysqld restarts without its init containers', async () => {
    // The test client reaches mysql-1 directly, then not at all while it is black-holed.
    const app = { user: 'shop', password: c.secrets['mysql-credentials'].password, database: 'shop' };
    expect(hostOf({ ...app, host: c.podDnsName(1) })).toBe(c.podDnsName(1));
    c.blackhole(1, { nodeUnreachable: false });
    const t0 = Date.now();
    expect(c.sql('SELECT 1;', { ...app, host: c.podDnsName(1), connectTimeout: 3 }).stderr).toMatch(/ERROR 2003 .*\(110\)|timed out|ERROR 2013/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2500);
    c.unblackhole(1);
    expect(hostOf({ ...app, host: c.podDnsName(1) })).toBe(c.podDnsName(1));
    // A partition between the members: mysql-1 cannot reach mysql-0; the test client still can.
    c.partition(0, 1);
    const fromReplica = await c.pod(1).exec('mysql', ['bash', '-c', `timeout 10 bash -c 'exec 3<>/dev/tcp/${c.ipOf(0)}/3306' && echo open || echo closed`]);
    expect(fromReplica.output.trim()).toBe('closed');
    expect(hostOf({ ...app, host: c.podDnsName(0) })).toBe(c.podDnsName(0));
    c.heal(0, 1);
    const healed = await c.pod(1).exec('mysql', ['bash', '-c', `timeout 10 bash -c 'exec 3<>/dev/tcp/${c.ipOf(0)}/3306' && echo open || echo closed`]);
    expect(healed.output.trim()).toBe('open');
    expect(c.faults()).toEqual([]);
    // SIGKILL of mysqld: the container restarts, the init containers do not run again.
    const pod = c.pod(1);
    const bootstrapLog = pod.log('bootstrap');
    await c.killContainer(1, 'mysql', 'SIGKILL');
    expect(pod.containers.get('mysql')!.exits).toEqual(['SIGKILL']);
    await c.waitReady(1);
    expect(pod.containers.get('mysql')!.restarts).toBe(1);
    expect(pod.log('bootstrap')).toBe(bootstrapLog);
    expect(c.pod(1)).toBe(pod);
  });

  step('revisions: with a partition only the pods at or above it are updated; one below it comes back with the OLD template', async () => {
    const old = c.statefulSetStatus().currentRevision;
    await c.apply(rolled(base, 'v2', 1));
    const status = c.statefulSetStatus();
    expect(status.updateRevision).not.toBe(old);
    expect(status.currentRevision).toBe(old);
    expect(c.podRevisions()).toEqual({ 0: old, 1: status.updateRevision });
    expect(c.pod(1).template.metadata.annotations['e2e/marker']).toBe('v2');
    // The pod below the partition is deleted: the controller re-creates it from the current (old) revision.
    await c.deletePod(0);
    expect(c.podRevision(0)).toBe(old);
    expect(c.pod(0).template.metadata.annotations?.['e2e/marker']).toBeUndefined();
    await c.waitReady(0);
    expect(c.statefulSetStatus().currentRevision).toBe(old);
    // partition 0: the rollout completes and currentRevision becomes the update revision.
    await c.apply(rolled(base, 'v2', 0));
    await c.waitUntil('the rollout to complete', () => c.statefulSetStatus().currentRevision === status.updateRevision);
    expect(c.podRevisions()).toEqual({ 0: status.updateRevision, 1: status.updateRevision });
  });
});
