/**
 * The scenarios of a ReplicatedMySql in Group Replication mode on the real node: kubelet runs the pods, each in
 * its own network namespace (the group's members find each other by their pod addresses), the real API server
 * takes the role labels the agents set, and kube-proxy routes the write Service to the member labelled primary.
 */
import { ChildProcess, spawn } from 'child_process';
import { endpointPods, env, exec, kubectl, readyPod, settled } from './node-env';
import { Conventions } from '../../src';
import { eventually, KubeObject } from '../cluster/kube';
import { hostPid, mysqlClient, MySqlUnderTest, passwordOf, query, sql } from './mysql-scenarios';

/** The cluster under test, with its application database and user (the scenarios write through the write Service as it). */
export type GroupUnderTest = MySqlUnderTest & { readonly app: { readonly database: string; readonly user: string; readonly password: string } };

/** The group of a ReplicatedMySql StatefulSet; fails unless it has an application database (props.database). */
export function groupUnderTest(m: MySqlUnderTest, secrets: KubeObject[]): GroupUnderTest {
  const initEnv = (m.set.spec.template.spec.initContainers ?? []).flatMap((c: any) => c.env ?? []);
  const env = (name: string) => initEnv.find((e: any) => e.name === name)?.value;
  const database = env('APP_DATABASE');
  const user = env('APP_USER');
  if (!database || !user) throw new Error(`${m.set.metadata.name}: the group scenarios write as the application user: give the ReplicatedMySql a database ({ name, user })`);
  return { ...m, app: { database, user, password: passwordOf(m.set, secrets, 'APP_PASSWORD', 'password') } };
}
import { Details, nameOf, ns, ordinals, podName } from './scenarios';

/** The ordinals whose pods carry role=`role`, as the API server has them. */
export async function labelled(m: MySqlUnderTest, role: string): Promise<number[]> {
  const out: number[] = [];
  for (const o of ordinals(m)) {
    const pod = await m.kube.get('v1', 'Pod', ns(m), podName(m, o));
    if (pod?.metadata.labels?.[Conventions.MYSQL_ROLE_LABEL] === role && !pod.metadata.deletionTimestamp) out.push(o);
  }
  return out;
}

/** The member the write Service routes to: exactly one Ready endpoint, labelled primary. */
export function waitPrimary(m: MySqlUnderTest, not?: number, timeoutMs = 300000): Promise<number> {
  return eventually(`one member labelled primary${not !== undefined ? ` other than ${podName(m, not)}` : ''}, the write Service's only endpoint`, async () => {
    const primaries = (await labelled(m, 'primary')).filter((o) => o !== not);
    const e = await endpointPods(m.kube, ns(m), `${nameOf(m)}-primary`);
    return primaries.length === 1 && e.ready.length === 1 && e.ready[0] === podName(m, primaries[0]) ? primaries[0] : undefined;
  }, timeoutMs, 500);
}

/** How many agents logged that they bootstrapped the group (the containers' logs as kubelet keeps them). */
export function bootstraps(m: MySqlUnderTest): number {
  return ordinals(m).reduce((n, o) => n + bootstrapsOf(m, o), 0);
}

/** gr-fresh: every member starts at once (Parallel), exactly one bootstraps, all ONLINE; the Services follow the labels. */
export async function groupFresh(m: GroupUnderTest, timeoutMs = 600000): Promise<Details> {
  const primary = await waitPrimary(m, undefined, timeoutMs);
  for (const o of ordinals(m)) await readyPod(m.kube, ns(m), podName(m, o), { timeoutMs });
  expect(bootstraps(m)).toBe(1);
  const states = query(m, primary, 'SELECT MEMBER_STATE FROM performance_schema.replication_group_members;').split('\n');
  expect(states).toEqual(ordinals(m).map(() => 'ONLINE'));
  const secondaries = ordinals(m).filter((o) => o !== primary);
  await eventually('the read Service to list the secondaries', async () => {
    const e = await endpointPods(m.kube, ns(m), `${nameOf(m)}-read`);
    return e.ready.sort().join(',') === secondaries.map((o) => podName(m, o)).join(',');
  }, 120000, 1000);
  await mysqlClient(m);
  const through = app(m, 'CREATE TABLE IF NOT EXISTS writes (n INT PRIMARY KEY); INSERT INTO writes VALUES (0); SELECT @@hostname;');
  expect(through.status).toBe(0);
  expect(through.stdout.trim()).toBe(podName(m, primary));
  for (const o of secondaries) {
    const refused = sql(m, o, `INSERT INTO ${m.app.database}.writes VALUES (${1000 + o});`);
    expect(refused.stderr).toMatch(/ERROR 1290 .*super-read-only/);
  }
  return { primary: podName(m, primary), members: ordinals(m).length, bootstraps: 1 };
}

