/**
 * The pod scripts of ReplicatedMySql run for real under bash, with stand-ins for mysql, mysqld,
 * mysqladmin and the API server (../harness.ts): bootstrap.sh on replicas (clone, restart with data) and on a promotion.
 */
import * as fs from 'fs';
import { MySqlTls, ReplicatedMySqlProps } from '../../../src';
import { claimPath, exact, gtidSet, PodOptions, PodSandbox, podPath } from '../harness';
import {
  host, UUID_A, UUID_B, local, onPeer, get, GET_STS, GET_MEMBERS, record, entries, GTID_EXECUTED, GTID_RECEIVED,
  GTIDS, MEMBER_STATE, MINE_SQL, CHANNEL, subtract, gtids, memberState, changeSource, RECIPIENT_UP, RECIPIENT_DOWN,
  askDonor, cloneFrom, pointClone, RECONCILE_UP, RECONCILE_DOWN, pod, disposePods, FULL, MINE, MINE_SET,
} from './fixtures';

afterEach(disposePods);

describe('bootstrap.sh: a new replica clones a donor', () => {
  /** The questions about the previous member as a donor: its pod, its set, whether the primary holds that set. */
  const PREVIOUS_SET = `${UUID_A}:1-98`;
  const askPrevious = (previous: number, primary: number) => get(podPath(previous)) + onPeer(previous, GTIDS)
    + onPeer(primary, `SELECT GTID_SUBSET('${PREVIOUS_SET}', ${GTID_EXECUTED});`);
  /** mysql-2 of three: its previous member mysql-1 is Ready and holds nothing the primary lacks (or as given). */
  function third(options: { previousSubset?: string; previousRefusesOnce?: boolean } = {}): PodSandbox {
    const s = pod({ replicas: 3 }, 'mysql-2');
    s.setPod(1, 'ready');
    // (Rules apply in the order written: a first answer before the lasting one.)
    if (options.previousRefusesOnce) s.sql(host(1), exact('SELECT 1;'), { exit: 1, err: `ERROR 2003 (HY000): Can't connect to MySQL server on '${host(1)}:3306' (111)`, times: 1 });
    s.sql(host(1), exact(GTIDS), gtids(PREVIOUS_SET));
    s.sql(host(0), exact(`SELECT GTID_SUBSET('${PREVIOUS_SET}', ${GTID_EXECUTED});`), { out: `${options.previousSubset ?? '1'}\n` });
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    s.sql(host(1), exact('SELECT 1;'), { out: '1\n' });
    return s;
  }

  test('ordinal 1 (the previous member is the primary): clones the primary, points replication at it, renames, records its evidence', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + record('mysql-1'));
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(0)}\n`);
    expect(s.list('var/lib/mysql')).toEqual(['data', 'files', 'tmp']);
    expect(s.evidence()).toEqual({ 'mysql-1': 'holds-data' });
    expect(r.stderr).toBe(`bootstrap.sh: mysql-1: empty data directory; cloning a donor
bootstrap.sh: mysql-1: CLONE INSTANCE FROM ${host(0)}
bootstrap.sh: mysql-1: cloned from ${host(0)}; replicating from ${host(0)}
bootstrap.sh: mysql-1: recorded in ConfigMap mysql-members that this member holds data
`);
  });

  test('ordinal 2: the previous member first when its pod is Ready and the primary holds all it has', () => {
    const s = third();
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askPrevious(1, 0) + askDonor(1) + cloneFrom(1) + RECIPIENT_DOWN + pointClone(0) + record('mysql-2'));
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(1)}\n`);
    expect(r.stderr).toContain(`mysql-2: cloned from ${host(1)}; replicating from ${host(0)}\n`);
  });

  test('the previous member holds transactions the primary lacks: not a donor; after PREVIOUS_DONOR_WAIT the primary is', () => {
    const s = third({ previousSubset: '0' });
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '0' });
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askPrevious(1, 0) + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + record('mysql-2'));
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(0)}\n`);
  });

  test('within PREVIOUS_DONOR_WAIT the previous member is waited for (replicas clone in order): its pod becomes Ready, it is the donor', () => {
    const s = third();
    s.api('GET', podPath(1), { out: JSON.stringify(s.podObject(1, 'not-ready')), times: 2 });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + get(podPath(1)) + get(podPath(1)) + askPrevious(1, 0) + askDonor(1) + cloneFrom(1)
      + RECIPIENT_DOWN + pointClone(0) + record('mysql-2'));
    expect(r.stderr.match(/mysql-2: waiting for a donor \(the previous member\) to answer\n/g)).toHaveLength(2);
  });

  test('the previous member does not answer SELECT 1 yet: it is asked again, the primary is not asked meanwhile', () => {
    const s = third({ previousRefusesOnce: true });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askPrevious(1, 0) + askDonor(1) + askPrevious(1, 0) + askDonor(1) + cloneFrom(1)
      + RECIPIENT_DOWN + pointClone(0) + record('mysql-2'));
    expect(r.stderr).toContain(`mysql-2: waiting for a donor (${host(1)}) to answer\n`);
  });

  test('the previous member answers but its clone fails: the primary is the fallback (after PREVIOUS_DONOR_WAIT)', () => {
    const s = third();
    s.sql('local', `CLONE INSTANCE FROM 'repl'@'${host(1)}'`, { exit: 1, err: 'ERROR 3862 (HY000): Clone Donor Error: 1158 : Got an error reading communication packets.' });
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '0' });
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askPrevious(1, 0) + askDonor(1) + cloneFrom(1) + askDonor(0) + cloneFrom(0)
      + RECIPIENT_DOWN + pointClone(0) + record('mysql-2'));
    expect(r.stderr).toContain(`mysql-2: clone from ${host(1)} failed\n`);
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(0)}\n`);
  });

  test('no donor answers within DONOR_WAIT_TIMEOUT: fails, stops the recipient, leaves no data and no evidence', () => {
    const s = pod({ replicas: 3 }, 'mysql-2');
    s.setPod(1, 'not-ready');
    s.peerDown(host(0));
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '0', DONOR_WAIT_TIMEOUT: '0' });
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + get(podPath(1)) + askDonor(0) + RECIPIENT_DOWN);
    expect(r.stderr).toContain('ERROR: no donor could be cloned within 0s; the pod restarts and retries');
    expect(s.exists('var/lib/mysql/data')).toBe(false);
    expect(s.evidence()).toBeUndefined();
  });

  test('with a tls choice (verify): peers are checked against the CA, the clone sets clone_ssl_ca, the channel verifies the source', () => {
    const s = pod({ replicas: 2, tls: MySqlTls.fromSecret('mysql-tls') }, 'mysql-1');
    expect(s.envFor('bootstrap').MYSQL_TLS).toBe('verify');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(0, { verify: true }) + cloneFrom(0, { verify: true }) + RECIPIENT_DOWN
      + pointClone(0, { verify: true }) + record('mysql-1'));
  });

  test('tls with verifyPeers false (serve): encrypted, not verified, no clone_ssl_ca', () => {
    const s = pod({ replicas: 2, tls: MySqlTls.fromSecret('mysql-tls', { verifyPeers: false }) }, 'mysql-1');
    expect(s.envFor('bootstrap').MYSQL_TLS).toBe('serve');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + record('mysql-1'));
  });

  test('a primary at ordinal 1 (after a failover): ordinal 0 has no previous member and clones the primary', () => {
    const s = pod({ replicas: 3, primaryOrdinal: 1 }, 'mysql-0');
    s.sql(host(1), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(1) + cloneFrom(1) + RECIPIENT_DOWN + pointClone(1) + record('mysql-0'));
  });

  test('startOrdinal 3: mysql-5 asks about mysql-4 (not Ready), then clones mysql-3 (the primary)', () => {
    const s = pod({ replicas: 3, startOrdinal: 3 }, 'mysql-5');
    s.setPod(4, 'not-ready');
    s.sql(host(3), exact('SELECT 1;'), { out: '1\n' });
    const r = s.bootstrap({ PREVIOUS_DONOR_WAIT: '0' });
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + get(podPath(4)) + askDonor(3) + cloneFrom(3) + RECIPIENT_DOWN + pointClone(3) + record('mysql-5'));
  });

  test('an interrupted clone (container killed mid-way): starts over from an empty scratch directory', () => {
    const s = pod({ replicas: 3 }, 'mysql-1');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/clone'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/clone/partial.ibd'), 'half');
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/recipient'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/recipient/mysql.ibd'), 'old');
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECIPIENT_UP + askDonor(0) + cloneFrom(0) + RECIPIENT_DOWN + pointClone(0) + record('mysql-1'));
    expect(s.list('var/lib/mysql/data')).toEqual(['.fake-donor', '.fake-root-password', 'mysql.ibd']);
    expect(s.list('var/lib/mysql')).toEqual(['data', 'files', 'tmp']);
  });

  test('an empty data directory (a fresh volume) counts as none', () => {
    const s = pod({ replicas: 2 }, 'mysql-1');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    fs.mkdirSync(s.path('var/lib/mysql/data'));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(s.read('var/lib/mysql/data/.fake-donor')).toBe(`${host(0)}\n`);
  });

  test('the next start finds the data: no second clone, the channel refreshed', () => {
    const s = pod({ replicas: 2 }, 'mysql-1');
    s.sql(host(0), exact('SELECT 1;'), { out: '1\n' });
    expect(s.bootstrap().status).toBe(0);
    s.sql('local', exact(CHANNEL), { out: `${host(0)}\n` });
    const again = s.bootstrap();
    expect(again.status).toBe(0);
    // Its evidence entry is there already: read, not patched.
    expect(again.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(changeSource()) + RECONCILE_DOWN + GET_MEMBERS);
  });
});

