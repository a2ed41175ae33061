import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ManifestError, loadManifests, parseManifests } from '../src';
import { tempDir } from './helpers';

const tmp = tempDir('guard-load-');
const write = tmp.write;

function names(manifests: unknown[]): string[] {
  return manifests.map((m) => {
    const object = m as { kind: string; metadata: { name: string } };
    return `${object.kind}/${object.metadata.name}`;
  });
}

function cm(name: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
}

/** The ManifestError a call throws (fails the test when it throws nothing or something else). */
function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ManifestError');
}

const canSymlink = process.platform !== 'win32';
const canMkfifo = process.platform !== 'win32';

describe('loadManifests', () => {
  test('GIVEN a folder tree WHEN loaded THEN manifest files are read recursively in sorted path order', () => {
    // GIVEN
    write('b.yaml', cm('b'));
    write('a/z.yml', cm('a-z'));
    write('a/b/deep.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'deep' } }));
    write('c.yaml', `${cm('c1')}---\n${cm('c2')}---\n`);
    write('notes.txt', 'not a manifest');
    write('.hidden/x.yaml', cm('hidden'));
    // WHEN
    const manifests = loadManifests(tmp.dir);
    // THEN
    expect(names(manifests)).toEqual(['ConfigMap/deep', 'ConfigMap/a-z', 'ConfigMap/b', 'ConfigMap/c1', 'ConfigMap/c2']);
  });

  test('GIVEN a single file WHEN loaded THEN its documents are returned', () => {
    // GIVEN
    const file = write('one.yaml', `---\n${cm('x')}`);
    // WHEN
    const manifests = loadManifests(file);
    // THEN
    expect(names(manifests)).toEqual(['ConfigMap/x']);
  });

  test('GIVEN an empty file and a comment-only file WHEN loaded THEN there are no objects', () => {
    // GIVEN
    write('empty.yaml', '');
    write('comment.yaml', '# nothing yet\n');
    // WHEN
    const manifests = loadManifests(tmp.dir);
    // THEN
    expect(manifests).toEqual([]);
  });

  test('GIVEN a binary file named .yaml WHEN loaded THEN a one-line ManifestError says it is binary', () => {
    // GIVEN
    const file = path.join(tmp.dir, 'logo.yaml');
    fs.writeFileSync(file, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));
    // WHEN
    const message = errorOf(() => loadManifests(tmp.dir));
    // THEN
    expect(message).toBe(`${file}: binary file (contains NUL bytes), not YAML or JSON`);
  });

  test('GIVEN a file larger than 16 MiB WHEN loaded THEN it is refused without being read', () => {
    // GIVEN a sparse file: no disk space, no time
    const file = path.join(tmp.dir, 'huge.yaml');
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, 16 * 1024 * 1024 + 1);
    // WHEN
    const message = errorOf(() => loadManifests(file));
    // THEN
    expect(message).toBe(`${file}: 16777217 bytes, more than the 16 MiB a manifest file may have`);
  });

  (canSymlink ? test : test.skip)('GIVEN a symlinked file and folder WHEN loaded THEN they are read like real ones', () => {
    // GIVEN
    write('real/a.yaml', cm('a'));
    write('shared/b.yaml', cm('b'));
    const tree = path.join(tmp.dir, 'tree');
    fs.mkdirSync(tree);
    fs.symlinkSync(path.join(tmp.dir, 'real', 'a.yaml'), path.join(tree, 'a.yaml'));
    fs.symlinkSync(path.join(tmp.dir, 'shared'), path.join(tree, 'shared'));
    // WHEN
    const manifests = loadManifests(tree);
    // THEN
    expect(names(manifests)).toEqual(['ConfigMap/a', 'ConfigMap/b']);
  });

  (canSymlink ? test : test.skip)('GIVEN a broken symlink in the folder WHEN loaded THEN a one-line ManifestError names it', () => {
    // GIVEN
    write('tree/a.yaml', cm('a'));
    const link = path.join(tmp.dir, 'tree', 'gone.yaml');
    fs.symlinkSync(path.join(tmp.dir, 'nowhere.yaml'), link);
    // WHEN
    const message = errorOf(() => loadManifests(path.join(tmp.dir, 'tree')));
    // THEN
    expect(message).toBe(`${link}: broken symlink (its target does not exist)`);
  });

  (canSymlink ? test : test.skip)('GIVEN a symlink loop WHEN loaded THEN a short one-line ManifestError says so', () => {
    // GIVEN a link to the folder itself, and a link to itself
    write('tree/a.yaml', cm('a'));
    fs.symlinkSync(path.join(tmp.dir, 'tree'), path.join(tmp.dir, 'tree', 'again'));
    const self = path.join(tmp.dir, 'self');
    fs.mkdirSync(self);
    fs.symlinkSync(path.join(self, 'me.yaml'), path.join(self, 'me.yaml'));
    // WHEN
    const folderLoop = errorOf(() => loadManifests(path.join(tmp.dir, 'tree')));
    const selfLoop = errorOf(() => loadManifests(self));
    // THEN
    expect(folderLoop).toBe(`${path.join(tmp.dir, 'tree', 'again')}: symlink loop (links back to ${fs.realpathSync(path.join(tmp.dir, 'tree'))})`);
    expect(selfLoop).toBe(`${path.join(self, 'me.yaml')}: symlink loop (too many levels of symbolic links)`);
    expect(folderLoop.length).toBeLessThan(300);
  });

  (canMkfifo ? test : test.skip)('GIVEN a FIFO WHEN loaded THEN it is skipped in a folder and refused as the path itself (never read)', () => {
    // GIVEN
    write('tree/a.yaml', cm('a'));
    const fifo = path.join(tmp.dir, 'tree', 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    // WHEN
    const manifests = loadManifests(path.join(tmp.dir, 'tree'));
    const message = errorOf(() => loadManifests(fifo));
    // THEN
    expect(names(manifests)).toEqual(['ConfigMap/a']);
    expect(message).toBe(`${fifo}: not a regular file or folder`);
  });

  test('GIVEN a missing path WHEN loaded THEN a one-line ManifestError says so', () => {
    // GIVEN
    const missing = path.join(tmp.dir, 'nope');
    // WHEN
    const run = () => loadManifests(missing);
    // THEN
    expect(run).toThrow(ManifestError);
    expect(run).toThrow(`${missing}: no such file or directory`);
  });
});

