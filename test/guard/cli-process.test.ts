/**
 * End to end: the compiled CLI in a real node process, so exit codes, stdout/stderr and the shebang entry
 * point are what a CI job sees. Compiles src/cli.ts (and what it imports) into a temporary folder; lib/ is
 * not used, since a fresh clone has none.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..');

let out: string;

beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-e2e-build-'));
  const tsc = spawnSync(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      path.join(ROOT, 'src', 'cli.ts'),
      '--outDir',
      out,
      '--rootDir',
      path.join(ROOT, 'src'),
      '--target',
      'ES2022',
      '--module',
      'commonjs',
      '--strict',
      '--skipLibCheck',
      '--types',
      'node',
    ],
    { encoding: 'utf8' },
  );
  if (tsc.status !== 0) {
    throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  }
});

afterAll(() => {
  fs.rmSync(out, { recursive: true, force: true });
});

const tmp = tempDir('guard-e2e-');
const write = tmp.write;

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // NODE_PATH: the build lives outside the repository, so `yaml` is found through the repository's node_modules.
  const result = spawnSync(process.execPath, [path.join(out, 'cli.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
  });
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
