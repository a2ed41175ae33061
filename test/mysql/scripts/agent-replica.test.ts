/**
 * The pod scripts of ReplicatedMySql run for real under bash, with stand-ins for mysql, mysqld,
 * mysqladmin and the API server (../harness.ts): agent.sh on replicas and on Group Replication members.
 */
import * as fs from 'fs';
import { Duration } from 'cdk8s';
import { MySqlReplication, ReplicatedMySqlProps } from '../../../src';
import { exact, gtidSet, PodSandbox, podPath, REPLICATION_PASSWORD, ROOT_PASSWORD, STATEFULSET_PATH } from '../harness';
import {
  host, UUID_A, UUID_B, UUID_NOW, onServer, onPeer, patch, GET_STS, GET_MEMBERS, entries, GTIDS, MINE_SQL, SOURCE_SQL,
  reconfirm, subtract, gtids, FRESH_FACTS, REPL_FACTS, pod, disposePods, UUID_SQL, REPLICA_STATE, MINE_SET, running,
  state,
} from './fixtures';

afterEach(disposePods);

describe('agent.sh: a replica', () => {
  /** The primary's transactions (two UUIDs), as its server holds them, and on one line. */
  const PRIMARY_GTIDS = gtidSet(`${UUID_A}:1-120`, `${UUID_B}:1-5`);
  const PRIMARY_SET = `${UUID_A}:1-120,${UUID_B}:1-5`;
  const ERRANT_SQL = subtract(MINE_SET, PRIMARY_SET);
  const SOURCE_UUID = 'b0b0b0b0-0000-4000-8000-000000000000';
  const threadRules = new WeakMap<PodSandbox, () => void>();
  /** What the replica's server says about itself: super_read_only now, its channel's source, its two threads. */
  function threads(s: PodSandbox, io: string, applier: string, source = host(0)): void {
    threadRules.get(s)?.();
    threadRules.set(s, s.sql('local', exact(REPLICA_STATE), { out: `{{super_read_only}}\t${source}\t${io}\t${applier}\n` }));
  }
  /** mysql-1 of three, running, replicating from mysql-0; it holds nothing mysql-0 lacks unless `answers` says otherwise. */
  function replica(answers: (s: PodSandbox) => void = () => undefined, props: ReplicatedMySqlProps = { replicas: 3 }): PodSandbox {
    const s = running(props, 'mysql-1', { answers });
    s.setEvidence({ 'mysql-1': 'holds-data' });
    s.sql(host(0), exact(GTIDS), gtids(PRIMARY_GTIDS));
    s.sql(host(0), exact(SOURCE_SQL), { out: `${SOURCE_UUID}|${PRIMARY_SET}\n` });
    s.sql('local', exact(MINE_SQL), { rows: [{ mine: MINE_SET }] });
    s.sql('local', exact(ERRANT_SQL), gtids(''));
    threads(s, 'OFF', 'OFF');
    return s;
  }
  const LOOK = onServer(UUID_SQL) + GET_STS;
  const CHECK = onServer(REPLICA_STATE) + onServer(MINE_SQL) + onPeer(0, SOURCE_SQL) + onServer(ERRANT_SQL);
  const lagSql = (sets: string[]) => `SELECT CONCAT_WS(' ', ${sets.map((set) => `GTID_SUBSET('${set}', @@GLOBAL.gtid_executed)`).join(', ')});`;
  const samples = (s: PodSandbox) => s.read('var/run/mysqld/agent.samples');

  test('holds nothing its source lacks: starts replication; once both threads run and it has applied the primary\'s set, Ready with lag 0', async () => {
    const s = replica();
    const agent = s.agent();
    const first = await agent.look();
    expect(first.log).toBe(LOOK + GET_MEMBERS + CHECK + onServer('START REPLICA;'));
    expect(first.stderr).toContain(`agent.sh: mysql-1: started replication from ${host(0)} (this member holds nothing it lacks)\n`);
    expect(first.state).toBe(state('not-ready replication starting'));

    threads(s, 'ON', 'ON');
    s.sql('local', exact(lagSql([PRIMARY_SET])), { out: '1\n' });
    const second = await agent.next();
    expect(second.log).toBe(LOOK + CHECK + onServer(lagSql([PRIMARY_SET])));
    expect(second.state).toBe(state('ready replica lag=0s'));
    expect(second.stderr).toBe('agent.sh: mysql-1: ready (replica lag=0s)\n');
    expect(samples(s)).toMatch(new RegExp(`^\\d+\\t${PRIMARY_SET}\\n$`));
  });

  test('holds transactions its source lacks (errant): replication is not started, says why and what to do', async () => {
    const errant = gtidSet(`${UUID_B}:6-7`, 'c0ffee00-0000-4000-8000-000000000001:1');
    const oneLine = `${UUID_B}:6-7,c0ffee00-0000-4000-8000-000000000001:1`;
    const s = replica((s) => {
      s.sql('local', exact(ERRANT_SQL), gtids(errant));
      // asked again, the source still lacks them
      s.sql(host(0), exact(reconfirm(oneLine)), gtids(errant));
    });
    const look = await s.agent().look();
    expect(look.log).toBe(LOOK + GET_MEMBERS + CHECK + onPeer(0, reconfirm(oneLine)));
    expect(look.state).toBe(state(`not-ready this member holds transactions its source ${host(0)} lacks (${UUID_B}:6-7,c0ffee00-0000-4000-8000-000000000001:1): replication is stopped so that nothing is applied on top of them. Either the source lost them (its data is older: make this member the primary, primaryOrdinal: 1, docs/mysql.md: Failover) or they are to be discarded (delete this member's claim data-mysql-1, then its pod: it re-clones)`));
  });

  test('errant transactions appear while it replicates: replication is stopped', async () => {
    const s = replica((s) => {
      // None at the first look, one at the second.
      s.sql('local', exact(ERRANT_SQL), { ...gtids(''), times: 1 });
      s.sql('local', exact(ERRANT_SQL), gtids(`${UUID_B}:6`));
      s.sql(host(0), exact(reconfirm(`${UUID_B}:6`)), gtids(`${UUID_B}:6`));
    });
    const agent = s.agent();
    expect((await agent.look()).state).toBe(state('not-ready replication starting'));
    threads(s, 'ON', 'ON');
    const look = await agent.next();
    expect(look.log).toBe(LOOK + CHECK + onPeer(0, reconfirm(`${UUID_B}:6`)) + onServer('STOP REPLICA;'));
    expect(look.state).toMatch(new RegExp(`^not-ready ${UUID_NOW} this member holds transactions its source ${host(0).replace(/\./g, '\\.')} lacks \\(${UUID_B}:6\\)`));
  });

  test('lag is the age of the oldest sample of the primary\'s set it has not applied', async () => {
    const s = replica();
    // The agent's clock (bash SECONDS) starts at 10000 here; samples are "time<TAB>set" lines.
    const agent = s.agent({ SECONDS: '10000' });
    await agent.look();
    threads(s, 'ON', 'ON');
    fs.writeFileSync(s.path('var/run/mysqld/agent.samples'), `9900\t${UUID_A}:1-50\n9950\t${UUID_A}:1-80\n`);
    // Applied the sample of 9900, not that of 9950 nor the newest.
    s.sql('local', exact(lagSql([`${UUID_A}:1-50`, `${UUID_A}:1-80`, PRIMARY_SET])), { out: '1 0 0\n' });
    const look = await agent.next();
    const now = Number(/\n(\d+)\t[^\n]*\n$/.exec(samples(s))![1]);
    expect(samples(s)).toBe(`9900\t${UUID_A}:1-50\n9950\t${UUID_A}:1-80\n${now}\t${PRIMARY_SET}\n`);
    expect(look.state).toBe(state(`ready replica lag=${now - 9950}s`));
  });

  test('lag above maxReplicaLag: not ready, says by how much', async () => {
    const s = replica();
    const agent = s.agent({ SECONDS: '10000' });
    await agent.look();
    threads(s, 'ON', 'ON');
    fs.writeFileSync(s.path('var/run/mysqld/agent.samples'), `9900\t${UUID_A}:1-50\n9930\t${UUID_A}:1-80\n`);
    s.sql('local', exact(lagSql([`${UUID_A}:1-50`, `${UUID_A}:1-80`, PRIMARY_SET])), { out: '1 0 0\n' });
    const look = await agent.next();
    const now = Number(/\n(\d+)\t[^\n]*\n$/.exec(samples(s))![1]);
    expect(look.state).toBe(state(`not-ready replication lag ${now - 9930}s exceeds 60s (against the primary ${host(0)})`));
  });

  test('maxReplicaLag comes from the manifest (MAX_REPLICA_LAG_SECONDS)', async () => {
    const s = replica(() => undefined, { replicas: 3, maxReplicaLag: Duration.seconds(5) });
    expect(s.envFor('agent').MAX_REPLICA_LAG_SECONDS).toBe('5');
    const agent = s.agent({ SECONDS: '10000' });
    await agent.look();
    threads(s, 'ON', 'ON');
    fs.writeFileSync(s.path('var/run/mysqld/agent.samples'), `9990\t${UUID_A}:1-50\n9994\t${UUID_A}:1-80\n`);
    s.sql('local', exact(lagSql([`${UUID_A}:1-50`, `${UUID_A}:1-80`, PRIMARY_SET])), { out: '1 0 0\n' });
    const look = await agent.next();
    const now = Number(/\n(\d+)\t[^\n]*\n$/.exec(samples(s))![1]);
    expect(now - 9994).toBeGreaterThan(5);
    expect(look.state).toBe(state(`not-ready replication lag ${now - 9994}s exceeds 5s (against the primary ${host(0)})`));
  });

  test('not caught up once since mysqld started: not ready while catching up', async () => {
    const s = replica();
    const agent = s.agent({ SECONDS: '10000' });
    await agent.look();
    threads(s, 'ON', 'ON');
    fs.writeFileSync(s.path('var/run/mysqld/agent.samples'), `9990\t${UUID_A}:1-50\n`);
    s.sql('local', exact(lagSql([`${UUID_A}:1-50`, PRIMARY_SET])), { out: '0 0\n' });
    const look = await agent.next();
    const now = Number(/\n(\d+)\t[^\n]*\n$/.exec(samples(s))![1]);
    expect(look.state).toBe(state(`not-ready catching up with the primary ${host(0)} (behind by ${now - 9990}s or more)`));
  });

  test('samples older than maxReplicaLag plus two looks are dropped', async () => {
    const s = replica();
    const agent = s.agent({ SECONDS: '10000' });
    await agent.look();
    threads(s, 'ON', 'ON');
    // Kept: 60 s + 2 x AGENT_INTERVAL (3600 s here) = 7260 s back.
    fs.writeFileSync(s.path('var/run/mysqld/agent.samples'), `2000\t${UUID_A}:1-10\n9000\t${UUID_A}:1-50\n`);
    s.sql('local', exact(lagSql([`${UUID_A}:1-50`, PRIMARY_SET])), { out: '1 1\n' });
    const look = await agent.next();
    expect(entries(look.log)).toContain(onServer(lagSql([`${UUID_A}:1-50`, PRIMARY_SET])));
    expect(samples(s)).not.toContain(`${UUID_A}:1-10`);
    expect(look.state).toBe(state('ready replica lag=0s'));
  });

  test('following another member than the primary (before its pod restarts): errant checked against its source, lag against the primary', async () => {
    const s = replica();
    threads(s, 'OFF', 'OFF', host(2));
    s.sql(host(2), exact(SOURCE_SQL), { out: `${SOURCE_UUID}|${MINE_SET}\n` });
    s.sql('local', exact(subtract(MINE_SET, MINE_SET)), gtids(''));
    const agent = s.agent();
    await agent.look();
    threads(s, 'ON', 'ON', host(2));
    s.sql('local', exact(lagSql([PRIMARY_SET])), { out: '0\n' });
    const look = await agent.next();
    expect(look.log).toBe(LOOK + onServer(REPLICA_STATE) + onServer(MINE_SQL) + onPeer(2, SOURCE_SQL) + onServer(subtract(MINE_SET, MINE_SET))
      + onPeer(0, GTIDS) + onServer(lagSql([PRIMARY_SET])));
    expect(look.state).toMatch(new RegExp(`^not-ready ${UUID_NOW} catching up with the primary ${host(0).replace(/\./g, '\\.')} \\(behind by 0s or more\\)\\n$`));
  });

  test('a transaction the source sent before its commit made it part of gtid_executed is not errant: the source, asked again, has it', async () => {
    const s = replica((s) => {
      s.sql('local', exact(ERRANT_SQL), gtids(`${UUID_A}:121`));
      s.sql(host(0), exact(reconfirm(`${UUID_A}:121`)), gtids(''));
    });
    const look = await s.agent().look();
    expect(look.log).toBe(LOOK + GET_MEMBERS + CHECK + onPeer(0, reconfirm(`${UUID_A}:121`)) + onServer('START REPLICA;'));
    expect(look.state).toBe(state('not-ready replication starting'));
  });

  test('its source cannot be reached: not ready (it cannot show it is up to date); a running receiver is stopped until the next check', async () => {
    // Answered at the first look only; then nothing listens there.
    const s = replica((s) => {
      s.sql(host(0), exact(SOURCE_SQL), { out: `${SOURCE_UUID}|${PRIMARY_SET}\n`, times: 1 });
      s.peerDown(host(0));
    });
    const agent = s.agent();
    expect((await agent.look()).log).toContain(onServer('START REPLICA;'));
    threads(s, 'ON', 'ON');
    const look = await agent.next();
    expect(look.state).toBe(state(`not-ready its source ${host(0)} cannot be reached (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(0)}:3306' (111)): this member cannot show it is up to date; replication waits for the check`));
    expect(look.log).toBe(LOOK + onServer(REPLICA_STATE) + onServer(MINE_SQL) + onPeer(0, SOURCE_SQL) + onServer('STOP REPLICA IO_THREAD;'));
    expect(look.stderr).toContain('agent.sh: mysql-1: its source cannot be reached: replication stopped until this member is checked against it again\n');
  });

  test('its source restarted (a new server_uuid): the receiver is stopped and started again only after the check', async () => {
    const s = replica((s) => {
      s.sql(host(0), exact(SOURCE_SQL), { out: `${SOURCE_UUID}|${PRIMARY_SET}\n`, times: 1 });
      s.sql(host(0), exact(SOURCE_SQL), { out: `c1c1c1c1-0000-4000-8000-000000000000|${PRIMARY_SET}\n` });
    });
    const agent = s.agent();
    expect((await agent.look()).log).toContain(onServer('START REPLICA;'));
    threads(s, 'ON', 'ON');
    s.sql('local', exact(lagSql([PRIMARY_SET])), { out: '1\n' });
    const look = await agent.next();
    expect(look.log).toBe(LOOK + onServer(REPLICA_STATE) + onServer(MINE_SQL) + onPeer(0, SOURCE_SQL) + onServer('STOP REPLICA IO_THREAD;') + onServer(ERRANT_SQL) + onServer('START REPLICA;'));
    expect(look.stderr).toContain('agent.sh: mysql-1: its source restarted (server_uuid c1c1c1c1-0000-4000-8000-000000000000): replication stopped until this member is checked against it again\n');
  });

  test('a replication thread stopped: not ready, with the server\'s error', async () => {
    const s = replica();
    const agent = s.agent();
    await agent.look();
    threads(s, 'CONNECTING', 'ON');
    const error = `Error connecting to source 'repl@${host(0)}:3306'. This was attempt 3/0, with a delay of 10 seconds between attempts. Message: Access denied for user 'repl'@'10.244.0.11' (using password: YES)`;
    s.sql('local', /^SELECT CONCAT_WS\(' ', \(SELECT LAST_ERROR_MESSAGE/, { out: `${error}\n` });
    const look = await agent.next();
    expect(look.state).toBe(state(`not-ready replication is not running (receiver CONNECTING, applier ON): ${error}`));
  });

  test('a writable replica (the StatefulSet names another primary) is demoted at once', async () => {
    const s = replica();
    // Someone made it writable (read_only OFF turns super_read_only off too).
    expect(s.shell('agent', `mysql --defaults-file=<(printf '[client]\\nuser=root\\npassword=${ROOT_PASSWORD}\\n') --socket="$MYSQL_SOCKET" <<<'SET GLOBAL read_only = OFF;'`).status).toBe(0);
    expect(s.serverVars()).toEqual({ read_only: 'OFF', super_read_only: 'OFF' });
    const look = await s.agent().look();
    expect(entries(look.log)).toContain(onServer('SET GLOBAL super_read_only = ON;'));
    expect(look.stderr).toContain('agent.sh: mysql-1: demoted: the StatefulSet names member 0 the primary; this member takes no more writes\n');
    expect(s.serverVars()).toEqual({ read_only: 'ON', super_read_only: 'ON' });
  });

  test('no replication channel: not ready until its pod restarts', async () => {
    const s = replica();
    threads(s, '-', '-', '-');
    const look = await s.agent().look();
    expect(look.state).toBe(state(`not-ready no replication channel: the StatefulSet names ${host(0)} the primary, and this member follows it once its pod restarts (the rolling update does that)`));
  });

  test('the API server has not answered yet: a replica follows its template\'s primary (it checks before it replicates)', async () => {
    const s = replica((s) => s.api('GET', STATEFULSET_PATH, { exit: 7, err: 'curl: (7) Failed to connect to 10.96.0.1 port 443 after 0 ms: Couldn\'t connect to server' }));
    const look = await s.agent().look();
    expect(entries(look.log).slice(-1)).toEqual([onServer('START REPLICA;')]);
    expect(look.state).toBe(state('not-ready replication starting'));
  });

  test('mysqld does not answer yet: not ready, about no server_uuid', async () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    const look = await s.agent().look();
    expect(look.state).toBe('not-ready none mysqld does not answer on its socket yet\n');
  });
});

describe('agent.sh: a Group Replication member', () => {
  const GROUP: ReplicatedMySqlProps = { replicas: 3, replication: MySqlReplication.groupReplication() };
  /** Its own view of the group: state, role, ONLINE members, members in the view, UNREACHABLE ones. */
  const SELF_VIEW = 'SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_STATE = \'UNREACHABLE\');';
  /** What a member tells its peers: state|role|executed|received. */
  const PEER_SQL = 'CONCAT_WS(\'|\', IFNULL((SELECT MEMBER_STATE FROM performance_schema.replication_group_members';
  const MINE_GROUP = 'SELECT TRIM(BOTH \',\' FROM CONCAT(REPLACE(@@GLOBAL.gtid_executed, \'\\n\', \'\'), \',\', IFNULL((SELECT REPLACE(RECEIVED_TRANSACTION_SET, \'\\n\', \'\') FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = \'group_replication_applier\'), \'\')));';
  const G = 'aaaaaaaa-bbbb-5ccc-8ddd-eeeeeeeeeeee';
  const WHO_IS_PRIMARY = 'SELECT MEMBER_HOST FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = \'PRIMARY\' AND MEMBER_STATE = \'ONLINE\';';
  const START = `START GROUP_REPLICATION USER = 'repl', PASSWORD = '${REPLICATION_PASSWORD}';`;
  const label = (value: string) => patch(podPath(1), `{"metadata":{"labels":{"mysql.cdk8s-stateful.io/role":${value}}}}`);
  /** mysql-1 of a 3-member group, mysqld running outside any group, holding G:1-100; the others hold data. */
  function member(answers: (s: PodSandbox) => void, props: ReplicatedMySqlProps = GROUP): PodSandbox {
    const facts = `${FRESH_FACTS}${REPL_FACTS}grant:'repl'@'%':*.*:GROUP_REPLICATION_STREAM\ngrant:'repl'@'%':performance_schema.replication_group_members:SELECT\n`;
    const s = running(props, 'mysql-1', { facts, answers: (sb) => {
      answers(sb);
      sb.sql('local', SELF_VIEW, { out: 'OFFLINE\t-\t0\t1\t0\n' });
      sb.sql('local', exact(MINE_GROUP), { rows: [{ mine: `${G}:1-100` }] });
    } });
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    s.setClaim(0, true);
    s.setClaim(2, true);
    s.setPod(1, 'not-ready');
    return s;
  }
  /** Peer `ordinal` answers: its state and its set; the member's comparison of that set with its own. */
  const peer = (sb: PodSandbox, ordinal: number, state: string, set: string, verdict: { covered: 0 | 1; equal: 0 | 1; extra?: string }) => {
    sb.sql(host(ordinal), PEER_SQL, { out: `${state}||${set}|\n` });
    sb.sql('local', `GTID_SUBSET('${set}', '${G}:1-100')`, { out: `${verdict.covered}\t${verdict.equal}\t${verdict.extra ?? ''}\n` });
  };
  const started = (log: string) => entries(log).filter((e) => /^((START|STOP) GROUP_REPLICATION|SET GLOBAL group_replication_)/.test(e.split('\n')[1] ?? '')).map((e) => e.split('\n')[1]);

  test('a member is ONLINE: it joins (the credentials given with START, never stored), and is not Ready until ONLINE itself', async () => {
    const s = member((sb) => {
      sb.sql(host(0), PEER_SQL, { out: `ONLINE|PRIMARY|${G}:1-120|\n` });
    });
    const look = await s.agent().look();
    // bootstrap_group OFF first: an agent killed between ON and OFF earlier must not make this join a second group.
    expect(started(look.log)).toEqual(['SET GLOBAL group_replication_bootstrap_group = OFF;', START]);
    // and the queue of its group channel is discarded before it joins: recovery fetches what it lacks
    const statements = entries(look.log).map((e) => e.split('\n')[1]);
    expect(statements.indexOf('RESET REPLICA ALL FOR CHANNEL \'group_replication_applier\';')).toBe(statements.indexOf(START) - 1);
    expect(entries(look.log)).toContain(label('null'));
    expect(look.stderr).toContain(`agent.sh: mysql-1: join the group: ${host(0)} is ONLINE in the group\n`);
    expect(look.state).toBe(state('not-ready joining the group'));
  });

  test('no member is ONLINE, every member answers, this one holds all their transactions and no lower ordinal the same: it starts the group', async () => {
    const s = member((sb) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
      peer(sb, 2, 'OFFLINE', `${G}:1-100`, { covered: 1, equal: 1 });
    });
    const look = await s.agent().look();
    expect(started(look.log)).toEqual(['SET GLOBAL group_replication_bootstrap_group = ON;', START, 'SET GLOBAL group_replication_bootstrap_group = OFF;']);
    expect(look.stderr).toContain(`agent.sh: mysql-1: bootstrap the group: no member is ONLINE and every member that answered holds a subset of this member's transactions (${G}:1-100)\n`);
  });

  test('bootstrap_group is turned off again when START GROUP_REPLICATION fails', async () => {
    const s = member((sb) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
      peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
      sb.sql('local', exact(START), { err: 'ERROR 3096 (HY000) at line 1: The START GROUP_REPLICATION command failed', exit: 1 });
    });
    const look = await s.agent().look();
    expect(started(look.log)).toEqual(['SET GLOBAL group_replication_bootstrap_group = ON;', START, 'SET GLOBAL group_replication_bootstrap_group = OFF;']);
    expect(look.state).toBe(state('not-ready START GROUP_REPLICATION failed (log above); retrying'));
  });

  test.each([
    ['another member holds transactions this one lacks: that one starts the group', (sb: PodSandbox) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-120`, { covered: 0, equal: 0, extra: `${G}:101-120` });
      peer(sb, 2, 'OFFLINE', `${G}:1-100`, { covered: 1, equal: 1 });
    }, `no member is ONLINE; ${host(0)} (it has ${G}:101-120) holds transactions this member lacks: that member starts the group, and this one joins it`],
    ['a lower ordinal holds the same transactions: it starts the group', (sb: PodSandbox) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-100`, { covered: 1, equal: 1 });
      peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
    }, `no member is ONLINE; ${host(0)} holds the same transactions and has a lower ordinal: it starts the group, and this one joins it`],
    ['a member that holds data does not answer: nobody can show it holds every acknowledged transaction', (sb: PodSandbox) => {
      peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
    }, `no member is ONLINE and ${host(0)} (ERROR 2005 (HY000): Unknown MySQL server host '${host(0)}' (-2)) did not answer: a new group starts only from a member shown to hold every transaction any member has, so every member that holds data must answer. If a member is lost for good, declare it (replication.lostMembers, docs/mysql.md: Group Replication)`],
  ])('no member is ONLINE and %s: it waits and says why', async (_what, answers, reason) => {
    const s = member(answers);
    const look = await s.agent().look();
    expect(started(look.log)).toEqual([]);
    expect(look.state).toBe(state(`not-ready ${reason}`));
    expect(look.stderr).toContain(`agent.sh: mysql-1: not ready: ${reason}\n`);
  });

  test('a member without data need not answer; a member declared lost (lostMembers, read from the StatefulSet) is not waited for', async () => {
    const noData = member((sb) => peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 }));
    noData.setEvidence({ 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    expect(started((await noData.agent().look()).log)).toContain(START);
    const lost = member((sb) => peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 }),
      { replicas: 3, replication: MySqlReplication.groupReplication({ lostMembers: [0] }) });
    const look = await lost.agent().look();
    expect(entries(look.log)).toContain(GET_STS);
    expect(started(look.log)).toContain(START);
  });

  test('a member declared lost that answers after all counts like any other; a member declared lost never starts the group', async () => {
    const lostZero = { replicas: 3, replication: MySqlReplication.groupReplication({ lostMembers: [0] }) };
    const answers = member((sb) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-120`, { covered: 0, equal: 0, extra: `${G}:101-120` });
      peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
    }, lostZero);
    const look = await answers.agent().look();
    expect(started(look.log)).toEqual([]);
    expect(look.state).toBe(state(`not-ready no member is ONLINE; ${host(0)} (it has ${G}:101-120) holds transactions this member lacks: that member starts the group, and this one joins it`));
    const self = member((sb) => {
      peer(sb, 0, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
      peer(sb, 2, 'OFFLINE', `${G}:1-90`, { covered: 1, equal: 0 });
    }, { replicas: 3, replication: MySqlReplication.groupReplication({ lostMembers: [1] }) });
    const mine = await self.agent().look();
    expect(started(mine.log)).toEqual([]);
    expect(mine.state).toBe(state('not-ready no member is ONLINE, and this member is declared lost (replication.lostMembers): it never starts the group; it joins one that another member starts'));
  });

  test('its own view says primary, but the others see another primary (a thawed old primary\'s stale view): no label, not Ready', async () => {
    const s = member((sb) => {
      sb.sql('local', SELF_VIEW, { out: 'ONLINE\tPRIMARY\t3\t3\t0\n' });
      for (const o of [0, 2]) sb.sql(host(o), exact(WHO_IS_PRIMARY), { out: `${host(0)}\n` });
    });
    const look = await s.agent().look();
    expect(entries(look.log)).not.toContain(label('"primary"'));
    expect(look.state).toBe(state('not-ready its own view says it is the primary, but only 1 of the 3 members confirm it (a stale view, or a new primary elected meanwhile)'));
  });

  test('a role label the API server does not take: not Ready (a pod still labelled primary must not be routed to as a secondary)', async () => {
    const s = member((sb) => {
      sb.sql('local', SELF_VIEW, { out: 'ONLINE\tPRIMARY\t3\t3\t0\n' });
      for (const o of [0, 2]) sb.sql(host(o), exact(WHO_IS_PRIMARY), { out: `${host(1)}\n` });
    });
    s.revoke('PATCH', podPath(1));
    const look = await s.agent().look();
    expect(look.state).toBe(state('not-ready its role label could not be written (see the log): the Services cannot be trusted to route to it'));
    expect(look.stderr).toContain('the API server refused');
  });

  test('ONLINE as the primary with the majority: labelled primary, Ready; cut off from the majority: the label goes, not Ready', async () => {
    const s = member((sb) => {
      sb.sql('local', SELF_VIEW, { out: 'ONLINE\tPRIMARY\t3\t3\t0\n', times: 1 });
      sb.sql('local', SELF_VIEW, { out: 'ONLINE\tPRIMARY\t1\t3\t2\n', times: 1 });
      for (const o of [0, 2]) sb.sql(host(o), exact(WHO_IS_PRIMARY), { out: `${host(1)}\n` });
    });
    const agent = s.agent();
    const first = await agent.look();
    expect(entries(first.log)).toContain(label('"primary"'));
    expect(first.state).toBe(state('ready group-primary online=3/3'));
    expect(s.apiObject(podPath(1)).metadata.labels['mysql.cdk8s-stateful.io/role']).toBe('primary');
    const cut = await agent.next();
    expect(entries(cut.log)).toContain(label('null'));
    expect(cut.state).toBe(state('not-ready cut off from the majority: 2 of the 3 members in its view are unreachable (it takes no writes; it leaves the group after unreachable_majority_timeout)'));
    expect(s.apiObject(podPath(1)).metadata.labels['mysql.cdk8s-stateful.io/role']).toBeUndefined();
  });
});
