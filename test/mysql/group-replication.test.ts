import { Duration } from 'cdk8s';
import { Conventions, MySqlReplication, MySqlTls, ReplicatedMySql, ReplicatedMySqlProps, ReplicationMode } from '../../src';
import { checkAll } from '../policy';
import { find, newChart, synth, toYaml } from '../util';

const GROUP = MySqlReplication.groupReplication();

function build(props: ReplicatedMySqlProps = {}, namespace = 'db') {
  const chart = newChart(namespace);
  const mysql = new ReplicatedMySql(chart, 'mysql', { replicas: 3, replication: GROUP, database: { name: 'shop', user: 'shop' }, ...props });
  const objects = synth(chart);
  const sts = find(objects, 'StatefulSet', 'mysql');
  const cnf: string = find(objects, 'ConfigMap', 'mysql-config').data['common.cnf'];
  return { chart, mysql, objects, sts, cnf };
}
const option = (cnf: string, name: string) => new RegExp(`^(?:loose_)?${name} = (.*)$`, 'm').exec(cnf)?.[1];
const envOf = (sts: any, container: string) => {
  const pod = sts.spec.template.spec;
  return Object.fromEntries([...pod.initContainers, ...pod.containers].find((c: any) => c.name === container).env.map((e: any) => [e.name, e.value]));
};
const refused = (props: ReplicatedMySqlProps) => () => new ReplicatedMySql(newChart('db'), 'mysql', { replication: GROUP, ...props });