/** SQL as the application user through the write Service, from the client pod. */
export function app(m: GroupUnderTest, statements: string) {
  const host = `${nameOf(m)}-primary.${ns(m)}.svc.cluster.local`;
  const script = `IFS= read -r pw; exec mysql --defaults-file=<(printf '[client]\\nuser="%s"\\npassword="%s"\\n' "$0" "$pw") --host=${host} --ssl-mode=REQUIRED --connect-timeout=5 --batch --skip-column-names ${m.app.database}`;
  return exec(ns(m), 'node-test-mysql-client', ['bash', '-c', script, m.app.user], { input: `${m.app.password}\n${statements}\n` });
}

/**
 * A writer in the client pod: one connection per commit through the write Service (as a pool reconnecting after a
 * failover would), numbered rows; prints each acknowledged number with its time.
 */
export class Writer {
  private proc?: ChildProcess;
  private out = '';

  constructor(private readonly m: GroupUnderTest) {}

  /**
   * Commits rows numbered from `from` on until `stop` closes its standard input, or for at most `seconds`. (Killing
   * the local kubectl does not stop a loop inside the pod: it went on committing after the scenario had "stopped"
   * it, so every later comparison of GTID sets raced against new writes.)
   */
  public start(from: number, seconds = 300): void {
    const host = `${nameOf(this.m)}-primary.${ns(this.m)}.svc.cluster.local`;
    // (The client's root file system is read-only: the option file is a pipe, made for each commit.)
    // `read -t 0` succeeds only once standard input has reached its end (nothing else is ever written to it).
    const loop = `IFS= read -r pw; n=${from}; while [ $SECONDS -lt ${seconds} ] && ! read -r -t 0; do `
      // A commit that hangs (a frozen primary keeps the connection) is given up after 5 s: not acknowledged.
      + `if timeout 5 mysql --defaults-file=<(printf '[client]\\nuser="%s"\\npassword="%s"\\n' "$0" "$pw") --host=${host} --ssl-mode=REQUIRED --connect-timeout=2 ${this.m.app.database} -e "INSERT INTO writes VALUES ($n)" 2>/dev/null; `
      + 'then echo "$n $(date +%s.%N)"; fi; n=$((n+1)); done';
    const args = ['--kubeconfig', env('NODE_KUBECONFIG'), '-n', ns(this.m), 'exec', '-i', 'node-test-mysql-client', '--', 'bash', '-c', loop, this.m.app.user];
    this.proc = spawn(env('NODE_KUBECTL'), args, { stdio: ['pipe', 'pipe', 'ignore'] });
    this.proc.stdout!.on('data', (d) => { this.out += String(d); });
    this.proc.stdin!.write(`${this.m.app.password}\n`);
  }

  /** Ends the loop in the pod (its standard input closes), waits for it to finish its last commit (at most 5 s). */
  public async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.stdin!.end();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20000);
    await exited;
    clearTimeout(timer);
  }

  public acknowledged(): Array<{ n: number; t: number }> {
    return this.out.split('\n').filter((l) => /^\d+ \d+\.\d+$/.test(l)).map((l) => ({ n: Number(l.split(' ')[0]), t: Number(l.split(' ')[1]) }));
  }
}

/** The acknowledged rows the member `ordinal` does not hold. */
export function lostRows(m: GroupUnderTest, acks: Array<{ n: number }>, ordinal: number): number[] {
  const held = new Set(query(m, ordinal, `SELECT n FROM ${m.app.database}.writes;`).split('\n').map(Number));
  return acks.filter((a) => !held.has(a.n)).map((a) => a.n);
}

