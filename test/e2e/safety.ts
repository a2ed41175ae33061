/**
 * The data-safety scenarios every ReplicatedMySql must pass on real servers (whatever its name,
 * namespace, size or tls choice): a primary that went back in time, evidence that disappears, an
 * old primary that comes back, and members that verify each other. Each leaves the cluster healthy
 * (every member Ready, one writable primary) for the next one.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { MySqlCluster } from './harness/cluster';
import { Manifest } from './harness/manifests';
import {
  createTestTable, factsOf, gtidExecuted, insert, members, replicasOf, rows, waitReplicated,
} from './scenarios';

const PRIMARY_ANNOTATION = 'mysql.cdk8s-stateful.io/primary-ordinal';
const POD_NAME = 'statefulset.kubernetes.io/pod-name';

// --- manifests as synthesizing another primary or a partition would give them ------------------

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** The manifests with `ordinal` as the primary: what `primaryOrdinal: ordinal` synthesizes. */
export function withPrimary(objects: Manifest[], name: string, ordinal: number): Manifest[] {
  const copy = clone(objects);
  const sts = copy.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name)!;
  const before = Number(sts.metadata.annotations?.[PRIMARY_ANNOTATION] ?? envValue(sts, 'PRIMARY_ORDINAL'));
  if (sts.metadata.annotations?.[PRIMARY_ANNOTATION] !== undefined) sts.metadata.annotations[PRIMARY_ANNOTATION] = String(ordinal);
  const pod = sts.spec.template.spec;
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    for (const e of c.env ?? []) if (e.name === 'PRIMARY_ORDINAL') e.value = String(ordinal);
  }
  const rename = (value: string) => (value === `${name}-${before}` ? `${name}-${ordinal}` : value);
  for (const o of copy) {
    if (o.kind === 'Service' && o.spec?.selector?.[POD_NAME] !== undefined) o.spec.selector[POD_NAME] = rename(o.spec.selector[POD_NAME]);
    if (o.kind !== 'PodDisruptionBudget') continue;
    const selector = o.spec.selector;
    if (selector.matchLabels?.[POD_NAME] !== undefined) selector.matchLabels[POD_NAME] = rename(selector.matchLabels[POD_NAME]);
    for (const e of selector.matchExpressions ?? []) if (e.key === POD_NAME) e.values = e.values.map(rename);
  }
  return copy;
}

/** The manifests with a rollout partition (undefined: none). */
export function withPartition(objects: Manifest[], name: string, partition: number | undefined): Manifest[] {
  const copy = clone(objects);
  const sts = copy.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name)!;
  sts.spec.updateStrategy = partition === undefined ? { type: 'RollingUpdate' } : { type: 'RollingUpdate', rollingUpdate: { partition } };
  return copy;
}

function envValue(sts: Manifest, variable: string): string | undefined {
  const pod = sts.spec.template.spec;
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const e = (c.env ?? []).find((x: any) => x.name === variable);
    if (e?.value !== undefined) return e.value;
  }
  return undefined;
}

/** Fails over to `to` the way the README says: primaryOrdinal changed, synthesized, applied. */
export async function failOver(c: MySqlCluster, to: number): Promise<void> {
  try {
    await c.apply(withPrimary(c.manifests(), c.name, to));
    for (const o of members(factsOf(c))) await c.waitReady(o);
  } catch (e) {
    for (const o of members(factsOf(c))) {
      // What the members hold and how their replication stands, for the failure's log.
      const res = c.sql('SELECT @@GLOBAL.gtid_executed; SELECT SERVICE_STATE, LAST_ERROR_MESSAGE, RECEIVED_TRANSACTION_SET FROM performance_schema.replication_connection_status; SELECT SERVICE_STATE, LAST_ERROR_MESSAGE FROM performance_schema.replication_applier_status_by_worker;', { pod: o });
      process.stderr.write(`failover to ${c.name}-${to} failed; ${c.name}-${o}: ${res.stdout}${res.stderr}\n`);
    }
    throw e;
  }
  expect(c.endpoints(`${c.name}-primary`)).toEqual([`${c.name}-${to}`]);
}

