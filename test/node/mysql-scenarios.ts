/**
 * ReplicatedMySql scenarios on the real node, for any synthesized ReplicatedMySql (name, namespace, replicas,
 * primary ordinal, Services): used by test/node/mysql.node.ts and by `npm run test:node -- --manifests DIR`.
 * They assert behaviour a user sees -- pods Ready, EndpointSlices, DNS, rows read with the mysql client in a
 * pod -- not log lines, so they hold while the pod scripts change.
 *
 *   fresh-cluster           every member Ready (in order for OrderedReady); the primary takes writes, the
 *                           replicas refuse them and receive them; the write Service selects the primary only,
 *                           the read Service every member; each Service answers through kube-proxy
 *   pod-deleted             a replica's pod, then the primary's, deleted: each returns on its claim with its rows
 *                           and replicates again; the write Service follows the primary's new pod
 *   mysqld-killed           SIGKILL to the primary's mysqld (from the node: it is the container's PID 1): kubelet
 *                           restarts the container, crash recovery keeps every row, the replicas catch up
 *   replica-claim-deleted   a replica's claim and pod deleted: it returns on a new, empty claim and holds the
 *                           primary's rows again
 *   read-service-readiness  a replica's mysqld frozen (SIGSTOP): kubelet's readiness probe takes it out of the
 *                           read Service's EndpointSlice (the headless Service keeps publishing it); SIGCONT: back
 *   old-primary-returns     a failover held by a partition; the old primary's pod re-created by the controller from
 *                           the old revision (its env names it the primary) comes back read-only, following the
 *                           new primary; then every member converges on the new revision (runs last)
 */
import { randomBytes } from 'crypto';
import { readdirSync, readFileSync } from 'fs';
import { isReady } from '../cluster/fixtures';
import { eventually, Kube, KubeObject } from '../cluster/kube';
import { endpointPods, exec, images, kubectl, podsOf, readyPod, Run } from './node-env';
import { Details, nameOf, ns, ordinals, orderedStart, podName, SetUnderTest, startOf } from './scenarios';

type Manifest = KubeObject;

/** A ReplicatedMySql as the scenarios see it. */
export interface MySqlUnderTest extends SetUnderTest {
  readonly primary: number;
  readonly headless: string;
  readonly writeService?: string;
  readonly readService?: string;
  readonly rootPassword: string;
  readonly replicationUser: string;
  readonly replicationPassword: string;
  /** The container that runs mysqld. */
  readonly container: string;
}

// --- Secrets --------------------------------------------------------------------------------------------------

/** Every Secret name → keys the objects reference (env, envFrom is not resolvable, secret and projected volumes). */
export function referencedSecrets(objects: Manifest[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (namespace: string, name: string, key: string) => {
    const id = `${namespace}/${name}`;
    if (!out.has(id)) out.set(id, new Set());
    out.get(id)!.add(key);
  };
  for (const o of objects) {
    const spec = o.spec?.template?.spec ?? (o.kind === 'Pod' ? o.spec : undefined);
    if (!spec) continue;
    const namespace = o.metadata.namespace ?? 'default';
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) add(namespace, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    }
    for (const v of spec.volumes ?? []) {
      if (v.secret) for (const i of v.secret.items ?? [{ key: 'password' }]) add(namespace, v.secret.secretName, i.key);
      for (const s of v.projected?.sources ?? []) {
        if (s.secret) for (const i of s.secret.items ?? [{ key: 'password' }]) add(namespace, s.secret.name, i.key);
      }
    }
  }
  return out;
}

