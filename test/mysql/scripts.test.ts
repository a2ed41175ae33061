/**
 * The pod scripts of ReplicatedMySql (init-config.sh, bootstrap.sh, probe.sh) run for real under
 * bash, with stand-ins for mysql, mysqld, mysqladmin and the API server (harness.ts). The
 * expected logs are written from what the scripts must send (MySQL 8.4/9.7 syntax, the API
 * server's paths), not copied from a run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'cdk8s';
import {
  EmptyPrimaryPolicy, ReplicatedMySqlProps,
} from '../../src';
import { SCRIPT_FILES } from '../../src/mysql/scripts';
import {
  claimList, exact, gtidSet, PodOptions, PodSandbox, REPLICATION_PASSWORD, ROOT_PASSWORD, TOKEN,
} from './harness';

const host = (ordinal: number) => `mysql-${ordinal}.mysql.mysql.svc.cluster.local`;
const UUID_A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const UUID_B = '8a94f357-aab4-11df-86ab-c80aa9429562';

// --- what the stand-ins record ---------------------------------------------------------------

const DATA_ROOT = '$ROOT/var/lib/mysql';
const BOOT = `${DATA_ROOT}/.bootstrap`;
const SOCK = `${BOOT}/mysqld.sock`;
const CNF = '$ROOT/etc/mysql/conf.d/mysqld.cnf';
/** Every temporary mysqld: no network, no replication, the real server's buffer pool dump left alone. */
const TEMP = `--socket=${SOCK} --pid-file=${SOCK}.pid --skip-networking --mysqlx=OFF --skip-replica-start --innodb-buffer-pool-dump-at-shutdown=OFF --innodb-buffer-pool-load-at-startup=OFF`;

const asRoot = (password = ROOT_PASSWORD) => `--defaults-file={user="root" password="${password}"}`;
/** SQL as root on the temporary server (the password as the [client] option file spells it). */
const local = (sql: string, password?: string) => `-- mysql ${asRoot(password)} --socket=${SOCK} --batch --skip-column-names\n${sql}\n`;
/** SQL as root of a new data directory (no password yet). */
const noPassword = (sql: string) => `-- mysql ${asRoot('')} --socket=${SOCK}\n${sql}\n`;
/** SQL on a peer as the replication user, over TLS. */
const onPeer = (ordinal: number, sql: string, password = REPLICATION_PASSWORD) =>
  `-- mysql --defaults-file={user="repl" password="${password}"} --host=${host(ordinal)} --port=3306 --ssl-mode=REQUIRED --connect-timeout=5 --batch --skip-column-names\n${sql}\n`;
const mysqld = (args: string) => `-- mysqld ${args}\n`;
const temp = (args: string) => `-- mysqld ${args} ${TEMP}\n`;
const stopped = (datadir: string) => `-- mysqld stopped (datadir ${datadir})\n`;

const CLAIMS = '/api/v1/namespaces/mysql/persistentvolumeclaims';
const SELECTOR = 'app.kubernetes.io%2Finstance%3Dmysql%2Capp.kubernetes.io%2Fname%3Dmysql%2Cmysql.cdk8s-stateful.io%2Fholds-data%3Dtrue';
const LIST_PATH = `${CLAIMS}?labelSelector=${SELECTOR}`;
const listLabelled = (api = '10.96.0.1') => `-- curl GET https://${api}:443${LIST_PATH}\nAuthorization: Bearer ${TOKEN}\n`;
const labelClaim = (pod: string) => `-- curl PATCH https://10.96.0.1:443${CLAIMS}/data-${pod}
Content-Type: application/merge-patch+json
Authorization: Bearer ${TOKEN}
{"metadata":{"labels":{"mysql.cdk8s-stateful.io/holds-data":"true"}}}
`;

// --- the SQL -------------------------------------------------------------------------------

const CHANNEL = "SELECT HOST FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = '';";
const ACCOUNTS = "SELECT CONCAT(user, '@', host) FROM mysql.user;\nSELECT CONCAT('schema:', schema_name) FROM information_schema.schemata;";
/** A GTID set in SQL, on one line (lib.sh GTID_EXECUTED): mysql --batch prints the newlines between its UUIDs as "\n". */
const GTID_EXECUTED = "REPLACE(@@GLOBAL.gtid_executed, '\\n', '')";
const GTIDS = `SELECT ${GTID_EXECUTED};`;
/** A server's answer to GTIDS: the set as the server holds it; the stand-in prints it as mysql does. */
const gtids = (set: string) => ({ rows: [{ gtid_executed: set }] });
const replAccount = (quoted = "'repl-pw'") => `CREATE USER 'repl'@'%' IDENTIFIED BY ${quoted} REQUIRE SSL;
GRANT REPLICATION SLAVE, BACKUP_ADMIN ON *.* TO 'repl'@'%';`;
const DATABASE = 'CREATE DATABASE `shop`;';
const appAccount = (quoted = "'app-pw'") => `CREATE USER 'shop'@'%' IDENTIFIED BY ${quoted};
GRANT ALL PRIVILEGES ON \`shop\`.* TO 'shop'@'%';`;
const exporterAccount = (quoted = "'exp-pw'") => `CREATE USER 'exporter'@'localhost' IDENTIFIED BY ${quoted} WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO 'exporter'@'localhost';`;
/** The channel to the primary; with a host when it is (re)pointed, credentials only otherwise. */
const changeSource = (primary?: number, quoted = `'${REPLICATION_PASSWORD}'`) =>
  `CHANGE REPLICATION SOURCE TO ${primary === undefined ? '' : `SOURCE_HOST = '${host(primary)}', SOURCE_PORT = 3306, SOURCE_AUTO_POSITION = 1,`}
  SOURCE_USER = 'repl',
  SOURCE_PASSWORD = ${quoted},
  SOURCE_SSL = 1,
  SOURCE_CONNECT_RETRY = 10,
  SOURCE_RETRY_COUNT = 0,
  SOURCE_HEARTBEAT_PERIOD = 5;`;

/** What a new data directory's mysql.user and schemata hold. */
const FRESH_ACCOUNTS = `mysql.infoschema@localhost
mysql.session@localhost
mysql.sys@localhost
root@localhost
schema:mysql
schema:information_schema
schema:performance_schema
schema:sys
`;
const ALL_ACCOUNTS = `${FRESH_ACCOUNTS}repl@%\nshop@%\nexporter@localhost\nschema:shop\n`;

// --- the steps -------------------------------------------------------------------------------

function initSteps(accounts: string, options: { initSql?: string; rootQuoted?: string; rootOption?: string } = {}): string {
  const password = options.rootOption ?? ROOT_PASSWORD;
  return mysqld(`--defaults-file=${CNF} --datadir=${BOOT}/data --initialize-insecure`)
    + temp(`--defaults-file=${CNF} --datadir=${BOOT}/data`)
    + noPassword(`ALTER USER 'root'@'localhost' IDENTIFIED BY ${options.rootQuoted ?? `'${ROOT_PASSWORD}'`};`)
    + local(ACCOUNTS, password)
    + local(accounts, password)
    + (options.initSql ? local(options.initSql, password) : '')
    + stopped(`${BOOT}/data`);
}

const RECIPIENT = `${BOOT}/recipient`;
const RECIPIENT_UP = mysqld(`--no-defaults --datadir=${RECIPIENT} --initialize-insecure --innodb-buffer-pool-size=32M --innodb-redo-log-capacity=8M`)
  + temp(`--no-defaults --datadir=${RECIPIENT} --tmpdir=${DATA_ROOT}/tmp --secure-file-priv=${DATA_ROOT}/files --plugin-load-add=mysql_clone.so --innodb-buffer-pool-size=32M --skip-log-bin`);
const RECIPIENT_DOWN = stopped(RECIPIENT);
const askDonor = (ordinal: number, password?: string) => onPeer(ordinal, 'SELECT 1;', password);
const cloneFrom = (ordinal: number, quoted = `'${REPLICATION_PASSWORD}'`) => noPassword(`SET GLOBAL clone_valid_donor_list = '${host(ordinal)}:3306';
CLONE INSTANCE FROM 'repl'@'${host(ordinal)}':3306 IDENTIFIED BY ${quoted}
  DATA DIRECTORY = '${BOOT}/clone' REQUIRE SSL;`);
/** The clone, started without network, pointed at the primary. */
const pointClone = (primary: number, quoted?: string) => temp(`--defaults-file=${CNF} --datadir=${BOOT}/clone`)
  + local('RESET REPLICA ALL;') + local(changeSource(primary, quoted)) + stopped(`${BOOT}/clone`);

const RECONCILE_UP = temp(`--defaults-file=${CNF}`);
const RECONCILE_DOWN = stopped(`${DATA_ROOT}/data`);

/** The log split into its entries (each starts with "-- "). */
const entries = (log: string) => log.split(/^(?=-- )/m).filter(Boolean);

let sandboxes: PodSandbox[] = [];
function pod(props: ReplicatedMySqlProps, podName: string, options?: PodOptions): PodSandbox {
  const s = new PodSandbox(props, podName, options);
  sandboxes.push(s);
  return s;
}
afterEach(() => {
  sandboxes.forEach(s => s.dispose());
  sandboxes = [];
});

const FULL: ReplicatedMySqlProps = { replicas: 3, database: { name: 'shop', user: 'shop' }, metrics: {}, initSql: 'CREATE TABLE shop.t (id INT PRIMARY KEY);' };

