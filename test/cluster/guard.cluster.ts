/**
 * The upgrade guard against the real API server (Kubernetes 1.34). For every rule that says "Kubernetes
 * refuses this", the old manifest is applied, then the new one, and the server must refuse; for every change
 * the guard calls safe (no finding) the server must accept. Rules about data (renames, removals, scale-in)
 * are accepted by the server: for those, the controllers must leave or delete exactly the claims the guard
 * named. The table of verdicts is written to $CLUSTER_WORK/guard-agreement.md (run.sh prints it).
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { Chart } from 'cdk8s';
import { CheckOptions, checkUpgrade, Finding, Severity } from '../../packages/guard/src';
import { DiskStorageClass, PvcRetention, SpreadMode, StatefulApp, StatefulAppProps } from '../../src';
import { AUTO_READY, gi, IMAGE, localVolumes, restrictedNamespace, settled, suffix, synthesize } from './fixtures';
import { eventually, Kube, KubeObject } from './kube';

type Obj = KubeObject;
type Build = (ns: string, id: string) => Obj[];

/** What the guard says about a change: the rule of its most severe finding, or none. */
interface GuardVerdict {
  readonly rule: string | null;
  readonly severity: Severity | null;
}

interface Case {
  /** Row label: what changes. */
  readonly change: string;
  readonly old: Build;
  readonly new: Build;
  /** The guard's expected verdict. */
  readonly guard: GuardVerdict;
  /** Whether Kubernetes 1.34 refuses the update, and part of its message when it does. */
  readonly server: 'accepted' | RegExp;
  readonly options?: CheckOptions;
  /** Waits for the old state to settle before the update (a claim to be Bound). */
  readonly prepare?: (ns: string, id: string) => Promise<void>;
  /**
   * Why the guard cannot agree here: what decides the server's verdict is not in the manifests. The row says so,
   * and the test checks the server's verdict only.
   */
  readonly limit?: string;
  /** More checks once the new manifests are applied (for accepted changes). */
  readonly then?: (ns: string, id: string) => Promise<void>;
}

// Rules whose findings say "the API server refuses this": the server must refuse the update.
const REFUSAL_RULES = new Set([
  'statefulset-immutable-field',
  'statefulset-claim-template-renamed',
  'service-immutable-field',
  'storageclass-immutable-field',
  'pvc-immutable-field',
  'pvc-resize-not-allowed',
  'workload-selector-immutable',
  'job-immutable-field',
]);
const STS_FORBIDDEN = /spec: Forbidden: updates to statefulset spec for fields other than/;
const IMMUTABLE = /field is immutable/;
const IP_FIXED = /spec.clusterIPs\[0\]: Invalid value: .*may not change once set/;

let kube: Kube;
const rows: string[] = [];

beforeAll(() => {
  kube = Kube.fromEnv();
});
afterAll(() => {
  kube.close();
  if (process.env.CLUSTER_WORK) {
    const header = '| Change | Guard verdict | API server 1.34 verdict | Agree |\n|---|---|---|---|\n';
    writeFileSync(join(process.env.CLUSTER_WORK, 'guard-agreement.md'), header + rows.join('\n') + '\n');
  }
});

/** Deep copy with changes by dotted path (numeric parts index arrays); undefined deletes. */
function edit(object: Obj, changes: Record<string, unknown>): Obj {
  const copy = structuredClone(object);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    let current: any = copy;
    for (const key of keys.slice(0, -1)) {
      if (typeof current[key] !== 'object' || current[key] === null) {
        current[key] = {};
      }
      current = current[key];
    }
    const last = keys[keys.length - 1];
    if (value === undefined) {
      delete current[last];
    } else {
      current[last] = value;
    }
  }
  return copy;
}

/** The StatefulSet of a StatefulApp `web` (3 replicas, claim `www` 1Gi), as the library emits it. */
function libraryWeb(ns: string, props: Partial<StatefulAppProps> = {}): Obj {
  const objects = synthesize(ns, (chart: Chart) => {
    new StatefulApp(chart, 'web', {
      image: IMAGE,
      replicas: 3,
      ports: [{ name: 'http', port: 8080 }],
      volumes: [{ name: 'www', mountPath: '/data', size: gi(1), storageClass: DiskStorageClass.fromStorageClassName('guard-none') }],
      ...props,
    });
  });
  return objects.find((o) => o.kind === 'StatefulSet')!;
}
const web = (props: Partial<StatefulAppProps> = {}) => (ns: string) => [libraryWeb(ns, props)];
const webEdit = (changes: Record<string, unknown>, props: Partial<StatefulAppProps> = {}) => (ns: string) => [edit(libraryWeb(ns, props), changes)];

