/**
 * The Group Replication scenarios that change the group's shape on the real node: a member cut off by the network,
 * a member whose volume is gone during a full outage, and a scale-out and back.
 */
import { spawnSync } from 'child_process';
import { Conventions } from '../../src';
import { eventually, sleep } from '../cluster/kube';
import { endpointPods, kubectl, readyPod, settled } from './node-env';
import { hostPid, MySqlUnderTest, query } from './mysql-scenarios';
import { agentLogCount, backAsSecondary, bootstraps, bootstrapsOf, executedSet, failoverOnce, gapAfter, GroupUnderTest, labelled, lostRows, waitPrimary, Writer } from './group-scenarios';
import { claimName, claimTemplates, Details, nameOf, ns, ordinals, podName } from './scenarios';

/** The pod addresses of the members `of`. */
async function podIps(m: MySqlUnderTest, of: number[]): Promise<string[]> {
  const ips: string[] = [];
  for (const o of of) {
    const ip = (await m.kube.get('v1', 'Pod', ns(m), podName(m, o)))?.status?.podIP;
    if (!ip) throw new Error(`${podName(m, o)} has no pod address`);
    ips.push(ip);
  }
  return ips;
}

/**
 * Drops (`-I`) or lets through again (`-D`) every packet between member `ordinal` and `peers`, with iptables in the
 * member's own network namespace (the one the node's CNI made for its pod, gone with the pod).
 */