/** The longest gap between two consecutive acknowledged writes from `at` on (seconds since the epoch): the outage. */
export function gapAfter(acks: Array<{ t: number }>, at: number): number {
  let gap = 0;
  for (let i = 1; i < acks.length; i++) if (acks[i].t > at) gap = Math.max(gap, acks[i].t - acks[i - 1].t);
  return Math.round(gap * 10) / 10;
}

/** Waits until `ordinal` is back: Ready and labelled secondary. */
export async function backAsSecondary(m: GroupUnderTest, ordinal: number, timeoutMs: number): Promise<void> {
  await readyPod(m.kube, ns(m), podName(m, ordinal), { timeoutMs });
  await eventually(`${podName(m, ordinal)} labelled secondary`, async () => ((await labelled(m, 'secondary')).includes(ordinal) ? true : undefined), timeoutMs, 1000);
}

/**
 * One failover under load: a writer commits through the write Service, `fault` strikes the primary, a new primary
 * takes the write Service, the writer commits 20 more rows. Returns the write gap and the acknowledged rows lost.
 */
export async function failoverOnce(m: GroupUnderTest, from: number, fault: (primary: number) => Promise<void>, timeoutMs: number) {
  const old = await waitPrimary(m);
  const writer = new Writer(m);
  writer.start(from);
  await eventually('the writer to commit 20 rows', () => Promise.resolve(writer.acknowledged().length >= 20 ? true : undefined), 120000, 200);
  const at = Date.now() / 1000;
  await fault(old);
  const primary = await waitPrimary(m, old, timeoutMs);
  const seen = writer.acknowledged().length;
  await eventually('writes through the new primary', () => Promise.resolve(writer.acknowledged().length >= seen + 20 ? true : undefined), 120000, 200);
  await writer.stop();
  const acks = writer.acknowledged();
  return { old, primary, gap: gapAfter(acks, at), lost: lostRows(m, acks, primary), acks, last: acks[acks.length - 1]?.n ?? from };
}

/** gr-failover-under-load: kill -9 of the primary's mysqld, `runs` times; each run's write gap (rto_s) and lost rows (must be 0). */
export async function groupFailoverUnderLoad(m: GroupUnderTest, runs: number, timeoutMs = 600000): Promise<Details> {
  const gaps: number[] = [];
  let from = 1_000_000;
  let lost = 0;
  for (let run = 0; run < runs; run++) {
    const r = await failoverOnce(m, from, async (primary) => {
      process.kill(await hostPid(m, primary), 'SIGKILL');
    }, timeoutMs);
    expect(r.lost).toEqual([]);
    lost += r.lost.length;
    gaps.push(r.gap);
    from = r.last + 1000;
    await backAsSecondary(m, r.old, timeoutMs);
  }
  const sorted = [...gaps].sort((a, b) => a - b);
  return { runs, rto_s: sorted[Math.floor(runs / 2)], rto_runs: gaps.join(','), lost };
}

/**
 * gr-hung-primary: the primary's mysqld stopped (SIGSTOP: alive, not answering) while a writer commits; a new
 * primary is elected; after SIGCONT the old one acknowledges nothing the group lacks and returns as a secondary.
 */
