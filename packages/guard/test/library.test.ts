/**
 * The guard against what the library really synthesizes: its ReplicatedMySql rules find the objects by
 * the names the library exports as `Conventions`, so a renamed container, env variable or ConfigMap key
 * on either side fails here, not silently in a user's CI.
 */
import { App, Chart, Testing } from 'cdk8s';
import { Conventions, MySqlReplication, MySqlTls, ReplicatedMySql, ReplicatedMySqlProps } from 'cdk8s-stateful';
import { checkUpgrade, Finding } from '../src';

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

  test('objects without the library\'s managed-by label are not taken for a ReplicatedMySql', () => {
    const relabel = (objects: unknown[]) => JSON.parse(JSON.stringify(objects).split(`"${Conventions.MANAGED_BY}"`).join('"someone-else"')) as unknown[];
    const result = checkUpgrade(relabel(mysql({ initSql: 'SELECT 1;' })), relabel(mysql({ initSql: 'SELECT 2;' })));
    expect(result.findings.filter((f) => f.rule.startsWith('mysql-'))).toEqual([]);
  });
});
