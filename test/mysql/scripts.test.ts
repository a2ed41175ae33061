import * as fs from 'fs';
import * as path from 'path';
import { PodSandbox, REPLICATION_PASSWORD } from './harness';

const host = (ordinal: number) => `mysql-${ordinal}.mysql.mysql.svc.cluster.local`;
const BOOT = '$ROOT/var/lib/mysql/.bootstrap';

// The SQL the bootstrap must send, written out from what MySQL 8.4 needs (not copied from a run).
function cloneSteps(donors: Array<{ ordinal: number; fails?: boolean }>, password = REPLICATION_PASSWORD, quotedPassword = `'${password}'`): string {
  const attempts = donors.map(d => `-- mysql user=root password=no target=socket:${BOOT}/mysqld.sock
SET GLOBAL clone_valid_donor_list = '${host(d.ordinal)}:3306';
CLONE INSTANCE FROM 'repl'@'${host(d.ordinal)}':3306 IDENTIFIED BY ${quotedPassword}
  DATA DIRECTORY = '${BOOT}/clone' REQUIRE SSL;
`).join('');
  return `-- mysqld --initialize-insecure datadir=${BOOT}/recipient
-- mysqld start datadir=${BOOT}/recipient --skip-log-bin --super-read-only=OFF --read-only=OFF --skip-networking --mysqlx=OFF
${attempts}-- mysqld stop datadir=${BOOT}/recipient
`;
}
function replicationSteps(primary: number, quotedPassword = `'${REPLICATION_PASSWORD}'`): string {
  return `-- mysqld start datadir=${BOOT}/clone --skip-replica-start --skip-networking --mysqlx=OFF
-- mysql user=root password=yes target=socket:${BOOT}/mysqld.sock
RESET REPLICA ALL;
CHANGE REPLICATION SOURCE TO
  SOURCE_HOST = '${host(primary)}',
  SOURCE_PORT = 3306,
  SOURCE_USER = 'repl',
  SOURCE_PASSWORD = ${quotedPassword},
  SOURCE_AUTO_POSITION = 1,
  SOURCE_SSL = 1,
  GET_SOURCE_PUBLIC_KEY = 1,
  SOURCE_CONNECT_RETRY = 10,
  SOURCE_RETRY_COUNT = 0;
-- mysqld stop datadir=${BOOT}/clone
`;
}
const peerCheck = (ordinal: number) => `-- mysql user=repl password=yes target=${host(ordinal)}
SELECT @@GLOBAL.gtid_executed;
`;

let sandboxes: PodSandbox[] = [];
function pod(...args: ConstructorParameters<typeof PodSandbox>): PodSandbox {
  const s = new PodSandbox(...args);
  sandboxes.push(s);
  return s;
}
afterEach(() => {
  sandboxes.forEach(s => s.dispose());
  sandboxes = [];
});

