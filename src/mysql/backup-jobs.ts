/**
 * The objects of ReplicatedMySql's backups: the CronJob `<name>-backup` (scripts/backup.sh: a CLONE of a member,
 * uploaded), with `verifySchedule` the CronJob `<name>-backup-verify` (scripts/verify-backup.sh: the newest
 * backup downloaded, checked and started), with binlog archiving the Deployment `<name>-binlog-archiver`
 * (scripts/archiver.sh), their ServiceAccount and their NetworkPolicies.
 */
import { Size } from 'cdk8s';
import { cpuMillis, renderResources, restrictedSecurityContext } from '../container';
import { sizeToQuantity } from '../container/resources';
import { k8s, KubeCronJob, KubeDeployment, KubeNetworkPolicy, KubeServiceAccount } from '../kube';
import { LABEL_INSTANCE, LABEL_NAME } from '../names';
import { registerObject } from '../registry';
import { BackupPlan, S3CredentialsPlan } from './backup';
import { PORT, TLS_DIR } from './config';
import { ObjectsContext, sideObjectLabels } from './objects';
import { BACKUP_PASSWORD_FILE, CREDENTIALS_DIR, mysqlJobPodBase, tlsMode, TOOLS_DIR } from './pod';

const SCRATCH = '/var/lib/mysql-backup';
const S3_KEYS_DIR = '/etc/mysql-backup/s3';

/**
 * A backup pod's job: the backup and the archiver reach the members (their account, their CA); the verification
 * only the store.
 */
interface JobKind {
  /** The object's name after `<name>-`, its pods' `app.kubernetes.io/name` after `mysql-`. */
  readonly suffix: 'backup' | 'backup-verify' | 'backup-prune' | 'binlog-archiver';
  /** The construct id's stem. */
  readonly id: string;
  /** The prop that makes it (in errors about its objects). */
  readonly prop: string;
  readonly script: string;
  readonly container: string;
  readonly members: boolean;
}

/** The pods that reach the members: what the members' NetworkPolicy admits on the MySQL port. */
export function backupPodLabels(name: string, archiver = false): { [key: string]: string } {
  return { [LABEL_NAME]: archiver ? 'mysql-binlog-archiver' : 'mysql-backup', [LABEL_INSTANCE]: name };
}

/** Where the archiver receives the binary log before the upload (an emptyDir). */
const SPOOL = '/var/lib/mysql-archive';

/** The CronJobs, their ServiceAccount and NetworkPolicies. `configMapName` holds the members' scripts; `image` is the members'. */
export function addBackup(
  c: ObjectsContext, b: BackupPlan, configMapName: string, image: string, networkPolicy: boolean,
): { cronJob: k8s.KubeCronJob; verifyCronJob?: k8s.KubeCronJob; pruneCronJob?: k8s.KubeCronJob; archiver?: k8s.KubeDeployment } {
  const name = `${c.plan.name}-backup`;
  new KubeServiceAccount(c.scope, 'BackupServiceAccount', {
    metadata: {
      name, namespace: c.namespace, labels: sideObjectLabels(c.labels, backupPodLabels(c.plan.name), 'backup'),
      // (IRSA: the role the pods' projected token is exchanged for; no API token is mounted, the webhook projects its own)
      ...(b.serviceAccountAnnotations ? { annotations: b.serviceAccountAnnotations } : {}),
    },
    automountServiceAccountToken: false,
  });
  registerObject(c.scope, c.v, 'backup', { kind: 'ServiceAccount', namespace: c.namespace, name }, 'give the ReplicatedMySql another name');
  const j: JobContext = { configMapName, image, networkPolicy, serviceAccountName: name };
  const cronJob = addCronJob(c, b, { suffix: 'backup', id: 'Backup', prop: 'backup', script: 'backup.sh', container: 'backup', members: true }, b.schedule, j);
  const verifyCronJob = b.verifySchedule === undefined
    ? undefined
    : addCronJob(c, b, { suffix: 'backup-verify', id: 'BackupVerify', prop: 'backup.verifySchedule', script: 'verify-backup.sh', container: 'verify', members: false }, b.verifySchedule, j);
  const pruneCronJob = b.retention === undefined
    ? undefined
    : addCronJob(c, b, { suffix: 'backup-prune', id: 'BackupPrune', prop: 'backup.retention', script: 'prune.sh', container: 'prune', members: false }, b.retention.schedule, j);
  const archiver = b.binlogFlushSeconds === undefined ? undefined : addArchiver(c, b, j);
  return { cronJob, verifyCronJob, pruneCronJob, archiver };
}

