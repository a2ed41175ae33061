/**
 * What the tests of the pod scripts share: the commands and SQL the scripts must send (MySQL 8.4/9.7
 * syntax, the API server's paths and merge patches, written from the README and the manuals, not
 * copied from a run), the expected log lines, and the pod sandboxes (harness.ts) each test starts.
 */
import { ReplicatedMySqlProps } from '../../../src';
import {
  exact, gtidSet, MEMBERS_PATH, PodOptions, PodSandbox, REPLICATION_PASSWORD, ROOT_PASSWORD, STATEFULSET_PATH, TOKEN,
} from '../harness';

export const host = (ordinal: number) => `mysql-${ordinal}.mysql.mysql.svc.cluster.local`;
export const UUID_A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
export const UUID_B = '8a94f357-aab4-11df-86ab-c80aa9429562';
/** The server_uuid of the running mysqld (a new one at every start, run-mysqld.sh). */
export const UUID_NOW = 'b7d1c3a2-5e4f-11f0-8c1d-0242ac120007';

// --- what the stand-ins record ---------------------------------------------------------------

export const DATA_ROOT = '$ROOT/var/lib/mysql';
export const BOOT = `${DATA_ROOT}/.bootstrap`;
export const SOCK = `${BOOT}/mysqld.sock`;
export const RUN_SOCK = '$ROOT/var/run/mysqld/mysqld.sock';
export const CNF = '$ROOT/etc/mysql/conf.d/mysqld.cnf';
export const CA = '$ROOT/etc/mysql/tls/ca.crt';
/** Every temporary mysqld: no network, no replication, the real server's buffer pool dump left alone. */
export const TEMP = `--socket=${SOCK} --pid-file=${SOCK}.pid --skip-networking --mysqlx=OFF --skip-replica-start --persisted-globals-load=OFF --innodb-buffer-pool-dump-at-shutdown=OFF --innodb-buffer-pool-load-at-startup=OFF`;

/** The session every script connection uses (lib.sh client_cnf): backslashes are escapes, whatever the server's sql_mode. */
export const SESSION = 'init-command="SET SESSION sql_mode = \'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION\'"';
/** The [client] option file, as the script wrote it (the stand-in shows its lines). */
export const cnf = (user: string, password: string, session = true) => `--defaults-file={user="${user}" password="${password}"${session ? ` ${SESSION}` : ''}}`;
/** SQL as root on the temporary server (the password as the option file spells it). */
export const local = (sql: string, password = ROOT_PASSWORD) => `-- mysql ${cnf('root', password)} --socket=${SOCK} --batch --skip-column-names\n${sql}\n`;
/** SQL as root of a new data directory, or of the clone recipient (no password). */
export const noPassword = (sql: string) => `-- mysql ${cnf('root', '')} --socket=${SOCK}\n${sql}\n`;
/** SQL of the agent (or the readiness probe) on the running mysqld. */
export const onServer = (sql: string, password = ROOT_PASSWORD) => `-- mysql ${cnf('root', password)} --socket=${RUN_SOCK} --batch --skip-column-names --connect-timeout=3\n${sql}\n`;
/** The accounts the agent creates on the running mysqld (apply_accounts: no connect timeout). */
export const accountsOnServer = (sql: string) => `-- mysql ${cnf('root', ROOT_PASSWORD)} --socket=${RUN_SOCK} --batch --skip-column-names\n${sql}\n`;
/** SQL on a peer as the replication user, over TLS. */
export const onPeer = (ordinal: number, sql: string, options: { password?: string; verify?: boolean } = {}) =>
  `-- mysql ${cnf('repl', options.password ?? REPLICATION_PASSWORD)} --host=${host(ordinal)} --port=3306 ${options.verify ? `--ssl-mode=VERIFY_IDENTITY --ssl-ca=${CA}` : '--ssl-mode=REQUIRED'} --connect-timeout=3 --batch --skip-column-names\n${sql}\n`;
