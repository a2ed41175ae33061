/**
 * The pod scripts of ReplicatedMySql (init-config.sh, bootstrap.sh, agent.sh, probe.sh) run for
 * real under bash, with stand-ins for mysql, mysqld, mysqladmin and the API server (harness.ts).
 * The expected logs are written from what the scripts must send (MySQL 8.4/9.7 syntax, the API
 * server's paths and merge patches) and from the README, not copied from a run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'cdk8s';
import {
  EmptyPrimaryPolicy, MySqlCredentials, MySqlReplication, MySqlTls, ReplicatedMySqlProps,
} from '../../src';
import { SCRIPT_FILES } from '../../src/mysql/scripts';
import {
  AgentRun, claimPath, exact, gtidSet, MEMBERS_PATH, PodOptions, PodSandbox, podPath, PRIMARY_ANNOTATION,
  REPLICATION_PASSWORD, ROOT_PASSWORD, STATEFULSET_PATH, TOKEN,
} from './harness';

const host = (ordinal: number) => `mysql-${ordinal}.mysql.mysql.svc.cluster.local`;
const UUID_A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const UUID_B = '8a94f357-aab4-11df-86ab-c80aa9429562';
/** The server_uuid of the running mysqld (a new one at every start, run-mysqld.sh). */
const UUID_NOW = 'b7d1c3a2-5e4f-11f0-8c1d-0242ac120007';

// --- what the stand-ins record ---------------------------------------------------------------

const DATA_ROOT = '$ROOT/var/lib/mysql';
const BOOT = `${DATA_ROOT}/.bootstrap`;
const SOCK = `${BOOT}/mysqld.sock`;
const RUN_SOCK = '$ROOT/var/run/mysqld/mysqld.sock';
const CNF = '$ROOT/etc/mysql/conf.d/mysqld.cnf';
const CA = '$ROOT/etc/mysql/tls/ca.crt';
/** Every temporary mysqld: no network, no replication, the real server's buffer pool dump left alone. */
const TEMP = `--socket=${SOCK} --pid-file=${SOCK}.pid --skip-networking --mysqlx=OFF --skip-replica-start --persisted-globals-load=OFF --innodb-buffer-pool-dump-at-shutdown=OFF --innodb-buffer-pool-load-at-startup=OFF`;

/** The session every script connection uses (lib.sh client_cnf): backslashes are escapes, whatever the server's sql_mode. */
const SESSION = 'init-command="SET SESSION sql_mode = \'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION\'"';
/** The [client] option file, as the script wrote it (the stand-in shows its lines). */
const cnf = (user: string, password: string, session = true) => `--defaults-file={user="${user}" password="${password}"${session ? ` ${SESSION}` : ''}}`;
/** SQL as root on the temporary server (the password as the option file spells it). */
const local = (sql: string, password = ROOT_PASSWORD) => `-- mysql ${cnf('root', password)} --socket=${SOCK} --batch --skip-column-names\n${sql}\n`;
/** SQL as root of a new data directory, or of the clone recipient (no password). */
const noPassword = (sql: string) => `-- mysql ${cnf('root', '')} --socket=${SOCK}\n${sql}\n`;
/** SQL of the agent (or the readiness probe) on the running mysqld. */
const onServer = (sql: string, password = ROOT_PASSWORD) => `-- mysql ${cnf('root', password)} --socket=${RUN_SOCK} --batch --skip-column-names --connect-timeout=3\n${sql}\n`;
/** The accounts the agent creates on the running mysqld (apply_accounts: no connect timeout). */
const accountsOnServer = (sql: string) => `-- mysql ${cnf('root', ROOT_PASSWORD)} --socket=${RUN_SOCK} --batch --skip-column-names\n${sql}\n`;
/** SQL on a peer as the replication user, over TLS. */
const onPeer = (ordinal: number, sql: string, options: { password?: string; verify?: boolean } = {}) =>
  `-- mysql ${cnf('repl', options.password ?? REPLICATION_PASSWORD)} --host=${host(ordinal)} --port=3306 ${options.verify ? `--ssl-mode=VERIFY_IDENTITY --ssl-ca=${CA}` : '--ssl-mode=REQUIRED'} --connect-timeout=3 --batch --skip-column-names\n${sql}\n`;
const mysqld = (args: string) => `-- mysqld ${args}\n`;
const temp = (args: string) => `-- mysqld ${args} ${TEMP}\n`;
const stopped = (datadir: string) => `-- mysqld stopped (datadir ${datadir})\n`;

const API = 'https://10.96.0.1:443';
const get = (apiPath: string, api = API) => `-- curl GET ${api}${apiPath}\nheader@file: Authorization: Bearer ${TOKEN}\n`;
const patch = (apiPath: string, body: string) =>
  `-- curl PATCH ${API}${apiPath}\nheader: Content-Type: application/merge-patch+json\nheader@file: Authorization: Bearer ${TOKEN}\n${body}\n`;
const GET_STS = get(STATEFULSET_PATH);
const GET_MEMBERS = get(MEMBERS_PATH);
const record = (pod: string) => GET_MEMBERS + patch(MEMBERS_PATH, `{"data":{"${pod}":"holds-data"}}`);

/** The log split into its entries (each starts with "-- "). */
const entries = (log: string) => log.split(/^(?=-- )/m).filter(Boolean);

// --- the SQL -------------------------------------------------------------------------------

/** A GTID set in SQL, on one line (lib.sh): mysql --batch prints the newlines between its UUIDs as "\n". */
const GTID_EXECUTED = 'REPLACE(@@GLOBAL.gtid_executed, \'\\n\', \'\')';
const GTID_RECEIVED = 'IFNULL((SELECT REPLACE(RECEIVED_TRANSACTION_SET, \'\\n\', \'\') FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = \'\'), \'\')';
const GTIDS = `SELECT ${GTID_EXECUTED};`;
/** What a member tells its peers: read_only|super_read_only|executed|received. */
const MEMBER_STATE = `SELECT CONCAT_WS('|', @@GLOBAL.read_only, @@GLOBAL.super_read_only, ${GTID_EXECUTED}, ${GTID_RECEIVED});`;
/** This member's executed and received transactions, on one line. */
const MINE_SQL = `SELECT TRIM(BOTH ',' FROM CONCAT(${GTID_EXECUTED}, ',', ${GTID_RECEIVED}));`;
const CHANNEL = 'SELECT HOST FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = \'\';';
const RESET_PERSIST = 'RESET PERSIST IF EXISTS read_only; RESET PERSIST IF EXISTS super_read_only;';
/** What a replica asks its source: its server_uuid (a restart changes it) and its GTID set, on one line. */
const SOURCE_SQL = `SELECT CONCAT(@@server_uuid, '|', ${GTID_EXECUTED});`;
/** A replica asks its source again about the transactions it found errant. */
const reconfirm = (errant: string) => `SELECT REPLACE(GTID_SUBTRACT('${errant}', @@GLOBAL.gtid_executed), '\\n', '');`;
const subtract = (a: string, b: string) => `SELECT REPLACE(GTID_SUBTRACT('${a}', '${b}'), '\\n', '');`;
/** A server's answer holding a GTID set as the server holds it (the stand-in prints it as mysql --batch does). */
const gtids = (set: string) => ({ rows: [{ set }] });
/** A peer's MEMBER_STATE row (its sets already on one line: the SQL REPLACEs their newlines). */
const memberState = (readOnly: number, superReadOnly: number, executed: string, received = '') =>
  ({ out: `${readOnly}|${superReadOnly}|${executed}|${received}\n` });

const FACTS = `SELECT CONCAT('user:', user, '@', host) FROM mysql.user;
SELECT CONCAT('schema:', schema_name) FROM information_schema.schemata;
SELECT CONCAT('grant:', GRANTEE, ':', TABLE_SCHEMA, '.', TABLE_NAME, ':', PRIVILEGE_TYPE) FROM information_schema.TABLE_PRIVILEGES
  WHERE TABLE_SCHEMA = 'performance_schema';
SELECT CONCAT('grant:', GRANTEE, ':', TABLE_SCHEMA, '.*:', PRIVILEGE_TYPE) FROM information_schema.SCHEMA_PRIVILEGES
  WHERE TABLE_SCHEMA = 'performance_schema';
SELECT CONCAT('grant:', GRANTEE, ':*.*:', PRIVILEGE_TYPE) FROM information_schema.USER_PRIVILEGES;`;
/** What a new data directory holds: the system accounts and schemas, their grants (GRANTEE as information_schema spells it). */
const FRESH_FACTS = `user:mysql.infoschema@localhost
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
const REPL_FACTS = `user:repl@%\ngrant:'repl'@'%':performance_schema.replication_connection_status:SELECT\ngrant:'repl'@'%':*.*:REPLICATION SLAVE\n`;
const APP_FACTS = 'user:shop@%\nschema:shop\n';
const EXPORTER_FACTS = 'user:exporter@%\ngrant:\'exporter\'@\'%\':*.*:PROCESS\ngrant:\'exporter\'@\'%\':*.*:REPLICATION CLIENT\ngrant:\'exporter\'@\'%\':performance_schema.*:SELECT\n';
const ALL_FACTS = FRESH_FACTS + REPL_FACTS + APP_FACTS + EXPORTER_FACTS;

const replAccount = (quoted = `'${REPLICATION_PASSWORD}'`) => `CREATE USER 'repl'@'%' IDENTIFIED BY ${quoted} REQUIRE SSL;
GRANT REPLICATION SLAVE, BACKUP_ADMIN ON *.* TO 'repl'@'%';
GRANT SELECT ON performance_schema.replication_connection_status TO 'repl'@'%';`;
const DATABASE = 'CREATE DATABASE `shop`;';
const appAccount = (quoted = '\'app-pw\'') => `CREATE USER 'shop'@'%' IDENTIFIED BY ${quoted};
GRANT ALL PRIVILEGES ON \`shop\`.* TO 'shop'@'%';`;
/** The metrics account: least privilege (no SELECT on *.*), over TLS, few connections. */
const EXPORTER_GRANTS = `GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'exporter'@'%';
GRANT SELECT ON performance_schema.* TO 'exporter'@'%';`;
const exporterAccount = (quoted = '\'exp-pw\'') => `CREATE USER 'exporter'@'%' IDENTIFIED BY ${quoted} REQUIRE SSL WITH MAX_USER_CONNECTIONS 3;\n${EXPORTER_GRANTS}`;
const ALL_ACCOUNTS = `${replAccount()}\n${DATABASE}\n${appAccount()}\n${exporterAccount()}`;
/** How the scripts log those statements: their first words, never a password. */
const ALL_ACCOUNTS_LOGGED = 'CREATE USER \'repl\'@\'%\';GRANT REPLICATION SLAVE, BACKUP_ADMIN;GRANT SELECT;CREATE DATABASE `shop`;CREATE USER \'shop\'@\'%\';GRANT ALL PRIVILEGES;CREATE USER \'exporter\'@\'%\';GRANT PROCESS, REPLICATION CLIENT;GRANT SELECT;';

/** The channel to the primary: with a host when it is (re)pointed, credentials and TLS only otherwise. */
const changeSource = (primary?: number, options: { quoted?: string; verify?: boolean } = {}) =>
  `CHANGE REPLICATION SOURCE TO ${primary === undefined ? '' : `SOURCE_HOST = '${host(primary)}', SOURCE_PORT = 3306, SOURCE_AUTO_POSITION = 1,`}
  SOURCE_USER = 'repl',
  SOURCE_PASSWORD = ${options.quoted ?? `'${REPLICATION_PASSWORD}'`},
  SOURCE_SSL = 1, ${options.verify ? `SOURCE_SSL_CA = '${CA}', SOURCE_SSL_VERIFY_SERVER_CERT = 1` : 'SOURCE_SSL_CA = \'\', SOURCE_SSL_VERIFY_SERVER_CERT = 0'},
  SOURCE_CONNECT_RETRY = 10,
  SOURCE_RETRY_COUNT = 0,
  SOURCE_HEARTBEAT_PERIOD = 5;`;

// --- the steps -------------------------------------------------------------------------------

const INIT_SQL = 'CREATE TABLE shop.t (id INT PRIMARY KEY);';
const INITIALIZE = mysqld(`--defaults-file=${CNF} --datadir=${BOOT}/data --initialize-insecure`);
/** The only writable server the scripts ever start: a new data directory nobody can reach. */
const INIT_SERVER = temp(`--defaults-file=${CNF} --datadir=${BOOT}/data --read-only=OFF --super-read-only=OFF`);
function initSteps(statements: string, options: { initSql?: string; rootQuoted?: string; rootOption?: string; facts?: string } = {}): string {
  const password = options.rootOption ?? ROOT_PASSWORD;
  return INITIALIZE + INIT_SERVER
    + noPassword(`ALTER USER 'root'@'localhost' IDENTIFIED BY ${options.rootQuoted ?? `'${ROOT_PASSWORD}'`};`)
    + local(FACTS, password)
    + local(statements, password)
    // The user's SQL runs under the server's own sql_mode: no init-command.
    + (options.initSql ? `-- mysql ${cnf('root', password, false)} --socket=${SOCK}\n${options.initSql}\n` : '')
    + stopped(`${BOOT}/data`);
}

const RECIPIENT = `${BOOT}/recipient`;
const RECIPIENT_UP = mysqld(`--no-defaults --datadir=${RECIPIENT} --initialize-insecure --innodb-buffer-pool-size=32M --innodb-redo-log-capacity=8M`)
  + temp(`--no-defaults --datadir=${RECIPIENT} --tmpdir=${DATA_ROOT}/tmp --secure-file-priv=${DATA_ROOT}/files --plugin-load-add=mysql_clone.so --innodb-buffer-pool-size=32M --skip-log-bin`);
const RECIPIENT_DOWN = stopped(RECIPIENT);
const askDonor = (ordinal: number, options?: { password?: string; verify?: boolean }) => onPeer(ordinal, 'SELECT 1;', options);
const cloneFrom = (ordinal: number, options: { quoted?: string; verify?: boolean } = {}) => noPassword(`${options.verify ? `SET GLOBAL clone_ssl_ca = '${CA}';` : ''}
SET GLOBAL clone_valid_donor_list = '${host(ordinal)}:3306';
CLONE INSTANCE FROM 'repl'@'${host(ordinal)}':3306 IDENTIFIED BY ${options.quoted ?? `'${REPLICATION_PASSWORD}'`}
  DATA DIRECTORY = '${BOOT}/clone' REQUIRE SSL;`);
/** The clone, started without network or replication, pointed at the primary. */
const pointClone = (primary: number, options?: { quoted?: string; verify?: boolean }) => temp(`--defaults-file=${CNF} --datadir=${BOOT}/clone`)
  + local('RESET REPLICA ALL;') + local(changeSource(primary, options)) + stopped(`${BOOT}/clone`);

/** A member with data: a temporary mysqld on it, read-only as configured, persisted read-only settings reset. */
const RECONCILE_UP = temp(`--defaults-file=${CNF}`) + local(RESET_PERSIST);
const RECONCILE_DOWN = stopped(`${DATA_ROOT}/data`);

// --- the pods --------------------------------------------------------------------------------

let sandboxes: PodSandbox[] = [];
function pod(props: ReplicatedMySqlProps, podName: string, options?: PodOptions): PodSandbox {
  const s = new PodSandbox(props, podName, options);
  sandboxes.push(s);
  return s;
}
afterEach(async () => {
  for (const s of sandboxes) await s.dispose();
  sandboxes = [];
});

const FULL: ReplicatedMySqlProps = { replicas: 3, database: { name: 'shop', user: 'shop' }, metrics: {}, initSql: INIT_SQL };
const NEW_CLUSTER = 'mysql-0: no other member holds data: this is a new cluster';

/** The README's refusal of an empty primary, after its first line. */
const REFUSAL_TAIL = (pod = 'mysql-0') => `Initializing an empty primary now would fork the cluster: clients would write into an empty
database while the other members hold the data. Nothing was changed. To recover:
  - promote the most advanced member (docs/mysql.md: 'Failover'): set primaryOrdinal to it and apply;
    this member then clones from it as a replica;
  - or restore this member's volume from a copy you keep (it is checked against the other members
    before it takes writes, docs/mysql.md: 'Safety: who may take writes');
  - or, to discard the other members' data and start a NEW, EMPTY cluster on purpose, delete their
    PersistentVolumeClaims (kubectl -n mysql get pvc -l app.kubernetes.io/instance=mysql lists
    them; delete every one but data-${pod}), or set emptyPrimary: EmptyPrimaryPolicy.INITIALIZE_ANYWAY
`;

// ---------------------------------------------------------------------------------------------

describe('init-config.sh', () => {
  const expected = (s: PodSandbox, ordinal: number, serverId: number, ip: string) =>
    `${s.read('etc/cdk8s-mysql/common.cnf')}\n# Written by init-config.sh for mysql-${ordinal}.
[mysqld]
server_id = ${serverId}
report_host = ${host(ordinal)}
report_port = 3306
bind_address = ${ip}
`;

  test.each([0, 1, 2])('ordinal %d: the shared configuration (read-only, no replication), server_id 100 + ordinal, its DNS name, its pod IP', (ordinal) => {
    const s = pod({ replicas: 3 }, `mysql-${ordinal}`);
    const r = s.initConfig();
    expect(r.status).toBe(0);
    expect(r.log).toBe('');
    const written = s.read('etc/mysql/conf.d/mysqld.cnf');
    expect(written).toBe(expected(s, ordinal, 100 + ordinal, `10.244.0.${10 + ordinal}`));
    // Every member, the primary included, starts read-only and without replication (docs/mysql.md: Safety, rule 1).
    expect(written).toMatch(/^read_only = ON$/m);
    expect(written).toMatch(/^super_read_only = ON$/m);
    expect(written).toMatch(/^skip_replica_start = ON$/m);
    expect(r.stderr).toBe(`init-config.sh: mysql-${ordinal}: server_id ${100 + ordinal}, report_host ${host(ordinal)}\n`);
  });

  test('serverIdBase, and an IPv6 pod address as bind_address; the primary gets the same configuration', () => {
    const s = pod({ replicas: 3, serverIdBase: 2000, primaryOrdinal: 2 }, 'mysql-2', { podIP: 'fd00:10:244::7' });
    expect(s.initConfig().status).toBe(0);
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toBe(expected(s, 2, 2002, 'fd00:10:244::7'));
  });

  test('startOrdinal: server_id counts from the ordinal in the pod name', () => {
    const s = pod({ replicas: 2, startOrdinal: 3 }, 'mysql-4');
    expect(s.initConfig().status).toBe(0);
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toBe(expected(s, 4, 104, '10.244.0.14'));
  });

  test('a group member: its address and the seeds by DNS name, an election weight that grows with the ordinal', () => {
    const s = pod({ replicas: 3, startOrdinal: 2, replication: MySqlReplication.groupReplication() }, 'mysql-3');
    expect(s.initConfig().status).toBe(0);
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toBe(`${expected(s, 3, 103, '10.244.0.13')}loose_group_replication_local_address = ${host(3)}:3306
loose_group_replication_group_seeds = ${host(2)}:3306,${host(3)}:3306,${host(4)}:3306
loose_group_replication_member_weight = 51
`);
  });

  test('a restart writes the same file again (idempotent), and nothing else', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    expect(s.initConfig().status).toBe(0);
    const first = s.read('etc/mysql/conf.d/mysqld.cnf');
    expect(s.initConfig().status).toBe(0);
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toBe(first);
    expect(s.list('etc/mysql/conf.d')).toEqual(['mysqld.cnf']);
  });

  test('a pod name without an ordinal, or no pod IP, is refused and nothing is written', () => {
    const s = pod({ replicas: 3 }, 'mysql');
    const r = s.initConfig();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR: cannot read an ordinal from pod name \'mysql\'');
    const t = pod({ replicas: 3 }, 'mysql-0');
    const u = t.initConfig({ POD_IP: '' });
    expect(u.status).toBe(1);
    expect(u.stderr).toContain('POD_IP is not set');
    expect(t.exists('etc/mysql/conf.d/mysqld.cnf')).toBe(false);
  });
});

