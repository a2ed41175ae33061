import { Construct } from 'constructs';
import { StatefulApp } from '../app/stateful-app';
import { checkShape } from '../check';
import { shapeOf } from '../shapes';
import { Conventions } from '../conventions';
import { checkDns1123Label } from '../names';
import { futurePath, StatefulValidationError, Validator } from '../errors';
import type { KubeCertificate } from '../imports/cert-manager';
import type { KubeServiceMonitor as ServiceMonitorL1 } from '../imports/monitoring';
import { k8s } from '../kube';
import { checkClientWiring, ClientEnv, clientTarget, recordClientWiring } from './client';
import { addBackup, backupPodLabels } from './backup-jobs';
import { addCredentialsGenerator, credentialKeys } from './credentials-generator';
import { addMetrics, addMySqlScannerChoices, MySqlMetricsObjects } from './metrics';
import { addCertificate, addMemberAccess, addPlaintextSecret, ObjectsContext } from './objects';
import { CLIENT_LABEL, CREDENTIALS_ANNOTATION, KIND, LOST_MEMBERS_ANNOTATION, MySqlPlan, planMySql, PORT, PRIMARY_ANNOTATION } from './plan';
import { MySqlClientOptions, MySqlVersion, ReplicatedMySqlProps } from './props';
import { ReplicationMode } from './replication';

/**
 * Replicated MySQL (8.4 or 9.7 LTS) on one StatefulSet, the Kubernetes docs' design made safe:
 * ordinal 0 is the primary, the others clone it (CLONE plugin) and replicate with GTID
 * auto-positioning and `super_read_only`. Every mysqld starts read-only under a new server_uuid;
 * an agent in each pod opens the primary for writes only when no member is ahead of it or
 * writable, and starts a replica's replication only when it holds nothing its source lacks. An
 * empty primary initializes only a new cluster; a change of `primaryOrdinal` is a failover that
 * loses nothing. Runs as uid 999 under Pod Security 'restricted' with a read-only root, reads every
 * password from a Secret mounted as files, and exposes a headless, a read and a write Service.
 *
 * It holds a StatefulApp (`app`, construct id `Resource`, so `ApiObject.of(mysql)` is the
 * StatefulSet) and adds the MySQL objects beside it.
 *
 * @example
 * const mysql = new ReplicatedMySql(chart, 'mysql', {
 *   replicas: 3,
 *   storage: { size: Size.gibibytes(10), storageClass: disks },
 *   database: { name: 'shop', user: 'shop' },
 * });
 * mysql.connectClient(deployment);
 */
