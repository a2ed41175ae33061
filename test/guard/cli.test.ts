import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(...argv: string[]): Run {
  let stdout = '';
  let stderr = '';
  const code = main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

function statefulSetYaml(storage: string, replicas = 2, image = 'postgres:16'): string {
  return `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
spec:
  serviceName: db
  replicas: ${replicas}
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: ${image}
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: ${storage}
`;
}

const SERVICE_YAML = `apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  clusterIP: None
  ports: [{port: 5432}]
`;

const GROWN_ID = 'statefulset-immutable-field:StatefulSet/shop/db:spec.volumeClaimTemplates[data].spec.resources.requests.storage';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-cli-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(relative: string, text: string): string {
  const file = path.join(dir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** old/ and new/ folders with a Service and a StatefulSet; the new set's storage and image are parameters. */
function folders(newStorage: string, newImage = 'postgres:16', newReplicas = 2): { oldDir: string; newDir: string } {
  write('old/service.yaml', SERVICE_YAML);
  write('old/db.yaml', statefulSetYaml('1Gi'));
  // Documents in another order and file layout on the new side: order must not matter.
  write('new/all.yaml', `${statefulSetYaml(newStorage, newReplicas, newImage)}---\n${SERVICE_YAML}`);
  return { oldDir: path.join(dir, 'old'), newDir: path.join(dir, 'new') };
}

function expectOneErrorLine(result: Run, reason: string | RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^cdk8s-stateful: error: /);
  expect(lines[0]).toMatch(reason);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('cdk8s-stateful check --base', () => {
  test('GIVEN --help WHEN run THEN usage is printed and the exit code is 0', () => {
    // WHEN
    const results = [run('--help'), run('check', '--help'), run('check', '-h', '--bogus')];
    // THEN
    for (const result of results) {
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: cdk8s-stateful check [options] --base OLD NEW');
      expect(result.stdout).toContain('--base-ref REV');
      expect(result.stderr).toBe('');
    }
  });

  test('GIVEN an image change and more replicas WHEN checked THEN it is safe (exit 0)', () => {
    // GIVEN
    const { oldDir, newDir } = folders('1Gi', 'postgres:17', 3);
    // WHEN
    const result = run('check', '--base', oldDir, newDir);
    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Safe to apply: 0 blocking findings, 0 warnings (2 objects before, 2 after).\n');
    expect(result.stderr).toBe('');
  });

  test('GIVEN a grown claim template WHEN checked THEN it blocks (exit 1) and prints the procedure with real PVC names', () => {
    // GIVEN
    const { oldDir, newDir } = folders('2Gi');
    // WHEN
    const result = run('check', '--base', oldDir, newDir);
    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('BLOCK     StatefulSet/shop/db spec.volumeClaimTemplates[data].spec.resources.requests.storage: 1Gi → 2Gi');
    expect(result.stdout).toContain(`kubectl -n shop patch pvc data-db-0 -p '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}'`);
    expect(result.stdout).toContain(`kubectl -n shop patch pvc data-db-1 -p '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}'`);
    expect(result.stdout).toContain('kubectl -n shop delete statefulset db --cascade=orphan');
    expect(result.stdout).toContain(`To accept after review: --accept '${GROWN_ID}'`);
    expect(result.stdout).toMatch(/NOT SAFE: 1 blocking finding, 0 warnings/);
    expect(result.stderr).toBe('');
  });

  test('GIVEN a scale-in under the default Retain policy WHEN checked THEN it warns but passes (exit 0)', () => {
    // GIVEN
    const { oldDir, newDir } = folders('1Gi', 'postgres:16', 1);
    // WHEN
    const result = run('check', '--base', oldDir, newDir);
    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('WARN      StatefulSet/shop/db spec.replicas: 2 → 1');
    expect(result.stdout).toContain('Their PVCs data-db-1 stay');
  });

  test('GIVEN the blocking id passed with --accept WHEN checked THEN it is accepted (exit 0)', () => {
    // GIVEN
    const { oldDir, newDir } = folders('2Gi');
    // WHEN
    const result = run('check', '--base', oldDir, '--accept', GROWN_ID, newDir);
    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ACCEPTED  StatefulSet/shop/db');
    expect(result.stdout).toContain('Safe to apply: 0 blocking findings, 0 warnings, 1 accepted');
  });

  test('GIVEN an accept file with comments and a stale id WHEN checked THEN the finding is accepted and the stale id warned about', () => {
    // GIVEN
    const { oldDir, newDir } = folders('2Gi');
    const acceptFile = write('accepted.txt', `# reviewed in PR 42: PVCs expanded by hand\n${GROWN_ID}   # grown 2024-05\n\nstatefulset-removed:StatefulSet/shop/old\n`);
    // WHEN
    const result = run('check', `--base=${oldDir}`, `--accept-file=${acceptFile}`, newDir);
    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ACCEPTED  StatefulSet/shop/db');
    expect(result.stdout).toContain('(stale acceptance, remove it): statefulset-removed:StatefulSet/shop/old');
    expect(result.stdout).toContain('0 blocking findings, 1 warning, 1 accepted');
  });

  test('GIVEN --format json WHEN checked THEN stdout is JSON with the findings', () => {
    // GIVEN
    const { oldDir, newDir } = folders('2Gi');
    // WHEN
    const result = run('check', '--format', 'json', '--base', oldDir, newDir);
    // THEN
    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout);
    expect(output.blocking).toBe(true);
    expect(output.findings.map((f: { id: string }) => f.id)).toEqual([GROWN_ID]);
    expect(output.findings[0].object).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'shop', name: 'db', display: 'StatefulSet/shop/db' });
  });
});

