/**
 * The guard against what the library really synthesizes: its ReplicatedMySql rules find the objects by
 * the names the library exports as `Conventions`, so a renamed container, env variable or ConfigMap key
 * on either side fails here, not silently in a user's CI.
 */
import { App, Chart, Testing } from 'cdk8s';
import {
  Conventions, MySqlBackupStorage, MySqlCredentials, MySqlReplication, MySqlTls, MySqlVersion, ReplicatedMySql, ReplicatedMySqlProps, S3Credentials,
} from 'cdk8s-stateful';
import { checkUpgrade, Finding } from '../src';
import { cronMaxGapSeconds } from '../src/rules-backup';

function mysql(props: ReplicatedMySqlProps): unknown[] {
  const chart = new Chart(new App(), 'db', { namespace: 'shop' });
  new ReplicatedMySql(chart, 'orders', { replicas: 3, ...props });
  return Testing.synth(chart);
}

const rules = (findings: Finding[]) => findings.map((f) => `${f.rule} ${f.severity} ${f.object.kind}/${f.object.name}`);

describe('the guard on manifests the library synthesizes', () => {
  test('a changed initSql blocks, on the ConfigMap the cluster mounts, with the write Service in the fix', () => {
    const result = checkUpgrade(mysql({ initSql: 'CREATE TABLE a (id INT PRIMARY KEY);' }), mysql({ initSql: 'CREATE TABLE b (id INT PRIMARY KEY);' }));
    const blocking = result.findings.filter((f) => f.rule === 'mysql-init-sql-changed');
    expect(rules(blocking)).toEqual(['mysql-init-sql-changed block ConfigMap/orders-config']);
    expect(blocking[0].fix).toContain(`-c ${Conventions.MYSQL_CONTAINER} `);
    expect(blocking[0].fix).toContain(`orders${Conventions.MYSQL_PRIMARY_SERVICE_SUFFIX}`);
    expect(blocking[0].fix).toContain(Conventions.MYSQL_ROOT_PASSWORD_FILE);
  });

  test('the root password file the fix reads is where the pods mount it', () => {
    type Container = { name: string; volumeMounts?: Array<{ mountPath: string }> };
    const objects = mysql({}) as Array<{ kind: string; spec?: { template?: { spec?: { containers?: Container[] } } } }>;
    const set = objects.find((o) => o.kind === 'StatefulSet')!;
    const main = set.spec!.template!.spec!.containers!.find((c) => c.name === Conventions.MYSQL_CONTAINER)!;
    const dir = Conventions.MYSQL_ROOT_PASSWORD_FILE.slice(0, Conventions.MYSQL_ROOT_PASSWORD_FILE.lastIndexOf('/'));
    expect(main.volumeMounts!.map((m) => m.mountPath)).toContain(dir);
  });

  test('verified TLS in one step blocks; a new cluster without verified TLS warns', () => {
    const selfSigned = mysql({});
    const verify = mysql({ tls: MySqlTls.fromSecret('orders-tls') });
    expect(rules(checkUpgrade(selfSigned, verify).findings.filter((f) => f.rule.startsWith('mysql-tls')))).toEqual([
      'mysql-tls-verify-in-one-step block StatefulSet/orders',
    ]);
    expect(rules(checkUpgrade([], selfSigned).findings)).toEqual(['mysql-tls-unverified warn StatefulSet/orders']);
    expect(checkUpgrade([], verify).findings).toEqual([]);
  });

  test('a switch between asynchronous replication and Group Replication blocks, with the migration path; either way round', () => {
    const asynchronous = mysql({ replicas: 3 });
    const group = mysql({ replicas: 3, replication: MySqlReplication.groupReplication() });
    for (const [before, after, change] of [[asynchronous, group, 'async -> group'], [group, asynchronous, 'group -> async']] as const) {
      const found = checkUpgrade(before, after).findings.filter((f) => f.rule === 'mysql-replication-mode-changed');
      expect(rules(found)).toEqual(['mysql-replication-mode-changed block StatefulSet/orders']);
      expect(found[0].reason).toContain(`(${change})`);
      expect(found[0].fix).toMatch(/^Migrate instead: create a second ReplicatedMySql/);
    }
    expect(checkUpgrade(group, mysql({ replicas: 3, replication: MySqlReplication.groupReplication({ readFromPrimary: true }) })).findings
      .filter((f) => f.rule === 'mysql-replication-mode-changed')).toEqual([]);
    // An asynchronous cluster's pods carry no REPLICATION_MODE (the scripts' default), as before the mode existed.
    expect(JSON.stringify(asynchronous)).not.toContain('"name":"REPLICATION_MODE"');
  });

  const findingsOf = (before: ReplicatedMySqlProps, after: ReplicatedMySqlProps, rule: string) =>
    checkUpgrade(mysql(before), mysql(after)).findings.filter((f) => f.rule === rule);

  test('a MySQL downgrade across series blocks; within a series it warns; an upgrade across series warns with the backup advice', () => {
    const down = findingsOf({ image: 'mysql:9.7.4' }, { image: 'mysql:8.4.10' }, 'mysql-version-downgrade');
    expect(rules(down)).toEqual(['mysql-version-downgrade block StatefulSet/orders']);
    expect(down[0].reason).toContain('MySQL 8.4.10 cannot start on a data directory that 9.7.4 has upgraded');
    expect(down[0].fix).toMatch(/^Keep the image at 9\.7\. To go back a series, restore a logical dump/);
    expect(rules(findingsOf({ image: 'mysql:8.4.10' }, { image: 'mysql:8.4.3' }, 'mysql-version-downgrade'))).toEqual(['mysql-version-downgrade warn StatefulSet/orders']);
    const up = findingsOf({ image: 'mysql:8.4.10' }, { image: 'mysql:9.7.4' }, 'mysql-version-upgrade');
    expect(rules(up)).toEqual(['mysql-version-upgrade warn StatefulSet/orders']);
    expect(up[0].reason).toContain('is one-way');
    expect(up[0].fix).toMatch(/^Take a backup you can restore first/);
    // a patch release forward: nothing to say
    expect(findingsOf({ image: 'mysql:8.4.3' }, { image: 'mysql:8.4.10' }, 'mysql-version-upgrade')).toEqual([]);
    // an image by digest: the series the library recorded on the StatefulSet
    const byDigest = { image: `registry.example.com/mysql@sha256:${'ab'.repeat(32)}`, version: MySqlVersion.V9_7 };
    expect(rules(findingsOf(byDigest, { image: 'mysql:8.4.10' }, 'mysql-version-downgrade'))).toEqual(['mysql-version-downgrade block StatefulSet/orders']);
    expect(findingsOf(byDigest, { image: 'mysql:9.7.4' }, 'mysql-version-downgrade')).toEqual([]);
  });

  test('an ordinal change that removes the primary blocks (two applies: failover first); a failover alone warns with the steps', () => {
    const removed = findingsOf({ startOrdinal: 0, primaryOrdinal: 0 }, { startOrdinal: 1, primaryOrdinal: 1 }, 'mysql-primary-removed');
    expect(rules(removed)).toEqual(['mysql-primary-removed block StatefulSet/orders']);
    expect(removed[0].reason).toContain('deletes the primary\'s pod orders-0 and makes member 1 the primary');
    expect(removed[0].fix).toContain('primaryOrdinal: 1, docs/mysql.md: Failover');
    const failover = findingsOf({ primaryOrdinal: 0 }, { primaryOrdinal: 2 }, 'mysql-failover');
    expect(rules(failover)).toEqual(['mysql-failover warn StatefulSet/orders']);
    expect(failover[0].fix).toContain('check that every member is Ready');
    // scaling out keeps the primary: neither
    const out = checkUpgrade(mysql({ replicas: 3 }), mysql({ replicas: 5 })).findings.map((f) => f.rule);
    expect(out.filter((r) => r === 'mysql-primary-removed' || r === 'mysql-failover')).toEqual([]);
  });

  test('a failover to a member the same apply adds (or unparks) blocks: it has no data to promote', () => {
    const grown = findingsOf({ replicas: 3, primaryOrdinal: 0 }, { replicas: 5, primaryOrdinal: 4 }, 'mysql-failover-to-new-member');
    expect(rules(grown)).toEqual(['mysql-failover-to-new-member block StatefulSet/orders']);
    expect(grown[0].reason).toContain('it is added by it');
    expect(grown[0].fix).toMatch(/^Two applies: first the members/);
    const unparked = findingsOf({ replicas: 0, primaryOrdinal: 0 }, { replicas: 3, primaryOrdinal: 1 }, 'mysql-failover-to-new-member');
    expect(unparked[0].reason).toContain('the cluster is parked');
    // Group Replication elects its primary: no ordinal rules there (a scale-in leaves the group cleanly)
    const group = MySqlReplication.groupReplication();
    expect(checkUpgrade(mysql({ replicas: 7, replication: group }), mysql({ replicas: 3, replication: group })).findings
      .filter((f) => f.rule.startsWith('mysql-') && f.rule !== 'mysql-tls-unverified')).toEqual([]);
  });

  test('a credentials Secret a running cluster reads, now generated, blocks: an apply can remove its values; a new cluster\'s does not', () => {
    const generated = { credentials: MySqlCredentials.fromGeneratedSecret() };
    const now = checkUpgrade(mysql({}), mysql(generated)).findings.filter((f) => f.rule === 'mysql-credentials-now-generated');
    expect(rules(now)).toEqual(['mysql-credentials-now-generated block Secret/orders-credentials']);
    expect(now[0].change).toContain('for the running orders whose members read it (keys root-password, replication-password)');
    expect(now[0].reason).toContain('removes the values when the Secret was made with kubectl apply');
    expect(now[0].fix).toMatch(/^Keep MySqlCredentials\.fromSecretName\('orders-credentials'\) for this cluster/);
    // a new cluster, and the generated Secret in both versions: nothing
    expect(checkUpgrade([], mysql(generated)).findings.map((f) => f.rule)).not.toContain('mysql-credentials-now-generated');
    expect(checkUpgrade(mysql(generated), mysql({ ...generated, replicas: 5 })).findings.map((f) => f.rule)).not.toContain('mysql-credentials-now-generated');
  });

  test('a key the members newly read (backups turned on) warns: a member rolled without it stays in ContainerCreating', () => {
    const backup = { storage: MySqlBackupStorage.s3({ bucket: 'backups', region: 'us-east-1', credentials: S3Credentials.fromSecret('s3') }), image: 'registry.example/mysql-tools:8.4.10' };
    const added = findingsOf({}, { backup }, 'mysql-credentials-key-added');
    expect(rules(added)).toEqual(['mysql-credentials-key-added warn StatefulSet/orders']);
    expect(added[0].change).toBe('the members newly read backup-password');
    expect(added[0].reason).toContain('stays in ContainerCreating');
    expect(added[0].fix).toMatch(/^Add backup-password to the Secret orders-credentials before applying/);
    // the same keys, or one fewer: nothing
    expect(findingsOf({ backup }, { backup, replicas: 5 }, 'mysql-credentials-key-added')).toEqual([]);
    expect(findingsOf({ backup }, {}, 'mysql-credentials-key-added')).toEqual([]);
  });

  test('renaming database.name warns: the new database is empty and the wired clients follow the new name', () => {
    const renamed = findingsOf({ database: { name: 'orders', user: 'app' } }, { database: { name: 'sales', user: 'app' } }, 'mysql-database-renamed');
    expect(rules(renamed)).toEqual(['mysql-database-renamed warn StatefulSet/orders']);
    expect(renamed[0].reason).toContain('the primary creates `sales` empty');
    expect(renamed[0].fix).toContain('RENAME TABLE `orders`.t TO `sales`.t');
  });

  test('objects without the library\'s managed-by label are not taken for a ReplicatedMySql', () => {
    const relabel = (objects: unknown[]) => JSON.parse(JSON.stringify(objects).split(`"${Conventions.MANAGED_BY}"`).join('"someone-else"')) as unknown[];
    const result = checkUpgrade(relabel(mysql({ initSql: 'SELECT 1;' })), relabel(mysql({ initSql: 'SELECT 2;' })));
    expect(result.findings.filter((f) => f.rule.startsWith('mysql-'))).toEqual([]);
  });
});

