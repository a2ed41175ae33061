/**
 * ReplicatedMySql on real MySQL 9.7 servers: the pods of the synthesized StatefulSet run from the
 * YAML (test/e2e/harness), and each scenario checks what the README promises. Steps in one
 * describe block share a cluster and run in order, each starting from the previous one's state.
 */
import * as fs from 'fs';
import { Duration } from 'cdk8s';
import {
  ReplicatedMySql, ReplicatedMySqlProps,
} from '../../src';
import { clusterFor, scenario, synthObjects } from './env';
import { MySqlCluster } from './harness/cluster';
import { Manifest } from './harness/manifests';
import * as s from './scenarios';

const IMAGE = 'mysql:9.7.4';
const synth = (props: ReplicatedMySqlProps): Manifest[] => synthObjects((chart) => new ReplicatedMySql(chart, 'mysql', { image: IMAGE, ...props }));
const podsOf = (c: MySqlCluster) => [...c.pods.keys()].sort((a, b) => a - b);
/** `kubectl rollout restart`: a template annotation, so every pod is replaced. */
function restartedAt(objects: Manifest[], when: string): Manifest[] {
  const copy = JSON.parse(JSON.stringify(objects)) as Manifest[];
  const sts = copy.find((o) => o.kind === 'StatefulSet')!;
  sts.spec.template.metadata.annotations = { ...(sts.spec.template.metadata.annotations ?? {}), 'kubectl.kubernetes.io/restartedAt': when };
  return copy;
}

