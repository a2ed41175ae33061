/**
 * The pod scripts of ReplicatedMySql run for real under bash, with stand-ins for mysql, mysqld,
 * mysqladmin and the API server (../harness.ts): init-config.sh renders the member's configuration.
 */
import { MySqlReplication } from '../../../src';
import { PodSandbox } from '../harness';
import { host, pod, disposePods } from './fixtures';

afterEach(disposePods);

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