export async function groupHungPrimary(m: GroupUnderTest, timeoutMs = 600000, from = 2_000_000): Promise<Details> {
  let pid = 0;
  const r = await failoverOnce(m, from, async (primary) => {
    pid = await hostPid(m, primary);
    process.kill(pid, 'SIGSTOP');
  }, timeoutMs);
  expect(r.lost).toEqual([]);
  // Writes the old primary took while stopped would be transactions the group lacks: once back it holds none, and it
  // catches up with the group.
  const since = new Date(Date.now() - 60000).toISOString();
  process.kill(pid, 'SIGCONT');
  await backAsSecondary(m, r.old, timeoutMs);
  const executed = (o: number) => executedSet(m, o);
  expect(query(m, r.primary, `SELECT GTID_SUBSET('${executed(r.old)}', @@GLOBAL.gtid_executed);`)).toBe('1');
  const trace: string[] = [];
  await eventually(`${podName(m, r.old)} to hold the primary's transactions`, () => {
    const missing = query(m, r.primary, `SELECT REPLACE(GTID_SUBTRACT(@@GLOBAL.gtid_executed, '${executed(r.old)}'), '\\n', '');`);
    trace.push(`${new Date().toISOString().slice(11, 19)} missing=${missing || '-'} ${applierState(m, r.old)} | primary ${executed(r.primary)}`);
    // (Thrown, not returned: eventually keeps the last error for its timeout message, with what the old primary does.)
    if (missing !== '') {
      const logs = (c: string, filter: RegExp) => kubectl(['-n', ns(m), 'logs', podName(m, r.old), '-c', c, `--since-time=${since}`]).stdout
        .split('\n').filter((l) => filter.test(l)).slice(-25).join('\n');
      throw new Error(`missing on ${podName(m, r.old)}: ${missing}; it runs: ${oldPrimaryState(m, r.old)}\n--- its agent since SIGCONT:\n${logs('agent', /./)}`
        + `\n--- the missing transactions in the primary's binary log:\n${eventsOf(m, r.primary, missing)}`
        + `\n--- sets: old ${executed(r.old)} | primary ${executed(r.primary)}`
        + `\n--- the old primary's agent state and samples:\n${exec(ns(m), podName(m, r.old), ['sh', '-c', 'cat /var/run/mysqld/agent.state; tail -n 3 /var/run/mysqld/agent.samples'], { container: 'agent' }).stdout}`
        + `\n--- its mysqld:\n${logs('mysql', /group_replication|Recovery|recovery|GTID|donor/i)}`
        + `\n--- every second since it rejoined (missing on it; its applied, received and queued; the primary's set):\n${trace.slice(-40).join('\n')}`);
    }
    return Promise.resolve(true);
  }, 120000, 1000);
  // behind_s: how long the old primary, Ready again, still lacked some of the primary's transactions.
  return { old: podName(m, r.old), primary: podName(m, r.primary), rto_s: r.gap, lost: r.lost.length, behind_s: trace.filter((t) => !t.includes(' missing=- ')).length };
}

/** The binary log events of the first GTID of `set` on member `ordinal` (what kind of transaction it is). */
function eventsOf(m: GroupUnderTest, ordinal: number, set: string): string {
  try {
    const [uuid, range] = set.split(',')[0].split(':');
    const gtid = `${uuid}:${range.split('-')[0]}`;
    const files = query(m, ordinal, 'SHOW BINARY LOGS;').split('\n').map((l) => l.split('\t')[0]).filter(Boolean);
    for (const f of files) {
      const events = query(m, ordinal, `SHOW BINLOG EVENTS IN '${f}';`).split('\n');
      const at = events.findIndex((e) => e.includes(`'${gtid}'`));
      if (at >= 0) return events.slice(at, at + 5).map((e) => e.split('\t').slice(1).join(' ').slice(0, 200)).join('\n');
    }
    return `(no event of ${gtid} in ${files.join(', ')})`;
  } catch (e) {
    return `(cannot read: ${e instanceof Error ? e.message : String(e)})`;
  }
}

/** What a member that does not catch up is doing: its applier workers and the sessions that are not idle. */
/** A diagnostic query: its answer, or why there is none (a failure message never hides behind another). */
function diagnose(m: GroupUnderTest, ordinal: number, statement: string): string {
  try {
    return query(m, ordinal, statement);
  } catch (e) {
    return `(cannot ask: ${e instanceof Error ? e.message : String(e)})`;
  }
}

/** What the applier of `ordinal` holds: its executed set, the applier channel's received set, the queues of its member stats. */
function applierState(m: GroupUnderTest, ordinal: number): string {
  return diagnose(m, ordinal, 'SELECT CONCAT_WS(\' \', REPLACE(@@GLOBAL.gtid_executed, \'\\n\', \'\'), \'received\', '
    + '(SELECT REPLACE(RECEIVED_TRANSACTION_SET, \'\\n\', \'\') FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = \'group_replication_applier\'), '
    + '(SELECT CONCAT(\'queue=\', COUNT_TRANSACTIONS_IN_QUEUE, \' applier_queue=\', COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE, \' applied=\', COUNT_TRANSACTIONS_REMOTE_APPLIED) '
    + 'FROM performance_schema.replication_group_member_stats WHERE MEMBER_ID = @@server_uuid));');
}

