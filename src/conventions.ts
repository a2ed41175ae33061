/**
 * The names the constructs write into manifests that tools reading the manifests rely on: the
 * upgrade guard (package cdk8s-stateful-guard) recognizes the objects of this library by them, and
 * your own policies may too. The constructs write them from here, so the two cannot drift.
 *
 * They are a contract with manifests already committed: the guard compares old manifests with new
 * ones using the installed library's values, so a renamed value would make every manifest written
 * before the rename unrecognizable. Add values; renaming one is a breaking change of the guard.
 */
export class Conventions {
  /** Label naming the tool that manages an object. */
  public static readonly MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
  /** The value of `MANAGED_BY_LABEL` on everything this library emits. */
  public static readonly MANAGED_BY = 'cdk8s-stateful';
  /** Label of the application's name (the first selector label). */
  public static readonly NAME_LABEL = 'app.kubernetes.io/name';
  /** Label of the instance: the StatefulSet's name (the second selector label). */
  public static readonly INSTANCE_LABEL = 'app.kubernetes.io/instance';
  /** The main container of a ReplicatedMySql pod. */
  public static readonly MYSQL_CONTAINER = 'mysql';
  /** The init container of a ReplicatedMySql pod that fences, initializes or clones the member. */
  public static readonly MYSQL_BOOTSTRAP_CONTAINER = 'bootstrap';
  /** Env of the bootstrap container: the ReplicatedMySql's name (present only on ReplicatedMySql pods). */
  public static readonly MYSQL_SET_NAME_ENV = 'MYSQL_SET_NAME';
  /** Env of the bootstrap container: `verify`, `serve` or `self-signed` (absent means self-signed). */
  public static readonly MYSQL_TLS_ENV = 'MYSQL_TLS';
  /** Key of the ReplicatedMySql ConfigMap holding the bootstrap script. */
  public static readonly MYSQL_BOOTSTRAP_SCRIPT_KEY = 'bootstrap.sh';
  /** Key of the ReplicatedMySql ConfigMap holding `initSql`. */
  public static readonly MYSQL_INIT_SQL_KEY = 'init.sql';
  /** Suffix of the ReplicatedMySql write Service's name (`<name>-primary`). */
  public static readonly MYSQL_PRIMARY_SERVICE_SUFFIX = '-primary';
  /**
   * The label each ReplicatedMySql member in Group Replication mode puts on its own pod: `primary` or
   * `secondary` while it is ONLINE in the majority's view; removed otherwise. The write and read Services select by it.
   */
  public static readonly MYSQL_ROLE_LABEL = 'mysql.cdk8s-stateful.io/role';
  /** ReplicatedMySql pods' env variable naming the replication mode (`async` or `group`; absent in older manifests: `async`). */
  public static readonly MYSQL_REPLICATION_MODE_ENV = 'REPLICATION_MODE';
  /** Annotation of a ReplicatedMySql StatefulSet (asynchronous replication): the ordinal of the member that takes writes. */
  public static readonly MYSQL_PRIMARY_ANNOTATION = 'mysql.cdk8s-stateful.io/primary-ordinal';
  /** Annotation of a ReplicatedMySql StatefulSet: the MySQL series its members run (`8.4`, `9.7`), also when the image names none. */
  public static readonly MYSQL_SERIES_ANNOTATION = 'mysql.cdk8s-stateful.io/series';
  /** Annotation of a ReplicatedMySql StatefulSet: the credentials Secret and the keys its members read (`Secret <name>, keys <key>, <key>`). */
  public static readonly MYSQL_CREDENTIALS_ANNOTATION = 'mysql.cdk8s-stateful.io/credentials';
  /** Env of the bootstrap container: the application database (`database.name`), when there is one. */
  public static readonly MYSQL_DATABASE_ENV = 'APP_DATABASE';
  /** The socket mysqld listens on in the mysql container. */
  public static readonly MYSQL_SOCKET = '/var/run/mysqld/mysqld.sock';
  /** The file in the mysql container holding the root password (credentials are files, never env). */
  public static readonly MYSQL_ROOT_PASSWORD_FILE = '/etc/mysql/credentials/root-password';
  /** Key of a ReplicatedMySql ConfigMap: the server's configuration (`binlog_expire_logs_seconds` among it). */
  public static readonly MYSQL_CONFIG_FILE_KEY = 'common.cnf';
  /** Key of a ReplicatedMySql ConfigMap: the script the backup CronJob runs (its container's last argument ends with it). */
  public static readonly MYSQL_BACKUP_SCRIPT_KEY = 'backup.sh';

  /**
   * Kinds of the Kubernetes API (and of the CSI snapshotter) whose objects are cluster-scoped, as
   * `group/Kind` (core kinds without a group). Any other kind is taken as namespaced, as custom
   * resources mostly are. Frozen: it cannot be changed at run time.
   */
  public static readonly CLUSTER_SCOPED_KINDS: string[] = Object.freeze([
    'Namespace', 'Node', 'PersistentVolume', 'ComponentStatus',
    'storage.k8s.io/StorageClass', 'storage.k8s.io/CSIDriver', 'storage.k8s.io/CSINode', 'storage.k8s.io/VolumeAttachment',
    'storage.k8s.io/VolumeAttributesClass',
    'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
    'scheduling.k8s.io/PriorityClass', 'node.k8s.io/RuntimeClass', 'networking.k8s.io/IngressClass',
    'apiextensions.k8s.io/CustomResourceDefinition', 'apiregistration.k8s.io/APIService',
    'admissionregistration.k8s.io/ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/MutatingWebhookConfiguration',
    'admissionregistration.k8s.io/ValidatingAdmissionPolicy', 'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
    'certificates.k8s.io/CertificateSigningRequest', 'flowcontrol.apiserver.k8s.io/FlowSchema',
    'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration', 'snapshot.storage.k8s.io/VolumeSnapshotClass',
    'snapshot.storage.k8s.io/VolumeSnapshotContent', 'policy/PodSecurityPolicy',
  ]) as string[];

  /** True when objects of `kind` in API group `group` (`''` for the core group) are cluster-scoped. */
  public static isClusterScoped(group: string, kind: string): boolean {
    return CLUSTER_SCOPED.has(group ? `${group}/${kind}` : kind);
  }

  private constructor() {}
}

const CLUSTER_SCOPED = new Set(Conventions.CLUSTER_SCOPED_KINDS);