describe('bootstrap.sh: a new primary', () => {
  test('no other member holds data: initializes (root, accounts with least-privilege exporter grants, database, initSql), renames into place, records its evidence', () => {
    const s = pod(FULL, 'mysql-0');
    s.sql('local', exact(FACTS), { out: FRESH_FACTS });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    // The evidence is read twice (EVIDENCE_SETTLE apart), then the entry is recorded by a merge patch.
    expect(r.log).toBe(GET_STS + GET_MEMBERS + GET_MEMBERS + initSteps(ALL_ACCOUNTS, { initSql: INIT_SQL }) + record('mysql-0'));
    expect(s.list('var/lib/mysql')).toEqual(['data', 'files', 'tmp']);
    expect(s.exists('var/lib/mysql/data/mysql.ibd')).toBe(true);
    expect(s.evidence()).toEqual({ 'mysql-0': 'holds-data' });
    expect(r.stderr).toBe(`bootstrap.sh: ${NEW_CLUSTER}
bootstrap.sh: mysql-0: initializing a new data directory
bootstrap.sh: mysql-0: ${ALL_ACCOUNTS_LOGGED}
bootstrap.sh: mysql-0: running initSql
bootstrap.sh: mysql-0: initialized a new cluster; ${host(0)} is its primary
bootstrap.sh: mysql-0: recorded in ConfigMap mysql-members that this member holds data
`);
    // The exporter never gets SELECT on *.* (application data, password hashes).
    expect(r.log).not.toMatch(/GRANT [^;]*SELECT[^;]* ON \*\.\* TO 'exporter'/);
  });

  test('read-only is off only on the temporary server of the new directory; the configuration mysqld runs with stays read-only', () => {
    const s = pod({ replicas: 1 }, 'mysql-0');
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    const servers = entries(r.log).filter((e) => e.startsWith('-- mysqld ') && !e.includes('--initialize') && !e.includes('stopped'));
    expect(servers).toEqual([INIT_SERVER]);
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toMatch(/^super_read_only = ON$/m);
  });

  test('a single instance without database, metrics or initSql: root and the replication account only', () => {
    const s = pod({ replicas: 1 }, 'mysql-0');
    s.sql('local', exact(FACTS), { out: FRESH_FACTS });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + GET_MEMBERS + GET_MEMBERS + initSteps(replAccount()) + record('mysql-0'));
    expect(r.stderr).toContain('\nbootstrap.sh: mysql-0: CREATE USER \'repl\'@\'%\';GRANT REPLICATION SLAVE, BACKUP_ADMIN;GRANT SELECT;\n');
  });

  test('another member holds data (an evidence entry whose claim exists): refuses, names it and the ways out, changes nothing', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.setEvidence({ 'mysql-2': 'holds-data', 'mysql-1': 'holds-data' });
    s.setClaim(1, true);
    s.setClaim(2, true);
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + GET_MEMBERS + get(claimPath(1)) + get(claimPath(2)));
    expect(r.stderr).toBe(`bootstrap.sh: ERROR: the primary's data directory (${DATA_ROOT}/data) is empty, but other members hold data (ConfigMap mysql-members records it for ordinals 1 2, and their claims exist).\n${REFUSAL_TAIL()}`);
    expect(s.list('var/lib/mysql')).toEqual(['files', 'tmp']);
    expect(s.evidence()).toEqual({ 'mysql-2': 'holds-data', 'mysql-1': 'holds-data' });
  });

  test('an entry whose claim is gone does not count (its data went with the claim): initializes', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.setEvidence({ 'mysql-1': 'holds-data' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(entries(r.log).slice(0, 5)).toEqual(entries(GET_STS + GET_MEMBERS + get(claimPath(1)) + GET_MEMBERS + get(claimPath(1))));
    expect(r.stderr).toContain('bootstrap.sh: member 1 has an evidence entry, but its claim data-mysql-1 no longer exists: its data is gone\n');
    expect(r.stderr).toContain(NEW_CLUSTER);
    expect(s.evidence()).toEqual({ 'mysql-1': 'holds-data', 'mysql-0': 'holds-data' });
  });

  test('its own entry only (its volume was replaced): a new cluster; the entry is kept, not patched again', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.setEvidence({ 'mysql-0': 'holds-data' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(NEW_CLUSTER);
    expect(entries(r.log).slice(-1)).toEqual([GET_MEMBERS]);
  });

  test('a member that records its data while the primary waits (EVIDENCE_SETTLE) is seen at the second look', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.setClaim(1, true);
    // The first read finds no entry; by the second, mysql-1 has recorded its own.
    const withEntry = { ...s.apiObject(MEMBERS_PATH), data: { 'mysql-1': 'holds-data' } };
    s.api('GET', MEMBERS_PATH, { out: JSON.stringify(s.apiObject(MEMBERS_PATH)), times: 1 });
    s.api('GET', MEMBERS_PATH, { out: JSON.stringify(withEntry) });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + GET_MEMBERS + GET_MEMBERS + get(claimPath(1)));
    expect(r.stderr).toContain('but other members hold data (ConfigMap mysql-members records it for ordinals 1, and their claims exist)');
  });

  test('an entry of a member beyond the declared replicas (scaled in, its claim kept) counts too: its data still exists', () => {
    const s = pod({ replicas: 2 }, 'mysql-0');
    s.setEvidence({ 'mysql-4': 'holds-data' });
    s.setClaim(4, true);
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + GET_MEMBERS + get(claimPath(4)));
    expect(r.stderr).toContain('but other members hold data (ConfigMap mysql-members records it for ordinals 4, and their claims exist)');
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('the ConfigMap mysql-members does not exist (HTTP 404): fails closed, says to apply it', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.setEvidence(undefined);
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + GET_MEMBERS);
    expect(r.stderr).toBe(`bootstrap.sh: the ConfigMap mysql-members does not exist: it is part of the manifests (apply them all); without it no member can tell whether the cluster holds data
bootstrap.sh: ERROR: cannot ask the API server which members hold data; nothing was changed, the pod restarts and retries
`);
  });

  test('emptyPrimary REFUSE: refuses without reading the evidence', () => {
    const s = pod({ replicas: 3, emptyPrimary: EmptyPrimaryPolicy.REFUSE }, 'mysql-0');
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS);
    expect(r.stderr).toBe(`bootstrap.sh: ERROR: the primary's data directory (${DATA_ROOT}/data) is empty, but emptyPrimary is EmptyPrimaryPolicy.REFUSE.\n${REFUSAL_TAIL()}`);
    expect(s.list('var/lib/mysql')).toEqual(['files', 'tmp']);
  });

  test('emptyPrimary INITIALIZE_ANYWAY: initializes with a warning although others hold data, and records its evidence', () => {
    const s = pod({ replicas: 3, emptyPrimary: EmptyPrimaryPolicy.INITIALIZE_ANYWAY }, 'mysql-0');
    s.setEvidence({ 'mysql-1': 'holds-data' });
    s.setClaim(1, true);
    s.sql('local', exact(FACTS), { out: FRESH_FACTS });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + initSteps(replAccount()) + record('mysql-0'));
    expect(r.stderr).toContain('mysql-0: WARNING: emptyPrimary is INITIALIZE_ANYWAY: initializing without checking for other members\' data');
    expect(s.evidence()).toEqual({ 'mysql-1': 'holds-data', 'mysql-0': 'holds-data' });
  });

  test('an unknown EMPTY_PRIMARY is refused before anything is created', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    const r = s.bootstrap({ EMPTY_PRIMARY: 'sometimes' });
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS);
    expect(r.stderr).toContain('ERROR: EMPTY_PRIMARY must be when-new, refuse or always (is \'sometimes\')');
  });

  test('reading the existing accounts fails: dies before creating any, the directory is discarded', () => {
    const s = pod(FULL, 'mysql-0');
    const err = 'ERROR 1142 (42000) at line 1: SELECT command denied to user \'root\'@\'localhost\' for table \'user\'';
    s.sql('local', exact(FACTS), { exit: 1, err });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + GET_MEMBERS + GET_MEMBERS + INITIALIZE + INIT_SERVER
      + noPassword(`ALTER USER 'root'@'localhost' IDENTIFIED BY '${ROOT_PASSWORD}';`) + local(FACTS) + stopped(`${BOOT}/data`));
    expect(r.stderr).toContain(`\n${err}\nbootstrap.sh: ERROR: could not read the existing accounts and databases\n`);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
    expect(s.evidence()).toBeUndefined();
  });

  test('creating the accounts fails: the error, the server stopped, no data directory', () => {
    const s = pod({ replicas: 1 }, 'mysql-0');
    s.sql('local', 'CREATE USER', { exit: 1, err: 'ERROR 1396 (HY000) at line 1: Operation CREATE USER failed for \'repl\'@\'%\'' });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR 1396 (HY000) at line 1: Operation CREATE USER failed for \'repl\'@\'%\'\nbootstrap.sh: ERROR: could not create the accounts and database\n');
    expect(entries(r.log).slice(-1)).toEqual([stopped(`${BOOT}/data`)]);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('mysqld --initialize-insecure fails: its log, an error, no data directory', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.mysqld('--initialize-insecure', { exit: 1, err: '[ERROR] [MY-010338] [Server] Can\'t find error-message file' });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + GET_MEMBERS + GET_MEMBERS + INITIALIZE);
    expect(r.stderr).toContain('[ERROR] [MY-010338] [Server] Can\'t find error-message file\nbootstrap.sh: ERROR: mysqld --initialize-insecure failed\n');
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('the temporary mysqld exits before it is ready: its log and the options it was given', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.mysqld('--skip-replica-start', { exit: 1, err: '[ERROR] [MY-012574] [InnoDB] Unable to lock ./ibdata1 error: 11' });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERROR] [MY-012574] [InnoDB] Unable to lock ./ibdata1 error: 11\n');
    expect(r.stderr).toContain(`ERROR: temporary mysqld (--defaults-file=${CNF} --datadir=${BOOT}/data --read-only=OFF --super-read-only=OFF) exited before it was ready`);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('the temporary mysqld never answers: gives up after MYSQLD_START_TIMEOUT and stops it', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.mysqld('--skip-replica-start', { hang: true });
    // (Long enough for the stand-in to be serving its signals: the stop is what is checked.)
    const r = s.bootstrap({ MYSQLD_START_TIMEOUT: '2' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR: temporary mysqld did not start within 2s');
    expect(r.log).toBe(GET_STS + GET_MEMBERS + GET_MEMBERS + INITIALIZE + INIT_SERVER + stopped(`${BOOT}/data`));
  });

  test('initSql fails: the directory is discarded, the server stopped; the next start initializes from scratch', () => {
    const s = pod(FULL, 'mysql-0');
    s.sql('local', 'CREATE TABLE shop.t', { exit: 1, err: 'ERROR 1050 (42S01) at line 1: Table \'t\' already exists', times: 1 });
    s.sql('local', exact(FACTS), { out: FRESH_FACTS });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR 1050 (42S01) at line 1: Table \'t\' already exists\nbootstrap.sh: ERROR: initSql failed (the data directory is discarded; fix initSql and the pod retries)\n');
    expect(entries(r.log).slice(-1)).toEqual([stopped(`${BOOT}/data`)]);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
    expect(s.evidence()).toBeUndefined();

    const again = s.bootstrap();
    expect(again.status).toBe(0);
    expect(again.log).toBe(GET_STS + GET_MEMBERS + GET_MEMBERS + initSteps(ALL_ACCOUNTS, { initSql: INIT_SQL }) + record('mysql-0'));
  });

  test('an interrupted initialization (container killed): its scratch directory and temporary files are discarded', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/data'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/data/ibdata1'), 'half');
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/mysqld.sock'), 'datadir=/gone\npid=\n');
    fs.mkdirSync(s.path('var/lib/mysql/tmp/#sql-1'), { recursive: true });
    s.sql('local', exact(FACTS), { out: FRESH_FACTS });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + GET_MEMBERS + GET_MEMBERS + initSteps(replAccount()) + record('mysql-0'));
    expect(s.list('var/lib/mysql/data')).toEqual(['.fake-root-password', 'mysql.ibd']);
    expect(s.list('var/lib/mysql/tmp')).toEqual([]);
    expect(s.list('var/lib/mysql')).toEqual(['data', 'files', 'tmp']);
  });

  test('the tmp and files directories on the volume are 0750 (mysqld only), whatever they were', () => {
    const s = pod({ replicas: 1 }, 'mysql-0');
    for (const dir of ['tmp', 'files']) {
      fs.mkdirSync(s.path(`var/lib/mysql/${dir}`));
      fs.chmodSync(s.path(`var/lib/mysql/${dir}`), 0o777);
    }
    expect(s.bootstrap().status).toBe(0);
    const mode = (dir: string) => (fs.statSync(s.path(`var/lib/mysql/${dir}`)).mode & 0o7777).toString(8);
    expect([mode('tmp'), mode('files')]).toEqual(['750', '750']);
  });

  test('a data directory with foreign files is refused, nothing started', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    fs.mkdirSync(s.path('var/lib/mysql/data'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/data/backup.tar'), 'x');
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS);
    expect(r.stderr).toContain(`ERROR: ${DATA_ROOT}/data is not empty but holds no MySQL data directory (no mysql.ibd); move it aside and restart the pod`);
    expect(s.list('var/lib/mysql/data')).toEqual(['backup.tar']);
  });
});

describe('bootstrap.sh: the API server fails closed', () => {
  const NO_PRIMARY = 'bootstrap.sh: ERROR: cannot learn from the API server which member the StatefulSet names the primary; nothing was changed, the pod restarts and retries\n';
  const NO_EVIDENCE = 'bootstrap.sh: ERROR: cannot ask the API server which members hold data; nothing was changed, the pod restarts and retries\n';
  const ROLE = 'The Role and RoleBinding \'mysql-member\' (emitted by ReplicatedMySql) must exist for service account \'mysql\'';

  test('the token is rejected (HTTP 401): names the token, changes nothing', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    fs.writeFileSync(s.path('var/run/secrets/kubernetes.io/serviceaccount/token'), 'eyJhbGciOiJSUzI1NiJ9.expired');
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(`-- curl GET ${API}${STATEFULSET_PATH}\nheader@file: Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.expired\n`);
    expect(r.stderr).toBe(`bootstrap.sh: the API server rejected the pod's service account token (HTTP 401)\n${NO_PRIMARY}`);
    // (The primary is learned first: not even the volume's directories are made.)
    expect(s.list('var/lib/mysql')).toEqual([]);
  });

  test.each([
    ['the StatefulSet', STATEFULSET_PATH, NO_PRIMARY, GET_STS],
    ['the ConfigMap mysql-members', MEMBERS_PATH, NO_EVIDENCE, GET_STS + GET_MEMBERS],
  ])('reading %s is forbidden (HTTP 403, RBAC): names the Role and the service account, changes nothing', (_what, apiPath, error, log) => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.revoke('GET', apiPath);
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(log);
    expect(r.stderr).toMatch(/^bootstrap\.sh: the API server refused: .*\. The Role/);
    expect(r.stderr).toContain(`${ROLE}\n${error}`);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
    expect(s.exists('var/lib/mysql/.bootstrap')).toBe(false);
  });

  test('reading a member\'s claim is forbidden: fails closed', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.setEvidence({ 'mysql-1': 'holds-data' });
    s.revoke('GET', claimPath(1));
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + GET_MEMBERS + get(claimPath(1)));
    expect(r.stderr).toContain(`${ROLE}\n${NO_EVIDENCE}`);
  });

  test('the API server fails (HTTP 500): the status and the start of its body, changes nothing', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    const body = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcdserver: request timed out ${'x'.repeat(400)}","code":500}`;
    s.api('GET', MEMBERS_PATH, { status: 500, out: body });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`bootstrap.sh: the API server answered HTTP 500: ${body.slice(0, 300)}\n${NO_EVIDENCE}`);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test.each([
    ['unreachable', 7, 'curl: (7) Failed to connect to 10.96.0.1 port 443 after 0 ms: Couldn\'t connect to server'],
    ['timing out', 28, 'curl: (28) Operation timed out after 10001 milliseconds with 0 bytes received'],
  ])('the API server %s: fails closed', (_what, exit, err) => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.api('GET', '', { exit, err });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS);
    expect(r.stderr).toMatch(/^bootstrap\.sh: cannot reach the API server at 10\.96\.0\.1: /);
    expect(r.stderr).toContain(NO_PRIMARY);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('no token in the projected volume: fails closed without asking', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    fs.rmSync(s.path('var/run/secrets/kubernetes.io/serviceaccount/token'));
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe('');
    expect(r.stderr).toBe(`bootstrap.sh: no service account token at $ROOT/var/run/secrets/kubernetes.io/serviceaccount: cannot reach the API server\n${NO_PRIMARY}`);
  });

  test('no CA in the projected volume: curl refuses (exit 77), fails closed', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    fs.rmSync(s.path('var/run/secrets/kubernetes.io/serviceaccount/ca.crt'));
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(NO_PRIMARY);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('no KUBERNETES_SERVICE_HOST: fails closed without asking', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    const r = s.bootstrap({ KUBERNETES_SERVICE_HOST: '' });
    expect(r.status).toBe(1);
    expect(r.log).toBe('');
    expect(r.stderr).toBe(`bootstrap.sh: KUBERNETES_SERVICE_HOST is not set: cannot reach the API server\n${NO_PRIMARY}`);
  });

  test('an IPv6 API server address is bracketed in the URL', () => {
    const s = pod({ replicas: 3 }, 'mysql-0', { apiHost: 'fd00:10:96::1' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    const api = 'https://[fd00:10:96::1]:443';
    expect(entries(r.log).slice(0, 3)).toEqual(entries(get(STATEFULSET_PATH, api) + get(MEMBERS_PATH, api) + get(MEMBERS_PATH, api)));
    expect(s.evidence()).toEqual({ 'mysql-0': 'holds-data' });
  });

  test('the StatefulSet has no primary annotation: fails closed, says so', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.setPrimary(undefined);
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS);
    expect(r.stderr).toBe(`bootstrap.sh: the StatefulSet mysql has no annotation ${PRIMARY_ANNOTATION}\n${NO_PRIMARY}`);
  });

  test('recording the evidence is refused: fails after initializing; the next start keeps the data and records it', () => {
    const s = pod({ replicas: 1 }, 'mysql-0');
    s.revoke('PATCH', MEMBERS_PATH);
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(entries(r.log).slice(-2)).toEqual(entries(record('mysql-0')));
    expect(r.stderr).toContain('bootstrap.sh: ERROR: could not record in ConfigMap mysql-members that this member holds data; the pod restarts and retries\n');
    expect(s.exists('var/lib/mysql/data/mysql.ibd')).toBe(true);
    expect(s.evidence()).toBeUndefined();

    s.allow('PATCH', MEMBERS_PATH);
    const again = s.bootstrap();
    expect(again.status).toBe(0);
    expect(again.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + RECONCILE_DOWN + record('mysql-0'));
    expect(s.evidence()).toEqual({ 'mysql-0': 'holds-data' });
  });
});