// --- what the members do ------------------------------------------------------------------------

/** Whether a member accepts a write from root over its socket (super_read_only refuses it). */
export function acceptsWrites(c: MySqlCluster, ordinal: number): boolean {
  const res = c.sql('INSERT INTO e2e.events (what) VALUES (\'probe write\');', { pod: ordinal });
  if (res.status === 0) return true;
  expect(res.stderr).toMatch(/ERROR 1290 .*--super-read-only/);
  return false;
}

/** The agent's log of a pod. */
const agentLog = (c: MySqlCluster, ordinal: number) => c.pod(ordinal).log('agent');

/** The members that hold transactions of a server_uuid none of the others has: a second writer. */
function branches(c: MySqlCluster, ordinals: number[]): string[] {
  const sets = ordinals.map((o) => gtidExecuted(c, o));
  const uuidsOf = (set: string) => new Set(set.split(',').filter(Boolean).map((part) => part.split(':')[0]));
  const all = sets.map(uuidsOf);
  const out: string[] = [];
  for (let i = 0; i < ordinals.length; i++) {
    for (const u of all[i]) if (!all.some((other, j) => j !== i && other.has(u)) && ordinals.length > 1) out.push(`${c.name}-${ordinals[i]}:${u}`);
  }
  return out;
}

// --- 1: a primary that went back in time ----------------------------------------------------------

/**
 * The primary's volume restored from an older copy while the replicas hold more: it must not take
 * writes (it would reuse their GTIDs for other rows), the replicas must not follow it, and the
 * recovery the refusal names (promote the most advanced member) loses nothing.
 */
export async function primaryBehind(c: MySqlCluster): Promise<{ verdict: string }> {
  const f = factsOf(c);
  if (f.replicas < 2) return { verdict: 'single-member' };
  const p = f.primary;
  const r = replicasOf(f).slice(-1)[0];
  createTestTable(c, p);
  insert(c, p, 'before the copy');
  await waitReplicated(c, p, replicasOf(f));
  // A consistent copy of the primary's volume, taken while it is stopped.
  await c.deletePod(p, { recreate: false });
  const copy = `${c.claimPath('data', p)}.copy`;
  fs.rmSync(copy, { recursive: true, force: true });
  // (cp -a: owners and modes as the volume holds them, as a volume snapshot keeps them)
  execFileSync('cp', ['-a', c.claimPath('data', p), copy]);
  c.createPod(p);
  await c.waitReady(p);
  for (let i = 0; i < 5; i++) insert(c, p, `after the copy ${i}`);
  await waitReplicated(c, p, replicasOf(f));
  const expected = rows(c, r);
  // The primary goes back in time: its volume restored from the copy.
  await c.deletePod(p, { recreate: false });
  fs.rmSync(c.claimPath('data', p), { recursive: true, force: true });
  fs.renameSync(copy, c.claimPath('data', p));
  c.createPod(p);
  await c.waitUntil(`${c.name}-${p} to turn Ready or be refused`, () => c.pod(p).ready || /has transactions this primary lacks/.test(agentLog(c, p)), 240_000);
  const problems: string[] = [];
  if (acceptsWrites(c, p)) problems.push(`${c.name}-${p} (restored from an older copy) accepted a write`);
  if (c.pod(p).ready) problems.push(`${c.name}-${p} is Ready`);
  if (c.endpoints(`${c.name}-primary`).length > 0) problems.push(`the write Service routes to ${c.endpoints(`${c.name}-primary`).join(', ')}`);
  await sleep(10_000);
  for (const o of replicasOf(f)) {
    if (JSON.stringify(rows(c, o)) !== JSON.stringify(expected)) problems.push(`${c.name}-${o} rows changed: ${rows(c, o).join(', ')}`);
    if (c.pod(o).ready && gtidExecuted(c, o) === gtidExecuted(c, p) && JSON.stringify(rows(c, o)) !== JSON.stringify(rows(c, p))) {
      problems.push(`${c.name}-${o} is Ready with the same gtid_executed as ${c.name}-${p} but other rows`);
    }
  }
  expect(problems).toEqual([]);
  expect(agentLog(c, p)).toMatch(/Make the most advanced member the primary \(primaryOrdinal: \d+, docs\/mysql\.md: Failover\)/);
  // Recovery as the refusal says: the most advanced member becomes the primary; the old one follows it.
  await failOver(c, r);
  insert(c, r, 'after recovering');
  await waitReplicated(c, r, members(f).filter((o) => o !== r));
  for (const o of members(f)) expect(rows(c, o)).toEqual([...expected, 'after recovering']);
  expect(branches(c, members(f))).toEqual([]);
  return { verdict: 'refused' };
}

