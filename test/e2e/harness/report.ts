/**
 * One line per scenario and cluster, for `npm run test:e2e -- --manifests DIR` and anyone reading
 * a run's outcome by machine:
 *
 *   SCENARIO <id> PASS|FAIL <namespace>/<name> [key=value ...]
 *
 * Jest buffers console output, so the lines are appended to the file named by E2E_RESULTS, which
 * scripts/e2e/run.sh prints at the end of the run (and fails on any FAIL); without E2E_RESULTS
 * they go straight to stderr.
 */
import * as fs from 'fs';

/** Optional figures of a scenario (`key=value`; values have no spaces). */
export type Figures = { [key: string]: string | number | boolean | undefined };

export function formatScenarioLine(id: string, cluster: { namespace: string; name: string }, pass: boolean, figures: Figures = {}): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new Error(`scenario id ${JSON.stringify(id)}: use lower-case words joined by dashes`);
  const pairs = Object.entries(figures).filter(([, v]) => v !== undefined).map(([k, v]) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(k)) throw new Error(`scenario figure ${JSON.stringify(k)}: use letters, digits, _ . -`);
    return `${k}=${String(v).replace(/\s+/g, '_')}`;
  });
  return ['SCENARIO', id, pass ? 'PASS' : 'FAIL', `${cluster.namespace}/${cluster.name}`, ...pairs].join(' ');
}

export function recordScenarioLine(line: string): void {
  const file = process.env.E2E_RESULTS;
  if (file) fs.appendFileSync(file, `${line}\n`);
  else process.stderr.write(`${line}\n`);
}