/** What the old primary runs: its appliers' states and errors, its busy threads, the group as it sees it. */
function oldPrimaryState(m: GroupUnderTest, ordinal: number): string {
  return diagnose(m, ordinal, 'SELECT CONCAT_WS(\' | \', (SELECT GROUP_CONCAT(CONCAT(CHANNEL_NAME, \'#\', WORKER_ID, \' \', SERVICE_STATE, \' \', LAST_ERROR_NUMBER, \' \', LEFT(LAST_ERROR_MESSAGE, 120)) SEPARATOR \'; \') FROM performance_schema.replication_applier_status_by_worker), '
    + '(SELECT GROUP_CONCAT(CONCAT(ID, \' \', USER, \' \', COMMAND, \' \', TIME, \'s \', IFNULL(STATE, \'\'), \' \', LEFT(IFNULL(INFO, \'\'), 80)) SEPARATOR \'; \') FROM information_schema.PROCESSLIST WHERE COMMAND <> \'Sleep\' AND COMMAND <> \'Daemon\'), '
    + '(SELECT GROUP_CONCAT(CONCAT(MEMBER_HOST, \' \', MEMBER_STATE, \' \', MEMBER_ROLE) SEPARATOR \', \') FROM performance_schema.replication_group_members));');
}

/**
 * gr-full-outage: one member falls behind (its mysqld stopped, so it is expelled), rows are written, then every pod
 * is deleted at once while it is still behind. The members restart together: exactly one starts the group, not the
 * one behind, and no row or GTID is lost.
 */
export async function groupFullOutage(m: GroupUnderTest, timeoutMs = 600000): Promise<Details> {
  const primary = await waitPrimary(m);
  const behind = ordinals(m).filter((o) => o !== primary).slice(-1)[0];
  const pid = await hostPid(m, behind);
  process.kill(pid, 'SIGSTOP');
  await eventually(`${podName(m, behind)} expelled`, () => Promise.resolve(
    query(m, primary, 'SELECT COUNT(*) FROM performance_schema.replication_group_members;') === String(ordinals(m).length - 1) ? true : undefined), 120000, 1000);
  for (let i = 0; i < 5; i++) query(m, primary, `INSERT INTO ${m.app.database}.writes VALUES (${3_000_000 + i});`);
  const want = query(m, primary, 'SELECT @@GLOBAL.gtid_executed;');
  for (const o of ordinals(m)) await m.kube.delete('v1', 'Pod', ns(m), podName(m, o), { gracePeriodSeconds: 0 });
  try { process.kill(pid, 'SIGCONT'); } catch { /* gone with its pod */ }
  const next = await waitPrimary(m, undefined, timeoutMs);
  for (const o of ordinals(m)) await readyPod(m.kube, ns(m), podName(m, o), { timeoutMs });
  const after = ordinals(m).filter((o) => bootstrapsOf(m, o) > 0);
  expect(after).toHaveLength(1);
  expect(after[0]).not.toBe(behind);
  for (const o of ordinals(m)) {
    expect(query(m, o, `SELECT COUNT(*) FROM ${m.app.database}.writes WHERE n BETWEEN 3000000 AND 3000004;`)).toBe('5');
  }
  const executed = query(m, next, 'SELECT @@GLOBAL.gtid_executed;');
  expect(query(m, next, `SELECT GTID_SUBSET('${want.replace(/\s+/g, '')}', '${executed.replace(/\s+/g, '')}');`)).toBe('1');
  return { behind: podName(m, behind), bootstrapped: podName(m, after[0]), primary: podName(m, next) };
}

/** How many lines of the agent's log of `ordinal` (its container's current start) match `line`. */
export function agentLogCount(m: MySqlUnderTest, ordinal: number, line: RegExp): number {
  return (kubectl(['-n', ns(m), 'logs', podName(m, ordinal), '-c', 'agent']).stdout.match(line) ?? []).length;
}

/** How many times the agent of `ordinal` started the group. */
export function bootstrapsOf(m: MySqlUnderTest, ordinal: number): number {
  return agentLogCount(m, ordinal, /: bootstrap the group: /g);
}