describe('bootstrap.sh: a replica with data', () => {
  /** What the primary is asked about this member's transactions, and its answer. */
  const verdictSql = (mine: string) => `SELECT GTID_SUBSET('${mine}', ${GTID_EXECUTED}), REPLACE(GTID_SUBTRACT('${mine}', ${GTID_EXECUTED}), '\\n', '');`;
  const verdict = (subset: string, missing: string) => ({ rows: [{ subset, missing }] });
  /** mysql-1 with data and its evidence entry, its channel pointing at `channel`. */
  function replica(channel: string, options: PodOptions & { props?: ReplicatedMySqlProps; podName?: string } = {}): PodSandbox {
    const s = pod(options.props ?? { replicas: 3 }, options.podName ?? 'mysql-1', options);
    s.withData();
    s.setEvidence({ [s.podName]: 'holds-data' });
    s.sql('local', exact(CHANNEL), { out: channel });
    // Executed and received on one line, as the server computes the SQL (its REPLACEs remove the newlines).
    s.sql('local', exact(MINE_SQL), { rows: [{ mine: MINE_SET }] });
    return s;
  }

  test('replicating from the primary: persisted read-only settings reset, the channel\'s credentials and TLS refreshed, nothing else', () => {
    const s = replica(`${host(0)}\n`);
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(changeSource()) + RECONCILE_DOWN + GET_MEMBERS);
    expect(r.stderr).toBe(`bootstrap.sh: mysql-1: replicating from ${host(0)}\n`);
    expect(s.list('var/lib/mysql')).toEqual(['data', 'files', 'tmp']);
  });

  test('a rotated replication password with \' \\ " reaches the channel escaped; with tls (verify) the source is verified', () => {
    const s = replica(`${host(0)}\n`, { props: { replicas: 3, tls: MySqlTls.fromSecret('mysql-tls') }, secrets: { 'replication-password': String.raw`n3w'\"pw` } });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(entries(r.log)).toContain(local(changeSource(undefined, { quoted: String.raw`'n3w''\\"pw'`, verify: true })));
  });

  test('replicating from another member (a failover happened), and the primary holds every transaction (two UUIDs): re-pointed at the primary', () => {
    const s = replica(`${host(2)}\n`);
    // The primary's GTID_SUBTRACT answer as the server holds it; the SQL's REPLACE puts it on one line.
    s.sql(host(0), exact(verdictSql(MINE_SET)), verdict('1', ''));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(MINE_SQL) + onPeer(0, verdictSql(MINE_SET))
      + local('STOP REPLICA; RESET REPLICA ALL;') + local(changeSource(0)) + RECONCILE_DOWN + GET_MEMBERS);
    expect(r.stderr).toBe(`bootstrap.sh: mysql-1: re-pointing replication from ${host(2)} to ${host(0)} (it holds every transaction of this member)\n`);
  });

  test('the old primary of an older revision (its template names itself, the StatefulSet names mysql-1): it follows mysql-1 once mysql-1 holds all it has', () => {
    const s = replica('', { podName: 'mysql-0' });
    s.setPrimary(1);
    s.sql(host(1), exact(verdictSql(MINE_SET)), verdict('1', ''));
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(MINE_SQL) + onPeer(1, verdictSql(MINE_SET))
      + local('STOP REPLICA; RESET REPLICA ALL;') + local(changeSource(1)) + RECONCILE_DOWN + GET_MEMBERS);
    expect(r.stderr).toContain(`mysql-0: re-pointing replication from nothing (this was a primary) to ${host(1)} (it holds every transaction of this member)\n`);
  });

  test('the primary lacks transactions of this member: refuses, names them and the two ways out, changes nothing', () => {
    const s = replica(`${host(2)}\n`);
    s.sql(host(0), exact(verdictSql(MINE_SET)), verdict('0', gtidSet(`${UUID_A}:100`, `${UUID_B}:4-5`)));
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(MINE_SQL) + onPeer(0, verdictSql(MINE_SET)) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`bootstrap.sh: ERROR: this member holds transactions that the primary ${host(0)} does not have (${UUID_A}:100,${UUID_B}:4-5).
Following ${host(0)} would lose them, so this member stays down. Either this member is the
most advanced one (then make it the primary: set primaryOrdinal: 1), or its extra
transactions are to be discarded (then delete its data: kubectl -n mysql delete pvc
data-mysql-1, then delete the pod, and it re-clones from ${host(0)})
`);
  });

  test('the primary cannot be asked: fails, changes nothing', () => {
    const s = replica(`${host(2)}\n`);
    s.peerDown(host(0));
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + local(MINE_SQL) + onPeer(0, verdictSql(MINE_SET)) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`bootstrap.sh: ERROR: this member replicates from ${host(2)}, but the StatefulSet names ${host(0)} the primary, and ${host(0)} cannot be asked whether it holds this member's transactions (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(0)}:3306' (111)); the pod restarts and retries\n`);
  });

  test('root\'s password in the data differs from the Secret (rotated wrongly): fails with the server\'s error, changes nothing', () => {
    const s = replica(`${host(0)}\n`);
    s.withData({ rootPassword: 'the-old-one' });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERROR 1045 (28000): Access denied for user \'root\'@\'localhost\' (using password: YES)\nbootstrap.sh: ERROR: could not reset persisted read_only settings\n');
    expect(r.log).toBe(GET_STS + RECONCILE_UP + RECONCILE_DOWN);
  });

  test('an interrupted previous run\'s scratch directory and temporary files are discarded', () => {
    const s = replica(`${host(0)}\n`);
    fs.mkdirSync(s.path('var/lib/mysql/.bootstrap/clone'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/.bootstrap/reconcile.log'), 'old');
    fs.mkdirSync(s.path('var/lib/mysql/tmp'), { recursive: true });
    fs.writeFileSync(s.path('var/lib/mysql/tmp/ib_sort'), 'old');
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(s.list('var/lib/mysql')).toEqual(['data', 'files', 'tmp']);
    expect(s.list('var/lib/mysql/tmp')).toEqual([]);
  });
});

