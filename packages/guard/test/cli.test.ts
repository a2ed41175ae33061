import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../src/cli';
import { checkUpgrade, formatFindings, formatFindingsJson, loadManifests, loadManifestsAtRevision } from '../src';
import { tempDir, unbound } from './helpers';

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

const GROWN_ID = 'statefulset-immutable-field:apps/StatefulSet/shop/db:spec.volumeClaimTemplates[data].spec.resources.requests.storage';

const tmp = tempDir('guard-cli-');
const write = tmp.write;

/** old/ and new/ folders with a Service and a StatefulSet; the new set's storage and image are parameters. */
function folders(newStorage: string, newImage = 'postgres:16', newReplicas = 2): { oldDir: string; newDir: string } {
  write('old/service.yaml', SERVICE_YAML);
  write('old/db.yaml', statefulSetYaml('1Gi'));
  // Documents in another order and file layout on the new side: order must not matter.
  write('new/all.yaml', `${statefulSetYaml(newStorage, newReplicas, newImage)}---\n${SERVICE_YAML}`);
  return { oldDir: path.join(tmp.dir, 'old'), newDir: path.join(tmp.dir, 'new') };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The id printed with the first blocking finding. */
function printedId(stdout: string): string {
  const match = /To accept after review: --accept '([^']+)'/.exec(stdout);
  expect(match).not.toBeNull();
  return match ? match[1] : '';
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

  test.each([['--version'], ['-V']])('GIVEN %s WHEN run THEN the package version is printed and the exit code is 0', (flag) => {
    // GIVEN
    const version = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
    // WHEN
    const result = run(flag);
    // THEN
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  test('GIVEN --help WHEN run THEN it lists --version and --kubernetes-version', () => {
    // WHEN
    const result = run('--help');
    // THEN
    expect(result.stdout).toContain('-V, --version');
    expect(result.stdout).toContain('--kubernetes-version V');
    expect(result.stdout).toContain('fetch-depth: 0');
  });

  test('GIVEN a revisionHistoryLimit change WHEN checked without and with --kubernetes-version THEN it blocks only for versions that refuse it', () => {
    // GIVEN
    write('old/db.yaml', statefulSetYaml('1Gi'));
    write('new/db.yaml', statefulSetYaml('1Gi').replace('  replicas: 2\n', '  replicas: 2\n  revisionHistoryLimit: 3\n'));
    const [oldDir, newDir] = [path.join(tmp.dir, 'old'), path.join(tmp.dir, 'new')];
    // WHEN
    const unknown = run('check', '--base', oldDir, newDir);
    const old = run('check', '--kubernetes-version', '1.32', '--base', oldDir, newDir);
    const newer = run('check', '--kubernetes-version=v1.34.4', '--base', oldDir, newDir);
    // THEN
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('on the command line --kubernetes-version 1.33');
    expect(old.code).toBe(1);
    expect(old.stdout).toContain('The target version given is 1.32.');
    expect(newer).toEqual({ code: 0, stdout: 'Safe to apply: 0 blocking findings, 0 warnings (1 object before, 1 after).\n', stderr: '' });
  });

  test.each([['latest'], ['2.0'], ['1']])('GIVEN --kubernetes-version %s WHEN checked THEN exit 2 says what a version looks like', (version) => {
    // GIVEN
    const { oldDir, newDir } = folders('1Gi');
    // WHEN
    const result = run('check', '--kubernetes-version', version, '--base', oldDir, newDir);
    // THEN
    expectOneErrorLine(result, `--kubernetes-version must be a Kubernetes 1.x version such as 1.33 or v1.34.4, not '${version}'`);
    expect(result.stderr).toContain('(see cdk8s-stateful check --help)');
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
    expect(result.stdout).toMatch(new RegExp(`To accept after review: --accept '${escape(GROWN_ID)}@[0-9a-f]{8}'`));
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

  test('GIVEN the printed id passed with --accept WHEN checked THEN it is accepted (exit 0)', () => {
    // GIVEN
    const { oldDir, newDir } = folders('2Gi');
    const id = printedId(run('check', '--base', oldDir, newDir).stdout);
    // WHEN
    const result = run('check', '--base', oldDir, '--accept', id, newDir);
    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ACCEPTED  StatefulSet/shop/db');
    expect(result.stdout).toContain(`Accepted: ${id}`);
    expect(result.stdout).not.toContain('NOTE');
    expect(result.stdout).toContain('Safe to apply: 0 blocking findings, 0 warnings, 1 accepted (2 objects before, 2 after).');
  });

  test('GIVEN the id of a reviewed change WHEN a different change of the same field is checked THEN it still blocks', () => {
    // GIVEN 1Gi → 2Gi was reviewed and accepted
    const { oldDir, newDir } = folders('2Gi');
    const reviewed = printedId(run('check', '--base', oldDir, newDir).stdout);
    write('new/all.yaml', `${statefulSetYaml('5Gi')}---\n${SERVICE_YAML}`);
    // WHEN the change becomes 1Gi → 5Gi
    const result = run('check', '--base', oldDir, '--accept', reviewed, newDir);
    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('BLOCK     StatefulSet/shop/db spec.volumeClaimTemplates[data].spec.resources.requests.storage: 1Gi → 5Gi');
    expect(result.stdout).toContain(`STALE     accepted id matches no finding (remove it): ${reviewed}`);
    expect(printedId(result.stdout)).not.toBe(reviewed);
  });

  test('GIVEN the id without @hash passed with --accept WHEN checked THEN it is accepted with a note that it is unbound', () => {
    // GIVEN
    const { oldDir, newDir } = folders('2Gi');
    // WHEN
    const result = run('check', '--base', oldDir, '--accept', GROWN_ID, newDir);
    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ACCEPTED  StatefulSet/shop/db');
    expect(result.stdout).toMatch(/NOTE {6}accepted id without @hash: it accepts any change of that field/);
    expect(result.stdout).toContain('Safe to apply: 0 blocking findings, 0 warnings, 1 accepted, 1 unbound acceptance');
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
    expect(result.stdout).toContain('STALE     accepted id matches no finding (remove it): statefulset-removed:StatefulSet/shop/old');
    expect(result.stdout).toContain('0 blocking findings, 0 warnings, 1 accepted, 1 stale acceptance, 1 unbound acceptance');
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
    expect(output.findings.map((f: { id: string }) => unbound(f.id))).toEqual([GROWN_ID]);
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
    expectOneErrorLine(result, new RegExp(`${escape(broken)}: not valid YAML: .* at line \\d+, column \\d+$`));
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
    ['an unknown format', (o, n) => ['check', '--base', o, '--format', 'xml', n], '--format must be text or json, not \'xml\''],
    ['a missing accept file', (o, n) => ['check', '--base', o, '--accept-file', '/nonexistent/accept.txt', n], '--accept-file /nonexistent/accept.txt: no such file'],
    ['no command', () => [], 'missing command'],
    ['an unknown command', () => ['diff'], 'unknown command \'diff\''],
  ])('GIVEN %s WHEN run THEN exit 2 with one error line', (_what, argv, reason) => {
    // GIVEN
    const { oldDir, newDir } = folders('1Gi');
    // WHEN
    const result = run(...argv(oldDir, newDir));
    // THEN
    expectOneErrorLine(result, new RegExp(escape(reason)));
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
    const repo = path.join(tmp.dir, 'repo');
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
    const repo = path.join(tmp.dir, 'fresh');
    fs.mkdirSync(path.join(repo, 'dist'), { recursive: true });
    git(repo, 'init', '-q');
    fs.writeFileSync(path.join(repo, 'dist', 'db.yaml'), statefulSetYaml('1Gi'));
    // WHEN
    const result = run('check', '--base-ref', 'HEAD', path.join(repo, 'dist'));
    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('(0 objects before, 1 after)');
  });

  const symlinkTest = process.platform === 'win32' ? test.skip : test;

  /** A repository whose dist/ is a symlink to build/dist, which links its manifest from manifests/. */
  function repoWithLinkedDist(): string {
    const repo = path.join(tmp.dir, 'linked');
    fs.mkdirSync(path.join(repo, 'build', 'dist'), { recursive: true });
    fs.mkdirSync(path.join(repo, 'manifests'));
    git(repo, 'init', '-q');
    fs.writeFileSync(path.join(repo, 'manifests', 'db.yaml'), statefulSetYaml('1Gi'));
    fs.writeFileSync(path.join(repo, 'build', 'dist', 'service.yaml'), SERVICE_YAML);
    fs.symlinkSync(path.join('..', '..', 'manifests', 'db.yaml'), path.join(repo, 'build', 'dist', 'db.yaml'));
    fs.symlinkSync(path.join('build', 'dist'), path.join(repo, 'dist'));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'linked');
    return repo;
  }

  symlinkTest('GIVEN a symlinked folder and file committed at the revision WHEN the linked manifest changes THEN they are followed (exit 1)', () => {
    // GIVEN
    const repo = repoWithLinkedDist();
    fs.writeFileSync(path.join(repo, 'manifests', 'db.yaml'), statefulSetYaml('5Gi'));
    // WHEN
    const result = run('check', '--base-ref', 'HEAD', path.join(repo, 'dist'));
    // THEN
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('StatefulSet/shop/db spec.volumeClaimTemplates[data].spec.resources.requests.storage: 1Gi → 5Gi');
    expect(result.stdout).toContain('(2 objects before, 2 after)');
  });

  symlinkTest('GIVEN symlinks at the revision WHEN read with loadManifestsAtRevision THEN files are named by the linked path', () => {
    // GIVEN
    const repo = repoWithLinkedDist();
    // WHEN
    const atHead = loadManifestsAtRevision(path.join(repo, 'dist'), 'HEAD');
    // THEN
    expect(atHead.existed).toBe(true);
    expect(atHead.files).toEqual(['HEAD:dist/db.yaml', 'HEAD:dist/service.yaml']);
  });

  symlinkTest('GIVEN a symlink at the revision that is broken, leaves the repository or loops WHEN checked THEN exit 2 names it', () => {
    // GIVEN three commits, each with one bad link in dist/ (the working tree has none)
    const repo = repoWithDist();
    const bad: Array<[string, string, RegExp]> = [
      ['gone.yaml', 'nowhere.yaml', /HEAD:dist\/gone\.yaml: broken symlink \(its target does not exist at HEAD\)$/],
      ['outside.yaml', '../../outside.yaml', /HEAD:dist\/outside\.yaml: symlink to \.\.\/\.\.\/outside\.yaml points outside the repository$/],
      ['loop', '.', /HEAD:dist\/loop: symlink loop \(links back to dist\)$/],
    ];
    for (const [name, target, message] of bad) {
      const link = path.join(repo, 'dist', name);
      fs.symlinkSync(target, link);
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', `add ${name}`);
      fs.unlinkSync(link);
      // WHEN
      const result = run('check', '--base-ref', 'HEAD', path.join(repo, 'dist'));
      // THEN
      expectOneErrorLine(result, message);
      git(repo, 'rm', '-q', '--cached', `dist/${name}`);
      git(repo, 'commit', '-q', '-m', `remove ${name}`);
    }
  });

  symlinkTest('GIVEN NEW reached through a symlinked folder that was a real folder at the revision WHEN checked THEN the committed files are the base', () => {
    // GIVEN dist/ as committed, and a link to it outside the repository
    const repo = repoWithDist();
    fs.writeFileSync(path.join(repo, 'dist', 'db.k8s.yaml'), `${SERVICE_YAML}---\n${statefulSetYaml('5Gi')}`);
    const link = path.join(tmp.dir, 'dist-link');
    fs.symlinkSync(path.join(repo, 'dist'), link);
    // WHEN
    const result = run('check', '--base-ref', 'HEAD', link);
    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('1Gi → 5Gi');
  });

  test('GIVEN a file over 16 MiB committed at the revision WHEN checked THEN exit 2 without reading it', () => {
    // GIVEN a huge (sparse, all-zero) blob at HEAD, and a small manifest in its place now
    const repo = repoWithDist();
    const huge = path.join(repo, 'dist', 'huge.yaml');
    fs.closeSync(fs.openSync(huge, 'w'));
    fs.truncateSync(huge, 16 * 1024 * 1024 + 1);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'huge');
    fs.writeFileSync(huge, SERVICE_YAML.replace('name: db', 'name: other'));
    // WHEN
    const result = run('check', '--base-ref', 'HEAD', path.join(repo, 'dist'));
    // THEN
    expectOneErrorLine(result, /HEAD:dist\/huge\.yaml: 16777217 bytes, more than the 16 MiB a manifest file may have$/);
  });

  test('GIVEN an unknown revision WHEN checked THEN exit 2 with one error line', () => {
    // GIVEN
    const repo = repoWithDist();
    // WHEN
    const result = run('check', '--base-ref', 'no-such-branch', path.join(repo, 'dist'));
    // THEN
    expectOneErrorLine(result, 'unknown git revision \'no-such-branch\'');
  });

  test('GIVEN a shallow clone WHEN checked against HEAD~1 THEN exit 2 says to fetch more history (fetch-depth)', () => {
    // GIVEN a repository with two commits, cloned with only the last one (what CI checkouts do by default)
    const repo = repoWithDist();
    fs.writeFileSync(path.join(repo, 'dist', 'db.k8s.yaml'), SERVICE_YAML);
    git(repo, 'commit', '-q', '-am', 'remove db');
    const clone = path.join(tmp.dir, 'clone');
    git(tmp.dir, 'clone', '-q', '--depth', '1', `file://${repo}`, clone);
    expect(git(clone, 'rev-parse', '--is-shallow-repository').trim()).toBe('true');
    // WHEN
    const result = run('check', '--base-ref', 'HEAD~1', path.join(clone, 'dist'));
    // THEN
    expectOneErrorLine(result, /unknown git revision 'HEAD~1' in .*: this clone is shallow: fetch more history \(actions\/checkout: fetch-depth: 0, or git fetch --unshallow\)$/);
  });

  test('GIVEN an empty --base-ref (what $(git merge-base ...) gives without history) WHEN run THEN exit 2 says what to fetch', () => {
    // WHEN
    const result = run('check', '--base-ref', '', 'dist');
    // THEN
    expectOneErrorLine(result, /--base-ref needs a value \(an empty revision: did `git merge-base` find no common commit\? A shallow clone needs more history: actions\/checkout fetch-depth: 0, or git fetch --unshallow\)/);
  });

  test('GIVEN a full clone WHEN an unknown revision is checked THEN the error says nothing about shallow clones', () => {
    // GIVEN
    const repo = repoWithDist();
    // WHEN
    const result = run('check', '--base-ref', 'HEAD~1', path.join(repo, 'dist'));
    // THEN
    expectOneErrorLine(result, /unknown git revision 'HEAD~1' in [^:]*$/);
  });

  test('GIVEN a path outside any git repository WHEN checked with --base-ref THEN exit 2 with one error line', () => {
    // GIVEN a folder git may not search above, even if the temp dir happens to sit inside a repository
    const outside = write('plain/db.yaml', statefulSetYaml('1Gi'));
    const ceiling = process.env.GIT_CEILING_DIRECTORIES;
    process.env.GIT_CEILING_DIRECTORIES = tmp.dir;
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

describe('the guard as a library', () => {
  test('GIVEN manifests on disk WHEN loaded, checked and formatted by the exported functions THEN they agree with the CLI', () => {
    // GIVEN
    const { oldDir, newDir } = folders('2Gi');
    // WHEN
    const result = checkUpgrade(loadManifests(oldDir), loadManifests(newDir), { namespace: 'shop' });
    const text = formatFindings(result);
    const json = JSON.parse(formatFindingsJson(result));
    // THEN
    expect(result.blocking).toBe(true);
    expect(result.findings.map((f) => unbound(f.id))).toEqual([GROWN_ID]);
    expect(text).toContain('NOT SAFE: 1 blocking finding, 0 warnings (2 objects before, 2 after).');
    expect(json.summary).toEqual({ blocking: 1, warnings: 0, accepted: 0, staleAccepts: 0, unboundAccepts: 0 });
  });

  test('GIVEN a reviewed id WHEN passed to check THEN the finding is accepted', () => {
    // GIVEN
    const { oldDir, newDir } = folders('2Gi');
    const [before, after] = [loadManifests(oldDir), loadManifests(newDir)];
    const id = checkUpgrade(before, after).findings[0].id;
    // WHEN
    const result = checkUpgrade(before, after, { accept: [id] });
    // THEN
    expect(result.blocking).toBe(false);
    expect(result.findings[0].accepted).toBe(true);
    expect(result.unboundAccepts).toEqual([]);
  });
});