async function cut(m: MySqlUnderTest, ordinal: number, peers: string[], op: '-I' | '-D'): Promise<void> {
  const pid = await hostPid(m, ordinal);
  for (const ip of peers) {
    for (const rule of [['INPUT', '-s', ip], ['OUTPUT', '-d', ip]]) {
      const r = spawnSync('nsenter', ['-t', String(pid), '-n', 'iptables', '-w', op, ...rule, '-j', 'DROP'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`iptables ${op} ${rule.join(' ')} in ${podName(m, ordinal)}'s network namespace: ${r.stderr || r.error}`);
    }
  }
}

/** How many times the agent of `ordinal` has joined a group since its container started. */
function agentJoins(m: MySqlUnderTest, ordinal: number): number {
  return agentLogCount(m, ordinal, /: join the group: /g);
}

/** The member's own state in its own view of the group. */
function selfState(m: MySqlUnderTest, ordinal: number): string {
  return query(m, ordinal, 'SELECT IFNULL((SELECT MEMBER_STATE FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid), \'OFFLINE\');');
}

/** Fails unless `ordinal` is in neither the write nor the read Service and carries no role label. */
async function outOfServices(m: MySqlUnderTest, ordinal: number): Promise<true | undefined> {
  const pod = podName(m, ordinal);
  const write = await endpointPods(m.kube, ns(m), `${nameOf(m)}-primary`);
  const read = await endpointPods(m.kube, ns(m), `${nameOf(m)}-read`);
  const roles = [...(await labelled(m, 'primary')), ...(await labelled(m, 'secondary'))];
  return !write.ready.includes(pod) && !read.ready.includes(pod) && !roles.includes(ordinal) ? true : undefined;
}

/**
 * gr-partition: the primary is cut off from the other members (a writer commits through the write Service): the
 * majority elects a new primary; the cut-off member loses its label and both Services, acknowledges nothing the
 * group lacks, leaves the group (ERROR, read-only) and waits; once the network heals it rejoins as a secondary.
 */
export async function groupPartition(m: GroupUnderTest, timeoutMs = 600000): Promise<Details> {
  let healed: (() => Promise<void>) | undefined;
  try {
    let cutAt = 0;
    const r = await failoverOnce(m, 5_000_000, async (primary) => {
      const peers = await podIps(m, ordinals(m).filter((o) => o !== primary));
      await cut(m, primary, peers, '-I');
      cutAt = Date.now();
      healed = () => cut(m, primary, peers, '-D');
    }, timeoutMs);
    expect(r.lost).toEqual([]);
    await eventually(`${podName(m, r.old)} out of both Services and unlabelled`, () => outOfServices(m, r.old), 120000, 500);
    // After unreachable_majority_timeout it leaves the group, read-only; the agent then waits for the others.
    await eventually(`${podName(m, r.old)} to leave the group`, () => Promise.resolve(['ERROR', 'OFFLINE'].includes(selfState(m, r.old)) ? true : undefined), 120000, 1000);
    const leftAfter = Math.round((Date.now() - cutAt) / 1000);
    expect(query(m, r.old, 'SELECT @@GLOBAL.super_read_only;')).toBe('1');
    // Whatever it took while cut off, it committed nothing the group lacks (no fork).
    const minority = executedSet(m, r.old);
    expect(query(m, r.primary, `SELECT GTID_SUBSET('${minority}', @@GLOBAL.gtid_executed);`)).toBe('1');
    expect(await outOfServices(m, r.old)).toBe(true);
    const joins = agentJoins(m, r.old);
    await healed!();
    healed = undefined;
    await backAsSecondary(m, r.old, timeoutMs);
    // Its agent rejoined it (MySQL's own rejoin is off: autorejoin_tries = 0).
    expect(agentJoins(m, r.old)).toBeGreaterThan(joins);
    expect(lostRows(m, r.acks, r.old)).toEqual([]);
    return { cut: podName(m, r.old), primary: podName(m, r.primary), rto_s: r.gap, left_group_after_s: leftAfter, lost: 0 };
  } finally {
    if (healed) await healed().catch(() => undefined);
  }
}

/**
 * gr-full-outage-member-lost: rows are written, then a secondary's volume is deleted with every pod. The record says
 * that member held data, and its new pod cannot answer (it waits to clone an ONLINE member): the others wait and say
 * so, and nothing starts a group. Declaring it lost (`declare`, replication.lostMembers) lets one of the others
 * (the most advanced; here both hold the same transactions, so the lower ordinal) start the group; the lost member
 * clones and joins; no row or GTID is lost. `declare([])` takes the declaration back.
 */
export async function groupFullOutageMemberLost(m: GroupUnderTest, declare: (lost: number[]) => Promise<void>, timeoutMs = 600000): Promise<Details> {
  const primary = await waitPrimary(m);
  const lost = ordinals(m).filter((o) => o !== primary).slice(-1)[0];
  for (let i = 0; i < 5; i++) query(m, primary, `INSERT INTO ${m.app.database}.writes VALUES (${6_000_000 + i});`);
  const want = executedSet(m, primary);
  for (const t of claimTemplates(m)) await m.kube.delete('v1', 'PersistentVolumeClaim', ns(m), claimName(m, t, lost));
  for (const o of ordinals(m)) await m.kube.delete('v1', 'Pod', ns(m), podName(m, o), { gracePeriodSeconds: 0 });
  const waiting = ordinals(m).filter((o) => o !== lost);
  const t0 = Date.now();
  await eventually(`${waiting.map((o) => podName(m, o)).join(', ')} to wait for ${podName(m, lost)}`, () => Promise.resolve(waiting.every((o) => {
    const log = kubectl(['-n', ns(m), 'logs', podName(m, o), '-c', 'agent']).stdout;
    return new RegExp(`not ready: no member is ONLINE and ${podName(m, lost)}\\.\\S+ \\(.*\\) did not answer`).test(log);
  })
    ? true
    : undefined), timeoutMs, 2000);
  // They keep waiting: nothing starts a group while the lost member's transactions are unaccounted for. (Longer than
  // the asynchronous mode's give-up on a peer, PEER_ATTEMPTS x PEER_RETRY_INTERVAL = 30 s: a group rule that
  // borrowed it would start a group within this window.)
  await sleep(45000);
  expect(bootstraps(m)).toBe(0);
  expect(await labelled(m, 'primary')).toEqual([]);
  const waited = Math.round((Date.now() - t0) / 1000);
  await declare([lost]);
  const next = await waitPrimary(m, undefined, timeoutMs);
  for (const o of ordinals(m)) await readyPod(m.kube, ns(m), podName(m, o), { timeoutMs });
  const started = ordinals(m).filter((o) => bootstrapsOf(m, o) > 0);
  expect(started).toHaveLength(1);
  expect(started[0]).not.toBe(lost);
  expect(kubectl(['-n', ns(m), 'logs', podName(m, lost), '-c', Conventions.MYSQL_BOOTSTRAP_CONTAINER]).stdout).toMatch(/cloned from /);
  for (const o of ordinals(m)) {
    expect(query(m, o, `SELECT COUNT(*) FROM ${m.app.database}.writes WHERE n BETWEEN 6000000 AND 6000004;`)).toBe('5');
  }
  expect(query(m, next, `SELECT GTID_SUBSET('${want}', @@GLOBAL.gtid_executed);`)).toBe('1');
  await declare([]);
  return { lost: podName(m, lost), waited_s: waited, bootstrapped: podName(m, started[0]), primary: podName(m, next) };
}

/** `m` seen with `replicas` members (the scenarios derive the ordinals from the StatefulSet's replicas). */
function resized(m: GroupUnderTest, replicas: number): GroupUnderTest {
  return { ...m, set: { ...m.set, spec: { ...m.set.spec, replicas } } };
}

/** The primary's view: how many members are ONLINE, and how many there are. */
function view(m: GroupUnderTest, primary: number): string {
  return query(m, primary, 'SELECT CONCAT(SUM(MEMBER_STATE = \'ONLINE\'), \'/\', COUNT(*)) FROM performance_schema.replication_group_members;');
}

/**
 * gr-scale: 3 → 5 → 3 members (`apply(replicas)` applies the manifests synthesized with that count) while a writer
 * commits through the write Service: the new members clone and join, the read Service lists every secondary, the
 * members scaled in leave the group cleanly and keep their claims; no acknowledged write is lost.
 */
export async function groupScale(m: GroupUnderTest, apply: (replicas: number) => Promise<void>, timeoutMs = 900000): Promise<Details> {
  const writer = new Writer(m);
  writer.start(7_000_000, 1200);
  try {
    await eventually('the writer to commit 20 rows', () => Promise.resolve(writer.acknowledged().length >= 20 ? true : undefined), 120000, 200);
    const at = Date.now() / 1000;
    const five = resized(m, 5);
    await apply(5);
    await settled(m.kube, m.set, 5, timeoutMs);
    const p5 = await waitPrimary(five, undefined, timeoutMs);
    await eventually('5 members ONLINE in the primary\'s view', () => Promise.resolve(view(m, p5) === '5/5' ? true : undefined), 120000, 1000);
    await eventually('the read Service to list the 4 secondaries', async () => ((await endpointPods(m.kube, ns(m), `${nameOf(m)}-read`)).ready.length === 4 ? true : undefined), 120000, 1000);
    const seen = writer.acknowledged();
    for (const o of [3, 4]) await eventually(`${podName(m, o)} to hold every acknowledged row`, () => Promise.resolve(lostRows(m, seen, o).length === 0 ? true : undefined), 120000, 1000);
    await apply(3);
    await settled(m.kube, m.set, 3, timeoutMs);
    const p3 = await waitPrimary(m, undefined, timeoutMs);
    await eventually('3 members ONLINE in the primary\'s view', () => Promise.resolve(view(m, p3) === '3/3' ? true : undefined), 120000, 1000);
    for (const o of [3, 4]) {
      for (const t of claimTemplates(m)) expect(await m.kube.get('v1', 'PersistentVolumeClaim', ns(m), claimName(m, t, o))).toBeTruthy();
    }
    const count = writer.acknowledged().length;
    await eventually('writes after the scale-in', () => Promise.resolve(writer.acknowledged().length >= count + 20 ? true : undefined), 120000, 200);
    await writer.stop();
    const acks = writer.acknowledged();
    expect(lostRows(m, acks, p3)).toEqual([]);
    return { at_5: `${podName(m, p5)} primary, 5/5 ONLINE`, at_3: `${podName(m, p3)} primary, 3/3 ONLINE`, rto_s: gapAfter(acks, at), acknowledged: acks.length, lost: 0 };
  } finally {
    await writer.stop();
  }
}