describe('a 3-member cluster through its life', () => {
  let props: ReplicatedMySqlProps = { replicas: 3, database: { name: 'shop', user: 'shop' }, maxReplicaLag: Duration.seconds(5) };
  const cluster = clusterFor(() => synth(props));
  let c: MySqlCluster;
  beforeAll(() => { c = cluster(); });
  const step = (name: string, body: () => Promise<void>) => test(name, () => scenario(c, body));
  const primary = () => s.factsOf(c).primary;

  step('fresh cluster: the primary initializes, the replicas clone and replicate in order', () => s.freshCluster(c));

  step('restarts of a replica and of the primary: they rejoin without a re-clone, from their GTIDs', () => s.restartMembers(c));

  step('a replica\'s volume wiped: it re-clones and catches up', () => s.replicaVolumeLoss(c));

  step('readiness: a lagging replica leaves the read Service and returns when it caught up', async () => {
    const lagging = 2;
    c.query('STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_DELAY = 40; START REPLICA;', { pod: lagging });
    s.insert(c, primary(), 'delayed');
    await c.waitNotReady(lagging, 90_000);
    expect(c.pod(lagging).containers.get('mysql')!.probes.readiness.slice(-1)[0].output).toMatch(/^not ready: replication lag \d+s exceeds 5s \(against the primary mysql-0\.mysql\.mysql\.svc\.cluster\.local\)$/);
    expect(c.endpoints('mysql-read')).toEqual(['mysql-0', 'mysql-1']);
    c.query('STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_DELAY = 0; START REPLICA;', { pod: lagging });
    await c.waitReady(lagging);
    expect(c.endpoints('mysql-read')).toEqual(['mysql-0', 'mysql-1', 'mysql-2']);
    expect(s.rows(c, lagging)).toEqual(s.rows(c, primary()));
  });

  step('readiness: when the source stops, the replicas leave the read Service; they return when it is back', async () => {
    await c.deletePod(0, { recreate: false });
    await c.waitNotReady(1);
    await c.waitNotReady(2);
    expect(c.pod(1).containers.get('mysql')!.probes.readiness.slice(-1)[0].output).toMatch(/^not ready: its source mysql-0\.mysql\.mysql\.svc\.cluster\.local cannot be reached \(ERROR (2005 .*Unknown MySQL server host|2003 .*\(111\))/);
    expect(c.endpoints('mysql-read')).toEqual([]);
    c.createPod(0);
    await c.waitReady(0);
    await c.waitReady(1, 120_000);
    await c.waitReady(2, 120_000);
    s.insert(c, 0, 'source back');
    await s.waitReplicated(c, 0, [1, 2]);
  });

  step('password rotation as the README says: replication and the probes survive it', async () => {
    const secrets = c.secrets['mysql-credentials'];
    const next = { repl: `new'repl\\${Date.now()}`, root: `new"root${Date.now()}`, app: `new-app-${Date.now()}` };
    // 1. a second password, the old one still valid (dual passwords)
    c.query(`ALTER USER 'repl'@'%' IDENTIFIED BY '${next.repl.replace(/\\/g, '\\\\').replace(/'/g, '\'\'')}' RETAIN CURRENT PASSWORD;
ALTER USER 'root'@'localhost' IDENTIFIED BY '${next.root}' RETAIN CURRENT PASSWORD;
ALTER USER 'shop'@'%' IDENTIFIED BY '${next.app}' RETAIN CURRENT PASSWORD;`, { pod: 0 });
    // 2. the Secret gets the new passwords; 3. a rolling restart picks them up
    secrets['replication-password'] = next.repl;
    secrets['root-password'] = next.root;
    secrets.password = next.app;
    await c.apply(restartedAt(synth(props), '2026-12-01T00:00:00Z'));
    // 4. the old passwords are discarded
    c.query('ALTER USER \'repl\'@\'%\' DISCARD OLD PASSWORD; ALTER USER \'root\'@\'localhost\' DISCARD OLD PASSWORD; ALTER USER \'shop\'@\'%\' DISCARD OLD PASSWORD;', { pod: 0 });
    s.insert(c, 0, 'after rotation');
    await s.waitReplicated(c, 0, [1, 2]);
    // a replica that reconnects now authenticates with the new password
    await c.deletePod(2);
    await c.waitReady(2);
    s.insert(c, 0, 'after a replica reconnected');
    await s.waitReplicated(c, 0, [1, 2]);
    for (const o of [0, 1, 2]) await c.waitReady(o);
    expect(c.query('SELECT CURRENT_USER();', { host: 'mysql-primary.mysql.svc.cluster.local', user: 'shop', password: next.app, database: 'shop' })).toBe('shop@%');
  });

  step('scale 3 -> 5 -> 3 -> 5: new members clone; retained volumes are reused without a re-clone', async () => {
    await c.apply(synth({ ...props, replicas: 5 }));
    expect(c.pod(3).log('bootstrap')).toMatch(/cloned from mysql-2\.mysql\.mysql\.svc\.cluster\.local; replicating from mysql-0/);
    expect(c.pod(4).log('bootstrap')).toMatch(/cloned from mysql-3\.mysql\.mysql\.svc\.cluster\.local; replicating from mysql-0/);
    const uuids = [3, 4].map((o) => s.serverUuid(c, o));
    await c.apply(synth(props));
    expect(podsOf(c)).toEqual([0, 1, 2]);
    expect(fs.existsSync(c.claimPath('data', 3)) && fs.existsSync(c.claimPath('data', 4))).toBe(true);
    s.insert(c, 0, 'while scaled in');
    await c.apply(synth({ ...props, replicas: 5 }));
    // the retained volumes come back as they were (a new server_uuid each start, but no clone)
    for (const o of [3, 4]) expect(c.pod(o).log('bootstrap')).not.toMatch(/cloning/);
    expect([3, 4].map((o) => s.serverUuid(c, o)).some((u) => uuids.includes(u))).toBe(false);
    await s.waitReplicated(c, 0, [1, 2, 3, 4]);
    expect(s.rows(c, 4)).toEqual(s.rows(c, 0));
    await c.apply(synth(props));
  });

  step('failover by the README: primaryOrdinal changed and applied; the old primary stops writes by itself, nothing lost', async () => {
    // primaryOrdinal: 2 in code, synthesized, applied (the agents and the rolling update do the rest)
    props = { ...props, primaryOrdinal: 2 };
    await c.apply(synth(props), { wait: false });
    // the old primary's agent demotes it as soon as the StatefulSet names another member (a client
    // writing until then keeps succeeding: every one of those rows must survive the failover)
    await c.waitUntil('mysql-0 to stop taking writes', () => c.sql('INSERT INTO e2e.events (what) VALUES (\'before the demotion\');', { pod: 0 }).status !== 0, 60_000);
    const count = s.rows(c, 0).length;
    const old = s.gtidExecuted(c, 0);
    expect(c.pod(0).log('agent')).toContain('demoted: the StatefulSet names member 2 the primary; this member takes no more writes');
    await c.waitRollout();
    for (const o of [0, 1, 2]) await c.waitReady(o);
    expect(c.query(`SELECT GTID_SUBSET('${old}', @@GLOBAL.gtid_executed);`, { pod: 2 })).toBe('1');
    expect(c.endpoints('mysql-primary')).toEqual(['mysql-2']);
    expect(c.pod(2).log('bootstrap')).toContain('promoted: no longer replicating from mysql-0.mysql.mysql.svc.cluster.local');
    expect(c.pod(0).log('bootstrap')).toContain('re-pointing replication from nothing (this was a primary) to mysql-2.mysql.mysql.svc.cluster.local');
    expect(s.replicaStatus(c, 0).Source_Host).toBe('mysql-2.mysql.mysql.svc.cluster.local');
    expect(s.replicaStatus(c, 1).Source_Host).toBe('mysql-2.mysql.mysql.svc.cluster.local');
    expect(c.query('SELECT @@super_read_only, @@read_only;', { pod: 2 })).toBe('0\t0');
    // writes go through the write Service to the new primary and reach everyone
    const app = { host: 'mysql-primary.mysql.svc.cluster.local', user: 'shop', password: c.secrets['mysql-credentials'].password, database: 'shop' };
    c.query('CREATE TABLE orders (id INT PRIMARY KEY); INSERT INTO orders VALUES (1), (2);', app);
    await s.waitReplicated(c, 2, [0, 1]);
    for (const o of [0, 1]) expect(c.query('SELECT COUNT(*) FROM shop.orders;', { pod: o })).toBe('2');
    for (const o of [0, 1, 2]) {
      expect(s.rows(c, o).length).toBe(count);
      expect(s.gtidExecuted(c, o)).toBe(s.gtidExecuted(c, 2));
    }
  });

  step('the primary\'s volume wiped during a full outage: the primary refuses to initialize and says what to do', async () => {
    lostGtids = (await s.primaryVolumeLoss(c)).gtids;
  });

  step('recovering the lost primary as the README says: promote the most advanced replica', async () => {
    // The replicas hold the data: promote the most advanced one; the rolling update promotes it,
    // and the lost member comes back as a replica of it and clones.
    props = { ...props, primaryOrdinal: 1 };
    await c.apply(synth(props));
    for (const o of [0, 1, 2]) await c.waitReady(o);
    expect(c.pod(1).log('bootstrap')).toMatch(/WARNING: the old source mysql-2\.mysql\.mysql\.svc\.cluster\.local is down|promoted: no longer replicating from mysql-2/);
    expect(c.pod(2).log('bootstrap')).toMatch(/cloned from mysql-1\.mysql\.mysql\.svc\.cluster\.local; replicating from mysql-1/);
    expect(c.endpoints('mysql-primary')).toEqual(['mysql-1']);
    // nothing the surviving members had is lost
    for (const o of [0, 1]) expect(c.query(`SELECT GTID_SUBSET('${lostGtids[o]}', @@GLOBAL.gtid_executed);`, { pod: 1 })).toBe('1');
    s.insert(c, 1, 'after recovery');
    await s.waitReplicated(c, 1, [0, 2]);
    expect(s.rows(c, 2)).toEqual(s.rows(c, 1));
  });
});

let lostGtids: { [pod: number]: string } = {};
