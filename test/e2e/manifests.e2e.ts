/**
 * `npm run test:e2e -- --manifests DIR`: the scenarios every ReplicatedMySql must pass, run on
 * each one found in DIR (any name, namespace, replicas, server-id base, database), with every
 * Secret it references created (generated passwords; a fresh CA and certificates for a TLS
 * Secret). Each scenario reports one line, `SCENARIO <id> PASS|FAIL <namespace>/<name> [k=v ...]`
 * (scripts/e2e/run.sh prints them and fails on any FAIL). Without E2E_MANIFESTS it runs on dist/.
 *
 * To add a scenario: a function in scenarios.ts, and a row in SCENARIOS (rows run in order, on
 * the same cluster, each from the state the previous one left). A row run on its own (`-t id`)
 * first brings the cluster up as fresh-cluster does.
 *
 * A ReplicatedMySql with `backup` then runs the backup scenarios (backup-scenarios.ts) on clusters of its own:
 * the harness serves the bucket its manifests name (`-t backups` runs only those).
 *
 * E2E_SCENARIOS (`--scenarios id,id`) declares only the rows named, and the backup scenarios only if it names
 * `backups`: a selection, not skipped tests.
 */
import * as path from 'path';
import { describeBackupScenarios } from './backup-scenarios';
import { clusterFor, Figures, scenarioLine } from './env';
import { storeFactsOf } from './harness/backup-manifests';
import { MySqlCluster } from './harness/cluster';
import { findMySql, loadDirectory, MySqlManifests, runsGroupReplication } from './harness/manifests';
import * as safety from './safety';
import * as s from './scenarios';

interface ScenarioRow {
  readonly id: string;
  /** Whether the scenario applies to a cluster (evaluated on its manifests); default: always. */
  readonly applies?: (m: MySqlManifests) => boolean;
  readonly run: (c: MySqlCluster) => Promise<void | Figures>;
}

const SCENARIOS: ScenarioRow[] = [
  {
    id: 'fresh-cluster',
    run: async (c) => {
      await s.freshCluster(c);
      const f = s.factsOf(c);
      const pods = s.members(f).map((o) => c.pod(o));
      const readyMs = Math.max(...pods.map((p) => p.readyAt ?? Date.now())) - Math.min(...pods.map((p) => p.createdAt));
      return { members: f.replicas, ready_s: Math.round(readyMs / 100) / 10 };
    },
  },
  { id: 'restart', run: (c) => s.restartMembers(c) },
  {
    id: 'replica-volume-loss',
    run: async (c) => {
      // A single member has no replica to lose.
      if (s.factsOf(c).replicas < 2) return { skipped: 'no-replica' };
      await s.replicaVolumeLoss(c);
      return {};
    },
  },
  {
    id: 'primary-volume-loss',
    run: async (c) => {
      await s.primaryVolumeLoss(c);
      // The documented recovery, so that the next scenario starts from a healthy cluster.
      if (s.factsOf(c).replicas > 1) await safety.failOver(c, s.replicasOf(s.factsOf(c)).slice(-1)[0]);
    },
  },
  { id: 'primary-behind', run: (c) => safety.primaryBehind(c) },
  { id: 'evidence-removed', run: (c) => safety.evidenceRemoved(c) },
  { id: 'old-primary-returns', run: (c) => safety.oldPrimaryReturns(c) },
  { id: 'verified-tls', applies: (m) => safety.verifiesTls(m.statefulSet), run: async (c) => { await safety.verifiedTls(c); } },
];

/** The rows E2E_SCENARIOS names (all when it is unset or empty), and whether it names the backup scenarios. */
function selected(): { rows: ScenarioRow[]; backups: boolean } {
  const wanted = (process.env.E2E_SCENARIOS ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (wanted.length === 0) return { rows: SCENARIOS, backups: true };
  const known = [...SCENARIOS.map((r) => r.id), 'backups'];
  const unknown = wanted.filter((id) => !known.includes(id));
  if (unknown.length > 0) throw new Error(`--scenarios: unknown scenario ${unknown.map((id) => `"${id}"`).join(', ')}; the scenarios are ${known.join(', ')}`);
  return { rows: SCENARIOS.filter((r) => wanted.includes(r.id)), backups: wanted.includes('backups') };
}
const selection = selected();

const dir = process.env.E2E_MANIFESTS ?? path.join(__dirname, '../../dist');
const objects = loadDirectory(dir);
const all = findMySql(objects);
if (all.length === 0) throw new Error(`no ReplicatedMySql StatefulSet in ${dir}`);
// The harness's pods share one network namespace, where Group Replication cannot form a group (its
// XCom skips every seed whose address is one of its own): those clusters run on the real node.
const groups = all.filter((f) => runsGroupReplication(f.statefulSet));
for (const f of groups) {
  process.stdout.write(`NOTE ${f.namespace}/${f.statefulSet.metadata.name} runs Group Replication: its scenarios run on the real node (npm run test:node -- --manifests DIR)\n`);
}
const found = all.filter((f) => !groups.includes(f));
if (found.length === 0) {
  test('every ReplicatedMySql here runs Group Replication (scenarios on the real node)', () => expect(groups.map((f) => runsGroupReplication(f.statefulSet))).toEqual(all.map(() => true)));
}

/** The set's objects: its StatefulSet and what its namespace holds besides other StatefulSets. */
const objectsOf = (f: MySqlManifests) => [f.statefulSet, ...f.objects.filter((o) => o !== f.statefulSet && o.kind !== 'StatefulSet')];

describe.each(found.map((f) => [`${f.namespace}/${f.statefulSet.metadata.name}`, f] as const))('%s', (_name, f) => {
  const cluster = clusterFor(() => objectsOf(f), { namespace: f.namespace });
  let c: MySqlCluster;
  beforeAll(() => { c = cluster(); });
  for (const row of selection.rows) {
    if (row.applies && !row.applies(f)) continue;
    test(row.id, () => scenarioLine(row.id, c, async () => {
      if (row.id !== 'fresh-cluster' && !c.isStarted) await s.freshCluster(c);
      return row.run(c);
    }));
  }
});

for (const f of found) {
  const name = f.statefulSet.metadata.name;
  const store = storeFactsOf(f.objects, name, f.namespace);
  if (store && selection.backups) describe(`${f.namespace}/${name} backups`, () => describeBackupScenarios({ objects: objectsOf(f), namespace: f.namespace, name, store }));
}