// ---------------------------------------------------------------------------------------------

describe('init-config.sh', () => {
  const cnf = (s: PodSandbox, role: string, ordinal: number, serverId: number, ip: string) =>
    `${s.read('etc/cdk8s-mysql/common.cnf')}\n${s.read(`etc/cdk8s-mysql/${role}.cnf`)}\n# Written by init-config.sh for mysql-${ordinal} (${role}).
[mysqld]
server_id = ${serverId}
report_host = ${host(ordinal)}
report_port = 3306
bind_address = ${ip}
`;

  test.each([
    [0, 'primary', 100],
    [1, 'replica', 101],
    [2, 'replica', 102],
  ])('ordinal %d: the %s configuration, server_id %d, its DNS name, its pod IP', (ordinal, role, serverId) => {
    const s = pod({ replicas: 3 }, `mysql-${ordinal}`);
    const r = s.initConfig();
    expect(r.status).toBe(0);
    expect(r.log).toBe('');
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toBe(cnf(s, role, ordinal, serverId, `10.244.0.${10 + ordinal}`));
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toContain(role === 'primary' ? 'super_read_only = OFF' : 'super_read_only = ON');
    expect(r.stderr).toBe(`init-config.sh: mysql-${ordinal}: role ${role}, server_id ${serverId}, report_host ${host(ordinal)}\n`);
  });

  test('bind_address is the pod IP (IPv6 too); a server id base, a moved primary', () => {
    const s = pod({ replicas: 3, serverIdBase: 2000, primaryOrdinal: 2 }, 'mysql-2', { podIP: 'fd00:10:244::7' });
    expect(s.initConfig().status).toBe(0);
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toBe(cnf(s, 'primary', 2, 2002, 'fd00:10:244::7'));
  });

  test('startOrdinal: the first member is the primary, server_id counts from its ordinal', () => {
    const s = pod({ replicas: 2, startOrdinal: 3 }, 'mysql-3');
    expect(s.initConfig().status).toBe(0);
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toBe(cnf(s, 'primary', 3, 103, '10.244.0.13'));
  });

  test('a restart writes the same file again (idempotent), and nothing else', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    expect(s.initConfig().status).toBe(0);
    const first = s.read('etc/mysql/conf.d/mysqld.cnf');
    expect(s.initConfig().status).toBe(0);
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toBe(first);
    expect(s.list('etc/mysql/conf.d')).toEqual(['mysqld.cnf']);
  });

  test('a pod name without an ordinal, or no pod IP, is refused', () => {
    const s = pod({ replicas: 3 }, 'mysql');
    const r = s.initConfig();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ERROR: cannot read an ordinal from pod name 'mysql'");
    const t = pod({ replicas: 3 }, 'mysql-0');
    const u = t.initConfig({ POD_IP: '' });
    expect(u.status).toBe(1);
    expect(u.stderr).toContain('POD_IP is not set');
    expect(t.exists('etc/mysql/conf.d/mysqld.cnf')).toBe(false);
  });
});

