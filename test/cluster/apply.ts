/**
 * Server-side dry-run, then server-side apply, of a set of objects into namespaces labelled Pod Security
 * 'restricted', with one result per object, and a check that the workloads' pods are admitted (Pod
 * Security enforces on pods, so a StatefulSet is only known to be fine once its controller could create a
 * pod). Used by test/cluster/apply.cluster.ts and by `npm run test:cluster -- --manifests DIR`.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import * as vm from 'vm';
import { parseAllDocuments } from 'yaml';
import { RESTRICTED } from './fixtures';
import { eventually, Kube, KubeObject, refOf } from './kube';

/** A named set of objects that belong together (they reference each other). */
export interface Source {
  readonly name: string;
  readonly objects: KubeObject[];
  /** Objects the user would create beside them (applied first, not reported). */
  readonly prerequisites?: KubeObject[];
}

/** What happened to one object. */
export interface ObjectReport {
  /** `Kind/namespace/name` as written in the source (before namespaces are mapped). */
  readonly ref: string;
  /** Where it was applied. */
  readonly appliedAs: string;
  readonly ok: boolean;
  /** `accepted`, or the step and the server's message. */
  readonly result: string;
  readonly warnings: string[];
}

export interface ApplyOptions {
  /**
   * Maps each namespace of the source (and '' for namespaced objects without one) to the namespace used.
   * @default - namespaces are used as written; objects without one go to `cdk8s-stateful-manifests`
   */
  readonly namespaceFor?: (namespace: string) => string;
  /** A prefix for the names of cluster-scoped StorageClasses (references to them are rewritten). */
  readonly clusterPrefix?: string;
  /** Treat every API warning as a failure (not only Pod Security ones). */
  readonly strictWarnings?: boolean;
  /** Report warnings without failing on them, Pod Security ones included (to see what the pod check alone finds). */
  readonly ignoreWarnings?: boolean;
  /** How long a workload may take to get its first pod admitted. */
  readonly podTimeoutMs?: number;
  /**
   * Labels of the namespaces created for the source.
   * @default RESTRICTED: Pod Security enforces, warns about and audits the 'restricted' profile
   */
  readonly namespaceLabels?: Record<string, string>;
}

/** Kinds applied before others, as kubectl, Argo CD and Flux order them. */
const ORDER = [
  'Namespace', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass', 'ServiceAccount', 'Secret', 'ConfigMap', 'ClusterRole',
  'ClusterRoleBinding', 'Role', 'RoleBinding', 'PersistentVolume', 'PersistentVolumeClaim', 'Service',
];
const WORKLOADS = new Set(['StatefulSet', 'Deployment', 'ReplicaSet', 'DaemonSet', 'Job']);
export const DEFAULT_NAMESPACE = 'cdk8s-stateful-manifests';

function rank(object: KubeObject): number {
  const i = ORDER.indexOf(object.kind);
  return i >= 0 ? i : ORDER.length;
}

function isObject(value: unknown): value is KubeObject {
  const v = value as KubeObject;
  return typeof v === 'object' && v !== null && typeof v.apiVersion === 'string' && typeof v.kind === 'string' && typeof v.metadata?.name === 'string';
}

/** Every Kubernetes object in YAML or JSON text (multi-document; `kind: List` flattened). */
export function parseObjects(text: string): KubeObject[] {
  const result: KubeObject[] = [];
  const add = (value: unknown) => {
    if (Array.isArray(value)) {
      value.forEach(add);
    } else if (isObject(value)) {
      if (value.kind === 'List' || (value.kind.endsWith('List') && Array.isArray(value.items))) {
        (value.items as unknown[]).forEach(add);
      } else {
        result.push(value);
      }
    }
  };
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new Error(doc.errors[0].message);
    }
    add(doc.toJS());
  }
  return result;
}

function files(path: string): string[] {
  if (statSync(path).isFile()) {
    return [path];
  }
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = join(path, entry.name);
      if (entry.isDirectory()) {
        return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : files(full);
      }
      return /\.(ya?ml|json)$/.test(entry.name) ? [full] : [];
    });
}