/** Secret objects with generated values (letters and digits) for every referenced Secret the objects do not hold. */
export function generatedSecrets(objects: Manifest[]): Manifest[] {
  const present = new Set(objects.filter((o) => o.kind === 'Secret').map((o) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`));
  const secrets: Manifest[] = [];
  for (const [id, keys] of referencedSecrets(objects)) {
    if (present.has(id)) continue;
    const [namespace, name] = id.split('/');
    const data: Record<string, string> = {};
    for (const key of keys) data[key] = randomBytes(12).toString('base64').replace(/[^A-Za-z0-9]/g, '') + 'Aa1';
    secrets.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels: { 'cdk8s-stateful.test/generated': 'true' } }, type: 'Opaque', stringData: data });
  }
  return secrets;
}

// --- facts from the manifests ---------------------------------------------------------------------------------

function containersOf(set: Manifest): any[] {
  const spec = set.spec.template.spec;
  return [...(spec.initContainers ?? []), ...spec.containers];
}

function envValue(set: Manifest, name: string): any {
  for (const c of containersOf(set)) {
    const e = (c.env ?? []).find((x: any) => x.name === name);
    if (e) return e;
  }
  return undefined;
}

/** The value of secret `name` key `key` among the Secrets. */
function secretValue(secrets: Manifest[], namespace: string, name: string, key: string): string | undefined {
  const s = secrets.find((x) => x.metadata.name === name && (x.metadata.namespace ?? 'default') === namespace);
  if (!s) return undefined;
  if (s.stringData?.[key] !== undefined) return s.stringData[key];
  return s.data?.[key] !== undefined ? Buffer.from(s.data[key], 'base64').toString('utf8') : undefined;
}

/** A password the pods read from env `envName` or from a mounted Secret file `file` (projected or secret volume). */
export function passwordOf(set: Manifest, secrets: Manifest[], envName: string, file: string): string {
  const namespace = set.metadata.namespace ?? 'default';
  const e = envValue(set, envName);
  if (e?.value) return e.value;
  if (e?.valueFrom?.secretKeyRef) {
    const v = secretValue(secrets, namespace, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    if (v !== undefined) return v;
  }
  for (const v of set.spec.template.spec.volumes ?? []) {
    const sources = v.projected?.sources?.filter((s: any) => s.secret).map((s: any) => s.secret)
      ?? (v.secret ? [{ name: v.secret.secretName, items: v.secret.items }] : []);
    for (const s of sources) {
      const item = (s.items ?? []).find((i: any) => i.path === file || i.key === file);
      const value = item ? secretValue(secrets, namespace, s.name, item.key) : secretValue(secrets, namespace, s.name, file);
      if (value !== undefined) return value;
    }
  }
  throw new Error(`cannot tell the ${file} of ${namespace}/${set.metadata.name} (no env ${envName}, no Secret item ${file})`);
}

/** The Services of a set: governing (headless), write (selects one pod by name), read (the rest). */
export function servicesOf(set: Manifest, objects: Manifest[]): { headless: string; write?: { name: string; ordinal: number }; read?: string } {
  const labels = set.spec.template.metadata.labels ?? {};
  const namespace = set.metadata.namespace;
  const mine = objects.filter((o) => o.kind === 'Service' && o.metadata.namespace === namespace && o.spec?.selector
    && Object.entries(o.spec.selector).every(([k, v]) => k === 'statefulset.kubernetes.io/pod-name' || labels[k] === v));
  const write = mine.find((s) => s.spec.selector['statefulset.kubernetes.io/pod-name'] !== undefined);
  const read = mine.find((s) => s !== write && s.spec.clusterIP !== 'None');
  const podNameSel: string | undefined = write?.spec.selector['statefulset.kubernetes.io/pod-name'];
  return {
    headless: set.spec.serviceName,
    ...(write ? { write: { name: write.metadata.name, ordinal: Number(podNameSel!.slice(podNameSel!.lastIndexOf('-') + 1)) } } : {}),
    ...(read ? { read: read.metadata.name } : {}),
  };
}

export function mysqlUnderTest(kube: Kube, set: Manifest, objects: Manifest[], secrets: Manifest[]): MySqlUnderTest {
  const primaryEnv = envValue(set, 'PRIMARY_ORDINAL');
  const services = servicesOf(set, objects);
  const primary = Number(primaryEnv?.value ?? services.write?.ordinal ?? startOf({ kube, set }));
  const container = (set.spec.template.spec.containers.find((c: any) => c.name === 'mysql') ?? set.spec.template.spec.containers[0]).name;
  return {
    kube,
    set,
    primary,
    headless: services.headless,
    writeService: services.write?.name,
    readService: services.read,
    rootPassword: passwordOf(set, secrets, 'MYSQL_ROOT_PASSWORD', 'root-password'),
    replicationUser: envValue(set, 'REPLICATION_USER')?.value ?? 'repl',
    replicationPassword: passwordOf(set, secrets, 'REPLICATION_PASSWORD', 'replication-password'),
    container,
  };
}

export const replicaOrdinals = (m: MySqlUnderTest): number[] => ordinals(m).filter((o) => o !== m.primary);

// --- SQL ------------------------------------------------------------------------------------------------------

/** SQL as root over the pod's socket (the password goes through stdin, never a command line). */
export function sql(m: MySqlUnderTest, ordinal: number, statements: string): Run {
  const script = 'IFS= read -r pw; exec mysql --defaults-file=<(printf \'[client]\\nuser=root\\npassword="%s"\\n\' "$pw") --socket=/var/run/mysqld/mysqld.sock --batch --skip-column-names';
  return exec(ns(m), podName(m, ordinal), ['bash', '-c', script], { container: m.container, input: `${m.rootPassword}\n${statements}\n` });
}

export function query(m: MySqlUnderTest, ordinal: number, statements: string): string {
  const res = sql(m, ordinal, statements);
  if (res.status !== 0) throw new Error(`SQL on ${podName(m, ordinal)} failed (${res.status}): ${res.stderr.trim()}\n${statements}`);
  return res.stdout.trim();
}

const CLIENT = 'node-test-mysql-client';

/** A pod with the MySQL image's client, in the namespace (for connections through the Services). */
export async function mysqlClient(m: MySqlUnderTest): Promise<string> {
  if (!(await m.kube.get('v1', 'Pod', ns(m), CLIENT))) {
    await m.kube.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: CLIENT, namespace: ns(m), labels: { 'cdk8s-stateful.test/client': 'true' } },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } },
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 0,
        containers: [{
          name: 'client',
          image: images().mysql,
          command: ['sleep', '86400'],
          resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
        }],
      },
    });
  }
  await readyPod(m.kube, ns(m), CLIENT, { timeoutMs: 120000 });
  return CLIENT;
}

/** SQL through a Service (kube-proxy) as the replication user over TLS, from the client pod. */
export function viaService(m: MySqlUnderTest, service: string, statements: string): Run {
  const host = `${service}.${ns(m)}.svc.cluster.local`;
  const script = `IFS= read -r pw; exec mysql --defaults-file=<(printf '[client]\\nuser="%s"\\npassword="%s"\\n' "$0" "$pw") --host=${host} --ssl-mode=REQUIRED --connect-timeout=5 --batch --skip-column-names`;
  return exec(ns(m), CLIENT, ['bash', '-c', script, m.replicationUser], { input: `${m.replicationPassword}\n${statements}\n` });
}

const TABLE = 'nodetest.events';

export function ensureTable(m: MySqlUnderTest): void {
  query(m, m.primary, `CREATE DATABASE IF NOT EXISTS nodetest; CREATE TABLE IF NOT EXISTS ${TABLE} (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(200) NOT NULL);`);
}

export function insert(m: MySqlUnderTest, what: string): void {
  query(m, m.primary, `INSERT INTO ${TABLE} (what) VALUES ('${what}');`);
}

export function rows(m: MySqlUnderTest, ordinal: number): string[] {
  const out = query(m, ordinal, `SELECT what FROM ${TABLE} ORDER BY id;`);
  return out === '' ? [] : out.split('\n');
}

/** Waits until every ordinal in `members` holds exactly the primary's rows. */
export async function waitRows(m: MySqlUnderTest, members: number[], timeoutMs = 120000): Promise<string[]> {
  const want = rows(m, m.primary);
  for (const o of members) {
    await eventually(`${podName(m, o)} to hold the primary's ${want.length} rows`, () => {
      const res = sql(m, o, `SELECT what FROM ${TABLE} ORDER BY id;`);
      return Promise.resolve(res.status === 0 && res.stdout.trim() === want.join('\n'));
    }, timeoutMs, 1000);
  }
  return want;
}