export class ReplicatedMySql extends Construct {
  /** The StatefulApp the members run in (StatefulSet, headless and read Services, ConfigMap). */
  public readonly app: StatefulApp;
  /** Name of the StatefulSet and the members' prefix. */
  public readonly name: string;
  /** Namespace of the objects, if known. */
  public readonly namespace?: string;
  /** Number of members (0: parked). */
  public readonly replicas: number;
  /** Ordinal of the primary (asynchronous replication); in a group, of the member that starts a new group. */
  public readonly primaryOrdinal: number;
  /** How the members replicate. */
  public readonly replicationMode: ReplicationMode;
  /** The MySQL port. */
  public readonly port: number;
  /** Name of the Secret with the passwords. */
  public readonly secretName: string;
  /** Key of root's password in the Secret. */
  public readonly rootPasswordKey: string;
  /** Key of the replication user's password in the Secret. */
  public readonly replicationPasswordKey: string;
  /** Key of the application user's password in the Secret. */
  public readonly userPasswordKey: string;
  /** The application database, if configured. */
  public readonly databaseName?: string;
  /** The application user, if configured. */
  public readonly username?: string;
  /** The replication user. */
  public readonly replicationUser: string;
  /** The MySQL series the members run. */
  public readonly version: MySqlVersion;
  /** The write Service (`<name>-primary`), selecting the primary pod only. */
  public readonly primaryService: k8s.KubeService;
  /** The Secret, only with `fromInsecurePlaintextPasswords`. */
  public readonly plaintextSecret?: k8s.KubeSecret;
  /** The Secret emitted without values, only with `fromGeneratedSecret` (its Job fills it). */
  public readonly generatedSecret?: k8s.KubeSecret;
  /** The Job that writes a random password into every empty key of the Secret, only with `fromGeneratedSecret`. */
  public readonly credentialsJob?: k8s.KubeJob;
  /** The NetworkPolicy, unless disabled. */
  public readonly networkPolicy?: k8s.KubeNetworkPolicy;
  /** The CronJob of the full backups (`<name>-backup`), with `backup`. */
  public readonly backupCronJob?: k8s.KubeCronJob;
  /** The CronJob that restores and checks the newest backup (`<name>-backup-verify`), with `backup.verifySchedule`. */
  public readonly backupVerifyCronJob?: k8s.KubeCronJob;
  /** The CronJob that deletes what `backup.retention` no longer keeps (`<name>-backup-prune`), with `backup.retention`. */
  public readonly backupPruneCronJob?: k8s.KubeCronJob;
  /** The Deployment that archives the binary log (`<name>-binlog-archiver`), with `backup` unless `binlogArchive` is false. */
  public readonly binlogArchiver?: k8s.KubeDeployment;
  /** The mysqld_exporter Deployment (`<name>-metrics`), if metrics are enabled. */
  public readonly metricsDeployment?: k8s.KubeDeployment;
  /** The metrics Service (`<name>-metrics`, in front of the exporter), if metrics are enabled. */
  public readonly metricsService?: k8s.KubeService;
  /** The ServiceMonitor, if enabled. */
  public readonly serviceMonitor?: ServiceMonitorL1;
  /** The cert-manager Certificate, with `MySqlTls.certManager`. */
  public readonly certificate?: KubeCertificate;
  /** The replicas' PodDisruptionBudget (the primary excluded while `protectPrimary`). */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The primary's PodDisruptionBudget (`maxUnavailable: 0`), with `protectPrimary`. */
  public readonly primaryDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /**
   * The pods' ServiceAccount (`<name>`), unless `serviceAccountName` names yours. Its token is
   * never mounted automatically: only the bootstrap and the agent get a short-lived one.
   */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /**
   * The Role (`<name>-member`) of the members: read this StatefulSet (which member is the
   * primary), the members' pods (Ready or not) and claims (do they still exist), and read and
   * write the evidence ConfigMap. Each by name; nothing else.
   */
  public readonly memberRole: k8s.KubeRole;
  /** The RoleBinding (`<name>-member`) of that Role to the pods' ServiceAccount. */
  public readonly memberRoleBinding: k8s.KubeRoleBinding;
  /**
   * The ConfigMap (`<name>-members`) in which each member records that it holds data: the
   * evidence that keeps an empty primary from starting a new cluster beside the data. Emitted
   * without `data`: the members write it, so GitOps tools leave their entries alone.
   */
  public readonly membersConfigMap: k8s.KubeConfigMap;

  private readonly metricsObjects?: MySqlMetricsObjects;
  private readonly v: Validator;
  /** Namespaces of clients `connectClient` wired from elsewhere (the NetworkPolicy admits them). */
  private readonly clientNamespaces = new Set<string>();
  /** The labels of the pods the NetworkPolicy admits as clients (as planned for the StatefulApp's policy). */
  private readonly clientPodLabels?: { [key: string]: string };