/** The objects of every YAML/JSON file under `path` (a file or a folder, read recursively). */
export function loadObjects(path: string): KubeObject[] {
  return files(path).flatMap((file) => {
    try {
      return parseObjects(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
    }
  });
}

/**
 * The synthesized objects held by jest snapshot files: each `.snap` is a module of `exports[name] = value`;
 * a value is the printed form of what the test passed to toMatchSnapshot, here YAML text in quotes. Values
 * that hold no Kubernetes object (other snapshots) are skipped.
 */
export function snapshotSources(root: string): Source[] {
  const sources: Source[] = [];
  for (const file of findSnapshots(root)) {
    const exportsObject: Record<string, unknown> = {};
    vm.runInNewContext(readFileSync(file, 'utf8'), { exports: exportsObject }, { filename: file });
    for (const [key, value] of Object.entries(exportsObject)) {
      if (typeof value !== 'string') {
        continue;
      }
      // pretty-format prints a string snapshot between double quotes, without escaping inner quotes.
      const text = value.trim().replace(/^"/, '').replace(/"$/, '');
      let objects: KubeObject[];
      try {
        objects = parseObjects(text);
      } catch {
        objects = [];
      }
      if (objects.length > 0) {
        sources.push({ name: `${relative(root, file)}: ${key}`, objects });
      }
    }
  }
  return sources;
}

function findSnapshots(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        return entry.name === 'node_modules' ? [] : findSnapshots(full);
      }
      return entry.name.endsWith('.snap') ? [full] : [];
    });
}

/** Replaces every `storageClassName: old` in an object tree. */
function renameStorageClasses(value: unknown, names: Map<string, string>): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => renameStorageClasses(v, names));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === 'storageClassName' && typeof v === 'string' && names.has(v) ? names.get(v) : renameStorageClasses(v, names)]),
    );
  }
  return value;
}

const POD_SECURITY = /PodSecurity|would violate/;

/**
 * Applies a source: namespaces first (labelled restricted), then each object by kind order with a
 * server-side dry-run and a server-side apply; then waits for each workload's first pod (or its FailedCreate
 * event). Returns one report per object of the source.
 */