describe('cdk8s-stateful check: bad input exits 2 with one line on stderr', () => {
  test('GIVEN a file that is not YAML WHEN checked THEN exit 2 names the file and the parse error', () => {
    // GIVEN
    const { oldDir } = folders('1Gi');
    const broken = write('broken/app.yaml', 'kind: [unclosed\n  apiVersion: v1\n');
    // WHEN
    const result = run('check', '--base', oldDir, path.dirname(broken));
    // THEN
    expectOneErrorLine(result, new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid YAML: .* at line \\d+, column \\d+$`));
  });

  test('GIVEN YAML that is not Kubernetes objects WHEN checked THEN exit 2 says what is missing', () => {
    // GIVEN
    const { oldDir } = folders('1Gi');
    const config = write('config/settings.yaml', 'replicas: 3\nimage: nginx\n');
    // WHEN
    const result = run('check', '--base', oldDir, config);
    // THEN
    expectOneErrorLine(result, 'settings.yaml: document 1 is not a Kubernetes object (missing apiVersion, kind, metadata.name)');
  });

  test.each<[string, (oldDir: string, newDir: string) => string[], string]>([
    ['a missing NEW path', (o) => ['check', '--base', o, '/nonexistent/dist'], '/nonexistent/dist: no such file or directory'],
    ['a missing OLD path', (_o, n) => ['check', '--base', '/nonexistent/old', n], '/nonexistent/old: no such file or directory'],
    ['an unknown flag', (o, n) => ['check', '--base', o, '--strict', n], 'unknown option --strict (see cdk8s-stateful check --help)'],
    ['no --base', (_o, n) => ['check', n], 'missing --base OLD (or --base-ref REV)'],
    ['no NEW path', (o) => ['check', '--base', o], 'missing NEW: the file or folder with the new manifests'],
    ['two NEW paths', (o, n) => ['check', '--base', o, n, n], 'expected one NEW path, got 2'],
    ['--base without a value', (_o, n) => ['check', n, '--base'], '--base needs a value'],
    ['both --base and --base-ref', (o, n) => ['check', '--base', o, '--base-ref', 'HEAD', n], 'give either --base OLD or --base-ref REV, not both'],
    ['an unknown format', (o, n) => ['check', '--base', o, '--format', 'xml', n], "--format must be text or json, not 'xml'"],
    ['a missing accept file', (o, n) => ['check', '--base', o, '--accept-file', '/nonexistent/accept.txt', n], '--accept-file /nonexistent/accept.txt: no such file'],
    ['no command', () => [], 'missing command'],
    ['an unknown command', () => ['diff'], "unknown command 'diff'"],
  ])('GIVEN %s WHEN run THEN exit 2 with one error line', (_what, argv, reason) => {
    // GIVEN
    const { oldDir, newDir } = folders('1Gi');
    // WHEN
    const result = run(...argv(oldDir, newDir));
    // THEN
    expectOneErrorLine(result, new RegExp(reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });
});

describe('cdk8s-stateful check --base-ref', () => {
  function git(cwd: string, ...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=Guard Test', '-c', 'user.email=guard@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** A repository whose first commit has dist/ with a Service and a StatefulSet of 1Gi claims. */
  function repoWithDist(): string {
    const repo = path.join(dir, 'repo');
    fs.mkdirSync(path.join(repo, 'dist'), { recursive: true });
    git(repo, 'init', '-q');
    fs.writeFileSync(path.join(repo, 'dist', 'db.k8s.yaml'), `${SERVICE_YAML}---\n${statefulSetYaml('1Gi')}`);
    fs.writeFileSync(path.join(repo, 'README.md'), 'not a manifest\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'first');
    return repo;
  }

  test('GIVEN committed dist/ and a working copy that grows a claim template WHEN checked against HEAD THEN it blocks (exit 1)', () => {
    // GIVEN
    const repo = repoWithDist();
    fs.writeFileSync(path.join(repo, 'dist', 'db.k8s.yaml'), `${SERVICE_YAML}---\n${statefulSetYaml('5Gi')}`);
    // WHEN
    const result = run('check', '--base-ref', 'HEAD', path.join(repo, 'dist'));
    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('StatefulSet/shop/db spec.volumeClaimTemplates[data].spec.resources.requests.storage: 1Gi → 5Gi');
    expect(result.stdout).toContain('kubectl -n shop patch pvc data-db-1');
    expect(result.stderr).toBe('');
  });

  test('GIVEN dist/ unchanged since HEAD, passed as a file WHEN checked THEN it is safe (exit 0)', () => {
    // GIVEN
    const repo = repoWithDist();
    // WHEN
    const result = run('check', '--base-ref', 'HEAD', path.join(repo, 'dist', 'db.k8s.yaml'));
    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Safe to apply: 0 blocking findings, 0 warnings (2 objects before, 2 after).\n');
  });

  test('GIVEN two commits WHEN checked against HEAD~1 THEN the older committed manifests are the base', () => {
    // GIVEN
    const repo = repoWithDist();
    fs.writeFileSync(path.join(repo, 'dist', 'db.k8s.yaml'), SERVICE_YAML);
    git(repo, 'commit', '-q', '-am', 'remove db');
    // WHEN
    const result = run('check', '--base-ref', 'HEAD~1', path.join(repo, 'dist'));
    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('BLOCK     StatefulSet/shop/db: removed');
    expect(result.stdout).toContain('Its PVCs data-db-0 and data-db-1 stay behind');
  });

  test('GIVEN a folder that did not exist at the revision WHEN checked THEN every object is new (exit 0, note on stderr)', () => {
    // GIVEN
    const repo = repoWithDist();
    fs.mkdirSync(path.join(repo, 'manifests'));
    fs.writeFileSync(path.join(repo, 'manifests', 'db.yaml'), statefulSetYaml('1Gi'));
    // WHEN
    const result = run('check', '--base-ref', 'HEAD', path.join(repo, 'manifests'));
    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Safe to apply: 0 blocking findings, 0 warnings (0 objects before, 1 after).');
    expect(result.stderr).toContain('did not exist at HEAD: every object is new');
  });

  test('GIVEN a repository without any commit WHEN checked against HEAD THEN every object is new (exit 0)', () => {
    // GIVEN
    const repo = path.join(dir, 'fresh');
    fs.mkdirSync(path.join(repo, 'dist'), { recursive: true });
    git(repo, 'init', '-q');
    fs.writeFileSync(path.join(repo, 'dist', 'db.yaml'), statefulSetYaml('1Gi'));
    // WHEN
    const result = run('check', '--base-ref', 'HEAD', path.join(repo, 'dist'));
    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('(0 objects before, 1 after)');
  });

  test('GIVEN an unknown revision WHEN checked THEN exit 2 with one error line', () => {
    // GIVEN
    const repo = repoWithDist();
    // WHEN
    const result = run('check', '--base-ref', 'no-such-branch', path.join(repo, 'dist'));
    // THEN
    expectOneErrorLine(result, "unknown git revision 'no-such-branch'");
  });

  test('GIVEN a path outside any git repository WHEN checked with --base-ref THEN exit 2 with one error line', () => {
    // GIVEN a folder git may not search above, even if the temp dir happens to sit inside a repository
    const outside = write('plain/db.yaml', statefulSetYaml('1Gi'));
    const ceiling = process.env.GIT_CEILING_DIRECTORIES;
    process.env.GIT_CEILING_DIRECTORIES = dir;
    // WHEN
    let result: Run;
    try {
      result = run('check', '--base-ref', 'HEAD', path.dirname(outside));
    } finally {
      if (ceiling === undefined) {
        delete process.env.GIT_CEILING_DIRECTORIES;
      } else {
        process.env.GIT_CEILING_DIRECTORIES = ceiling;
      }
    }
    // THEN
    expectOneErrorLine(result, 'is not inside a git repository, so --base-ref cannot be used (use --base)');
  });
});