describe('bootstrap.sh: which member is the primary is what the StatefulSet says now', () => {
  const following = (template: number, now: number, pod = 'mysql-0') =>
    `bootstrap.sh: ${pod}: this pod was created from another revision of the StatefulSet (its template names member ${template} the primary, the StatefulSet now names ${now}): following the StatefulSet\n`;

  test('a pod of an older revision whose template names itself primary follows the annotation: it clones from the new primary instead of initializing', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    expect(s.envFor('bootstrap').PRIMARY_ORDINAL).toBe('0');
    s.setPrimary(1);
    s.sql(host(1), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(1) + cloneFrom(1) + RECIPIENT_DOWN + pointClone(1) + record('mysql-0'));
    expect(r.stderr.startsWith(following(0, 1))).toBe(true);
    expect(r.stderr).not.toContain('initializ');
  });

  test('a pod whose template names another member initializes when the StatefulSet now names it (and no one holds data)', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.setPrimary(1);
    s.sql('local', exact(FACTS), { out: FRESH_FACTS });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + GET_MEMBERS + GET_MEMBERS + initSteps(replAccount()) + record('mysql-1'));
    expect(r.stderr).toContain(following(0, 1, 'mysql-1'));
    expect(r.stderr).toContain('mysql-1: no other member holds data: this is a new cluster');
  });

  test('an older value in kubectl\'s last-applied-configuration (escaped JSON, sorted first) is not taken for the annotation', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    const sts = s.apiObject(STATEFULSET_PATH);
    const applied = JSON.stringify({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { annotations: { [PRIMARY_ANNOTATION]: '0' }, name: 'mysql', namespace: 'mysql' } });
    // The API server writes map keys sorted (Go's encoding/json): last-applied comes first.
    sts.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': `${applied}\n`, [PRIMARY_ANNOTATION]: '2' };
    s.setApiObject(STATEFULSET_PATH, sts);
    expect(JSON.stringify(sts)).toContain(`\\"${PRIMARY_ANNOTATION}\\":\\"0\\"`);
    s.sql(host(2), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(following(0, 2));
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(2)}\n`);
  });
});

// --- the agent -------------------------------------------------------------------------------

const UUID_SQL = 'SELECT @@server_uuid;';
const PRIMARY_STATE = 'SELECT (SELECT COUNT(*) FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = \'\'), @@GLOBAL.super_read_only;';
const REPLICA_STATE = 'SELECT @@GLOBAL.super_read_only, IFNULL((SELECT HOST FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = \'\'), \'-\'), IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = \'\'), \'-\'), IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_applier_status WHERE CHANNEL_NAME = \'\'), \'-\');';
/** This member's transactions, as its server holds them (two UUIDs: a newline between them), and on one line. */
const MINE = gtidSet(`${UUID_A}:1-100`, `${UUID_B}:1-5`);
const MINE_SET = `${UUID_A}:1-100,${UUID_B}:1-5`;
const OPEN = 'agent.sh: mysql-0: primary: no other member is ahead or writable; open for writes\n';

const uuidRules = new WeakMap<PodSandbox, () => void>();
/** The server_uuid the running mysqld answers (a new one after each start of mysqld). */
function startedAs(s: PodSandbox, uuid: string): void {
  uuidRules.get(s)?.();
  uuidRules.set(s, s.sql('local', exact(UUID_SQL), { out: `${uuid}\n` }));
}

/**
 * The running mysqld of member `podName` (read-only, as configured), with the agent's own
 * questions answered: its server_uuid; as the primary, whether it has a channel and its
 * super_read_only as it is now; its GTID set; its accounts.
 */
function running(
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
const state = (verdict: string) => `${verdict.startsWith('ready') ? 'ready' : 'not-ready'} ${UUID_NOW} ${verdict.replace(/^(ready|not-ready) /, '')}\n`;

describe('credentials are read from the files of the credentials volume', () => {
  test('a trailing newline (kubectl create secret --from-file) is not part of the password', () => {
    const s = pod(FULL, 'mysql-0', {
      secrets: { 'root-password': `${ROOT_PASSWORD}\n`, 'replication-password': `${REPLICATION_PASSWORD}\n`, 'password': 'app-pw\n', 'exporter-password': 'exp-pw\n' },
    });
    s.sql('local', exact(FACTS), { out: FRESH_FACTS });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + GET_MEMBERS + GET_MEMBERS + initSteps(ALL_ACCOUNTS, { initSql: INIT_SQL }) + record('mysql-0'));
  });

  test.each([
    ['root-password', 'r00tZq\tpw'],
    ['replication-password', 'replZq\r\n'],
    ['password', 'appZq\npw\n'],
    ['exporter-password', 'expZq\x7fpw'],
  ])('%s with a control character inside: refused with the key\'s name, never its value, before any account is created', (key, value) => {
    const s = pod(FULL, 'mysql-0', { secrets: { [key]: value } });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`bootstrap.sh: ERROR: ${key} in the credentials Secret contains a control character (a newline inside it, a carriage return or a tab), which a MySQL password here cannot hold; write it again without one, e.g. kubectl create secret generic ... --from-literal=${key}='...'\n`);
    expect(r.stderr).not.toContain('Zq');
    expect(r.log).not.toMatch(/CREATE USER|\bGRANT\b|CREATE DATABASE/);
    // Root's password is read before the new directory's server starts: it never runs without one.
    if (key === 'root-password') expect(r.log).not.toContain('--read-only=OFF');
    expect(s.exists('var/lib/mysql/data')).toBe(false);
    expect(s.evidence()).toBeUndefined();
  });

  test('an empty value (or a newline only) is refused with the key\'s name', () => {
    const s = pod(FULL, 'mysql-0', { secrets: { 'exporter-password': '\n' } });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bootstrap.sh: ERROR: exporter-password in the credentials Secret is empty\n');
    expect(r.log).not.toMatch(/CREATE USER|\bGRANT\b/);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test.each([
    ['replication-password', 'repl\npw', FRESH_FACTS + APP_FACTS + EXPORTER_FACTS],
    ['password', 'app\rpw', FRESH_FACTS + REPL_FACTS + 'schema:shop\n' + EXPORTER_FACTS],
    ['exporter-password', 'exp\tpw', FRESH_FACTS + REPL_FACTS + APP_FACTS],
  ])('the agent creating an account the manifest added, %s with a control character: refused by name, nothing created, writes stay closed', async (key, value, facts) => {
    const s = running({ replicas: 1, database: { name: 'shop', user: 'shop' }, metrics: {} }, 'mysql-0', { secrets: { [key]: value }, facts });
    s.setEvidence({ 'mysql-0': 'holds-data' });
    const look = await s.agent().look();
    expect(look.state).toBe(state('not-ready could not create the accounts the manifest asks for (log above)'));
    expect(look.stderr).toContain(`agent.sh: ERROR: ${key} in the credentials Secret contains a control character`);
    expect(look.stderr).not.toContain(value);
    expect(look.log).not.toMatch(/CREATE USER|\bGRANT\b|CREATE DATABASE|SET GLOBAL read_only/);
    // super_read_only was lifted for root's account statements only, and put back.
    expect(entries(look.log).filter((e) => e.includes('SET GLOBAL'))).toEqual([onServer('SET GLOBAL super_read_only = OFF;'), onServer('SET GLOBAL super_read_only = ON;')]);
    expect(s.serverVars()).toEqual({ read_only: 'ON', super_read_only: 'ON' });
  });

  test('the agent with root\'s password unreadable (a control character): sends nothing, opens nothing', async () => {
    const s = running({ replicas: 1 }, 'mysql-0', { secrets: { 'root-password': 'r00t\npw' } });
    const look = await s.agent().look();
    expect(look.log).toBe('');
    expect(look.state).toMatch(/^not-ready none /);
    expect(s.serverVars()).toEqual({ read_only: 'ON', super_read_only: 'ON' });
  });

  test('a replica\'s agent with the replication password unreadable: stops (the container restarts) before starting replication', async () => {
    const s = running({ replicas: 3 }, 'mysql-1', { secrets: { 'replication-password': 'repl\rpw' } });
    s.sql('local', exact(REPLICA_STATE), { out: `1\t${host(0)}\tOFF\tOFF\n` });
    const look = await s.agent().look();
    expect(look.exited).toBe(1);
    expect(look.stderr).toContain('agent.sh: ERROR: replication-password in the credentials Secret contains a control character');
    expect(look.log).not.toContain('START REPLICA');
  });
});

describe('quoting: \' \\ " in passwords', () => {
  test('escaped in the SQL (sql_string) and in the [client] option files (client_cnf); the servers read them back as the Secret\'s', () => {
    const s = pod(FULL, 'mysql-0', {
      secrets: {
        'root-password': String.raw`it's "root" \ pw`,
        'replication-password': String.raw`re'pl\\`,
        'password': String.raw`a"p'p`,
        'exporter-password': String.raw`e\x`,
      },
    });
    s.sql('local', exact(FACTS), { out: FRESH_FACTS });
    const r = s.bootstrap();
    // (The stand-in decodes ALTER USER's literal as the server would, then authenticates root by the option file.)
    expect(r.status).toBe(0);
    const accounts = `${replAccount(String.raw`'re''pl\\\\'`)}\n${DATABASE}\n${appAccount(String.raw`'a"p''p'`)}\n${exporterAccount(String.raw`'e\\x'`)}`;
    expect(r.log).toBe(GET_STS + GET_MEMBERS + GET_MEMBERS + initSteps(accounts, {
      initSql: INIT_SQL,
      rootQuoted: String.raw`'it''s "root" \\ pw'`,
      rootOption: String.raw`it's \"root\" \\ pw`,
    }) + record('mysql-0'));
    expect(s.read('var/lib/mysql/data/.fake-root-password')).toBe(String.raw`it's "root" \ pw`);
  });

  test('a server sql_mode with NO_BACKSLASH_ESCAPES (config) does not change how the scripts\' SQL is read; initSql runs under it', () => {
    const s = pod({ ...FULL, config: { sql_mode: 'NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES' } }, 'mysql-0', { secrets: { 'root-password': String.raw`back\slash` } });
    expect(s.read('etc/cdk8s-mysql/common.cnf')).toContain('sql_mode = NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES');
    s.sql('local', exact(FACTS), { out: FRESH_FACTS });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(entries(r.log)).toContain(noPassword(String.raw`ALTER USER 'root'@'localhost' IDENTIFIED BY 'back\\slash';`));
    // Read under the session's sql_mode: one backslash, the Secret's password.
    expect(s.read('var/lib/mysql/data/.fake-root-password')).toBe(String.raw`back\slash`);
    expect(entries(r.log)).toContain(`-- mysql ${cnf('root', String.raw`back\\slash`, false)} --socket=${SOCK}\n${INIT_SQL}\n`);
  });

  test('the replication password in the peers\' option file, in CLONE INSTANCE and in CHANGE REPLICATION SOURCE', () => {
    const password = String.raw`it's "a" \ b`;
    const s = pod({ replicas: 2 }, 'mysql-1', { secrets: { 'replication-password': password } });
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap();
    // (The stand-ins accept only the cluster's password, decoded as MySQL decodes the SQL and the option file.)
    expect(r.status).toBe(0);
    const quoted = String.raw`'it''s "a" \\ b'`;
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(0, { password: String.raw`it's \"a\" \\ b` }) + cloneFrom(0, { quoted }) + RECIPIENT_DOWN
      + pointClone(0, { quoted }) + record('mysql-1'));
  });
});

describe('bootstrap.sh: a new replica clones a donor', () => {
  /** The questions about the previous member as a donor: its pod, its set, whether the primary holds that set. */
  const PREVIOUS_SET = `${UUID_A}:1-98`;
  const askPrevious = (previous: number, primary: number) => get(podPath(previous)) + onPeer(previous, GTIDS)
    + onPeer(primary, `SELECT GTID_SUBSET('${PREVIOUS_SET}', ${GTID_EXECUTED});`);
  /** mysql-2 of three: its previous member mysql-1 is Ready and holds nothing the primary lacks (or as given). */
  function third(options: { previousSubset?: string; previousRefusesOnce?: boolean } = {}): PodSandbox {
    const s = pod({ replicas: 3 }, 'mysql-2');
    s.setPod(1, 'ready');
    // (Rules apply in the order written: a first answer before the lasting one.)
    if (options.previousRefusesOnce) s.sql(host(1), exact('SELECT 1;'), { exit: 1, err: `ERROR 2003 (HY000): Can't connect to MySQL server on '${host(1)}:3306' (111)`, times: 1 });
    s.sql(host(1), exact(GTIDS), gtids(PREVIOUS_SET));
    s.sql(host(0), exact(`SELECT GTID_SUBSET('${PREVIOUS_SET}', ${GTID_EXECUTED});`), { out: `${options.previousSubset ?? '1'}\n` });
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    s.sql(host(1), exact('SELECT 1;'), { out: '1\n' });
    return s;
  }

  test('ordinal 1 (the previous member is the primary): clones the primary, points replication at it, renames, records its evidence', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + record('mysql-1'));
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(0)}\n`);
    expect(s.list('var/lib/mysql')).toEqual(['data', 'files', 'tmp']);
    expect(s.evidence()).toEqual({ 'mysql-1': 'holds-data' });
    expect(r.stderr).toBe(`bootstrap.sh: mysql-1: empty data directory; cloning a donor
bootstrap.sh: mysql-1: CLONE INSTANCE FROM ${host(0)}
bootstrap.sh: mysql-1: cloned from ${host(0)}; replicating from ${host(0)}
bootstrap.sh: mysql-1: recorded in ConfigMap mysql-members that this member holds data
`);
  });

  test('ordinal 2: the previous member first when its pod is Ready and the primary holds all it has', () => {
    const s = third();
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askPrevious(1, 0) + askDonor(1) + cloneFrom(1) + RECIPIENT_DOWN + pointClone(0) + record('mysql-2'));
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(1)}\n`);
    expect(r.stderr).toContain(`mysql-2: cloned from ${host(1)}; replicating from ${host(0)}\n`);
  });

  test('the previous member holds transactions the primary lacks: not a donor; after PREVIOUS_DONOR_WAIT the primary is', () => {
    const s = third({ previousSubset: '0' });
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '0' });
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askPrevious(1, 0) + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + record('mysql-2'));
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(0)}\n`);
  });

  test('within PREVIOUS_DONOR_WAIT the previous member is waited for (replicas clone in order): its pod becomes Ready, it is the donor', () => {
    const s = third();
    s.api('GET', podPath(1), { out: JSON.stringify(s.podObject(1, 'not-ready')), times: 2 });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + get(podPath(1)) + get(podPath(1)) + askPrevious(1, 0) + askDonor(1) + cloneFrom(1)
      + RECIPIENT_DOWN + pointClone(0) + record('mysql-2'));
    expect(r.stderr.match(/mysql-2: waiting for a donor \(the previous member\) to answer\n/g)).toHaveLength(2);
  });

  test('the previous member does not answer SELECT 1 yet: it is asked again, the primary is not asked meanwhile', () => {
    const s = third({ previousRefusesOnce: true });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askPrevious(1, 0) + askDonor(1) + askPrevious(1, 0) + askDonor(1) + cloneFrom(1)
      + RECIPIENT_DOWN + pointClone(0) + record('mysql-2'));
    expect(r.stderr).toContain(`mysql-2: waiting for a donor (${host(1)}) to answer\n`);
  });

  test('the previous member answers but its clone fails: the primary is the fallback (after PREVIOUS_DONOR_WAIT)', () => {
    const s = third();
    s.sql('local', `CLONE INSTANCE FROM 'repl'@'${host(1)}'`, { exit: 1, err: 'ERROR 3862 (HY000): Clone Donor Error: 1158 : Got an error reading communication packets.' });
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '0' });
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askPrevious(1, 0) + askDonor(1) + cloneFrom(1) + askDonor(0) + cloneFrom(0)
      + RECIPIENT_DOWN + pointClone(0) + record('mysql-2'));
    expect(r.stderr).toContain(`mysql-2: clone from ${host(1)} failed\n`);
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(0)}\n`);
  });

  test('no donor answers within DONOR_WAIT_TIMEOUT: fails, stops the recipient, leaves no data and no evidence', () => {
    const s = pod({ replicas: 3 }, 'mysql-2');
    s.setPod(1, 'not-ready');
    s.peerDown(host(0));
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '0', DONOR_WAIT_TIMEOUT: '0' });
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + get(podPath(1)) + askDonor(0) + RECIPIENT_DOWN);
    expect(r.stderr).toContain('ERROR: no donor could be cloned within 0s; the pod restarts and retries');
    expect(s.exists('var/lib/mysql/data')).toBe(false);
    expect(s.evidence()).toBeUndefined();
  });

  test('with a tls choice (verify): peers are checked against the CA, the clone sets clone_ssl_ca, the channel verifies the source', () => {
    const s = pod({ replicas: 2, tls: MySqlTls.fromSecret('mysql-tls') }, 'mysql-1');
    expect(s.envFor('bootstrap').MYSQL_TLS).toBe('verify');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(0, { verify: true }) + cloneFrom(0, { verify: true }) + RECIPIENT_DOWN
      + pointClone(0, { verify: true }) + record('mysql-1'));
  });

  test('tls with verifyPeers false (serve): encrypted, not verified, no clone_ssl_ca', () => {
    const s = pod({ replicas: 2, tls: MySqlTls.fromSecret('mysql-tls', { verifyPeers: false }) }, 'mysql-1');
    expect(s.envFor('bootstrap').MYSQL_TLS).toBe('serve');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + record('mysql-1'));
  });

  test('a primary at ordinal 1 (after a failover): ordinal 0 has no previous member and clones the primary', () => {
    const s = pod({ replicas: 3, primaryOrdinal: 1 }, 'mysql-0');
    s.sql(host(1), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(1) + cloneFrom(1) + RECIPIENT_DOWN + pointClone(1) + record('mysql-0'));
  });

  test('startOrdinal 3: mysql-5 asks about mysql-4 (not Ready), then clones mysql-3 (the primary)', () => {
    const s = pod({ replicas: 3, startOrdinal: 3 }, 'mysql-5');
    s.setPod(4, 'not-ready');
    s.sql(host(3), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '0' });
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + get(podPath(4)) + askDonor(3) + cloneFrom(3) + RECIPIENT_DOWN + pointClone(3) + record('mysql-5'));
  });

  test('an interrupted clone (container killed mid-way): starts over from an empty scratch directory', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/clone'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/clone/partial.ibd'), 'half');
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/recipient'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/recipient/mysql.ibd'), 'old');
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + record('mysql-1'));
    expect(s.list('var/lib/mysql/data')).toEqual(['.fake-donor', '.fake-root-password', 'mysql.ibd']);
    expect(s.list('var/lib/mysql')).toEqual(['data', 'files', 'tmp']);
  });

  test('an empty data directory (a fresh volume) counts as none', () => {
    const s = pod({ replicas: 2 }, 'mysql-1');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    fs.mkdirSync(s.path('var/lib/mysql/data'));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(0)}\n`);
  });

  test('the next start finds the data: no second clone, the channel refreshed', () => {
    const s = pod({ replicas: 2 }, 'mysql-1');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    expect(s.bootstrap().status).toBe(0);
    s.sql('local', exact(CHANNEL), { out: `${host(0)}\n` });
    const again = s.bootstrap();
    expect(again.status).toBe(0);
    // Its evidence entry is there already: read, not patched.
    expect(again.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(changeSource()) + RECONCILE_DOWN + GET_MEMBERS);
  });
});

describe('bootstrap.sh: a replica with data', () => {
  /** What the primary is asked about this member's transactions, and its answer. */
  const verdictSql = (mine: string) => `SELECT GTID_SUBSET('${mine}', ${GTID_EXECUTED}), REPLACE(GTID_SUBTRACT('${mine}', ${GTID_EXECUTED}), '\\n', '');`;
  const verdict = (subset: string, missing: string) => ({ rows: [{ subset, missing }] });
  /** mysql-1 with data and its evidence entry, its channel pointing at `channel`. */
  function replica(channel: string, options: PodOptions & { props?: ReplicatedMySqlProps; podName?: string } = {}): PodSandbox {
    const s = pod(options.props ?? { replicas: 3 }, options.podName ?? 'mysql-1', options);
    s.withData();
    s.setEvidence({ [s.podName]: 'holds-data' });
    s.sql('local', exact(CHANNEL), { out: channel });
    // Executed and received on one line, as the server computes the SQL (its REPLACEs remove the newlines).
    s.sql('local', exact(MINE_SQL), { rows: [{ mine: MINE_SET }] });
    return s;
  }

  test('replicating from the primary: persisted read-only settings reset, the channel\'s credentials and TLS refreshed, nothing else', () => {
    const s = replica(`${host(0)}\n`);
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(changeSource()) + RECONCILE_DOWN + GET_MEMBERS);
    expect(r.stderr).toBe(`bootstrap.sh: mysql-1: replicating from ${host(0)}\n`);
    expect(s.list('var/lib/mysql')).toEqual(['data', 'files', 'tmp']);
  });

  test('a rotated replication password with \' \\ " reaches the channel escaped; with tls (verify) the source is verified', () => {
    const s = replica(`${host(0)}\n`, { props: { replicas: 3, tls: MySqlTls.fromSecret('mysql-tls') }, secrets: { 'replication-password': String.raw`n3w'\"pw` } });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(entries(r.log)).toContain(local(changeSource(undefined, { quoted: String.raw`'n3w''\\"pw'`, verify: true })));
  });

  test('replicating from another member (a failover happened), and the primary holds every transaction (two UUIDs): re-pointed at the primary', () => {
    const s = replica(`${host(2)}\n`);
    // The primary's GTID_SUBTRACT answer as the server holds it; the SQL's REPLACE puts it on one line.
    s.sql(host(0), exact(verdictSql(MINE_SET)), verdict('1', ''));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(MINE_SQL) + onPeer(0, verdictSql(MINE_SET))
      + local('STOP REPLICA; RESET REPLICA ALL;') + local(changeSource(0)) + RECONCILE_DOWN + GET_MEMBERS);
    expect(r.stderr).toBe(`bootstrap.sh: mysql-1: re-pointing replication from ${host(2)} to ${host(0)} (it holds every transaction of this member)\n`);
  });

  test('the old primary of an older revision (its template names itself, the StatefulSet names mysql-1): it follows mysql-1 once mysql-1 holds all it has', () => {
    const s = replica('', { podName: 'mysql-0' });
    s.setPrimary(1);
    s.sql(host(1), exact(verdictSql(MINE_SET)), verdict('1', ''));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(MINE_SQL) + onPeer(1, verdictSql(MINE_SET))
      + local('STOP REPLICA; RESET REPLICA ALL;') + local(changeSource(1)) + RECONCILE_DOWN + GET_MEMBERS);
    expect(r.stderr).toContain(`mysql-0: re-pointing replication from nothing (this was a primary) to ${host(1)} (it holds every transaction of this member)\n`);
  });

  test('the primary lacks transactions of this member: refuses, names them and the two ways out, changes nothing', () => {
    const s = replica(`${host(2)}\n`);
    s.sql(host(0), exact(verdictSql(MINE_SET)), verdict('0', gtidSet(`${UUID_A}:100`, `${UUID_B}:4-5`)));
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(MINE_SQL) + onPeer(0, verdictSql(MINE_SET)) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`bootstrap.sh: ERROR: this member holds transactions that the primary ${host(0)} does not have (${UUID_A}:100,${UUID_B}:4-5).
Following ${host(0)} would lose them, so this member stays down. Either this member is the
most advanced one (then make it the primary: set primaryOrdinal: 1), or its extra
transactions are to be discarded (then delete its data: kubectl -n mysql delete pvc
data-mysql-1, then delete the pod, and it re-clones from ${host(0)})
`);
  });

  test('the primary cannot be asked: fails, changes nothing', () => {
    const s = replica(`${host(2)}\n`);
    s.peerDown(host(0));
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(MINE_SQL) + onPeer(0, verdictSql(MINE_SET)) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`bootstrap.sh: ERROR: this member replicates from ${host(2)}, but the StatefulSet names ${host(0)} the primary, and ${host(0)} cannot be asked whether it holds this member's transactions (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(0)}:3306' (111)); the pod restarts and retries\n`);
  });

  test('root\'s password in the data differs from the Secret (rotated wrongly): fails with the server\'s error, changes nothing', () => {
    const s = replica(`${host(0)}\n`);
    s.withData({ rootPassword: 'the-old-one' });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR 1045 (28000): Access denied for user \'root\'@\'localhost\' (using password: YES)\nbootstrap.sh: ERROR: could not reset persisted read_only settings\n');
    expect(r.log).toBe(GET_STS + RECONCILE_UP + RECONCILE_DOWN);
  });

  test('an interrupted previous run\'s scratch directory and temporary files are discarded', () => {
    const s = replica(`${host(0)}\n`);
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/clone'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/reconcile.log'), 'old');
    fs.mkdirSync(s.path('var/lib/mysql/tmp'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/tmp/ib_sort'), 'old');
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(s.list('var/lib/mysql')).toEqual(['data', 'files', 'tmp']);
    expect(s.list('var/lib/mysql/tmp')).toEqual([]);
  });
});

