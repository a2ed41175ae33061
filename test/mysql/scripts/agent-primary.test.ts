/**
 * The pod scripts of ReplicatedMySql run for real under bash, with stand-ins for mysql, mysqld,
 * mysqladmin and the API server (../harness.ts): agent.sh on the member the StatefulSet names the primary.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MySqlBackupStorage, ReplicatedMySqlProps, S3Credentials } from '../../../src';
import { claimPath, exact, MEMBERS_PATH, PodSandbox, podPath, ROOT_PASSWORD, STATEFULSET_PATH } from '../harness';
import {
  host, UUID_A, UUID_NOW, RUN_SOCK, onServer, accountsOnServer, onPeer, get, GET_STS, GET_MEMBERS, record, entries,
  GTIDS, MEMBER_STATE, MINE_SQL, SOURCE_SQL, subtract, gtids, memberState, FACTS, FRESH_FACTS, REPL_FACTS, ALL_FACTS,
  DATABASE, appAccount, disposePods, UUID_SQL, PRIMARY_STATE, REPLICA_STATE, MINE_SET, OPEN, startedAs, running,
  state,
} from './fixtures';

afterEach(disposePods);

describe('agent.sh: the member the StatefulSet names the primary', () => {
  const BEHIND = `${UUID_A}:1-98`;
  /** mysql-0 of three, running; mysql-1 and mysql-2 hold data and answer read-only and behind unless `answers` says otherwise. */
  function primary(answers: (s: PodSandbox) => void = () => undefined, options: { props?: ReplicatedMySqlProps; facts?: string } = {}): PodSandbox {
    const s = running(options.props ?? { replicas: 3 }, 'mysql-0', { answers, facts: options.facts });
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    s.setClaim(1, true);
    s.setClaim(2, true);
    for (const ordinal of [1, 2]) s.sql(host(ordinal), exact(MEMBER_STATE), memberState(1, 1, BEHIND));
    s.sql('local', exact(subtract(BEHIND, MINE_SET)), gtids(''));
    return s;
  }
  /** The start of a look: which mysqld, which primary, the evidence entry (there: read, not patched). */
  const LOOK = onServer(UUID_SQL) + GET_STS;
  const FIRST_LOOK = LOOK + GET_MEMBERS;
  const ASK = (ordinal: number) => onPeer(ordinal, MEMBER_STATE) + onServer(subtract(BEHIND, MINE_SET));
  const GATE = onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + get(claimPath(1)) + get(claimPath(2)) + ASK(1) + ASK(2);
  /** Writes open: the role asked once more of the API server, then super_read_only off, accounts, read_only off. */
  const OPEN_WRITES = GET_STS + onServer('SET GLOBAL super_read_only = OFF;') + accountsOnServer(FACTS) + onServer('SET GLOBAL read_only = OFF;');
  const HELLO = `agent.sh: mysql-0: agent for ${host(0)} (every 3600s; maximum replica lag 60s)\nagent.sh: mysql-0: mysqld started (server_uuid ${UUID_NOW})\n`;
  const CHECKING = 'agent.sh: mysql-0: not ready: checking the other members before taking writes\n';
  const closed = (s: PodSandbox) => expect(s.serverVars()).toEqual({ read_only: 'ON', super_read_only: 'ON' });

  test('no other member is ahead or writable: creates the accounts the manifest added (none here), opens writes, reports ready; later looks only confirm', async () => {
    const s = primary();
    const agent = s.agent();
    const first = await agent.look();
    expect(first.log).toBe(FIRST_LOOK + GATE + OPEN_WRITES);
    expect(first.stderr).toBe(`${HELLO}${CHECKING}${OPEN}agent.sh: mysql-0: ready (primary)\n`);
    expect(first.state).toBe(state('ready primary'));
    expect(s.serverVars()).toEqual({ read_only: 'OFF', super_read_only: 'OFF' });
    const second = await agent.next();
    expect(second.log).toBe(LOOK + onServer(PRIMARY_STATE));
    expect(second.stderr).toBe('');
    expect(second.state).toBe(state('ready primary'));
  });

  test.each([[0, 0], [1, 0]])('another member accepts writes (read_only=%d, super_read_only=%d): writes stay closed, says why', async (readOnly, superReadOnly) => {
    const s = primary((s) => s.sql(host(1), exact(MEMBER_STATE), memberState(readOnly, superReadOnly, BEHIND)));
    const look = await s.agent().look();
    const reason = `${host(1)} accepts writes (read_only=${readOnly}, super_read_only=${superReadOnly}): two writable members would fork the data. The StatefulSet names this member the primary; ${host(1)} demotes itself when its agent sees that, or stop writes on it (SET GLOBAL super_read_only = ON)`;
    expect(look.state).toBe(state(`not-ready ${reason}`));
    expect(look.stderr).toBe(`${HELLO}${CHECKING}agent.sh: mysql-0: not ready: ${reason}\n`);
    expect(look.log).toBe(
      FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + get(claimPath(1)) + get(claimPath(2)) + onPeer(1, MEMBER_STATE),
    );
    closed(s);
  });

  test('another member holds transactions this primary lacks (docs/mysql.md: Safety, rule 2): writes stay closed, the message docs/mysql.md shows', async () => {
    const AHEAD = `${UUID_A}:1-150`;
    const s = primary((s) => {
      s.sql(host(1), exact(MEMBER_STATE), memberState(1, 1, AHEAD));
      s.sql('local', exact(subtract(AHEAD, MINE_SET)), gtids(`${UUID_A}:101-150`));
    });
    const look = await s.agent().look();
    const readme = fs.readFileSync(path.join(__dirname, '../../../docs/mysql.md'), 'utf8');
    const line = `agent.sh: mysql-0: not ready: ${host(1)} has transactions this primary lacks (${UUID_A}:101-150): this member's data is older than the cluster's (its volume was restored from an older copy, or it lost commits in a crash). Nothing was written. Make the most advanced member the primary (primaryOrdinal: 1, docs/mysql.md: Failover); this member then follows it, or re-clones if it holds transactions that member lacks`;
    expect(readme).toContain(line);
    expect(look.stderr).toContain(`${line}\n`);
    expect(look.log).not.toContain('SET GLOBAL');
    closed(s);
  });

  test('another member\'s received (queued) transactions count: ahead when they are not all this member\'s', async () => {
    const s = primary((s) => {
      s.sql(host(2), exact(MEMBER_STATE), memberState(1, 1, BEHIND, `${UUID_A}:1-101`));
      s.sql('local', exact(subtract(`${BEHIND},${UUID_A}:1-101`, MINE_SET)), gtids(`${UUID_A}:101`));
    });
    const look = await s.agent().look();
    expect(look.state).toMatch(new RegExp(`^not-ready ${UUID_NOW} ${host(2).replace(/\./g, '\\.')} has transactions this primary lacks \\(${UUID_A}:101\\)`));
    closed(s);
  });

  test('another member answers with an error (it is alive): whether it is ahead or writable is unknown, writes stay closed', async () => {
    const s = primary((s) => s.sql(host(2), /./, { exit: 1, err: 'ERROR 1040 (08004): Too many connections' }));
    const look = await s.agent().look();
    expect(look.state).toBe(state(`not-ready whether ${host(2)} is ahead of this member or takes writes cannot be known: ${host(2)} answered with an error (ERROR 1040 (08004): Too many connections); writes stay closed`));
    closed(s);
  });

  test('a member that holds data and does not answer, but whose pod is Ready: unknown after PEER_ATTEMPTS tries, writes stay closed', async () => {
    const s = primary((s) => s.peerDown(host(1)));
    s.setPod(1, 'ready');
    const look = await s.agent().look();
    const attempt = onPeer(1, MEMBER_STATE) + get(podPath(1));
    expect(look.log).toBe(
      FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + get(claimPath(1)) + get(claimPath(2)) + attempt + attempt + attempt,
    );
    expect(look.state).toBe(state(`not-ready whether ${host(1)} is ahead of this member or takes writes cannot be known: ${host(1)} does not answer (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(1)}:3306' (111)), yet pod mysql-1 is Ready; writes stay closed`));
    closed(s);
  });

  test('a member that holds data counts as down only after PEER_ATTEMPTS unanswered tries while its pod is not Ready; then writes open', async () => {
    const s = primary((s) => s.peerDown(host(1)));
    s.setPod(1, 'not-ready');
    const look = await s.agent().look();
    const attempt = onPeer(1, MEMBER_STATE) + get(podPath(1));
    expect(look.log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + get(claimPath(1)) + get(claimPath(2))
      + attempt + attempt + attempt + ASK(2) + OPEN_WRITES);
    expect(look.stderr).toContain(`agent.sh: mysql-0: counted member 1 down: ${host(1)} did not answer 3 times over 0s (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(1)}:3306' (111)) and pod mysql-1 is not Ready (it checks itself against this primary when it returns: this start writes under a new server_uuid)\n`);
    expect(look.state).toBe(state('ready primary'));
  });

  test('by default (no PEER_ATTEMPTS given) that is 6 tries, as the README says', async () => {
    const s = primary((s) => s.peerDown(host(1)));
    s.setPod(1, 'not-ready');
    const look = await s.agent({ PEER_ATTEMPTS: '' }).look();
    expect(entries(look.log).filter((e) => e === onPeer(1, MEMBER_STATE))).toHaveLength(6);
    expect(look.stderr).toContain(`${host(1)} did not answer 6 times over 0s`);
    expect(look.state).toBe(state('ready primary'));
  });

  test('a member without data (no evidence entry) is asked once; its pod not Ready: down, writes open', async () => {
    const s = primary((s) => s.peerDown(host(2)));
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data' });
    s.setPod(2, 'initializing');
    const look = await s.agent().look();
    expect(look.log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + get(claimPath(1)) + ASK(1)
      + onPeer(2, MEMBER_STATE) + get(podPath(2)) + OPEN_WRITES);
    expect(look.stderr).not.toContain('counted member');
    expect(look.state).toBe(state('ready primary'));
  });

  test('a member whose pod does not exist is down at once, evidence or not', async () => {
    const s = primary((s) => s.peerDown(host(2)));
    const look = await s.agent().look();
    expect(entries(look.log).filter((e) => e === onPeer(2, MEMBER_STATE))).toHaveLength(1);
    expect(look.stderr).toContain(`counted member 2 down: ${host(2)} does not answer (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(2)}:3306' (111)) and pod mysql-2 does not exist`);
    expect(look.state).toBe(state('ready primary'));
  });

  test('a member that never answers (a query that hangs) is cut off after PEER_TIMEOUT', async () => {
    const s = primary((s) => s.sql(host(2), /./, { hang: true }));
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data' });
    s.setPod(2, 'not-ready');
    const look = await s.agent({ PEER_TIMEOUT: '1' }).look();
    expect(look.stderr).not.toContain('counted member');
    expect(look.state).toBe(state('ready primary'));
    expect(s.serverVars()).toEqual({ read_only: 'OFF', super_read_only: 'OFF' });
  });

  test('the API server cannot say whether a silent member\'s pod runs: unknown, writes stay closed', async () => {
    const s = primary((s) => s.peerDown(host(1)));
    s.revoke('GET', podPath(1));
    const look = await s.agent().look();
    expect(look.state).toBe(state(`not-ready whether ${host(1)} is ahead of this member or takes writes cannot be known: ${host(1)} does not answer (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(1)}:3306' (111)) and the API server cannot say whether pod mysql-1 runs; writes stay closed`));
    closed(s);
  });

  test('the API server cannot say which members hold data: writes stay closed', async () => {
    const s = primary((s) => s.api('GET', MEMBERS_PATH, { status: 500, out: '{"kind":"Status","status":"Failure","message":"etcdserver: leader changed","code":500}' }));
    const look = await s.agent().look();
    // (What the API server said is part of the reason, logged when it changes.)
    expect(look.state).toMatch(new RegExp(`^not-ready ${UUID_NOW} cannot ask the API server which members hold data \\(agent\\.sh: the API server answered HTTP 500: .*etcdserver: leader changed.*\\); writes stay closed\n$`));
    expect(look.log).not.toContain('SET GLOBAL');
    closed(s);
  });

  test('the StatefulSet names another member: a primary that was open demotes itself at the next look, and follows no one until its pod restarts', async () => {
    const s = primary((s) => s.sql('local', exact(REPLICA_STATE), { out: '{{super_read_only}}\t-\t-\t-\n' }));
    const agent = s.agent();
    expect((await agent.look()).state).toBe(state('ready primary'));
    s.setPrimary(1);
    const look = await agent.next();
    expect(look.log).toBe(LOOK + onServer(REPLICA_STATE) + onServer('SET GLOBAL super_read_only = ON;'));
    expect(look.stderr).toBe(`agent.sh: mysql-0: the StatefulSet now names member 1 the primary (was 0)
agent.sh: mysql-0: demoted: the StatefulSet names member 1 the primary; this member takes no more writes
agent.sh: mysql-0: not ready: no replication channel: the StatefulSet names ${host(1)} the primary, and this member follows it once its pod restarts (the rolling update does that)
`);
    expect(look.state).toBe(state(`not-ready no replication channel: the StatefulSet names ${host(1)} the primary, and this member follows it once its pod restarts (the rolling update does that)`));
    closed(s);
  });

  test('a pod of an older revision whose template names itself primary follows the annotation: it never opens writes', async () => {
    const s = primary((s) => s.sql('local', exact(REPLICA_STATE), { out: `1\t${host(1)}\tOFF\tOFF\n` }));
    expect(s.envFor('agent').PRIMARY_ORDINAL).toBe('0');
    s.setPrimary(1);
    s.sql(host(1), exact(SOURCE_SQL), { out: `b0b0b0b0-0000-4000-8000-000000000000|${MINE_SET}\n` });
    s.sql('local', exact(MINE_SQL), { rows: [{ mine: MINE_SET }] });
    s.sql('local', exact(subtract(MINE_SET, MINE_SET)), gtids(''));
    const look = await s.agent().look();
    expect(look.log).not.toContain(PRIMARY_STATE);
    expect(look.log).not.toContain('super_read_only = OFF');
    expect(entries(look.log).slice(-1)).toEqual([onServer('START REPLICA;')]);
    expect(look.state).toBe(state('not-ready replication starting'));
    closed(s);
  });

  test('the API server has not answered since the agent started: the template\'s primary may not open writes', async () => {
    const s = primary((s) => s.api('GET', STATEFULSET_PATH, { exit: 7, err: 'curl: (7) Failed to connect to 10.96.0.1 port 443 after 0 ms: Couldn\'t connect to server' }));
    const look = await s.agent().look();
    expect(look.state).toBe(state('not-ready cannot confirm with the API server that the StatefulSet names this member the primary; writes stay closed'));
    expect(look.log).not.toContain(PRIMARY_STATE);
    expect(look.log).not.toContain('SET GLOBAL');
    closed(s);
  });

  test('the API server silent for longer than ROLE_LEASE: the primary closes writes (a promotion elsewhere may be under way), says why', async () => {
    const s = primary();
    // The lease is counted in whole seconds (bash SECONDS): 3 s leaves the first look, which must
    // open within it, time to finish on a loaded machine; the wait then outlasts it for certain.
    const agent = s.agent({ ROLE_LEASE: '3' });
    expect((await agent.look()).state).toBe(state('ready primary'));
    s.api('GET', STATEFULSET_PATH, { exit: 28, err: 'curl: (28) Operation timed out after 10001 milliseconds with 0 bytes received' });
    await new Promise((resolve) => setTimeout(resolve, 4100));
    const look = await agent.next();
    expect(look.log).toBe(LOOK + onServer('SET GLOBAL super_read_only = ON;'));
    expect(look.stderr).toContain('agent.sh: mysql-0: the API server has not confirmed for 3s that this member is the primary: closing writes (another member may be promoted meanwhile)\n');
    expect(look.state).toBe(state('not-ready cannot confirm with the API server that the StatefulSet still names this member the primary (for 3s); writes stay closed'));
    closed(s);
  });

  test('once known, the primary is kept while the API server does not answer (within ROLE_LEASE): an open primary stays open', async () => {
    const s = primary();
    const agent = s.agent();
    expect((await agent.look()).state).toBe(state('ready primary'));
    s.api('GET', STATEFULSET_PATH, { exit: 28, err: 'curl: (28) Operation timed out after 10001 milliseconds with 0 bytes received' });
    const look = await agent.next();
    expect(look.log).toBe(LOOK + onServer(PRIMARY_STATE));
    expect(look.state).toBe(state('ready primary'));
    expect(s.serverVars()).toEqual({ read_only: 'OFF', super_read_only: 'OFF' });
  });

  test('super_read_only turned on by someone else: the other members are checked again before writes reopen', async () => {
    const s = primary();
    const agent = s.agent();
    await agent.look();
    expect(s.shell('agent', `mysql --defaults-file=<(printf '[client]\\nuser=root\\npassword=${ROOT_PASSWORD}\\n') --socket="$MYSQL_SOCKET" <<<'SET GLOBAL super_read_only = ON;'`).status).toBe(0);
    closed(s);
    const look = await agent.next();
    // (The person's statement, then the look.)
    expect(look.log).toBe(`-- mysql --defaults-file={user=root password=${ROOT_PASSWORD}} --socket=${RUN_SOCK}\nSET GLOBAL super_read_only = ON;\n${LOOK}${GATE}${OPEN_WRITES}`);
    expect(look.stderr).toBe(`agent.sh: mysql-0: super_read_only was turned on by someone else: checking the other members again before taking writes\n${CHECKING}${OPEN}agent.sh: mysql-0: ready (primary)\n`);
  });

  test('mysqld restarted (a new server_uuid, read-only again): the gate runs again before writes open', async () => {
    const s = primary();
    const agent = s.agent();
    await agent.look();
    const uuid = 'c4e2f1d0-5e4f-11f0-8c1d-0242ac120007';
    s.serving();
    startedAs(s, uuid);
    const look = await agent.next();
    expect(look.log).toBe(LOOK + GATE + OPEN_WRITES);
    expect(look.stderr).toBe(`agent.sh: mysql-0: mysqld started (server_uuid ${uuid})\n${CHECKING}${OPEN}agent.sh: mysql-0: ready (primary)\n`);
    expect(look.state).toBe(`ready ${uuid} primary\n`);
  });

  test('still replicating while named the primary: not ready, writes stay closed (the promotion happens at pod start)', async () => {
    const s = primary((s) => s.sql('local', exact(PRIMARY_STATE), { out: '1\t{{super_read_only}}\n' }));
    const look = await s.agent().look();
    expect(look.state).toBe(state('not-ready the StatefulSet names this member the primary, but it still replicates: it promotes itself when its pod restarts (the rolling update does that)'));
    expect(look.log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE));
    closed(s);
  });

  test('the accounts the manifest added are created before writes open: database, user, and the exporter moved to least privilege', async () => {
    // A cluster from before: no database yet, the exporter at localhost and with SELECT on *.*.
    const oldExporter = 'user:exporter@localhost\nuser:exporter@%\ngrant:\'exporter\'@\'%\':*.*:SELECT\ngrant:\'exporter\'@\'%\':*.*:PROCESS\ngrant:\'exporter\'@\'%\':*.*:REPLICATION CLIENT\ngrant:\'exporter\'@\'%\':performance_schema.*:SELECT\n';
    const s = running({ replicas: 1, database: { name: 'shop', user: 'shop' }, metrics: {} }, 'mysql-0', { facts: FRESH_FACTS + REPL_FACTS + oldExporter });
    s.setEvidence({ 'mysql-0': 'holds-data' });
    const look = await s.agent().look();
    const statements = `${DATABASE}\n${appAccount()}\nDROP USER 'exporter'@'localhost';\nREVOKE SELECT ON *.* FROM 'exporter'@'%';`;
    expect(look.log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS
      + GET_STS + onServer('SET GLOBAL super_read_only = OFF;') + accountsOnServer(FACTS) + accountsOnServer(statements) + onServer('SET GLOBAL read_only = OFF;'));
    expect(look.stderr).toContain('agent.sh: mysql-0: CREATE DATABASE `shop`;CREATE USER \'shop\'@\'%\';GRANT ALL PRIVILEGES;DROP USER \'exporter\'@\'localhost\';REVOKE SELECT;\n');
    expect(look.stderr).not.toContain('app-pw');
    expect(look.state).toBe(state('ready primary'));
  });

  test.each([
    ['with binlog archiving (the default), REPLICATION SLAVE for the archiver', true],
    ['without binlog archiving', false],
  ])('backups turned on: the backup account (TLS, BACKUP_ADMIN, the replication status tables, no data) is created before writes open; %s', async (_what, archive) => {
    const storage = MySqlBackupStorage.s3({ bucket: 'backups', region: 'us-east-1', credentials: S3Credentials.fromSecret('s3') });
    const backup = { storage, image: 'registry.example/mysql-tools:8.4.10', binlogArchive: archive };
    const s = running({ replicas: 1, database: { name: 'shop', user: 'shop' }, metrics: {}, backup }, 'mysql-0', { facts: ALL_FACTS });
    s.setEvidence({ 'mysql-0': 'holds-data' });
    const look = await s.agent().look();
    const statements = `CREATE USER 'backup'@'%' IDENTIFIED BY 'bk-pw' REQUIRE SSL WITH MAX_USER_CONNECTIONS ${archive ? 8 : 4};
GRANT BACKUP_ADMIN ON *.* TO 'backup'@'%';
GRANT SELECT ON performance_schema.replication_connection_status TO 'backup'@'%';
GRANT SELECT ON performance_schema.replication_applier_status TO 'backup'@'%';
GRANT SELECT ON performance_schema.replication_group_members TO 'backup'@'%';${archive ? '\nGRANT REPLICATION SLAVE ON *.* TO \'backup\'@\'%\';' : ''}`;
    expect(look.log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS
      + GET_STS + onServer('SET GLOBAL super_read_only = OFF;') + accountsOnServer(FACTS) + accountsOnServer(statements) + onServer('SET GLOBAL read_only = OFF;'));
    expect(look.stderr).not.toContain('bk-pw');
    expect(look.state).toBe(state('ready primary'));
    // Once it exists with its grants, nothing is written again.
    const facts = `${ALL_FACTS}user:backup@%\n${['replication_connection_status', 'replication_applier_status', 'replication_group_members']
      .map((table) => `grant:'backup'@'%':performance_schema.${table}:SELECT\n`).join('')}${archive ? 'grant:\'backup\'@\'%\':*.*:REPLICATION SLAVE\n' : ''}`;
    const again = running({ replicas: 1, database: { name: 'shop', user: 'shop' }, metrics: {}, backup }, 'mysql-0', { facts });
    again.setEvidence({ 'mysql-0': 'holds-data' });
    expect((await again.agent().look()).log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + OPEN_WRITES);
  });

  test('every account and grant as the manifest asks: nothing is written (a restart adds nothing to the binary log)', async () => {
    const s = running({ replicas: 1, database: { name: 'shop', user: 'shop' }, metrics: {} }, 'mysql-0', { facts: ALL_FACTS });
    s.setEvidence({ 'mysql-0': 'holds-data' });
    const look = await s.agent().look();
    expect(look.log).toBe(FIRST_LOOK + onServer(PRIMARY_STATE) + onServer(GTIDS) + GET_MEMBERS + OPEN_WRITES);
    expect(look.state).toBe(state('ready primary'));
  });

  test('creating them fails: super_read_only back on, not ready; the next look tries again', async () => {
    const s = running({ replicas: 1, database: { name: 'shop', user: 'shop' } }, 'mysql-0', {
      answers: (s) => s.sql('local', 'CREATE DATABASE', { exit: 1, err: 'ERROR 3098 (HY000) at line 1: The table does not comply with the requirements by an external plugin.', times: 1 }),
    });
    s.setEvidence({ 'mysql-0': 'holds-data' });
    const agent = s.agent();
    const first = await agent.look();
    expect(first.state).toBe(state('not-ready could not create the accounts the manifest asks for (log above)'));
    expect(first.stderr).toContain('ERROR 3098 (HY000) at line 1: The table does not comply with the requirements by an external plugin.\nagent.sh: ERROR: could not create the accounts and database\n');
    closed(s);
    const second = await agent.next();
    expect(second.state).toBe(state('ready primary'));
    expect(entries(second.log)).toContain(accountsOnServer(`${DATABASE}\n${appAccount()}`));
  });

  test('an evidence entry removed while the member runs is restored (every EVIDENCE_REFRESH)', async () => {
    const s = primary();
    const agent = s.agent({ EVIDENCE_REFRESH: '0' });
    await agent.look();
    s.setEvidence({ 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    const look = await agent.next();
    expect(look.log).toBe(LOOK + record('mysql-0') + onServer(PRIMARY_STATE));
    expect(look.stderr).toBe('agent.sh: mysql-0: recorded in ConfigMap mysql-members that this member holds data\n');
    expect(s.evidence()).toEqual({ 'mysql-1': 'holds-data', 'mysql-2': 'holds-data', 'mysql-0': 'holds-data' });
  });

  test('stops on SIGTERM (the kubelet stopping the pod) with status 0', async () => {
    const s = primary();
    const agent = s.agent();
    await agent.look();
    expect(await agent.stop()).toBe(0);
  });
});