async function waitAllReady(m: MySqlUnderTest, timeoutMs = 600000): Promise<void> {
  await eventually(`every member of ${ns(m)}/${nameOf(m)} Ready`, async () => {
    const pods = await podsOf(m.kube, m.set);
    return pods.length === ordinals(m).length && pods.every((p) => isReady(p) && p.metadata.deletionTimestamp === undefined);
  }, timeoutMs, 1000);
}

/** The node's PID of the process `comm` in container `container` of a pod (cgroup path carries the container id). */
export async function hostPid(m: MySqlUnderTest, ordinal: number, comm = 'mysqld'): Promise<number> {
  const pod = (await m.kube.get('v1', 'Pod', ns(m), podName(m, ordinal)))!;
  const status = (pod.status.containerStatuses ?? []).find((c: any) => c.name === m.container);
  const id = String(status?.containerID ?? '').replace(/^.*:\/\//, '');
  if (!id) throw new Error(`${podName(m, ordinal)}/${m.container} has no container id`);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cgroup`, 'utf8').includes(id) && readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) return Number(entry);
    } catch {
      // the process ended while being read
    }
  }
  throw new Error(`no ${comm} process in container ${id.slice(0, 12)} of ${podName(m, ordinal)}`);
}

async function restarts(m: MySqlUnderTest, ordinal: number): Promise<{ count: number; lastExit?: number; uid: string }> {
  const pod = (await m.kube.get('v1', 'Pod', ns(m), podName(m, ordinal)))!;
  const s = (pod.status.containerStatuses ?? []).find((c: any) => c.name === m.container);
  return { count: s?.restartCount ?? 0, lastExit: s?.lastState?.terminated?.exitCode, uid: pod.metadata.uid };
}

async function claimUid(m: MySqlUnderTest, ordinal: number): Promise<string | undefined> {
  const template = m.set.spec.volumeClaimTemplates?.[0]?.metadata.name ?? 'data';
  return (await m.kube.get('v1', 'PersistentVolumeClaim', ns(m), `${template}-${nameOf(m)}-${ordinal}`))?.metadata.uid;
}

// --- the scenarios --------------------------------------------------------------------------------------------

/** The set was just applied (with `watch` started before it). */
export async function freshCluster(m: MySqlUnderTest, watch: Parameters<typeof orderedStart>[1], timeoutMs = 600000): Promise<Details> {
  const start = await orderedStart(m, watch, timeoutMs);
  // Roles: the primary takes writes, each replica is super-read-only.
  for (const o of ordinals(m)) {
    expect(query(m, o, 'SELECT @@GLOBAL.super_read_only;')).toBe(o === m.primary ? '0' : '1');
  }
  ensureTable(m);
  insert(m, 'fresh');
  await waitRows(m, replicaOrdinals(m));
  for (const r of replicaOrdinals(m)) {
    const refused = sql(m, r, `INSERT INTO ${TABLE} (what) VALUES ('on a replica');`);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/ERROR 1290 .*super-read-only/);
  }
  // The Services, as kube-proxy serves them and as their EndpointSlices say.
  await mysqlClient(m);
  const details: Details = { primary: podName(m, m.primary), replicas: replicaOrdinals(m).length, policy: start.policy };
  if (m.writeService) {
    await eventually(`${m.writeService} to list ${podName(m, m.primary)} only`, async () => {
      const e = await endpointPods(m.kube, ns(m), m.writeService!);
      return e.ready.join(',') === podName(m, m.primary);
    }, 60000, 1000);
    const through = viaService(m, m.writeService, 'SELECT @@hostname, @@GLOBAL.super_read_only;');
    expect(through.status).toBe(0);
    expect(through.stdout.trim()).toBe(`${podName(m, m.primary)}\t0`);
    details.write = m.writeService;
  }
  if (m.readService) {
    const all = ordinals(m).map((o) => podName(m, o)).sort();
    await eventually(`${m.readService} to list every member`, async () => (await endpointPods(m.kube, ns(m), m.readService!)).ready.join(',') === all.join(','), 60000, 1000);
    const through = viaService(m, m.readService, `SELECT @@hostname;`);
    expect(through.status).toBe(0);
    expect(all).toContain(through.stdout.trim());
    details.read = m.readService;
  }
  return details;
}

/** A replica's pod, then the primary's, deleted: each returns on its claim with its rows. */
export async function podDeleted(m: MySqlUnderTest, timeoutMs = 600000): Promise<Details> {
  ensureTable(m);
  const order = [...replicaOrdinals(m).slice(-1), m.primary];
  const returned: string[] = [];
  for (const o of order) {
    const before = await restarts(m, o);
    const claim = await claimUid(m, o);
    const had = rows(m, o);
    await m.kube.delete('v1', 'Pod', ns(m), podName(m, o));
    const pod = await readyPod(m.kube, ns(m), podName(m, o), { notUid: before.uid, timeoutMs });
    await waitAllReady(m, timeoutMs);
    expect(await claimUid(m, o)).toBe(claim);
    expect(rows(m, o).slice(0, had.length)).toEqual(had);
    insert(m, `after deleting ${podName(m, o)}`);
    await waitRows(m, replicaOrdinals(m));
    if (o === m.primary && m.writeService) {
      // The write Service follows the primary's new pod (its new address).
      await eventually(`${m.writeService} to list the new ${podName(m, o)} at ${pod.status.podIP}`, async () => {
        const slices = await m.kube.list('discovery.k8s.io/v1', 'EndpointSlice', ns(m), `kubernetes.io/service-name=${m.writeService}`);
        const ready = slices.flatMap((s) => (s.endpoints ?? []).filter((e: any) => e.conditions?.ready)).map((e: any) => e.addresses[0]);
        return ready.join(',') === pod.status.podIP;
      }, 60000, 1000);
      await mysqlClient(m);
      const through = await eventually(`a write through ${m.writeService}`, () => {
        const r = viaService(m, m.writeService!, 'SELECT @@hostname, @@GLOBAL.super_read_only;');
        return Promise.resolve(r.status === 0 ? r.stdout.trim() : undefined);
      }, 60000, 1000);
      expect(through).toBe(`${podName(m, m.primary)}\t0`);
    }
    returned.push(podName(m, o));
  }
  return { deleted: returned.join(','), rows: rows(m, m.primary).length, write: m.writeService ? 'follows' : 'none' };
}

/** SIGKILL to the primary's mysqld: the container restarts and recovers every committed row. */
export async function mysqldKilled(m: MySqlUnderTest, ordinal = m.primary, timeoutMs = 600000): Promise<Details> {
  ensureTable(m);
  insert(m, `before killing mysqld of ${podName(m, ordinal)}`);
  await waitRows(m, replicaOrdinals(m));
  const had = rows(m, ordinal);
  const before = await restarts(m, ordinal);
  const pid = await hostPid(m, ordinal);
  process.kill(pid, 'SIGKILL');
  const after = await eventually(`${podName(m, ordinal)}/${m.container} restarted by kubelet`, async () => {
    const r = await restarts(m, ordinal);
    return r.count > before.count ? r : undefined;
  }, 120000, 500);
  expect(after.uid).toBe(before.uid); // the same pod: kubelet restarted the container
  expect(after.lastExit).toBe(137);
  await readyPod(m.kube, ns(m), podName(m, ordinal), { timeoutMs });
  await waitAllReady(m, timeoutMs);
  expect(rows(m, ordinal)).toEqual(had);
  insert(m, `after killing mysqld of ${podName(m, ordinal)}`);
  await waitRows(m, ordinals(m).filter((o) => o !== m.primary));
  return { pod: podName(m, ordinal), pid, exit: after.lastExit ?? '-', restarts: after.count, rows: had.length + 1 };
}

/** A replica's claim deleted (with its pod): it returns on a new claim and holds the primary's rows again. */
export async function replicaClaimDeleted(m: MySqlUnderTest, timeoutMs = 900000): Promise<Details> {
  const victim = replicaOrdinals(m).slice(-1)[0];
  if (victim === undefined) throw new Error('a single member has no replica whose claim could be deleted');
  ensureTable(m);
  const template = m.set.spec.volumeClaimTemplates?.[0]?.metadata.name ?? 'data';
  const claim = `${template}-${nameOf(m)}-${victim}`;
  const oldUid = await claimUid(m, victim);
  const pod = (await m.kube.get('v1', 'Pod', ns(m), podName(m, victim)))!;
  await m.kube.delete('v1', 'PersistentVolumeClaim', ns(m), claim);
  await m.kube.delete('v1', 'Pod', ns(m), podName(m, victim));
  insert(m, `while ${claim} was gone`);
  await readyPod(m.kube, ns(m), podName(m, victim), { notUid: pod.metadata.uid, timeoutMs });
  const newUid = await claimUid(m, victim);
  expect(newUid).toBeDefined();
  expect(newUid).not.toBe(oldUid);
  await waitAllReady(m, timeoutMs);
  const want = await waitRows(m, [victim]);
  expect(want).toContain(`while ${claim} was gone`);
  return { claim, rows: want.length, uid: 'new' };
}

/** A replica frozen (SIGSTOP) leaves the read Service's EndpointSlice; thawed (SIGCONT), it rejoins. */
export async function readServiceReadiness(m: MySqlUnderTest): Promise<Details> {
  if (!m.readService) throw new Error(`${ns(m)}/${nameOf(m)} has no read Service`);
  const victim = replicaOrdinals(m).slice(-1)[0] ?? m.primary;
  const name = podName(m, victim);
  await waitAllReady(m);
  expect((await endpointPods(m.kube, ns(m), m.readService)).ready).toContain(name);
  const pid = await hostPid(m, victim);
  const before = await restarts(m, victim);
  const started = Date.now();
  process.kill(pid, 'SIGSTOP');
  let left: number | undefined;
  try {
    await eventually(`${name} out of ${m.readService}'s ready endpoints`, async () => {
      const e = await endpointPods(m.kube, ns(m), m.readService!);
      return !e.ready.includes(name);
    }, 120000, 500);
    left = (Date.now() - started) / 1000;
    const pod = await m.kube.get('v1', 'Pod', ns(m), name);
    expect(isReady(pod)).toBe(false);
    // The headless Service still publishes it (peers find a starting or lagging member by name).
    const headless = await endpointPods(m.kube, ns(m), m.headless);
    expect([...headless.ready, ...headless.notReady]).toContain(name);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const thawed = Date.now();
  await eventually(`${name} back in ${m.readService}'s ready endpoints`, async () => (await endpointPods(m.kube, ns(m), m.readService!)).ready.includes(name), 180000, 500);
  const back = (Date.now() - thawed) / 1000;
  // Still the same pod and container: readiness, not a restart, moved it.
  expect(await restarts(m, victim)).toEqual(before);
  return { pod: name, service: m.readService, left_s: left?.toFixed(1) ?? '-', rejoined_s: back.toFixed(1) };
}

