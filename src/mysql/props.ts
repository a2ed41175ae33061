/** The props of ReplicatedMySql and its nested options. */
import type { Duration, Size } from 'cdk8s';
import type { ContainerResources } from 'cdk8s-plus-28';
import type { SpreadMode } from '../app/options';
import type { StatefulWorkloadProps } from '../app/props';
import type { IStorageClass } from '../storage/disk-storage-class';
import type { MySqlBackupOptions, MySqlRestore } from './backup-props';
import type { MySqlCredentials } from './credentials';
import type { MySqlReplication } from './replication';
import type { MySqlTls } from './tls';

/** The default MySQL image (8.4 LTS). */
export const DEFAULT_MYSQL_IMAGE = 'mysql:8.4.10';
/** The default image for MySQL 9.7 LTS (the version the end-to-end tests run). */
export const DEFAULT_MYSQL_97_IMAGE = 'mysql:9.7.4';
/** The mysqld-exporter image of the metrics sidecar. */
export const DEFAULT_EXPORTER_IMAGE = 'prom/mysqld-exporter:v0.18.0';

/** A MySQL long-term-support series that ReplicatedMySql runs. */
export enum MySqlVersion {
  /** MySQL 8.4 LTS (default image `mysql:8.4.10`). */
  V8_4 = '8.4',
  /** MySQL 9.7 LTS (default image `mysql:9.7.4`). */
  V9_7 = '9.7',
}

/** What the primary does when its data directory is empty. */
export enum EmptyPrimaryPolicy {
  /**
   * Initialize a new data directory only when no other member holds data: every member records
   * that it does in the ConfigMap `<name>-members` (and restores the entry on every start), and
   * an entry counts while the member's claim exists. A new cluster starts by itself; a primary
   * whose volume was lost while other members hold data refuses and says what to do.
   */
  INITIALIZE_WHEN_NEW = 'when-new',
  /** Never initialize: an empty primary data directory always fails closed (restore it first). */
  REFUSE = 'refuse',
  /**
   * Initialize even though other members' claims exist: starts a NEW, EMPTY cluster, and the
   * replicas' data can no longer be followed (they refuse and must be re-cloned). Only to start over.
   */
  INITIALIZE_ANYWAY = 'always',
}
/** Per-pod storage of the data directory. */
export interface MySqlStorageOptions {
  /**
   * Capacity of each member's volume.
   * @default Size.gibibytes(10)
   */
  readonly size?: Size;
  /**
   * StorageClass.
   * @default - the cluster's default StorageClass
   */
  readonly storageClass?: IStorageClass;
}

/** An application database and the user that owns it, created on first start. */
export interface MySqlDatabaseOptions {
  /** Database (schema) name. */
  readonly name: string;
  /** User name; its password is the credentials Secret's `userPassword` key. */
  readonly user: string;
}

/**
 * Metrics: one mysqld_exporter Deployment (`<name>-metrics`) scrapes every member over the network
 * (its multi-target `/probe` endpoint), so that a failing exporter never touches the database
 * pods' readiness.
 */
export interface MySqlMetricsOptions {
  /**
   * Exporter image.
   * @default 'prom/mysqld-exporter:v0.18.0'
   */
  readonly image?: string;
  /**
   * Also emit a Prometheus Operator ServiceMonitor (one endpoint per member).
   * @default false
   */
  readonly serviceMonitor?: boolean;
  /**
   * Scrape interval of the ServiceMonitor.
   * @default Duration.seconds(30)
   */
  readonly interval?: Duration;
  /**
   * Metrics user name (its password is the Secret's `exporterPassword` key).
   * @default 'exporter'
   */
  readonly user?: string;
  /**
   * Labels of the ServiceMonitor besides the app's, for the Prometheus that selects ServiceMonitors by label.
   * kube-prometheus-stack selects `release: <its Helm release name>`; `{}` adds none.
   * @default { release: 'kube-prometheus-stack' } (the release name its documentation installs)
   */
  readonly serviceMonitorLabels?: { [key: string]: string };
}