describe('ReplicatedMySql with Group Replication', () => {
  test('snapshot', () => {
    expect(toYaml(build().objects)).toMatchSnapshot();
  });

  test('the write Service selects the member labelled primary, the read Service those labelled secondary', () => {
    const { objects, mysql } = build();
    const selector = { 'app.kubernetes.io/instance': 'mysql', 'app.kubernetes.io/name': 'mysql' };
    expect(find(objects, 'Service', 'mysql-primary').spec.selector).toEqual({ ...selector, [Conventions.MYSQL_ROLE_LABEL]: 'primary' });
    expect(find(objects, 'Service', 'mysql-read').spec.selector).toEqual({ ...selector, [Conventions.MYSQL_ROLE_LABEL]: 'secondary' });
    expect(mysql.replicationMode).toBe(ReplicationMode.GROUP);
    // no fixed primary: the StatefulSet carries no primary annotation, and primaryPodHost refuses
    expect(find(objects, 'StatefulSet', 'mysql').metadata.annotations?.['mysql.cdk8s-stateful.io/primary-ordinal']).toBeUndefined();
    expect(() => mysql.primaryPodHost).toThrow(/primaryPodHost.*has no fixed pod with Group Replication.*Fix: use primaryHost/);
    expect(mysql.primaryHost).toBe('mysql-primary.db.svc.cluster.local');
  });

  test('readFromPrimary: the read Service selects every Ready member', () => {
    const { objects } = build({ replication: MySqlReplication.groupReplication({ readFromPrimary: true }) });
    expect(find(objects, 'Service', 'mysql-read').spec.selector).toEqual({ 'app.kubernetes.io/instance': 'mysql', 'app.kubernetes.io/name': 'mysql' });
  });

  test('the members may label their own pods (patch, by name) and nothing else more than in asynchronous mode', () => {
    const { objects } = build();
    const rules = find(objects, 'Role', 'mysql-member').rules;
    expect(rules.find((r: any) => r.resources[0] === 'pods')).toEqual({ apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'], resourceNames: ['mysql-0', 'mysql-1', 'mysql-2'] });
    const asyncChart = newChart('db');
    new ReplicatedMySql(asyncChart, 'mysql', { replicas: 3 });
    const asyncRules = find(synth(asyncChart), 'Role', 'mysql-member').rules;
    expect(rules.filter((r: any) => r.resources[0] !== 'pods')).toEqual(asyncRules.filter((r: any) => r.resources[0] !== 'pods'));
  });

  test('configuration: the group plugin, single-primary over the MySQL port, started by the agent, strict about keys and engines', () => {
    const { cnf } = build();
    expect(option(cnf, 'plugin_load_add')).toBe('mysql_clone.so;group_replication.so');
    expect(option(cnf, 'group_replication_start_on_boot')).toBe('OFF');
    expect(option(cnf, 'group_replication_single_primary_mode')).toBe('ON');
    expect(option(cnf, 'group_replication_communication_stack')).toBe('MYSQL');
    expect(option(cnf, 'group_replication_exit_state_action')).toBe('READ_ONLY');
    // the agent rejoins an expelled member (discarding its unapplied queue), never MySQL on its own
    expect(option(cnf, 'group_replication_autorejoin_tries')).toBe('0');
    expect(option(cnf, 'group_replication_consistency')).toBe('BEFORE_ON_PRIMARY_FAILOVER');
    expect(option(cnf, 'group_replication_member_expel_timeout')).toBe('0');
    expect(option(cnf, 'group_replication_unreachable_majority_timeout')).toBe('30');
    expect(option(cnf, 'sql_require_primary_key')).toBe('ON');
    expect(option(cnf, 'disabled_storage_engines')).toBe('MyISAM,BLACKHOLE,FEDERATED,ARCHIVE,MEMORY');
    // asynchronous replication's loop guard is not for a group
    expect(option(cnf, 'replicate_same_server_id')).toBeUndefined();
    // every member still starts read-only; the group decides who writes
    expect(option(cnf, 'super_read_only')).toBe('ON');
  });

  test('the group name is a UUID derived from namespace and name: the same on every synth, different per cluster', () => {
    const name = (ns: string, id = 'mysql') => option(build({ name: id }, ns).cnf, 'group_replication_group_name');
    expect(name('db')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(name('db')).toBe(name('db'));
    expect(name('db')).not.toBe(name('other'));
    const given = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    expect(option(build({ replication: MySqlReplication.groupReplication({ groupName: given }) }).cnf, 'group_replication_group_name')).toBe(given);
  });

  test('TLS: the group verifies the members\' names against the CA once verifyPeers allows (the recovery channel\'s CA serves the group too)', () => {
    const none = build().cnf;
    expect([option(none, 'group_replication_ssl_mode'), option(none, 'group_replication_recovery_ssl_ca')]).toEqual(['REQUIRED', undefined]);
    const verify = build({ tls: MySqlTls.fromSecret('db-tls') }).cnf;
    expect([option(verify, 'group_replication_ssl_mode'), option(verify, 'group_replication_recovery_ssl_verify_server_cert'), option(verify, 'group_replication_recovery_ssl_ca')])
      .toEqual(['VERIFY_IDENTITY', 'ON', '/etc/mysql/tls/ca.crt']);
    // the first of the two rollouts that turn TLS on: the new certificate, not verified yet
    const serve = build({ tls: MySqlTls.fromSecret('db-tls', { verifyPeers: false }) }).cnf;
    expect([option(serve, 'group_replication_ssl_mode'), option(serve, 'group_replication_recovery_ssl_verify_server_cert'), option(serve, 'group_replication_recovery_ssl_ca')])
      .toEqual(['REQUIRED', 'OFF', '/etc/mysql/tls/ca.crt']);
  });

  test('timeouts are options', () => {
    const timeouts = { memberExpelTimeout: Duration.seconds(5), unreachableMajorityTimeout: Duration.minutes(2) };
    const replication = MySqlReplication.groupReplication(timeouts);
    const { cnf } = build({ replication });
    expect(option(cnf, 'group_replication_member_expel_timeout')).toBe('5');
    expect(option(cnf, 'group_replication_unreachable_majority_timeout')).toBe('120');
  });

  test('the pods are told the mode; init-config writes the address and seeds from the members\' DNS names', () => {
    const { sts, objects } = build();
    expect(envOf(sts, 'init-config').REPLICATION_MODE).toBe('group');
    expect(envOf(sts, 'bootstrap').REPLICATION_MODE).toBe('group');
    expect(envOf(sts, 'agent').REPLICATION_MODE).toBe('group');
    expect(Object.keys(find(objects, 'ConfigMap', 'mysql-config').data)).toContain('group.sh');
  });

  test('policy-clean, apart from the Secret the user creates', () => {
    expect(checkAll(build({ metrics: {} }).objects, ['external-ref'])).toEqual([]);
  });

  test.each([
    [{ replicas: 1 }, /replicas 1 is invalid: must be 3, 5, 7 or 9 with Group Replication.*Fix: use 3 members, or MySqlReplication.asynchronous\(\) for one or two/],
    [{ replicas: 4 }, /replicas 4 is invalid: must be 3, 5, 7 or 9.*Fix: use 5 members/],
    [{ replicas: 11 }, /replicas 11 is invalid.*Fix: use 9 members/],
    [{ replicas: 3, primaryOrdinal: 1 }, /primaryOrdinal 1 is invalid: has no effect with Group Replication: the group elects its primary. Fix: remove primaryOrdinal/],
    [{ replicas: 3, protectPrimary: true }, /protectPrimary true is invalid: cannot follow the primary with Group Replication.*Fix: remove protectPrimary/],
    [{ replicas: 3, replication: MySqlReplication.groupReplication({ groupName: 'not-a-uuid' }) }, /replication.groupName "not-a-uuid" is invalid: is not a lowercase UUID/],
    [{ replicas: 3, replication: MySqlReplication.groupReplication({ memberExpelTimeout: Duration.millis(1500) }) }, /replication.memberExpelTimeout "1.5s" is invalid: must be a whole number of seconds from 0 to 3600/],
    [{ replicas: 3, config: { group_replication_group_seeds: 'x:3306' } }, /config.group_replication_group_seeds "x:3306" is invalid: is managed by ReplicatedMySql/],
    [{ replicas: 3, config: { sql_require_primary_key: 'OFF' } }, /config.sql_require_primary_key "OFF" is invalid: is managed by ReplicatedMySql/],
    // mysqld's option prefixes name the same option: loose_, skip_, enable_, disable_, maximum_
    [{ replicas: 3, config: { loose_group_replication_bootstrap_group: 'ON' } }, /config.loose_group_replication_bootstrap_group "ON" is invalid: is managed by ReplicatedMySql/],
    [{ replicas: 3, config: { 'skip-sql-require-primary-key': 'ON' } }, /config.skip-sql-require-primary-key "ON" is invalid: is managed/],
    [{ replicas: 3, config: { loose_super_read_only: 'OFF' } }, /config.loose_super_read_only "OFF" is invalid: is managed/],
    [{ replicas: 3, config: { group_replication_autorejoin_tries: '3' } }, /config.group_replication_autorejoin_tries "3" is invalid: is managed/],
    [{ replicas: 3, config: { maximum_group_replication_member_weight: '0' } }, /config.maximum_group_replication_member_weight "0" is invalid: is managed/],
    [{ replicas: 3, config: { loose_sync_binlog: '0' } }, /config.loose_sync_binlog "0" is invalid: is sync_binlog under another name. Fix: write it as sync_binlog/],
    [{ replicas: 3, config: { skip_innodb_doublewrite: 'ON' } }, /config.skip_innodb_doublewrite "ON" is invalid: is innodb_doublewrite under another name/],
  ] as Array<[ReplicatedMySqlProps, RegExp]>)('refused: %j', (props, message) => {
    expect(refused(props)).toThrow(message);
  });

  test('the group options the construct leaves alone are yours, written loose_ (mysqld --initialize loads no plugin)', () => {
    const { cnf } = build({ config: { group_replication_flow_control_mode: 'DISABLED', group_replication_transaction_size_limit: '50000000' } });
    expect(cnf).toMatch(/^loose_group_replication_flow_control_mode = DISABLED$/m);
    expect(cnf).toMatch(/^loose_group_replication_transaction_size_limit = 50000000$/m);
  });

  test('lostMembers, the escape hatch after a full outage: a StatefulSet annotation the agents read (no rolling update needed)', () => {
    const key = 'mysql.cdk8s-stateful.io/lost-members';
    expect(build().sts.metadata.annotations?.[key]).toBeUndefined();
    const plain = build().sts.spec.template;
    const { sts } = build({ replication: MySqlReplication.groupReplication({ lostMembers: [2, 0, 2] }) });
    expect(sts.metadata.annotations[key]).toBe('0 2');
    // the pods are unchanged: a full outage has no Ready pod for a rolling update to replace
    expect(sts.spec.template).toEqual(plain);
    expect(refused({ replicas: 3, replication: MySqlReplication.groupReplication({ lostMembers: [3] }) }))
      .toThrow(/replication.lostMembers\[0\] 3 is invalid.*Fix: list ordinals of members \(0 to 2\)/);
    expect(refused({ replicas: 3, replication: MySqlReplication.groupReplication({ lostMembers: [0, 1, 2] }) }))
      .toThrow(/replication.lostMembers \[0,1,2\] is invalid: lists every member: no member would be left to start the group/);
  });

  test('0 members parks a group; asynchronous() is the default mode', () => {
    expect(build({ replicas: 0 }).sts.spec.replicas).toBe(0);
    const chart = newChart('db');
    expect(new ReplicatedMySql(chart, 'a', {}).replicationMode).toBe(ReplicationMode.ASYNCHRONOUS);
    expect(new ReplicatedMySql(chart, 'b', { replication: MySqlReplication.asynchronous(), replicas: 2 }).replicationMode).toBe(ReplicationMode.ASYNCHRONOUS);
  });

  test('plain JavaScript: a typo in the options and a wrong replication value get the fix', () => {
    expect(() => MySqlReplication.groupReplication({ memberExpelTimout: Duration.seconds(1) } as any))
      .toThrow(/MySqlReplication.groupReplication\(\).*memberExpelTimout.*is not a prop of GroupReplicationOptions.*did you mean memberExpelTimeout\?/);
    expect(refused({ replication: 'group' as any })).toThrow(/replication "group" is invalid: must be a MySqlReplication.*Fix: use MySqlReplication.groupReplication\(\)/);
  });
});
