/**
 * The pod scripts of ReplicatedMySql run for real under bash, with stand-ins for mysql, mysqld,
 * mysqladmin and the API server (../harness.ts): bootstrap.sh on the member that is to be the primary: a new cluster, the API server failing closed,
 * the StatefulSet naming the primary, credentials from files, quoting.
 */
import * as fs from 'fs';
import { EmptyPrimaryPolicy } from '../../../src';
import {
  claimPath, exact, MEMBERS_PATH, PRIMARY_ANNOTATION, REPLICATION_PASSWORD, ROOT_PASSWORD, STATEFULSET_PATH,
} from '../harness';
import {
  host, DATA_ROOT, BOOT, SOCK, CNF, cnf, local, noPassword, onServer, stopped, API, get, GET_STS, GET_MEMBERS, record,
  entries, CHANNEL, FACTS, FRESH_FACTS, REPL_FACTS, APP_FACTS, EXPORTER_FACTS, replAccount, DATABASE, appAccount,
  exporterAccount, ALL_ACCOUNTS, ALL_ACCOUNTS_LOGGED, INIT_SQL, INITIALIZE, INIT_SERVER, initSteps, RECIPIENT_UP,
  RECIPIENT_DOWN, askDonor, cloneFrom, pointClone, RECONCILE_UP, RECONCILE_DOWN, pod, disposePods, FULL, NEW_CLUSTER,
  REFUSAL_TAIL, REPLICA_STATE, running, state,
} from './fixtures';

afterEach(disposePods);

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
