/**
 * The scenarios every ReplicatedMySql must pass on real servers, whatever its name, namespace,
 * replicas, server-id base or database: used by the library's own e2e suite and by
 * `npm run test:e2e -- --manifests DIR` on any synthesized directory.
 */
import * as fs from 'fs';
import { MySqlCluster } from './harness/cluster';

/** What the scenarios read from the manifests. */
export interface Facts {
  readonly replicas: number;
  readonly start: number;
  readonly primary: number;
  readonly serverIdBase: number;
  readonly readService: string;
  readonly primaryService?: string;
  readonly app?: { readonly database: string; readonly user: string; readonly password: string };
}

export function factsOf(c: MySqlCluster): Facts {
  const spec = c.statefulSetSpec();
  const pod = spec.template.spec;
  const envOf = (container: string) => {
    const found = [...(pod.initContainers ?? []), ...pod.containers].find((x: any) => x.name === container);
    return Object.fromEntries((found?.env ?? []).map((e: any) => [e.name, e]));
  };
  const boot = envOf('bootstrap');
  const initConfig = envOf('init-config');
  const value = (e: any) => {
    const ref = e?.valueFrom?.secretKeyRef;
    return e?.value ?? (ref ? c.secrets[ref.name]?.[ref.key] : undefined);
  };
  const primary = Number(value(boot.PRIMARY_ORDINAL) ?? 0);
  const svcNamed = (suffix: string) => `${c.name}-${suffix}`;
  return {
    replicas: spec.replicas ?? 1,
    start: spec.ordinals?.start ?? 0,
    primary,
    serverIdBase: Number(value(initConfig.SERVER_ID_BASE) ?? 100),
    readService: svcNamed('read'),
    primaryService: c.object('Service', svcNamed('primary')) ? svcNamed('primary') : undefined,
    app: boot.APP_DATABASE ? { database: value(boot.APP_DATABASE), user: value(boot.APP_USER), password: value(boot.APP_PASSWORD) ?? c.secretFile('password') } : undefined,
  };
}

export function members(f: Facts): number[] {
  return Array.from({ length: f.replicas }, (_, i) => f.start + i);
}

export function replicasOf(f: Facts): number[] {
  return members(f).filter((o) => o !== f.primary);
}

// --- data helpers -------------------------------------------------------------------------

export function createTestTable(c: MySqlCluster, primary: number): void {
  c.query('CREATE DATABASE IF NOT EXISTS e2e; CREATE TABLE IF NOT EXISTS e2e.events (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(200) NOT NULL);', { pod: primary });
}

export function insert(c: MySqlCluster, primary: number, what: string): void {
  c.query(`INSERT INTO e2e.events (what) VALUES ('${what}');`, { pod: primary });
}

export function rows(c: MySqlCluster, pod: number): string[] {
  const out = c.query('SELECT what FROM e2e.events ORDER BY id;', { pod });
  return out === '' ? [] : out.split('\n');
}

export function gtidExecuted(c: MySqlCluster, pod: number): string {
  return c.query('SELECT @@GLOBAL.gtid_executed;', { pod }).replace(/\s+/g, '');
}

export function serverUuid(c: MySqlCluster, pod: number): string {
  return c.query('SELECT @@server_uuid;', { pod });
}

/** Waits until every pod in `pods` has the rows and the GTID set of `source`. */
export async function waitReplicated(c: MySqlCluster, source: number, pods: number[], timeoutMs = 60_000): Promise<void> {
  const want = gtidExecuted(c, source);
  await c.waitUntil(`${pods.map((p) => `${c.name}-${p}`).join(', ')} to have applied ${want}`, () => pods.every((p) => {
    const res = c.sql(`SELECT GTID_SUBSET('${want}', @@GLOBAL.gtid_executed);`, { pod: p });
    return res.status === 0 && res.stdout.trim() === '1';
  }), timeoutMs);
}