interface JobContext {
  readonly configMapName: string;
  readonly image: string;
  readonly networkPolicy: boolean;
  readonly serviceAccountName: string;
}

/**
 * Where a kind's pods may connect: DNS (any address: the cluster's resolver, a node-local cache), the store's port (any
 * address: a store inside the cluster or out), STS's with a ServiceAccount's role, and the members' MySQL port for the
 * pods that reach the members.
 */
function egressRules(c: ObjectsContext, b: BackupPlan, kind: JobKind): k8s.NetworkPolicyEgressRule[] {
  const tcp = (port: number) => ({ port: k8s.IntOrString.fromNumber(port), protocol: 'TCP' });
  const url = new URL(b.endpoint);
  const store = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const identity = s3Keys(b, kind) === undefined && store !== 443;
  return [
    { ports: [{ port: k8s.IntOrString.fromNumber(53), protocol: 'UDP' }, tcp(53)] },
    { ports: [tcp(store), ...(identity ? [tcp(443)] : [])] },
    ...(kind.members ? [{ to: [{ podSelector: { matchLabels: c.selectorLabels } }], ports: [tcp(PORT)] }] : []),
  ];
}

/** The names, labels and registration of one kind's objects, and its NetworkPolicy (nothing connects to its pods). */
function kindObjects(c: ObjectsContext, b: BackupPlan, kind: JobKind, j: JobContext) {
  const name = `${c.plan.name}-${kind.suffix}`;
  const podLabels = { [LABEL_NAME]: `mysql-${kind.suffix}`, [LABEL_INSTANCE]: c.plan.name };
  const labels = () => sideObjectLabels(c.labels, podLabels, 'backup');
  const metadata = () => ({ name, namespace: c.namespace, labels: labels() });
  const register = (k: string) => registerObject(c.scope, c.v, kind.prop, { kind: k, namespace: c.namespace, name }, 'give the ReplicatedMySql another name');
  const policy = () => {
    if (!j.networkPolicy) return;
    // Nothing connects to its pods; they connect to the store, DNS and (the backup, the archiver) the members.
    new KubeNetworkPolicy(c.scope, `${kind.id}NetworkPolicy`, {
      metadata: metadata(),
      spec: { podSelector: { matchLabels: podLabels }, policyTypes: ['Ingress', 'Egress'], egress: egressRules(c, b, kind) },
    });
    register('networking.k8s.io/NetworkPolicy');
  };
  return { podLabels, labels, metadata, register, policy };
}

function addCronJob(c: ObjectsContext, b: BackupPlan, kind: JobKind, schedule: string, j: JobContext): k8s.KubeCronJob {
  const { labels, metadata, register, policy } = kindObjects(c, b, kind, j);
  const cronJob = new KubeCronJob(c.scope, `${kind.id}CronJob`, {
    metadata: metadata(),
    spec: {
      schedule,
      timeZone: 'Etc/UTC',
      // One at a time: a slow run is never overtaken by the next, which would clone or restore beside it.
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      // One Job of each outcome, each kept a day to read its log: a finished pod keeps its scratch claim.
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: labels() },
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: b.timeoutSeconds,
          ttlSecondsAfterFinished: 86400,
          template: { metadata: { labels: labels() }, spec: jobPod(c, b, kind, j) },
        },
      },
    },
  });
  register('batch/CronJob');
  policy();
  return cronJob;
}

