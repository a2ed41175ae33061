/**
 * The pod scripts of ReplicatedMySql run for real under bash, with stand-ins for mysql, mysqld,
 * mysqladmin and the API server (../harness.ts): the stand-ins (harness.ts) behave as the real programs wherever the scripts could tell.
 */
import * as fs from 'fs';
import {
  gtidSet, MEMBERS_PATH, PodSandbox, podPath, PRIMARY_ANNOTATION, ROOT_PASSWORD, STATEFULSET_PATH,
} from '../harness';
import { UUID_A, UUID_B, pod, disposePods } from './fixtures';

afterEach(disposePods);

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