describe('bootstrap.sh: a new primary', () => {
  test('no other member holds data: initializes (root, accounts, database, exporter, initSql), renames into place, labels its claim', () => {
    const s = pod(FULL, 'mysql-0');
    s.sql('local', exact(ACCOUNTS), { out: FRESH_ACCOUNTS });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(listLabelled()
      + initSteps(`${replAccount()}\n${DATABASE}\n${appAccount()}\n${exporterAccount()}`, { initSql: 'CREATE TABLE shop.t (id INT PRIMARY KEY);' })
      + labelClaim('mysql-0'));
    expect(s.list('var/lib/mysql')).toEqual(['.holds-data-labelled', 'data', 'files', 'tmp']);
    expect(s.exists('var/lib/mysql/data/mysql.ibd')).toBe(true);
    expect(r.stderr).toContain('mysql-0: no other member holds data: this is a new cluster');
    expect(r.stderr).toContain(`mysql-0: initialized a new cluster; ${host(0)} is its primary`);
    expect(r.stderr).toContain('mysql-0: labelled claim data-mysql-0 mysql.cdk8s-stateful.io/holds-data=true');
    // The log names what it creates (each statement once, no empty one), never a password.
    expect(r.stderr).toContain("\nbootstrap.sh: mysql-0: creating: CREATE USER 'repl'@'%';CREATE DATABASE `shop`;CREATE USER 'shop'@'%';CREATE USER 'exporter'@'localhost';\n");
    expect(r.stderr).not.toMatch(/repl-pw|app-pw|exp-pw|r00t-pw/);
  });

  test('a single instance without database, metrics or initSql: root and the replication account only', () => {
    const s = pod({ replicas: 1 }, 'mysql-0');
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(listLabelled() + initSteps(replAccount()) + labelClaim('mysql-0'));
    expect(r.stderr).toContain("\nbootstrap.sh: mysql-0: creating: CREATE USER 'repl'@'%';\n");
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

  test('reading the existing accounts fails: dies before creating any, the directory is discarded', () => {
    const s = pod(FULL, 'mysql-0');
    const err = "ERROR 1142 (42000) at line 1: SELECT command denied to user 'root'@'localhost' for table 'user'";
    s.sql('local', exact(ACCOUNTS), { exit: 1, err });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(listLabelled() + mysqld(`--defaults-file=${CNF} --datadir=${BOOT}/data --initialize-insecure`)
      + temp(`--defaults-file=${CNF} --datadir=${BOOT}/data`)
      + noPassword(`ALTER USER 'root'@'localhost' IDENTIFIED BY '${ROOT_PASSWORD}';`)
      + local(ACCOUNTS) + stopped(`${BOOT}/data`));
    expect(r.stderr).toContain(`\n${err}\nbootstrap.sh: ERROR: could not read the existing accounts and databases\n`);
    expect(r.stderr).not.toContain('creating:');
    expect(s.exists('var/lib/mysql/data')).toBe(false);
    expect(s.exists('var/lib/mysql/.holds-data-labelled')).toBe(false);
  });

  test('only its own claim is labelled (its volume was replaced): still a new cluster', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.api('GET', 'labelSelector=', { out: claimList(['data-mysql-0']) });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(s.exists('var/lib/mysql/data/mysql.ibd')).toBe(true);
  });

  test('other members hold data (labelled claims): refuses, names them and the ways out, changes nothing', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.api('GET', 'labelSelector=', { out: claimList(['data-mysql-2', 'data-mysql-1', 'data-mysql-0']) });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(listLabelled());
    expect(r.stderr).toBe(`bootstrap.sh: ERROR: the primary's data directory (${DATA_ROOT}/data) is empty, but other members hold data (their claims data-mysql-N are labelled mysql.cdk8s-stateful.io/holds-data=true, ordinals 1 2).
Initializing an empty primary now would fork the cluster: clients would write into an empty
database while the other members hold the data. Nothing was changed. To recover:
  - promote the most advanced replica (README: 'Failover'): set primaryOrdinal
    to it and apply; this member then re-clones from it as a replica;
  - or restore this volume from a backup and restart the pod;
  - or, to discard the other members' data and start a NEW, EMPTY cluster on purpose, delete their
    PersistentVolumeClaims (kubectl -n mysql get pvc -l app.kubernetes.io/instance=mysql,app.kubernetes.io/name=mysql
    lists them; delete every one but data-mysql-0), or set emptyPrimary: EmptyPrimaryPolicy.INITIALIZE_ANYWAY
`);
    expect(s.list('var/lib/mysql')).toEqual(['files', 'tmp']);
  });

  test('a claim left by a scale-in counts too', () => {
    const s = pod({ replicas: 2 }, 'mysql-0');
    s.api('GET', 'labelSelector=', { out: claimList(['data-mysql-4']) });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('are labelled mysql.cdk8s-stateful.io/holds-data=true, ordinals 4)');
  });

  test('emptyPrimary REFUSE: refuses without asking anyone; the pod has no token', () => {
    const s = pod({ replicas: 3, emptyPrimary: EmptyPrimaryPolicy.REFUSE }, 'mysql-0');
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe('');
    // (Without the API server's Role the bootstrap has no CLAIM_SELECTOR: the claims are named by instance.)
    expect(r.stderr).toBe(`bootstrap.sh: ERROR: the primary's data directory (${DATA_ROOT}/data) is empty, but emptyPrimary is EmptyPrimaryPolicy.REFUSE.
Initializing an empty primary now would fork the cluster: clients would write into an empty
database while the other members hold the data. Nothing was changed. To recover:
  - promote the most advanced replica (README: 'Failover'): set primaryOrdinal
    to it and apply; this member then re-clones from it as a replica;
  - or restore this volume from a backup and restart the pod;
  - or, to discard the other members' data and start a NEW, EMPTY cluster on purpose, delete their
    PersistentVolumeClaims (kubectl -n mysql get pvc -l app.kubernetes.io/instance=mysql,app.kubernetes.io/name=mysql
    lists them; delete every one but data-mysql-0), or set emptyPrimary: EmptyPrimaryPolicy.INITIALIZE_ANYWAY
`);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
    expect(s.exists('var/run/secrets/kubernetes.io/serviceaccount/token')).toBe(false);
  });

  test('emptyPrimary INITIALIZE_ANYWAY: initializes with a warning, asks and labels nothing', () => {
    const s = pod({ replicas: 3, emptyPrimary: EmptyPrimaryPolicy.INITIALIZE_ANYWAY }, 'mysql-0');
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(initSteps(replAccount()));
    expect(r.stderr).toContain("mysql-0: WARNING: emptyPrimary is INITIALIZE_ANYWAY: initializing without checking for other members' data");
    expect(s.exists('var/lib/mysql/.holds-data-labelled')).toBe(false);
  });

  test('an unknown EMPTY_PRIMARY is refused', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    const r = s.bootstrap({ EMPTY_PRIMARY: 'sometimes' });
    expect(r.status).toBe(1);
    expect(r.log).toBe('');
    expect(r.stderr).toContain("ERROR: EMPTY_PRIMARY must be when-new, refuse or always (is 'sometimes')");
  });

  const RETRY = 'ERROR: cannot ask the API server which members hold data; the pod restarts and retries';
  test('the API server refuses (HTTP 403): fails closed, naming the Role and the service account', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.api('GET', 'labelSelector=', {
      status: 403,
      out: '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"persistentvolumeclaims is forbidden: User \\"system:serviceaccount:mysql:mysql\\" cannot list resource \\"persistentvolumeclaims\\" in API group \\"\\" in the namespace \\"mysql\\"","reason":"Forbidden","code":403}',
    });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(listLabelled());
    expect(r.stderr).toBe(`bootstrap.sh: the API server refused GET ${LIST_PATH} (HTTP 403): the Role and RoleBinding 'mysql-bootstrap' (emitted by ReplicatedMySql) must exist for service account 'mysql'
bootstrap.sh: ${RETRY}
`);
    expect(s.list('var/lib/mysql')).toEqual(['files', 'tmp']);
  });

  test('the API server rejects the token (HTTP 401): fails closed, naming the token, not the Role', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.api('GET', 'labelSelector=', { status: 401, out: '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}' });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(listLabelled());
    expect(r.stderr).toBe(`bootstrap.sh: the API server rejected the pod's service account token for GET ${LIST_PATH} (HTTP 401)
bootstrap.sh: ${RETRY}
`);
    expect(s.list('var/lib/mysql')).toEqual(['files', 'tmp']);
  });

  test('the API server fails (HTTP 500): fails closed with the status and the start of the body', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    const body = `{"kind":"Status","status":"Failure","message":"etcdserver: request timed out ${'x'.repeat(400)}","code":500}`;
    s.api('GET', 'labelSelector=', { status: 500, out: body });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`bootstrap.sh: the API server answered HTTP 500 to GET ${LIST_PATH}: ${body.slice(0, 300)}\nbootstrap.sh: ${RETRY}\n`);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test.each([
    ['unreachable', 7, "curl: (7) Failed to connect to 10.96.0.1 port 443 after 0 ms: Couldn't connect to server"],
    ['timing out', 28, 'curl: (28) Operation timed out after 10001 milliseconds with 0 bytes received'],
  ])('the API server %s: fails closed', (_what, exit, err) => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.api('GET', 'labelSelector=', { exit, err });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(listLabelled());
    expect(r.stderr).toBe(`${err}\nbootstrap.sh: cannot reach the API server at 10.96.0.1\nbootstrap.sh: ${RETRY}\n`);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('no token or no CA in the projected volume: fails closed', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    fs.rmSync(s.path('var/run/secrets/kubernetes.io/serviceaccount/token'));
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe('');
    expect(r.stderr).toContain('ERROR: no service account token at $ROOT/var/run/secrets/kubernetes.io/serviceaccount: cannot reach the API server');
    expect(r.stderr).toContain(RETRY);

    const t = pod({ replicas: 3 }, 'mysql-0');
    fs.rmSync(t.path('var/run/secrets/kubernetes.io/serviceaccount/ca.crt'));
    const u = t.bootstrap();
    expect(u.status).toBe(1);
    expect(u.stderr).toContain('curl: (77) error setting certificate file: $ROOT/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
    expect(t.exists('var/lib/mysql/data')).toBe(false);
  });

  test('an IPv6 API server address is bracketed in the URL', () => {
    const s = pod({ replicas: 3 }, 'mysql-0', { apiHost: 'fd00:10:96::1' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(entries(r.log)[0]).toBe(listLabelled('[fd00:10:96::1]'));
  });

  test('labelling the claim is refused: fails after initializing; the next start keeps the data and labels it', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.api('PATCH', 'data-mysql-0', { status: 403, out: '{"kind":"Status","code":403}', times: 1 });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the API server refused PATCH ${CLAIMS}/data-mysql-0 (HTTP 403): the Role and RoleBinding 'mysql-bootstrap'`);
    expect(r.stderr).toContain("ERROR: could not label claim data-mysql-0 as holding data (the Role 'mysql-bootstrap' lists the claims of the members the manifest declares: scale by changing replicas in the manifest, not with kubectl scale); the pod restarts and retries");
    expect(s.exists('var/lib/mysql/data/mysql.ibd')).toBe(true);
    expect(s.exists('var/lib/mysql/.holds-data-labelled')).toBe(false);

    s.sql('local', exact(ACCOUNTS), { out: `${FRESH_ACCOUNTS}repl@%\n` });
    const again = s.bootstrap();
    expect(again.status).toBe(0);
    expect(again.log).toBe(RECONCILE_UP + local(CHANNEL) + local(ACCOUNTS) + RECONCILE_DOWN + labelClaim('mysql-0'));
    expect(s.exists('var/lib/mysql/.holds-data-labelled')).toBe(true);
    // Labelled once: later starts do not ask again.
    expect(entries(s.bootstrap().log).filter(e => e.startsWith('-- curl'))).toEqual([]);
  });

  test('mysqld --initialize-insecure fails: its log, an error, no data directory', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.mysqld('--initialize-insecure', { exit: 1, err: '[ERROR] [MY-010338] [Server] Can\'t find error-message file' });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(listLabelled() + mysqld(`--defaults-file=${CNF} --datadir=${BOOT}/data --initialize-insecure`));
    expect(r.stderr).toContain("[ERROR] [MY-010338] [Server] Can't find error-message file\nbootstrap.sh: ERROR: mysqld --initialize-insecure failed\n");
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('the temporary mysqld exits before it is ready: its log and the options it was given', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.mysqld('--skip-replica-start', { exit: 1, err: '[ERROR] [MY-012574] [InnoDB] Unable to lock ./ibdata1 error: 11' });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERROR] [MY-012574] [InnoDB] Unable to lock ./ibdata1 error: 11\n');
    expect(r.stderr).toContain(`ERROR: temporary mysqld (--defaults-file=${CNF} --datadir=${BOOT}/data) exited before it was ready`);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('the temporary mysqld never answers: gives up after MYSQLD_START_TIMEOUT and stops it', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.mysqld('--skip-replica-start', { hang: true });
    const r = s.bootstrap({ MYSQLD_START_TIMEOUT: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR: temporary mysqld did not start within 1s');
    expect(r.log).toBe(listLabelled() + mysqld(`--defaults-file=${CNF} --datadir=${BOOT}/data --initialize-insecure`)
      + temp(`--defaults-file=${CNF} --datadir=${BOOT}/data`) + stopped(`${BOOT}/data`));
  });

  test('initSql fails: the directory is discarded, the server stopped; the next start initializes from scratch', () => {
    const s = pod(FULL, 'mysql-0');
    s.sql('local', 'CREATE TABLE shop.t', { exit: 1, err: "ERROR 1050 (42S01) at line 1: Table 't' already exists", times: 1 });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ERROR 1050 (42S01) at line 1: Table 't' already exists\nbootstrap.sh: ERROR: initSql failed (the data directory is discarded; fix initSql and the pod retries)\n");
    expect(entries(r.log).slice(-1)).toEqual([stopped(`${BOOT}/data`)]);
    expect(s.exists('var/lib/mysql/data')).toBe(false);

    const again = s.bootstrap();
    expect(again.status).toBe(0);
    expect(again.log).toBe(listLabelled()
      + initSteps(`${replAccount()}\n${DATABASE}\n${appAccount()}\n${exporterAccount()}`, { initSql: 'CREATE TABLE shop.t (id INT PRIMARY KEY);' })
      + labelClaim('mysql-0'));
  });

  test('an interrupted initialization (container killed): its scratch directory and temporary files are discarded', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/data'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/data/ibdata1'), 'half');
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/mysqld.sock'), 'datadir=/gone\npid=\n');
    fs.mkdirSync(s.path('var/lib/mysql/tmp/#sql-1'), { recursive: true });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(listLabelled() + initSteps(replAccount()) + labelClaim('mysql-0'));
    expect(s.list('var/lib/mysql/data')).toEqual(['.fake-root-password', 'mysql.ibd']);
    expect(s.list('var/lib/mysql/tmp')).toEqual([]);
  });

  test("passwords with ' \\ \" are escaped in the SQL and in the [client] option files", () => {
    const s = pod(FULL, 'mysql-0', {
      secrets: {
        'root-password': String.raw`it's "root" \ pw`,
        'replication-password': String.raw`re'pl\\`,
        'password': String.raw`a"p'p`,
        'exporter-password': String.raw`e\x`,
      },
    });
    const r = s.bootstrap();
    // (The stand-in authenticates root with the password ALTER USER set, as the server would.)
    expect(r.status).toBe(0);
    expect(r.log).toBe(listLabelled()
      + initSteps(`${replAccount(String.raw`'re''pl\\\\'`)}\n${DATABASE}\n${appAccount(String.raw`'a"p''p'`)}\n${exporterAccount(String.raw`'e\\x'`)}`, {
        initSql: 'CREATE TABLE shop.t (id INT PRIMARY KEY);',
        rootQuoted: String.raw`'it''s "root" \\ pw'`,
        rootOption: String.raw`it's \"root\" \\ pw`,
      })
      + labelClaim('mysql-0'));
  });
});