  constructor(scope: Construct, id: string, props: ReplicatedMySqlProps = {}) {
    // Everything is checked before the construct joins the tree: a refused cluster leaves nothing behind.
    const v = new Validator(futurePath(scope, id), KIND);
    const plan = planMySql(scope, v, id, props);
    super(scope, id);
    this.v = new Validator(this, KIND);
    this.app = new StatefulApp(this, 'Resource', plan.appProps);
    this.clientPodLabels = plan.appProps.networkPolicy?.clientPodLabels;
    const { name, metrics } = plan;
    this.name = name;
    this.namespace = this.app.namespace;
    this.replicas = plan.replicas;
    this.primaryOrdinal = plan.primaryOrdinal;
    this.port = PORT;
    this.secretName = plan.secretName;
    this.rootPasswordKey = plan.rootPasswordKey;
    this.replicationPasswordKey = plan.replicationPasswordKey;
    this.userPasswordKey = plan.userPasswordKey;
    this.databaseName = plan.databaseName;
    this.username = plan.username;
    this.replicationUser = plan.replicationUser;
    this.version = plan.version;
    this.replicationMode = plan.group ? ReplicationMode.GROUP : ReplicationMode.ASYNCHRONOUS;
    this.primaryService = this.addPrimaryService(plan);
    const context: ObjectsContext = {
      scope: this, v: this.v, plan, namespace: this.namespace, labels: this.app.labels, selectorLabels: this.app.selectorLabels,
    };
    const access = addMemberAccess(context, props.serviceAccountName === undefined);
    this.serviceAccount = access.serviceAccount;
    this.membersConfigMap = access.membersConfigMap;
    this.memberRole = access.role;
    this.memberRoleBinding = access.binding;
    this.plaintextSecret = addPlaintextSecret(context);
    this.certificate = addCertificate(context);
    const generator = addCredentialsGenerator(context, this.app.configMap!.name, plan.appProps.image, props.networkPolicy?.enabled !== false);
    this.generatedSecret = generator?.secret;
    this.credentialsJob = generator?.job;
    // What `kubectl describe` shows beside the kubelet's "secret ... not found" while the Secret is missing.
    this.app.statefulSet.metadata.addAnnotation(CREDENTIALS_ANNOTATION, `Secret ${plan.secretName}, keys ${credentialKeys(plan).join(', ')}`);
    if (metrics) {
      this.metricsObjects = addMetrics(this, {
        plan, v: this.v, labels: this.app.labels, memberHost: (o) => this.app.podDnsName(o), primaryHost: this.primaryHost,
        metricsNamespaceLabels: props.networkPolicy?.metricsNamespaceLabels ?? { 'kubernetes.io/metadata.name': 'monitoring' },
        networkPolicy: props.networkPolicy?.enabled !== false,
      });
      this.metricsDeployment = this.metricsObjects.deployment;
      this.metricsService = this.metricsObjects.service;
      this.serviceMonitor = this.metricsObjects.serviceMonitor;
    }
    // The primary may be protected from drains by its own budget; the app's then counts the replicas only.
    if (plan.replicas > 1 && props.protectPrimary === true) {
      this.primaryDisruptionBudget = this.app.protectPod(plan.primaryOrdinal, { name: `${name}${Conventions.MYSQL_PRIMARY_SERVICE_SUFFIX}` });
    }
    this.podDisruptionBudget = this.app.podDisruptionBudget;
    this.networkPolicy = this.app.networkPolicy;
    // The exporter scrapes every member over the network; a backup clones one.
    if (this.metricsObjects && this.networkPolicy) this.app.allowIngress({ podLabels: this.metricsObjects.podLabels, ports: ['mysql'] });
    if (plan.backup) {
      const backups = addBackup(context, plan.backup, this.app.configMap!.name, plan.appProps.image, props.networkPolicy?.enabled !== false);
      this.backupCronJob = backups.cronJob;
      this.backupVerifyCronJob = backups.verifyCronJob;
      this.backupPruneCronJob = backups.pruneCronJob;
      this.binlogArchiver = backups.archiver;
      if (this.networkPolicy) this.app.allowIngress({ podLabels: backupPodLabels(name), ports: ['mysql'] });
      if (this.networkPolicy && backups.archiver) this.app.allowIngress({ podLabels: backupPodLabels(name, true), ports: ['mysql'] });
    }
    addMySqlScannerChoices(this, props.scannerAnnotations !== false);
  }

