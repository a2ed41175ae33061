/**
 * ReplicatedMySql's `backup`: the CronJob, what it runs as and reaches, the backup account's password, and a
 * clear refusal of every prop that would give a backup that cannot run or leaks data.
 */
import { Duration, Size } from 'cdk8s';
import {
  DiskProvider, DiskStorageClass, MySqlBackupOptions, MySqlBackupStorage, MySqlCredentials, MySqlReplication, MySqlTls, ReplicatedMySql,
  MySqlVersion, ReclaimPolicy, ReplicatedMySqlProps, S3Credentials, S3StorageOptions,
} from '../../src';
import { checkAll } from '../policy';
import { find, Manifest, newChart, ofKind, synth } from '../util';

const STORAGE: S3StorageOptions = { bucket: 'db-backups', region: 'eu-central-1', credentials: S3Credentials.fromSecret('backup-s3') };
// (the official image the members run lacks tar and a recent curl: the backups get one that has them)
const TOOLS = 'registry.example/mysql-tools:8.4.10';
const BACKUP: MySqlBackupOptions = { storage: MySqlBackupStorage.s3(STORAGE), image: TOOLS };

function build(props: ReplicatedMySqlProps = {}, backup: MySqlBackupOptions | null = BACKUP) {
  const chart = newChart('mysql');
  const mysql = new ReplicatedMySql(chart, 'mysql', { replicas: 3, ...(backup ? { backup } : {}), ...props });
  return { mysql, objects: synth(chart) };
}

const podOf = (cronJob: Manifest) => cronJob.spec.jobTemplate.spec.template.spec;
const envOf = (container: { env: Array<{ name: string; value?: string }> }) => Object.fromEntries(container.env.map((e) => [e.name, e.value ?? 'valueFrom']));

