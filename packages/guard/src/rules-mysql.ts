/**
 * ReplicatedMySql rules: changes that Kubernetes accepts but that a MySQL cluster of this library
 * cannot roll out safely, and settings a reviewer should know about.
 */
import { Conventions } from 'cdk8s-stateful';
import { Draft, fieldDraft, kubectl } from './draft';
import { Severity } from './model';
import { KubeObject, get, getArray, getString, isManagedByLibrary, isRecord } from './objects';
import { mysqlMemberChanges } from './rules-mysql-members';

/** The value of an env variable of the ReplicatedMySql bootstrap container, when `object` is one's StatefulSet. */
export function bootstrapEnv(object: KubeObject, variable: string): string | undefined {
  if (object.group !== 'apps' || object.ref.kind !== 'StatefulSet') return undefined;
  const containers = getArray(object.body, 'spec', 'template', 'spec', 'initContainers');
  const bootstrap = containers.find((c) => isRecord(c) && c.name === Conventions.MYSQL_BOOTSTRAP_CONTAINER);
  const env = getArray(bootstrap, 'env').find((e) => isRecord(e) && e.name === variable);
  return getString(env, 'value');
}

function isReplicatedMySql(object: KubeObject): boolean {
  return isManagedByLibrary(object) && bootstrapEnv(object, Conventions.MYSQL_SET_NAME_ENV) !== undefined;
}

/** verify | serve | self-signed; older manifests (no MYSQL_TLS) are self-signed. */
function tlsMode(object: KubeObject): string {
  return bootstrapEnv(object, Conventions.MYSQL_TLS_ENV) ?? 'self-signed';
}

const UNVERIFIED_REASON
  = 'The members\' connections (replication, CLONE, their checks of each other) are encrypted with certificates each mysqld '
    + 'generates itself, but not authenticated: whoever answers at a member\'s address receives the replication password, and a '
    + 'cloning member accepts its data.';
const UNVERIFIED_FIX
  = 'Give the ReplicatedMySql a tls choice (MySqlTls.fromSecret or MySqlTls.certManager: docs/mysql.md "TLS"); on a running cluster in '
    + 'two rollouts, first with verifyPeers: false.';

/** A ReplicatedMySql StatefulSet whose replication mode or TLS mode changes. */
export function mysqlSetChanges(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  if (!isReplicatedMySql(oldObject) || !isReplicatedMySql(newObject)) return [];
  return [
    ...replicationModeChange(oldObject, newObject), ...tlsChange(oldObject, newObject), ...credentialKeysAdded(oldObject, newObject),
    ...mysqlMemberChanges(oldObject, newObject),
  ];
}

/** The Secret and keys the members read (the StatefulSet's credentials annotation), if it says. */
function credentialKeys(object: KubeObject): { secret: string; keys: string[] } | undefined {
  const named = /^Secret ([^,]+), keys (.+)$/.exec(getString(object.body, 'metadata', 'annotations', Conventions.MYSQL_CREDENTIALS_ANNOTATION) ?? '');
  return named ? { secret: named[1], keys: named[2].split(', ') } : undefined;
}

/**
 * A key the members newly read from the credentials Secret (`backup-password` when backups are turned on,
 * `exporter-password` with metrics): the rolled members mount it, and without it stay in ContainerCreating.
 */
function credentialKeysAdded(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  const before = credentialKeys(oldObject);
  const after = credentialKeys(newObject);
  if (!before || !after) return [];
  const added = after.keys.filter((k) => !before.keys.includes(k));
  if (added.length === 0) return [];
  return [fieldDraft(
    'mysql-credentials-key-added', Severity.WARN, newObject, `metadata.annotations["${Conventions.MYSQL_CREDENTIALS_ANNOTATION}"]`,
    before.keys.join(', '), after.keys.join(', '),
    `The members will read ${added.join(', ')} from the Secret ${after.secret}. The rolling update restarts them with it mounted: a member `
    + 'restarted while the Secret lacks it stays in ContainerCreating (the kubelet\'s FailedMount event names the key), which with '
    + 'one member is an outage, with more a rollout that stops.',
    `Add ${added.join(', ')} to the Secret ${after.secret} before applying (docs/backup.md, docs/mysql.md "Credentials"). A Secret of `
    + 'MySqlCredentials.fromGeneratedSecret gets it when its Job runs again (Argo CD and Flux re-run it; with kubectl, delete the Job first).',
    `the members newly read ${added.join(', ')}`,
  )];
}

