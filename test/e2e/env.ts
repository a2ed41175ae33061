/**
 * What every e2e test shares: the chroot, a work directory per cluster under it, the Secrets a
 * cluster needs, cleanup of everything started (also when a test fails: the cluster's logs are
 * printed), and the one-line scenario report.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { Chroot, ensureChroot } from './harness/chroot';
import { MySqlCluster, Secrets } from './harness/cluster';
import { findMySql, Manifest } from './harness/manifests';
import { assertIsolatedNetwork } from './harness/net';
import { Figures, formatScenarioLine, recordScenarioLine } from './harness/report';
import { generateSecrets } from './harness/secrets';

export { generateSecrets } from './harness/secrets';
export type { Figures } from './harness/report';

let chroot: Chroot | undefined;
const clusters: MySqlCluster[] = [];

export function theChroot(): Chroot {
  if (!chroot) chroot = new Chroot(ensureChroot());
  return chroot;
}

/** Probe periods and back-offs run this much faster than written (the kubelet's rules, a faster clock). */
export const TIME_SCALE = Number(process.env.E2E_TIME_SCALE ?? '0.2');

export function synthObjects(build: (chart: Chart) => void, namespace = 'mysql'): Manifest[] {
  const app = Testing.app();
  const chart = new Chart(app, 'e2e', { namespace });
  build(chart);
  return Testing.synth(chart) as Manifest[];
}

/** A cluster for the (only) ReplicatedMySql in `objects`; stopped after the test file. */
export function newCluster(objects: Manifest[], options: { secrets?: Secrets; namespace?: string } = {}): MySqlCluster {
  const found = findMySql(objects, options.namespace);
  if (found.length !== 1) throw new Error(`expected one ReplicatedMySql StatefulSet, found ${found.length}`);
  assertIsolatedNetwork();
  const c = theChroot();
  // Under the run's work root (scripts/e2e/run.sh removes it at the end, also when interrupted).
  const root = process.env.E2E_WORK_ROOT?.startsWith(`${c.root}/e2e/`) ? process.env.E2E_WORK_ROOT : path.join(c.root, 'e2e');
  const workDir = path.join(root, `${Date.now()}-${randomBytes(3).toString('hex')}`);
  fs.mkdirSync(workDir, { recursive: true });
  const cluster = new MySqlCluster({
    chroot: c, objects, statefulSet: found[0].statefulSet.metadata.name, namespace: found[0].namespace,
    secrets: options.secrets ?? generateSecrets(found[0].statefulSet, objects, found[0].namespace), timeScale: TIME_SCALE, workDir,
  });
  clusters.push(cluster);
  return cluster;
}

/** Runs a scenario; on failure prints every container log of the cluster before rethrowing. */
export async function scenario<T>(cluster: MySqlCluster, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    process.stderr.write(`\n===== logs of ${cluster.name} (${cluster.workDir}) =====\n${cluster.dumpLogs()}\n`);
    throw e;
  }
}

/**
 * Runs one scenario of a cluster (as `scenario` does) and reports it in one line,
 * `SCENARIO <id> PASS|FAIL <namespace>/<name> [key=value ...]`: the figures the body returns
 * and those given here, plus `seconds`. The failure is rethrown (the test fails too).
 */
export async function scenarioLine(id: string, cluster: MySqlCluster, body: () => Promise<void | Figures>, figures: Figures = {}): Promise<void> {
  const started = Date.now();
  let returned: void | Figures;
  try {
    returned = await scenario(cluster, body);
  } catch (e) {
    recordScenarioLine(formatScenarioLine(id, cluster, false, { ...figures, seconds: Math.round((Date.now() - started) / 100) / 10 }));
    throw e;
  }
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  recordScenarioLine(formatScenarioLine(id, cluster, true, { ...(returned ?? {}), ...figures, seconds }));
}

/**
 * A cluster for one describe block: created before its tests, stopped after them (a second
 * block's pods reuse the same addresses).
 */
export function clusterFor(objects: () => Manifest[], options: { secrets?: Secrets; namespace?: string } = {}): () => MySqlCluster {
  let cluster: MySqlCluster | undefined;
  beforeAll(() => { cluster = newCluster(objects(), options); });
  afterAll(async () => {
    if (!cluster) return;
    const i = clusters.indexOf(cluster);
    if (i >= 0) clusters.splice(i, 1);
    await cluster.dispose();
    if (!process.env.E2E_KEEP) fs.rmSync(cluster.workDir, { recursive: true, force: true });
  });
  return () => cluster!;
}

export async function disposeAll(): Promise<void> {
  while (clusters.length > 0) {
    const cluster = clusters.pop()!;
    await cluster.dispose();
    if (!process.env.E2E_KEEP) fs.rmSync(cluster.workDir, { recursive: true, force: true });
  }
}

// Whatever happens, no server outlives the test process.
afterAll(disposeAll);