  /** The write Service, and the StatefulSet's annotations the members read the primary (and the series) from. */
  private addPrimaryService(plan: MySqlPlan): k8s.KubeService {
    const name = `${plan.name}${Conventions.MYSQL_PRIMARY_SERVICE_SUFFIX}`;
    const annotations = this.app.statefulSet.metadata;
    // What the upgrade guard compares (a data directory only moves forward), also for an image by digest.
    annotations.addAnnotation(Conventions.MYSQL_SERIES_ANNOTATION, plan.version);
    if (plan.group) {
      // Read by the agents from the API server, so it reaches pods that are not Ready (a rolling update would not).
      if (plan.group.lostMembers.length > 0) annotations.addAnnotation(LOST_MEMBERS_ANNOTATION, plan.group.lostMembers.join(' '));
      // The group elects the primary; the member that is it labels its own pod (agent.sh).
      return this.app.addService('Primary', { name, podLabels: { [Conventions.MYSQL_ROLE_LABEL]: 'primary' } });
    }
    // The manifest's word on the primary, read by every member from the API server: a pod created
    // from an older revision of the template must not act on an older primaryOrdinal.
    annotations.addAnnotation(PRIMARY_ANNOTATION, String(plan.primaryOrdinal));
    return this.app.addService('Primary', { name, podOrdinal: plan.primaryOrdinal });
  }

  /** DNS name of the write Service: always the current primary. */
  public get primaryHost(): string {
    return this.app.hostOf(this.primaryService.name);
  }

  /** DNS name of the primary pod through the headless Service (asynchronous replication: a group's primary moves). */
  public get primaryPodHost(): string {
    if (this.replicationMode === ReplicationMode.GROUP) {
      throw new StatefulValidationError(this, KIND, 'primaryPodHost', 'read', 'has no fixed pod with Group Replication: the group elects the primary', 'use primaryHost (the write Service follows the primary)');
    }
    return this.app.podDnsName(this.primaryOrdinal);
  }

  /** DNS name for reads: the read Service (every member in sync); the write Service for a single instance. */
  public get readHost(): string {
    return this.app.readHost ?? this.primaryHost;
  }

  /** The StatefulSet (escape hatch: `mysql.statefulSet.addJsonPatch(...)`). */
  public get statefulSet(): k8s.KubeStatefulSet {
    return this.app.statefulSet;
  }

  /** The headless governing Service. */
  public get service(): k8s.KubeService {
    return this.app.service;
  }

  /** The read Service (`<name>-read`), with more than one member. */
  public get readService(): k8s.KubeService | undefined {
    return this.app.readService;
  }

  /** The ConfigMap with the configuration and scripts. */
  public get configMap(): k8s.KubeConfigMap {
    return this.app.configMap!;
  }

  /** The labels on every object of the cluster. */
  public get labels(): { [key: string]: string } {
    return this.app.labels;
  }

  /** DNS name of member `ordinal`, e.g. `mysql-1.mysql.shop.svc.cluster.local`. */
  public podDnsName(ordinal: number): string {
    return this.app.podDnsName(ordinal);
  }

  /** Name of member `ordinal`'s data PVC, e.g. `data-mysql-1` (the only claim is `data`). */
  public pvcName(volume: string, ordinal: number): string {
    return this.app.pvcName(volume, ordinal);
  }