function service(ns: string, spec: Record<string, unknown>): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: ns }, spec: { selector: { app: 'x' }, ports: [{ name: 'http', port: 80 }], ...spec } };
}
function storageClass(id: string, fields: Record<string, unknown> = {}): Obj {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: `guard-${id}` }, provisioner: 'ebs.csi.aws.com', parameters: { type: 'gp3' }, reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer', ...fields };
}
/** A claim pre-bound to a PersistentVolume of 1Gi (bound claims are the ones that can grow). */
function boundClaim(ns: string, id: string, expansion: boolean, spec: Record<string, unknown> = {}): Obj[] {
  const cls = `guard-${id}`;
  return [
    { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: cls }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'Immediate', allowVolumeExpansion: expansion },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: cls },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: cls,
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: `/tmp/${cls}` },
        claimRef: { namespace: ns, name: 'data' },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: ns },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: cls, volumeName: cls, resources: { requests: { storage: '1Gi' } }, ...spec },
    },
  ];
}
/**
 * Waits until the claim `data` is Bound. The PV controller binds a pre-bound pair within a second or two
 * when it has seen both; a claim synced before its volume reached the controller's cache waits for the
 * controller's resync (every 15 s), and on a loaded machine that took more than two (a CI run waited 30 s
 * in vain). So up to 90 s.
 */
async function bound(ns: string): Promise<void> {
  await eventually(`PVC ${ns}/data Bound`, async () => ((await kube.get('v1', 'PersistentVolumeClaim', ns, 'data'))?.status?.phase === 'Bound' ? true : undefined), 90_000);
}
/** A claim on a WaitForFirstConsumer class that no pod uses: it stays Pending. */
function pendingClaim(ns: string, id: string, size: string, spec: Record<string, unknown> = {}): Obj[] {
  const cls = `guard-${id}`;
  return [
    { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: cls }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: cls },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: cls, persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: `/tmp/${cls}` } },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: ns },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: cls, resources: { requests: { storage: size } }, ...spec },
    },
  ];
}
function deployment(ns: string, kind: 'Deployment' | 'DaemonSet' | 'ReplicaSet', labels: Record<string, string>, image = IMAGE): Obj {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: 'wl', namespace: ns },
    spec: {
      ...(kind === 'DaemonSet' ? {} : { replicas: 1 }),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{ name: 'c', image, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
        },
      },
    },
  };
}
function job(ns: string, spec: Record<string, unknown> = {}, image = IMAGE, podSpec: Record<string, unknown> = {}): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'job', namespace: ns },
    spec: {
      suspend: true,
      template: {
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{ name: 'c', image, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
          ...podSpec,
        },
      },
      ...spec,
    },
  };
}

const none: GuardVerdict = { rule: null, severity: null };
const block = (rule: string): GuardVerdict => ({ rule, severity: Severity.BLOCK });
const warn = (rule: string): GuardVerdict => ({ rule, severity: Severity.WARN });
const immutableSts = block('statefulset-immutable-field');

function withClaims(ns: string, names: string[]): Obj {
  const base = libraryWeb(ns);
  const template = base.spec.volumeClaimTemplates[0];
  return edit(base, { 'spec.volumeClaimTemplates': names.map((n) => ({ ...structuredClone(template), metadata: { ...template.metadata, name: n } })) });
}

