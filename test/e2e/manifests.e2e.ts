/**
 * `npm run test:e2e -- --manifests DIR`: the scenarios every ReplicatedMySql must pass, run on
 * each one found in DIR (any name, namespace, replicas, server-id base, database), with the
 * Secret it references created with generated passwords. Without E2E_MANIFESTS it runs on dist/.
 */
import * as path from 'path';
import { clusterFor, scenario } from './env';
import { MySqlCluster } from './harness/cluster';
import { findMySql, loadDirectory } from './harness/manifests';
import * as s from './scenarios';

const dir = process.env.E2E_MANIFESTS ?? path.join(__dirname, '../../dist');
const objects = loadDirectory(dir);
const found = findMySql(objects);
if (found.length === 0) throw new Error(`no ReplicatedMySql StatefulSet in ${dir}`);

describe.each(found.map(f => [`${f.namespace}/${f.statefulSet.metadata.name}`, f] as const))('%s', (_name, f) => {
  const cluster = clusterFor(() => [f.statefulSet, ...f.objects.filter(o => o !== f.statefulSet && o.kind !== 'StatefulSet')], { namespace: f.namespace });
  let c: MySqlCluster;
  beforeAll(() => { c = cluster(); });
  const step = (name: string, body: () => Promise<void>) => test(name, () => scenario(c, body));
  step('fresh cluster', () => s.freshCluster(c));
  step('restart of a replica and of the primary', () => s.restartMembers(c));
  step('a replica\'s volume lost', async () => {
    if (s.factsOf(c).replicas < 2) return void expect(s.factsOf(c).replicas).toBe(1);
    await s.replicaVolumeLoss(c);
  });
  step('the primary\'s volume lost while the replicas are down', async () => { await s.primaryVolumeLoss(c); });
});