describe('backup: the CronJob', () => {
  test('daily at 03:00 UTC, one at a time, three attempts within 6 hours, a day to read the last Job\'s log', () => {
    const { mysql, objects } = build();
    const cron = find(objects, 'CronJob', 'mysql-backup');
    expect(mysql.backupCronJob?.name).toBe('mysql-backup');
    expect(cron.spec).toMatchObject({
      schedule: '0 3 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1,
    });
    // A pod stuck Pending fails the Job (and the next runs are not held off); finished ones go with their scratch claims.
    expect(cron.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 21600, ttlSecondsAfterFinished: 86400 });
    expect(podOf(cron).restartPolicy).toBe('Never');
  });

  test('the members\' image and scripts; told the members, the account, the store; no secret in its environment', () => {
    const { objects } = build();
    const pod = podOf(find(objects, 'CronJob', 'mysql-backup'));
    const [container] = pod.containers;
    expect(container.image).toBe(TOOLS);
    expect(container.command).toEqual(['bash', '/etc/cdk8s-mysql/backup.sh']);
    // Without an image of its own, a member image of another build than the official one is used as it is.
    const own = podOf(find(build({ image: 'registry.example/mysql-debian:8.4.10', version: MySqlVersion.V8_4 }, { storage: BACKUP.storage }).objects, 'CronJob', 'mysql-backup'));
    expect(own.containers[0].image).toBe(find(build({ image: 'registry.example/mysql-debian:8.4.10', version: MySqlVersion.V8_4 }).objects, 'StatefulSet', 'mysql').spec.template.spec.containers[0].image);
    expect(envOf(container)).toEqual({
      MYSQL_NAMESPACE: 'valueFrom', POD_UID: 'valueFrom', MYSQL_SET_NAME: 'mysql', MYSQL_SERVICE: 'mysql', CLUSTER_DOMAIN: 'cluster.local',
      START_ORDINAL: '0', REPLICAS: '3', MYSQL_TLS: 'self-signed', BACKUP_USER: 'backup', BACKUP_SCRATCH: '/var/lib/mysql-backup',
      S3_ENDPOINT: 'https://s3.eu-central-1.amazonaws.com', S3_REGION: 'eu-central-1', S3_BUCKET: 'db-backups', S3_PREFIX: '',
      S3_CREDENTIALS_DIR: '/etc/mysql-backup/s3',
    });
    expect(JSON.stringify(container.env)).not.toMatch(/secretKeyRef/);
  });

  test('passwords as files: only the backup user\'s from the credentials Secret, the access key from its own', () => {
    const pod = podOf(find(build().objects, 'CronJob', 'mysql-backup'));
    const volume = (name: string) => pod.volumes.find((v: { name: string }) => v.name === name);
    expect(volume('credentials').secret).toEqual({ secretName: 'mysql-credentials', defaultMode: 0o440, items: [{ key: 'backup-password', path: 'backup-password' }] });
    expect(volume('s3').secret).toEqual({
      secretName: 'backup-s3', defaultMode: 0o440,
      items: [{ key: 'access-key-id', path: 'access-key-id' }, { key: 'secret-access-key', path: 'secret-access-key' }],
    });
    expect(pod.containers[0].volumeMounts).toEqual(expect.arrayContaining([
      { name: 'credentials', mountPath: '/etc/mysql/credentials', readOnly: true }, { name: 's3', mountPath: '/etc/mysql-backup/s3', readOnly: true },
    ]));
  });

  test('an image of its own (one with tar and a recent curl), a timeout', () => {
    const pod = podOf(find(build({}, { ...BACKUP, image: 'registry.example/mysql-tools:8.4.10', timeout: Duration.hours(2) }).objects, 'CronJob', 'mysql-backup'));
    expect(pod.containers[0].image).toBe('registry.example/mysql-tools:8.4.10');
    expect(find(build({}, { ...BACKUP, timeout: Duration.hours(2) }).objects, 'CronJob', 'mysql-backup').spec.jobTemplate.spec.activeDeadlineSeconds).toBe(7200);
  });

  test('a scratch class that retains its volumes is refused (a full copy per backup would stay); one that deletes them is used', () => {
    const chart = newChart('mysql');
    const retain = new DiskStorageClass(chart, 'disks', { provider: DiskProvider.AWS_EBS_GP3 });
    expect(() => new ReplicatedMySql(chart, 'mysql', { storage: { storageClass: retain }, backup: BACKUP }))
      .toThrow(/backup\.scratchStorageClass \(the members' class\) "disks" is invalid: retains volumes after their claims are deleted.*Fix: pass a class with reclaimPolicy: ReclaimPolicy\.DELETE as backup\.scratchStorageClass/);
    const scratch = new DiskStorageClass(chart, 'scratch', { provider: DiskProvider.AWS_EBS_GP3, reclaimPolicy: ReclaimPolicy.DELETE });
    new ReplicatedMySql(chart, 'db', { storage: { storageClass: retain }, backup: { ...BACKUP, scratchStorageClass: scratch } });
    const pod = podOf(find(synth(chart), 'CronJob', 'db-backup'));
    expect(pod.volumes.find((v: { name: string }) => v.name === 'scratch').ephemeral.volumeClaimTemplate.spec.storageClassName).toBe('scratch');
  });

  test('the clone goes to a volume of the members\' class and size, made for the pod and deleted with it', () => {
    const disks = DiskStorageClass.fromStorageClassName('fast');
    const pod = podOf(find(build({ storage: { size: Size.gibibytes(50), storageClass: disks } }).objects, 'CronJob', 'mysql-backup'));
    const scratch = pod.volumes.find((v: { name: string }) => v.name === 'scratch');
    expect(scratch.ephemeral.volumeClaimTemplate.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '50Gi' } } });
    const sized = podOf(find(build({}, { ...BACKUP, scratchSize: Size.gibibytes(80) }).objects, 'CronJob', 'mysql-backup'));
    expect(sized.volumes.find((v: { name: string }) => v.name === 'scratch').ephemeral.volumeClaimTemplate.spec.resources.requests.storage).toBe('80Gi');
  });

  test('Pod Security restricted, its own ServiceAccount without a token, sized; nothing reaches it; the members admit it on 3306', () => {
    const { objects } = build();
    // (the two Secrets exist out of band: the members' and the access key)
    expect(checkAll(objects, ['external-ref'])).toEqual([]);
    const pod = podOf(find(objects, 'CronJob', 'mysql-backup'));
    expect(pod.serviceAccountName).toBe('mysql-backup');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(find(objects, 'ServiceAccount', 'mysql-backup').automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 });
    expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.containers[0].resources).toEqual({
      requests: { 'cpu': '250m', 'memory': '1Gi', 'ephemeral-storage': '64Mi' }, limits: { 'memory': '1Gi', 'ephemeral-storage': '256Mi' },
    });
    const own = find(objects, 'NetworkPolicy', 'mysql-backup');
    // Nothing reaches it; it reaches DNS, the store's port (443 from the https endpoint) and the members' MySQL port only.
    expect(own.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mysql-backup', 'app.kubernetes.io/instance': 'mysql' } },
      policyTypes: ['Ingress', 'Egress'],
      egress: [
        { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
        { ports: [{ port: 443, protocol: 'TCP' }] },
        { to: [{ podSelector: { matchLabels: find(objects, 'StatefulSet', 'mysql').spec.selector.matchLabels } }], ports: [{ port: 3306, protocol: 'TCP' }] },
      ],
    });
    const members = find(objects, 'NetworkPolicy', 'mysql');
    expect(members.spec.ingress).toEqual(expect.arrayContaining([{
      from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mysql-backup', 'app.kubernetes.io/instance': 'mysql' } } }],
      ports: [{ port: 3306, protocol: 'TCP' }],
    }]));
  });

  test('the members create the account: BACKUP_USER, and the password file in their credentials volume; backup.sh in the ConfigMap', () => {
    const { objects } = build();
    const sts = find(objects, 'StatefulSet', 'mysql');
    const agent = sts.spec.template.spec.containers.find((c: { name: string }) => c.name === 'agent');
    expect(envOf(agent).BACKUP_USER).toBe('backup');
    const credentials = sts.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'credentials');
    expect(credentials.projected.sources[0].secret.items).toContainEqual({ key: 'backup-password', path: 'backup-password' });
    expect(Object.keys(find(objects, 'ConfigMap', 'mysql-config').data)).toEqual(expect.arrayContaining(['s3.sh', 'backup.sh', 'verify-backup.sh']));
    expect(sts.metadata.annotations['mysql.cdk8s-stateful.io/credentials']).toBe('Secret mysql-credentials, keys root-password, replication-password, backup-password');
  });

  test('without backup: no CronJob, no account, no script, the members\' pods as before', () => {
    const { mysql, objects } = build({}, null);
    expect(mysql.backupCronJob).toBeUndefined();
    expect(ofKind(objects, 'CronJob')).toEqual([]);
    expect(JSON.stringify(find(objects, 'StatefulSet', 'mysql'))).not.toMatch(/BACKUP_USER|backup-password/);
    expect(Object.keys(find(objects, 'ConfigMap', 'mysql-config').data)).not.toContain('backup.sh');
  });

  test('generated credentials: the Job writes the backup password too; plaintext ones must include it', () => {
    const generated = build({ credentials: MySqlCredentials.fromGeneratedSecret() });
    const job = find(generated.objects, 'Job', 'mysql-credentials');
    expect(envOf(job.spec.template.spec.containers[0]).CREDENTIALS_FIELDS).toBe('root-password replication-password backup-password');
    const plain = build({ credentials: MySqlCredentials.fromInsecurePlaintextPasswords({ rootPassword: 'r', replicationPassword: 'p', backupPassword: 'b' }) });
    expect(find(plain.objects, 'Secret', 'mysql-credentials').stringData['backup-password']).toBe('b');
    expect(() => build({ credentials: MySqlCredentials.fromInsecurePlaintextPasswords({ rootPassword: 'r', replicationPassword: 'p' }) }))
      .toThrow(/credentials\.backupPassword \(unset\) is invalid: must be a non-empty password\. Fix: pass backupPassword/);
  });

  test('a prefix, a key of its own, an S3-compatible endpoint, Group Replication, verified TLS: each reaches the pod', () => {
    const storage = MySqlBackupStorage.s3({
      bucket: 'b.example', prefix: 'mysql/prod', region: 'us-east-1', endpoint: 'https://s3.internal.example:9000/',
      credentials: S3Credentials.fromSecret('s3', { accessKeyId: 'AWS_ACCESS_KEY_ID', secretAccessKey: 'AWS_SECRET_ACCESS_KEY' }),
    });
    const chart = newChart('mysql');
    new ReplicatedMySql(chart, 'db', {
      replicas: 3, replication: MySqlReplication.groupReplication(), tls: MySqlTls.fromSecret('db-tls'), backup: { storage, schedule: '@hourly', user: 'bk', image: TOOLS },
    });
    const pod = podOf(find(synth(chart), 'CronJob', 'db-backup'));
    expect(envOf(pod.containers[0])).toMatchObject({
      S3_ENDPOINT: 'https://s3.internal.example:9000', S3_PREFIX: 'mysql/prod', S3_BUCKET: 'b.example', REPLICATION_MODE: 'group', MYSQL_TLS: 'verify', BACKUP_USER: 'bk',
    });
    expect(pod.volumes.find((v: { name: string }) => v.name === 's3').secret.items).toEqual([
      { key: 'AWS_ACCESS_KEY_ID', path: 'access-key-id' }, { key: 'AWS_SECRET_ACCESS_KEY', path: 'secret-access-key' },
    ]);
    expect(pod.volumes.find((v: { name: string }) => v.name === 'tls').secret).toEqual({ secretName: 'db-tls', defaultMode: 0o440, items: [{ key: 'ca.crt', path: 'ca.crt' }] });
  });

  test('verifySchedule: a second CronJob restores the newest backup; it reaches the store only (no member, no password, no CA)', () => {
    const { mysql, objects } = build({ tls: MySqlTls.fromSecret('mysql-tls') }, { ...BACKUP, verifySchedule: '0 5 * * 0' });
    const cron = find(objects, 'CronJob', 'mysql-backup-verify');
    expect(mysql.backupVerifyCronJob?.name).toBe('mysql-backup-verify');
    expect(cron.spec).toMatchObject({ schedule: '0 5 * * 0', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
    const pod = podOf(cron);
    expect(pod.containers[0].command).toEqual(['bash', '/etc/cdk8s-mysql/verify-backup.sh']);
    expect(envOf(pod.containers[0])).toEqual({
      MYSQL_NAMESPACE: 'valueFrom', POD_UID: 'valueFrom', MYSQL_SET_NAME: 'mysql', VERIFY_SCRATCH: '/var/lib/mysql-backup',
      S3_ENDPOINT: 'https://s3.eu-central-1.amazonaws.com', S3_REGION: 'eu-central-1', S3_BUCKET: 'db-backups', S3_PREFIX: '', S3_CREDENTIALS_DIR: '/etc/mysql-backup/s3',
    });
    expect(pod.volumes.map((v: { name: string }) => v.name)).toEqual(['tools', 's3', 'scratch', 'tmp']);
    expect(pod.serviceAccountName).toBe('mysql-backup');
    expect(cron.spec.jobTemplate.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('mysql-backup-verify');
    expect(find(objects, 'NetworkPolicy', 'mysql-backup-verify').spec.podSelector.matchLabels['app.kubernetes.io/name']).toBe('mysql-backup-verify');
    // The members admit the backup's pods, not the verification's.
    expect(JSON.stringify(find(objects, 'NetworkPolicy', 'mysql').spec.ingress)).not.toContain('mysql-backup-verify');
    expect(checkAll(objects, ['external-ref'])).toEqual([]);
    expect(ofKind(build().objects, 'CronJob').map((o) => o.metadata.name)).toEqual(['mysql-backup']);
  });

  test('retention: a third CronJob deletes what no restore needs, with the key that may delete; no volume, no member, no password', () => {
    const { mysql, objects } = build({ tls: MySqlTls.fromSecret('mysql-tls') }, {
      ...BACKUP, timeout: Duration.hours(2), retention: { keepBackups: 7, keepFor: Duration.days(14), credentials: S3Credentials.fromSecret('backup-s3-prune') },
    });
    const cron = find(objects, 'CronJob', 'mysql-backup-prune');
    expect(mysql.backupPruneCronJob?.name).toBe('mysql-backup-prune');
    expect(cron.spec).toMatchObject({ schedule: '0 5 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
    const pod = podOf(cron);
    expect(pod.containers[0].command).toEqual(['bash', '/etc/cdk8s-mysql/prune.sh']);
    expect(envOf(pod.containers[0])).toEqual({
      MYSQL_NAMESPACE: 'valueFrom', POD_UID: 'valueFrom', MYSQL_SET_NAME: 'mysql',
      // (14 days; a backup directory without a meta is abandoned after the 2-hour timeout and an hour)
      KEEP_BACKUPS: '7', KEEP_SECONDS: '1209600', ABANDONED_AFTER: '10800',
      S3_ENDPOINT: 'https://s3.eu-central-1.amazonaws.com', S3_REGION: 'eu-central-1', S3_BUCKET: 'db-backups', S3_PREFIX: '', S3_CREDENTIALS_DIR: '/etc/mysql-backup/s3',
    });
    expect(pod.volumes.map((v: { name: string }) => v.name)).toEqual(['tools', 's3', 'tmp']);
    expect(pod.volumes.find((v: { name: string }) => v.name === 's3').secret.secretName).toBe('backup-s3-prune');
    // The backups and the archiver keep the key that cannot delete.
    expect(podOf(find(objects, 'CronJob', 'mysql-backup')).volumes.find((v: { name: string }) => v.name === 's3').secret.secretName).toBe('backup-s3');
    expect(pod.containers[0].resources).toEqual({ requests: { 'cpu': '50m', 'memory': '128Mi', 'ephemeral-storage': '64Mi' }, limits: { 'memory': '128Mi', 'ephemeral-storage': '128Mi' } });
    // The prune job reaches the store alone (and DNS): no rule for the members.
    expect(find(objects, 'NetworkPolicy', 'mysql-backup-prune').spec).toMatchObject({
      policyTypes: ['Ingress', 'Egress'], egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }, { ports: [{ port: 443, protocol: 'TCP' }] }],
    });
    expect(JSON.stringify(find(objects, 'NetworkPolicy', 'mysql').spec.ingress)).not.toContain('mysql-backup-prune');
    expect(Object.keys(find(objects, 'ConfigMap', 'mysql-config').data)).toContain('prune.sh');
    expect(checkAll(objects, ['external-ref'])).toEqual([]);
    // Without retention: no prune job, and no prune.sh in the ConfigMap (the members' scripts do not change).
    expect(ofKind(build().objects, 'CronJob').map((o) => o.metadata.name)).toEqual(['mysql-backup']);
    expect(Object.keys(find(build().objects, 'ConfigMap', 'mysql-config').data)).not.toContain('prune.sh');
  });

  test('retention by count alone uses the storage\'s key; by age alone keeps no count', () => {
    const byCount = podOf(find(build({}, { ...BACKUP, retention: { keepBackups: 3, schedule: '@daily' } }).objects, 'CronJob', 'mysql-backup-prune'));
    expect(envOf(byCount.containers[0])).toMatchObject({ KEEP_BACKUPS: '3', KEEP_SECONDS: '0' });
    expect(byCount.volumes.find((v: { name: string }) => v.name === 's3').secret.secretName).toBe('backup-s3');
    const byAge = podOf(find(build({}, { ...BACKUP, retention: { keepFor: Duration.hours(36) } }).objects, 'CronJob', 'mysql-backup-prune'));
    expect(envOf(byAge.containers[0])).toMatchObject({ KEEP_BACKUPS: '0', KEEP_SECONDS: '129600' });
  });

  test('fromServiceAccount: the role goes on the backup pods\' ServiceAccount; no key is mounted; the pods ask STS', () => {
    const role = { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/db-backups' };
    const { objects } = build({}, {
      ...BACKUP, storage: MySqlBackupStorage.s3({ ...STORAGE, credentials: S3Credentials.fromServiceAccount({ annotations: role }) }),
      verifySchedule: '0 5 * * 0', retention: { keepBackups: 7 },
    });
    expect(find(objects, 'ServiceAccount', 'mysql-backup').metadata.annotations).toEqual(role);
    expect(find(objects, 'ServiceAccount', 'mysql-backup').automountServiceAccountToken).toBe(false);
    const pods = [...ofKind(objects, 'CronJob').map(podOf), find(objects, 'Deployment', 'mysql-binlog-archiver').spec.template.spec];
    expect(pods).toHaveLength(4);
    for (const pod of pods) {
      expect(pod.serviceAccountName).toBe('mysql-backup');
      expect(pod.volumes.map((v: { name: string }) => v.name)).not.toContain('s3');
      expect(envOf(pod.containers[0])).toMatchObject({ S3_CREDENTIALS_SOURCE: 'service-account' });
      expect(envOf(pod.containers[0]).S3_CREDENTIALS_DIR).toBeUndefined();
    }
    // A store on another port than STS's: both are reached.
    const onPort = build({}, {
      ...BACKUP, storage: MySqlBackupStorage.s3({ ...STORAGE, endpoint: 'https://store.example:9000', credentials: S3Credentials.fromServiceAccount({ annotations: role }) }),
    }).objects;
    expect(find(onPort, 'NetworkPolicy', 'mysql-backup').spec.egress[1]).toEqual({ ports: [{ port: 9000, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] });
    // The members' ServiceAccount has no role.
    expect(find(objects, 'ServiceAccount', 'mysql').metadata.annotations).toBeUndefined();
  });

  test('binlog archiving (on by default): one archiver pod, recreated, restricted, Ready only while it keeps up without a hole', () => {
    const { mysql, objects } = build({ tls: MySqlTls.fromSecret('mysql-tls') });
    const deployment = find(objects, 'Deployment', 'mysql-binlog-archiver');
    expect(mysql.binlogArchiver?.name).toBe('mysql-binlog-archiver');
    expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    const pod = deployment.spec.template.spec;
    expect(pod).toMatchObject({ restartPolicy: 'Always', serviceAccountName: 'mysql-backup', automountServiceAccountToken: false });
    const [container] = pod.containers;
    expect(container.image).toBe(TOOLS);
    expect(container.command).toEqual(['bash', '/etc/cdk8s-mysql/archiver.sh']);
    expect(envOf(container)).toMatchObject({ BACKUP_USER: 'backup', MYSQL_TLS: 'verify', ARCHIVER_SERVER_ID: '99', ARCHIVE_SPOOL: '/var/lib/mysql-archive' });
    expect(container.readinessProbe.exec.command.join(' ')).toContain('/tmp/archiver.status');
    expect(container.resources).toEqual({ requests: { 'cpu': '50m', 'memory': '256Mi', 'ephemeral-storage': '64Mi' }, limits: { 'memory': '256Mi', 'ephemeral-storage': '256Mi' } });
    expect(pod.volumes.find((v: { name: string }) => v.name === 'scratch')).toEqual({ name: 'scratch', emptyDir: { sizeLimit: '4Gi' } });
    expect(pod.volumes.map((v: { name: string }) => v.name)).toEqual(['tools', 'credentials', 's3', 'tls', 'scratch', 'tmp']);
    expect(checkAll(objects, ['external-ref'])).toEqual([]);
    // The members admit it on 3306; nothing reaches it; the primary's agent rotates the binary log every minute.
    expect(find(objects, 'NetworkPolicy', 'mysql').spec.ingress).toEqual(expect.arrayContaining([{
      from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mysql-binlog-archiver', 'app.kubernetes.io/instance': 'mysql' } } }],
      ports: [{ port: 3306, protocol: 'TCP' }],
    }]));
    expect(find(objects, 'NetworkPolicy', 'mysql-binlog-archiver').spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(find(objects, 'NetworkPolicy', 'mysql-binlog-archiver').spec.egress[2].ports).toEqual([{ port: 3306, protocol: 'TCP' }]);
    const agent = find(objects, 'StatefulSet', 'mysql').spec.template.spec.containers.find((c: { name: string }) => c.name === 'agent');
    expect(envOf(agent).BINLOG_FLUSH_INTERVAL).toBe('60');
    expect(Object.keys(find(objects, 'ConfigMap', 'mysql-config').data)).toContain('archiver.sh');
  });

  test('the archiver\'s server_id is no member\'s: below the base, or above the last member when the base is 1', () => {
    const id = (props: ReplicatedMySqlProps) => envOf(find(build(props).objects, 'Deployment', 'mysql-binlog-archiver').spec.template.spec.containers[0]).ARCHIVER_SERVER_ID;
    expect(id({ serverIdBase: 1000 })).toBe('999');
    expect(id({ serverIdBase: 1, startOrdinal: 5 })).toBe('9');
  });

  test('binlogArchive false: no archiver, no rotation; binlogFlushInterval reaches the agent', () => {
    const off = build({}, { ...BACKUP, binlogArchive: false }).objects;
    expect(ofKind(off, 'Deployment')).toEqual([]);
    expect(JSON.stringify(find(off, 'StatefulSet', 'mysql'))).not.toContain('BINLOG_FLUSH_INTERVAL');
    const fast = find(build({}, { ...BACKUP, binlogFlushInterval: Duration.seconds(5) }).objects, 'StatefulSet', 'mysql');
    expect(envOf(fast.spec.template.spec.containers.find((c: { name: string }) => c.name === 'agent')).BINLOG_FLUSH_INTERVAL).toBe('5');
  });

  test('the archiver\'s YAML', () => {
    expect(find(build().objects, 'Deployment', 'mysql-binlog-archiver')).toMatchSnapshot();
  });

  test('the CronJob\'s YAML', () => {
    expect(find(build().objects, 'CronJob', 'mysql-backup')).toMatchSnapshot();
  });
});

describe('backup: refused props', () => {
  const refuse = (backup: unknown, message: RegExp) => {
    expect(() => build({}, backup as MySqlBackupOptions)).toThrow(/^ReplicatedMySql 'test\/mysql': /);
    expect(() => build({}, backup as MySqlBackupOptions)).toThrow(message);
  };
  const s3 = (o: Partial<S3StorageOptions> | { [key: string]: unknown }) => ({ storage: MySqlBackupStorage.s3({ ...STORAGE, ...o }), image: TOOLS });

  test.each([
    ['a bucket name S3 refuses', s3({ bucket: 'DB_Backups' }), /backup\.storage\.bucket "DB_Backups" is invalid: is not an S3 bucket name.*Fix: pass the name of an existing bucket/],
    ['a prefix with a leading "/"', s3({ prefix: '/mysql' }), /backup\.storage\.prefix "\/mysql" is invalid: .*without a leading or trailing "\/"/],
    ['a prefix with "//"', s3({ prefix: 'a//b' }), /backup\.storage\.prefix "a\/\/b" is invalid/],
    ['a prefix curl would have to encode', s3({ prefix: 'db(prod)' }), /backup\.storage\.prefix "db\(prod\)" is invalid: must be path segments of letters, digits and \._-/],
    ['the official image the members run, without an image of its own', { storage: BACKUP.storage },
      /backup\.image \(the members' image\) "mysql:8\.4\.10" is invalid: is an official mysql image: it has no tar, and its curl \(before 7\.87\) cannot sign S3 requests.*Fix: set backup\.image to an image of the same MySQL version with tar and curl 7\.87 or later/],
    ['an image without a tag', { ...BACKUP, image: 'mysql-tools' }, /backup\.image "mysql-tools" is invalid: is not an image reference pinned to a tag or digest/],
    ['a timeout of a fraction of a second', { ...BACKUP, timeout: Duration.millis(900500) }, /backup\.timeout "900.5s" is invalid: must be a whole number of seconds/],
    ['a timeout below 10 minutes', { ...BACKUP, timeout: Duration.minutes(5) }, /backup\.timeout "300s" is invalid: must be a whole number of seconds of at least 10 minutes/],
    ['a region that is not one', s3({ region: 'EU Central' }), /backup\.storage\.region "EU Central" is invalid: is not a region name/],
    ['an endpoint with a path', s3({ endpoint: 'https://s3.example/bucket' }), /backup\.storage\.endpoint "https:\/\/s3\.example\/bucket" is invalid: is not https:\/\/host\[:port\]/],
    ['plain HTTP unless allowed', s3({ endpoint: 'http://minio.store:9000' }), /backup\.storage\.endpoint "http:\/\/minio\.store:9000" is invalid: is plain HTTP.*Fix: use an https:\/\/ endpoint, or set allowPlainHttp: true/],
    ['a misspelt option (plain JavaScript)', s3({ bukcet: 'x' }), /backup\.storage \(MySqlBackupStorage\.s3\)\.bukcet "x" is invalid: is not a prop of S3StorageOptions .*Fix: did you mean bucket\?/],
    ['a storage that is not MySqlBackupStorage', { storage: { bucket: 'db-backups' } }, /backup\.storage \{"bucket":"db-backups"\} is invalid: must be a MySqlBackupStorage \(received an object\)\. Fix: use MySqlBackupStorage\.s3/],
    ['credentials that are not S3Credentials', s3({ credentials: { secretName: 's3' } }), /credentials \{"secretName":"s3"\} is invalid: must be a S3Credentials \(received an object\)\. Fix: use S3Credentials\.fromSecret/],
    ['a Secret name Kubernetes refuses', s3({ credentials: S3Credentials.fromSecret('S3_Keys') }), /backup\.storage\.credentials \(Secret name\) "S3_Keys" is invalid/],
    ['one key for both halves', s3({ credentials: S3Credentials.fromSecret('s3', { accessKeyId: 'k', secretAccessKey: 'k' }) }), /keys\.secretAccessKey "k" is invalid: is the key of the access key id too/],
    ['a schedule of six fields', { ...BACKUP, schedule: '0 0 3 * * *' }, /backup\.schedule "0 0 3 \* \* \*" is invalid: is not a cron schedule of five fields.*Fix: use e\.g\. "0 3 \* \* \*"/],
    ['a schedule with a time zone', { ...BACKUP, schedule: 'CRON_TZ=Europe/Berlin 0 3 * * *' }, /backup\.schedule .* is invalid: .*no TZ= or CRON_TZ=/],
    ['a verification schedule of words', { ...BACKUP, verifySchedule: 'every sunday' }, /backup\.verifySchedule "every sunday" is invalid: is not a cron schedule/],
    ['a scratch volume below 1 GiB', { ...BACKUP, scratchSize: Size.mebibytes(100) }, /backup\.scratchSize "104857600 bytes" is invalid: must be a Size of at least 1 GiB/],
    ['a rotation below a second', { ...BACKUP, binlogFlushInterval: Duration.millis(500) }, /backup\.binlogFlushInterval "0\.5s" is invalid: must be a whole number of seconds from 1 to 3600/],
    ['a retention that keeps nothing', { ...BACKUP, retention: {} }, /backup\.retention "\{\}" is invalid: keeps nothing: without keepBackups or keepFor every backup could go.*Fix: give keepBackups/],
    ['no backup kept', { ...BACKUP, retention: { keepBackups: 0 } }, /backup\.retention\.keepBackups 0 is invalid: must be a whole number from 1 to 10000/],
    ['a fraction of a backup', { ...BACKUP, retention: { keepBackups: 2.5 } }, /backup\.retention\.keepBackups 2\.5 is invalid: must be a whole number/],
    ['a period below an hour', { ...BACKUP, retention: { keepFor: Duration.minutes(30) } }, /backup\.retention\.keepFor "1800s" is invalid: must be a whole number of hours, at least one.*Fix: use e\.g\. Duration\.days\(7\)/],
    ['a period of a number (plain JavaScript)', { ...BACKUP, retention: { keepFor: 7 } }, /backup\.retention\.keepFor 7 is invalid: must be a cdk8s Duration \(received a number\)/],
    ['a misspelt retention option (plain JavaScript)', { ...BACKUP, retention: { keepBackup: 7 } }, /backup\.retention\.keepBackup 7 is invalid: is not a prop of MySqlBackupRetention.*Fix: did you mean keepBackups\?/],
    ['a prune schedule of words', { ...BACKUP, retention: { keepBackups: 7, schedule: 'nightly' } }, /backup\.retention\.schedule "nightly" is invalid: is not a cron schedule/],
    ['prune credentials that are not S3Credentials', { ...BACKUP, retention: { keepBackups: 7, credentials: { secretName: 'x' } } }, /backup\.retention\.credentials \{"secretName":"x"\} is invalid: must be a S3Credentials/],
    ['a ServiceAccount identity without annotations', s3({ credentials: S3Credentials.fromServiceAccount({ annotations: {} }) }),
      /backup\.storage\.credentials annotations \{\} is invalid: must name at least one annotation that gives the ServiceAccount its identity.*Fix: pass e\.g\. \{ 'eks\.amazonaws\.com\/role-arn'/],
    ['an annotation key Kubernetes refuses', s3({ credentials: S3Credentials.fromServiceAccount({ annotations: { 'role arn': 'x' } }) }),
      /backup\.storage\.credentials annotations "role arn" is invalid: is not an annotation key/],
    ['an annotation value that is not a string (plain JavaScript)', s3({ credentials: S3Credentials.fromServiceAccount({ annotations: { 'eks.amazonaws.com/role-arn': 7 } } as never) }),
      /backup\.storage\.credentials \(S3Credentials\.fromServiceAccount\)\.annotations\.eks\.amazonaws\.com\/role-arn 7 is invalid: must be a string \(received a number\)/],
    ['a ServiceAccount identity for the prune job alone', { ...BACKUP, retention: { keepBackups: 3, credentials: S3Credentials.fromServiceAccount({ annotations: { 'eks.amazonaws.com/role-arn': 'r' } }) } },
      /backup\.retention\.credentials "S3Credentials\.fromServiceAccount\(\.\.\.\)" is invalid: is a ServiceAccount identity, but the backup pods share one ServiceAccount.*Fix: give retention its own key with S3Credentials\.fromSecret/],
    ['the replication user as the backup user', { ...BACKUP, user: 'repl' }, /backup\.user "repl" is invalid: must be 1-32 letters, digits or "_", and differ from the other users/],
  ])('%s', (_what, backup, message) => refuse(backup, message));

  test('plain HTTP when allowed, for a store inside the cluster', () => {
    const pod = podOf(find(build({}, s3({ endpoint: 'http://store.backup.svc:9000', allowPlainHttp: true })).objects, 'CronJob', 'mysql-backup'));
    expect(envOf(pod.containers[0]).S3_ENDPOINT).toBe('http://store.backup.svc:9000');
  });
});
