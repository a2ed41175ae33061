/**
 * ReplicatedMySql with Group Replication on the real node: 3 members synthesized by the library, their pods run by
 * kubelet (each in its own network namespace) on the MySQL 9.7.4 image, the role labels set through the real API
 * server, the Services served by kube-proxy. The scenarios run in order on the same group, each printing its
 * SCENARIO line.
 */
import { Chart, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { MySqlCredentials, MySqlReplication, MySqlTls, ReplicatedMySql } from '../../src';
import { clusterDnsNames, makeTls } from '../e2e/harness/secrets';
import { synthesize } from '../cluster/fixtures';
import { Kube, KubeObject } from '../cluster/kube';
import { groupFullOutageMemberLost, groupPartition, groupScale } from './group-faults';
import { groupFailoverUnderLoad, groupFresh, groupFullOutage, groupHungPrimary, groupRollingUpdate, GroupUnderTest, groupUnderTest } from './group-scenarios';
import { deleteNamespace, images, nodeKube, note, restrictedNamespace } from './node-env';
import { dumpLogs, generatedSecrets, mysqlUnderTest } from './mysql-scenarios';
import { Details } from './scenarios';

let kube: Kube;

/** The group, as the test's manifests synthesize it (`config`: a change that rolls every member). */
function build(config?: { [option: string]: string }, replicas = 3, lostMembers?: number[], namespace = ns): KubeObject[] {
  return synthesize(namespace, (chart: Chart) => {
    new ReplicatedMySql(chart, 'db', {
      image: images().mysql,
      replicas,
      storage: { size: Size.gibibytes(1) },
      // Five members on the node's 2 CPUs (gr-scale): a smaller request than the default 500m.
      resources: { cpu: { request: Cpu.millis(250) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) } },
      credentials: MySqlCredentials.fromSecretName('db-credentials'),
      database: { name: 'shop', user: 'shop' },
      replication: MySqlReplication.groupReplication({ lostMembers }),
      // Verified TLS: the group's connections and its recovery channel check the members' names against the CA.
      tls: MySqlTls.fromSecret('db-tls'),
      config,
    });
  });
}
let ns: string;
/** The configuration change gr-rolling-update applies; the later scenarios keep it. */
const ROLLED = { max_connections: '300' };
let m: GroupUnderTest;

/** Applies a new group to `namespace`, its Secrets generated and its certificates made for its members' names. */
async function startGroup(namespace: string): Promise<GroupUnderTest> {
  let objects: KubeObject[] = build(undefined, 3, undefined, namespace);
  const secrets = generatedSecrets(objects);
  const set0 = objects.find((o) => o.kind === 'StatefulSet')!;
  const tls = secrets.find((s) => s.metadata.name === 'db-tls')!;
  const material = makeTls({ dnsNames: clusterDnsNames(set0, objects, namespace) });
  tls.stringData = { 'ca.crt': material['ca.crt'], 'tls.crt': material['tls.crt'], 'tls.key': material['tls.key'] };
  objects = [...secrets, ...objects];
  const set = objects.find((o) => o.kind === 'StatefulSet')!;
  const group = groupUnderTest(mysqlUnderTest(kube, set, objects, secrets), secrets);
  await kube.applyAll(objects);
  return group;
}

beforeAll(async () => {
  kube = nodeKube();
  ns = await restrictedNamespace(kube, 'group');
  m = await startGroup(ns);
});
afterAll(async () => {
  if (ns) await deleteNamespace(kube, ns);
  kube.close();
});