describe('bootstrap.sh: a new replica clones', () => {
  test('ordinal 1 (the previous member is the primary): clones the primary, points replication at it, renames, labels', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.peer(host(0));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECIPIENT_UP + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + labelClaim('mysql-1'));
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(0)}\n`);
    expect(s.list('var/lib/mysql')).toEqual(['.holds-data-labelled', 'data', 'files', 'tmp']);
    expect(r.stderr).toContain(`mysql-1: empty data directory; cloning from ${host(0)}\n`);
    expect(r.stderr).toContain(`mysql-1: cloned from ${host(0)}; replicating from ${host(0)}\n`);
  });

  test('ordinal 2: the previous member first (replicas clone in order); the primary is not asked', () => {
    const s = pod({ replicas: 3 }, 'mysql-2');
    s.peer(host(0));
    s.peer(host(1));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECIPIENT_UP + askDonor(1) + cloneFrom(1) + RECIPIENT_DOWN + pointClone(0) + labelClaim('mysql-2'));
    expect(r.stderr).toContain(`mysql-2: empty data directory; cloning from ${host(1)} ${host(0)}\n`);
    expect(r.stderr).toContain(`mysql-2: cloned from ${host(1)}; replicating from ${host(0)}\n`);
  });

  test('waits for the previous member while it does not answer yet (it is still starting)', () => {
    const s = pod({ replicas: 3 }, 'mysql-2');
    s.peer(host(0));
    s.peerDown(host(1), 2);
    s.peer(host(1));
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '30' });
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECIPIENT_UP + askDonor(1) + askDonor(1) + askDonor(1) + cloneFrom(1) + RECIPIENT_DOWN + pointClone(0) + labelClaim('mysql-2'));
    expect(r.stderr.match(new RegExp(`mysql-2: waiting for a donor \\(${host(1)}\\) to answer\n`, 'g'))).toHaveLength(2);
  });

  test('after PREVIOUS_DONOR_WAIT the primary is asked too', () => {
    const s = pod({ replicas: 3 }, 'mysql-2');
    s.peer(host(0));
    s.peerDown(host(1));
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '2', DONOR_RETRY_INTERVAL: '0.1' });
    expect(r.status).toBe(0);
    const log = entries(r.log);
    const tail = entries(askDonor(1) + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + labelClaim('mysql-2'));
    expect(log.slice(-tail.length)).toEqual(tail);
    // Before: the recipient, then the previous member alone, as often as it was asked.
    const before = log.slice(0, -tail.length);
    expect(before.slice(0, 2)).toEqual(entries(RECIPIENT_UP));
    expect(before.length).toBeGreaterThan(2);
    expect(new Set(before.slice(2))).toEqual(new Set([askDonor(1)]));
    expect(r.stderr).toContain(`mysql-2: waiting for a donor (${host(1)}) to answer\n`);
  });

  test('the previous member answers but its clone fails: the primary is the fallback', () => {
    const s = pod({ replicas: 3 }, 'mysql-2');
    s.peer(host(0));
    s.peer(host(1));
    s.sql('local', `CLONE INSTANCE FROM 'repl'@'${host(1)}'`, { exit: 1, err: 'ERROR 3862 (HY000): Clone Donor Error: 1158 : Got an error reading communication packets.' });
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '0' });
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECIPIENT_UP + askDonor(1) + cloneFrom(1) + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + labelClaim('mysql-2'));
    expect(r.stderr).toContain(`mysql-2: clone from ${host(1)} failed\n`);
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(0)}\n`);
  });

  test('no donor answers within DONOR_WAIT_TIMEOUT: fails, stops the recipient, leaves no data', () => {
    const s = pod({ replicas: 3 }, 'mysql-2');
    s.peerDown(host(0));
    s.peerDown(host(1));
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '0', DONOR_WAIT_TIMEOUT: '0' });
    expect(r.status).toBe(1);
    expect(r.log).toBe(RECIPIENT_UP + askDonor(1) + askDonor(0) + RECIPIENT_DOWN);
    expect(r.stderr).toContain(`ERROR: no donor could be cloned within 0s (${host(1)} ${host(0)}); the pod restarts and retries`);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('every donor answers but every clone fails: retries until DONOR_WAIT_TIMEOUT, then fails', () => {
    const s = pod({ replicas: 2 }, 'mysql-1');
    s.peer(host(0));
    s.sql('local', 'CLONE INSTANCE', { exit: 1, err: 'ERROR 3862 (HY000): Clone Donor Error: 3870 : Clone Donor MySQL version: 8.4.9 is different from Recipient MySQL version 9.7.4.' });
    const r = s.bootstrap({ DONOR_WAIT_TIMEOUT: '1', DONOR_RETRY_INTERVAL: '0.1' });
    expect(r.status).toBe(1);
    const log = entries(r.log);
    expect(log.slice(0, 2)).toEqual(entries(RECIPIENT_UP));
    expect(log.slice(-1)).toEqual([RECIPIENT_DOWN]);
    const attempts = log.slice(2, -1);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts).toEqual(Array.from({ length: attempts.length }, (_, i) => (i % 2 === 0 ? askDonor(0) : cloneFrom(0))));
    expect(r.stderr).toContain(`ERROR: no donor could be cloned within 1s (${host(0)}); the pod restarts and retries`);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('a primary at ordinal 1 (after a failover): ordinal 0 has no previous member and clones the primary', () => {
    const s = pod({ replicas: 3, primaryOrdinal: 1 }, 'mysql-0');
    s.peer(host(1));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECIPIENT_UP + askDonor(1) + cloneFrom(1) + RECIPIENT_DOWN + pointClone(1) + labelClaim('mysql-0'));
  });

  test('startOrdinal 3: mysql-5 clones mysql-4, then mysql-3 (the primary)', () => {
    const s = pod({ replicas: 3, startOrdinal: 3 }, 'mysql-5');
    s.peerDown(host(4));
    s.peer(host(3));
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '0' });
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECIPIENT_UP + askDonor(4) + askDonor(3) + cloneFrom(3) + RECIPIENT_DOWN + pointClone(3) + labelClaim('mysql-5'));
  });

  test('an interrupted clone (container killed mid-way): starts over from an empty scratch directory', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.peer(host(0));
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/clone'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/clone/partial.ibd'), 'half');
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/recipient'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/recipient/mysql.ibd'), 'old');
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECIPIENT_UP + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + labelClaim('mysql-1'));
    expect(s.list('var/lib/mysql/data')).toEqual(['.fake-donor', '.fake-root-password', 'mysql.ibd']);
  });

  test('an empty data directory counts as none', () => {
    const s = pod({ replicas: 2 }, 'mysql-1');
    s.peer(host(0));
    fs.mkdirSync(s.path('var/lib/mysql/data'));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`cloned from ${host(0)}`);
  });

  test("a replication password with ' \\ \" is escaped in CLONE, in CHANGE REPLICATION SOURCE and in the option file", () => {
    const password = String.raw`it's "a" \ b`;
    const s = pod({ replicas: 2 }, 'mysql-1', { secrets: { 'replication-password': password } });
    s.peer(host(0));
    const r = s.bootstrap();
    // (The stand-ins accept only the Secret's password, decoded as MySQL decodes the SQL and the option file.)
    expect(r.status).toBe(0);
    const quoted = String.raw`'it''s "a" \\ b'`;
    expect(r.log).toBe(RECIPIENT_UP + askDonor(0, String.raw`it's \"a\" \\ b`) + cloneFrom(0, quoted) + RECIPIENT_DOWN + pointClone(0, quoted) + labelClaim('mysql-1'));
  });

  test('emptyPrimary REFUSE: replicas clone but label nothing (nothing reads the labels)', () => {
    const s = pod({ replicas: 2, emptyPrimary: EmptyPrimaryPolicy.REFUSE }, 'mysql-1');
    s.peer(host(0));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECIPIENT_UP + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0));
  });

  test('the next start finds the data: no second clone', () => {
    const s = pod({ replicas: 2 }, 'mysql-1');
    s.peer(host(0));
    expect(s.bootstrap().status).toBe(0);
    s.sql('local', exact(CHANNEL), { out: `${host(0)}\n` });
    const again = s.bootstrap();
    expect(again.status).toBe(0);
    expect(again.log).toBe(RECONCILE_UP + local(CHANNEL) + local(changeSource()) + RECONCILE_DOWN);
  });
});