const PRIMARY_ANNOTATION = 'mysql.cdk8s-stateful.io/primary-ordinal';

/** The StatefulSet as applied, with `primaryOrdinal` moved to `next` (annotation and env) and `rollingUpdate` set. */
function movedPrimary(m: MySqlUnderTest, next: number, partition: number): Manifest {
  const set = JSON.parse(JSON.stringify(m.set));
  set.metadata.annotations = { ...set.metadata.annotations, [PRIMARY_ANNOTATION]: String(next) };
  for (const c of containersOf(set)) for (const e of c.env ?? []) if (e.name === 'PRIMARY_ORDINAL') e.value = String(next);
  set.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition } };
  delete set.status;
  return set;
}

function superReadOnly(m: MySqlUnderTest, ordinal: number): string | undefined {
  const r = sql(m, ordinal, 'SELECT @@GLOBAL.super_read_only;');
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * old-primary-returns: the failover the README describes, held half-way by a rollout `partition`, then the
 * second-writer hazard: the old primary's pod deleted (an eviction) and re-created by the real
 * StatefulSet controller from the *old* revision, whose env still names it the primary. It must come back
 * read-only, following the new primary, with every row -- the scripts ask the API server, not the env.
 * Then the partition is lowered and the whole set converges on the new primary.
 */
export async function oldPrimaryReturns(m: MySqlUnderTest, timeoutMs = 900000): Promise<Details> {
  const old = m.primary;
  const next = Math.max(...replicaOrdinals(m));
  if (!(next > old)) throw new Error(`${ns(m)}/${nameOf(m)}: old-primary-returns needs a replica above the primary (ordinal ${old}) to hold the primary below a partition`);
  if (m.set.metadata.annotations?.[PRIMARY_ANNOTATION] === undefined) throw new Error(`${ns(m)}/${nameOf(m)} has no ${PRIMARY_ANNOTATION} annotation: manifests from a ReplicatedMySql that decided the primary from the pod's env`);
  const n: MySqlUnderTest = { ...m, primary: next };
  ensureTable(m);
  insert(m, 'before the failover');
  await waitRows(m, replicaOrdinals(m));
  const oldRevision = (await m.kube.get('apps/v1', 'StatefulSet', ns(m), nameOf(m)))!.status.updateRevision;

  // 1. The failover, held at the partition: only `next` and above roll to the new revision.
  const started = Date.now();
  const applied = await m.kube.apply(movedPrimary(m, next, next));
  if (!applied.ok) throw new Error(`apply the failover: ${applied.status} ${applied.message}`);
  if (m.writeService) await m.kube.mergePatch('v1', 'Service', ns(m), m.writeService, { spec: { selector: { 'statefulset.kubernetes.io/pod-name': podName(m, next) } } });
  await eventually(`${podName(m, old)} to demote itself (super_read_only = 1)`, () => Promise.resolve(superReadOnly(m, old) === '1'), 120000, 500);
  const demoted = (Date.now() - started) / 1000;
  await eventually(`${podName(m, next)} to be the writable primary`, () => Promise.resolve(superReadOnly(m, next) === '0'), timeoutMs, 1000);
  insert(n, 'on the new primary');

  // 2. The old primary's pod evicted: the controller re-creates it from the old revision (below the partition).
  const before = (await m.kube.get('v1', 'Pod', ns(m), podName(m, old)))!;
  await m.kube.delete('v1', 'Pod', ns(m), podName(m, old));
  const back = await readyPod(m.kube, ns(m), podName(m, old), { notUid: before.metadata.uid, timeoutMs });
  expect(back.metadata.labels?.['controller-revision-hash']).toBe(oldRevision);
  expect(superReadOnly(m, old)).toBe('1');
  const refused = sql(m, old, `INSERT INTO ${TABLE} (what) VALUES ('on the old primary');`);
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toMatch(/ERROR 1290 .*super-read-only/);
  expect(query(m, old, 'SELECT HOST FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = \'\';')).toContain(podName(m, next));
  insert(n, 'after the old primary returned');
  const seen = await waitRows(n, [old]);
  expect(seen).toEqual(expect.arrayContaining(['before the failover', 'on the new primary', 'after the old primary returned']));

  // 3. The partition lowered: every member rolls to the new revision and follows the new primary.
  const done = await m.kube.apply(movedPrimary(m, next, 0));
  if (!done.ok) throw new Error(`lower the partition: ${done.status} ${done.message}`);
  await eventually(`every member of ${ns(m)}/${nameOf(m)} on the new revision and Ready`, async () => {
    const live = await m.kube.get('apps/v1', 'StatefulSet', ns(m), nameOf(m));
    const pods = await podsOf(m.kube, m.set);
    return live!.status.updateRevision !== oldRevision && pods.length === ordinals(m).length
      && pods.every((p) => isReady(p) && p.metadata.deletionTimestamp === undefined && p.metadata.labels?.['controller-revision-hash'] === live!.status.updateRevision);
  }, timeoutMs, 1000);
  for (const o of ordinals(m)) expect(superReadOnly(m, o)).toBe(o === next ? '0' : '1');
  insert(n, 'after the rollout');
  const rowsAfter = await waitRows(n, replicaOrdinals(n));
  return { old: podName(m, old), primary: podName(m, next), revision: 'old', self_demoted_s: demoted.toFixed(1), rows: rowsAfter.length };
}

/** kubectl logs of every container of every member (for a failing scenario). */
export function dumpLogs(m: MySqlUnderTest): string {
  return ordinals(m).map((o) => {
    const res = kubectl(['-n', ns(m), 'logs', podName(m, o), '--all-containers', '--prefix', '--tail', '60']);
    return `--- ${podName(m, o)}\n${res.stdout}${res.stderr}`;
  }).join('\n');
}
