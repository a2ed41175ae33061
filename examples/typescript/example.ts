// The example app that `cdk8s synth` renders into dist/: the scenarios of the seed documents.
import { ApiObject, App, Chart, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { DiskProvider, DiskStorageClass, MySqlCredentials, ReplicatedMySql, StatefulApp, UpdateStrategy } from '../../src';

/** Adds the example charts to an app (used by main.ts and by the snapshot tests). */
export function buildExample(app: App): void {
  // nginx `web`: 3 replicas, each with its own 1Gi `www` volume (PVCs www-web-0..2), on an
  // encrypted EBS gp3 class that keeps volumes when claims are deleted.
  const web = new Chart(app, 'web', { namespace: 'web' });
  const disks = new DiskStorageClass(web, 'gp3', { provider: DiskProvider.AWS_EBS_GP3 });
  new StatefulApp(web, 'web', {
    image: 'nginxinc/nginx-unprivileged:1.25.3',
    replicas: 3,
    ports: [{ name: 'http', port: 8080 }],
    volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1), storageClass: disks }],
    // nginx-unprivileged runs as uid/gid 101.
    runAsUser: 101,
    runAsGroup: 101,
    fsGroup: 101,
    readService: {},
  });

  // A staged rollout: 5 replicas, and a template change only reaches ordinals >= 3 until the
  // partition is lowered (the seeds' RollingUpdate with partition).
  const staged = new Chart(app, 'staged', { namespace: 'web' });
  new StatefulApp(staged, 'canary-web', {
    image: 'nginxinc/nginx-unprivileged:1.25.3',
    replicas: 5,
    ports: [{ name: 'http', port: 8080 }],
    volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1), storageClass: DiskStorageClass.fromStorageClassName('gp3') }],
    runAsUser: 101,
    runAsGroup: 101,
    fsGroup: 101,
    updateStrategy: UpdateStrategy.rollingUpdate({ partition: 3 }),
  });

  // Replicated MySQL (the seeds' centrepiece): namespace mysql, an encrypted EBS gp3 class,
  // 3 members with 10Gi each (PVCs data-mysql-0..2). The passwords live in the Secret
  // mysql-credentials, emitted empty: a Job fills in random ones at the first apply (no value in git).
  const db = new Chart(app, 'mysql', { namespace: 'mysql' });
  const mysqlDisks = new DiskStorageClass(db, 'mysql-gp3', { provider: DiskProvider.AWS_EBS_GP3 });
  const mysql = new ReplicatedMySql(db, 'mysql', {
    replicas: 3,
    storage: { size: Size.gibibytes(10), storageClass: mysqlDisks },
    database: { name: 'shop', user: 'shop' },
    networkPolicy: {},
    credentials: MySqlCredentials.fromGeneratedSecret(),
  });

  // A stateless client beside the stateful database (the seeds compare the two): a Deployment
  // that reads through the read Service, like the seeds' `mysql-client-loop`.
  const client = new kplus.Deployment(db, 'client', {
    metadata: { name: 'mysql-client' },
    replicas: 1,
    select: false,
    securityContext: { user: 999, group: 999, ensureNonRoot: true },
    containers: [{
      name: 'client',
      image: 'mysql:8.4.10',
      command: ['bash', '-c', 'while sleep 5; do mysql --defaults-extra-file=<(printf "[client]\\nuser=%s\\npassword=%s\\n" "$MYSQL_USER" "$MYSQL_PASSWORD") -h "$MYSQL_READ_HOST" -P "$MYSQL_PORT" "$MYSQL_DATABASE" -e "SELECT @@server_id, NOW()"; done'],
      resources: {
        cpu: { request: kplus.Cpu.millis(10) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) },
      },
      readiness: kplus.Probe.fromCommand(['bash', '-c', 'mysqladmin --connect-timeout=2 -h "$MYSQL_READ_HOST" -P "$MYSQL_PORT" ping']),
      securityContext: {
        ensureNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
        capabilities: { drop: [kplus.Capability.ALL] },
      },
    }],
  });
  const labels = { 'app.kubernetes.io/name': 'mysql-client', 'app.kubernetes.io/instance': 'mysql-client' };
  for (const [key, value] of Object.entries(labels)) client.podMetadata.addLabel(key, value);
  client.select(kplus.LabelSelector.of({ labels }));
  // cdk8s-plus labels pods with a hash of the construct path; drop it so a refactor of this
  // code does not restart the client.
  ApiObject.of(client).addJsonPatch(JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'));
  mysql.connectClient(client);
}