/** The binary log archiver: one pod (Recreate: never two streams of one Deployment), Ready while it keeps up without a hole. */
function addArchiver(c: ObjectsContext, b: BackupPlan, j: JobContext): k8s.KubeDeployment {
  const kind: JobKind = { suffix: 'binlog-archiver', id: 'BinlogArchiver', prop: 'backup.binlogArchive', script: 'archiver.sh', container: 'archiver', members: true };
  const { podLabels, labels, metadata, register, policy } = kindObjects(c, b, kind, j);
  const deployment = new KubeDeployment(c.scope, `${kind.id}Deployment`, {
    metadata: metadata(),
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: podLabels },
      template: { metadata: { labels: labels() }, spec: jobPod(c, b, kind, j) },
    },
  });
  register('apps/Deployment');
  policy();
  return deployment;
}

/** What differs between the pods: the archiver runs for good, with a spool; the prune job needs no volume of its own. */
function podShape(c: ObjectsContext, b: BackupPlan, kind: JobKind): {
  restartPolicy: 'Always' | 'Never'; env: k8s.EnvVar[]; mount?: string; resources: k8s.ResourceRequirements; readinessProbe?: k8s.Probe;
} {
  const value = (n: string, x: string | number) => ({ name: n, value: String(x) });
  if (kind.suffix === 'binlog-archiver') {
    return {
      // (Always: a stream resumes from the archive after any exit)
      restartPolicy: 'Always',
      env: [value('ARCHIVE_SPOOL', SPOOL), value('ARCHIVER_SERVER_ID', b.archiverServerId)],
      mount: SPOOL,
      // mysqlbinlog, gzip and short-lived mysql and curl clients.
      resources: renderResources(c.v, 'backup.resources', undefined, {
        cpu: { request: cpuMillis(50) },
        memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
        ephemeralStorage: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
      }),
      // Ready while it streams, keeps up and knows of no hole (archiver.sh writes the verdict).
      readinessProbe: {
        exec: { command: ['bash', '-c', 'read -r verdict rest </tmp/archiver.status && [ "$verdict" = ready ] || { echo "$verdict $rest"; exit 1; }'] },
        periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3,
      },
    };
  }
  if (kind.suffix === 'backup-prune') {
    const r = b.retention!;
    return {
      restartPolicy: 'Never',
      // (a backup directory without backup.meta is abandoned once no backup can still be running: the timeout and an hour)
      env: [value('KEEP_BACKUPS', r.keepBackups), value('KEEP_SECONDS', r.keepSeconds), value('ABANDONED_AFTER', b.timeoutSeconds + 3600)],
      // curl, awk and sort over the listings.
      resources: renderResources(c.v, 'backup.resources', undefined, {
        cpu: { request: cpuMillis(50) },
        memory: { request: Size.mebibytes(128), limit: Size.mebibytes(128) },
        ephemeralStorage: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
      }),
    };
  }
  return {
    // (Never: a failed attempt leaves nothing half-written; the next one, backoffLimit, starts from a new scratch volume)
    restartPolicy: 'Never',
    env: [value(kind.members ? 'BACKUP_SCRATCH' : 'VERIFY_SCRATCH', SCRATCH)],
    mount: SCRATCH,
    resources: renderResources(c.v, 'backup.resources', b.resources, {
      cpu: { request: cpuMillis(250) },
      // (the throw-away mysqld alone takes about 470 MiB with performance_schema, which clone_status needs)
      memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
      ephemeralStorage: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
    }),
  };
}