/** Who may connect, enforced by a NetworkPolicy (on by default). */
export interface MySqlNetworkPolicyOptions {
  /**
   * Emit the NetworkPolicy. Without it, every pod of the cluster can reach the database.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Labels of client pods allowed to connect to MySQL. With labels of its own, `connectClient` adds
   * no label: the client's pods must carry these.
   * @default - pods labelled `cdk8s-stateful.io/mysql-client: <name>` (what `connectClient` adds)
   */
  readonly clientPodLabels?: { [key: string]: string };
  /**
   * Labels of other namespaces whose matching client pods may connect too (clients of the
   * database's own namespace may connect either way). `connectClient` adds the namespace of a
   * client it wires from another namespace by itself.
   * @default - no other namespace
   */
  readonly clientNamespaceLabels?: { [key: string]: string };
  /**
   * Labels of the namespace Prometheus runs in (scrapes the metrics port).
   * @default { 'kubernetes.io/metadata.name': 'monitoring' }
   */
  readonly metricsNamespaceLabels?: { [key: string]: string };
}

/** Props of a {@link ReplicatedMySql}. The props it shares with StatefulApp it hands to its StatefulApp unchanged. */
export interface ReplicatedMySqlProps extends StatefulWorkloadProps {
  /**
   * Members: ordinal `primaryOrdinal` is the primary, the others are read-only replicas. 0 parks
   * the cluster: every pod stops, the volumes stay.
   * @default 3
   */
  readonly replicas?: number;
  /**
   * Per-member storage (PVCs `data-<name>-<ordinal>`).
   * @default - 10Gi on the cluster's default StorageClass
   */
  readonly storage?: MySqlStorageOptions;
  /**
   * MySQL image: 8.4 LTS (`mysql:8.4.x`) or 9.7 LTS (`mysql:9.7.x`), or a mirror with such a tag.
   * @default - 'mysql:8.4.10', or 'mysql:9.7.4' with `version: MySqlVersion.V9_7`
   */
  readonly image?: string;
  /**
   * The MySQL series, where the image tag does not say (a digest, a mirror's own tags).
   * @default - read from the image tag; MySqlVersion.V8_4 without an image
   */
  readonly version?: MySqlVersion;
  /**
   * Where passwords come from.
   * @default - MySqlCredentials.fromSecretName('<name>-credentials'), which you create
   */
  readonly credentials?: MySqlCredentials;
  /**
   * An application database and user, created on first start.
   * @default - none (only root and the replication user exist)
   */
  readonly database?: MySqlDatabaseOptions;
  /**
   * Name of the replication and clone user.
   * @default 'repl'
   */
  readonly replicationUser?: string;
  /**
   * Members get `server_id` = base + ordinal. Give clusters that replicate with each other
   * different bases.
   * @default 100
   */
  readonly serverIdBase?: number;
  /**
   * How the members replicate: asynchronously from the primary `primaryOrdinal` names, or as a MySQL
   * Group Replication group that elects its primary (docs/mysql.md: "Group Replication"). Switching a running
   * cluster between the two is a migration, not a prop change (`cdk8s-stateful check` refuses it).
   * @default MySqlReplication.asynchronous()
   */
  readonly replication?: MySqlReplication;
  /**
   * The ordinal of the primary (asynchronous replication only). Changing it is a failover (docs/mysql.md: "Failover"): the old primary
   * stops taking writes as soon as it sees the change (each pod's agent asks the API server), the
   * write Service moves to the new member, which promotes itself when the rolling update restarts
   * it -- once it has applied everything the old primary had (or, if that one is down, everything
   * it received) and no member is ahead of it; the other members follow it after checking that it
   * holds every transaction they have.
   * @default - the first ordinal (0)
   */
  readonly primaryOrdinal?: number;
  /**
   * mysqld options merged over the defaults for every member (`{ max_connections: '500' }`).
   * Settings that let a crash lose acknowledged commits (`sync_binlog`, `innodb_flush_log_at_trx_commit`
   * other than 1, `innodb_doublewrite` OFF) are refused unless named in `acceptRelaxedDurability`.
   * @default - the library's defaults (GTID, binary logs, a buffer pool sized from the memory limit, ...)
   */
  readonly config?: { [option: string]: string };
  /**
   * The durability settings of `config` you accept to relax, by name (`['sync_binlog']`): a crash
   * of the primary may then lose commits that clients saw succeed. The cluster never silently
   * diverges over it (a member that received them is refused as ahead, docs/mysql.md: Safety), but the
   * commits may be gone from the primary.
   * @default - none: sync_binlog and innodb_flush_log_at_trx_commit stay 1, the doublewrite buffer on
   */
  readonly acceptRelaxedDurability?: string[];
  /**
   * Verified TLS: the members check each other's identity against a CA (replication, CLONE and
   * their checks of each other), and clients can (`--ssl-mode=VERIFY_IDENTITY`).
   * @default - encrypted with certificates each mysqld generates, but not authenticated
   */
  readonly tls?: MySqlTls;
  /**
   * SQL run once, on the primary's first start (after the users exist), e.g. schema creation.
   * @default - none
   */
  readonly initSql?: string;
  /**
   * Resources of the mysql container (and of the bootstrap init container, which runs mysqld too).
   * @default - cpu request 500m; memory request and limit 1Gi
   */
  readonly resources?: ContainerResources;
  /**
   * How long a member may take to start (crash recovery of a large data set) before it is restarted.
   * @default Duration.minutes(30)
   */
  readonly startupTimeout?: Duration;
  /**
   * A replica that has not applied everything the primary had this long ago (measured against
   * the primary itself by the pod's agent, not against the replica's own view of its source), or
   * whose replication stopped, is not Ready: it leaves the read Service until it catches up.
   * @default Duration.seconds(60)
   */
  readonly maxReplicaLag?: Duration;
  /**
   * What the primary does with an empty data directory. The default starts a new cluster by
   * itself and refuses when other members' volume claims exist (the primary's volume was lost).
   * @default EmptyPrimaryPolicy.INITIALIZE_WHEN_NEW
   */
  readonly emptyPrimary?: EmptyPrimaryPolicy;
  /**
   * Time for mysqld to shut down cleanly.
   * @default Duration.seconds(120)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * A mysqld_exporter Deployment that scrapes every member (and optionally a ServiceMonitor).
   * @default - no metrics
   */
  readonly metrics?: MySqlMetricsOptions;
  /**
   * Scheduled full backups to S3 (a CronJob, `<name>-backup`): a throw-away mysqld CLONEs a replica
   * (the primary when there is none) and the copy is uploaded with its GTID set and checksum.
   * `restore` makes a new cluster from one.
   * @default - no backups
   */
  readonly backup?: MySqlBackupOptions;
  /**
   * Make this cluster from a backup instead of empty: the first member restores it where it would otherwise
   * initialize an empty data directory (and only after the same checks that no member holds data), the accounts
   * get this cluster's passwords, then the others clone it. Already running members are never touched: it acts
   * only on a new cluster. `MySqlRestore.fromBackup({ storage }).toLatestBackup()` or `.toBackup(id)`.
   * @default - a new cluster starts empty
   */
  readonly restore?: MySqlRestore;
  /**
   * A NetworkPolicy that admits only members, clients and Prometheus.
   * @default - on: members, pods labelled by `connectClient` in the database's namespace (and the
   * namespaces of clients it wired from elsewhere), the metrics exporter; Prometheus from the
   * `monitoring` namespace to the exporter
   */
  readonly networkPolicy?: MySqlNetworkPolicyOptions;
  /**
   * Spread members over nodes. Required by default: two members on one node would be lost together.
   * @default SpreadMode.REQUIRED
   */
  readonly spreadAcrossNodes?: SpreadMode;
  /**
   * Keep voluntary evictions (node drains, cluster upgrades) from taking the primary: a second
   * PodDisruptionBudget (`maxUnavailable: 0`) selects the primary pod and the replicas' budget
   * (`disruptionBudget`) excludes it, so draining the primary's node waits until you fail over to
   * another member (docs/mysql.md: "Failover"). Off by default: the default budget (maxUnavailable 1
   * over every member) lets a drain evict the primary, which means a write outage of one restart
   * (about a minute: the pod comes back on another node with its volume) but never a stalled drain.
   * @default false
   */
  readonly protectPrimary?: boolean;
}

/** Options of {@link ReplicatedMySql.connectClient}. */
export interface MySqlClientOptions {
  /**
   * Name of the container to configure.
   * @default - the workload's first container
   */
  readonly container?: string;
  /**
   * The Secret with the application user's password in the client's namespace, for a client in
   * another namespace than the database (a pod can only read Secrets of its own namespace):
   * keep a copy there (External Secrets, a SealedSecret, Reflector) under the key `userPasswordKey`.
   * @default - the database's Secret, for a client in the database's namespace
   */
  readonly clientSecretName?: string;
  /**
   * Prefix of the environment variable names.
   * @default 'MYSQL_'
   */
  readonly envPrefix?: string;
}