const CASES: Case[] = [
  // --- StatefulSet: refused by the API server ---
  { change: 'StatefulSet claim template storage grows (1Gi → 2Gi)', old: web(), new: webEdit({ 'spec.volumeClaimTemplates.0.spec.resources.requests.storage': '2Gi' }), guard: immutableSts, server: STS_FORBIDDEN },
  { change: 'StatefulSet claim template storage shrinks (1Gi → 512Mi)', old: web(), new: webEdit({ 'spec.volumeClaimTemplates.0.spec.resources.requests.storage': '512Mi' }), guard: immutableSts, server: STS_FORBIDDEN },
  { change: 'StatefulSet claim template storageClassName changes', old: web(), new: webEdit({ 'spec.volumeClaimTemplates.0.spec.storageClassName': 'other' }), guard: immutableSts, server: STS_FORBIDDEN },
  { change: 'StatefulSet claim template access modes change', old: web(), new: webEdit({ 'spec.volumeClaimTemplates.0.spec.accessModes': ['ReadWriteOncePod'] }), guard: immutableSts, server: STS_FORBIDDEN },
  { change: 'StatefulSet claim template gets a label', old: web(), new: webEdit({ 'spec.volumeClaimTemplates.0.metadata.labels.tier': 'db' }), guard: immutableSts, server: STS_FORBIDDEN },
  { change: 'StatefulSet claim template added', old: (ns) => [withClaims(ns, ['www'])], new: (ns) => [withClaims(ns, ['www', 'logs'])], guard: immutableSts, server: STS_FORBIDDEN },
  { change: 'StatefulSet claim template removed', old: (ns) => [withClaims(ns, ['www', 'logs'])], new: (ns) => [withClaims(ns, ['www'])], guard: immutableSts, server: STS_FORBIDDEN },
  { change: 'StatefulSet claim templates reordered', old: (ns) => [withClaims(ns, ['www', 'logs'])], new: (ns) => [withClaims(ns, ['logs', 'www'])], guard: immutableSts, server: STS_FORBIDDEN },
  { change: 'StatefulSet claim template renamed (www → data)', old: (ns) => [withClaims(ns, ['www'])], new: (ns) => [withClaims(ns, ['data'])], guard: block('statefulset-claim-template-renamed'), server: STS_FORBIDDEN },
  {
    change: 'StatefulSet selector gets a label (template too)',
    old: web(),
    new: webEdit({ 'spec.selector.matchLabels.tier': 'web', 'spec.template.metadata.labels.tier': 'web' }),
    guard: immutableSts,
    server: STS_FORBIDDEN,
  },
  { change: 'StatefulSet serviceName changes', old: web(), new: webEdit({ 'spec.serviceName': 'web-headless' }), guard: immutableSts, server: STS_FORBIDDEN },
  { change: 'StatefulSet podManagementPolicy OrderedReady → Parallel', old: web(), new: webEdit({ 'spec.podManagementPolicy': 'Parallel' }), guard: immutableSts, server: STS_FORBIDDEN },
  // --- StatefulSet: revisionHistoryLimit depends on the Kubernetes version ---
  {
    change: 'StatefulSet revisionHistoryLimit 10 → 3, kubernetesVersion 1.32',
    old: web(),
    new: webEdit({ 'spec.revisionHistoryLimit': 3 }),
    options: { kubernetesVersion: '1.32' },
    guard: immutableSts,
    server: 'accepted',
  },
  {
    change: 'StatefulSet revisionHistoryLimit 10 → 3, kubernetesVersion 1.34',
    old: web(),
    new: webEdit({ 'spec.revisionHistoryLimit': 3 }),
    options: { kubernetesVersion: '1.34' },
    guard: none,
    server: 'accepted',
  },
  { change: 'StatefulSet revisionHistoryLimit 10 → 3, no kubernetesVersion', old: web(), new: webEdit({ 'spec.revisionHistoryLimit': 3 }), guard: immutableSts, server: 'accepted' },
  // --- StatefulSet: safe ---
  { change: 'StatefulSet replicas 3 → 5', old: web(), new: web({ replicas: 5 }), guard: none, server: 'accepted' },
  { change: 'StatefulSet image changes (library)', old: web(), new: web({ image: 'nginxinc/nginx-unprivileged:1.27.0' }), guard: none, server: 'accepted' },
  { change: 'StatefulSet env and resources change (library)', old: web(), new: web({ podAnnotations: { a: '1' }, args: ['-g', 'daemon off;'] }), guard: none, server: 'accepted' },
  { change: 'StatefulSet updateStrategy gets a partition', old: web(), new: webEdit({ 'spec.updateStrategy': { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }), guard: none, server: 'accepted' },
  { change: 'StatefulSet minReadySeconds 0 → 30', old: web(), new: webEdit({ 'spec.minReadySeconds': 30 }), guard: none, server: 'accepted' },
  { change: 'StatefulSet object labels and annotations', old: web(), new: webEdit({ 'metadata.labels.team': 'a', 'metadata.annotations.note': 'x' }), guard: none, server: 'accepted' },
  {
    change: 'StatefulSet API server defaults spelled out (revisionHistoryLimit 10, volumeMode Filesystem, claim status {})',
    old: web(),
    new: webEdit({ 'spec.revisionHistoryLimit': 10, 'spec.volumeClaimTemplates.0.spec.volumeMode': 'Filesystem', 'spec.volumeClaimTemplates.0.status': {} }),
    guard: none,
    server: 'accepted',
  },
  // --- StatefulSet: accepted, with data consequences (see the data tests below) ---
  { change: 'StatefulSet retention whenScaled Retain → Delete', old: web(), new: web({ pvcRetentionPolicy: { whenScaled: PvcRetention.DELETE } }), guard: warn('statefulset-retention-delete'), server: 'accepted' },
  { change: 'StatefulSet scale-in 3 → 2 (whenScaled Retain)', old: web(), new: web({ replicas: 2 }), guard: warn('statefulset-scale-in'), server: 'accepted' },
  {
    change: 'StatefulSet scale-in 3 → 2 (whenScaled Delete)',
    old: web({ pvcRetentionPolicy: { whenScaled: PvcRetention.DELETE } }),
    new: web({ replicas: 2, pvcRetentionPolicy: { whenScaled: PvcRetention.DELETE } }),
    guard: block('statefulset-scale-in-deletes-pvcs'),
    server: 'accepted',
  },
  { change: 'StatefulSet ordinals.start 0 → 2', old: web(), new: web({ startOrdinal: 2 }), guard: warn('statefulset-scale-in'), server: 'accepted' },
  { change: 'StatefulSet renamed (web → web2)', old: web(), new: web({ name: 'web2' }), guard: block('statefulset-renamed'), server: 'accepted' },
  { change: 'StatefulSet removed', old: web(), new: () => [], guard: block('statefulset-removed'), server: 'accepted' },
  // --- Service ---
  { change: 'Service clusterIP 10.96.200.10 → 10.96.200.11', old: (ns) => [service(ns, { clusterIP: '10.96.200.10' })], new: (ns) => [service(ns, { clusterIP: '10.96.200.11' })], guard: block('service-immutable-field'), server: IP_FIXED },
  { change: 'Service with a cluster IP made headless (clusterIP: None)', old: (ns) => [service(ns, {})], new: (ns) => [service(ns, { clusterIP: 'None' })], guard: block('service-immutable-field'), server: IP_FIXED },
  { change: 'Service with an allocated cluster IP gets a pinned one', old: (ns) => [service(ns, {})], new: (ns) => [service(ns, { clusterIP: '10.96.200.30' })], guard: block('service-immutable-field'), server: IP_FIXED },
  {
    change: 'Headless Service loses clusterIP: None',
    old: (ns) => [service(ns, { clusterIP: 'None' })],
    new: (ns) => [service(ns, {})],
    guard: block('service-stays-headless'),
    server: 'accepted',
    then: async (ns) => {
      // What the guard warns about: the API server keeps None, the Service silently stays headless.
      expect((await kube.get('v1', 'Service', ns, 'svc'))?.spec.clusterIP).toBe('None');
    },
  },
  {
    change: 'Service pinned clusterIP removed from the manifest',
    old: (ns) => [service(ns, { clusterIP: '10.96.200.20' })],
    new: (ns) => [service(ns, {})],
    guard: none,
    server: 'accepted',
    then: async (ns) => {
      expect((await kube.get('v1', 'Service', ns, 'svc'))?.spec.clusterIP).toBe('10.96.200.20');
    },
  },
  { change: 'Service ports and selector change', old: (ns) => [service(ns, {})], new: (ns) => [service(ns, { selector: { app: 'y' }, ports: [{ name: 'https', port: 443 }] })], guard: none, server: 'accepted' },
  {
    change: 'Service type ClusterIP → ExternalName',
    old: (ns) => [service(ns, {})],
    new: (ns) => [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: ns }, spec: { type: 'ExternalName', externalName: 'db.example.com' } }],
    guard: warn('service-type-change'),
    server: 'accepted',
  },
  // --- StorageClass ---
  { change: 'StorageClass provisioner changes', old: (_, id) => [storageClass(id)], new: (_, id) => [storageClass(id, { provisioner: 'pd.csi.storage.gke.io' })], guard: block('storageclass-immutable-field'), server: /updates to provisioner are forbidden/ },
  { change: 'StorageClass parameters change', old: (_, id) => [storageClass(id)], new: (_, id) => [storageClass(id, { parameters: { type: 'io2' } })], guard: block('storageclass-immutable-field'), server: /updates to parameters are forbidden/ },
  { change: 'StorageClass reclaimPolicy changes', old: (_, id) => [storageClass(id)], new: (_, id) => [storageClass(id, { reclaimPolicy: 'Delete' })], guard: block('storageclass-immutable-field'), server: /updates to reclaimPolicy are forbidden/ },
  { change: 'StorageClass volumeBindingMode changes', old: (_, id) => [storageClass(id)], new: (_, id) => [storageClass(id, { volumeBindingMode: 'Immediate' })], guard: block('storageclass-immutable-field'), server: /updates to volumeBindingMode are forbidden|field is immutable/ },
  { change: 'StorageClass allowVolumeExpansion and mountOptions change', old: (_, id) => [storageClass(id)], new: (_, id) => [storageClass(id, { allowVolumeExpansion: true, mountOptions: ['noatime'] })], guard: none, server: 'accepted' },
  // --- PersistentVolumeClaim (bound) ---
  { change: 'bound PVC grows on a class that allows expansion', old: (ns, id) => boundClaim(ns, id, true), prepare: bound, new: (ns, id) => boundClaim(ns, id, true, { resources: { requests: { storage: '2Gi' } } }), guard: none, server: 'accepted' },
  {
    change: 'bound PVC grows on a class without allowVolumeExpansion',
    old: (ns, id) => boundClaim(ns, id, false),
    prepare: bound,
    new: (ns, id) => boundClaim(ns, id, false, { resources: { requests: { storage: '2Gi' } } }),
    guard: block('pvc-resize-not-allowed'),
    server: /storageclass that provisions the pvc must support resize/,
  },
  { change: 'bound PVC shrinks', old: (ns, id) => boundClaim(ns, id, true), prepare: bound, new: (ns, id) => boundClaim(ns, id, true, { resources: { requests: { storage: '512Mi' } } }), guard: block('pvc-immutable-field'), server: /field can not be less than status.capacity/ },
  { change: 'bound PVC access modes change', old: (ns, id) => boundClaim(ns, id, true), prepare: bound, new: (ns, id) => boundClaim(ns, id, true, { accessModes: ['ReadWriteOncePod'] }), guard: block('pvc-immutable-field'), server: /spec is immutable after creation/ },
  {
    change: 'Pending PVC (WaitForFirstConsumer, no pod yet) grows',
    old: (ns, id) => pendingClaim(ns, id, '1Gi'),
    new: (ns, id) => pendingClaim(ns, id, '2Gi'),
    guard: none,
    server: /spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims/,
    limit: 'only Bound claims can grow; whether a claim is Bound is cluster state, not in the manifests',
  },
  {
    change: 'Pending PVC gets spec.volumeName (binds it to a volume)',
    old: (ns, id) => pendingClaim(ns, id, '1Gi'),
    new: (ns, id) => pendingClaim(ns, id, '1Gi', { volumeName: `guard-${id}` }),
    guard: none,
    server: 'accepted',
  },
  { change: 'PVC labelled', old: (ns, id) => boundClaim(ns, id, true), new: (ns, id) => boundClaim(ns, id, true).map((o) => (o.kind === 'PersistentVolumeClaim' ? edit(o, { 'metadata.labels.backup': 'daily' }) : o)), guard: none, server: 'accepted' },
  { change: 'PVC removed from the manifests (pruned)', old: (ns, id) => boundClaim(ns, id, true), new: (ns, id) => boundClaim(ns, id, true).filter((o) => o.kind !== 'PersistentVolumeClaim'), guard: block('pvc-removed'), server: 'accepted' },
  // --- workloads and Jobs ---
  { change: 'Deployment selector gets a label', old: (ns) => [deployment(ns, 'Deployment', { app: 'wl' })], new: (ns) => [deployment(ns, 'Deployment', { app: 'wl', tier: 'x' })], guard: block('workload-selector-immutable'), server: IMMUTABLE },
  { change: 'DaemonSet selector gets a label', old: (ns) => [deployment(ns, 'DaemonSet', { app: 'wl' })], new: (ns) => [deployment(ns, 'DaemonSet', { app: 'wl', tier: 'x' })], guard: block('workload-selector-immutable'), server: IMMUTABLE },
  { change: 'ReplicaSet selector gets a label', old: (ns) => [deployment(ns, 'ReplicaSet', { app: 'wl' })], new: (ns) => [deployment(ns, 'ReplicaSet', { app: 'wl', tier: 'x' })], guard: block('workload-selector-immutable'), server: IMMUTABLE },
  { change: 'Deployment image changes', old: (ns) => [deployment(ns, 'Deployment', { app: 'wl' })], new: (ns) => [deployment(ns, 'Deployment', { app: 'wl' }, 'nginxinc/nginx-unprivileged:1.27.0')], guard: none, server: 'accepted' },
  { change: 'Job template image changes', old: (ns) => [job(ns, { suspend: false })], new: (ns) => [job(ns, { suspend: false }, 'nginxinc/nginx-unprivileged:1.27.0')], guard: block('job-immutable-field'), server: IMMUTABLE },
  { change: 'Job completions 1 → 3', old: (ns) => [job(ns, { completions: 1 })], new: (ns) => [job(ns, { completions: 3 })], guard: block('job-immutable-field'), server: IMMUTABLE },
  { change: 'Job parallelism 1 → 3', old: (ns) => [job(ns, { parallelism: 1 })], new: (ns) => [job(ns, { parallelism: 3 })], guard: none, server: 'accepted' },
  {
    change: 'Indexed Job completions and parallelism 2 → 4 together',
    old: (ns) => [job(ns, { completionMode: 'Indexed', completions: 2, parallelism: 2 })],
    new: (ns) => [job(ns, { completionMode: 'Indexed', completions: 4, parallelism: 4 })],
    guard: none,
    server: 'accepted',
  },
  {
    change: 'Indexed Job completions 2 → 4, parallelism unchanged',
    old: (ns) => [job(ns, { completionMode: 'Indexed', completions: 2, parallelism: 2 })],
    new: (ns) => [job(ns, { completionMode: 'Indexed', completions: 4, parallelism: 2 })],
    guard: block('job-immutable-field'),
    server: /can only be modified in tandem with spec.parallelism/,
  },
  {
    change: 'suspended Job (never started): nodeSelector and tolerations change',
    old: (ns) => [job(ns, { suspend: true })],
    new: (ns) => [job(ns, { suspend: true }, IMAGE, { nodeSelector: { 'kubernetes.io/os': 'linux' }, tolerations: [{ key: 'x', operator: 'Exists' }] })],
    guard: warn('job-scheduling-directives'),
    server: 'accepted',
  },
  {
    change: 'running Job: nodeSelector changes',
    old: (ns) => [job(ns, { suspend: false })],
    new: (ns) => [job(ns, { suspend: false }, IMAGE, { nodeSelector: { 'kubernetes.io/os': 'linux' } })],
    guard: block('job-immutable-field'),
    server: IMMUTABLE,
  },
];