describe('bootstrap.sh: a primary with data', () => {
  test('every account exists: nothing is created', () => {
    const s = pod(FULL, 'mysql-0');
    s.withData({ labelled: true });
    s.sql('local', exact(ACCOUNTS), { out: ALL_ACCOUNTS });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + local(ACCOUNTS) + RECONCILE_DOWN);
    expect(r.stderr).not.toContain('creating');
    expect(r.stderr).toContain('mysql-0: primary; accounts and database as the manifest asks');
  });

  test('a database, its user and metrics added later (day 2): only what is missing is created, passwords stay out of the log', () => {
    const s = pod(FULL, 'mysql-0');
    s.withData({ labelled: true });
    s.sql('local', exact(ACCOUNTS), { out: `${FRESH_ACCOUNTS}repl@%\n` });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + local(ACCOUNTS) + local(`${DATABASE}\n${appAccount()}\n${exporterAccount()}`) + RECONCILE_DOWN);
    expect(r.stderr).toBe("bootstrap.sh: mysql-0: creating: CREATE DATABASE `shop`;CREATE USER 'shop'@'%';CREATE USER 'exporter'@'localhost';\n"
      + 'bootstrap.sh: mysql-0: primary; accounts and database as the manifest asks\n');
  });

  test('an account exists under another host only: it is created for the host the manifest asks', () => {
    const s = pod({ replicas: 1, metrics: {} }, 'mysql-0');
    s.withData({ labelled: true });
    s.sql('local', exact(ACCOUNTS), { out: `${FRESH_ACCOUNTS}repl@%\nexporter@127.0.0.1\n` });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(entries(r.log)[3]).toBe(local(exporterAccount()));
  });

  test('creating them fails: the error, and the pod retries', () => {
    const s = pod({ replicas: 1 }, 'mysql-0');
    s.withData({ labelled: true });
    s.sql('local', 'CREATE USER', { exit: 1, err: "ERROR 1396 (HY000) at line 1: Operation CREATE USER failed for 'repl'@'%'" });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ERROR 1396 (HY000) at line 1: Operation CREATE USER failed for 'repl'@'%'\nbootstrap.sh: ERROR: could not create the accounts and database\n");
    expect(entries(r.log).slice(-1)).toEqual([RECONCILE_DOWN]);
  });

  test('reading the existing accounts fails: dies, creates nothing (it would otherwise try to create every account)', () => {
    const s = pod(FULL, 'mysql-0');
    s.withData({ labelled: true });
    const err = "ERROR 1146 (42S02) at line 1: Table 'mysql.user' doesn't exist";
    s.sql('local', exact(ACCOUNTS), { exit: 1, err });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + local(ACCOUNTS) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`${err}\nbootstrap.sh: ERROR: could not read the existing accounts and databases\n`);
  });

  test('data from before claims were labelled: the claim is labelled once', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.withData();
    s.sql('local', exact(ACCOUNTS), { out: ALL_ACCOUNTS });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + local(ACCOUNTS) + RECONCILE_DOWN + labelClaim('mysql-0'));
  });

  test('a data directory with foreign files is refused, nothing started', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    fs.mkdirSync(s.path('var/lib/mysql/data'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/data/backup.tar'), 'x');
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe('');
    expect(r.stderr).toContain(`ERROR: ${DATA_ROOT}/data is not empty but holds no MySQL data directory (no mysql.ibd); move it aside and restart the pod`);
    expect(s.list('var/lib/mysql/data')).toEqual(['backup.tar']);
  });

  test("an interrupted previous run's scratch directory and temporary files are discarded", () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.withData({ labelled: true });
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/clone'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/reconcile.log'), 'old');
    fs.mkdirSync(s.path('var/lib/mysql/tmp'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/tmp/ib_sort'), 'old');
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(s.list('var/lib/mysql')).toEqual(['.holds-data-labelled', 'data', 'files', 'tmp']);
    expect(s.list('var/lib/mysql/tmp')).toEqual([]);
  });

  test("root's password in the data differs from the Secret (rotated wrongly): fails with the server's error", () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.withData({ labelled: true, rootPassword: 'the-old-one' });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)");
    expect(entries(r.log).slice(-1)).toEqual([RECONCILE_DOWN]);
  });
});

describe('bootstrap.sh: a replica with data', () => {
  const props: ReplicatedMySqlProps = { replicas: 3 };
  /** This member's GTID set as its server holds it (two UUIDs, a newline between them), and on one line. */
  const MINE = gtidSet(`${UUID_A}:1-100`, `${UUID_B}:1-5`);
  const MINE_SET = `${UUID_A}:1-100,${UUID_B}:1-5`;
  const verdictSql = `SELECT GTID_SUBSET('${MINE_SET}', ${GTID_EXECUTED}), REPLACE(GTID_SUBTRACT('${MINE_SET}', ${GTID_EXECUTED}), '\\n', '');`;
  const verdict = (subset: string, missing: string) => ({ rows: [{ subset, missing }] });

  test('replicating from the primary: the credentials are refreshed from the Secret, nothing else', () => {
    const s = pod(props, 'mysql-1');
    s.withData({ labelled: true });
    s.sql('local', exact(CHANNEL), { out: `${host(0)}\n` });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + local(changeSource()) + RECONCILE_DOWN);
    expect(r.stderr).toContain(`mysql-1: replicating from ${host(0)}\n`);
  });

  test("a rotated replication password with ' \\ \" reaches the channel escaped", () => {
    const s = pod(props, 'mysql-2', { secrets: { 'replication-password': String.raw`n3w'\"pw` } });
    s.withData({ labelled: true });
    s.sql('local', exact(CHANNEL), { out: `${host(0)}\n` });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(entries(r.log)[2]).toBe(local(changeSource(undefined, String.raw`'n3w''\\"pw'`)));
  });

  test.each([
    ['another member (a failover happened)', `${host(2)}\n`, host(2)],
    ['nothing (this was the primary)', '', 'nothing (this was a primary)'],
  ])('replicating from %s, and the primary holds every transaction: re-pointed at the primary', (_what, channel, from) => {
    const s = pod(props, 'mysql-1');
    s.withData({ labelled: true });
    s.sql('local', exact(CHANNEL), { out: channel });
    s.sql('local', exact(GTIDS), gtids(MINE));
    s.sql(host(0), exact(verdictSql), verdict('1', ''));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + local(GTIDS) + onPeer(0, verdictSql)
      + local('STOP REPLICA; RESET REPLICA ALL;') + local(changeSource(0)) + RECONCILE_DOWN);
    expect(r.stderr).toContain(`mysql-1: re-pointing replication from ${from} to ${host(0)} (it holds every transaction of this member)\n`);
  });

  test('a GTID set of two UUIDs works end to end: read on one line, judged by the primary (answers matched loosely: only the stand-ins\' mysql --batch decides)', () => {
    const s = pod(props, 'mysql-1');
    s.withData({ labelled: true });
    s.sql('local', exact(CHANNEL), { out: `${host(2)}\n` });
    // This member's set, read raw or with REPLACE: the server's value, printed as mysql --batch prints it.
    s.sql('local', /^SELECT (REPLACE\()?@@GLOBAL\.gtid_executed[^;]*;$/, gtids(MINE));
    s.sql(host(0), 'GTID_SUBSET', verdict('1', ''));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + local(GTIDS) + onPeer(0, verdictSql)
      + local('STOP REPLICA; RESET REPLICA ALL;') + local(changeSource(0)) + RECONCILE_DOWN);
  });

  test('the primary lacks transactions of this member: refuses, names them and the two ways out, changes nothing', () => {
    const s = pod(props, 'mysql-1');
    s.withData({ labelled: true });
    s.sql('local', exact(CHANNEL), { out: `${host(2)}\n` });
    s.sql('local', exact(GTIDS), gtids(MINE));
    s.sql(host(0), exact(verdictSql), verdict('0', `${UUID_B}:4-5`));
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + local(GTIDS) + onPeer(0, verdictSql) + RECONCILE_DOWN);
    expect(r.stderr).toContain(`bootstrap.sh: ERROR: this member holds transactions that the primary ${host(0)} does not have (${UUID_B}:4-5).
Following ${host(0)} would lose them, so this member stays down. Either this member is the
most advanced one (then make it the primary: set primaryOrdinal: 1), or its extra
transactions are to be discarded (then delete its data: kubectl -n mysql delete pvc
data-mysql-1, then delete the pod, and it re-clones from ${host(0)})
`);
  });

  test('the primary cannot be asked: fails, changes nothing', () => {
    const s = pod(props, 'mysql-1');
    s.withData({ labelled: true });
    s.sql('local', exact(CHANNEL), { out: `${host(2)}\n` });
    s.sql('local', exact(GTIDS), gtids(MINE));
    s.peerDown(host(0));
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + local(GTIDS) + onPeer(0, verdictSql) + RECONCILE_DOWN);
    expect(r.stderr).toContain(`ERROR: this member replicates from ${host(2)}, but the manifest names ${host(0)} as the primary, and ${host(0)} cannot be asked whether it holds this member's transactions; the pod restarts and retries`);
  });

  test('the replica keeps its read-only configuration and its data directory in place', () => {
    const s = pod(props, 'mysql-1');
    s.withData({ labelled: true });
    s.sql('local', exact(CHANNEL), { out: `${host(0)}\n` });
    expect(s.bootstrap().status).toBe(0);
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toContain('super_read_only = ON');
    expect(s.list('var/lib/mysql')).toEqual(['.holds-data-labelled', 'data', 'files', 'tmp']);
  });
});