describe('bootstrap.sh: a primary with data, and promotion', () => {
  test('the primary, no channel: read-only settings reset, nothing else (the agent opens it); its evidence entry restored', () => {
    const s = pod(FULL, 'mysql-0');
    s.withData();
    s.setEvidence({ 'mysql-1': 'holds-data' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    // No accounts here: the agent creates what the manifest added, once it may open writes.
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + RECONCILE_DOWN + record('mysql-0'));
    expect(r.stderr).toBe('bootstrap.sh: mysql-0: primary; the agent opens it for writes once no member is ahead of it or writable\n'
      + 'bootstrap.sh: mysql-0: recorded in ConfigMap mysql-members that this member holds data\n');
    expect(s.evidence()).toEqual({ 'mysql-1': 'holds-data', 'mysql-0': 'holds-data' });
  });

  // mysql-1 is named the primary (primaryOrdinal: 1); it replicates from mysql-0, the old primary.
  const props: ReplicatedMySqlProps = { replicas: 3, primaryOrdinal: 1 };
  const SOURCE_SET = MINE_SET;
  const applied = (set: string) => `SELECT GTID_SUBSET('${set}', ${GTID_EXECUTED});`;
  const PROMOTING = `bootstrap.sh: mysql-1: the StatefulSet names this member the primary; it replicates from ${host(0)}: promoting\n`;
  const PRIMARY_NOW = 'bootstrap.sh: mysql-1: primary; the agent opens it for writes once no member is ahead of it or writable\n';
  /** After catching up: this member's set, the members that hold data asked (mysql-2 is behind), replication reset. */
  const NONE_AHEAD = local('STOP REPLICA;') + local(GTIDS) + GET_MEMBERS + get(claimPath(0)) + get(claimPath(2))
    + onPeer(2, MEMBER_STATE) + local(subtract(`${UUID_A}:1-98`, MINE_SET));
  const PROMOTED = local('RESET REPLICA ALL;') + RECONCILE_DOWN + GET_MEMBERS;
  const CAUGHT_UP = onPeer(0, MEMBER_STATE) + local('START REPLICA;') + local(applied(SOURCE_SET));

  /** mysql-1 with data replicating from mysql-0; `answers` come first (rules apply in the order written). */
  function member(answers: (s: PodSandbox) => void = () => undefined): PodSandbox {
    const s = pod(props, 'mysql-1');
    answers(s);
    s.withData();
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    s.setClaim(0, true);
    s.setClaim(2, true);
    s.sql('local', exact(CHANNEL), { out: `${host(0)}\n` });
    s.sql('local', exact(GTIDS), gtids(MINE));
    s.sql('local', exact(applied(SOURCE_SET)), { out: '1\n' });
    s.sql(host(2), exact(MEMBER_STATE), memberState(1, 1, `${UUID_A}:1-98`));
    s.sql('local', exact(subtract(`${UUID_A}:1-98`, MINE_SET)), gtids(''));
    return s;
  }

  test('the old primary is read-only: catches up with it, checks that no member is ahead, resets replication', () => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
      // Not applied at the first look, applied at the second.
      s.sql('local', exact(applied(SOURCE_SET)), { out: '0\n', times: 1 });
    });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + CAUGHT_UP + local(applied(SOURCE_SET)) + NONE_AHEAD + PROMOTED);
    expect(r.stderr).toBe(`${PROMOTING}bootstrap.sh: mysql-1: catching up with ${host(0)} (${SOURCE_SET})
bootstrap.sh: mysql-1: promoted: no longer replicating from ${host(0)} (${MINE_SET})
${PRIMARY_NOW}`);
    // mysqld still starts read-only: the agent opens it.
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toMatch(/^super_read_only = ON$/m);
  });

  test('the old primary still takes writes: waits until its agent demoted it, then promotes', () => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), { ...memberState(0, 0, SOURCE_SET), times: 2 });
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
    });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(
      GET_STS + RECONCILE_UP + local(CHANNEL) + onPeer(0, MEMBER_STATE) + onPeer(0, MEMBER_STATE) + CAUGHT_UP + NONE_AHEAD + PROMOTED,
    );
    expect(r.stderr.match(new RegExp(`mysql-1: waiting for the old primary ${host(0).replace(/\./g, '\\.')} to stop taking writes\n`, 'g'))).toHaveLength(2);
  });

  test.each([[0, 0], [1, 0]])('the old primary still takes writes (read_only=%d, super_read_only=%d) after DEMOTE_WAIT: refuses, changes nothing', (readOnly, superReadOnly) => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(readOnly, superReadOnly, SOURCE_SET));
    });
    const r = s.bootstrap({ DEMOTE_WAIT: '0' });
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + onPeer(0, MEMBER_STATE) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`${PROMOTING}bootstrap.sh: ERROR: the old primary ${host(0)} still accepts writes (read_only=${readOnly}, super_read_only=${superReadOnly}) 0s after the StatefulSet named this member the primary: its agent should have demoted it. Stop writes on it (kubectl exec it: SET GLOBAL super_read_only = ON), or stop its pod; this pod retries. Nothing was changed\n`);
  });

  test('the old primary is down (no answer over PEER_ATTEMPTS, its pod not Ready): applies every transaction it received, then promotes', () => {
    const s = member((s) => {
      s.peerDown(host(0));
      s.setPod(0, 'not-ready');
      s.sql('local', exact(`SELECT ${GTID_RECEIVED};`), { rows: [{ received: SOURCE_SET }] });
    });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    const attempt = onPeer(0, MEMBER_STATE) + get(podPath(0));
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + attempt + attempt + attempt
      + local(`SELECT ${GTID_RECEIVED};`) + local('START REPLICA SQL_THREAD;') + local(applied(SOURCE_SET)) + NONE_AHEAD + PROMOTED);
    expect(r.stderr).toContain(`bootstrap.sh: mysql-1: WARNING: the old source ${host(0)} is down (${host(0)} did not answer 3 times over 0s (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(0)}:3306' (111)) and pod mysql-0 is not Ready); promoting with every transaction this member received from it\n`);
  });

  test('the old primary does not answer but its pod is Ready: whether it takes writes is unknown, refuses, changes nothing', () => {
    const s = member((s) => {
      s.peerDown(host(0));
      s.setPod(0, 'ready');
    });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).not.toMatch(/START REPLICA|RESET REPLICA/);
    expect(r.stderr).toContain(`ERROR: whether the old primary ${host(0)} still takes writes cannot be known: ${host(0)} does not answer (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(0)}:3306' (111)), yet pod mysql-0 is Ready. Nothing was changed; the pod restarts and retries\n`);
  });

  test.each([
    ['1040 (too many connections)', 'ERROR 1040 (08004): Too many connections'],
    ['1045 (access denied)', 'ERROR 1045 (28000): Access denied for user \'repl\'@\'10.244.0.11\' (using password: YES)'],
  ])('the old primary answers with ERROR %s: it is alive, whether it takes writes is unknown, refuses', (_what, err) => {
    const s = member((s) => {
      s.sql(host(0), /./, { exit: 1, err });
    });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + onPeer(0, MEMBER_STATE) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`${PROMOTING}bootstrap.sh: ERROR: whether the old primary ${host(0)} still takes writes cannot be known: ${host(0)} answered with an error (${err}). Nothing was changed; the pod restarts and retries\n`);
  });

  test.each([
    ['executed', memberState(1, 1, `${UUID_A}:1-103`), `${UUID_A}:1-103`],
    ['received (queued, not yet applied)', memberState(1, 1, `${UUID_A}:1-98`, `${UUID_A}:1-103`), `${UUID_A}:1-98,${UUID_A}:1-103`],
  ])('another member is ahead (%s): refuses, names its extra transactions, does not reset replication', (_what, answer, theirs) => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
      s.sql(host(2), exact(MEMBER_STATE), answer);
      s.sql('local', exact(subtract(theirs, MINE_SET)), gtids(`${UUID_A}:101-103`));
    });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(entries(r.log).slice(-3)).toEqual(entries(onPeer(2, MEMBER_STATE) + local(subtract(theirs, MINE_SET)) + RECONCILE_DOWN));
    expect(r.log).not.toContain('RESET REPLICA ALL');
    expect(r.stderr).toContain(`bootstrap.sh: ERROR: ${host(2)} has transactions this member lacks (${UUID_A}:101-103). Promoting this member would lose them: make member 2 the primary instead (primaryOrdinal: 2), or wait until this member has them. Nothing was changed\n`);
  });

  test('another member answers with an error: whether it is ahead is unknown, refuses before resetting replication', () => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
      s.sql(host(2), /./, { exit: 1, err: 'ERROR 1040 (08004): Too many connections' });
    });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + CAUGHT_UP + local('STOP REPLICA;') + local(GTIDS)
      + GET_MEMBERS + get(claimPath(0)) + get(claimPath(2)) + onPeer(2, MEMBER_STATE) + RECONCILE_DOWN);
    expect(r.stderr).toContain(`ERROR: whether ${host(2)} is ahead of this member cannot be known: ${host(2)} answered with an error (ERROR 1040 (08004): Too many connections). Nothing was changed; the pod restarts and retries\n`);
  });

  test('another member without data (no evidence) and without a pod is down at once: skipped, checked when it follows', () => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
      s.peerDown(host(2));
    });
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + CAUGHT_UP + local('STOP REPLICA;') + local(GTIDS)
      + GET_MEMBERS + get(claimPath(0)) + onPeer(2, MEMBER_STATE) + get(podPath(2)) + PROMOTED);
    expect(r.stderr).toContain(`bootstrap.sh: mysql-1: ${host(2)} does not answer (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(2)}:3306' (111)) and pod mysql-2 does not exist: it is checked when it follows this member\n`);
  });

  test('it cannot apply what the old primary has within CATCH_UP_TIMEOUT: fails before promoting', () => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
      s.sql('local', exact(applied(SOURCE_SET)), { out: '0\n' });
    });
    const r = s.bootstrap({ CATCH_UP_TIMEOUT: '0' });
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + CAUGHT_UP + RECONCILE_DOWN);
    expect(r.stderr).toContain(`ERROR: could not apply ${SOURCE_SET} within 0s; nothing was changed, the pod restarts and retries`);
  });
});

