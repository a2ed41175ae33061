/**
 * The pod scripts of ReplicatedMySql run for real under bash, with stand-ins for mysql, mysqld,
 * mysqladmin and the API server (../harness.ts): probe.sh, the readiness and liveness probe.
 */
import * as fs from 'fs';
import { exact, PodSandbox } from '../harness';
import { UUID_A, UUID_NOW, RUN_SOCK, onServer, pod, disposePods, running, state } from './fixtures';

afterEach(disposePods);

describe('probe.sh', () => {
  const READINESS = 'SELECT @@server_uuid, @@GLOBAL.super_read_only, IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = \'\'), \'-\'), IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_applier_status WHERE CHANNEL_NAME = \'\'), \'-\');';
  /** The agent's report, as agent.sh writes it, and mysqld running with the given answers. */
  function reported(report: string | undefined, server?: string): PodSandbox {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.serving();
    if (report !== undefined) fs.writeFileSync(s.path('var/run/mysqld/agent.state'), report);
    if (server !== undefined) s.sql('local', exact(READINESS), { out: server });
    return s;
  }
  const age = (s: PodSandbox, seconds: number) => {
    const t = Date.now() / 1000 - seconds;
    fs.utimesSync(s.path('var/run/mysqld/agent.state'), t, t);
  };

  test.each(['startup', 'liveness'] as const)('%s: mysqladmin ping on the socket, without credentials', (kind) => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    const down = s.probe(kind);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain(`Can't connect to local MySQL server through socket '${RUN_SOCK}' (2)`);
    s.serving();
    // Access is denied (no credentials), yet ping reports the server alive, as the real one does.
    const up = s.probe(kind);
    expect(up.status).toBe(0);
    expect(up.stderr).toContain('Access denied');
  });

  test('readiness, a primary the agent opened, writable, the same start of mysqld: ready', () => {
    const s = reported(`ready ${UUID_NOW} primary\n`, `${UUID_NOW}\t0\t-\t-\n`);
    const r = s.probe('readiness');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.log).toBe(onServer(READINESS));
  });

  test.each([
    ['a group primary, ONLINE, PRIMARY, writable', 'group-primary online=3/3', 'ONLINE PRIMARY 0', ''],
    ['a group secondary, ONLINE, SECONDARY', 'group-secondary lag=0s online=3/3', 'ONLINE SECONDARY 1', ''],
    ['a pod still reported primary whose member is a secondary now', 'group-primary online=3/3', 'ONLINE SECONDARY 1', 'not ready: the agent reported group-primary, but the member is SECONDARY now\n'],
    // elected since the agent's last look: still Ready (the agent moves the label at its next look)
    ['a group secondary elected primary since the agent\'s report', 'group-secondary lag=0s online=3/3', 'ONLINE PRIMARY 0', ''],
    ['a group primary that is read-only', 'group-primary online=3/3', 'ONLINE PRIMARY 1', 'not ready: the primary is read-only (super_read_only=1)\n'],
    ['a member that left the group', 'group-secondary lag=0s online=3/3', 'ERROR SECONDARY 1', 'not ready: not ONLINE in the group (ERROR)\n'],
  ])('readiness of a Group Replication member: %s', (_what, report, server, out) => {
    const s = reported(`ready ${UUID_NOW} ${report}\n`, `${UUID_NOW}\t1\t-\t-\n`);
    const GROUP_READINESS = 'SELECT CONCAT_WS(\' \', IFNULL((SELECT CONCAT(MEMBER_STATE, \' \', MEMBER_ROLE) FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid), \'OFFLINE -\'), @@GLOBAL.super_read_only);';
    s.sql('local', exact(GROUP_READINESS), { out: `${server}\n` });
    const r = s.probe('readiness');
    expect(r.stdout).toBe(out);
    expect(r.status).toBe(out ? 1 : 0);
  });

  test('readiness, a replica the agent found up to date, both threads running: ready', () => {
    const s = reported(`ready ${UUID_NOW} replica lag=3s\n`, `${UUID_NOW}\t1\tON\tON\n`);
    expect(s.probe('readiness').status).toBe(0);
  });

  test.each([
    ['the agent has not reported', undefined, undefined, 'not ready: the agent has not reported yet\n'],
    ['the agent says not ready', `not-ready ${UUID_NOW} checking the other members before taking writes\n`, undefined, 'not ready: checking the other members before taking writes\n'],
    ['the report is about an earlier start of mysqld', `ready ${UUID_A} primary\n`, `${UUID_NOW}\t0\t-\t-\n`, 'not ready: the agent\'s report is about an earlier start of mysqld\n'],
    ['a primary read-only after all', `ready ${UUID_NOW} primary\n`, `${UUID_NOW}\t1\t-\t-\n`, 'not ready: read-only (super_read_only=1)\n'],
    ['a replica whose applier stopped', `ready ${UUID_NOW} replica lag=0s\n`, `${UUID_NOW}\t1\tON\tOFF\n`, 'not ready: replication is not running (receiver ON, applier OFF)\n'],
    ['a report without a role', `ready ${UUID_NOW}\n`, `${UUID_NOW}\t1\t-\t-\n`, 'not ready: the agent\'s report names no role\n'],
  ])('readiness, %s: not ready, says why', (_what, report, server, said) => {
    const s = reported(report, server);
    const r = s.probe('readiness');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(said);
  });

  test('readiness, the agent\'s last report is older than AGENT_STALE_SECONDS: not ready, without asking mysqld', () => {
    const s = reported(`ready ${UUID_NOW} primary\n`, `${UUID_NOW}\t0\t-\t-\n`);
    age(s, 200);
    const r = s.probe('readiness');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^not ready: the agent's last report is 20[01]s old \(is the agent container running\?\)\n$/);
    expect(r.log).toBe('');
  });

  test('readiness, mysqld does not answer on its socket: not ready', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    fs.writeFileSync(s.path('var/run/mysqld/agent.state'), `ready ${UUID_NOW} primary\n`);
    const r = s.probe('readiness');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('not ready: mysqld does not answer on its socket\n');
  });

  test('readiness reads what the agent wrote: the primary it opened is ready, and not once mysqld restarted', async () => {
    const s = running({ replicas: 1 }, 'mysql-0');
    s.setEvidence({ 'mysql-0': 'holds-data' });
    s.sql('local', exact(READINESS), { out: `${UUID_NOW}\t{{super_read_only}}\t-\t-\n` });
    expect((await s.agent().look()).state).toBe(state('ready primary'));
    expect(s.probe('readiness').status).toBe(0);
    s.serving();
    expect(s.probe('readiness').stdout).toBe('not ready: read-only (super_read_only=1)\n');
  });

  test.each([
    ['no report yet (the agent writes at its first look)', undefined, 0, 0, ''],
    ['a fresh report', 'not-ready none mysqld does not answer on its socket yet\n', 10, 0, ''],
    ['a report older than AGENT_LIVENESS_SECONDS', `ready ${UUID_NOW} primary\n`, 400, 1, /^the agent has not reported for 40[01]s\n$/],
  ])('the agent container\'s liveness, %s', (_what, report, seconds, status, said) => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    if (report !== undefined) {
      fs.writeFileSync(s.path('var/run/mysqld/agent.state'), report);
      age(s, seconds);
    }
    const r = s.probe('agent');
    expect(r.status).toBe(status);
    if (typeof said === 'string') expect(r.stdout).toBe(said);
    else expect(r.stdout).toMatch(said);
    expect(r.log).toBe('');
  });

  test('an unknown probe is a usage error', () => {
    const s = pod({ replicas: 3 }, 'mysql-0');
    const r = s.exec('mysql', ['bash', '/etc/cdk8s-mysql/probe.sh', 'sideways']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('probe.sh: ERROR: usage: probe.sh startup|liveness|readiness|agent|pre-stop\n');
  });
});