function verdictOf(findings: Finding[]): GuardVerdict {
  const top = [...findings].sort((a, b) => Number(b.severity === Severity.BLOCK) - Number(a.severity === Severity.BLOCK))[0];
  return top ? { rule: top.rule, severity: top.severity } : none;
}

function label(v: GuardVerdict): string {
  return v.rule === null ? 'safe (no finding)' : `${v.severity} \`${v.rule}\``;
}

function key(o: Obj): string {
  return `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;
}

/** Applies `after` over `before` as GitOps does: server-side apply of each object, then pruning of the objects that left. */
async function sync(before: Obj[], after: Obj[]): Promise<{ ok: boolean; message: string }> {
  for (const object of after) {
    const result = await kube.apply(object, { fieldManager: 'gitops' });
    if (!result.ok) {
      return { ok: false, message: result.message };
    }
  }
  const kept = new Set(after.map(key));
  for (const object of before.filter((o) => !kept.has(key(o)))) {
    await kube.delete(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name, { propagationPolicy: 'Background' });
  }
  return { ok: true, message: '' };
}

describe('the guard against Kubernetes 1.34', () => {
  test.each(CASES)('$change', async (c) => {
    // GIVEN the old manifests in the cluster
    const ns = await restrictedNamespace(kube, 'guard');
    const id = suffix();
    const before = c.old(ns, id);
    const after = c.new(ns, id);
    await kube.applyAll(before, 'gitops');
    await c.prepare?.(ns, id);
    // WHEN the guard compares them and the new manifests are synced
    const findings = checkUpgrade(before, after, c.options).findings;
    const guard = verdictOf(findings);
    const server = await sync(before, after);
    // THEN both say what the table says
    const serverText = server.ok ? 'accepted' : `refused: "${server.message.replace(/^.*? is invalid: /, '').replace(/\s+/g, ' ').slice(0, 110)}…"`;
    const agree
      = guard.rule === null ? server.ok : REFUSAL_RULES.has(guard.rule) && guard.severity === Severity.BLOCK ? !server.ok : true;
    const told = c.options?.kubernetesVersion;
    const verdict = agree
      ? 'yes'
      : c.limit
        ? `no: ${c.limit}`
        : told
          ? `yes for a ${told} target (1.32 and older refuse it; this 1.34 server accepts it)`
          : 'blocks for the 1.28–1.32 it must assume, and says 1.33+ accept it (pass kubernetesVersion)';
    rows.push(`| ${c.change} | ${label(guard)} | ${serverText.replace(/\|/g, '\\|')} | ${verdict} |`);
    expect(label(guard)).toBe(label(c.guard));
    if (c.server === 'accepted') {
      expect(server).toEqual({ ok: true, message: '' });
      await c.then?.(ns, id);
    } else {
      expect(server.ok).toBe(false);
      expect(server.message).toMatch(c.server);
    }
    // A guard that refuses where 1.34 accepts must say that newer versions accept it.
    if (!agree && !c.limit) {
      expect(findings.map((f) => f.reason).join(' ')).toMatch(/1\.33 and newer accept/);
    }
  });
});

/** PVC names the guard lists in a text (`a, b and c`). */
function namesIn(text: string, pattern: RegExp): string[] {
  const match = text.match(pattern);
  if (!match) {
    throw new Error(`no PVC list matching ${pattern} in: ${text}`);
  }
  return match[1].split(/, | and /).map((s) => s.trim()).sort();
}

describe('data rules: the claims the controllers leave or delete are the ones the guard names', () => {
  let cls: string;
  beforeAll(async () => {
    cls = await localVolumes(kube, { perNode: 6, prefix: 'guard' });
  });
  /** A Ready StatefulApp `name` (no spreading, so scaling changes nothing else) with 3 claims bound. */
  function readyWeb(ns: string, props: Partial<StatefulAppProps> = {}): Obj[] {
    const objects = synthesize(ns, (chart: Chart) => {
      new StatefulApp(chart, 'web', {
        image: IMAGE,
        replicas: 3,
        ports: [{ name: 'http', port: 8080 }],
        volumes: [{ name: 'www', mountPath: '/data', size: gi(1), storageClass: DiskStorageClass.fromStorageClassName(cls) }],
        podAnnotations: AUTO_READY,
        spreadAcrossNodes: SpreadMode.NONE,
        disruptionBudget: undefined,
        ...props,
      });
    });
    return objects;
  }
  const claims = async (ns: string) => (await kube.list('v1', 'PersistentVolumeClaim', ns)).map((c) => c.metadata.name).sort();
  const sts = (objects: Obj[]) => objects.find((o) => o.kind === 'StatefulSet')!;

  test('GIVEN whenScaled Delete WHEN scaled 3 → 1 THEN the controller deletes exactly the PVCs the guard lists', async () => {
    const ns = await restrictedNamespace(kube, 'data-scale');
    const retention = { whenScaled: PvcRetention.DELETE };
    const before = readyWeb(ns, { pvcRetentionPolicy: retention });
    await kube.applyAll(before, 'gitops');
    await settled(kube, sts(before), 3);
    const after = readyWeb(ns, { pvcRetentionPolicy: retention, replicas: 1 });
    const finding = checkUpgrade(before, after).findings.find((f) => f.rule === 'statefulset-scale-in-deletes-pvcs')!;
    const named = namesIn(finding.reason, /deletes their PVCs (.+?) \(/);
    expect(named).toEqual(['www-web-1', 'www-web-2']);
    await sync(before, after);
    await settled(kube, sts(after), 1);
    const left = await eventually('the scaled-in claims gone', async () => {
      const list = await claims(ns);
      return list.length === 1 ? list : undefined;
    });
    expect(['www-web-0', 'www-web-1', 'www-web-2'].filter((c) => !left.includes(c))).toEqual(named);
  });

  test('GIVEN whenScaled Retain WHEN scaled 3 → 1 THEN the PVCs left unmounted are exactly the ones the guard lists', async () => {
    const ns = await restrictedNamespace(kube, 'data-retain');
    const before = readyWeb(ns);
    await kube.applyAll(before, 'gitops');
    await settled(kube, sts(before), 3);
    const after = readyWeb(ns, { replicas: 1 });
    const finding = checkUpgrade(before, after).findings.find((f) => f.rule === 'statefulset-scale-in')!;
    const named = namesIn(finding.reason, /Their PVCs (.+?) stay/);
    await sync(before, after);
    await settled(kube, sts(after), 1);
    const mounted = (await kube.list('v1', 'Pod', ns)).flatMap((p) => p.spec.volumes.filter((v: any) => v.persistentVolumeClaim).map((v: any) => v.persistentVolumeClaim.claimName));
    expect((await claims(ns)).filter((c) => !mounted.includes(c))).toEqual(named);
  });

  test('GIVEN a rename web → web2 WHEN synced (old set pruned) THEN the old PVCs stay and the new set gets the new empty ones the guard names', async () => {
    const ns = await restrictedNamespace(kube, 'data-rename');
    const before = readyWeb(ns);
    await kube.applyAll(before, 'gitops');
    await settled(kube, sts(before), 3);
    const oldUids = Object.fromEntries((await kube.list('v1', 'PersistentVolumeClaim', ns)).map((c) => [c.metadata.name, c.metadata.uid]));
    const after = readyWeb(ns, { name: 'web2' });
    const finding = checkUpgrade(before, after).findings.find((f) => f.rule === 'statefulset-renamed')!;
    const fresh = namesIn(finding.reason, /new empty volumes named (.+?)\./);
    const stranded = namesIn(finding.reason, /old PVCs (.+?) stay behind/);
    await sync(before, after);
    await settled(kube, sts(after), 3);
    const now = await kube.list('v1', 'PersistentVolumeClaim', ns);
    expect(now.map((c) => c.metadata.name).sort()).toEqual([...stranded, ...fresh].sort());
    for (const name of stranded) {
      expect(now.find((c) => c.metadata.name === name)?.metadata.uid).toBe(oldUids[name]);
    }
    expect(fresh).toEqual(['www-web2-0', 'www-web2-1', 'www-web2-2']);
  });

  test('GIVEN whenDeleted Delete WHEN the set is removed (pruned) THEN its PVCs, as the guard lists them, are deleted', async () => {
    const ns = await restrictedNamespace(kube, 'data-remove');
    const before = readyWeb(ns, { pvcRetentionPolicy: { whenDeleted: PvcRetention.DELETE } });
    await kube.applyAll(before, 'gitops');
    await settled(kube, sts(before), 3);
    const finding = checkUpgrade(before, []).findings.find((f) => f.rule === 'statefulset-removed-deletes-pvcs')!;
    const named = namesIn(finding.reason, /so do its PVCs (.+?) \(/);
    expect(named).toEqual(await claims(ns));
    await sync(before, []);
    await eventually('every PVC of the set deleted', async () => ((await claims(ns)).length === 0 ? true : undefined));
  });
});