describe('bootstrap.sh, first start', () => {
  test('ordinal 0 (primary): checks that no replica has data, then leaves initialization to the entrypoint', () => {
    const s = pod({ replicas: 3 });
    const r = s.run('bootstrap', 'mysql-0');
    expect(r.status).toBe(0);
    expect(r.log).toBe(peerCheck(1) + peerCheck(2));
    expect(r.stderr).toContain('mysql-0: primary with an empty data directory; the mysql entrypoint initializes it');
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('ordinal 1: clones the primary, points replication at it, renames the clone into place', () => {
    const s = pod({ replicas: 3 });
    const r = s.run('bootstrap', 'mysql-1');
    expect(r.status).toBe(0);
    expect(r.log).toBe(cloneSteps([{ ordinal: 0 }]) + replicationSteps(0));
    expect(s.read('var/lib/mysql/data/mysql/donor')).toBe(`cloned from ${host(0)}\n`);
    expect(s.exists('var/lib/mysql/.bootstrap')).toBe(false);
    expect(r.stderr).toContain(`mysql-1: cloned from ${host(0)}; replicating from ${host(0)}`);
  });

  test('ordinal 2: clones the previous replica (spreading the load), replicates from the primary', () => {
    const s = pod({ replicas: 3 });
    const r = s.run('bootstrap', 'mysql-2');
    expect(r.status).toBe(0);
    expect(r.log).toBe(cloneSteps([{ ordinal: 1 }]) + replicationSteps(0));
  });

  test('ordinal 2: falls back to the primary when the previous replica cannot donate', () => {
    const s = pod({ replicas: 3 });
    s.failCloneFrom(host(1));
    const r = s.run('bootstrap', 'mysql-2');
    expect(r.status).toBe(0);
    expect(r.log).toBe(cloneSteps([{ ordinal: 1 }, { ordinal: 0 }]) + replicationSteps(0));
    expect(s.read('var/lib/mysql/data/mysql/donor')).toBe(`cloned from ${host(0)}\n`);
  });

  test('no donor: fails (the kubelet retries the init container) and leaves no data directory', () => {
    const s = pod({ replicas: 3 });
    s.failCloneFrom(host(1));
    s.failCloneFrom(host(0));
    const r = s.run('bootstrap', 'mysql-2');
    expect(r.status).toBe(1);
    expect(r.log).toBe(cloneSteps([{ ordinal: 1 }, { ordinal: 0 }]));
    expect(r.stderr).toContain(`ERROR: no donor could be cloned (${host(1)} ${host(0)}); the pod restarts and retries`);
    expect(s.exists('var/lib/mysql/data')).toBe(false);
  });

  test('a primary at ordinal 1 (after a manual promotion): ordinal 0 clones and replicates from it', () => {
    const s = pod({ replicas: 3, primaryOrdinal: 1 });
    const r = s.run('bootstrap', 'mysql-0');
    expect(r.status).toBe(0);
    expect(r.log).toBe(cloneSteps([{ ordinal: 1 }]) + replicationSteps(1));
  });

  test('a single instance: the primary has no peers to check', () => {
    const s = pod({ replicas: 1 });
    const r = s.run('bootstrap', 'mysql-0');
    expect(r.status).toBe(0);
    expect(r.log).toBe('');
  });

  test('passwords with quotes and backslashes are escaped in SQL', () => {
    const password = `it's a \\ test`;
    const s = pod({ replicas: 2 }, { 'replication-password': password });
    const r = s.run('bootstrap', 'mysql-1');
    expect(r.status).toBe(0);
    const quoted = `'it''s a \\\\ test'`;
    expect(r.log).toBe(cloneSteps([{ ordinal: 0 }], password, quoted) + replicationSteps(0, quoted));
  });
});

describe('bootstrap.sh, restarts', () => {
  test.each([0, 1, 2])('ordinal %d with data: no SQL, no mysqld, data untouched', (ordinal) => {
    const s = pod({ replicas: 3 });
    fs.mkdirSync(s.path('var/lib/mysql/data/mysql'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/data/mysql/marker'), 'keep');
    const r = s.run('bootstrap', `mysql-${ordinal}`);
    expect(r.status).toBe(0);
    expect(r.log).toBe('');
    expect(s.read('var/lib/mysql/data/mysql/marker')).toBe('keep');
  });

  test('after an interrupted clone (init container killed mid-way), starts over cleanly', () => {
    const s = pod({ replicas: 3 });
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/clone/mysql'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/clone/partial.ibd'), 'half');
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/recipient/mysql'), { recursive: true });
    const r = s.run('bootstrap', 'mysql-1');
    expect(r.status).toBe(0);
    expect(r.log).toBe(cloneSteps([{ ordinal: 0 }]) + replicationSteps(0));
    expect(s.exists('var/lib/mysql/data/partial.ibd')).toBe(false);
  });

  test('the bootstrap run twice in a row clones once', () => {
    const s = pod({ replicas: 3 });
    expect(s.run('bootstrap', 'mysql-1').status).toBe(0);
    const again = s.run('bootstrap', 'mysql-1');
    expect(again.status).toBe(0);
    expect(again.log).toBe('');
  });

  test('the primary refuses to start empty when a replica holds data (lost primary volume)', () => {
    const s = pod({ replicas: 3 });
    s.peer(host(2), '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77\n');
    const r = s.run('bootstrap', 'mysql-0');
    expect(r.status).toBe(1);
    expect(r.log).toBe(peerCheck(1) + peerCheck(2));
    expect(r.stderr).toContain(`ERROR: the primary's data directory is empty, but ${host(2)} has data (gtid_executed 3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77)`);
    expect(r.stderr).toContain('promote\na replica');
  });

  test('a peer that answers with an empty GTID set (a brand-new cluster) does not block the primary', () => {
    const s = pod({ replicas: 2 });
    s.peer(host(1), '');
    expect(s.run('bootstrap', 'mysql-0').status).toBe(0);
  });

  test('a data directory with foreign files is not overwritten', () => {
    const s = pod({ replicas: 3 });
    fs.mkdirSync(s.path('var/lib/mysql/data'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/data/ibdata1'), 'x');
    const r = s.run('bootstrap', 'mysql-1');
    expect(r.status).toBe(1);
    expect(r.log).toBe('');
    expect(r.stderr).toContain('is not empty but holds no MySQL data directory');
  });
});

describe('init-config.sh', () => {
  test.each([
    [0, 'primary', 100],
    [1, 'replica', 101],
    [2, 'replica', 102],
  ])('ordinal %d: %s config, server_id %d, report_host its DNS name', (ordinal, role, serverId) => {
    const s = pod({ replicas: 3, initSql: 'CREATE TABLE shop.t (id INT PRIMARY KEY);' });
    const r = s.run('init-config', `mysql-${ordinal}`);
    expect(r.status).toBe(0);
    expect(r.log).toBe('');
    expect(s.read('etc/mysql/conf.d/10-common.cnf')).toBe(s.read('etc/cdk8s-mysql/common.cnf'));
    expect(s.read('etc/mysql/conf.d/20-role.cnf')).toBe(s.read(`etc/cdk8s-mysql/${role}.cnf`));
    expect(s.read('etc/mysql/conf.d/30-pod.cnf')).toBe(`# Written by init-config.sh for mysql-${ordinal} (${role}).
[mysqld]
server_id = ${serverId}
report_host = ${host(ordinal)}
report_port = 3306
`);
    const initdb = fs.readdirSync(s.path('docker-entrypoint-initdb.d')).sort();
    expect(initdb).toEqual(role === 'primary' ? ['10-users.sh', '20-init.sql'] : []);
  });

  test('a server id base and a moved primary', () => {
    const s = pod({ replicas: 3, serverIdBase: 2000, primaryOrdinal: 2 });
    s.run('init-config', 'mysql-2');
    expect(s.read('etc/mysql/conf.d/30-pod.cnf')).toContain('server_id = 2002');
    expect(s.read('etc/mysql/conf.d/20-role.cnf')).toBe(s.read('etc/cdk8s-mysql/primary.cnf'));
  });

  test('a restart rewrites the same files (idempotent)', () => {
    const s = pod({ replicas: 3 });
    s.run('init-config', 'mysql-1');
    const first = fs.readdirSync(s.path('etc/mysql/conf.d')).map(f => s.read(`etc/mysql/conf.d/${f}`));
    expect(s.run('init-config', 'mysql-1').status).toBe(0);
    expect(fs.readdirSync(s.path('etc/mysql/conf.d')).map(f => s.read(`etc/mysql/conf.d/${f}`))).toEqual(first);
  });

  test('a pod name without an ordinal is refused', () => {
    const s = pod({ replicas: 3 });
    const r = s.run('init-config', 'mysql');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("cannot read an ordinal from pod name 'mysql'");
  });
});

describe('initdb-users.sh (run once by the entrypoint on the primary)', () => {
  test('creates the replication user with TLS required and clone/replication privileges', () => {
    const s = pod({ replicas: 3 });
    s.run('init-config', 'mysql-0');
    const r = s.runInitdb('mysql-0');
    expect(r.status).toBe(0);
    expect(r.log).toBe(`-- mysql user=root password=no target=socket:$ROOT/var/run/mysqld/mysqld.sock
CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw' REQUIRE SSL;
GRANT REPLICATION SLAVE, BACKUP_ADMIN ON *.* TO 'repl'@'%';
`);
  });

  test('with metrics: also the exporter user, on loopback, with a connection cap', () => {
    const s = pod({ replicas: 1, metrics: {} }, { 'exporter-password': `ex'p` });
    s.run('init-config', 'mysql-0');
    const r = s.runInitdb('mysql-0');
    expect(r.status).toBe(0);
    expect(r.log).toBe(`-- mysql user=root password=no target=socket:$ROOT/var/run/mysqld/mysqld.sock
CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw' REQUIRE SSL;
GRANT REPLICATION SLAVE, BACKUP_ADMIN ON *.* TO 'repl'@'%';
CREATE USER 'exporter'@'127.0.0.1' IDENTIFIED BY 'ex''p' WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO 'exporter'@'127.0.0.1';
`);
  });
});

describe('probe.sh', () => {
  const probe = (s: PodSandbox, podName: string, kind: string) => s.run('mysql', podName, ['bash', '/etc/cdk8s-mysql/probe.sh', kind]);

  test('readiness on the primary: SELECT 1 as root', () => {
    const s = pod({ replicas: 3 });
    s.answerLocal('1\n');
    const r = probe(s, 'mysql-0', 'readiness');
    expect(r.status).toBe(0);
    expect(r.log).toBe('-- mysql user=root password=yes target=socket:$ROOT/var/run/mysqld/mysqld.sock\nSELECT 1;\n');
  });

  test.each([['ON', 0], ['OFF', 1], ['', 1]])('readiness on a replica: applier state %j gives exit %d', (state, code) => {
    const s = pod({ replicas: 3 });
    s.answerLocal(state ? `${state}\n` : '');
    const r = probe(s, 'mysql-1', 'readiness');
    expect(r.status).toBe(code);
    expect(r.log).toBe(`-- mysql user=root password=yes target=socket:$ROOT/var/run/mysqld/mysqld.sock
SELECT SERVICE_STATE FROM performance_schema.replication_applier_status WHERE CHANNEL_NAME = '';
`);
    if (code !== 0) expect(r.stderr).toContain('not ready');
  });

  test.each(['liveness', 'startup'])('%s: mysqladmin ping on the socket, no credentials needed', (kind) => {
    const s = pod({ replicas: 3 });
    expect(probe(s, 'mysql-1', kind).status).toBe(1);
    fs.writeFileSync(s.path('var/run/mysqld/mysqld.sock'), '');
    const up = probe(s, 'mysql-1', kind);
    expect(up.status).toBe(0);
    expect(up.stdout).toBe('mysqld is alive\n');
  });

  test('an unknown probe is a usage error', () => {
    const s = pod();
    const r = probe(s, 'mysql-0', 'sideways');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('usage: probe.sh startup|liveness|readiness');
  });
});

describe('the scripts', () => {
  const dir = path.join(__dirname, '../../src/mysql/scripts');
  const scripts = fs.readdirSync(dir).filter(f => f.endsWith('.sh'));

  test.each(scripts)('%s uses no syntax MySQL 8.4 removed', (file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    expect(text).not.toMatch(/CHANGE MASTER|START SLAVE|STOP SLAVE|SHOW SLAVE|RESET SLAVE|SHOW MASTER|RESET MASTER|\bMASTER_[A-Z_]+/);
  });

  test('the ConfigMap ships every script verbatim', () => {
    const s = pod();
    for (const file of scripts) expect(s.read(`etc/cdk8s-mysql/${file}`)).toBe(fs.readFileSync(path.join(dir, file), 'utf8'));
  });
});