// --- 2: evidence that disappears -------------------------------------------------------------------

/**
 * The evidence that the cluster holds data is removed (a policy engine, a claim re-created from a
 * snapshot): every member restores it on its next start, so a later loss of the primary's volume
 * still refuses to start an empty primary.
 */
export async function evidenceRemoved(c: MySqlCluster): Promise<{ restored: number }> {
  const f = factsOf(c);
  const configMap = `${c.name}-members`;
  // Every trace removed: the evidence entries and (for manifests of earlier versions) the claim labels.
  if (c.configMap(configMap)) c.deleteConfigMapKeys(configMap, Object.keys(c.configMap(configMap)!.data ?? {}));
  for (const o of members(f)) c.stripClaimLabels(c.claimName('data', o), ['mysql.cdk8s-stateful.io/holds-data']);
  // Each member restarts (a rolling restart, a node upgrade).
  for (const o of [...replicasOf(f), f.primary]) {
    await c.deletePod(o);
    await c.waitReady(o);
  }
  const recorded = Object.keys(c.configMap(configMap)?.data ?? {}).sort();
  if (f.replicas < 2) return { restored: recorded.length };
  // Now the primary's volume is lost during a full outage: it must refuse.
  await c.stopAll();
  c.wipeClaim('data', f.primary);
  await c.resume({ waitReady: false });
  const pod = c.pod(f.primary);
  await c.waitUntil('the primary\'s bootstrap to fail twice, or the primary to turn Ready', () => pod.initFailures.length >= 2 || pod.ready, 240_000);
  expect(pod.log('bootstrap')).not.toMatch(/initializing a new data directory/);
  expect(pod.ready).toBe(false);
  expect(pod.log('bootstrap')).toMatch(/ERROR: the primary's data directory \(\/var\/lib\/mysql\/data\) is empty, but other members hold data/);
  expect(recorded).toEqual(members(f).map((o) => `${c.name}-${o}`).sort());
  // Recovery: promote the most advanced surviving member; the lost one clones from it.
  const target = replicasOf(f).slice(-1)[0];
  await failOver(c, target);
  expect(c.pod(f.primary).log('bootstrap')).toMatch(/cloned from /);
  return { restored: recorded.length };
}

// --- 3: an old primary that comes back -------------------------------------------------------------

/**
 * After a failover, the old primary restarts (its mysqld killed: the container restarts without
 * the init containers) and is re-created from the old revision below a rollout partition. It must
 * never accept a write again, and never create a second branch of transactions.
 */
export async function oldPrimaryReturns(c: MySqlCluster): Promise<{ self_demoted_s: number | string }> {
  let f = factsOf(c);
  if (f.replicas < 2) return { self_demoted_s: 'single-member' };
  // The new primary must sit above the partition and the old one below it: the old primary must
  // not be the highest ordinal (fail over to the lowest one first if it is).
  if (f.primary === Math.max(...members(f))) await failOver(c, Math.min(...members(f)));
  f = factsOf(c);
  const old = f.primary;
  const next = Math.max(...members(f));
  createTestTable(c, old);
  insert(c, old, 'before the failover');
  await waitReplicated(c, old, replicasOf(f));
  const problems: string[] = [];
  const started = Date.now();
  await c.apply(withPartition(withPrimary(c.manifests(), c.name, next), c.name, old - f.start + 1), { wait: false });
  // The old primary stops taking writes by itself: its agent sees the StatefulSet name another member.
  let demoted = false;
  await c.waitUntil(`${c.name}-${old} to stop taking writes`, () => (demoted = !acceptsWrites(c, old)), 60_000).catch(() => undefined);
  const selfDemoted = demoted ? Math.round((Date.now() - started) / 1000) : 'no';
  if (!demoted) {
    problems.push(`${c.name}-${old} still accepted writes 60s after the StatefulSet named ${c.name}-${next} the primary`);
    c.query('SET GLOBAL super_read_only = ON;', { pod: old }); // the old runbook's step, so that the promotion proceeds
  }
  await c.waitRollout();
  await c.waitReady(next);
  insert(c, next, 'on the new primary');
  // (a) mysqld of the old primary killed: the container restarts without the init containers.
  await c.killContainer(old, 'mysql', 'SIGKILL');
  await c.waitUntil(`${c.name}-${old}'s mysqld to answer again`, () => c.sql('SELECT 1;', { pod: old }).status === 0, 180_000);
  await watchReadOnly(c, old, 20_000, 'after its mysqld restarted', problems);
  // (b) its pod deleted: re-created from the revision below the partition (the old template).
  await c.deletePod(old);
  const template = c.pod(old).template.spec.initContainers.find((x: any) => x.name === 'bootstrap');
  expect(template.env.find((e: any) => e.name === 'PRIMARY_ORDINAL').value).toBe(String(old));
  await c.waitUntil(`${c.name}-${old}'s mysqld to answer`, () => c.sql('SELECT 1;', { pod: old }).status === 0, 180_000);
  await watchReadOnly(c, old, 20_000, 're-created from the old revision', problems);
  if (branches(c, members(f)).length > 0) problems.push(`a second branch of transactions: ${branches(c, members(f)).join(', ')}`);
  expect(problems).toEqual([]);
  await c.waitReady(old);
  expect(c.pod(old).log('bootstrap')).toMatch(/this pod was created from another revision of the StatefulSet/);
  // Nothing but the new primary ever wrote after the failover.
  insert(c, next, 'after the old primary returned');
  await waitReplicated(c, next, members(f).filter((o) => o !== next));
  for (const o of members(f)) expect(rows(c, o)).toEqual(rows(c, next));
  // The rollout finishes without the partition.
  await c.apply(withPartition(c.manifests(), c.name, undefined));
  for (const o of members(f)) await c.waitReady(o);
  return { self_demoted_s: selfDemoted };
}

/** For `ms`, the member is checked every second: it never accepts a write. */
async function watchReadOnly(c: MySqlCluster, ordinal: number, ms: number, when: string, problems: string[]): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const res = c.sql('SELECT @@GLOBAL.super_read_only;', { pod: ordinal });
    if (res.status === 0 && res.stdout.trim() !== '1') {
      problems.push(`${c.name}-${ordinal} was writable ${when}${c.pod(ordinal).ready ? ' and Ready' : ''}`);
      return;
    }
    await sleep(1000);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- 4: members verify each other ----------------------------------------------------------------

/** Whether a StatefulSet has a tls choice that verifies (the members' MYSQL_TLS). */
export function verifiesTls(sts: Manifest): boolean {
  return envValue(sts, 'MYSQL_TLS') === 'verify';
}

/**
 * With a tls choice: replication checks the source's certificate and name against the CA, clients
 * can, and a member presenting a certificate from another CA is refused by replication and CLONE.
 */
export async function verifiedTls(c: MySqlCluster): Promise<void> {
  const f = factsOf(c);
  const ca = c.tlsCa();
  for (const r of replicasOf(f)) {
    const channel = c.query('SELECT SSL_VERIFY_SERVER_CERTIFICATE, SSL_CA_FILE FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = \'\';', { pod: r });
    expect(channel).toBe('YES\t/etc/mysql/tls/ca.crt');
  }
  // Clients can verify the write Service's identity.
  if (f.app && f.primaryService) {
    const host = `${f.primaryService}.${c.namespace}.svc.cluster.local`;
    expect(c.query('SELECT CURRENT_USER();', { host, user: f.app.user, password: f.app.password, database: f.app.database, sslMode: 'VERIFY_IDENTITY', sslCa: ca })).toBe(`${f.app.user}@%`);
  }
  if (f.replicas < 2) return;
  // An impostor: the primary's pod re-created with a certificate for the same names from another CA.
  const p = f.primary;
  const r = replicasOf(f)[0];
  c.podSecretOverrides.set(p, { [c.tlsSecretName()]: c.impostorTls() });
  await c.deletePod(p);
  // Refused by whichever asks first: the channel's receiver, or the agent's check of the source (which
  // then stops the receiver, so that nothing is received until the source passes the check again).
  const before = gtidExecuted(c, r);
  await c.waitUntil(`${c.name}-${r} to refuse the impostor's certificate`, () => {
    const error = c.query('SELECT LAST_ERROR_MESSAGE FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = \'\';', { pod: r });
    const verdict = c.pod(r).containers.get('mysql')?.probes.readiness.slice(-1)[0]?.output ?? '';
    return /certificate verify failed/.test(error) || /its source .* cannot be reached \(ERROR 2026 .*certificate verify failed/.test(verdict);
  }, 120_000);
  await c.waitNotReady(r);
  expect(c.query('SELECT SERVICE_STATE FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = \'\';', { pod: r })).not.toBe('ON');
  expect(gtidExecuted(c, r)).toBe(before);
  // CLONE, as the bootstrap runs it (a throw-away recipient, the cluster's CA), refuses it too.
  const clone = await c.pod(r).exec('bootstrap', ['bash', '-c', `. /etc/cdk8s-mysql/lib.sh
d=$(mktemp -d /var/lib/mysql/.clone-probe.XXXXXX) || exit 90
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$d"' EXIT
mysqld --no-defaults --datadir="$d/data" --initialize-insecure >"$d/init.log" 2>&1 || { echo "initialize failed:"; cat "$d/init.log"; exit 91; }
mysqld --no-defaults --datadir="$d/data" --socket="$d/s" --pid-file="$d/pid" --secure-file-priv="$d" --skip-networking --mysqlx=OFF --plugin-load-add=mysql_clone.so --skip-log-bin >"$d/log" 2>&1 & pid=$!
for _ in $(seq 1 300); do mysqladmin --no-defaults --socket="$d/s" ping >/dev/null 2>&1 && break; sleep 0.2; done
mysqladmin --no-defaults --socket="$d/s" ping >/dev/null 2>&1 || { echo "the throw-away recipient did not start:"; tail -n 20 "$d/log"; exit 92; }
host=$(pod_host ${p})
mysql --no-defaults -uroot --socket="$d/s" -e "SET GLOBAL clone_ssl_ca = '$TLS_DIR/ca.crt'; SET GLOBAL clone_valid_donor_list = '$host:3306'; CLONE INSTANCE FROM '$REPLICATION_USER'@'$host':3306 IDENTIFIED BY '$(secret replication-password | sed "s/'/''/g")' DATA DIRECTORY = '$d/clone' REQUIRE SSL;" 2>&1`], 120_000);
  expect(clone.code).not.toBe(0);
  expect(clone.output).toMatch(/ERROR 3862 .*certificate verify failed/);
  // The real primary back: everyone recovers.
  c.podSecretOverrides.delete(p);
  await c.deletePod(p);
  for (const o of members(f)) await c.waitReady(o);
  insert(c, p, 'after the impostor');
  await waitReplicated(c, p, replicasOf(f));
}