export const mysqld = (args: string) => `-- mysqld ${args}\n`;
export const temp = (args: string) => `-- mysqld ${args} ${TEMP}\n`;
export const stopped = (datadir: string) => `-- mysqld stopped (datadir ${datadir})\n`;

export const API = 'https://10.96.0.1:443';
export const get = (apiPath: string, api = API) => `-- curl GET ${api}${apiPath}\nheader@file: Authorization: Bearer ${TOKEN}\n`;
export const patch = (apiPath: string, body: string) =>
  `-- curl PATCH ${API}${apiPath}\nheader: Content-Type: application/merge-patch+json\nheader@file: Authorization: Bearer ${TOKEN}\n${body}\n`;
export const GET_STS = get(STATEFULSET_PATH);
export const GET_MEMBERS = get(MEMBERS_PATH);
export const record = (pod: string) => GET_MEMBERS + patch(MEMBERS_PATH, `{"data":{"${pod}":"holds-data"}}`);

/** The log split into its entries (each starts with "-- "). */
export const entries = (log: string) => log.split(/^(?=-- )/m).filter(Boolean);

// --- the SQL -------------------------------------------------------------------------------

/** A GTID set in SQL, on one line (lib.sh): mysql --batch prints the newlines between its UUIDs as "\n". */
export const GTID_EXECUTED = 'REPLACE(@@GLOBAL.gtid_executed, \'\\n\', \'\')';
export const GTID_RECEIVED = 'IFNULL((SELECT REPLACE(RECEIVED_TRANSACTION_SET, \'\\n\', \'\') FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = \'\'), \'\')';
export const GTIDS = `SELECT ${GTID_EXECUTED};`;
/** What a member tells its peers: read_only|super_read_only|executed|received. */
export const MEMBER_STATE = `SELECT CONCAT_WS('|', @@GLOBAL.read_only, @@GLOBAL.super_read_only, ${GTID_EXECUTED}, ${GTID_RECEIVED});`;
/** This member's executed and received transactions, on one line. */
export const MINE_SQL = `SELECT TRIM(BOTH ',' FROM CONCAT(${GTID_EXECUTED}, ',', ${GTID_RECEIVED}));`;
export const CHANNEL = 'SELECT HOST FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = \'\';';
export const RESET_PERSIST = 'RESET PERSIST IF EXISTS read_only; RESET PERSIST IF EXISTS super_read_only;';
/** What a replica asks its source: its server_uuid (a restart changes it) and its GTID set, on one line. */
export const SOURCE_SQL = `SELECT CONCAT(@@server_uuid, '|', ${GTID_EXECUTED});`;
/** A replica asks its source again about the transactions it found errant. */
export const reconfirm = (errant: string) => `SELECT REPLACE(GTID_SUBTRACT('${errant}', @@GLOBAL.gtid_executed), '\\n', '');`;
export const subtract = (a: string, b: string) => `SELECT REPLACE(GTID_SUBTRACT('${a}', '${b}'), '\\n', '');`;
/** A server's answer holding a GTID set as the server holds it (the stand-in prints it as mysql --batch does). */
export const gtids = (set: string) => ({ rows: [{ set }] });
/** A peer's MEMBER_STATE row (its sets already on one line: the SQL REPLACEs their newlines). */
export const memberState = (readOnly: number, superReadOnly: number, executed: string, received = '') =>
  ({ out: `${readOnly}|${superReadOnly}|${executed}|${received}\n` });