/** async | group; older manifests (no REPLICATION_MODE) replicate asynchronously. */
export function replicationMode(object: KubeObject): string {
  return bootstrapEnv(object, Conventions.MYSQL_REPLICATION_MODE_ENV) ?? 'async';
}

function replicationModeChange(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  const before = replicationMode(oldObject);
  const after = replicationMode(newObject);
  if (before === after) return [];
  return [{
    object: newObject, field: 'spec.template (REPLICATION_MODE)', oldValue: before, newValue: after,
    rule: 'mysql-replication-mode-changed',
    severity: Severity.BLOCK,
    reason:
      'A running cluster cannot change how it replicates in place: the rolling update would restart members one by one into the '
      + `other mode (${before} -> ${after}), and members of the two modes cannot follow each other: the members restarted first `
      + 'would refuse to start or wait for a group that never forms, and writes would stop.',
    fix:
      'Migrate instead: create a second ReplicatedMySql (another name) in the new mode, copy the data into it (a dump, or replication '
      + 'from the old primary), move the clients to its Services, then remove the old one. Accept this finding only for a new cluster, '
      + 'or one whose data you discard (its claims deleted first).',
  }];
}

function tlsChange(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  const before = tlsMode(oldObject);
  const after = tlsMode(newObject);
  if (before === after) return [];
  const draft = { object: newObject, field: 'spec.template (MYSQL_TLS)', oldValue: before, newValue: after };
  if (after === 'verify' && before === 'self-signed') {
    return [{
      ...draft,
      rule: 'mysql-tls-verify-in-one-step',
      severity: Severity.BLOCK,
      reason:
        'The rolling update restarts the replicas first: they would verify the primary against the new CA while it still presents '
        + 'its own self-signed certificate, refuse it, never turn Ready, and the rollout would stop at the first one.',
      fix:
        'Roll out TLS in two steps: first with verifyPeers: false (every member presents the new certificate), then without it. '
        + 'Or accept this finding if the cluster is stopped (replicas: 0) or new.',
    }];
  }
  if (after !== 'verify') {
    return [{ ...draft, rule: 'mysql-tls-unverified', severity: Severity.WARN, reason: UNVERIFIED_REASON, fix: UNVERIFIED_FIX }];
  }
  return [];
}

/** A new ReplicatedMySql without verified TLS. */
export function mysqlSetsAdded(added: KubeObject[]): Draft[] {
  return added.filter((o) => isReplicatedMySql(o) && tlsMode(o) !== 'verify').map((object) => ({
    rule: 'mysql-tls-unverified',
    severity: Severity.WARN,
    object,
    field: 'spec.template (MYSQL_TLS)',
    newValue: tlsMode(object),
    change: 'a new cluster without verified TLS',
    reason: UNVERIFIED_REASON,
    fix: UNVERIFIED_FIX,
  }));
}

/**
 * ConfigMap of a ReplicatedMySql (`init.sql` beside `bootstrap.sh`, managed by cdk8s-stateful):
 * initSql runs only when the primary initializes an empty data directory, so changing it on a
 * running cluster would silently do nothing.
 */