/** The member's gtid_executed, on one line. */
export const executedSet = (m: MySqlUnderTest, o: number): string => query(m, o, 'SELECT @@GLOBAL.gtid_executed;').replace(/\s+/g, '');

/**
 * gr-rolling-update: a configuration change rolls every member while a writer commits through the write Service.
 * The primary moves at most twice (once unless it is the highest ordinal, whose restart comes first); every
 * acknowledged write survives; `rto_s` is the longest gap between acknowledged writes.
 */
export async function groupRollingUpdate(m: GroupUnderTest, apply: () => Promise<void>, timeoutMs = 900000): Promise<Details> {
  const first = await waitPrimary(m);
  const writer = new Writer(m);
  writer.start(4_000_000);
  await eventually('the writer to commit 20 rows', () => Promise.resolve(writer.acknowledged().length >= 20 ? true : undefined), 120000, 200);
  const at = Date.now() / 1000;
  const primaries: number[] = [first];
  const moved: string[] = [];
  let stop = false;
  const watching = (async () => {
    for (;;) {
      const now = await labelled(m, 'primary');
      if (now.length === 1 && now[0] !== primaries[primaries.length - 1]) {
        primaries.push(now[0]);
        moved.push(`${podName(m, now[0])}@${(Date.now() / 1000 - at).toFixed(1)}`);
      }
      if (stop) return;
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  // The agents' logs, followed while their pods live (a deleted pod's log goes with it).
  const agentLogs = ordinals(m).map((o) => followLog(m, podName(m, o), 'agent'));
  await apply();
  await settled(m.kube, m.set, ordinals(m).length, timeoutMs);
  const last = await waitPrimary(m, undefined, timeoutMs);
  stop = true;
  await watching;
  const logged = agentLogs.map((l) => l.stop()).join('').split('\n');
  const handOvers = logged.filter((l) => l.includes('stopping: handed the primary role to'));
  // The primary's pod is deleted once: its agent hands the role over first (twice when it is the highest ordinal).
  if (handOvers.length === 0) throw new Error(`no agent handed the primary role over; they logged:\n${logged.filter((l) => /stopping|primary/.test(l)).join('\n')}`);
  if (last !== primaries[primaries.length - 1]) primaries.push(last);
  const seen = writer.acknowledged().length;
  await eventually('writes after the update', () => Promise.resolve(writer.acknowledged().length >= seen + 20 ? true : undefined), 120000, 200);
  await writer.stop();
  const acks = writer.acknowledged();
  expect(lostRows(m, acks, last)).toEqual([]);
  const moves = primaries.length - 1;
  expect(moves).toBeLessThanOrEqual(first === ordinals(m).slice(-1)[0] ? 2 : 1);
  return {
    primaries: primaries.map((o) => podName(m, o)).join('>'), moves, rto_s: gapAfter(acks, at), lost: 0,
    labelled_at: moved.join(',') || '-', gaps: longestGaps(acks, at, 3), hand_overs: handOvers.length,
  };
}

/** `kubectl logs -f` of one container, from now on, until stop() (or the pod's end). */
function followLog(m: GroupUnderTest, pod: string, container: string): { stop: () => string } {
  let out = '';
  const proc = spawn(env('NODE_KUBECTL'), ['--kubeconfig', env('NODE_KUBECONFIG'), '-n', ns(m), 'logs', '-f', '--since=1s', pod, '-c', container],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => { out += String(d); });
  proc.stderr.on('data', (d) => { out += String(d); });
  return { stop: () => { proc.kill('SIGKILL'); return out; } };
}

/** The `count` longest write gaps from `at` on, as `<length>s@<start, seconds after at>`, longest first. */
export function longestGaps(acks: Array<{ t: number }>, at: number, count: number): string {
  const gaps: Array<{ length: number; start: number }> = [];
  for (let i = 1; i < acks.length; i++) if (acks[i].t > at) gaps.push({ length: acks[i].t - acks[i - 1].t, start: acks[i - 1].t - at });
  return gaps.sort((a, b) => b.length - a.length).slice(0, count).map((g) => `${g.length.toFixed(1)}s@${g.start.toFixed(1)}`).join(',');
}