describe('mysql-binlog-expiry-short: binary logs kept for less than two backup intervals', () => {
  const storage = MySqlBackupStorage.s3({ bucket: 'db-backups', region: 'eu-central-1', credentials: S3Credentials.fromSecret('backup-s3') });
  const withBackup = (schedule?: string, config?: { [option: string]: string }) =>
    mysql({ tls: MySqlTls.fromSecret('orders-tls'), config, backup: { storage, image: 'registry.example/mysql-tools:8.4.10', schedule } });
  const expiry = (result: ReturnType<typeof checkUpgrade>) => result.findings.filter((f) => f.rule === 'mysql-binlog-expiry-short');

  test('a daily backup and 7 days of binary logs: nothing to say', () => {
    expect(expiry(checkUpgrade([], withBackup()))).toEqual([]);
  });

  test('a monthly backup with 7 days of binary logs warns on the CronJob, with the expiry that would do', () => {
    const found = expiry(checkUpgrade([], withBackup('@monthly')));
    expect(rules(found)).toEqual(['mysql-binlog-expiry-short warn CronJob/orders-backup']);
    expect(found[0].newValue).toBe('@monthly (up to 744 h apart), binlog_expire_logs_seconds 604800 (168 h)');
    expect(found[0].fix).toContain(`binlog_expire_logs_seconds: '${2 * 31 * 86400}'`);
  });

  test('a shorter expiry in config warns when it is applied, and only then', () => {
    const daily = withBackup('0 3 * * *');
    const short = withBackup('0 3 * * *', { binlog_expire_logs_seconds: '86400' });
    expect(rules(expiry(checkUpgrade(daily, short)))).toEqual(['mysql-binlog-expiry-short warn CronJob/orders-backup']);
    expect(expiry(checkUpgrade(short, short))).toEqual([]);
    // Twice the longest gap (Sunday and Wednesday: 4 days) is 8 days: 7 days warns.
    expect(rules(expiry(checkUpgrade(daily, withBackup('0 3 * * 0,3'))))).toEqual(['mysql-binlog-expiry-short warn CronJob/orders-backup']);
  });
});

describe('cronMaxGapSeconds', () => {
  test.each([
    ['0 3 * * *', 86400], ['@hourly', 3600], ['*/15 * * * *', 900], ['0 */6 * * *', 6 * 3600], ['30 2 * * 1-5', 3 * 86400],
    ['0 3 * * 0,3', 4 * 86400], ['@monthly', 31 * 86400], ['0 0 1 jan *', 366 * 86400], ['0 0 1,15 * *', 17 * 86400],
  ])('%s: %d s', (schedule, gap) => {
    expect(cronMaxGapSeconds(schedule)).toBe(gap);
  });
  test.each(['every day', '0 3 * *', '61 * * * *', '0 3 * * mon-xyz'])('%s: not understood', (schedule) => {
    expect(cronMaxGapSeconds(schedule)).toBeUndefined();
  });
});