export const FACTS = `SELECT CONCAT('user:', user, '@', host) FROM mysql.user;
SELECT CONCAT('schema:', schema_name) FROM information_schema.schemata;
SELECT CONCAT('grant:', GRANTEE, ':', TABLE_SCHEMA, '.', TABLE_NAME, ':', PRIVILEGE_TYPE) FROM information_schema.TABLE_PRIVILEGES
  WHERE TABLE_SCHEMA = 'performance_schema';
SELECT CONCAT('grant:', GRANTEE, ':', TABLE_SCHEMA, '.*:', PRIVILEGE_TYPE) FROM information_schema.SCHEMA_PRIVILEGES
  WHERE TABLE_SCHEMA = 'performance_schema';
SELECT CONCAT('grant:', GRANTEE, ':*.*:', PRIVILEGE_TYPE) FROM information_schema.USER_PRIVILEGES;`;
/** What a new data directory holds: the system accounts and schemas, their grants (GRANTEE as information_schema spells it). */
export const FRESH_FACTS = `user:mysql.infoschema@localhost
user:mysql.session@localhost
user:mysql.sys@localhost
user:root@localhost
schema:mysql
schema:information_schema
schema:performance_schema
schema:sys
grant:'mysql.session'@'localhost':performance_schema.*:SELECT
grant:'mysql.infoschema'@'localhost':*.*:SELECT
grant:'mysql.session'@'localhost':*.*:SHUTDOWN
grant:'mysql.session'@'localhost':*.*:SUPER
grant:'root'@'localhost':*.*:SELECT
grant:'root'@'localhost':*.*:PROCESS
grant:'root'@'localhost':*.*:REPLICATION CLIENT
`;
export const REPL_FACTS = `user:repl@%\ngrant:'repl'@'%':performance_schema.replication_connection_status:SELECT\ngrant:'repl'@'%':*.*:REPLICATION SLAVE\n`;
export const APP_FACTS = 'user:shop@%\nschema:shop\n';
export const EXPORTER_FACTS = 'user:exporter@%\ngrant:\'exporter\'@\'%\':*.*:PROCESS\ngrant:\'exporter\'@\'%\':*.*:REPLICATION CLIENT\ngrant:\'exporter\'@\'%\':performance_schema.*:SELECT\n';
export const ALL_FACTS = FRESH_FACTS + REPL_FACTS + APP_FACTS + EXPORTER_FACTS;

export const replAccount = (quoted = `'${REPLICATION_PASSWORD}'`) => `CREATE USER 'repl'@'%' IDENTIFIED BY ${quoted} REQUIRE SSL;
GRANT REPLICATION SLAVE, BACKUP_ADMIN ON *.* TO 'repl'@'%';
GRANT SELECT ON performance_schema.replication_connection_status TO 'repl'@'%';`;
export const DATABASE = 'CREATE DATABASE `shop`;';
export const appAccount = (quoted = '\'app-pw\'') => `CREATE USER 'shop'@'%' IDENTIFIED BY ${quoted};
GRANT ALL PRIVILEGES ON \`shop\`.* TO 'shop'@'%';`;
/** The metrics account: least privilege (no SELECT on *.*), over TLS, few connections. */
export const EXPORTER_GRANTS = `GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'exporter'@'%';
GRANT SELECT ON performance_schema.* TO 'exporter'@'%';`;
export const exporterAccount = (quoted = '\'exp-pw\'') => `CREATE USER 'exporter'@'%' IDENTIFIED BY ${quoted} REQUIRE SSL WITH MAX_USER_CONNECTIONS 3;\n${EXPORTER_GRANTS}`;
export const ALL_ACCOUNTS = `${replAccount()}\n${DATABASE}\n${appAccount()}\n${exporterAccount()}`;
/** How the scripts log those statements: their first words, never a password. */
export const ALL_ACCOUNTS_LOGGED = 'CREATE USER \'repl\'@\'%\';GRANT REPLICATION SLAVE, BACKUP_ADMIN;GRANT SELECT;CREATE DATABASE `shop`;CREATE USER \'shop\'@\'%\';GRANT ALL PRIVILEGES;CREATE USER \'exporter\'@\'%\';GRANT PROCESS, REPLICATION CLIENT;GRANT SELECT;';