let started = false;
async function scenario(id: string, body: () => Promise<Record<string, string | number>>, first = false): Promise<void> {
  if (!first && !started) throw new Error(`${id}: the group never started (see the gr-fresh failure)`);
  const t0 = Date.now();
  try {
    const details = await body();
    if (first) started = true;
    note(`SCENARIO ${id} PASS ${ns}/db ${Object.entries({ ...details, seconds: Math.round((Date.now() - t0) / 1000) }).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  } catch (e) {
    note(`SCENARIO ${id} FAIL ${ns}/db seconds=${Math.round((Date.now() - t0) / 1000)}`);
    note(`===== ${id} failed; logs of ${ns}/db\n${dumpLogs(m)}`);
    throw e;
  }
}

test('gr-fresh: every member starts at once, exactly one bootstraps the group, the Services follow the role labels', async () => {
  // GR_FRESH_RUNS=10 repeats the start race in new namespaces (each about a minute); the suite's own run starts one.
  const runs = Number(process.env.GR_FRESH_RUNS ?? '1');
  await scenario('gr-fresh', async () => {
    const details = await groupFresh(m);
    const primaries = [details.primary];
    for (let run = 1; run < runs; run++) {
      const again = await restrictedNamespace(kube, 'group-fresh');
      try {
        primaries.push((await groupFresh(await startGroup(again))).primary);
      } finally {
        await deleteNamespace(kube, again);
      }
    }
    return { ...details, runs, primaries: primaries.join(',') };
  }, true);
});

test('gr-failover-under-load: kill -9 of the primary\'s mysqld, 5 times: no acknowledged write lost; a new primary takes the write Service', async () => {
  await scenario('gr-failover-under-load', () => groupFailoverUnderLoad(m, Number(process.env.GR_FAILOVER_RUNS ?? '5')));
});

test('gr-hung-primary: the primary\'s mysqld stopped (SIGSTOP): a new primary; the old one acknowledged nothing the group lacks', async () => {
  // GR_HUNG_RUNS=N repeats it (each old primary rejoins first; the rows of each run are numbered apart).
  await scenario('gr-hung-primary', async () => {
    const runs: Details[] = [];
    for (let i = 0; i < Number(process.env.GR_HUNG_RUNS ?? '1'); i++) runs.push(await groupHungPrimary(m, undefined, 2_000_000 + i * 100_000));
    return runs.length === 1 ? runs[0] : { ...runs[runs.length - 1], runs: runs.length, rto_runs: runs.map((r) => r.rto_s).join(','), behind_runs: runs.map((r) => r.behind_s).join(','), lost: runs.reduce((n, r) => n + Number(r.lost), 0) };
  });
});

test('gr-rolling-update: a configuration change rolls every member: the primary moves at most once (twice if it is the highest ordinal), no write lost', async () => {
  await scenario('gr-rolling-update', () => groupRollingUpdate(m, async () => {
    await kube.applyAll(build(ROLLED).filter((o) => o.kind === 'StatefulSet' || o.metadata.name === 'db-config'));
  }));
});

test('gr-full-outage: every pod deleted while one member is behind: exactly one member starts the group, not that one; no row lost', async () => {
  await scenario('gr-full-outage', () => groupFullOutage(m));
});

test('gr-partition: the primary cut off from the others: a new primary; the cut-off member leaves both Services, takes nothing the group lacks, and rejoins', async () => {
  await scenario('gr-partition', () => groupPartition(m));
});

test('gr-scale: 3 -> 5 -> 3 members under writes: the new members clone and join, the scaled-in ones leave cleanly and keep their claims', async () => {
  await scenario('gr-scale', () => groupScale(m, async (replicas) => {
    // (The Role names the members' pods it lets the agents label: it grows and shrinks with them.)
    const changed = ['StatefulSet', 'PodDisruptionBudget', 'Role'];
    await kube.applyAll(build(ROLLED, replicas).filter((o) => changed.includes(o.kind) || o.metadata.name === 'db-config'));
  }));
});

test('gr-full-outage-member-lost: every pod deleted, one member\'s volume too: the others wait; declared lost, one of the others starts the group', async () => {
  await scenario('gr-full-outage-member-lost', () => groupFullOutageMemberLost(m, async (lost) => {
    await kube.applyAll(build(ROLLED, 3, lost.length ? lost : undefined).filter((o) => o.kind === 'StatefulSet'));
  }));
});
