import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ManifestError, loadManifests, parseManifests } from '../../src/guard';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-load-'));
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

function names(manifests: unknown[]): string[] {
  return manifests.map((m) => {
    const object = m as { kind: string; metadata: { name: string } };
    return `${object.kind}/${object.metadata.name}`;
  });
}

function cm(name: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
}

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
    const manifests = loadManifests(dir);
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

  test('GIVEN a missing path WHEN loaded THEN a one-line ManifestError says so', () => {
    // GIVEN
    const missing = path.join(dir, 'nope');
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