describe('bootstrap.sh: promotion (the manifest names a replica as the primary)', () => {
  const props: ReplicatedMySqlProps = { replicas: 3, primaryOrdinal: 1 };
  const SOURCE_STATE = `SELECT @@GLOBAL.read_only, @@GLOBAL.super_read_only, ${GTID_EXECUTED};`;
  /** The old source's GTID set as its server holds it, and on one line; this member has the same. */
  const SOURCE = gtidSet(`${UUID_A}:1-100`, `${UUID_B}:1-5`);
  const SOURCE_SET = `${UUID_A}:1-100,${UUID_B}:1-5`;
  const MINE_SET = SOURCE_SET;
  const sourceState = (readOnly: string, superReadOnly: string) => ({ rows: [{ read_only: readOnly, super_read_only: superReadOnly, gtid_executed: SOURCE }] });
  const applied = (set: string) => `SELECT GTID_SUBSET('${set}', ${GTID_EXECUTED});`;
  const RECEIVED = "SELECT REPLACE(RECEIVED_TRANSACTION_SET, '\\n', '') FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = '';";
  const received = (set: string) => ({ rows: [{ RECEIVED_TRANSACTION_SET: set }] });
  const peerBehind = `SELECT GTID_SUBSET('${UUID_A}:1-98', '${MINE_SET}');`;
  const PROMOTING = `bootstrap.sh: mysql-1: the manifest names this member the primary; it replicates from ${host(0)}: promoting\n`;
  /** After catching up: the other members are asked (mysql-2 is behind), replication is reset. */
  const PROMOTED = local('STOP REPLICA;') + local(GTIDS) + onPeer(2, GTIDS) + local(peerBehind)
    + local('RESET REPLICA ALL;') + local(ACCOUNTS) + RECONCILE_DOWN;
  const CAUGHT_UP = local('START REPLICA;') + local(applied(SOURCE_SET));

  const TOO_MANY = 'ERROR 1040 (08004): Too many connections';
  const DENIED = "ERROR 1045 (28000): Access denied for user 'repl'@'10.244.0.11' (using password: YES)";
  const LOST = "ERROR 2013 (HY000): Lost connection to MySQL server at 'reading initial communication packet', system error: 104";
  const REFUSED = (ordinal: number) => `ERROR 2003 (HY000): Can't connect to MySQL server on '${host(ordinal)}:3306' (111)`;
  const UNKNOWN = (ordinal: number) => `ERROR 2005 (HY000): Unknown MySQL server host '${host(ordinal)}' (-2)`;

  function member(): PodSandbox {
    const s = pod(props, 'mysql-1');
    s.withData({ labelled: true });
    s.sql('local', exact(CHANNEL), { out: `${host(0)}\n` });
    s.sql('local', exact(GTIDS), gtids(SOURCE));
    s.sql('local', exact(ACCOUNTS), { out: ALL_ACCOUNTS });
    return s;
  }
  /** mysql-1 caught up with its read-only old source; mysql-2 answers as given. */
  function caughtUp(): PodSandbox {
    const s = member();
    s.sql(host(0), exact(SOURCE_STATE), sourceState('1', '1'));
    s.sql('local', exact(applied(SOURCE_SET)), { out: '1\n' });
    return s;
  }

  test.each([['0', '0'], ['1', '0']])('the old primary still accepts writes (read_only=%s, super_read_only=%s): refuses, changes nothing', (readOnly, superReadOnly) => {
    const s = member();
    s.sql(host(0), exact(SOURCE_STATE), sourceState(readOnly, superReadOnly));
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + onPeer(0, SOURCE_STATE) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`${PROMOTING}bootstrap.sh: ERROR: the old primary ${host(0)} still accepts writes (read_only=${readOnly}, super_read_only=${superReadOnly}). Stop writes on it first (on ${host(0)}: SET GLOBAL super_read_only = ON;), then this pod promotes on its next start. Nothing was changed\n`);
  });

  test('the old primary is read-only (read_only and super_read_only): catches up with it, checks the other members, resets replication', () => {
    const s = member();
    s.sql(host(0), exact(SOURCE_STATE), sourceState('1', '1'));
    s.sql('local', exact(applied(SOURCE_SET)), { out: '0\n', times: 1 });
    s.sql('local', exact(applied(SOURCE_SET)), { out: '1\n' });
    s.sql(host(2), exact(GTIDS), gtids(`${UUID_A}:1-98`));
    s.sql('local', exact(peerBehind), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + onPeer(0, SOURCE_STATE) + CAUGHT_UP + local(applied(SOURCE_SET)) + PROMOTED);
    expect(r.stderr).toBe(`${PROMOTING}bootstrap.sh: mysql-1: catching up with ${host(0)} (${SOURCE_SET})
bootstrap.sh: mysql-1: promoted: no longer replicating from ${host(0)} (${MINE_SET})
bootstrap.sh: mysql-1: primary; accounts and database as the manifest asks
`);
    // It starts as the primary: writable.
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toContain('super_read_only = OFF');
  });

  test('GTID sets of two UUIDs work end to end: read on one line, applied, compared with the other members (answers matched loosely: only the stand-ins\' mysql --batch decides)', () => {
    const s = pod(props, 'mysql-1');
    s.withData({ labelled: true });
    s.sql('local', exact(CHANNEL), { out: `${host(0)}\n` });
    s.sql('local', exact(ACCOUNTS), { out: ALL_ACCOUNTS });
    // Whatever the SQL: the server's value (a newline between the UUIDs), printed as mysql --batch prints it.
    s.sql(host(0), /^SELECT @@GLOBAL\.read_only, @@GLOBAL\.super_read_only, [^;]*gtid_executed[^;]*;$/, sourceState('1', '1'));
    s.sql(host(2), /^SELECT [^;]*gtid_executed[^;]*;$/, gtids(gtidSet(`${UUID_A}:1-98`, `${UUID_B}:1-5`)));
    s.sql('local', /^SELECT (REPLACE\()?@@GLOBAL\.gtid_executed[^;]*;$/, gtids(SOURCE));
    // GTID_SUBSET answers 1 to any set it takes (the stand-in rejects a malformed one, ERROR 1772).
    s.sql('local', /^SELECT GTID_SUBSET\(/, { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    const peerSet = `${UUID_A}:1-98,${UUID_B}:1-5`;
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + onPeer(0, SOURCE_STATE) + CAUGHT_UP
      + local('STOP REPLICA;') + local(GTIDS) + onPeer(2, GTIDS) + local(`SELECT GTID_SUBSET('${peerSet}', '${MINE_SET}');`)
      + local('RESET REPLICA ALL;') + local(ACCOUNTS) + RECONCILE_DOWN);
    expect(r.stderr).toContain(`mysql-1: catching up with ${host(0)} (${SOURCE_SET})\n`);
    expect(r.stderr).toContain(`mysql-1: promoted: no longer replicating from ${host(0)} (${MINE_SET})\n`);
  });

  test.each([
    ['2003 (nothing listens)', REFUSED(0)],
    ['2005 (its name is gone)', UNKNOWN(0)],
  ])('the old primary cannot be reached (ERROR %s): applies every transaction it received (the relay log), then promotes', (_what, err) => {
    const s = member();
    s.sql(host(0), /./, { exit: 1, err });
    s.sql('local', exact(RECEIVED), received(SOURCE));
    s.sql('local', exact(applied(SOURCE_SET)), { out: '1\n' });
    s.sql(host(2), exact(GTIDS), gtids(`${UUID_A}:1-98`));
    s.sql('local', exact(peerBehind), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + onPeer(0, SOURCE_STATE)
      + local(RECEIVED) + local('START REPLICA SQL_THREAD;') + local(applied(SOURCE_SET)) + PROMOTED);
    expect(r.stderr).toBe(`${PROMOTING}bootstrap.sh: mysql-1: WARNING: the old source ${host(0)} cannot be reached (${err}); promoting with every transaction this member received from it
bootstrap.sh: mysql-1: promoted: no longer replicating from ${host(0)} (${MINE_SET})
bootstrap.sh: mysql-1: primary; accounts and database as the manifest asks
`);
  });

  test.each([
    ['1040 (too many connections)', TOO_MANY],
    ['1045 (access denied)', DENIED],
    ['2013 (lost connection: it is up)', LOST],
  ])('the old primary answers with ERROR %s: whether it takes writes is unknown, so it fails closed, changes nothing', (_what, err) => {
    const s = member();
    s.sql(host(0), /./, { exit: 1, err });
    // (Were it taken as unreachable, the relay log would be applied at once and the member promoted.)
    s.sql('local', 'GTID_SUBSET', { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + onPeer(0, SOURCE_STATE) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`${PROMOTING}bootstrap.sh: ERROR: the old primary ${host(0)} answered with an error, so whether it still accepts writes is unknown: ${err}. Nothing was changed; the pod restarts and retries\n`);
  });

  test('another member is ahead: refuses, names its extra transactions, does not reset replication', () => {
    const s = member();
    s.peerDown(host(0));
    s.sql('local', exact(RECEIVED), received(''));
    s.sql('local', exact(applied('')), { out: '1\n' });
    s.sql(host(2), exact(GTIDS), gtids(`${UUID_A}:1-103`));
    s.sql('local', exact(`SELECT GTID_SUBSET('${UUID_A}:1-103', '${MINE_SET}');`), { out: '0\n' });
    s.sql('local', exact(`SELECT REPLACE(GTID_SUBTRACT('${UUID_A}:1-103', '${MINE_SET}'), '\\n', '');`), { rows: [{ missing: `${UUID_A}:101-103` }] });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(entries(r.log).slice(-3)).toEqual(entries(local(`SELECT GTID_SUBSET('${UUID_A}:1-103', '${MINE_SET}');`)
      + local(`SELECT REPLACE(GTID_SUBTRACT('${UUID_A}:1-103', '${MINE_SET}'), '\\n', '');`) + RECONCILE_DOWN));
    expect(r.stderr).toContain(`ERROR: ${host(2)} has transactions this member lacks (${UUID_A}:101-103). Promoting this member would lose them: make ${host(2)} the primary instead (primaryOrdinal), or wait until this member has them. Nothing was changed`);
    expect(r.log).not.toContain('RESET REPLICA ALL');
  });

  test.each([
    ['2003', REFUSED(2)],
    ['2005', UNKNOWN(2)],
  ])('another member cannot be reached (ERROR %s): it is skipped (it is checked when it follows this member)', (_what, err) => {
    const s = caughtUp();
    s.sql(host(2), /./, { exit: 1, err });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + onPeer(0, SOURCE_STATE) + CAUGHT_UP
      + local('STOP REPLICA;') + local(GTIDS) + onPeer(2, GTIDS) + local('RESET REPLICA ALL;') + local(ACCOUNTS) + RECONCILE_DOWN);
    expect(r.stderr).toContain(`\nbootstrap.sh: mysql-1: ${host(2)} cannot be reached (it is checked when it follows this member)\n`);
  });

  test.each([
    ['1040 (too many connections)', TOO_MANY],
    ['1045 (access denied)', DENIED],
  ])('another member answers with ERROR %s: whether it is ahead is unknown, so it fails closed before resetting replication', (_what, err) => {
    const s = caughtUp();
    s.sql(host(2), /./, { exit: 1, err });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + onPeer(0, SOURCE_STATE) + CAUGHT_UP
      + local('STOP REPLICA;') + local(GTIDS) + onPeer(2, GTIDS) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`${PROMOTING}bootstrap.sh: mysql-1: catching up with ${host(0)} (${SOURCE_SET})
bootstrap.sh: ERROR: ${host(2)} answered with an error, so whether it is ahead of this member is unknown: ${err}. Nothing was changed; the pod restarts and retries
`);
  });

  test('it cannot catch up within CATCH_UP_TIMEOUT: fails before promoting', () => {
    const s = member();
    s.sql(host(0), exact(SOURCE_STATE), sourceState('1', '1'));
    s.sql('local', exact(applied(SOURCE_SET)), { out: '0\n' });
    const r = s.bootstrap({ CATCH_UP_TIMEOUT: '0' });
    expect(r.status).toBe(1);
    expect(r.log).toBe(RECONCILE_UP + local(CHANNEL) + onPeer(0, SOURCE_STATE) + CAUGHT_UP + RECONCILE_DOWN);
    expect(r.stderr).toContain(`ERROR: could not apply ${SOURCE_SET} within 0s; nothing was changed, the pod restarts and retries`);
  });
});

describe('probe.sh', () => {
  const SOCKET = '$ROOT/var/run/mysqld/mysqld.sock';
  const ROLE = "SELECT (SELECT COUNT(*) FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = ''), @@GLOBAL.read_only, @@GLOBAL.super_read_only;";
  const roleQuery = `-- mysql ${asRoot()} --socket=${SOCKET} --batch --skip-column-names --connect-timeout=5\n${ROLE}\n`;
  const statusQuery = `-- mysql ${asRoot()} --socket=${SOCKET} --batch --skip-column-names --connect-timeout=5 --vertical --column-names\nSHOW REPLICA STATUS;\n`;

  /** A SHOW REPLICA STATUS row of MySQL 8.4/9.7 (its fields, in its order), healthy unless overridden. */
  function replicaStatus(fields: Record<string, string>): Record<string, string> {
    return {
      Replica_IO_State: 'Waiting for source to send event', Source_Host: host(0), Source_User: 'repl', Source_Port: '3306', Connect_Retry: '10',
      Source_Log_File: 'binlog.000003', Read_Source_Log_Pos: '15926', Relay_Log_File: 'relay-bin.000002', Relay_Log_Pos: '16142',
      Relay_Source_Log_File: 'binlog.000003', Replica_IO_Running: 'Yes', Replica_SQL_Running: 'Yes', Replicate_Do_DB: '', Replicate_Ignore_DB: '',
      Replicate_Do_Table: '', Replicate_Ignore_Table: '', Replicate_Wild_Do_Table: '', Replicate_Wild_Ignore_Table: '', Last_Errno: '0', Last_Error: '',
      Skip_Counter: '0', Exec_Source_Log_Pos: '15926', Relay_Log_Space: '16353', Until_Condition: 'None', Until_Log_File: '', Until_Log_Pos: '0',
      Source_SSL_Allowed: 'Yes', Source_SSL_CA_File: '', Source_SSL_CA_Path: '', Source_SSL_Cert: '', Source_SSL_Cipher: '', Source_SSL_Key: '',
      Seconds_Behind_Source: '0', Source_SSL_Verify_Server_Cert: 'No', Last_IO_Errno: '0', Last_IO_Error: '', Last_SQL_Errno: '0', Last_SQL_Error: '',
      Replicate_Ignore_Server_Ids: '', Source_Server_Id: '100', Source_UUID: UUID_A, Source_Info_File: 'mysql.slave_master_info', SQL_Delay: '0',
      SQL_Remaining_Delay: 'NULL', Replica_SQL_Running_State: 'Replica has read all relay log; waiting for more updates', Source_Retry_Count: '0',
      Source_Bind: '', Last_IO_Error_Timestamp: '', Last_SQL_Error_Timestamp: '', Source_SSL_Crl: '', Source_SSL_Crlpath: '',
      Retrieved_Gtid_Set: `${UUID_A}:1-42`, Executed_Gtid_Set: `${UUID_A}:1-42`, Auto_Position: '1', Replicate_Rewrite_DB: '', Channel_Name: '',
      Source_TLS_Version: '', Source_public_key_path: '', Get_Source_public_key: '0', Network_Namespace: '',
      ...fields,
    };
  }
  function replica(fields: Record<string, string>, props: ReplicatedMySqlProps = { replicas: 3 }): PodSandbox {
    const s = pod(props, 'mysql-1');
    s.serving();
    s.sql('local', exact(ROLE), { out: '1\t1\t1\n' });
    s.sql('local', exact('SHOW REPLICA STATUS;'), { rows: [replicaStatus(fields)] });
    return s;
  }

  test.each(['startup', 'liveness'] as const)('%s: mysqladmin ping on the socket, without credentials', (kind) => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    const down = s.probe(kind);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain("Can't connect to local MySQL server through socket '$ROOT/var/run/mysqld/mysqld.sock' (2)");
    s.serving();
    // Access is denied (no credentials), yet ping reports the server alive, as the real one does.
    const up = s.probe(kind);
    expect(up.status).toBe(0);
    expect(up.stderr).toContain('Access denied');
  });

  test('readiness, no replication channel and writable (a primary, also one promoted by hand): ready', () => {
    const s = pod({ replicas: 3 }, 'mysql-2');
    s.serving();
    s.sql('local', exact(ROLE), { out: '0\t0\t0\n' });
    const r = s.probe('readiness');
    expect(r.status).toBe(0);
    expect(r.log).toBe(roleQuery);
    expect(r.stdout).toBe('');
  });

  test.each([['1', '1'], ['1', '0']])('readiness, no replication channel but read_only=%s super_read_only=%s: not ready', (readOnly, superReadOnly) => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    s.serving();
    s.sql('local', exact(ROLE), { out: `0\t${readOnly}\t${superReadOnly}\n` });
    const r = s.probe('readiness');
    expect(r.status).toBe(1);
    expect(r.log).toBe(roleQuery);
    expect(r.stdout).toBe(`not ready: no replication channel, and read-only (read_only=${readOnly}, super_read_only=${superReadOnly}): a demoted primary or a replica whose replication was reset\n`);
  });

  test.each(['0', '60'])('readiness, a replica with both threads running and lag %ss (at most 60s): ready', (lag) => {
    const s = replica({ Seconds_Behind_Source: lag });
    const r = s.probe('readiness');
    expect(r.status).toBe(0);
    expect(r.log).toBe(roleQuery + statusQuery);
    expect(r.stdout).toBe('');
  });

  test('readiness, the receiver cannot connect: not ready, with its error', () => {
    const error = `Error connecting to source 'repl@${host(0)}:3306'. This was attempt 3/0, with a delay of 10 seconds between attempts. Message: Unknown MySQL server host '${host(0)}' (-2)`;
    const s = replica({ Replica_IO_State: 'Connecting to source', Replica_IO_Running: 'Connecting', Seconds_Behind_Source: 'NULL', Last_IO_Errno: '2005', Last_IO_Error: error, Last_IO_Error_Timestamp: '261201 22:04:11' });
    const r = s.probe('readiness');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`not ready: the replication receiver is Connecting: ${error}\n`);
  });

  test('readiness, the receiver stopped without an error: not ready', () => {
    const s = replica({ Replica_IO_State: '', Replica_IO_Running: 'No', Seconds_Behind_Source: 'NULL' });
    const r = s.probe('readiness');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('not ready: the replication receiver is No\n');
  });

  test('readiness, the applier stopped on an error: not ready, with its error', () => {
    const error = "Coordinator stopped because there were error(s) in the worker(s). The most recent failure being: Worker 1 failed executing transaction '3e11fa47-71ca-11e1-9e33-c80aa9429562:43' at source log binlog.000003, end_log_pos 16257.";
    const s = replica({ Replica_SQL_Running: 'No', Seconds_Behind_Source: 'NULL', Last_Errno: '1062', Last_Error: error, Last_SQL_Errno: '1062', Last_SQL_Error: error });
    const r = s.probe('readiness');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`not ready: the replication applier is No: ${error}\n`);
  });

  test('readiness, lag above maxReplicaLag: not ready; at it: ready', () => {
    const props = { replicas: 3, maxReplicaLag: Duration.seconds(5) };
    const lagging = replica({ Seconds_Behind_Source: '6' }, props);
    const r = lagging.probe('readiness');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('not ready: replication lag 6s exceeds 5s\n');
    expect(replica({ Seconds_Behind_Source: '5' }, props).probe('readiness').status).toBe(0);
  });

  test.each([
    ['NULL', 'NULL'],
    ['', 'empty'],
    ['-1', '-1'],
  ])('readiness, both threads running but the lag unknown (Seconds_Behind_Source %j): not ready, says so', (lag, shown) => {
    const r = replica({ Seconds_Behind_Source: lag }).probe('readiness');
    expect(r.status).toBe(1);
    expect(r.log).toBe(roleQuery + statusQuery);
    expect(r.stdout).toBe(`not ready: replication lag unknown (Seconds_Behind_Source ${shown})\n`);
  });

  test('readiness, mysqld not answering or root refused: not ready', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    const down = s.probe('readiness');
    expect(down.status).toBe(1);
    expect(down.stderr).toContain("ERROR 2002 (HY000): Can't connect to local MySQL server through socket");
    s.serving();
    fs.writeFileSync(s.path('var/lib/mysql/data/.fake-root-password'), 'rotated-in-the-server-only');
    const denied = s.probe('readiness');
    expect(denied.status).toBe(1);
    expect(denied.stderr).toContain("ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)");
  });

  test('an unknown probe is a usage error', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    const r = s.exec('mysql', ['bash', '/etc/cdk8s-mysql/probe.sh', 'sideways']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('probe.sh: ERROR: usage: probe.sh startup|liveness|readiness\n');
  });
});