describe('bootstrap.sh: a primary with data, and promotion', () => {
  test('the primary, no channel: read-only settings reset, nothing else (the agent opens it); its evidence entry restored', () => {
    const s = pod(FULL, 'mysql-0');
    s.withData();
    s.setEvidence({ 'mysql-1': 'holds-data' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    // No accounts here: the agent creates what the manifest added, once it may open writes.
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + RECONCILE_DOWN + record('mysql-0'));
    expect(r.stderr).toBe('bootstrap.sh: mysql-0: primary; the agent opens it for writes once no member is ahead of it or writable\n'
      + 'bootstrap.sh: mysql-0: recorded in ConfigMap mysql-members that this member holds data\n');
    expect(s.evidence()).toEqual({ 'mysql-1': 'holds-data', 'mysql-0': 'holds-data' });
  });

  // mysql-1 is named the primary (primaryOrdinal: 1); it replicates from mysql-0, the old primary.
  const props: ReplicatedMySqlProps = { replicas: 3, primaryOrdinal: 1 };
  const SOURCE_SET = MINE_SET;
  const applied = (set: string) => `SELECT GTID_SUBSET('${set}', ${GTID_EXECUTED});`;
  const PROMOTING = `bootstrap.sh: mysql-1: the StatefulSet names this member the primary; it replicates from ${host(0)}: promoting\n`;
  const PRIMARY_NOW = 'bootstrap.sh: mysql-1: primary; the agent opens it for writes once no member is ahead of it or writable\n';
  /** After catching up: this member's set, the members that hold data asked (mysql-2 is behind), replication reset. */
  const NONE_AHEAD = local('STOP REPLICA;') + local(GTIDS) + GET_MEMBERS + get(claimPath(0)) + get(claimPath(2))
    + onPeer(2, MEMBER_STATE) + local(subtract(`${UUID_A}:1-98`, MINE_SET));
  const PROMOTED = local('RESET REPLICA ALL;') + RECONCILE_DOWN + GET_MEMBERS;
  const CAUGHT_UP = onPeer(0, MEMBER_STATE) + local('START REPLICA;') + local(applied(SOURCE_SET));

  /** mysql-1 with data replicating from mysql-0; `answers` come first (rules apply in the order written). */
  function member(answers: (s: PodSandbox) => void = () => undefined): PodSandbox {
    const s = pod(props, 'mysql-1');
    answers(s);
    s.withData();
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data', 'mysql-2': 'holds-data' });
    s.setClaim(0, true);
    s.setClaim(2, true);
    s.sql('local', exact(CHANNEL), { out: `${host(0)}\n` });
    s.sql('local', exact(GTIDS), gtids(MINE));
    s.sql('local', exact(applied(SOURCE_SET)), { out: '1\n' });
    s.sql(host(2), exact(MEMBER_STATE), memberState(1, 1, `${UUID_A}:1-98`));
    s.sql('local', exact(subtract(`${UUID_A}:1-98`, MINE_SET)), gtids(''));
    return s;
  }

  test('the old primary is read-only: catches up with it, checks that no member is ahead, resets replication', () => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
      // Not applied at the first look, applied at the second.
      s.sql('local', exact(applied(SOURCE_SET)), { out: '0\n', times: 1 });
    });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + CAUGHT_UP + local(applied(SOURCE_SET)) + NONE_AHEAD + PROMOTED);
    expect(r.stderr).toBe(`${PROMOTING}bootstrap.sh: mysql-1: catching up with ${host(0)} (${SOURCE_SET})
bootstrap.sh: mysql-1: promoted: no longer replicating from ${host(0)} (${MINE_SET})
${PRIMARY_NOW}`);
    // mysqld still starts read-only: the agent opens it.
    expect(s.read('etc/mysql/conf.d/mysqld.cnf')).toMatch(/^super_read_only = ON$/m);
  });

  test('the old primary still takes writes: waits until its agent demoted it, then promotes', () => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), { ...memberState(0, 0, SOURCE_SET), times: 2 });
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
    });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(
      GET_STS + RECONCILE_UP + local(CHANNEL) + onPeer(0, MEMBER_STATE) + onPeer(0, MEMBER_STATE) + CAUGHT_UP + NONE_AHEAD + PROMOTED,
    );
    expect(r.stderr.match(new RegExp(`mysql-1: waiting for the old primary ${host(0).replace(/\./g, '\\.')} to stop taking writes\n`, 'g'))).toHaveLength(2);
  });

  test.each([[0, 0], [1, 0]])('the old primary still takes writes (read_only=%d, super_read_only=%d) after DEMOTE_WAIT: refuses, changes nothing', (readOnly, superReadOnly) => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(readOnly, superReadOnly, SOURCE_SET));
    });
    const r = s.bootstrap({ DEMOTE_WAIT: '0' });
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + onPeer(0, MEMBER_STATE) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`${PROMOTING}bootstrap.sh: ERROR: the old primary ${host(0)} still accepts writes (read_only=${readOnly}, super_read_only=${superReadOnly}) 0s after the StatefulSet named this member the primary: its agent should have demoted it. Stop writes on it (kubectl exec it: SET GLOBAL super_read_only = ON), or stop its pod; this pod retries. Nothing was changed\n`);
  });

  test('the old primary is down (no answer over PEER_ATTEMPTS, its pod not Ready): applies every transaction it received, then promotes', () => {
    const s = member((s) => {
      s.peerDown(host(0));
      s.setPod(0, 'not-ready');
      s.sql('local', exact(`SELECT ${GTID_RECEIVED};`), { rows: [{ received: SOURCE_SET }] });
    });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    const attempt = onPeer(0, MEMBER_STATE) + get(podPath(0));
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + attempt + attempt + attempt
      + local(`SELECT ${GTID_RECEIVED};`) + local('START REPLICA SQL_THREAD;') + local(applied(SOURCE_SET)) + NONE_AHEAD + PROMOTED);
    expect(r.stderr).toContain(`bootstrap.sh: mysql-1: WARNING: the old source ${host(0)} is down (${host(0)} did not answer 3 times over 0s (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(0)}:3306' (111)) and pod mysql-0 is not Ready); promoting with every transaction this member received from it\n`);
  });

  test('the old primary does not answer but its pod is Ready: whether it takes writes is unknown, refuses, changes nothing', () => {
    const s = member((s) => {
      s.peerDown(host(0));
      s.setPod(0, 'ready');
    });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).not.toMatch(/START REPLICA|RESET REPLICA/);
    expect(r.stderr).toContain(`ERROR: whether the old primary ${host(0)} still takes writes cannot be known: ${host(0)} does not answer (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(0)}:3306' (111)), yet pod mysql-0 is Ready. Nothing was changed; the pod restarts and retries\n`);
  });

  test.each([
    ['1040 (too many connections)', 'ERROR 1040 (08004): Too many connections'],
    ['1045 (access denied)', 'ERROR 1045 (28000): Access denied for user \'repl\'@\'10.244.0.11\' (using password: YES)'],
  ])('the old primary answers with ERROR %s: it is alive, whether it takes writes is unknown, refuses', (_what, err) => {
    const s = member((s) => {
      s.sql(host(0), /./, { exit: 1, err });
    });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + onPeer(0, MEMBER_STATE) + RECONCILE_DOWN);
    expect(r.stderr).toBe(`${PROMOTING}bootstrap.sh: ERROR: whether the old primary ${host(0)} still takes writes cannot be known: ${host(0)} answered with an error (${err}). Nothing was changed; the pod restarts and retries\n`);
  });

  test.each([
    ['executed', memberState(1, 1, `${UUID_A}:1-103`), `${UUID_A}:1-103`],
    ['received (queued, not yet applied)', memberState(1, 1, `${UUID_A}:1-98`, `${UUID_A}:1-103`), `${UUID_A}:1-98,${UUID_A}:1-103`],
  ])('another member is ahead (%s): refuses, names its extra transactions, does not reset replication', (_what, answer, theirs) => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
      s.sql(host(2), exact(MEMBER_STATE), answer);
      s.sql('local', exact(subtract(theirs, MINE_SET)), gtids(`${UUID_A}:101-103`));
    });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(entries(r.log).slice(-3)).toEqual(entries(onPeer(2, MEMBER_STATE) + local(subtract(theirs, MINE_SET)) + RECONCILE_DOWN));
    expect(r.log).not.toContain('RESET REPLICA ALL');
    expect(r.stderr).toContain(`bootstrap.sh: ERROR: ${host(2)} has transactions this member lacks (${UUID_A}:101-103). Promoting this member would lose them: make member 2 the primary instead (primaryOrdinal: 2), or wait until this member has them. Nothing was changed\n`);
  });

  test('another member answers with an error: whether it is ahead is unknown, refuses before resetting replication', () => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
      s.sql(host(2), /./, { exit: 1, err: 'ERROR 1040 (08004): Too many connections' });
    });
    const r = s.bootstrap();
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + CAUGHT_UP + local('STOP REPLICA;') + local(GTIDS)
      + GET_MEMBERS + get(claimPath(0)) + get(claimPath(2)) + onPeer(2, MEMBER_STATE) + RECONCILE_DOWN);
    expect(r.stderr).toContain(`ERROR: whether ${host(2)} is ahead of this member cannot be known: ${host(2)} answered with an error (ERROR 1040 (08004): Too many connections). Nothing was changed; the pod restarts and retries\n`);
  });

  test('another member without data (no evidence) and without a pod is down at once: skipped, checked when it follows', () => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
      s.peerDown(host(2));
    });
    s.setEvidence({ 'mysql-0': 'holds-data', 'mysql-1': 'holds-data' });
    const r = s.bootstrap();
    expect(r.status).toBe(0);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + CAUGHT_UP + local('STOP REPLICA;') + local(GTIDS)
      + GET_MEMBERS + get(claimPath(0)) + onPeer(2, MEMBER_STATE) + get(podPath(2)) + PROMOTED);
    expect(r.stderr).toContain(`bootstrap.sh: mysql-1: ${host(2)} does not answer (ERROR 2003 (HY000): Can't connect to MySQL server on '${host(2)}:3306' (111)) and pod mysql-2 does not exist: it is checked when it follows this member\n`);
  });

  test('it cannot apply what the old primary has within CATCH_UP_TIMEOUT: fails before promoting', () => {
    const s = member((s) => {
      s.sql(host(0), exact(MEMBER_STATE), memberState(1, 1, SOURCE_SET));
      s.sql('local', exact(applied(SOURCE_SET)), { out: '0\n' });
    });
    const r = s.bootstrap({ CATCH_UP_TIMEOUT: '0' });
    expect(r.status).toBe(1);
    expect(r.log).toBe(GET_STS + RECONCILE_UP + local(CHANNEL) + CAUGHT_UP + RECONCILE_DOWN);
    expect(r.stderr).toContain(`ERROR: could not apply ${SOURCE_SET} within 0s; nothing was changed, the pod restarts and retries`);
  });
});
