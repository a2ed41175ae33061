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

const synth = (props: ReplicatedMySqlProps): Manifest[] => synthObjects((chart) => new ReplicatedMySql(chart, 'mysql', { image: 'mysql:9.7.4', ...props }));

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
    expect(c.sql('SELECT 1 FROM mysql.user WHERE user = \'shop\';', { pod: 0 }).stdout).toBe('');
    const later = synth({ replicas: 2, database: { name: 'shop', user: 'shop' }, metrics: {} });
    // The new keys go into the Secret first (docs/mysql.md: Credentials), the old ones stay.
    const sts = later.find((o) => o.kind === 'StatefulSet')!;
    const generated = generateSecrets(sts)['mysql-credentials'];
    c.secrets['mysql-credentials'] = { ...generated, ...c.secrets['mysql-credentials'] };
    await c.apply(later);
    // the primary's agent creates them once it may take writes
    await c.waitUntil('the primary to create the new accounts', () => c.pod(0).log('agent').includes('CREATE DATABASE'));
    expect(c.pod(0).log('agent')).toContain('mysql-0: CREATE DATABASE `shop`;CREATE USER \'shop\'@\'%\';GRANT ALL PRIVILEGES;CREATE USER \'exporter\'@\'%\';GRANT PROCESS, REPLICATION CLIENT;GRANT SELECT;');
    const password = c.secrets['mysql-credentials'].password;
    expect(c.query('SELECT CURRENT_USER(), DATABASE();', { host: 'mysql-primary.mysql.svc.cluster.local', user: 'shop', password, database: 'shop' }))
      .toBe('shop@%\tshop');
    await s.waitReplicated(c, 0, [1]);
    expect(c.query('SELECT user, host, max_user_connections FROM mysql.user WHERE user IN (\'shop\', \'exporter\') ORDER BY user;', { pod: 1 }))
      .toBe('exporter\t%\t3\nshop\t%\t0');
    // a later restart of the primary creates nothing twice (nothing is written: no GTID)
    const before = s.gtidExecuted(c, 0);
    await c.deletePod(0);
    await c.waitReady(0);
    expect(c.pod(0).log('agent')).not.toMatch(/CREATE|GRANT|REVOKE/);
    expect(s.gtidExecuted(c, 0)).toBe(before);
  }));

  test('the metrics account runs what mysqld_exporter\'s default collectors run, over TLS from another pod, and reads nothing else', () => scenario(c, async () => {
    // mysqld_exporter v0.18's default collectors: global_status, global_variables, slave_status
    // (SHOW REPLICA STATUS on 8.4+), info_schema.innodb_cmp, info_schema.innodb_cmpmem, and per
    // scrape SELECT @@version; plus the performance_schema replication tables.
    const statements = [
      'SHOW GLOBAL STATUS', 'SHOW GLOBAL VARIABLES', 'SHOW REPLICA STATUS', 'SELECT @@version',
      'SELECT page_size, compress_ops, compress_ops_ok, compress_time, uncompress_ops, uncompress_time FROM information_schema.innodb_cmp',
      'SELECT page_size, buffer_pool_instance, pages_used, pages_free, relocation_ops, relocation_time FROM information_schema.innodb_cmpmem',
      'SELECT * FROM performance_schema.replication_connection_status', 'SELECT * FROM performance_schema.replication_applier_status_by_worker',
    ];
    const password = c.secrets['mysql-credentials']['exporter-password'];
    c.query('CREATE TABLE shop.seed (id INT PRIMARY KEY); INSERT INTO shop.seed VALUES (1);', { pod: 0 });
    await s.waitReplicated(c, 0, [1]);
    for (const ordinal of [0, 1]) {
      const exporter = { host: c.podDnsName(ordinal), user: 'exporter', password };
      for (const sql of statements) expect({ ordinal, sql, ...c.sql(`${sql};`, exporter) }).toMatchObject({ ordinal, sql, status: 0 });
      // not the application's data, not the password hashes, not the replication password a replica keeps
      for (const sql of ['SELECT * FROM shop.seed', 'SELECT authentication_string FROM mysql.user', 'SELECT * FROM mysql.slave_master_info']) {
        expect({ ordinal, sql, ...c.sql(`${sql};`, exporter) }).toMatchObject({ ordinal, sql, status: 1, stderr: expect.stringMatching(/ERROR 1142 .*command denied to user 'exporter'/) });
      }
      // over TLS only
      expect(c.sql('SELECT 1;', { ...exporter, tls: false }).stderr).toMatch(/ERROR 1045 .*Access denied for user 'exporter'/);
    }
  }));
});