describe('agent.sh: the member the StatefulSet names the primary', () => {
  const BEHIND = `${UUID_A}:1-98`;
  /** mysql-0 of three, running; mysql-1 and mysql-2 hold data and answer read-only and behind unless `answers` says otherwise. */
  function primary(answers: (s: PodSandbox) => void = () => undefined, options: { props?: ReplicatedMySqlProps; facts?: string } = {}): PodSandbox {
    const s = running(options.props ?? { replicas: 3 }, 'mysql-0', { answers, facts: options.facts });
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    s.setClaim(1, true);
    s.setClaim(2, true);
    for (const ordinal of [1, 2]) s.sql(host(ordinal), exact(MEMBER_STATE), memberState(1, 1, BEHIND));
    s.sql('local', exact(subtract(BEHIND, MINE_SET)), gtids(''));
    return s;
  }
  /** The start of a look: which mysqld, which primary, the evidence entry (there: read, not patched). */
  const LOOK = onServer(UUID_SQL) + GET_STS;
  const FIRST_LOOK = LOOK + GET_MEMBERS;
  const ASK = (ordinal: number) => onPeer(ordinal, MEMBER_STATE) + onServer(subtract(BEHIND, MINE_SET));
  const GATE = onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + get(claimPath(1)) + get(claimPath(2)) + ASK(1) + ASK(2);
  /** Writes open: the role asked once more of the API server, then super_read_only off, accounts, read_only off. */
  const OPEN_WRITES = GET_STS + onServer('SET GLOBAL super_read_only = OFF;') + accountsOnServer(FACTS) + onServer('SET GLOBAL read_only = OFF;');
  const HELLO = `agent.sh: mysql-0: agent for ${host(0)} (every 3600s; maximum replica lag 60s)\nagent.sh: mysql-0: mysqld started (server_uuid ${UUID_NOW})\n`;
  const CHECKING = 'agent.sh: mysql-0: not ready: checking the other members before taking writes\n';
  const closed = (s: PodSandbox) => expect(s.serverVars()).toEqual({ read_only: 'ON', super_read_only: 'ON' });

  test('no other member is ahead or writable: creates the accounts the manifest added (none here), opens writes, reports ready; later looks only confirm', async () => {
    const s = primary();
    const agent = s.agent();
    const first = await agent.look();
    expect(first.log).toBe(FIRST_LOOK + GATE + OPEN_WRITES);
    expect(first.stderr).toBe(`${HELLO}${CHECKING}${OPEN}agent.sh: mysql-0: ready (primary)\n`);
    expect(first.state).toBe(state('ready primary'));
    expect(s.serverVars()).toEqual({ read_only: 'OFF', super_read_only: 'OFF' });
    const second = await agent.next();
    expect(second.log).toBe(LOOK + onServer(PRIMARY_STATE));
    expect(second.stderr).toBe('');
    expect(second.state).toBe(state('ready primary'));
  });

  test.each([[0, 0], [1, 0]])('another member accepts writes (read_only=%d, super_read_only=%d): writes stay closed, says why', async (readOnly, superReadOnly) => {
    const s = primary((s) => s.sql(host(1), exact(MEMBER_STATE), memberState(readOnly, superReadOnly, BEHIND)));
    const look = await s.agent().look();
    const reason = `${host(1)} accepts writes (read_only=${readOnly}, super_read_only=${superReadOnly}): two writable members would fork the data. The StatefulSet names this member the primary; ${host(1)} demotes itself when its agent sees that, or stop writes on it (SET GLOBAL super_read_only = ON)`;
    expect(look.state).toBe(state(`not-ready ${reason}`));
    expect(look.stderr).toBe(`${HELLO}${CHECKING}agent.sh: mysql-0: not ready: ${reason}\n`);
    expect(look.log).toBe(
      FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + get(claimPath(1)) + get(claimPath(2)) + onPeer(1, MEMBER_STATE),
    );
    closed(s);
  });

  test('another member holds transactions this primary lacks (docs/mysql.md: Safety, rule 2): writes stay closed, the message docs/mysql.md shows', async () => {
    const AHEAD = `${UUID_A}:1-150`;
    const s = primary((s) => {
      s.sql(host(1), exact(MEMBER_STATE), memberState(1, 1, AHEAD));
      s.sql('local', exact(subtract(AHEAD, MINE_SET)), gtids(`${UUID_A}:101-150`));
    });
    const look = await s.agent().look();
    const readme = fs.readFileSync(path.join(__dirname, '../../docs/mysql.md'), 'utf8');
    const line = `agent.sh: mysql-0: not ready: ${host(1)} has transactions this primary lacks (${UUID_A}:101-150): this member's data is older than the cluster's (its volume was restored from an older copy, or it lost commits in a crash). Nothing was written. Make the most advanced member the primary (primaryOrdinal: 1, docs/mysql.md: Failover); this member then follows it, or re-clones if it holds transactions that member lacks`;
    expect(readme).toContain(line);
    expect(look.stderr).toContain(`${line}\n`);
    expect(look.log).not.toContain('SET GLOBAL');
    closed(s);
  });

  test('another member\'s received (queued) transactions count: ahead when they are not all this member\'s', async () => {
    const s = primary((s) => {
      s.sql(host(2), exact(MEMBER_STATE), memberState(1, 1, BEHIND, `${UUID_A}:1-101`));
      s.sql('local', exact(subtract(`${BEHIND},${UUID_A}:1-101`, MINE_SET)), gtids(`${UUID_A}:101`));
    });
    const look = await s.agent().look();
    expect(look.state).toMatch(new RegExp(`^not-ready ${UUID_NOW} ${host(2).replace(/\./g, '\\.')} has transactions this primary lacks \\(${UUID_A}:101\\)`));
    closed(s);
  });

  test('another member answers with an error (it is alive): whether it is ahead or writable is unknown, writes stay closed', async () => {
    const s = primary((s) => s.sql(host(2), /./, { exit: 1, err: 'ERROR 1040 (08004): Too many connections' }));
    const look = await s.agent().look();
    expect(look.state).toBe(state(`not-ready whether ${host(2)} is ahead of this member or takes writes cannot be known: ${host(2)} answered with an error (ERROR 1040 (08004): Too many connections); writes stay closed`));
    closed(s);
  });

  test('a member that holds data and does not answer, but whose pod is Ready: unknown after PEER_ATTEMPTS tries, writes stay closed', async () => {
    const s = primary((s) => s.peerDown(host(1)));
    s.setPod(1, 'ready');
    const look = await s.agent().look();
    const attempt = onPeer(1, MEMBER_STATE) + get(podPath(1));
    expect(look.log).toBe(
      FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + get(claimPath(1)) + get(claimPath(2)) + attempt + attempt + attempt,
    );
    expect(look.state).toBe(state(`not-ready whether ${host(1)} is ahead of this member or takes writes cannot be known: ${host(1)} does not answer (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(1)}:3306' (111)), yet pod mysql-1 is Ready; writes stay closed`));
    closed(s);
  });

  test('a member that holds data counts as down only after PEER_ATTEMPTS unanswered tries while its pod is not Ready; then writes open', async () => {
    const s = primary((s) => s.peerDown(host(1)));
    s.setPod(1, 'not-ready');
    const look = await s.agent().look();
    const attempt = onPeer(1, MEMBER_STATE) + get(podPath(1));
    expect(look.log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + get(claimPath(1)) + get(claimPath(2))
      + attempt + attempt + attempt + ASK(2) + OPEN_WRITES);
    expect(look.stderr).toContain(`agent.sh: mysql-0: counted member 1 down: ${host(1)} did not answer 3 times over 0s (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(1)}:3306' (111)) and pod mysql-1 is not Ready (it checks itself against this primary when it returns: this start writes under a new server_uuid)\n`);
    expect(look.state).toBe(state('ready primary'));
  });

  test('by default (no PEER_ATTEMPTS given) that is 6 tries, as the README says', async () => {
    const s = primary((s) => s.peerDown(host(1)));
    s.setPod(1, 'not-ready');
    const look = await s.agent({ PEER_ATTEMPTS: '' }).look();
    expect(entries(look.log).filter((e) => e === onPeer(1, MEMBER_STATE))).toHaveLength(6);
    expect(look.stderr).toContain(`${host(1)} did not answer 6 times over 0s`);
    expect(look.state).toBe(state('ready primary'));
  });

  test('a member without data (no evidence entry) is asked once; its pod not Ready: down, writes open', async () => {
    const s = primary((s) => s.peerDown(host(2)));
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data' });
    s.setPod(2, 'initializing');
    const look = await s.agent().look();
    expect(look.log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + get(claimPath(1)) + ASK(1)
      + onPeer(2, MEMBER_STATE) + get(podPath(2)) + OPEN_WRITES);
    expect(look.stderr).not.toContain('counted member');
    expect(look.state).toBe(state('ready primary'));
  });

  test('a member whose pod does not exist is down at once, evidence or not', async () => {
    const s = primary((s) => s.peerDown(host(2)));
    const look = await s.agent().look();
    expect(entries(look.log).filter((e) => e === onPeer(2, MEMBER_STATE))).toHaveLength(1);
    expect(look.stderr).toContain(`counted member 2 down: ${host(2)} does not answer (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(2)}:3306' (111)) and pod mysql-2 does not exist`);
    expect(look.state).toBe(state('ready primary'));
  });

  test('a member that never answers (a query that hangs) is cut off after PEER_TIMEOUT', async () => {
    const s = primary((s) => s.sql(host(2), /./, { hang: true }));
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data' });
    s.setPod(2, 'not-ready');
    const look = await s.agent({ PEER_TIMEOUT: '1' }).look();
    expect(look.stderr).not.toContain('counted member');
    expect(look.state).toBe(state('ready primary'));
    expect(s.serverVars()).toEqual({ read_only: 'OFF', super_read_only: 'OFF' });
  });

  test('the API server cannot say whether a silent member\'s pod runs: unknown, writes stay closed', async () => {
    const s = primary((s) => s.peerDown(host(1)));
    s.revoke('GET', podPath(1));
    const look = await s.agent().look();
    expect(look.state).toBe(state(`not-ready whether ${host(1)} is ahead of this member or takes writes cannot be known: ${host(1)} does not answer (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(1)}:3306' (111)) and the API server cannot say whether pod mysql-1 runs; writes stay closed`));
    closed(s);
  });

  test('the API server cannot say which members hold data: writes stay closed', async () => {
    const s = primary((s) => s.api('GET', MEMBERS_PATH, { status: 500, out: '{"kind":"Status","status":"Failure","message":"etcdserver: leader changed","code":500}' }));
    const look = await s.agent().look();
    // (What the API server said is part of the reason, logged when it changes.)
    expect(look.state).toMatch(new RegExp(`^not-ready ${UUID_NOW} cannot ask the API server which members hold data \\(agent\\.sh: the API server answered HTTP 500: .*etcdserver: leader changed.*\\); writes stay closed\n$`));
    expect(look.log).not.toContain('SET GLOBAL');
    closed(s);
  });

  test('the StatefulSet names another member: a primary that was open demotes itself at the next look, and follows no one until its pod restarts', async () => {
    const s = primary((s) => s.sql('local', exact(REPLICA_STATE), { out: '{{super_read_only}}\t-\t-\t-\n' }));
    const agent = s.agent();
    expect((await agent.look()).state).toBe(state('ready primary'));
    s.setPrimary(1);
    const look = await agent.next();
    expect(look.log).toBe(LOOK + onServer(REPLICA_STATE) + onServer('SET GLOBAL super_read_only = ON;'));
    expect(look.stderr).toBe(`agent.sh: mysql-0: the StatefulSet now names member 1 the primary (was 0)
agent.sh: mysql-0: demoted: the StatefulSet names member 1 the primary; this member takes no more writes
agent.sh: mysql-0: not ready: no replication channel: the StatefulSet names ${host(1)} the primary, and this member follows it once its pod restarts (the rolling update does that)
`);
    expect(look.state).toBe(state(`not-ready no replication channel: the StatefulSet names ${host(1)} the primary, and this member follows it once its pod restarts (the rolling update does that)`));
    closed(s);
  });

  test('a pod of an older revision whose template names itself primary follows the annotation: it never opens writes', async () => {
    const s = primary((s) => s.sql('local', exact(REPLICA_STATE), { out: `1\t${host(1)}\tOFF\tOFF\n` }));
    expect(s.envFor('agent').PRIMARY_ORDINAL).toBe('0');
    s.setPrimary(1);
    s.sql(host(1), exact(SOURCE_SQL), { out: `b0b0b0b0-0000-4000-8000-000000000000|${MINE_SET}\n` });
    s.sql('local', exact(MINE_SQL), { rows: [{ mine: MINE_SET }] });
    s.sql('local', exact(subtract(MINE_SET, MINE_SET)), gtids(''));
    const look = await s.agent().look();
    expect(look.log).not.toContain(PRIMARY_STATE);
    expect(look.log).not.toContain('super_read_only = OFF');
    expect(entries(look.log).slice(-1)).toEqual([onServer('START REPLICA;')]);
    expect(look.state).toBe(state('not-ready replication starting'));
    closed(s);
  });

  test('the API server has not answered since the agent started: the template\'s primary may not open writes', async () => {
    const s = primary((s) => s.api('GET', STATEFULSET_PATH, { exit: 7, err: 'curl: (7) Failed to connect to 10.96.0.1 port 443 after 0 ms: Couldn\'t connect to server' }));
    const look = await s.agent().look();
    expect(look.state).toBe(state('not-ready cannot confirm with the API server that the StatefulSet names this member the primary; writes stay closed'));
    expect(look.log).not.toContain(PRIMARY_STATE);
    expect(look.log).not.toContain('SET GLOBAL');
    closed(s);
  });

  test('the API server silent for longer than ROLE_LEASE: the primary closes writes (a promotion elsewhere may be under way), says why', async () => {
    const s = primary();
    // The lease is counted in whole seconds (bash SECONDS): 3 s leaves the first look, which must
    // open within it, time to finish on a loaded machine; the wait then outlasts it for certain.
    const agent = s.agent({ ROLE_LEASE: '3' });
    expect((await agent.look()).state).toBe(state('ready primary'));
    s.api('GET', STATEFULSET_PATH, { exit: 28, err: 'curl: (28) Operation timed out after 10001 milliseconds with 0 bytes received' });
    await new Promise((resolve) => setTimeout(resolve, 4100));
    const look = await agent.next();
    expect(look.log).toBe(LOOK + onServer('SET GLOBAL super_read_only = ON;'));
    expect(look.stderr).toContain('agent.sh: mysql-0: the API server has not confirmed for 3s that this member is the primary: closing writes (another member may be promoted meanwhile)\n');
    expect(look.state).toBe(state('not-ready cannot confirm with the API server that the StatefulSet still names this member the primary (for 3s); writes stay closed'));
    closed(s);
  });

  test('once known, the primary is kept while the API server does not answer (within ROLE_LEASE): an open primary stays open', async () => {
    const s = primary();
    const agent = s.agent();
    expect((await agent.look()).state).toBe(state('ready primary'));
    s.api('GET', STATEFULSET_PATH, { exit: 28, err: 'curl: (28) Operation timed out after 10001 milliseconds with 0 bytes received' });
    const look = await agent.next();
    expect(look.log).toBe(LOOK + onServer(PRIMARY_STATE));
    expect(look.state).toBe(state('ready primary'));
    expect(s.serverVars()).toEqual({ read_only: 'OFF', super_read_only: 'OFF' });
  });

  test('super_read_only turned on by someone else: the other members are checked again before writes reopen', async () => {
    const s = primary();
    const agent = s.agent();
    await agent.look();
    expect(s.shell('agent', `mysql --defaults-file=<(printf '[client]\\nuser=root\\npassword=${ROOT_PASSWORD}\\n') --socket="$MYSQL_SOCKET" <<<'SET GLOBAL super_read_only = ON;'`).status).toBe(0);
    closed(s);
    const look = await agent.next();
    // (The person's statement, then the look.)
    expect(look.log).toBe(`-- mysql --defaults-file={user=root password=${ROOT_PASSWORD}} --socket=${RUN_SOCK}\nSET GLOBAL super_read_only = ON;\n${LOOK}${GATE}${OPEN_WRITES}`);
    expect(look.stderr).toBe(`agent.sh: mysql-0: super_read_only was turned on by someone else: checking the other members again before taking writes\n${CHECKING}${OPEN}agent.sh: mysql-0: ready (primary)\n`);
  });

  test('mysqld restarted (a new server_uuid, read-only again): the gate runs again before writes open', async () => {
    const s = primary();
    const agent = s.agent();
    await agent.look();
    const uuid = 'c4e2f1d0-5e4f-11f0-8c1d-0242ac120007';
    s.serving();
    startedAs(s, uuid);
    const look = await agent.next();
    expect(look.log).toBe(LOOK + GATE + OPEN_WRITES);
    expect(look.stderr).toBe(`agent.sh: mysql-0: mysqld started (server_uuid ${uuid})\n${CHECKING}${OPEN}agent.sh: mysql-0: ready (primary)\n`);
    expect(look.state).toBe(`ready ${uuid} primary\n`);
  });

  test('still replicating while named the primary: not ready, writes stay closed (the promotion happens at pod start)', async () => {
    const s = primary((s) => s.sql('local', exact(PRIMARY_STATE), { out: '1\t{{super_read_only}}\n' }));
    const look = await s.agent().look();
    expect(look.state).toBe(state('not-ready the StatefulSet names this member the primary, but it still replicates: it promotes itself when its pod restarts (the rolling update does that)'));
    expect(look.log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE));
    closed(s);
  });

  test('the accounts the manifest added are created before writes open: database, user, and the exporter moved to least privilege', async () => {
    // A cluster from before: no database yet, the exporter at localhost and with SELECT on *.*.
    const oldExporter = 'user:exporter@localhost\nuser:exporter@%\ngrant:\'exporter\'@\'%\':*.*:SELECT\ngrant:\'exporter\'@\'%\':*.*:PROCESS\ngrant:\'exporter\'@\'%\':*.*:REPLICATION CLIENT\ngrant:\'exporter\'@\'%\':performance_schema.*:SELECT\n';
    const s = running({ replicas: 1, database: { name: 'shop', user: 'shop' }, metrics: {} }, 'mysql-0', { facts: FRESH_FACTS + REPL_FACTS + oldExporter });
    s.setEvidence({ 'mysql-0': 'holds-data' });
    const look = await s.agent().look();
    const statements = `${DATABASE}\n${appAccount()}\nDROP USER 'exporter'@'localhost';\nREVOKE SELECT ON *.* FROM 'exporter'@'%';`;
    expect(look.log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS
      + GET_STS + onServer('SET GLOBAL super_read_only = OFF;') + accountsOnServer(FACTS) + accountsOnServer(statements) + onServer('SET GLOBAL read_only = OFF;'));
    expect(look.stderr).toContain('agent.sh: mysql-0: CREATE DATABASE `shop`;CREATE USER \'shop\'@\'%\';GRANT ALL PRIVILEGES;DROP USER \'exporter\'@\'localhost\';REVOKE SELECT;\n');
    expect(look.stderr).not.toContain('app-pw');
    expect(look.state).toBe(state('ready primary'));
  });

  test('every account and grant as the manifest asks: nothing is written (a restart adds nothing to the binary log)', async () => {
    const s = running({ replicas: 1, database: { name: 'shop', user: 'shop' }, metrics: {} }, 'mysql-0', { facts: ALL_FACTS });
    s.setEvidence({ 'mysql-0': 'holds-data' });
    const look = await s.agent().look();
    expect(look.log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + OPEN_WRITES);
    expect(look.state).toBe(state('ready primary'));
  });

  test('creating them fails: super_read_only back on, not ready; the next look tries again', async () => {
    const s = running({ replicas: 1, database: { name: 'shop', user: 'shop' } }, 'mysql-0', {
      answers: (s) => s.sql('local', 'CREATE DATABASE', { exit: 1, err: 'ERROR 3098 (HY000) at line 1: The table does not comply with the requirements by an external plugin.', times: 1 }),
    });
    s.setEvidence({ 'mysql-0': 'holds-data' });
    const agent = s.agent();
    const first = await agent.look();
    expect(first.state).toBe(state('not-ready could not create the accounts the manifest asks for (log above)'));
    expect(first.stderr).toContain('ERROR 3098 (HY000) at line 1: The table does not comply with the requirements by an external plugin.\nagent.sh: ERROR: could not create the accounts and database\n');
    closed(s);
    const second = await agent.next();
    expect(second.state).toBe(state('ready primary'));
    expect(entries(second.log)).toContain(accountsOnServer(`${DATABASE}\n${appAccount()}`));
  });

  test('an evidence entry removed while the member runs is restored (every EVIDENCE_REFRESH)', async () => {
    const s = primary();
    const agent = s.agent({ EVIDENCE_REFRESH: '0' });
    await agent.look();
    s.setEvidence({ 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    const look = await agent.next();
    expect(look.log).toBe(LOOK + record('mysql-0') + onServer(PRIMARY_STATE));
    expect(look.stderr).toBe('agent.sh: mysql-0: recorded in ConfigMap mysql-members that this member holds data\n');
    expect(s.evidence()).toEqual({ 'mysql-1': 'holds-data', 'mysql-2': 'holds-data', 'mysql-0': 'holds-data' });
  });

  test('stops on SIGTERM (the kubelet stopping the pod) with status 0', async () => {
    const s = primary();
    const agent = s.agent();
    await agent.look();
    expect(await agent.stop()).toBe(0);
  });
});

describe('agent.sh: a replica', () => {
  /** The primary's transactions (two UUIDs), as its server holds them, and on one line. */
  const PRIMARY_GTIDS = gtidSet(`${UUID_A}:1-120`, `${UUID_B}:1-5`);
  const PRIMARY_SET = `${UUID_A}:1-120,${UUID_B}:1-5`;
  const ERRANT_SQL = subtract(MINE_SET, PRIMARY_SET);
  const SOURCE_UUID = 'b0b0b0b0-0000-4000-8000-000000000000';
  const threadRules = new WeakMap<PodSandbox, () => void>();
  /** What the replica's server says about itself: super_read_only now, its channel's source, its two threads. */
  function threads(s: PodSandbox, io: string, applier: string, source = host(0)): void {
    threadRules.get(s)?.();
    threadRules.set(s, s.sql('local', exact(REPLICA_STATE), { out: `{{super_read_only}}\t${source}\t${io}\t${applier}\n` }));
  }
  /** mysql-1 of three, running, replicating from mysql-0; it holds nothing mysql-0 lacks unless `answers` says otherwise. */
  function replica(answers: (s: PodSandbox) => void = () => undefined, props: ReplicatedMySqlProps = { replicas: 3 }): PodSandbox {
    const s = running(props, 'mysql-1', { answers });
    s.setEvidence({ 'mysql-1': 'holds-data' });
    s.sql(host(0), exact(GTIDS), gtids(PRIMARY_GTIDS));
    s.sql(host(0), exact(SOURCE_SQL), { out: `${SOURCE_UUID}|${PRIMARY_SET}\n` });
    s.sql('local', exact(MINE_SQL), { rows: [{ mine: MINE_SET }] });
    s.sql('local', exact(ERRANT_SQL), gtids(''));
    threads(s, 'OFF', 'OFF');
    return s;
  }
  const LOOK = onServer(UUID_SQL) + GET_STS;
  const CHECK = onServer(REPLICA_STATE) + onServer(MINE_SQL) + onPeer(0, SOURCE_SQL) + onServer(ERRANT_SQL);
  const lagSql = (sets: string[]) => `SELECT CONCAT_WS(' ', ${sets.map((set) => `GTID_SUBSET('${set}', @@GLOBAL.gtid_executed)`).join(', ')});`;
  const samples = (s: PodSandbox) => s.read('var/run/mysqld/agent.samples');

  test('holds nothing its source lacks: starts replication; once both threads run and it has applied the primary\'s set, Ready with lag 0', async () => {
    const s = replica();
    const agent = s.agent();
    const first = await agent.look();
    expect(first.log).toBe(LOOK + GET_MEMBERS + CHECK + onServer('START REPLICA;'));
    expect(first.stderr).toContain(`agent.sh: mysql-1: started replication from ${host(0)} (this member holds nothing it lacks)\n`);
    expect(first.state).toBe(state('not-ready replication starting'));

    threads(s, 'ON', 'ON');
    s.sql('local', exact(lagSql([PRIMARY_SET])), { out: '1\n' });
    const second = await agent.next();
    expect(second.log).toBe(LOOK + CHECK + onServer(lagSql([PRIMARY_SET])));
    expect(second.state).toBe(state('ready replica lag=0s'));
    expect(second.stderr).toBe('agent.sh: mysql-1: ready (replica lag=0s)\n');
    expect(samples(s)).toMatch(new RegExp(`^\\d+\\t${PRIMARY_SET}\\n$`));
  });

  test('holds transactions its source lacks (errant): replication is not started, says why and what to do', async () => {
    const errant = gtidSet(`${UUID_B}:6-7`, 'c0ffee00-0000-4000-8000-000000000001:1');
    const oneLine = `${UUID_B}:6-7,c0ffee00-0000-4000-8000-000000000001:1`;
    const s = replica((s) => {
      s.sql('local', exact(ERRANT_SQL), gtids(errant));
      // asked again, the source still lacks them
      s.sql(host(0), exact(reconfirm(oneLine)), gtids(errant));
    });
    const look = await s.agent().look();
    expect(look.log).toBe(LOOK + GET_MEMBERS + CHECK + onPeer(0, reconfirm(oneLine)));
    expect(look.state).toBe(state(`not-ready this member holds transactions its source ${host(0)} lacks (${UUID_B}:6-7,c0ffee00-0000-4000-8000-000000000001:1): replication is stopped so that nothing is applied on top of them. Either the source lost them (its data is older: make this member the primary, primaryOrdinal: 1, docs/mysql.md: Failover) or they are to be discarded (delete this member's claim data-mysql-1, then its pod: it re-clones)`));
  });

  test('errant transactions appear while it replicates: replication is stopped', async () => {
    const s = replica((s) => {
      // None at the first look, one at the second.
      s.sql('local', exact(ERRANT_SQL), { ...gtids(''), times: 1 });
      s.sql('local', exact(ERRANT_SQL), gtids(`${UUID_B}:6`));
      s.sql(host(0), exact(reconfirm(`${UUID_B}:6`)), gtids(`${UUID_B}:6`));
    });
    const agent = s.agent();
    expect((await agent.look()).state).toBe(state('not-ready replication starting'));
    threads(s, 'ON', 'ON');
    const look = await agent.next();
    expect(look.log).toBe(LOOK + CHECK + onPeer(0, reconfirm(`${UUID_B}:6`)) + onServer('STOP REPLICA;'));
    expect(look.state).toMatch(new RegExp(`^not-ready ${UUID_NOW} this member holds transactions its source ${host(0).replace(/\./g, '\\.')} lacks \\(${UUID_B}:6\\)`));
  });

  test('lag is the age of the oldest sample of the primary\'s set it has not applied', async () => {
    const s = replica();
    // The agent's clock (bash SECONDS) starts at 10000 here; samples are "time<TAB>set" lines.
    const agent = s.agent({ SECONDS: '10000' });
    await agent.look();
    threads(s, 'ON', 'ON');
    fs.writeFileSync(s.path('var/run/mysqld/agent.samples'), `9900\t${UUID_A}:1-50\n9950\t${UUID_A}:1-80\n`);
    // Applied the sample of 9900, not that of 9950 nor the newest.
    s.sql('local', exact(lagSql([`${UUID_A}:1-50`, `${UUID_A}:1-80`, PRIMARY_SET])), { out: '1 0 0\n' });
    const look = await agent.next();
    const now = Number(/\n(\d+)\t[^\n]*\n$/.exec(samples(s))![1]);
    expect(samples(s)).toBe(`9900\t${UUID_A}:1-50\n9950\t${UUID_A}:1-80\n${now}\t${PRIMARY_SET}\n`);
    expect(look.state).toBe(state(`ready replica lag=${now - 9950}s`));
  });

  test('lag above maxReplicaLag: not ready, says by how much', async () => {
    const s = replica();
    const agent = s.agent({ SECONDS: '10000' });
    await agent.look();
    threads(s, 'ON', 'ON');
    fs.writeFileSync(s.path('var/run/mysqld/agent.samples'), `9900\t${UUID_A}:1-50\n9930\t${UUID_A}:1-80\n`);
    s.sql('local', exact(lagSql([`${UUID_A}:1-50`, `${UUID_A}:1-80`, PRIMARY_SET])), { out: '1 0 0\n' });
    const look = await agent.next();
    const now = Number(/\n(\d+)\t[^\n]*\n$/.exec(samples(s))![1]);
    expect(look.state).toBe(state(`not-ready replication lag ${now - 9930}s exceeds 60s (against the primary ${host(0)})`));
  });

  test('maxReplicaLag comes from the manifest (MAX_REPLICA_LAG_SECONDS)', async () => {
    const s = replica(() => undefined, { replicas: 3, maxReplicaLag: Duration.seconds(5) });
    expect(s.envFor('agent').MAX_REPLICA_LAG_SECONDS).toBe('5');
    const agent = s.agent({ SECONDS: '10000' });
    await agent.look();
    threads(s, 'ON', 'ON');
    fs.writeFileSync(s.path('var/run/mysqld/agent.samples'), `9990\t${UUID_A}:1-50\n9994\t${UUID_A}:1-80\n`);
    s.sql('local', exact(lagSql([`${UUID_A}:1-50`, `${UUID_A}:1-80`, PRIMARY_SET])), { out: '1 0 0\n' });
    const look = await agent.next();
    const now = Number(/\n(\d+)\t[^\n]*\n$/.exec(samples(s))![1]);
    expect(now - 9994).toBeGreaterThan(5);
    expect(look.state).toBe(state(`not-ready replication lag ${now - 9994}s exceeds 5s (against the primary ${host(0)})`));
  });

  test('not caught up once since mysqld started: not ready while catching up', async () => {
    const s = replica();
    const agent = s.agent({ SECONDS: '10000' });
    await agent.look();
    threads(s, 'ON', 'ON');
    fs.writeFileSync(s.path('var/run/mysqld/agent.samples'), `9990\t${UUID_A}:1-50\n`);
    s.sql('local', exact(lagSql([`${UUID_A}:1-50`, PRIMARY_SET])), { out: '0 0\n' });
    const look = await agent.next();
    const now = Number(/\n(\d+)\t[^\n]*\n$/.exec(samples(s))![1]);
    expect(look.state).toBe(state(`not-ready catching up with the primary ${host(0)} (behind by ${now - 9990}s or more)`));
  });

  test('samples older than maxReplicaLag plus two looks are dropped', async () => {
    const s = replica();
    const agent = s.agent({ SECONDS: '10000' });
    await agent.look();
    threads(s, 'ON', 'ON');
    // Kept: 60 s + 2 x AGENT_INTERVAL (3600 s here) = 7260 s back.
    fs.writeFileSync(s.path('var/run/mysqld/agent.samples'), `2000\t${UUID_A}:1-10\n9000\t${UUID_A}:1-50\n`);
    s.sql('local', exact(lagSql([`${UUID_A}:1-50`, PRIMARY_SET])), { out: '1 1\n' });
    const look = await agent.next();
    expect(entries(look.log)).toContain(onServer(lagSql([`${UUID_A}:1-50`, PRIMARY_SET])));
    expect(samples(s)).not.toContain(`${UUID_A}:1-10`);
    expect(look.state).toBe(state('ready replica lag=0s'));
  });

  test('following another member than the primary (before its pod restarts): errant checked against its source, lag against the primary', async () => {
    const s = replica();
    threads(s, 'OFF', 'OFF', host(2));
    s.sql(host(2), exact(SOURCE_SQL), { out: `${SOURCE_UUID}|${MINE_SET}\n` });
    s.sql('local', exact(subtract(MINE_SET, MINE_SET)), gtids(''));
    const agent = s.agent();
    await agent.look();
    threads(s, 'ON', 'ON', host(2));
    s.sql('local', exact(lagSql([PRIMARY_SET])), { out: '0\n' });
    const look = await agent.next();
    expect(look.log).toBe(LOOK + onServer(REPLICA_STATE) + onServer(MINE_SQL) + onPeer(2, SOURCE_SQL) + onServer(subtract(MINE_SET, MINE_SET))
      + onPeer(0, GTIDS) + onServer(lagSql([PRIMARY_SET])));
    expect(look.state).toMatch(new RegExp(`^not-ready ${UUID_NOW} catching up with the primary ${host(0).replace(/\./g, '\\.')} \\(behind by 0s or more\\)\\n$`));
  });

  test('a transaction the source sent before its commit made it part of gtid_executed is not errant: the source, asked again, has it', async () => {
    const s = replica((s) => {
      s.sql('local', exact(ERRANT_SQL), gtids(`${UUID_A}:121`));
      s.sql(host(0), exact(reconfirm(`${UUID_A}:121`)), gtids(''));
    });
    const look = await s.agent().look();
    expect(look.log).toBe(LOOK + GET_MEMBERS + CHECK + onPeer(0, reconfirm(`${UUID_A}:121`)) + onServer('START REPLICA;'));
    expect(look.state).toBe(state('not-ready replication starting'));
  });

  test('its source cannot be reached: not ready (it cannot show it is up to date); a running receiver is stopped until the next check', async () => {
    // Answered at the first look only; then nothing listens there.
    const s = replica((s) => {
      s.sql(host(0), exact(SOURCE_SQL), { out: `${SOURCE_UUID}|${PRIMARY_SET}\n`, times: 1 });
      s.peerDown(host(0));
    });
    const agent = s.agent();
    expect((await agent.look()).log).toContain(onServer('START REPLICA;'));
    threads(s, 'ON', 'ON');
    const look = await agent.next();
    expect(look.state).toBe(state(`not-ready its source ${host(0)} cannot be reached (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(0)}:3306' (111)): this member cannot show it is up to date; replication waits for the check`));
    expect(look.log).toBe(LOOK + onServer(REPLICA_STATE) + onServer(MINE_SQL) + onPeer(0, SOURCE_SQL) + onServer('STOP REPLICA IO_THREAD;'));
    expect(look.stderr).toContain('agent.sh: mysql-1: its source cannot be reached: replication stopped until this member is checked against it again\n');
  });

  test('its source restarted (a new server_uuid): the receiver is stopped and started again only after the check', async () => {
    const s = replica((s) => {
      s.sql(host(0), exact(SOURCE_SQL), { out: `${SOURCE_UUID}|${PRIMARY_SET}\n`, times: 1 });
      s.sql(host(0), exact(SOURCE_SQL), { out: `c1c1c1c1-0000-4000-8000-000000000000|${PRIMARY_SET}\n` });
    });
    const agent = s.agent();
    expect((await agent.look()).log).toContain(onServer('START REPLICA;'));
    threads(s, 'ON', 'ON');
    s.sql('local', exact(lagSql([PRIMARY_SET])), { out: '1\n' });
    const look = await agent.next();
    expect(look.log).toBe(LOOK + onServer(REPLICA_STATE) + onServer(MINE_SQL) + onPeer(0, SOURCE_SQL) + onServer('STOP REPLICA IO_THREAD;') + onServer(ERRANT_SQL) + onServer('START REPLICA;'));
    expect(look.stderr).toContain('agent.sh: mysql-1: its source restarted (server_uuid c1c1c1c1-0000-4000-8000-000000000000): replication stopped until this member is checked against it again\n');
  });

  test('a replication thread stopped: not ready, with the server\'s error', async () => {
    const s = replica();
    const agent = s.agent();
    await agent.look();
    threads(s, 'CONNECTING', 'ON');
    const error = `Error connecting to source 'repl@${host(0)}:3306'. This was attempt 3/0, with a delay of 10 seconds between attempts. Message: Access denied for user 'repl'@'10.244.0.11' (using password: YES)`;
    s.sql('local', /^SELECT CONCAT_WS\(' ', \(SELECT LAST_ERROR_MESSAGE/, { out: `${error}\n` });
    const look = await agent.next();
    expect(look.state).toBe(state(`not-ready replication is not running (receiver CONNECTING, applier ON): ${error}`));
  });

  test('a writable replica (the StatefulSet names another primary) is demoted at once', async () => {
    const s = replica();
    // Someone made it writable (read_only OFF turns super_read_only off too).
    expect(s.shell('agent', `mysql --defaults-file=<(printf '[client]\\nuser=root\\npassword=${ROOT_PASSWORD}\\n') --socket="$MYSQL_SOCKET" <<<'SET GLOBAL read_only = OFF;'`).status).toBe(0);
    expect(s.serverVars()).toEqual({ read_only: 'OFF', super_read_only: 'OFF' });
    const look = await s.agent().look();
    expect(entries(look.log)).toContain(onServer('SET GLOBAL super_read_only = ON;'));
    expect(look.stderr).toContain('agent.sh: mysql-1: demoted: the StatefulSet names member 0 the primary; this member takes no more writes\n');
    expect(s.serverVars()).toEqual({ read_only: 'ON', super_read_only: 'ON' });
  });

  test('no replication channel: not ready until its pod restarts', async () => {
    const s = replica();
    threads(s, '-', '-', '-');
    const look = await s.agent().look();
    expect(look.state).toBe(state(`not-ready no replication channel: the StatefulSet names ${host(0)} the primary, and this member follows it once its pod restarts (the rolling update does that)`));
  });

  test('the API server has not answered yet: a replica follows its template\'s primary (it checks before it replicates)', async () => {
    const s = replica((s) => s.api('GET', STATEFULSET_PATH, { exit: 7, err: 'curl: (7) Failed to connect to 10.96.0.1 port 443 after 0 ms: Couldn\'t connect to server' }));
    const look = await s.agent().look();
    expect(entries(look.log).slice(-1)).toEqual([onServer('START REPLICA;')]);
    expect(look.state).toBe(state('not-ready replication starting'));
  });

  test('mysqld does not answer yet: not ready, about no server_uuid', async () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    const look = await s.agent().look();
    expect(look.state).toBe('not-ready none mysqld does not answer on its socket yet\n');
  });
});

describe('agent.sh: a Group Replication member', () => {
  const GROUP: ReplicatedMySqlProps = { replicas: 3, replication: MySqlReplication.groupReplication() };
  /** Its own view of the group: state, role, ONLINE members, members in the view, UNREACHABLE ones. */
  const SELF_VIEW = 'SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_STATE = \'UNREACHABLE\');';
  /** What a member tells its peers: state|role|executed|received. */
  const PEER_SQL = 'CONCAT_WS(\'|\', IFNULL((SELECT MEMBER_STATE FROM performance_schema.replication_group_members';
  const MINE_GROUP = 'SELECT TRIM(BOTH \',\' FROM CONCAT(REPLACE(@@GLOBAL.gtid_executed, \'\\n\', \'\'), \',\', IFNULL((SELECT REPLACE(RECEIVED_TRANSACTION_SET, \'\\n\', \'\') FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = \'group_replication_applier\'), \'\')));';
  const G = 'aaaaaaaa-bbbb-5ccc-8ddd-eeeeeeeeeeee';
  const WHO_IS_PRIMARY = 'SELECT MEMBER_HOST FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = \'PRIMARY\' AND MEMBER_STATE = \'ONLINE\';';
  const START = `START GROUP_REPLICATION USER = 'repl', PASSWORD = '${REPLICATION_PASSWORD}';`;
  const label = (value: string) => patch(podPath(1), `{"metadata":{"labels":{"mysql.cdk8s-stateful.io/role":${value}}}}`);
  /** mysql-1 of a 3-member group, mysqld running outside any group, holding G:1-100; the others hold data. */
  function member(answers: (s: PodSandbox) => void, props: ReplicatedMySqlProps = GROUP): PodSandbox {
    const facts = `${FRESH_FACTS}${REPL_FACTS}grant:'repl'@'%':*.*:GROUP_REPLICATION_STREAM\ngrant:'repl'@'%':performance_schema.replication_group_members:SELECT\n`;
    const s = running(props, 'mysql-1', { facts, answers: (sb) => {
      answers(sb);
      sb.sql('local', SELF_VIEW, { out: 'OFFLINE\t-\t0\t1\t0\n' });
      sb.sql('local', exact(MINE_GROUP), { rows: [{ mine: `${G}:1-100` }] });
    } });
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    s.setClaim(0, true);
    s.setClaim(2, true);
    s.setPod(1, 'not-ready');
    return s;
  }
  /** Peer `ordinal` answers: its state and its set; the member's comparison of that set with its own. */
  const peer = (sb: PodSandbox, ordinal: number, state: string, set: string, verdict: { covered: 0 | 1; equal: 0 | 1; extra?: string }) => {
    sb.sql(host(ordinal), PEER_SQL, { out: `${state}||${set}|\n` });
    sb.sql('local', `GTID_SUBSET('${set}', '${G}:1-100')`, { out: `${verdict.covered}\t${verdict.equal}\t${verdict.extra ?? ''}\n` });
  };
  const started = (log: string) => entries(log).filter((e) => /^((START|STOP) GROUP_REPLICATION|SET GLOBAL group_replication_)/.test(e.split('\n')[1] ?? '')).map((e) => e.split('\n')[1]);

  test('a member is ONLINE: it joins (the credentials given with START, never stored), and is not Ready until ONLINE itself', async () => {
    const s = member((sb) => {
      sb.sql(host(0), PEER_SQL, { out: `ONLINE|PRIMARY|${G}:1-120|\n` });
    });
    const look = await s.agent().look();
    // bootstrap_group OFF first: an agent killed between ON and OFF earlier must not make this join a second group.
    expect(started(look.log)).toEqual(['SET GLOBAL group_replication_bootstrap_group = OFF;', START]);
    // and the queue of its group channel is discarded before it joins: recovery fetches what it lacks
    const statements = entries(look.log).map((e) => e.split('\n')[1]);
    expect(statements.indexOf('RESET REPLICA ALL FOR CHANNEL \'group_replication_applier\';')).toBe(statements.indexOf(START) - 1);
    expect(entries(look.log)).toContain(label('null'));
    expect(look.stderr).toContain(`agent.sh: mysql-1: join the group: ${host(0)} is ONLINE in the group\n`);
    expect(look.state).toBe(state('not-ready joining the group'));
  });

  test('no member is ONLINE, every member answers, this one holds all their transactions and no lower ordinal the same: it starts the group', async () => {
    const s = member((sb) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
      peer(sb, 2, 'OFFLINE', `${G}:1-100`, { covered: 1, equal: 1 });
    });
    const look = await s.agent().look();
    expect(started(look.log)).toEqual(['SET GLOBAL group_replication_bootstrap_group = ON;', START, 'SET GLOBAL group_replication_bootstrap_group = OFF;']);
    expect(look.stderr).toContain(`agent.sh: mysql-1: bootstrap the group: no member is ONLINE and every member that answered holds a subset of this member's transactions (${G}:1-100)\n`);
  });

  test('bootstrap_group is turned off again when START GROUP_REPLICATION fails', async () => {
    const s = member((sb) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
      peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
      sb.sql('local', exact(START), { err: 'ERROR 3096 (HY000) at line 1: The START GROUP_REPLICATION command failed', exit: 1 });
    });
    const look = await s.agent().look();
    expect(started(look.log)).toEqual(['SET GLOBAL group_replication_bootstrap_group = ON;', START, 'SET GLOBAL group_replication_bootstrap_group = OFF;']);
    expect(look.state).toBe(state('not-ready START GROUP_REPLICATION failed (log above); retrying'));
  });

  test.each([
    ['another member holds transactions this one lacks: that one starts the group', (sb: PodSandbox) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-120`, { covered: 0, equal: 0, extra: `${G}:101-120` });
      peer(sb, 2, 'OFFLINE', `${G}:1-100`, { covered: 1, equal: 1 });
    }, `no member is ONLINE; ${host(0)} (it has ${G}:101-120) holds transactions this member lacks: that member starts the group, and this one joins it`],
    ['a lower ordinal holds the same transactions: it starts the group', (sb: PodSandbox) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-100`, { covered: 1, equal: 1 });
      peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
    }, `no member is ONLINE; ${host(0)} holds the same transactions and has a lower ordinal: it starts the group, and this one joins it`],
    ['a member that holds data does not answer: nobody can show it holds every acknowledged transaction', (sb: PodSandbox) => {
      peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
    }, `no member is ONLINE and ${host(0)} (ERROR 2005 (HY000): Unknown MySQL server host '${host(0)}' (-2)) did not answer: a new group starts only from a member shown to hold every transaction any member has, so every member that holds data must answer. If a member is lost for good, declare it (replication.lostMembers, docs/mysql.md: Group Replication)`],
  ])('no member is ONLINE and %s: it waits and says why', async (_what, answers, reason) => {
    const s = member(answers);
    const look = await s.agent().look();
    expect(started(look.log)).toEqual([]);
    expect(look.state).toBe(state(`not-ready ${reason}`));
    expect(look.stderr).toContain(`agent.sh: mysql-1: not ready: ${reason}\n`);
  });

  test('a member without data need not answer; a member declared lost (lostMembers, read from the StatefulSet) is not waited for', async () => {
    const noData = member((sb) => peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 }));
    noData.setEvidence({ 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    expect(started((await noData.agent().look()).log)).toContain(START);
    const lost = member((sb) => peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 }),
      { replicas: 3, replication: MySqlReplication.groupReplication({ lostMembers: [0] }) });
    const look = await lost.agent().look();
    expect(entries(look.log)).toContain(GET_STS);
    expect(started(look.log)).toContain(START);
  });

  test('a member declared lost that answers after all counts like any other; a member declared lost never starts the group', async () => {
    const lostZero = { replicas: 3, replication: MySqlReplication.groupReplication({ lostMembers: [0] }) };
    const answers = member((sb) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-120`, { covered: 0, equal: 0, extra: `${G}:101-120` });
      peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
    }, lostZero);
    const look = await answers.agent().look();
    expect(started(look.log)).toEqual([]);
    expect(look.state).toBe(state(`not-ready no member is ONLINE; ${host(0)} (it has ${G}:101-120) holds transactions this member lacks: that member starts the group, and this one joins it`));
    const self = member((sb) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
      peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
    }, { replicas: 3, replication: MySqlReplication.groupReplication({ lostMembers: [1] }) });
    const mine = await self.agent().look();
    expect(started(mine.log)).toEqual([]);
    expect(mine.state).toBe(state('not-ready no member is ONLINE, and this member is declared lost (replication.lostMembers): it never starts the group; it joins one that another member starts'));
  });

  test('its own view says primary, but the others see another primary (a thawed old primary\'s stale view): no label, not Ready', async () => {
    const s = member((sb) => {
      sb.sql('local', SELF_VIEW, { out: 'ONLINE\tPRIMARY\t3\t3\t0\n' });
      for (const o of [0, 2]) sb.sql(host(o), exact(WHO_IS_PRIMARY), { out: `${host(0)}\n` });
    });
    const look = await s.agent().look();
    expect(entries(look.log)).not.toContain(label('"primary"'));
    expect(look.state).toBe(state('not-ready its own view says it is the primary, but only 1 of the 3 members confirm it (a stale view, or a new primary elected meanwhile)'));
  });

  test('a role label the API server does not take: not Ready (a pod still labelled primary must not be routed to as a secondary)', async () => {
    const s = member((sb) => {
      sb.sql('local', SELF_VIEW, { out: 'ONLINE\tPRIMARY\t3\t3\t0\n' });
      for (const o of [0, 2]) sb.sql(host(o), exact(WHO_IS_PRIMARY), { out: `${host(1)}\n` });
    });
    s.revoke('PATCH', podPath(1));
    const look = await s.agent().look();
    expect(look.state).toBe(state('not-ready its role label could not be written (see the log): the Services cannot be trusted to route to it'));
    expect(look.stderr).toContain('the API server refused');
  });

  test('ONLINE as the primary with the majority: labelled primary, Ready; cut off from the majority: the label goes, not Ready', async () => {
    const s = member((sb) => {
      sb.sql('local', SELF_VIEW, { out: 'ONLINE\tPRIMARY\t3\t3\t0\n', times: 1 });
      sb.sql('local', SELF_VIEW, { out: 'ONLINE\tPRIMARY\t1\t3\t2\n', times: 1 });
      for (const o of [0, 2]) sb.sql(host(o), exact(WHO_IS_PRIMARY), { out: `${host(1)}\n` });
    });
    const agent = s.agent();
    const first = await agent.look();
    expect(entries(first.log)).toContain(label('"primary"'));
    expect(first.state).toBe(state('ready group-primary online=3/3'));
    expect(s.apiObject(podPath(1)).metadata.labels['mysql.cdk8s-stateful.io/role']).toBe('primary');
    const cut = await agent.next();
    expect(entries(cut.log)).toContain(label('null'));
    expect(cut.state).toBe(state('not-ready cut off from the majority: 2 of the 3 members in its view are unreachable (it takes no writes; it leaves the group after unreachable_majority_timeout)'));
    expect(s.apiObject(podPath(1)).metadata.labels['mysql.cdk8s-stateful.io/role']).toBeUndefined();
  });
});

describe('a Group Replication member stopping: the primary hands its role over first', () => {
  const GROUP: ReplicatedMySqlProps = { replicas: 3, replication: MySqlReplication.groupReplication() };
  const SELF_VIEW = 'SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_STATE = \'UNREACHABLE\');';
  const WHO_IS_PRIMARY = 'SELECT MEMBER_HOST FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = \'PRIMARY\' AND MEMBER_STATE = \'ONLINE\';';
  const ROLE = 'SELECT MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid AND MEMBER_STATE = \'ONLINE\';';
  const SECONDARIES = 'SELECT MEMBER_HOST, MEMBER_ID FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = \'SECONDARY\' AND MEMBER_STATE = \'ONLINE\';';
  const ID = (ordinal: number) => `0000000${ordinal}-1111-4222-8333-444444444444`;
  const SET_AS_PRIMARY = (ordinal: number) => `SELECT group_replication_set_as_primary('${ID(ordinal)}', 5);`;
  const ROLE_LABEL = 'mysql.cdk8s-stateful.io/role';
  const roleLabel = (ordinal: number, value: string) => patch(podPath(ordinal), `{"metadata":{"labels":{"${ROLE_LABEL}":${value}}}}`);
  const NEW_REVISION = 'mysql-7c5d9b8f4';

  /** mysql-1 of a 3-member group whose members all hold data and are Ready; the test's `answers` first. */
  function groupMember(answers: (s: PodSandbox) => void, facts?: string): PodSandbox {
    const s = running(GROUP, 'mysql-1', { facts, answers });
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    for (const o of [0, 1, 2]) s.setPod(o, 'ready');
    return s;
  }
  const PRIMARY_HOST = 'SELECT MEMBER_HOST FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = \'PRIMARY\';';
  /** mysql-1 as an ONLINE secondary: the primary in its view (`answers`: PRIMARY_HOST) holds G:1-100. */
  const secondaryMember = (answers: (s: PodSandbox) => void) => groupMember((sb) => {
    answers(sb);
    sb.sql('local', SELF_VIEW, { out: 'ONLINE\tSECONDARY\t3\t3\t0\n' });
    for (const o of [0, 2]) sb.sql(host(o), 'gtid_executed', { out: 'aaaaaaaa-bbbb-5ccc-8ddd-eeeeeeeeeeee:1-100\n' });
  });

  /** mysql-1, the ONLINE primary of a 3-member group, labelled by its agent's first look; mysql-0 and mysql-2 Ready secondaries. */
  async function primaryMember(answers: (s: PodSandbox) => void = () => undefined): Promise<{ s: PodSandbox; agent: AgentRun }> {
    const facts = `${FRESH_FACTS}${REPL_FACTS}grant:'repl'@'%':*.*:GROUP_REPLICATION_STREAM\ngrant:'repl'@'%':performance_schema.replication_group_members:SELECT\n`;
    const s = groupMember((sb) => {
      answers(sb);
      sb.sql('local', SELF_VIEW, { out: 'ONLINE\tPRIMARY\t3\t3\t0\n' });
      for (const o of [0, 2]) sb.sql(host(o), exact(WHO_IS_PRIMARY), { out: `${host(1)}\n` });
      sb.sql('local', exact(ROLE), { out: 'PRIMARY\n' });
      sb.sql('local', exact(SECONDARIES), { out: `${host(0)}\t${ID(0)}\n${host(2)}\t${ID(2)}\n` });
    }, facts);
    const agent = s.agent();
    expect((await agent.look()).state).toBe(`ready ${UUID_NOW} group-primary online=3/3\n`);
    expect(s.apiObject(podPath(1)).metadata.labels[ROLE_LABEL]).toBe('primary');
    return { s, agent };
  }
  /** The API server's answer for a pod being deleted. */
  const deleting = (s: PodSandbox, ordinal: number) => {
    const pod = s.apiObject(podPath(ordinal));
    s.setApiObject(podPath(ordinal), { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-03-02T10:00:00Z', deletionGracePeriodSeconds: 120 } });
  };
  const withRevision = (s: PodSandbox, ordinal: number, revision: string) => {
    const pod = s.apiObject(podPath(ordinal));
    s.setApiObject(podPath(ordinal), { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, 'controller-revision-hash': revision } } });
  };
  const report = (s: PodSandbox) => (s.exists('var/run/mysqld/hand-over') ? s.read('var/run/mysqld/hand-over') : undefined);

  test('a deleted pod: the primary moves its role to the highest Ready secondary and labels it, then reports done', async () => {
    const { s, agent } = await primaryMember((sb) => sb.sql('local', exact(SET_AS_PRIMARY(2)), { out: 'Primary server switched to: 00000002-1111-4222-8333-444444444444\n' }));
    deleting(s, 1);
    expect(await agent.stop()).toBe(0);
    const end = await agent.look();
    const log = entries(end.log);
    // the move, then the new primary's label, then its own label goes (its endpoints went with the deletion)
    const at = (entry: string) => log.findIndex((e) => e === entry);
    expect(at(onServer(SET_AS_PRIMARY(2)))).toBeGreaterThanOrEqual(0);
    expect(at(roleLabel(2, '"primary"'))).toBeGreaterThan(at(onServer(SET_AS_PRIMARY(2))));
    expect(at(roleLabel(1, 'null'))).toBeGreaterThan(at(roleLabel(2, '"primary"')));
    expect(s.apiObject(podPath(2)).metadata.labels[ROLE_LABEL]).toBe('primary');
    expect(s.apiObject(podPath(1)).metadata.labels[ROLE_LABEL]).toBeUndefined();
    expect(end.stderr).toContain(`agent.sh: mysql-1: stopping: handed the primary role to ${host(2)}\n`);
    expect(report(s)).toBe('stopped\n');
  });

  test('a rolling update: a member already restarted is preferred (it will not stop again), even with a lower ordinal', async () => {
    const { s, agent } = await primaryMember((sb) => sb.sql('local', exact(SET_AS_PRIMARY(0)), { out: 'Primary server switched to: 00000000-1111-4222-8333-444444444444\n' }));
    const sts = s.apiObject(STATEFULSET_PATH);
    s.setApiObject(STATEFULSET_PATH, { ...sts, status: { ...sts.status, updateRevision: NEW_REVISION } });
    withRevision(s, 0, NEW_REVISION);
    deleting(s, 1);
    await agent.stop();
    const end = await agent.look();
    expect(entries(end.log)).toContain(onServer(SET_AS_PRIMARY(0)));
    expect(entries(end.log)).not.toContain(onServer(SET_AS_PRIMARY(2)));
    expect(s.apiObject(podPath(0)).metadata.labels[ROLE_LABEL]).toBe('primary');
  });

  test('a scale-in: a member the StatefulSet no longer keeps is not chosen, whatever its ordinal', async () => {
    const { s, agent } = await primaryMember((sb) => sb.sql('local', exact(SET_AS_PRIMARY(0)), { out: 'Primary server switched to: 00000000-1111-4222-8333-444444444444\n' }));
    const sts = s.apiObject(STATEFULSET_PATH);
    s.setApiObject(STATEFULSET_PATH, { ...sts, spec: { ...sts.spec, replicas: 2 } });
    deleting(s, 1);
    await agent.stop();
    const end = await agent.look();
    expect(entries(end.log)).toContain(onServer(SET_AS_PRIMARY(0)));
    expect(end.log).not.toContain(podPath(2));
  });

  test('no secondary Ready and staying: nothing is handed over; the group elects when mysqld leaves', async () => {
    const { s, agent } = await primaryMember();
    s.setPod(0, 'not-ready');
    deleting(s, 2);
    deleting(s, 1);
    await agent.stop();
    const end = await agent.look();
    expect(end.log).not.toContain('group_replication_set_as_primary');
    expect(end.stderr).toContain('agent.sh: mysql-1: stopping as the primary, with no Ready secondary to hand the role to: the group elects one when mysqld leaves\n');
    expect(report(s)).toBe('stopped\n');
  });

  test('the move fails: said, and the report still lets mysqld stop', async () => {
    const { s, agent } = await primaryMember((sb) => sb.sql('local', exact(SET_AS_PRIMARY(2)), { exit: 1, err: 'ERROR 3910 (HY000) at line 1: The function \'group_replication_set_as_primary\' failed. The requested member is not ONLINE.\n' }));
    deleting(s, 1);
    await agent.stop();
    const end = await agent.look();
    expect(end.stderr).toContain(`agent.sh: mysql-1: stopping as the primary: could not hand the role to ${host(2)} (ERROR 3910 (HY000) at line 1: The function 'group_replication_set_as_primary' failed. The requested member is not ONLINE.): the group elects a primary when mysqld leaves\n`);
    expect(s.apiObject(podPath(2)).metadata.labels[ROLE_LABEL]).toBeUndefined();
    expect(report(s)).toBe('stopped\n');
  });

  test('only the agent container restarts (its pod is not deleted): the label goes, the role stays', async () => {
    const { s, agent } = await primaryMember();
    await agent.stop();
    const end = await agent.look();
    expect(end.log).not.toContain('group_replication_set_as_primary');
    expect(entries(end.log)).toContain(roleLabel(1, 'null'));
    expect(report(s)).toBe('stopped\n');
    // and the next agent starts without the last one's report
    const next = s.agent();
    await next.look();
    expect(report(s)).toBeUndefined();
  });

  test('a secondary writes its label again when the primary moved: a hand-over labels the new primary from the old one\'s pod', async () => {
    const s = secondaryMember((sb) => {
      sb.sql('local', exact(PRIMARY_HOST), { out: `${host(0)}\n`, times: 2 });
      sb.sql('local', exact(PRIMARY_HOST), { out: `${host(2)}\n` });
      sb.sql('local', 'GTID_SUBSET(', { out: '1 1 1\n' }); // every sample of the primary's set applied
    });
    const agent = s.agent();
    const labels = (log: string) => entries(log).filter((e) => e === roleLabel(1, '"secondary"')).length;
    const first = await agent.look();
    expect(labels(first.log)).toBe(1);
    const same = await agent.next();
    expect(labels(same.log)).toBe(0); // the same primary: nothing to write
    const moved = await agent.next();
    expect(labels(moved.log)).toBe(1);
    expect(moved.state).toBe(`ready ${UUID_NOW} group-secondary lag=0s online=3/3\n`);
  });

  test.each([
    ['nothing left to apply: it missed transactions, and leaves the group to fetch them through recovery', '0', true],
    ['transactions still queued: it is only behind', '3', false],
  ])('a secondary behind the primary for HOLE_SECONDS with %s', async (_what, idle, leaves) => {
    const s = secondaryMember((sb) => {
      sb.sql('local', exact(PRIMARY_HOST), { out: `${host(0)}\n` });
      sb.sql('local', 'GTID_SUBSET(', { out: '0 0 0\n' }); // the primary's set never applied here
      sb.sql('local', 'COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE', { out: `${idle}\n` });
    });
    const agent = s.agent({ HOLE_SECONDS: '1' });
    await agent.look();
    await new Promise((r) => setTimeout(r, 1100));
    const behind = await agent.next();
    expect(entries(behind.log).some((e) => e.includes('STOP GROUP_REPLICATION;'))).toBe(leaves);
    if (leaves) {
      expect(behind.stderr).toMatch(/agent\.sh: mysql-1: this member lacks transactions the primary mysql-0\.mysql\.mysql\.svc\.cluster\.local committed \d+s ago and has none left to apply: leaving the group to fetch them again through recovery\n/);
      expect(behind.state).toBe(`not-ready ${UUID_NOW} missed transactions the group committed; rejoining to recover them\n`);
    } else {
      expect(behind.state).toMatch(/^not-ready \S+ applying the group's transactions: behind the primary/);
    }
  });

  test('a member in ERROR (expelled, or cut off too long) leaves the group cleanly, to rejoin at its next look', async () => {
    const s = running(GROUP, 'mysql-1', { answers: (sb) => sb.sql('local', SELF_VIEW, { out: 'ERROR\tSECONDARY\t1\t3\t0\n' }) });
    const look = await s.agent().look();
    expect(entries(look.log).filter((e) => e.includes('STOP GROUP_REPLICATION;'))).toHaveLength(1);
    expect(look.stderr).toContain('agent.sh: mysql-1: this member left the group in ERROR; stopping Group Replication to rejoin\n');
    expect(look.state).toBe(`not-ready ${UUID_NOW} left the group (ERROR); rejoining\n`);
  });

  describe('the mysql container\'s preStop', () => {
    const fresh = (s: PodSandbox) => fs.writeFileSync(s.path('var/run/mysqld/agent.state'), `ready ${UUID_NOW} group-primary online=3/3\n`);
    function member(role: string): PodSandbox {
      const s = pod(GROUP, 'mysql-1');
      s.serving();
      s.sql('local', exact(ROLE), { out: role });
      return s;
    }
    const timed = (s: PodSandbox, env: Record<string, string> = {}) => {
      const t = Date.now();
      const r = s.preStop(env);
      return { ...r, seconds: (Date.now() - t) / 1000 };
    };

    test('is emitted only in Group Replication mode', () => {
      expect(member('').container('mysql').lifecycle.preStop.exec.command).toEqual(['bash', '/etc/cdk8s-mysql/probe.sh', 'pre-stop']);
      expect(pod({ replicas: 3 }, 'mysql-1').container('mysql').lifecycle).toBeUndefined();
    });

    test('a secondary stops at once', () => {
      const s = member('SECONDARY\n');
      fresh(s);
      const r = timed(s, { HAND_OVER_WAIT: '30' });
      expect(r.status).toBe(0);
      expect(r.seconds).toBeLessThan(10);
    });

    test('the primary waits for its agent\'s report, at most HAND_OVER_WAIT seconds', () => {
      const s = member('PRIMARY\n');
      fresh(s);
      fs.writeFileSync(s.path('var/run/mysqld/hand-over.started'), '');
      const r = timed(s, { HAND_OVER_WAIT: '3' });
      expect(r.status).toBe(0);
      expect(r.seconds).toBeLessThan(6);
      // (bash counts whole seconds: the wait ends within the last one)
      expect(r.seconds).toBeGreaterThanOrEqual(2);
      fs.writeFileSync(s.path('var/run/mysqld/hand-over'), 'stopped\n');
      expect(timed(s, { HAND_OVER_WAIT: '30' }).seconds).toBeLessThan(10);
    });

    test('the primary whose agent is not stopping (mysqld alone is, e.g. by its liveness probe) waits 5 s at most, not HAND_OVER_WAIT', () => {
      const s = member('PRIMARY\n');
      fresh(s);
      const r = timed(s, { HAND_OVER_WAIT: '30' });
      expect(r.seconds).toBeGreaterThanOrEqual(4);
      expect(r.seconds).toBeLessThan(10);
    });

    test('the primary does not wait for an agent that stopped reporting', () => {
      const s = member('PRIMARY\n');
      fresh(s);
      const t = Date.now() / 1000 - 60;
      fs.utimesSync(s.path('var/run/mysqld/agent.state'), t, t);
      expect(timed(s, { HAND_OVER_WAIT: '30' }).seconds).toBeLessThan(10);
    });
  });
});

describe('probe.sh', () => {
  const READINESS = 'SELECT @@server_uuid, @@GLOBAL.super_read_only, IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = \'\'), \'-\'), IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_applier_status WHERE CHANNEL_NAME = \'\'), \'-\');';
  /** The agent's report, as agent.sh writes it, and mysqld running with the given answers. */
  function reported(report: string | undefined, server?: string): PodSandbox {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.serving();
    if (report !== undefined) fs.writeFileSync(s.path('var/run/mysqld/agent.state'), report);
    if (server !== undefined) s.sql('local', exact(READINESS), { out: server });
    return s;
  }
  const age = (s: PodSandbox, seconds: number) => {
    const t = Date.now() / 1000 - seconds;
    fs.utimesSync(s.path('var/run/mysqld/agent.state'), t, t);
  };

  test.each(['startup', 'liveness'] as const)('%s: mysqladmin ping on the socket, without credentials', (kind) => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    const down = s.probe(kind);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain(`Can't connect to local MySQL server through socket '${RUN_SOCK}' (2)`);
    s.serving();
    // Access is denied (no credentials), yet ping reports the server alive, as the real one does.
    const up = s.probe(kind);
    expect(up.status).toBe(0);
    expect(up.stderr).toContain('Access denied');
  });

  test('readiness, a primary the agent opened, writable, the same start of mysqld: ready', () => {
    const s = reported(`ready ${UUID_NOW} primary\n`, `${UUID_NOW}\t0\t-\t-\n`);
    const r = s.probe('readiness');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.log).toBe(onServer(READINESS));
  });

  test.each([
    ['a group primary, ONLINE, PRIMARY, writable', 'group-primary online=3/3', 'ONLINE PRIMARY 0', ''],
    ['a group secondary, ONLINE, SECONDARY', 'group-secondary lag=0s online=3/3', 'ONLINE SECONDARY 1', ''],
    ['a pod still reported primary whose member is a secondary now', 'group-primary online=3/3', 'ONLINE SECONDARY 1', 'not ready: the agent reported group-primary, but the member is SECONDARY now\n'],
    // elected since the agent's last look: still Ready (the agent moves the label at its next look)
    ['a group secondary elected primary since the agent\'s report', 'group-secondary lag=0s online=3/3', 'ONLINE PRIMARY 0', ''],
    ['a group primary that is read-only', 'group-primary online=3/3', 'ONLINE PRIMARY 1', 'not ready: the primary is read-only (super_read_only=1)\n'],
    ['a member that left the group', 'group-secondary lag=0s online=3/3', 'ERROR SECONDARY 1', 'not ready: not ONLINE in the group (ERROR)\n'],
  ])('readiness of a Group Replication member: %s', (_what, report, server, out) => {
    const s = reported(`ready ${UUID_NOW} ${report}\n`, `${UUID_NOW}\t1\t-\t-\n`);
    const GROUP_READINESS = 'SELECT CONCAT_WS(\' \', IFNULL((SELECT CONCAT(MEMBER_STATE, \' \', MEMBER_ROLE) FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid), \'OFFLINE -\'), @@GLOBAL.super_read_only);';
    s.sql('local', exact(GROUP_READINESS), { out: `${server}\n` });
    const r = s.probe('readiness');
    expect(r.stdout).toBe(out);
    expect(r.status).toBe(out ? 1 : 0);
  });

  test('readiness, a replica the agent found up to date, both threads running: ready', () => {
    const s = reported(`ready ${UUID_NOW} replica lag=3s\n`, `${UUID_NOW}\t1\tON\tON\n`);
    expect(s.probe('readiness').status).toBe(0);
  });

  test.each([
    ['the agent has not reported', undefined, undefined, 'not ready: the agent has not reported yet\n'],
    ['the agent says not ready', `not-ready ${UUID_NOW} checking the other members before taking writes\n`, undefined, 'not ready: checking the other members before taking writes\n'],
    ['the report is about an earlier start of mysqld', `ready ${UUID_A} primary\n`, `${UUID_NOW}\t0\t-\t-\n`, 'not ready: the agent\'s report is about an earlier start of mysqld\n'],
    ['a primary read-only after all', `ready ${UUID_NOW} primary\n`, `${UUID_NOW}\t1\t-\t-\n`, 'not ready: read-only (super_read_only=1)\n'],
    ['a replica whose applier stopped', `ready ${UUID_NOW} replica lag=0s\n`, `${UUID_NOW}\t1\tON\tOFF\n`, 'not ready: replication is not running (receiver ON, applier OFF)\n'],
    ['a report without a role', `ready ${UUID_NOW}\n`, `${UUID_NOW}\t1\t-\t-\n`, 'not ready: the agent\'s report names no role\n'],
  ])('readiness, %s: not ready, says why', (_what, report, server, said) => {
    const s = reported(report, server);
    const r = s.probe('readiness');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(said);
  });

  test('readiness, the agent\'s last report is older than AGENT_STALE_SECONDS: not ready, without asking mysqld', () => {
    const s = reported(`ready ${UUID_NOW} primary\n`, `${UUID_NOW}\t0\t-\t-\n`);
    age(s, 200);
    const r = s.probe('readiness');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^not ready: the agent's last report is 20[01]s old \(is the agent container running\?\)\n$/);
    expect(r.log).toBe('');
  });

  test('readiness, mysqld does not answer on its socket: not ready', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    fs.writeFileSync(s.path('var/run/mysqld/agent.state'), `ready ${UUID_NOW} primary\n`);
    const r = s.probe('readiness');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('not ready: mysqld does not answer on its socket\n');
  });

  test('readiness reads what the agent wrote: the primary it opened is ready, and not once mysqld restarted', async () => {
    const s = running({ replicas: 1 }, 'mysql-0');
    s.setEvidence({ 'mysql-0': 'holds-data' });
    s.sql('local', exact(READINESS), { out: `${UUID_NOW}\t{{super_read_only}}\t-\t-\n` });
    expect((await s.agent().look()).state).toBe(state('ready primary'));
    expect(s.probe('readiness').status).toBe(0);
    s.serving();
    expect(s.probe('readiness').stdout).toBe('not ready: read-only (super_read_only=1)\n');
  });

  test.each([
    ['no report yet (the agent writes at its first look)', undefined, 0, 0, ''],
    ['a fresh report', 'not-ready none mysqld does not answer on its socket yet\n', 10, 0, ''],
    ['a report older than AGENT_LIVENESS_SECONDS', `ready ${UUID_NOW} primary\n`, 400, 1, /^the agent has not reported for 40[01]s\n$/],
  ])('the agent container\'s liveness, %s', (_what, report, seconds, status, said) => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    if (report !== undefined) {
      fs.writeFileSync(s.path('var/run/mysqld/agent.state'), report);
      age(s, seconds);
    }
    const r = s.probe('agent');
    expect(r.status).toBe(status);
    if (typeof said === 'string') expect(r.stdout).toBe(said);
    else expect(r.stdout).toMatch(said);
    expect(r.log).toBe('');
  });

  test('an unknown probe is a usage error', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    const r = s.exec('mysql', ['bash', '/etc/cdk8s-mysql/probe.sh', 'sideways']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('probe.sh: ERROR: usage: probe.sh startup|liveness|readiness|agent|pre-stop\n');
  });
});

