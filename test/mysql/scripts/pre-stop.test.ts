/**
 * The pod scripts of ReplicatedMySql run for real under bash, with stand-ins for mysql, mysqld,
 * mysqladmin and the API server (../harness.ts): the mysql container's preStop and hand-over of a stopping Group Replication member.
 */
import * as fs from 'fs';
import { MySqlReplication, ReplicatedMySqlProps } from '../../../src';
import { AgentRun, exact, PodSandbox, podPath, STATEFULSET_PATH } from '../harness';
import {
  host, UUID_NOW, onServer, patch, entries, FRESH_FACTS, REPL_FACTS, pod, disposePods, running,
} from './fixtures';

afterEach(disposePods);

describe('a Group Replication member stopping: the primary hands its role over first', () => {
  const GROUP: ReplicatedMySqlProps = { replicas: 3, replication: MySqlReplication.groupReplication() };
  const SELF_VIEW = 'SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_STATE = \'UNREACHABLE\');';
  const WHO_IS_PRIMARY = 'SELECT MEMBER_HOST FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = \'PRIMARY\' AND MEMBER_STATE = \'ONLINE\';';
  const ROLE = 'SELECT MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid AND MEMBER_STATE = \'ONLINE\';';
  const SECONDARIES = 'SELECT MEMBER_HOST, MEMBER_ID FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = \'SECONDARY\' AND MEMBER_STATE = \'ONLINE\';';
  const ID = (ordinal: number) => `0000000${ordinal}-1111-4222-8333-444444444444`;
  const SET_AS_PRIMARY = (ordinal: number) => `SELECT group_replication_set_as_primary('${ID(ordinal)}', 5);`;
  const ROLE_LABEL = 'mysql.cdk8s-stateful.io/role';
  const roleLabel = (ordinal: number, value: string) => patch(podPath(ordinal), `{"metadata":{"labels":{"${ROLE_LABEL}":${value}}}}`);
  const NEW_REVISION = 'mysql-7c5d9b8f4';

  /** mysql-1 of a 3-member group whose members all hold data and are Ready; the test's `answers` first. */
  function groupMember(answers: (s: PodSandbox) => void, facts?: string): PodSandbox {
    const s = running(GROUP, 'mysql-1', { facts, answers });
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    for (const o of [0, 1, 2]) s.setPod(o, 'ready');
    return s;
  }
  const PRIMARY_HOST = 'SELECT MEMBER_HOST FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = \'PRIMARY\';';
  /** mysql-1 as an ONLINE secondary: the primary in its view (`answers`: PRIMARY_HOST) holds G:1-100. */
  const secondaryMember = (answers: (s: PodSandbox) => void) => groupMember((sb) => {
    answers(sb);
    sb.sql('local', SELF_VIEW, { out: 'ONLINE\tSECONDARY\t3\t3\t0\n' });
    for (const o of [0, 2]) sb.sql(host(o), 'gtid_executed', { out: 'aaaaaaaa-bbbb-5ccc-8ddd-eeeeeeeeeeee:1-100\n' });
  });

  /** mysql-1, the ONLINE primary of a 3-member group, labelled by its agent's first look; mysql-0 and mysql-2 Ready secondaries. */
  async function primaryMember(answers: (s: PodSandbox) => void = () => undefined): Promise<{ s: PodSandbox; agent: AgentRun }> {
    const facts = `${FRESH_FACTS}${REPL_FACTS}grant:'repl'@'%':*.*:GROUP_REPLICATION_STREAM\ngrant:'repl'@'%':performance_schema.replication_group_members:SELECT\n`;
    const s = groupMember((sb) => {
      answers(sb);
      sb.sql('local', SELF_VIEW, { out: 'ONLINE\tPRIMARY\t3\t3\t0\n' });
      for (const o of [0, 2]) sb.sql(host(o), exact(WHO_IS_PRIMARY), { out: `${host(1)}\n` });
      sb.sql('local', exact(ROLE), { out: 'PRIMARY\n' });
      sb.sql('local', exact(SECONDARIES), { out: `${host(0)}\t${ID(0)}\n${host(2)}\t${ID(2)}\n` });
    }, facts);
    const agent = s.agent();
    expect((await agent.look()).state).toBe(`ready ${UUID_NOW} group-primary online=3/3\n`);
    expect(s.apiObject(podPath(1)).metadata.labels[ROLE_LABEL]).toBe('primary');
    return { s, agent };
  }
  /** The API server's answer for a pod being deleted. */
  const deleting = (s: PodSandbox, ordinal: number) => {
    const pod = s.apiObject(podPath(ordinal));
    s.setApiObject(podPath(ordinal), { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-03-02T10:00:00Z', deletionGracePeriodSeconds: 120 } });
  };
  const withRevision = (s: PodSandbox, ordinal: number, revision: string) => {
    const pod = s.apiObject(podPath(ordinal));
    s.setApiObject(podPath(ordinal), { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, 'controller-revision-hash': revision } } });
  };
  const report = (s: PodSandbox) => (s.exists('var/run/mysqld/hand-over') ? s.read('var/run/mysqld/hand-over') : undefined);

  test('a deleted pod: the primary moves its role to the highest Ready secondary and labels it, then reports done', async () => {
    const { s, agent } = await primaryMember((sb) => sb.sql('local', exact(SET_AS_PRIMARY(2)), { out: 'Primary server switched to: 00000002-1111-4222-8333-444444444444\n' }));
    deleting(s, 1);
    expect(await agent.stop()).toBe(0);
    const end = await agent.look();
    const log = entries(end.log);
    // the move, then the new primary's label, then its own label goes (its endpoints went with the deletion)
    const at = (entry: string) => log.findIndex((e) => e === entry);
    expect(at(onServer(SET_AS_PRIMARY(2)))).toBeGreaterThanOrEqual(0);
    expect(at(roleLabel(2, '"primary"'))).toBeGreaterThan(at(onServer(SET_AS_PRIMARY(2))));
    expect(at(roleLabel(1, 'null'))).toBeGreaterThan(at(roleLabel(2, '"primary"')));
    expect(s.apiObject(podPath(2)).metadata.labels[ROLE_LABEL]).toBe('primary');
    expect(s.apiObject(podPath(1)).metadata.labels[ROLE_LABEL]).toBeUndefined();
    expect(end.stderr).toContain(`agent.sh: mysql-1: stopping: handed the primary role to ${host(2)}\n`);
    expect(report(s)).toBe('stopped\n');
  });

  test('a rolling update: a member already restarted is preferred (it will not stop again), even with a lower ordinal', async () => {
    const { s, agent } = await primaryMember((sb) => sb.sql('local', exact(SET_AS_PRIMARY(0)), { out: 'Primary server switched to: 00000000-1111-4222-8333-444444444444\n' }));
    const sts = s.apiObject(STATEFULSET_PATH);
    s.setApiObject(STATEFULSET_PATH, { ...sts, status: { ...sts.status, updateRevision: NEW_REVISION } });
    withRevision(s, 0, NEW_REVISION);
    deleting(s, 1);
    await agent.stop();
    const end = await agent.look();
    expect(entries(end.log)).toContain(onServer(SET_AS_PRIMARY(0)));
    expect(entries(end.log)).not.toContain(onServer(SET_AS_PRIMARY(2)));
    expect(s.apiObject(podPath(0)).metadata.labels[ROLE_LABEL]).toBe('primary');
  });

  test('a scale-in: a member the StatefulSet no longer keeps is not chosen, whatever its ordinal', async () => {
    const { s, agent } = await primaryMember((sb) => sb.sql('local', exact(SET_AS_PRIMARY(0)), { out: 'Primary server switched to: 00000000-1111-4222-8333-444444444444\n' }));
    const sts = s.apiObject(STATEFULSET_PATH);
    s.setApiObject(STATEFULSET_PATH, { ...sts, spec: { ...sts.spec, replicas: 2 } });
    deleting(s, 1);
    await agent.stop();
    const end = await agent.look();
    expect(entries(end.log)).toContain(onServer(SET_AS_PRIMARY(0)));
    expect(end.log).not.toContain(podPath(2));
  });

  test('no secondary Ready and staying: nothing is handed over; the group elects when mysqld leaves', async () => {
    const { s, agent } = await primaryMember();
    s.setPod(0, 'not-ready');
    deleting(s, 2);
    deleting(s, 1);
    await agent.stop();
    const end = await agent.look();
    expect(end.log).not.toContain('group_replication_set_as_primary');
    expect(end.stderr).toContain('agent.sh: mysql-1: stopping as the primary, with no Ready secondary to hand the role to: the group elects one when mysqld leaves\n');
    expect(report(s)).toBe('stopped\n');
  });

  test('the move fails: said, and the report still lets mysqld stop', async () => {
    const { s, agent } = await primaryMember((sb) => sb.sql('local', exact(SET_AS_PRIMARY(2)), { exit: 1, err: 'ERROR 3910 (HY000) at line 1: The function \'group_replication_set_as_primary\' failed. The requested member is not ONLINE.\n' }));
    deleting(s, 1);
    await agent.stop();
    const end = await agent.look();
    expect(end.stderr).toContain(`agent.sh: mysql-1: stopping as the primary: could not hand the role to ${host(2)} (ERROR 3910 (HY000) at line 1: The function 'group_replication_set_as_primary' failed. The requested member is not ONLINE.): the group elects a primary when mysqld leaves\n`);
    expect(s.apiObject(podPath(2)).metadata.labels[ROLE_LABEL]).toBeUndefined();
    expect(report(s)).toBe('stopped\n');
  });

  test('only the agent container restarts (its pod is not deleted): the label goes, the role stays', async () => {
    const { s, agent } = await primaryMember();
    await agent.stop();
    const end = await agent.look();
    expect(end.log).not.toContain('group_replication_set_as_primary');
    expect(entries(end.log)).toContain(roleLabel(1, 'null'));
    expect(report(s)).toBe('stopped\n');
    // and the next agent starts without the last one's report
    const next = s.agent();
    await next.look();
    expect(report(s)).toBeUndefined();
  });

  test('a secondary writes its label again when the primary moved: a hand-over labels the new primary from the old one\'s pod', async () => {
    const s = secondaryMember((sb) => {
      sb.sql('local', exact(PRIMARY_HOST), { out: `${host(0)}\n`, times: 2 });
      sb.sql('local', exact(PRIMARY_HOST), { out: `${host(2)}\n` });
      sb.sql('local', 'GTID_SUBSET(', { out: '1 1 1\n' }); // every sample of the primary's set applied
    });
    const agent = s.agent();
    const labels = (log: string) => entries(log).filter((e) => e === roleLabel(1, '"secondary"')).length;
    const first = await agent.look();
    expect(labels(first.log)).toBe(1);
    const same = await agent.next();
    expect(labels(same.log)).toBe(0); // the same primary: nothing to write
    const moved = await agent.next();
    expect(labels(moved.log)).toBe(1);
    expect(moved.state).toBe(`ready ${UUID_NOW} group-secondary lag=0s online=3/3\n`);
  });

  test.each([
    ['nothing left to apply: it missed transactions, and leaves the group to fetch them through recovery', '0', true],
    ['transactions still queued: it is only behind', '3', false],
  ])('a secondary behind the primary for HOLE_SECONDS with %s', async (_what, idle, leaves) => {
    const s = secondaryMember((sb) => {
      sb.sql('local', exact(PRIMARY_HOST), { out: `${host(0)}\n` });
      sb.sql('local', 'GTID_SUBSET(', { out: '0 0 0\n' }); // the primary's set never applied here
      sb.sql('local', 'COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE', { out: `${idle}\n` });
    });
    const agent = s.agent({ HOLE_SECONDS: '1' });
    await agent.look();
    await new Promise((r) => setTimeout(r, 1100));
    const behind = await agent.next();
    expect(entries(behind.log).some((e) => e.includes('STOP GROUP_REPLICATION;'))).toBe(leaves);
    if (leaves) {
      expect(behind.stderr).toMatch(/agent\.sh: mysql-1: this member lacks transactions the primary mysql-0\.mysql\.mysql\.svc\.cluster\.local committed \d+s ago and has none left to apply: leaving the group to fetch them again through recovery\n/);
      expect(behind.state).toBe(`not-ready ${UUID_NOW} missed transactions the group committed; rejoining to recover them\n`);
    } else {
      expect(behind.state).toMatch(/^not-ready \S+ applying the group's transactions: behind the primary/);
    }
  });

  test('a member in ERROR (expelled, or cut off too long) leaves the group cleanly, to rejoin at its next look', async () => {
    const s = running(GROUP, 'mysql-1', { answers: (sb) => sb.sql('local', SELF_VIEW, { out: 'ERROR\tSECONDARY\t1\t3\t0\n' }) });
    const look = await s.agent().look();
    expect(entries(look.log).filter((e) => e.includes('STOP GROUP_REPLICATION;'))).toHaveLength(1);
    expect(look.stderr).toContain('agent.sh: mysql-1: this member left the group in ERROR; stopping Group Replication to rejoin\n');
    expect(look.state).toBe(`not-ready ${UUID_NOW} left the group (ERROR); rejoining\n`);
  });

  describe('the mysql container\'s preStop', () => {
    const fresh = (s: PodSandbox) => fs.writeFileSync(s.path('var/run/mysqld/agent.state'), `ready ${UUID_NOW} group-primary online=3/3\n`);
    function member(role: string): PodSandbox {
      const s = pod(GROUP, 'mysql-1');
      s.serving();
      s.sql('local', exact(ROLE), { out: role });
      return s;
    }
    const timed = (s: PodSandbox, env: Record<string, string> = {}) => {
      const t = Date.now();
      const r = s.preStop(env);
      return { ...r, seconds: (Date.now() - t) / 1000 };
    };

    test('is emitted only in Group Replication mode', () => {
      expect(member('').container('mysql').lifecycle.preStop.exec.command).toEqual(['bash', '/etc/cdk8s-mysql/probe.sh', 'pre-stop']);
      expect(pod({ replicas: 3 }, 'mysql-1').container('mysql').lifecycle).toBeUndefined();
    });

    test('a secondary stops at once', () => {
      const s = member('SECONDARY\n');
      fresh(s);
      const r = timed(s, { HAND_OVER_WAIT: '30' });
      expect(r.status).toBe(0);
      expect(r.seconds).toBeLessThan(10);
    });

    test('the primary waits for its agent\'s report, at most HAND_OVER_WAIT seconds', () => {
      const s = member('PRIMARY\n');
      fresh(s);
      fs.writeFileSync(s.path('var/run/mysqld/hand-over.started'), '');
      const r = timed(s, { HAND_OVER_WAIT: '3' });
      expect(r.status).toBe(0);
      expect(r.seconds).toBeLessThan(6);
      // (bash counts whole seconds: the wait ends within the last one)
      expect(r.seconds).toBeGreaterThanOrEqual(2);
      fs.writeFileSync(s.path('var/run/mysqld/hand-over'), 'stopped\n');
      expect(timed(s, { HAND_OVER_WAIT: '30' }).seconds).toBeLessThan(10);
    });

    test('the primary whose agent is not stopping (mysqld alone is, e.g. by its liveness probe) waits 5 s at most, not HAND_OVER_WAIT', () => {
      const s = member('PRIMARY\n');
      fresh(s);
      const r = timed(s, { HAND_OVER_WAIT: '30' });
      expect(r.seconds).toBeGreaterThanOrEqual(4);
      expect(r.seconds).toBeLessThan(10);
    });

    test('the primary does not wait for an agent that stopped reporting', () => {
      const s = member('PRIMARY\n');
      fresh(s);
      const t = Date.now() / 1000 - 60;
      fs.utimesSync(s.path('var/run/mysqld/agent.state'), t, t);
      expect(timed(s, { HAND_OVER_WAIT: '30' }).seconds).toBeLessThan(10);
    });
  });
});