describe('the stand-ins behave as the real programs where the scripts could tell', () => {
  test('mysql --batch --skip-column-names --vertical prints no field names; --column-names after it does', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.serving();
    s.sql('local', 'SHOW REPLICA STATUS', { rows: [{ Replica_IO_Running: 'Yes', Seconds_Behind_Source: 'NULL' }] });
    const cnf = `<(printf '[client]\\nuser="root"\\npassword="${ROOT_PASSWORD}"\\n')`;
    const run = (options: string) => s.shell('mysql', `mysql --defaults-file=${cnf} --socket="$MYSQL_SOCKET" ${options} <<<'SHOW REPLICA STATUS;'`).stdout;
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
    expect(misplaced.stderr).toContain("mysql: [ERROR] unknown variable 'defaults-file=");
  });

  test('mysql --batch prints a GTID set as the server holds it, newlines as a literal "\\n"; REPLACE(..., \'\\n\', \'\') puts it on one line; --vertical prints it raw', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.serving();
    const set = gtidSet(`${UUID_A}:1-100`, `${UUID_B}:1-5`);
    s.sql('local', 'gtid_executed', { rows: [{ 'Executed': set, 'read_only': '1', 'Note': 'a\tb\\c' }] });
    const cnf = `<(printf '[client]\\nuser="root"\\npassword="${ROOT_PASSWORD}"\\n')`;
    const run = (options: string, sql: string) => s.shell('mysql', `mysql --defaults-file=${cnf} --socket="$MYSQL_SOCKET" ${options} <<'SQL'\n${sql}\nSQL`);
    expect(run('--batch --skip-column-names', 'SELECT @@GLOBAL.gtid_executed, @@GLOBAL.read_only, @@GLOBAL.version_comment;').stdout)
      .toBe(`${UUID_A}:1-100,\\n${UUID_B}:1-5\t1\ta\\tb\\\\c\n`);
    expect(run('--batch --skip-column-names', "SELECT REPLACE(@@GLOBAL.gtid_executed, '\\n', ''), @@GLOBAL.read_only, REPLACE(@@GLOBAL.version_comment, 'b', 'B');").stdout)
      .toBe(`${UUID_A}:1-100,${UUID_B}:1-5\t1\ta\\tB\\\\c\n`);
    expect(run('--batch --skip-column-names --vertical --column-names', 'SELECT @@GLOBAL.gtid_executed, @@GLOBAL.read_only, @@GLOBAL.version_comment;').stdout)
      .toBe(`*************************** 1. row ***************************\n Executed: ${set}\nread_only: 1\n     Note: a\tb\\c\n`);
  });

  test('GTID_SUBSET / GTID_SUBTRACT reject a set with the literal "\\n" of a raw read (ERROR 1772, as MySQL 9.7 does); a real newline is whitespace', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.serving();
    s.sql('local', 'GTID_', { out: '1\n' });
    const cnf = `<(printf '[client]\\nuser="root"\\npassword="${ROOT_PASSWORD}"\\n')`;
    const run = (sql: string) => s.shell('mysql', `mysql --defaults-file=${cnf} --socket="$MYSQL_SOCKET" --batch --skip-column-names <<'SQL'\n${sql}\nSQL`);
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

  test('mysqld --initialize-insecure refuses a data directory with files in it', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    fs.mkdirSync(s.path('var/lib/mysql/x'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/x/ibdata1'), '');
    const r = s.shell('bootstrap', 'mysqld --no-defaults --datadir="$DATA_ROOT/x" --initialize-insecure');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--initialize specified but the data directory has files in it. Aborting.');
  });
});