export async function applySource(kube: Kube, source: Source, options: ApplyOptions = {}): Promise<ObjectReport[]> {
  const namespaceFor = options.namespaceFor ?? ((ns: string) => ns || DEFAULT_NAMESPACE);
  const reports: ObjectReport[] = [];
  const classNames = new Map<string, string>();
  if (options.clusterPrefix) {
    for (const object of source.objects) {
      if (object.kind === 'StorageClass') {
        classNames.set(object.metadata.name, `${options.clusterPrefix}-${object.metadata.name}`.slice(0, 253));
      }
    }
  }

  // Decide where each object goes; unknown kinds are reported, not guessed.
  const planned: Array<{ original: KubeObject; object: KubeObject } | { original: KubeObject; error: string }> = [];
  const namespaces = new Set<string>();
  for (const original of [...(source.prerequisites ?? []), ...source.objects]) {
    let namespaced: boolean;
    try {
      namespaced = await kube.namespaced(original.apiVersion, original.kind);
    } catch (e) {
      planned.push({ original, error: (e as Error).message });
      continue;
    }
    const object = renameStorageClasses(structuredClone(original), classNames) as KubeObject;
    if (namespaced) {
      object.metadata.namespace = namespaceFor(original.metadata.namespace ?? '');
      namespaces.add(object.metadata.namespace);
    } else {
      delete object.metadata.namespace;
      if (object.kind === 'Namespace') {
        object.metadata.name = namespaceFor(original.metadata.name);
        namespaces.add(object.metadata.name);
      } else if (classNames.has(original.metadata.name) && object.kind === 'StorageClass') {
        object.metadata.name = classNames.get(original.metadata.name)!;
      }
    }
    planned.push({ original, object });
  }
  for (const ns of [...namespaces].sort()) {
    const result = await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: options.namespaceLabels ?? RESTRICTED } }, { fieldManager: 'cluster-test-setup' });
    if (!result.ok) {
      throw new Error(`namespace ${ns}: ${result.message}`);
    }
  }

  const prerequisites = new Set(source.prerequisites ?? []);
  const sorted = planned.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p.original) - rank(b.p.original) || a.i - b.i);
  const workloads: Array<{ report: number; object: KubeObject }> = [];
  for (const { p } of sorted) {
    const ref = refOf(p.original);
    if ('error' in p) {
      reports.push({ ref, appliedAs: ref, ok: false, result: `not applied: ${p.error}`, warnings: [] });
      continue;
    }
    const appliedAs = refOf(p.object);
    const failedWarnings = (warnings: string[]) =>
      (options.ignoreWarnings ? [] : warnings.filter((w) => options.strictWarnings || POD_SECURITY.test(w)));
    const dry = await kube.apply(p.object, { dryRun: true });
    let report: ObjectReport;
    if (!dry.ok) {
      report = { ref, appliedAs, ok: false, result: `refused by server-side dry-run: ${dry.status} ${dry.message}`, warnings: dry.warnings };
    } else {
      const real = await kube.apply(p.object);
      const warnings = [...new Set([...dry.warnings, ...real.warnings])];
      if (!real.ok) {
        report = { ref, appliedAs, ok: false, result: `refused by server-side apply: ${real.status} ${real.message}`, warnings };
      } else if (failedWarnings(warnings).length > 0) {
        report = { ref, appliedAs, ok: false, result: `accepted with warnings: ${failedWarnings(warnings).join('; ')}`, warnings };
      } else {
        report = { ref, appliedAs, ok: true, result: 'accepted', warnings };
        if (WORKLOADS.has(p.object.kind) && !prerequisites.has(p.original)) {
          workloads.push({ report: reports.length, object: p.object });
        }
      }
    }
    if (!prerequisites.has(p.original)) {
      reports.push(report);
    } else if (!report.ok) {
      throw new Error(`prerequisite ${ref}: ${report.result}`);
    }
  }

  // Pod Security enforces on pods: a workload passes once its controller had a pod admitted.
  await Promise.all(
    workloads.map(async ({ report, object }) => {
      const verdict = await podVerdict(kube, object, options.podTimeoutMs ?? 30000);
      if (verdict !== 'admitted') {
        reports[report] = { ...reports[report], ok: false, result: `accepted, but its pods are not: ${verdict}` };
      } else {
        reports[report] = { ...reports[report], result: 'accepted; pods admitted' };
      }
    }),
  );
  return reports;
}

/** 'admitted' once a pod of the workload exists; the FailedCreate message when the controller reports one. */
async function podVerdict(kube: Kube, workload: KubeObject, timeoutMs: number): Promise<string> {
  const replicas = workload.spec?.replicas;
  if (replicas === 0 || workload.spec?.suspend === true) {
    return 'admitted';
  }
  const ns = workload.metadata.namespace!;
  const labels: Record<string, string> = workload.spec?.selector?.matchLabels ?? workload.spec?.template?.metadata?.labels ?? {};
  const selector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  try {
    return await eventually(
      `a pod of ${refOf(workload)}`,
      async () => {
        const pods = await kube.list('v1', 'Pod', ns, selector);
        if (pods.length > 0) {
          return 'admitted';
        }
        const events = await kube.list('v1', 'Event', ns, undefined, 'reason=FailedCreate');
        const mine = events.filter((e) => e.involvedObject?.name === workload.metadata.name || String(e.involvedObject?.name ?? '').startsWith(`${workload.metadata.name}-`));
        return mine.length > 0 ? `FailedCreate: ${mine[mine.length - 1].message}` : undefined;
      },
      timeoutMs,
      250,
    );
  } catch (e) {
    return `no pod after ${timeoutMs / 1000}s (${(e as Error).message})`;
  }
}

/** One line per object: `OK|FAIL  Kind/ns/name  result`. */
export function formatReports(reports: ObjectReport[]): string {
  const width = Math.max(0, ...reports.map((r) => r.ref.length));
  return reports
    .map((r) => {
      const where = r.appliedAs !== r.ref ? ` (as ${r.appliedAs})` : '';
      const extra = r.ok && r.warnings.length > 0 ? ` [warnings: ${r.warnings.join('; ')}]` : '';
      return `${r.ok ? 'OK  ' : 'FAIL'}  ${r.ref.padEnd(width)}  ${r.result}${where}${extra}`;
    })
    .join('\n');
}