export function mysqlConfigChanges(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  const isMySql = (o: KubeObject) => isManagedByLibrary(o) && getString(o.body, 'data', Conventions.MYSQL_BOOTSTRAP_SCRIPT_KEY) !== undefined;
  if (!isMySql(oldObject) || !isMySql(newObject)) return [];
  const oldSql = getString(oldObject.body, 'data', Conventions.MYSQL_INIT_SQL_KEY);
  const newSql = getString(newObject.body, 'data', Conventions.MYSQL_INIT_SQL_KEY);
  if (oldSql === newSql) return [];
  const set = getString(newObject.body, 'metadata', 'labels', Conventions.INSTANCE_LABEL) ?? '<name>';
  const k = kubectl(oldObject);
  return [fieldDraft(
    'mysql-init-sql-changed',
    Severity.BLOCK,
    oldObject,
    `data["${Conventions.MYSQL_INIT_SQL_KEY}"]`,
    oldSql,
    newSql,
    'ReplicatedMySql runs initSql once, when the primary initializes an empty data directory (a new cluster). On a cluster that '
    + 'already holds data the change does nothing: the new SQL would never run.',
    'Run the new SQL yourself on the primary (the pod the write Service selects), then accept this finding (keeping initSql in code '
    + 'documents it for new clusters):\n'
    + `  pod=$(${k} get service ${set}${Conventions.MYSQL_PRIMARY_SERVICE_SUFFIX} -o jsonpath='{.spec.selector.statefulset\\.kubernetes\\.io/pod-name}')\n`
    + `  ${k} exec -i "$pod" -c ${Conventions.MYSQL_CONTAINER} -- bash -c '${rootClient()}' < new.sql\n`
    + 'A cluster created from these manifests runs it by itself.',
    oldSql === undefined ? 'initSql added' : newSql === undefined ? 'initSql removed' : 'initSql changed',
  )];
}

/**
 * A bash program (without single quotes) that runs mysql as root over the socket: the password goes
 * through an option file, escaped as the pods' own scripts do (lib.sh client_cnf), never on a command line.
 */
function rootClient(): string {
  return 'p=$(cat ' + Conventions.MYSQL_ROOT_PASSWORD_FILE + '); p=${p//\\\\/\\\\\\\\}; p=${p//\\"/\\\\\\"}; '
    + 'mysql --defaults-file=<(printf "[client]\\nuser=\\"root\\"\\npassword=\\"%s\\"\\n" "$p") --socket=' + Conventions.MYSQL_SOCKET;
}

/**
 * A credentials Secret the manifests start to emit (MySqlCredentials.fromGeneratedSecret) for a cluster that already
 * runs and reads it: the Secret exists in the cluster, made out of band until now, and applying an object without
 * data over it can remove its values, depending on how it was made. The Job then writes passwords that no account of
 * the data directories has.
 */
export function generatedCredentialsForRunningCluster(pairs: Array<[KubeObject, KubeObject]>, added: KubeObject[]): Draft[] {
  const empty = added.filter((o) => o.group === '' && o.ref.kind === 'Secret' && get(o.body, 'data') === undefined && get(o.body, 'stringData') === undefined);
  return pairs.filter(([before, after]) => isReplicatedMySql(before) && isReplicatedMySql(after)).flatMap(([, set]) => {
    const named = /^Secret ([^,]+), keys (.+)$/.exec(getString(set.body, 'metadata', 'annotations', Conventions.MYSQL_CREDENTIALS_ANNOTATION) ?? '');
    const secret = named && empty.find((o) => o.ref.name === named[1] && o.ref.namespace === set.ref.namespace);
    if (!named || !secret) return [];
    return [{
      rule: 'mysql-credentials-now-generated',
      severity: Severity.BLOCK,
      object: secret,
      field: 'data',
      change: `now emitted without values, for the running ${set.ref.name} whose members read it (keys ${named[2]})`,
      reason: `The Secret ${named[1]} exists in the cluster with the passwords the members' accounts have. Applied over it, a manifest `
        + 'without data removes the values when the Secret was made with kubectl apply (its last-applied configuration lists them), '
        + 'when Argo CD\'s server-side apply migrates kubectl\'s fields, or when it is replaced (Replace=true, kubectl replace); '
        + 'the Job then writes new passwords that no account has, and the members, the probes and every client are locked out '
        + '(no data is lost).',
      fix: `Keep MySqlCredentials.fromSecretName('${named[1]}') for this cluster: fromGeneratedSecret is for a new cluster. `
        + 'To hand the Secret over anyway, back up its values first, accept this finding, and compare the values after the first sync.',
    }];
  });
}
