/**
 * The scenarios of a ReplicatedMySql in Group Replication mode on the real node: kubelet runs the pods, each in
 * its own network namespace (the group's members find each other by their pod addresses), the real API server
 * takes the role labels the agents set, and kube-proxy routes the write Service to the member labelled primary.
 */
import { ChildProcess, spawn } from 'child_process';
import { endpointPods, env, exec, kubectl, readyPod } from './node-env';
import { hostPid, mysqlClient, MySqlUnderTest, query, sql } from './mysql-scenarios';

/** The cluster under test, with the application user's password. */
export type GroupUnderTest = MySqlUnderTest & { readonly appPassword: string };
import { eventually } from '../cluster/kube';
import { Details, nameOf, ns, ordinals, podName } from './scenarios';

export const ROLE_LABEL = 'mysql.cdk8s-stateful.io/role';
const APP = { database: 'shop', user: 'shop' };

/** The ordinals whose pods carry role=`role`, as the API server has them. */
export async function labelled(m: MySqlUnderTest, role: string): Promise<number[]> {
  const out: number[] = [];
  for (const o of ordinals(m)) {
    const pod = await m.kube.get('v1', 'Pod', ns(m), podName(m, o));
    if (pod?.metadata.labels?.[ROLE_LABEL] === role && !pod.metadata.deletionTimestamp) out.push(o);
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
  let n = 0;
  for (const o of ordinals(m)) n += (kubectl(['-n', ns(m), 'logs', podName(m, o), '-c', 'agent']).stdout.match(/: bootstrap the group: /g) ?? []).length;
  return n;
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
    const refused = sql(m, o, `INSERT INTO ${APP.database}.writes VALUES (${1000 + o});`);
    expect(refused.stderr).toMatch(/ERROR 1290 .*super-read-only/);
  }
  return { primary: podName(m, primary), members: ordinals(m).length, bootstraps: 1 };
}

/** SQL as the application user through the write Service, from the client pod. */
function app(m: GroupUnderTest, statements: string) {
  const host = `${nameOf(m)}-primary.${ns(m)}.svc.cluster.local`;
  const script = `IFS= read -r pw; exec mysql --defaults-file=<(printf '[client]\\nuser="%s"\\npassword="%s"\\n' "$0" "$pw") --host=${host} --ssl-mode=REQUIRED --connect-timeout=5 --batch --skip-column-names ${APP.database}`;
  return exec(ns(m), 'node-test-mysql-client', ['bash', '-c', script, APP.user], { input: `${m.appPassword}\n${statements}\n` });
}

/**
 * A writer in the client pod: one connection per commit through the write Service (as a pool reconnecting after a
 * failover would), numbered rows; prints each acknowledged number with its time.
 */
class Writer {
  private proc?: ChildProcess;
  private out = '';

  constructor(private readonly m: GroupUnderTest) {}

  public start(from: number): void {
    const host = `${nameOf(this.m)}-primary.${ns(this.m)}.svc.cluster.local`;
    // (The client's root file system is read-only: the option file is a pipe, made for each commit.)
    // It ends by itself after 5 minutes, whatever happens to this process.
    const loop = `IFS= read -r pw; n=${from}; while [ $SECONDS -lt 300 ]; do `
      + `if mysql --defaults-file=<(printf '[client]\\nuser="%s"\\npassword="%s"\\n' "$0" "$pw") --host=${host} --ssl-mode=REQUIRED --connect-timeout=2 ${APP.database} -e "INSERT INTO writes VALUES ($n)" 2>/dev/null; `
      + 'then echo "$n $(date +%s.%N)"; fi; n=$((n+1)); done';
    const args = ['--kubeconfig', env('NODE_KUBECONFIG'), '-n', ns(this.m), 'exec', '-i', 'node-test-mysql-client', '--', 'bash', '-c', loop, APP.user];
    this.proc = spawn(env('NODE_KUBECTL'), args, { stdio: ['pipe', 'pipe', 'ignore'] });
    this.proc.stdout!.on('data', (d) => { this.out += String(d); });
    this.proc.stdin!.end(`${this.m.appPassword}\n`);
  }

  public async stop(): Promise<void> {
    this.proc?.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
  }

  public acknowledged(): Array<{ n: number; t: number }> {
    return this.out.split('\n').filter((l) => /^\d+ \d+\.\d+$/.test(l)).map((l) => ({ n: Number(l.split(' ')[0]), t: Number(l.split(' ')[1]) }));
  }
}

/** gr-failover-under-load: kill -9 of the primary's mysqld while a writer commits; rto_s and lost (must be 0). */
export async function groupFailoverUnderLoad(m: GroupUnderTest, from: number, timeoutMs = 600000): Promise<Details> {
  const old = await waitPrimary(m);
  const writer = new Writer(m);
  writer.start(from);
  await eventually('the writer to commit 20 rows', () => Promise.resolve(writer.acknowledged().length >= 20 ? true : undefined), 120000, 200);
  const pid = await hostPid(m, old);
  const killedAt = Date.now() / 1000;
  process.kill(pid, 'SIGKILL');
  const primary = await waitPrimary(m, old, timeoutMs);
  const seen = writer.acknowledged().length;
  await eventually('writes through the new primary', () => Promise.resolve(writer.acknowledged().length >= seen + 20 ? true : undefined), 120000, 200);
  await writer.stop();
  const acks = writer.acknowledged();
  const held = new Set(query(m, primary, `SELECT n FROM ${APP.database}.writes;`).split('\n').map(Number));
  const lost = acks.filter((a) => !held.has(a.n)).map((a) => a.n);
  expect(lost).toEqual([]);
  const before = acks.filter((a) => a.t <= killedAt).pop()!;
  const after = acks.find((a) => a.t > killedAt)!;
  // The old member returns as a secondary with every row.
  await readyPod(m.kube, ns(m), podName(m, old), { timeoutMs });
  await eventually(`${podName(m, old)} labelled secondary`, async () => ((await labelled(m, 'secondary')).includes(old) ? true : undefined), timeoutMs, 1000);
  const rto = Math.round((after.t - before.t) * 10) / 10;
  return { old: podName(m, old), primary: podName(m, primary), rto_s: rto, lost: lost.length, acknowledged: acks.length };
}
