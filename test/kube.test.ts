import * as fs from 'fs';
import { ApiObject, App, Chart, JsonPatch, Lazy, Testing } from 'cdk8s';
import { k8s as stock } from 'cdk8s-plus-28';
import { buildExample } from '../examples/typescript/example';
import { addClaimTemplateKinds, KubeCronJob, KubeDeployment, KubeJob, KubeService, KubeStatefulSet, RENAMED_FIELDS, toKubernetesJson } from '../src/kube';
import { MATRIX } from './cluster/matrix';
import { addScannerAnnotations } from '../src/scanner-annotations';

/** What the generated L1 class would emit for the same object: resolve, patch, its own converter. */
function stockJson(obj: ApiObject): unknown {
  const kind = obj.kind;
  const convert = (stock as any)[`toJson_Kube${kind}Props`] as ((x: unknown) => unknown) | undefined;
  const gvk = (stock as any)[`Kube${kind}`]?.GVK;
  if (!convert || !gvk) return undefined;
  const json = { ...gvk, ...(convert(ApiObject.prototype.toJson.call(obj)) as object) };
  if (kind === 'StatefulSet') addClaimTemplateKinds(json);
  // (the scanners' skip annotations are our own addition after serialization: src/scanner-annotations.ts)
  if ([KubeStatefulSet, KubeDeployment, KubeService, KubeJob, KubeCronJob].some((c) => obj.constructor === c)) addScannerAnnotations(obj, json);
  return json;
}

function objectsOf(app: App): ApiObject[] {
  return app.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
}

describe('one serializer for every object: byte-for-byte the generated converters\' output', () => {
  test('the example app', () => {
    const app = Testing.app();
    buildExample(app);
    let compared = 0;
    for (const obj of objectsOf(app)) {
      const expected = stockJson(obj);
      // kinds without a generated L1 (the ServiceMonitor import, the client Deployment's own L1) are serialized by their class
      if (expected === undefined) continue;
      expect(`${obj.node.path}: ${JSON.stringify(obj.toJson())}`).toBe(`${obj.node.path}: ${JSON.stringify(expected)}`);
      compared++;
    }
    expect(compared).toBeGreaterThan(15);
  });

  test('every case of the props matrix (test/cluster/matrix.ts)', () => {
    let compared = 0;
    for (const c of MATRIX) {
      const app = Testing.app();
      c.build(new Chart(app, 'c', { namespace: 'matrix' }));
      for (const obj of objectsOf(app)) {
        const expected = stockJson(obj);
        if (expected === undefined) continue;
        expect(`${c.name} ${obj.node.path}: ${JSON.stringify(obj.toJson())}`).toBe(`${c.name} ${obj.node.path}: ${JSON.stringify(expected)}`);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  test('tokens resolve before the conversion: a Lazy spec with clusterIp becomes clusterIP, as with the stock L1', () => {
    const chart = new Chart(Testing.app(), 'c');
    const props = { metadata: { name: 's' }, spec: Lazy.any({ produce: () => ({ clusterIp: 'None', ports: [{ port: 80, targetPort: stock.IntOrString.fromNumber(80) }] }) }) };
    const ours = new KubeService(chart, 'ours', props);
    const theirs = new stock.KubeService(chart, 'theirs', props);
    expect(JSON.stringify(ours.toJson())).toBe(JSON.stringify(theirs.toJson()));
    expect(ours.toJson().spec).toEqual({ clusterIP: 'None', ports: [{ port: 80, targetPort: 80 }] });
  });

  test('JSON patches address the typed props\' names (the rule for every object we emit), as with the stock L1', () => {
    const chart = new Chart(Testing.app(), 'c');
    const ours = new KubeService(chart, 'ours', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } });
    const theirs = new stock.KubeService(chart, 'theirs', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } });
    for (const o of [ours, theirs]) o.addJsonPatch(JsonPatch.add('/spec/clusterIp', 'None'));
    expect(ours.toJson().spec.clusterIP).toBe('None');
    expect(JSON.stringify(ours.toJson())).toBe(JSON.stringify(theirs.toJson()));
  });

  test('a field the typed props do not know, added by a patch, is kept (the stock L1 drops it silently)', () => {
    const chart = new Chart(Testing.app(), 'c');
    const ours = new KubeService(chart, 'ours', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } });
    ours.addJsonPatch(JsonPatch.add('/spec/trafficDistribution', 'PreferClose'));
    expect(ours.toJson().spec.trafficDistribution).toBe('PreferClose');
  });

  test('the rename table is the installed cdk8s-plus-28\'s: every rename its converters make, and no other', () => {
    const source = fs.readFileSync(require.resolve('cdk8s-plus-28/lib/imports/k8s.js'), 'utf8');
    const renames = new Map<string, string>();
    for (const m of source.matchAll(/'([^']+)': (?:[\w.]+\()?obj\.(\w+)/g)) if (m[1] !== m[2]) renames.set(m[2], m[1]);
    // `schema` is `$schema` in a JSON schema but `schema` in a CRD version: left out on purpose (neither is emitted here).
    expect(renames.get('schema')).toBe('$schema');
    renames.delete('schema');
    expect(Object.fromEntries([...renames].sort())).toEqual(Object.fromEntries(Object.entries(RENAMED_FIELDS).sort()));
  });

  test('maps keep their keys; a resolved IntOrString or Quantity is unwrapped', () => {
    expect(toKubernetesJson({ apiVersion: 'v1', kind: 'X', metadata: { labels: { 'clusterIp': 'a', 'b/c': 'd' } }, spec: { port: { value: 8080 }, b: 1, a: 2 } }))
      .toEqual({ apiVersion: 'v1', kind: 'X', metadata: { labels: { 'clusterIp': 'a', 'b/c': 'd' } }, spec: { a: 2, b: 1, port: 8080 } });
  });

  test('fields come out sorted by their Kubernetes names, also when a rename or a patch broke the resolver\'s order; map keys as given', () => {
    const json = toKubernetesJson({ spec: { port: 1, clusterIps: ['x'], clusterIp: 'y', b: 2, a: 1, labels: { z: '1', a: '2' } } }) as { spec: object };
    expect(Object.keys(json.spec)).toEqual(['a', 'b', 'clusterIP', 'clusterIps', 'labels', 'port']);
    expect(Object.keys((json.spec as { labels: object }).labels)).toEqual(['z', 'a']);
  });

  test('a field named like a member of Object.prototype keeps its name', () => {
    expect(JSON.stringify(toKubernetesJson({ spec: { constructor: 1, toString: 2, a: 0 } }))).toBe('{"spec":{"a":0,"constructor":1,"toString":2}}');
  });
});