function jobPod(c: ObjectsContext, b: BackupPlan, kind: JobKind, j: JobContext): k8s.PodSpec {
  const { plan } = c;
  const value = (n: string, x: string | number) => ({ name: n, value: String(x) });
  const tls = kind.members && plan.tlsSecretName !== undefined;
  const shape = podShape(c, b, kind);
  const members = [
    value('MYSQL_SERVICE', plan.name), value('CLUSTER_DOMAIN', plan.clusterDomain), value('START_ORDINAL', plan.startOrdinal), value('REPLICAS', plan.replicas),
    ...(plan.group ? [value('REPLICATION_MODE', 'group')] : []),
    value('MYSQL_TLS', tlsMode(plan.tlsSecretName, plan.tls?._verifyPeers !== false)),
    value('BACKUP_USER', plan.backupUser!),
  ];
  return {
    ...mysqlJobPodBase(j.serviceAccountName, shape.restartPolicy, true),
    containers: [{
      name: kind.container,
      image: b.image ?? j.image,
      command: ['bash', `${TOOLS_DIR}/${kind.script}`],
      env: [
        { name: 'MYSQL_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        value('MYSQL_SET_NAME', plan.name),
        ...(kind.members ? members : []),
        ...shape.env,
        value('S3_ENDPOINT', b.endpoint), value('S3_REGION', b.region), value('S3_BUCKET', b.bucket), value('S3_PREFIX', b.prefix),
        // (the key as files from a Secret, or temporary credentials for the ServiceAccount's role)
        s3Keys(b, kind) ? value('S3_CREDENTIALS_DIR', S3_KEYS_DIR) : value('S3_CREDENTIALS_SOURCE', 'service-account'),
      ],
      resources: shape.resources,
      readinessProbe: shape.readinessProbe,
      securityContext: restrictedSecurityContext(true),
      volumeMounts: [
        { name: 'tools', mountPath: TOOLS_DIR, readOnly: true },
        // (only the backup user's file, where the scripts read every password)
        ...(kind.members ? [{ name: 'credentials', mountPath: CREDENTIALS_DIR, readOnly: true }] : []),
        ...(s3Keys(b, kind) ? [{ name: 's3', mountPath: S3_KEYS_DIR, readOnly: true }] : []),
        ...(tls ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : []),
        ...(shape.mount === undefined ? [] : [{ name: 'scratch', mountPath: shape.mount }]),
        { name: 'tmp', mountPath: '/tmp' },
      ],
    }],
    volumes: jobVolumes(c, b, kind, j.configMapName),
  };
}

function jobVolumes(c: ObjectsContext, b: BackupPlan, kind: JobKind, configMapName: string): k8s.Volume[] {
  const { plan } = c;
  const s3 = s3Keys(b, kind);
  const secret = (name: string, secretName: string, items: Array<[string, string]>): k8s.Volume =>
    ({ name, secret: { secretName, defaultMode: 0o440, items: items.map(([key, path]) => ({ key, path })) } });
  return [
    { name: 'tools', configMap: { name: configMapName } },
    ...(kind.members ? [secret('credentials', plan.secretName, [[plan.backupPasswordKey, BACKUP_PASSWORD_FILE]])] : []),
    ...(s3 ? [secret('s3', s3.secretName!, [[s3.accessKeyIdKey, 'access-key-id'], [s3.secretAccessKeyKey, 'secret-access-key']])] : []),
    ...(kind.members && plan.tlsSecretName !== undefined ? [secret('tls', plan.tlsSecretName, [['ca.crt', 'ca.crt']])] : []),
    ...(kind.suffix === 'backup-prune' ? [] : [scratchVolume(b, kind, plan.name)]),
    { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
  ];
}

/** The S3 key a kind's pods read from a Secret (the prune job's may delete); undefined: the ServiceAccount's identity. */
function s3Keys(b: BackupPlan, kind: JobKind): S3CredentialsPlan | undefined {
  const credentials = kind.suffix === 'backup-prune' ? b.retention!.credentials : b;
  return credentials.secretName === undefined ? undefined : credentials;
}

function scratchVolume(b: BackupPlan, kind: JobKind, name: string): k8s.Volume {
  if (kind.suffix === 'binlog-archiver') {
    // The files being received (a few binary log files at most: each is uploaded once it is closed).
    return { name: 'scratch', emptyDir: { sizeLimit: k8s.Quantity.fromString('4Gi') } };
  }
  return {
    // The whole data directory (cloned, or restored): a volume of the members' class, made for the pod and deleted with it.
    name: 'scratch',
    ephemeral: {
      volumeClaimTemplate: {
        metadata: { labels: { [LABEL_NAME]: `mysql-${kind.suffix}`, [LABEL_INSTANCE]: name } },
        spec: {
          accessModes: ['ReadWriteOnce'], storageClassName: b.scratchStorageClassName,
          resources: { requests: { storage: k8s.Quantity.fromString(sizeToQuantity(b.scratchSize)) } },
        },
      },
    },
  };
}