export function replicaStatus(c: MySqlCluster, pod: number): { [field: string]: string } {
  const res = c.sql('SHOW REPLICA STATUS;', { pod, columnNames: true });
  const [header, row] = res.stdout.split('\n');
  if (!row) return {};
  const values = row.split('\t');
  return Object.fromEntries(header.split('\t').map((name, i) => [name, values[i]]));
}

// --- the scenarios --------------------------------------------------------------------------

/** Fresh cluster: the primary initializes, replicas clone and replicate in order; roles hold. */
export async function freshCluster(c: MySqlCluster): Promise<void> {
  const f = factsOf(c);
  await c.start();
  const pods = members(f).map((o) => c.pod(o));
  if ((c.statefulSetSpec().podManagementPolicy ?? 'OrderedReady') === 'OrderedReady') {
    // Each member was created only after the previous one was Ready.
    for (let i = 1; i < pods.length; i++) expect(pods[i].createdAt).toBeGreaterThanOrEqual(pods[i - 1].readyAt!);
  }
  expect(c.pod(f.primary).log('bootstrap')).toContain('initialized a new cluster');
  // Replicas clone in order: each from the previous member (the first from the primary).
  for (const r of replicasOf(f)) {
    const donor = r - 1 >= f.start && r - 1 !== f.primary ? r - 1 : f.primary;
    expect(c.pod(r).log('bootstrap')).toContain(`cloned from ${c.podDnsName(donor)}; replicating from ${c.podDnsName(f.primary)}`);
  }
  // Identity and roles.
  for (const o of members(f)) {
    expect(c.query('SELECT @@server_id, @@super_read_only, @@report_host;', { pod: o }).split('\t'))
      .toEqual([String(f.serverIdBase + o), o === f.primary ? '0' : '1', c.podDnsName(o)]);
  }
  // A write on the primary reaches every replica; a write on a replica is refused.
  createTestTable(c, f.primary);
  insert(c, f.primary, 'fresh');
  await waitReplicated(c, f.primary, replicasOf(f));
  for (const o of members(f)) expect(rows(c, o)).toEqual(['fresh']);
  for (const r of replicasOf(f)) {
    const refused = c.sql('INSERT INTO e2e.events (what) VALUES (\'on a replica\');', { pod: r });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/ERROR 1290 .*--super-read-only/);
    const status = replicaStatus(c, r);
    expect(status.Auto_Position).toBe('1');
    expect(status.Source_SSL_Allowed).toBe('Yes');
    expect(status.Source_Host).toBe(c.podDnsName(f.primary));
  }
  // The application user connects through the write Service with TLS.
  if (f.app && f.primaryService) {
    const out = c.query('SELECT CURRENT_USER(), DATABASE(); SHOW SESSION STATUS LIKE \'Ssl_version\';',
      { host: `${f.primaryService}.${c.namespace}.svc.cluster.local`, user: f.app.user, password: f.app.password, database: f.app.database });
    expect(out).toMatch(new RegExp(`^${f.app.user}@%\\t${f.app.database}\\nSsl_version\\tTLSv1\\.[23]$`));
  }
  // Services: the write Service selects the primary only; the read Service every Ready member.
  if (f.primaryService) expect(c.endpoints(f.primaryService)).toEqual([`${c.name}-${f.primary}`]);
  expect(c.endpoints(f.readService)).toEqual(members(f).map((o) => `${c.name}-${o}`).sort());
}

/**
 * SIGTERM to a replica and to the primary: each rejoins without a re-clone, from its GTIDs, under a
 * new server_uuid (every start of mysqld is a new term: its transactions can never reuse a GTID).
 */
