/**
 * What the cluster tests share: namespaces judged by Pod Security 'restricted', bindable local volumes on the
 * kwok nodes, synthesis of library constructs, and pod readiness under the test's control (see
 * scripts/cluster/stages/: a kwok pod runs at once but is Ready only while annotated ready=true).
 */
import { randomBytes } from 'crypto';
import { Chart, Size, Testing } from 'cdk8s';
import { eventually, Kube, KubeObject } from './kube';

/** Annotation that the kwok stages read: "true" makes a running pod Ready, "false" makes it not Ready. */
export const READY = 'cdk8s-stateful.test/ready';
/** Put on a pod template: every pod of the set turns Ready as soon as it runs. */
export const AUTO_READY = { [READY]: 'true' };
/** The three kwok nodes and their zones (scripts/cluster/nodes.yaml). */
export const NODES: Record<string, string> = { 'kwok-a': 'zone-a', 'kwok-b': 'zone-b', 'kwok-c': 'zone-c' };
/** Labels that make the real Pod Security admission enforce (and warn about) the 'restricted' profile. */
export const RESTRICTED = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/warn-version': 'latest',
  'pod-security.kubernetes.io/audit': 'restricted',
};
export const IMAGE = 'nginxinc/nginx-unprivileged:1.25.3';

/** A short random suffix, so tests running side by side never share a name. */
export function suffix(): string {
  return randomBytes(3).toString('hex');
}

/** Creates a namespace labelled Pod Security 'restricted' (enforce, warn, audit) and returns its name. */
export async function restrictedNamespace(kube: Kube, prefix: string): Promise<string> {
  const name = `${prefix}-${suffix()}`.slice(0, 63);
  await kube.applyAll([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: RESTRICTED } }], 'cluster-test-setup');
  // Pods need the namespace's default ServiceAccount, which the service-account controller creates.
  await eventually(`ServiceAccount ${name}/default`, () => kube.get('v1', 'ServiceAccount', name, 'default'));
  return name;
}

/**
 * A StorageClass without a provisioner (`kubernetes.io/no-provisioner`, WaitForFirstConsumer, Retain) and
 * `perNode` static `local` PersistentVolumes of `size` on each kwok node: the scheduler binds a claim to a
 * volume on the node it picks for the pod, and a re-created pod must return to that node.
 */
export async function localVolumes(kube: Kube, options: { perNode: number; size?: string; prefix?: string }): Promise<string> {
  const className = `${options.prefix ?? 'local'}-${suffix()}`;
  const objects: KubeObject[] = [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: className },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Retain',
    },
  ];
  for (const node of Object.keys(NODES)) {
    for (let i = 0; i < options.perNode; i++) {
      const name = `${className}-${node}-${i}`;
      objects.push({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, labels: { 'cluster-test/class': className } },
        spec: {
          capacity: { storage: options.size ?? '1Gi' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: className,
          local: { path: `/mnt/disks/${name}` },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
        },
      });
    }
  }
  await kube.applyAll(objects, 'cluster-test-setup');
  return className;
}

/** Synthesizes what `build` adds to a chart in `namespace`, with the library's own validation. */
export function synthesize(namespace: string, build: (chart: Chart) => void): KubeObject[] {
  const chart = new Chart(Testing.app(), 'test', { namespace });
  build(chart);
  return Testing.synth(chart) as KubeObject[];
}

/** The objects of one kind. */
export function ofKind(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** `key=value,...` of a selector's matchLabels. */
export function selectorOf(object: KubeObject): string {
  const labels: Record<string, string> = object.spec.selector.matchLabels;
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The pods of a StatefulSet (or any object with spec.selector.matchLabels), sorted by name. */
export async function podsOf(kube: Kube, set: KubeObject): Promise<KubeObject[]> {
  const pods = await kube.list('v1', 'Pod', set.metadata.namespace, selectorOf(set));
  return pods.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name, 'en', { numeric: true }));
}

export function isReady(pod: KubeObject | undefined): boolean {
  return (pod?.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

export function isTerminating(pod: KubeObject | undefined): boolean {
  return pod?.metadata.deletionTimestamp !== undefined;
}

/** Makes a pod Ready (or not Ready) through the annotation the kwok stages read, and waits until it is. */
export async function setReady(kube: Kube, namespace: string, pod: string, ready: boolean): Promise<KubeObject> {
  await kube.mergePatch('v1', 'Pod', namespace, pod, { metadata: { annotations: { [READY]: String(ready) } } });
  return eventually(`pod ${namespace}/${pod} Ready=${ready}`, async () => {
    const current = await kube.get('v1', 'Pod', namespace, pod);
    return current && isReady(current) === ready ? current : undefined;
  });
}

/** Names of the claims a pod mounts. */
export function claimsOf(pod: KubeObject): string[] {
  return (pod.spec.volumes ?? [])
    .filter((v: any) => v.persistentVolumeClaim)
    .map((v: any) => v.persistentVolumeClaim.claimName)
    .sort();
}

/** Waits until a StatefulSet's status reports `replicas` pods all Ready and on the update revision. */
export async function settled(kube: Kube, set: KubeObject, replicas: number, timeoutMs = 60000): Promise<KubeObject> {
  return eventually(
    `StatefulSet ${set.metadata.namespace}/${set.metadata.name}: ${replicas} Ready replicas on the update revision`,
    async () => {
      const current = await kube.get('apps/v1', 'StatefulSet', set.metadata.namespace, set.metadata.name);
      const s = current?.status ?? {};
      const ok
        = current
          && s.observedGeneration === current.metadata.generation
          && s.replicas === replicas
          && s.readyReplicas === replicas
          && (s.updatedReplicas ?? 0) === replicas
          && s.currentRevision === s.updateRevision;
      return ok ? current : undefined;
    },
    timeoutMs,
  );
}

/** Gibibytes as a cdk8s Size (a short alias for tests). */
export const gi = (n: number): Size => Size.gibibytes(n);