describe('the scripts', () => {
  const dir = path.join(__dirname, '../../src/mysql/scripts');
  const scripts = fs.readdirSync(dir).filter(f => f.endsWith('.sh')).sort();

  test.each(scripts)('%s uses no syntax MySQL 8.4 removed', (file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    expect(text).not.toMatch(/CHANGE MASTER|START SLAVE|STOP SLAVE|SHOW SLAVE|RESET SLAVE|SHOW MASTER|RESET MASTER|\bMASTER_[A-Z_]+|SOURCE_LOG_FILE|MASTER_AUTO_POSITION/);
  });

  test('the ConfigMap ships every script verbatim', () => {
    expect([...SCRIPT_FILES].sort()).toEqual(scripts);
    const s = pod({ replicas: 3 }, 'mysql-0');
    for (const file of scripts) expect(s.read(`etc/cdk8s-mysql/${file}`)).toBe(fs.readFileSync(path.join(dir, file), 'utf8'));
  });
});

describe('regressions: what the stand-ins let through before (/tmp/bugs.test.ts.txt)', () => {
  test('BUG 1: an old primary that answers with an error other than "cannot connect" is not treated as gone', () => {
    const s = pod({ replicas: 3, primaryOrdinal: 1 }, 'mysql-1');
    s.withData({ labelled: true });
    s.sql('local', exact(CHANNEL), { out: `${host(0)}\n` });
    // The old primary is up (and may take writes) but refuses this connection.
    s.sql(host(0), /./, { exit: 1, err: 'ERROR 1040 (08004): Too many connections' });
    s.sql('local', 'GTID_SUBSET', { out: '1\n' });
    const r = s.bootstrap();
    expect(r.log).not.toContain('RESET REPLICA ALL');
    expect(r.status).toBe(1);
  });

  test('BUG 2: when the account query fails, the bootstrap does not go on as if no account existed', () => {
    const s = pod({ replicas: 1 }, 'mysql-0');
    s.withData({ labelled: true });
    s.sql('local', exact(ACCOUNTS), { exit: 1, err: "ERROR 1142 (42000): SELECT command denied to user 'root'@'localhost' for table 'user'", times: 1 });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).not.toContain('CREATE USER');
  });

  test('BUG 3: the "creating:" log line has no empty statement (lifecycle.e2e.ts expects `shop`;CREATE USER)', () => {
    const s = pod({ replicas: 1, database: { name: 'shop', user: 'shop' }, metrics: {} }, 'mysql-0');
    s.withData({ labelled: true });
    s.sql('local', exact(ACCOUNTS), { out: 'repl@%\n' });
    const r = s.bootstrap();
    expect(r.stderr).toMatch(/creating: CREATE DATABASE `shop`;CREATE USER 'shop'@'%';CREATE USER 'exporter'@'localhost'/);
  });

  test('BUG 4: an unknown (NULL) lag is reported as unknown, not as "NULLs"', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.serving();
    s.sql('local', 'COUNT(*)', { out: '1\t1\t1\n' });
    s.sql('local', 'SHOW REPLICA STATUS', { rows: [{ Replica_IO_Running: 'Yes', Replica_SQL_Running: 'Yes', Seconds_Behind_Source: 'NULL' }] });
    const r = s.probe('readiness');
    expect(r.stdout).not.toContain('NULLs');
  });
});