  /**
   * Wires a client: sets `MYSQL_HOST` (the write Service), `MYSQL_READ_HOST`, `MYSQL_PORT`,
   * `MYSQL_DATABASE`, `MYSQL_USER` and `MYSQL_PASSWORD` (from the Secret) on its container, and
   * labels its pods so the NetworkPolicy admits them. `client` is a cdk8s-plus workload of any
   * major version (Deployment, StatefulSet, Job, ...), a StatefulApp, or an ApiObject with a pod
   * template (`k8s.KubeDeployment`, ...: patched as it is now). A client in another namespace
   * needs the Secret there (`options.clientSecretName`); the NetworkPolicy then admits that namespace.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- jsii's type for "any workload of any cdk8s-plus major" (no unions)
  public connectClient(client: any, options: MySqlClientOptions = {}): void {
    const v: Validator = this.v;
    const prop = 'connectClient(client)';
    if (!this.username || !this.databaseName) {
      v.fail('database', undefined, 'is not configured, so there is no application user for clients (they must not use root)',
        'set database: { name: "app", user: "app" } on the ReplicatedMySql');
    }
    checkShape(v, 'connectClient options', options, shapeOf('MySqlClientOptions'));
    const prefix = options.envPrefix ?? 'MYSQL_';
    if (typeof prefix !== 'string' || !/^[A-Z_][A-Z0-9_]*$/.test(prefix)) v.fail('connectClient options.envPrefix', prefix, 'must be upper case letters, digits and "_"', 'use "MYSQL_" or "DB_"');
    const target = clientTarget(v, prop, client, options.container);
    // A client without a namespace (a chart without one: the GitOps target's) may or may not be where the
    // database is: whether it can read the Secret and which namespace the NetworkPolicy must admit are
    // guesses. Refuse rather than guess (the database always has one: its RoleBinding needs it).
    if (target.namespace === undefined) {
      v.fail(prop, target.describe, `has no namespace (its chart sets none) while the database is in ${this.namespace}: the Secret reference and the NetworkPolicy rule depend on where it runs`,
        'set the client\'s namespace (its chart\'s namespace or metadata.namespace)');
    }
    const elsewhere = target.namespace !== this.namespace;
    if (elsewhere && options.clientSecretName === undefined) {
      v.fail(prop, target.describe, `is in namespace ${target.namespace} and the database in ${this.namespace}: a pod can read Secrets of its own namespace only, so a reference to ${this.secretName} would leave it in CreateContainerConfigError`,
        `keep a copy of the Secret (key ${this.userPasswordKey}) in ${target.namespace} (External Secrets, a SealedSecret, Reflector) and pass { clientSecretName: '<its name>' }`);
    }
    if (options.clientSecretName !== undefined && (typeof options.clientSecretName !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(options.clientSecretName))) {
      v.fail('connectClient options.clientSecretName', options.clientSecretName, 'is not a Secret name', 'pass the name of the Secret in the client\'s namespace');
    }
    const problem = checkDns1123Label(target.namespace);
    if (problem) v.fail(prop, target.describe, `is in namespace "${target.namespace}", which ${problem}`, 'give the client\'s chart a valid namespace name');
    // The database's NetworkPolicy selects clients by CLIENT_LABEL unless the props name labels of their own.
    const label = this.networkPolicy && this.clientPodLabels?.[CLIENT_LABEL] === this.name ? this.name : undefined;
    const env: Array<[string, ClientEnv]> = [
      ['HOST', { value: this.primaryHost }], ['READ_HOST', { value: this.readHost }], ['PORT', { value: String(this.port) }],
      ['DATABASE', { value: this.databaseName }], ['USER', { value: this.username }],
      ['PASSWORD', { secret: { name: options.clientSecretName ?? this.secretName, key: this.userPasswordKey } }],
    ];
    const wiring = { database: this, name: this.name, prefix, envNames: env.map(([n]) => `${prefix}${n}`), label };
    // Every refusal above and here comes before the first change: a refused call changes nothing.
    checkClientWiring(v, prop, target, client as object, wiring, CLIENT_LABEL);
    if (elsewhere && !this.clientNamespaces.has(target.namespace)) {
      const namespaceLabels = { 'kubernetes.io/metadata.name': target.namespace };
      if (this.networkPolicy && this.clientPodLabels) this.app.allowIngress({ podLabels: this.clientPodLabels, namespaceLabels, ports: ['mysql'] });
      this.clientNamespaces.add(target.namespace);
    }
    for (const [n, value] of env) target.setEnv(`${prefix}${n}`, value);
    if (label !== undefined) target.addPodLabel(CLIENT_LABEL, label);
    recordClientWiring(target, client as object, wiring);
  }
}