describe('parseManifests', () => {
  test('GIVEN kind: List and a JSON array WHEN parsed THEN the items are flattened', () => {
    // GIVEN
    const list = `apiVersion: v1\nkind: List\nitems:\n- ${cm('a').trimEnd().split('\n').join('\n  ')}\n- ${cm('b').trimEnd().split('\n').join('\n  ')}\n`;
    const json = JSON.stringify([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' } }]);
    // WHEN
    const fromYaml = parseManifests(list, 'list.yaml');
    const fromJson = parseManifests(json, 'list.json');
    // THEN
    expect(names(fromYaml)).toEqual(['ConfigMap/a', 'ConfigMap/b']);
    expect(names(fromJson)).toEqual(['ConfigMap/j']);
  });

  test('GIVEN empty documents and a kustomization WHEN parsed THEN they are skipped', () => {
    // GIVEN
    const text = `---\n---\n# comment only\n---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n---\n${cm('a')}`;
    // WHEN
    const manifests = parseManifests(text, 'k.yaml');
    // THEN
    expect(names(manifests)).toEqual(['ConfigMap/a']);
  });

  test('GIVEN YAML merge keys and aliases WHEN parsed THEN merged maps are resolved', () => {
    // GIVEN
    const text = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: merged',
      '  labels: &labels {app: web, tier: front}',
      '  annotations: *labels',
      'data:',
      '  <<: {a: "1", b: "2"}',
      '  b: "3"',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: listed}',
      'data: {<<: [{x: "1"}, {y: "2"}]}',
      '',
    ].join('\n');
    // WHEN
    const [merged, listed] = parseManifests(text, 'm.yaml') as Array<{ metadata: { annotations?: unknown }; data: unknown }>;
    // THEN
    expect(merged.data).toEqual({ a: '1', b: '3' });
    expect(merged.metadata.annotations).toEqual({ app: 'web', tier: 'front' });
    expect(listed.data).toEqual({ x: '1', y: '2' });
  });

  test('GIVEN a UTF-8 byte order mark WHEN parsed as YAML or JSON THEN it is ignored', () => {
    // GIVEN
    const yaml = `\uFEFF${cm('bom')}`;
    const json = `\uFEFF${JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bom' } })}`;
    // WHEN
    const results = [parseManifests(yaml, 'b.yaml'), parseManifests(json, 'b.json')];
    // THEN
    expect(results.map(names)).toEqual([['ConfigMap/bom'], ['ConfigMap/bom']]);
  });

  test('GIVEN a billion-laughs alias bomb WHEN parsed THEN a one-line ManifestError refuses it quickly', () => {
    // GIVEN 9 levels of 9 aliases each: 9^9 strings if expanded
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const levels = 'bcdefghij'.split('');
    levels.forEach((name, i) => lines.push(`${name}: &${name} [${Array(9).fill(`*${i === 0 ? 'a' : levels[i - 1]}`).join(', ')}]`));
    // WHEN
    const started = Date.now();
    const message = errorOf(() => parseManifests(lines.join('\n'), 'bomb.yaml'));
    // THEN
    expect(message).toMatch(/^bomb\.yaml: not usable YAML: .*alias/i);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test.each([
    ['broken YAML', 'a: b: c\n', 'x.yaml: not valid YAML: Nested mappings are not allowed in compact mappings at line 1, column 4'],
    ['broken JSON', '{"apiVersion": ', 'x.json: not valid JSON: '],
    ['a plain string', 'hello world\n', 'x.yaml: document 1 is not a Kubernetes object (a plain string instead of a mapping)'],
    ['a mapping without Kubernetes fields', 'name: web\nimage: nginx\n', 'x.yaml: document 1 is not a Kubernetes object (missing apiVersion, kind, metadata.name)'],
    ['an object without a name', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n', 'document 1 is not a Kubernetes object (missing metadata.name)'],
    ['a bad second document', `${cm('a')}---\nfoo: bar\n`, 'x.yaml: document 2 is not a Kubernetes object (missing apiVersion, kind, metadata.name)'],
  ])('GIVEN %s WHEN parsed THEN a one-line ManifestError names the file and the reason', (_what, text, expected) => {
    // GIVEN
    const source = expected.startsWith('x.json') ? 'x.json' : 'x.yaml';
    // WHEN
    let error: unknown;
    try {
      parseManifests(text, source);
    } catch (e) {
      error = e;
    }
    // THEN
    expect(error).toBeInstanceOf(ManifestError);
    const message = (error as Error).message;
    expect(message).toContain(expected);
    expect(message).not.toContain('\n');
  });
});
