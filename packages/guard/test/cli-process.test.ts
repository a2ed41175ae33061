/**
 * End to end: the CLI as npm installs it (the `cdk8s-stateful` bin, run through its shebang), so exit
 * codes, stdout/stderr and the entry point are what a CI job sees. Uses the build of `npm run build`,
 * which `npm test` runs first.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './helpers';

const BIN = path.resolve(__dirname, '..', '..', '..', 'node_modules', '.bin', 'cdk8s-stateful');

beforeAll(() => {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run npm install (it links the bin) and npm run build first`);
});

const tmp = tempDir('guard-e2e-');
const write = tmp.write;

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(BIN, args, { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function pvcYaml(storage: string): string {
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: ${storage}}}
`;
}

describe('cdk8s-stateful check as a process', () => {
  test('GIVEN an unchanged manifest WHEN run THEN it exits 0', () => {
    // GIVEN
    const old = write('old.yaml', pvcYaml('10Gi'));
    const next = write('new.yaml', pvcYaml('10240Mi'));
    // WHEN
    const result = cli('check', '--base', old, next);
    // THEN
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('Safe to apply: 0 blocking findings, 0 warnings (1 object before, 1 after).\n');
    expect(result.stderr).toBe('');
  });

  test('GIVEN a shrinking claim WHEN run THEN it exits 1, and 0 once the printed id is accepted', () => {
    // GIVEN
    const old = write('old.yaml', pvcYaml('10Gi'));
    const next = write('new.yaml', pvcYaml('5Gi'));
    // WHEN
    const blocked = cli('check', '--base', old, '--format', 'json', next);
    const id = (JSON.parse(blocked.stdout) as { findings: Array<{ id: string }> }).findings[0].id;
    const accepted = cli('check', '--base', old, '--accept', id, next);
    // THEN
    expect(blocked.status).toBe(1);
    expect(id).toMatch(/^pvc-immutable-field:PersistentVolumeClaim\/shop\/data:spec\.resources\.requests\.storage@[0-9a-f]{8}$/);
    expect(accepted.status).toBe(0);
    expect(accepted.stdout).toContain('ACCEPTED');
  });

  test('GIVEN a missing path or a bad option WHEN run THEN it exits 2 with one line on stderr and no stack trace', () => {
    // WHEN
    const results = [cli('check', '--base', path.join(tmp.dir, 'nope'), path.join(tmp.dir, 'nope')), cli('check', '--bogus')];
    // THEN
    for (const result of results) {
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^cdk8s-stateful: error: /);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