export async function restartMembers(c: MySqlCluster): Promise<void> {
  const f = factsOf(c);
  const order = [...replicasOf(f).slice(-1), f.primary];
  for (const o of order) {
    const uuid = serverUuid(c, o);
    const old = c.pod(o);
    const pod = (await c.deletePod(o))!;
    // mysqld shut down cleanly on SIGTERM, well within the grace period.
    expect(old.containers.get('mysql')!.exits).toEqual([0]);
    expect(old.log('mysql')).toMatch(/Shutdown complete/);
    await c.waitReady(o);
    insert(c, f.primary, `after restarting ${o}`);
    await waitReplicated(c, f.primary, replicasOf(f));
    expect(serverUuid(c, o)).not.toBe(uuid);
    expect(pod.log('mysql')).toContain(`starting mysqld under a new server_uuid (the previous one was ${uuid})`);
    expect(pod.log('bootstrap')).not.toMatch(/cloning|initializing/);
    for (const r of replicasOf(f)) await c.waitReady(r);
  }
  for (const o of members(f)) expect(rows(c, o)).toEqual(rows(c, f.primary));
}

/** A replica's volume wiped: it re-clones and catches up. */
export async function replicaVolumeLoss(c: MySqlCluster): Promise<void> {
  const f = factsOf(c);
  const victim = replicasOf(f).slice(-1)[0];
  const uuid = serverUuid(c, victim);
  await c.deletePod(victim, { recreate: false });
  c.wipeClaim('data', victim);
  insert(c, f.primary, 'while a replica was down');
  const pod = c.createPod(victim);
  await c.waitReady(victim);
  expect(pod.log('bootstrap')).toMatch(/cloned from /);
  expect(serverUuid(c, victim)).not.toBe(uuid);
  await waitReplicated(c, f.primary, [victim]);
  expect(rows(c, victim)).toEqual(rows(c, f.primary));
}

/**
 * The primary's volume wiped during a full outage: the replicas hold the data but are down (the
 * controller starts the primary first). The primary must refuse to initialize and say what to do.
 */
export async function primaryVolumeLoss(c: MySqlCluster): Promise<{ gtids: { [pod: number]: string } }> {
  const f = factsOf(c);
  const gtids: { [pod: number]: string } = {};
  for (const o of members(f)) gtids[o] = gtidExecuted(c, o);
  await c.stopAll();
  c.wipeClaim('data', f.primary);
  await c.resume({ waitReady: false });
  const pod = c.pod(f.primary);
  if (f.replicas > 1) await c.waitUntil('the primary\'s bootstrap to fail twice', () => pod.initFailures.length >= 2, 120_000);
  const log = () => pod.log('bootstrap');
  if (f.replicas === 1) {
    // No other member holds data: the only volume was lost, so the cluster starts over, empty.
    await c.waitReady(f.primary);
    expect(log()).toContain('initialized a new cluster');
  } else {
    expect(pod.initFailures.every((x) => x.container === 'bootstrap')).toBe(true);
    expect(log()).toMatch(/ERROR: the primary's data directory \(\/var\/lib\/mysql\/data\) is empty, but other members hold data \(ConfigMap \S+-members records it for ordinals [0-9 ]+, and their claims exist\)/);
    expect(log()).toMatch(/Initializing an empty primary now would fork the cluster/);
    expect(log()).toMatch(/promote the most advanced member/);
    expect(log()).not.toMatch(/initializing a new data directory/);
    expect(pod.ready).toBe(false);
    if ((c.statefulSetSpec().podManagementPolicy ?? 'OrderedReady') === 'OrderedReady') {
      expect([...c.pods.keys()]).toEqual([f.primary]);
    } else {
      // The replicas run with their data, but are not Ready: they have no source to follow.
      for (const r of replicasOf(f)) {
        await c.waitUntil(`${c.name}-${r} to run`, () => c.pod(r).phase === 'Running' && c.pod(r).containers.get('mysql')!.started);
        expect(gtidExecuted(c, r)).toBe(gtids[r]);
        expect(c.pod(r).ready).toBe(false);
      }
      expect(c.endpoints(f.readService)).toEqual([]);
    }
    // Nothing was written on the wiped volume.
    expect(fs.readdirSync(c.claimPath('data', f.primary)).filter((e: string) => !['lost+found', 'tmp', 'files'].includes(e))).toEqual([]);
  }
  return { gtids };
}