describe('the stand-ins behave as the real programs where the scripts could tell', () => {
  const rootCnf = `<(printf '[client]\\nuser="root"\\npassword="${ROOT_PASSWORD}"\\n')`;

  test('mysql --batch --skip-column-names --vertical prints no field names; --column-names after it does', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.serving();
    s.sql('local', 'SHOW REPLICA STATUS', { rows: [{ Replica_IO_Running: 'Yes', Seconds_Behind_Source: 'NULL' }] });
    const run = (options: string) => s.shell('mysql', `mysql --defaults-file=${rootCnf} --socket="$MYSQL_SOCKET" ${options} <<<'SHOW REPLICA STATUS;'`).stdout;
    const row = '*************************** 1. row ***************************\n';
    expect(run('--batch --skip-column-names --vertical')).toBe(`${row}Yes\nNULL\n`);
    expect(run('--batch --skip-column-names --vertical --column-names')).toBe(`${row}   Replica_IO_Running: Yes\nSeconds_Behind_Source: NULL\n`);
    expect(run('--batch --skip-column-names')).toBe('Yes\tNULL\n');
  });

  test('an option file password is read as MySQL reads it; a wrong one is denied; --defaults-file must come first', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.serving();
    fs.writeFileSync(s.path('var/lib/mysql/data/.fake-root-password'), String.raw`a"b\n 'd`);
    const login = (password: string, first = true) => s.shell('mysql', first
      ? `mysql --defaults-file=<(printf '%s\\n' '[client]' 'user="root"' ${JSON.stringify(`password="${password}"`)}) --socket="$MYSQL_SOCKET" <<<'SELECT 1;'`
      : `mysql --socket="$MYSQL_SOCKET" --defaults-file=<(printf '%s\\n' '[client]' 'user="root"') <<<'SELECT 1;'`);
    expect(login(String.raw`a\"b\\n 'd`).status).toBe(0);
    // Unescaped, "\n" is a newline to MySQL: another password.
    const denied = login(String.raw`a"b\n 'd`);
    expect(denied.status).toBe(1);
    expect(denied.stderr).toContain('ERROR 1045 (28000)');
    const misplaced = login('', false);
    expect(misplaced.status).toBe(7);
    expect(misplaced.stderr).toContain('mysql: [ERROR] unknown variable \'defaults-file=');
  });

  test('mysql --batch prints a GTID set as the server holds it, newlines as a literal "\\n"; REPLACE(..., \'\\n\', \'\') puts it on one line; --vertical prints it raw', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.serving();
    const set = gtidSet(`${UUID_A}:1-100`, `${UUID_B}:1-5`);
    s.sql('local', 'gtid_executed', { rows: [{ Executed: set, read_only: '1', Note: 'a\tb\\c' }] });
    const run = (options: string, sql: string) => s.shell('mysql', `mysql --defaults-file=${rootCnf} --socket="$MYSQL_SOCKET" ${options} <<'SQL'\n${sql}\nSQL`);
    expect(run('--batch --skip-column-names', 'SELECT @@GLOBAL.gtid_executed, @@GLOBAL.read_only, @@GLOBAL.version_comment;').stdout)
      .toBe(`${UUID_A}:1-100,\\n${UUID_B}:1-5\t1\ta\\tb\\\\c\n`);
    expect(run('--batch --skip-column-names', 'SELECT REPLACE(@@GLOBAL.gtid_executed, \'\\n\', \'\'), @@GLOBAL.read_only, REPLACE(@@GLOBAL.version_comment, \'b\', \'B\');').stdout)
      .toBe(`${UUID_A}:1-100,${UUID_B}:1-5\t1\ta\\tB\\\\c\n`);
    expect(run('--batch --skip-column-names --vertical --column-names', 'SELECT @@GLOBAL.gtid_executed, @@GLOBAL.read_only, @@GLOBAL.version_comment;').stdout)
      .toBe(`*************************** 1. row ***************************\n Executed: ${set}\nread_only: 1\n     Note: a\tb\\c\n`);
  });

  test('GTID_SUBSET / GTID_SUBTRACT reject a set with the literal "\\n" of a raw read (ERROR 1772, as MySQL 9.7 does); a real newline is whitespace', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.serving();
    s.sql('local', 'GTID_', { out: '1\n' });
    const run = (sql: string) => s.shell('mysql', `mysql --defaults-file=${rootCnf} --socket="$MYSQL_SOCKET" --batch --skip-column-names <<'SQL'\n${sql}\nSQL`);
    // What the scripts would send had they read the set raw: sql_string doubles the backslash.
    const raw = run(`SELECT GTID_SUBSET('${UUID_A}:1-100,\\\\n${UUID_B}:1-5', REPLACE(@@GLOBAL.gtid_executed, '\\n', ''));`);
    expect(raw.status).toBe(1);
    expect(raw.stdout).toBe('');
    expect(raw.stderr).toBe(`ERROR 1772 (HY000) at line 1: Malformed GTID set specification '${UUID_A}:1-100,\\n${UUID_B}:1-5'.\n`);
    const second = run(`SELECT GTID_SUBTRACT('${UUID_A}:1-100', 'mysql: [Warning] ${UUID_B}:1-5');`);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('ERROR 1772 (HY000)');
    expect(run(`SELECT GTID_SUBSET('${UUID_A}:1-100,\\n${UUID_B}:1-5', '');`).stdout).toBe('1\n');
    expect(run(`SELECT GTID_SUBSET('${UUID_A}:1-100,${UUID_B}:1-5:7', '${UUID_A}:tag:1-3');`).stdout).toBe('1\n');
  });

  test('super_read_only refuses account changes (ERROR 1290); SET GLOBAL couples read_only and super_read_only as MySQL does', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.serving();
    const run = (sql: string) => s.shell('mysql', `mysql --defaults-file=${rootCnf} --socket="$MYSQL_SOCKET" <<<${JSON.stringify(sql)}`);
    const refused = run('CREATE USER \'x\'@\'%\' IDENTIFIED BY \'y\';');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe('ERROR 1290 (HY000) at line 1: The MySQL server is running with the --super-read-only option so it cannot execute this statement\n');
    // read_only OFF turns super_read_only off too; super_read_only ON turns read_only on too.
    expect(run('SET GLOBAL read_only = OFF;').status).toBe(0);
    expect(s.serverVars()).toEqual({ read_only: 'OFF', super_read_only: 'OFF' });
    expect(run('CREATE USER \'x\'@\'%\' IDENTIFIED BY \'y\';').status).toBe(0);
    expect(run('SET GLOBAL super_read_only = ON;').status).toBe(0);
    expect(s.serverVars()).toEqual({ read_only: 'ON', super_read_only: 'ON' });
  });

  test('mysqld --initialize-insecure refuses a data directory with files in it', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    fs.mkdirSync(s.path('var/lib/mysql/x'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/x/ibdata1'), '');
    const r = s.shell('bootstrap', 'mysqld --no-defaults --datadir="$DATA_ROOT/x" --initialize-insecure');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--initialize specified but the data directory has files in it. Aborting.');
  });

  describe('the API server', () => {
    // (as the scripts call it: with a User-Agent of their own)
    const curl = (s: PodSandbox, args: string) => s.shell('bootstrap',
      `curl --silent --show-error --user-agent cdk8s-stateful-mysql --cacert "$SA_DIR/ca.crt" --write-out '\\n%{http_code}' --header @<(printf 'Authorization: Bearer %s\\n' "$(<"$SA_DIR/token")") ${args}`);
    const url = (apiPath: string) => `"https://$KUBERNETES_SERVICE_HOST:443${apiPath}"`;

    test('GET: the object as stored; a missing one is HTTP 404 with a NotFound Status', () => {
      const s = pod({ replicas: 3 }, 'mysql-0');
      const found = curl(s, `-X GET ${url(STATEFULSET_PATH)}`);
      const [body, code] = found.stdout.split('\n');
      expect(code).toBe('200');
      expect(JSON.parse(body).metadata.annotations[PRIMARY_ANNOTATION]).toBe('0');
      const missing = curl(s, `-X GET ${url(podPath(2))}`).stdout;
      expect(missing).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"mysql-2\\" not found","reason":"NotFound","details":{"name":"mysql-2","kind":"pods"},"code":404}\n404');
    });

    test('a Ready pod\'s condition as the API server serializes it', () => {
      const s = pod({ replicas: 3 }, 'mysql-0');
      s.setPod(1, 'ready');
      s.setPod(2, 'not-ready');
      expect(curl(s, `-X GET ${url(podPath(1))}`).stdout).toContain('{"type":"Ready","observedGeneration":1,"status":"True","lastProbeTime":null,"lastTransitionTime":"2026-03-02T09:15:31Z"}');
      expect(curl(s, `-X GET ${url(podPath(2))}`).stdout).toContain('{"type":"Ready","observedGeneration":1,"status":"False","lastProbeTime":null,"lastTransitionTime":"2026-03-02T09:15:31Z","reason":"ContainersNotReady","message":"containers with unready status: [mysql]"}');
    });

    test('curl\'s own User-Agent gets pretty-printed JSON, as from the real API server: a condition no longer fits on one line', () => {
      const s = pod({ replicas: 3 }, 'mysql-0');
      s.setPod(1, 'ready');
      const pretty = s.shell('bootstrap',
        `curl --silent --cacert "$SA_DIR/ca.crt" --header @<(printf 'Authorization: Bearer %s\\n' "$(<"$SA_DIR/token")") "https://$KUBERNETES_SERVICE_HOST:443${podPath(1)}"`).stdout;
      expect(pretty).toContain('{\n  "kind": "Pod",');
      expect(pretty).toMatch(/"type": "Ready",\n *"observedGeneration": 1,\n *"status": "True",/);
      // what the scripts read a member's readiness with (lib.sh member_pod): Ready, through the scripts' own User-Agent
      expect(s.shell('bootstrap', `. "$CDK8S_MYSQL_DIR/lib.sh"; member_pod 1`).stdout).toBe('ready\n');
    });

    test('a wrong token is HTTP 401; what the Role does not allow is HTTP 403 with a Forbidden Status naming the service account', () => {
      const s = pod({ replicas: 3 }, 'mysql-0');
      fs.writeFileSync(s.path('var/run/secrets/kubernetes.io/serviceaccount/token'), 'stale');
      expect(curl(s, `-X GET ${url(STATEFULSET_PATH)}`).stdout).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n401');
      const t = pod({ replicas: 3 }, 'mysql-0');
      expect(curl(t, `-X GET ${url('/api/v1/namespaces/mysql/secrets/mysql-credentials')}`).stdout).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \\"mysql-credentials\\" is forbidden: User \\"system:serviceaccount:mysql:mysql\\" cannot get resource \\"secrets\\" in API group \\"\\" in the namespace \\"mysql\\"","reason":"Forbidden","details":{"name":"mysql-credentials","kind":"secrets"},"code":403}\n403');
      expect(curl(t, `-X PATCH --header 'Content-Type: application/merge-patch+json' --data '{}' ${url(STATEFULSET_PATH)}`).stdout).toMatch(/"reason":"Forbidden".*\n403$/);
    });

    test('PATCH merges as RFC 7386 (null deletes a key, objects merge), moves the resourceVersion on; another content type is HTTP 415', () => {
      const s = pod({ replicas: 3 }, 'mysql-0');
      s.setEvidence({ 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
      const patchIt = (type: string, body: string) => curl(s, `-X PATCH --header 'Content-Type: ${type}' --data '${body}' ${url(MEMBERS_PATH)}`).stdout;
      const merged = patchIt('application/merge-patch+json', '{"data":{"mysql-0":"holds-data","mysql-2":null}}');
      expect(merged.endsWith('\n200')).toBe(true);
      expect(s.evidence()).toEqual({ 'mysql-1': 'holds-data', 'mysql-0': 'holds-data' });
      expect(s.apiObject(MEMBERS_PATH).metadata.resourceVersion).toBe('40214');
      expect(s.apiObject(MEMBERS_PATH).metadata.annotations['cdk8s-stateful.io/purpose']).toContain('do not edit');
      expect(patchIt('application/json-patch+json', '[]')).toMatch(/"reason":"UnsupportedMediaType".*\n415$/);
    });

    test('it is reached only where the kubelet puts it: no CA file is curl exit 77, as curl does', () => {
      const s = pod({ replicas: 3 }, 'mysql-0');
      fs.rmSync(s.path('var/run/secrets/kubernetes.io/serviceaccount/ca.crt'));
      const r = curl(s, `-X GET ${url(STATEFULSET_PATH)}`);
      expect(r.status).toBe(77);
      // (--write-out is printed all the same, with http_code 000.)
      expect(r.stdout).toBe('\n000');
    });
  });
});

describe('the scripts', () => {
  const dir = path.join(__dirname, '../../src/mysql/scripts');
  const scripts = fs.readdirSync(dir).filter((f) => f.endsWith('.sh')).sort();

  test.each(scripts)('%s uses no syntax MySQL 8.4 removed', (file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    expect(text).not.toMatch(/CHANGE MASTER|START SLAVE|STOP SLAVE|SHOW SLAVE|RESET SLAVE|SHOW MASTER|RESET MASTER|\bMASTER_[A-Z_]+|SOURCE_LOG_FILE|MASTER_AUTO_POSITION/);
  });

  test('the ConfigMap ships every script verbatim', () => {
    expect([...SCRIPT_FILES].sort()).toEqual(scripts);
    const s = pod({ replicas: 3, replication: MySqlReplication.groupReplication(), credentials: MySqlCredentials.fromGeneratedSecret() }, 'mysql-0');
    for (const file of scripts) expect(s.read(`etc/cdk8s-mysql/${file}`)).toBe(fs.readFileSync(path.join(dir, file), 'utf8'));
    // Group Replication's part only for a group, the credentials Job's only with it.
    expect(pod({ replicas: 3 }, 'mysql-1').list('etc/cdk8s-mysql')).not.toContain('group.sh');
    expect(pod({ replicas: 3 }, 'mysql-1').list('etc/cdk8s-mysql')).not.toContain('generate-credentials.sh');
  });
});
