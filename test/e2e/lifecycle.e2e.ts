/**
 * ReplicatedMySql on real MySQL 9.7: interrupted first starts, day-2 changes and the metrics
 * account. Each describe block runs its own small cluster.
 */
import * as fs from 'fs';
import {
  ReplicatedMySql, ReplicatedMySqlProps,
} from '../../src';
import { clusterFor, generateSecrets, scenario, synthObjects } from './env';
import { MySqlCluster } from './harness/cluster';
import { Manifest } from './harness/manifests';
import * as s from './scenarios';

const synth = (props: ReplicatedMySqlProps): Manifest[] => synthObjects(chart => new ReplicatedMySql(chart, 'mysql', { image: 'mysql:9.7.4', ...props }));

describe('kill -9 during the first start', () => {
  // The init SQL sleeps, so there is a moment to kill the primary in the middle of initializing.
  const props: ReplicatedMySqlProps = {
    replicas: 2, database: { name: 'shop', user: 'shop' },
    initSql: 'CREATE TABLE shop.seed (id INT PRIMARY KEY); INSERT INTO shop.seed VALUES (1); DO SLEEP(4);',
  };
  const cluster = clusterFor(() => synth(props));
  let c: MySqlCluster;
  beforeAll(() => { c = cluster(); });

  test('the primary killed while initializing: never Ready half-initialized; the next start initializes from scratch', () => scenario(c, async () => {
    const starting = c.start();
    await c.waitUntil('mysql-0 to run its initSql', () => c.pods.get(0)?.log('bootstrap').includes('running initSql') === true);
    const first = c.pod(0);
    // Were the kubelet to probe now, readiness would fail: the initializing server has no socket where the probes look.
    const probe = await first.exec('mysql', ['bash', '/etc/cdk8s-mysql/probe.sh', 'readiness']);
    expect(probe.code).not.toBe(0);
    await c.killPod(0);
    expect(first.readyAt).toBeUndefined();
    expect(fs.existsSync(`${c.claimPath('data', 0)}/data`)).toBe(false);
    await starting;
    const again = c.pod(0);
    expect(again).not.toBe(first);
    expect(again.log('bootstrap')).toContain('initializing a new data directory');
    // The initSql of the interrupted attempt left nothing: it ran exactly once on the data that counts.
    expect(c.query('SELECT COUNT(*) FROM shop.seed;', { pod: 0 })).toBe('1');
    await s.waitReplicated(c, 0, [1]);
    expect(c.query('SELECT COUNT(*) FROM shop.seed;', { pod: 1 })).toBe('1');
  }));

  test('a replica killed while cloning: the next start clones again and it replicates', () => scenario(c, async () => {
    await c.deletePod(1, { recreate: false });
    c.wipeClaim('data', 1);
    const first = c.createPod(1);
    await c.waitUntil('mysql-1 to start cloning', () => first.log('bootstrap').includes('CLONE INSTANCE FROM'));
    await c.killPod(1);
    await c.waitReady(1);
    expect(c.pod(1).log('bootstrap')).toMatch(/cloned from mysql-0\.mysql\.mysql\.svc\.cluster\.local/);
    c.query('INSERT INTO shop.seed VALUES (2);', { pod: 0 });
    await s.waitReplicated(c, 0, [1]);
    expect(c.query('SELECT COUNT(*) FROM shop.seed;', { pod: 1 })).toBe('2');
  }));
});

describe('day-2: a database, its user and metrics added to a running cluster', () => {
  const cluster = clusterFor(() => synth({ replicas: 2 }));
  let c: MySqlCluster;
  beforeAll(() => { c = cluster(); });

  test('they exist after the rolling update the change causes', () => scenario(c, async () => {
    await c.start();
    expect(c.sql("SELECT 1 FROM mysql.user WHERE user = 'shop';", { pod: 0 }).stdout).toBe('');
    const later = synth({ replicas: 2, database: { name: 'shop', user: 'shop' }, metrics: {} });
    // The new keys go into the Secret first (README: Credentials), the old ones stay.
    const sts = later.find(o => o.kind === 'StatefulSet')!;
    const generated = generateSecrets(sts)['mysql-credentials'];
    c.secrets['mysql-credentials'] = { ...generated, ...c.secrets['mysql-credentials'] };
    await c.apply(later);
    expect(c.pod(0).log('bootstrap')).toContain("creating: CREATE DATABASE `shop`;CREATE USER 'shop'@'%';CREATE USER 'exporter'@'localhost';");
    const password = c.secrets['mysql-credentials'].password;
    expect(c.query('SELECT CURRENT_USER(), DATABASE();', { host: 'mysql-primary.mysql.svc.cluster.local', user: 'shop', password, database: 'shop' }))
      .toBe('shop@%\tshop');
    await s.waitReplicated(c, 0, [1]);
    expect(c.query("SELECT user, host, max_user_connections FROM mysql.user WHERE user IN ('shop', 'exporter') ORDER BY user;", { pod: 1 }))
      .toBe('exporter\tlocalhost\t3\nshop\t%\t0');
    // a later restart of the primary creates nothing twice
    await c.deletePod(0);
    await c.waitReady(0);
    expect(c.pod(0).log('bootstrap')).not.toContain('creating:');
  }));

  test('the metrics account runs what mysqld_exporter\'s default collectors run, with the sidecar\'s settings, on the primary and a replica', () => scenario(c, async () => {
    // mysqld_exporter v0.18's default collectors: global_status, global_variables, slave_status
    // (SHOW REPLICA STATUS on 8.4+), info_schema.innodb_cmp, info_schema.innodb_cmpmem, and per
    // scrape SELECT @@version. (query_response_time probes @@query_response_time_stats, which
    // MySQL 8+ lacks; the exporter treats that as "not supported".) Plus the performance_schema
    // replication tables, which SELECT on *.* covers.
    const statements = [
      'SHOW GLOBAL STATUS', 'SHOW GLOBAL VARIABLES', 'SHOW REPLICA STATUS', 'SELECT @@version',
      'SELECT page_size, compress_ops, compress_ops_ok, compress_time, uncompress_ops, uncompress_time FROM information_schema.innodb_cmp',
      'SELECT page_size, buffer_pool_instance, pages_used, pages_free, relocation_ops, relocation_time FROM information_schema.innodb_cmpmem',
      'SELECT * FROM performance_schema.replication_connection_status', 'SELECT * FROM performance_schema.replication_applier_status_by_worker',
    ];
    for (const ordinal of [0, 1]) {
      for (const sql of statements) {
        // In the sidecar's context: its mounts (the exporter.cnf, the socket), its env (the password).
        const script = `out=$(mysql --defaults-file=/etc/cdk8s-mysql/exporter.cnf --password="$MYSQLD_EXPORTER_PASSWORD" --batch -e '${sql}' 2>&1 >/dev/null); rc=$?
printf '%s' "$out" | grep -v 'Using a password on the command line'; exit $rc`;
        const res = await c.pod(ordinal).exec('metrics', ['bash', '-c', script]);
        expect({ ordinal, sql, ...res }).toEqual({ ordinal, sql, code: 0, output: '' });
      }
    }
  }));
});