/** The channel to the primary: with a host when it is (re)pointed, credentials and TLS only otherwise. */
export const changeSource = (primary?: number, options: { quoted?: string; verify?: boolean } = {}) =>
  `CHANGE REPLICATION SOURCE TO ${primary === undefined ? '' : `SOURCE_HOST = '${host(primary)}', SOURCE_PORT = 3306, SOURCE_AUTO_POSITION = 1,`}
  SOURCE_USER = 'repl',
  SOURCE_PASSWORD = ${options.quoted ?? `'${REPLICATION_PASSWORD}'`},
  SOURCE_SSL = 1, ${options.verify ? `SOURCE_SSL_CA = '${CA}', SOURCE_SSL_VERIFY_SERVER_CERT = 1` : 'SOURCE_SSL_CA = \'\', SOURCE_SSL_VERIFY_SERVER_CERT = 0'},
  SOURCE_CONNECT_RETRY = 10,
  SOURCE_RETRY_COUNT = 0,
  SOURCE_HEARTBEAT_PERIOD = 5;`;

// --- the steps -------------------------------------------------------------------------------

export const INIT_SQL = 'CREATE TABLE shop.t (id INT PRIMARY KEY);';
export const INITIALIZE = mysqld(`--defaults-file=${CNF} --datadir=${BOOT}/data --initialize-insecure`);
/** The only writable server the scripts ever start: a new data directory nobody can reach. */
export const INIT_SERVER = temp(`--defaults-file=${CNF} --datadir=${BOOT}/data --read-only=OFF --super-read-only=OFF`);
export function initSteps(statements: string, options: { initSql?: string; rootQuoted?: string; rootOption?: string; facts?: string } = {}): string {
  const password = options.rootOption ?? ROOT_PASSWORD;
  return INITIALIZE + INIT_SERVER
    + noPassword(`ALTER USER 'root'@'localhost' IDENTIFIED BY ${options.rootQuoted ?? `'${ROOT_PASSWORD}'`};`)
    + local(FACTS, password)
    + local(statements, password)
    // The user's SQL runs under the server's own sql_mode: no init-command.
    + (options.initSql ? `-- mysql ${cnf('root', password, false)} --socket=${SOCK}\n${options.initSql}\n` : '')
    + stopped(`${BOOT}/data`);
}

export const RECIPIENT = `${BOOT}/recipient`;
export const RECIPIENT_UP = mysqld(`--no-defaults --datadir=${RECIPIENT} --initialize-insecure --innodb-buffer-pool-size=32M --innodb-redo-log-capacity=8M`)
  + temp(`--no-defaults --datadir=${RECIPIENT} --tmpdir=${DATA_ROOT}/tmp --secure-file-priv=${DATA_ROOT}/files --plugin-load-add=mysql_clone.so --innodb-buffer-pool-size=32M --skip-log-bin`);
export const RECIPIENT_DOWN = stopped(RECIPIENT);
export const askDonor = (ordinal: number, options?: { password?: string; verify?: boolean }) => onPeer(ordinal, 'SELECT 1;', options);
export const cloneFrom = (ordinal: number, options: { quoted?: string; verify?: boolean } = {}) => noPassword(`${options.verify ? `SET GLOBAL clone_ssl_ca = '${CA}';` : ''}
SET GLOBAL clone_valid_donor_list = '${host(ordinal)}:3306';
CLONE INSTANCE FROM 'repl'@'${host(ordinal)}':3306 IDENTIFIED BY ${options.quoted ?? `'${REPLICATION_PASSWORD}'`}
  DATA DIRECTORY = '${BOOT}/clone' REQUIRE SSL;`);
/** The clone, started without network or replication, pointed at the primary. */
export const pointClone = (primary: number, options?: { quoted?: string; verify?: boolean }) => temp(`--defaults-file=${CNF} --datadir=${BOOT}/clone`)
  + local('RESET REPLICA ALL;') + local(changeSource(primary, options)) + stopped(`${BOOT}/clone`);

/** A member with data: a temporary mysqld on it, read-only as configured, persisted read-only settings reset. */
export const RECONCILE_UP = temp(`--defaults-file=${CNF}`) + local(RESET_PERSIST);
export const RECONCILE_DOWN = stopped(`${DATA_ROOT}/data`);

// --- the pods --------------------------------------------------------------------------------

