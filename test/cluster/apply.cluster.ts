/**
 * Every object the library can emit is accepted by the real API server: a server-side dry-run and a
 * server-side apply of dist/, of every snapshot's YAML and of every case of the props matrix, into
 * namespaces where Pod Security admission enforces 'restricted' (any Pod Security warning fails), and the
 * workloads' pods are admitted.
 */
import { join } from 'path';
import { applySource, formatReports, loadObjects, snapshotSources, Source } from './apply';
import { Kube } from './kube';
import { MATRIX, synthesizeCase } from './matrix';

const root = join(__dirname, '..', '..');

function label(text: string, max = 40): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+/, '')
      .slice(0, max)
      .replace(/-+$/, '') || 'x'
  );
}

const dist: Source = { name: 'dist/', objects: loadObjects(join(root, 'dist')) };
const snapshots = snapshotSources(join(root, 'test'));
const matrix: Source[] = MATRIX.map((c) => {
  const objects = synthesizeCase(c, `m-${c.name}`.slice(0, 63));
  return { name: `matrix ${c.name}`, objects, prerequisites: c.prerequisites?.(`m-${c.name}`.slice(0, 63)) };
});
const sources: Array<{ id: string; source: Source }> = [
  { id: 'dist', source: dist },
  ...snapshots.map((source, i) => ({ id: `snap${i}`, source })),
  ...matrix.map((source, i) => ({ id: `m${i}`, source })),
];

// Concurrent tests start before beforeAll hooks finish: one shared client, created on first use.
let client: Kube | undefined;
const kube = () => (client ??= Kube.fromEnv());
afterAll(() => client?.close());

describe('the sources', () => {
  test('GIVEN dist/, the snapshot files and the matrix WHEN read THEN each yields objects (the parsers found them)', () => {
    expect(dist.objects.length).toBeGreaterThan(0);
    // One snapshot source per synthesized-YAML snapshot; every .snap file of the repository holds at least one.
    expect(new Set(snapshots.map((s) => s.name.split(':')[0])).size).toBeGreaterThanOrEqual(4);
    for (const source of [...snapshots, ...matrix]) {
      expect(source.objects.length).toBeGreaterThan(0);
    }
  });
});

describe('server-side apply under Pod Security restricted', () => {
  test.concurrent.each(sources)('$source.name: every object is accepted and every workload gets a pod', async ({ id, source }) => {
    // GIVEN namespaces of its own for this source (namespaces as written would collide between sources)
    const namespaceFor = (ns: string) => label(`${id}-${ns || 'default'}`, 63);
    // WHEN
    const reports = await applySource(kube(), source, { namespaceFor, clusterPrefix: id, strictWarnings: true });
    // THEN
    const failed = reports.filter((r) => !r.ok);
    expect(reports.length).toBe(source.objects.length);
    expect(failed.length === 0 ? 'all accepted' : formatReports(failed)).toBe('all accepted');
  });
});

describe('the checker itself (each way of failing is caught)', () => {
  const set = (name: string, podSpec: Record<string, unknown>) => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'x' },
    spec: {
      serviceName: name,
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec },
    },
  });

  test('GIVEN a pod template that runs as root, an unknown field and a kind without CRD WHEN applied THEN each is reported with the reason', async () => {
    // GIVEN
    const source: Source = {
      name: 'bad',
      objects: [
        set('root', { containers: [{ name: 'c', image: 'busybox:1.36' }] }),
        set('typo', { containers: [{ name: 'c', image: 'busybox:1.36', imagePullPolicyy: 'Always' }] }),
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'x' } },
      ],
    };
    // WHEN
    const reports = await applySource(kube(), source, { namespaceFor: (ns) => label(`bad-${ns}`), strictWarnings: true, podTimeoutMs: 15000 });
    // THEN
    const byRef = Object.fromEntries(reports.map((r) => [r.ref, r]));
    expect(reports.every((r) => !r.ok)).toBe(true);
    expect(byRef['StatefulSet/x/root'].result).toMatch(/would violate PodSecurity "restricted:latest"/);
    expect(byRef['StatefulSet/x/typo'].result).toMatch(/refused by server-side dry-run: .*imagePullPolicyy/);
    expect(byRef['Widget/x/w'].result).toMatch(/not applied: the API server serves no Widget in example.com\/v1/);
  });

  test('GIVEN warnings ignored WHEN a root pod template is applied THEN the pod check still fails it with the FailedCreate of Pod Security', async () => {
    // GIVEN the StatefulSet itself is stored (Pod Security only warns about workloads; it refuses pods)
    const source: Source = { name: 'root', objects: [set('root', { containers: [{ name: 'c', image: 'busybox:1.36' }] })] };
    // WHEN
    const [report] = await applySource(kube(), source, { namespaceFor: (ns) => label(`enforce-${ns}`), ignoreWarnings: true, podTimeoutMs: 20000 });
    // THEN
    expect(report.ok).toBe(false);
    expect(report.result).toMatch(/its pods are not: FailedCreate: .*forbidden: violates PodSecurity "restricted:latest"/);
  });
});