let sandboxes: PodSandbox[] = [];
export function pod(props: ReplicatedMySqlProps, podName: string, options?: PodOptions): PodSandbox {
  const s = new PodSandbox(props, podName, options);
  sandboxes.push(s);
  return s;
}
/** Stops every pod sandbox a test started (each test file's afterEach). */
export async function disposePods(): Promise<void> {
  for (const s of sandboxes) await s.dispose();
  sandboxes = [];
}

export const FULL: ReplicatedMySqlProps = { replicas: 3, database: { name: 'shop', user: 'shop' }, metrics: {}, initSql: INIT_SQL };
export const NEW_CLUSTER = 'mysql-0: no other member holds data: this is a new cluster';

/** The README's refusal of an empty primary, after its first line. */
export const REFUSAL_TAIL = (pod = 'mysql-0') => `Initializing an empty primary now would fork the cluster: clients would write into an empty
database while the other members hold the data. Nothing was changed. To recover:
  - promote the most advanced member (docs/mysql.md: 'Failover'): set primaryOrdinal to it and apply;
    this member then clones from it as a replica;
  - or restore this member's volume from a copy you keep (it is checked against the other members
    before it takes writes, docs/mysql.md: 'Safety: who may take writes');
  - or, to discard the other members' data and start a NEW, EMPTY cluster on purpose, delete their
    PersistentVolumeClaims (kubectl -n mysql get pvc -l app.kubernetes.io/instance=mysql lists
    them; delete every one but data-${pod}), or set emptyPrimary: EmptyPrimaryPolicy.INITIALIZE_ANYWAY;
  - or, when no member's data can be saved, create the cluster anew from a backup (docs/backup.md: 'Restore')
`;

// ---------------------------------------------------------------------------------------------

// --- the agent -------------------------------------------------------------------------------

export const UUID_SQL = 'SELECT @@server_uuid;';
export const PRIMARY_STATE = 'SELECT (SELECT COUNT(*) FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = \'\'), @@GLOBAL.super_read_only;';
export const REPLICA_STATE = 'SELECT @@GLOBAL.super_read_only, IFNULL((SELECT HOST FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = \'\'), \'-\'), IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = \'\'), \'-\'), IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_applier_status WHERE CHANNEL_NAME = \'\'), \'-\');';
/** This member's transactions, as its server holds them (two UUIDs: a newline between them), and on one line. */
export const MINE = gtidSet(`${UUID_A}:1-100`, `${UUID_B}:1-5`);
export const MINE_SET = `${UUID_A}:1-100,${UUID_B}:1-5`;
export const OPEN = 'agent.sh: mysql-0: primary: no other member is ahead or writable; open for writes\n';

export const uuidRules = new WeakMap<PodSandbox, () => void>();
/** The server_uuid the running mysqld answers (a new one after each start of mysqld). */
export function startedAs(s: PodSandbox, uuid: string): void {
  uuidRules.get(s)?.();
  uuidRules.set(s, s.sql('local', exact(UUID_SQL), { out: `${uuid}\n` }));
}

/**
 * The running mysqld of member `podName` (read-only, as configured), with the agent's own
 * questions answered: its server_uuid; as the primary, whether it has a channel and its
 * super_read_only as it is now; its GTID set; its accounts.
 */
export function running(
  props: ReplicatedMySqlProps, podName: string, options: PodOptions & { facts?: string; answers?: (s: PodSandbox) => void } = {},
): PodSandbox {
  const s = pod(props, podName, options);
  s.serving();
  // A test's own answers first: rules apply in the order written.
  options.answers?.(s);
  startedAs(s, UUID_NOW);
  s.sql('local', exact(PRIMARY_STATE), { out: '0\t{{super_read_only}}\n' });
  s.sql('local', exact(GTIDS), gtids(MINE));
  s.sql('local', exact(FACTS), { out: options.facts ?? FRESH_FACTS + REPL_FACTS });
  return s;
}

/** The agent's report (what the readiness probe reads). */
export const state = (verdict: string) => `${verdict.startsWith('ready') ? 'ready' : 'not-ready'} ${UUID_NOW} ${verdict.replace(/^(ready|not-ready) /, '')}\n`;
