/**
 * What the real-node suites share: the API client for the node's control plane (scripts/node/run.sh passes its
 * address and the admin certificate in NODE_* variables), the locally built images, `kubectl exec` into pods,
 * namespaces judged by Pod Security 'restricted', waiting for pods, and cleanup that frees the node's two cores
 * for the next test.
 */
import { spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import { isReady, RESTRICTED, selectorOf, suffix } from '../cluster/fixtures';
import { eventually, Kube, KubeObject } from '../cluster/kube';

export function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the node suites with 'npm run test:node' (scripts/node/run.sh), which starts the node`);
  }
  return value;
}

/** The client for the node's API server. */
export function nodeKube(): Kube {
  return new Kube(env('NODE_SERVER'), readFileSync(env('NODE_CA')), readFileSync(env('NODE_CERT')), readFileSync(env('NODE_KEY')));
}

/** Roles of the images scripts/node/build.sh builds. */
export type ImageRole = 'pause' | 'busybox' | 'nginx' | 'mysql' | 'coredns' | 'local-path';

/** role → reference of the locally built image (localhost/cdk8s-node/<name>:<version>). */
export function images(): Record<ImageRole, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(env('NODE_IMAGES_LIST'), 'utf8').split('\n')) {
    const [role, ref] = line.trim().split(/\s+/);
    if (role && ref) {
      out[role] = ref;
    }
  }
  return out;
}

/** The version part of an image reference (`localhost/x/mysql:9.7.4` → `9.7.4`). */
export function tagOf(ref: string): string {
  return ref.slice(ref.lastIndexOf(':') + 1);
}

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** kubectl against the node (synchronous; for exec, logs and what the client does not cover). */
export function kubectl(args: string[], options: { input?: string; timeoutMs?: number } = {}): Run {
  const res = spawnSync(env('NODE_KUBECTL'), ['--kubeconfig', env('NODE_KUBECONFIG'), ...args], {
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: res.status ?? -1, stdout: res.stdout ?? '', stderr: res.stderr ?? (res.error ? String(res.error) : '') };
}

/** Runs a command in a container of a pod (`kubectl exec`); never throws (look at `status`). */
export function exec(
  namespace: string, pod: string, command: string[], options: { container?: string; input?: string; timeoutMs?: number } = {},
): Run {
  const args = ['-n', namespace, 'exec', ...(options.input !== undefined ? ['-i'] : []), pod, ...(options.container ? ['-c', options.container] : []), '--', ...command];
  return kubectl(args, { input: options.input, timeoutMs: options.timeoutMs });
}

/** Like `exec`, but throws with the command's output unless it exits 0; returns stdout. */
export function execOk(
  namespace: string, pod: string, command: string[], options: { container?: string; input?: string; timeoutMs?: number } = {},
): string {
  const res = exec(namespace, pod, command, options);
  if (res.status !== 0) {
    throw new Error(`exec in ${namespace}/${pod}: ${command.join(' ')}: exit ${res.status}: ${res.stderr.trim() || res.stdout.trim()}`);
  }
  return res.stdout;
}

/** Creates a namespace labelled Pod Security 'restricted' (enforce, warn, audit) and returns its name. */
export async function restrictedNamespace(kube: Kube, prefix: string, name?: string): Promise<string> {
  const ns = name ?? `${prefix}-${suffix()}`.slice(0, 63);
  await kube.applyAll([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: RESTRICTED } }], 'node-test-setup');
  await eventually(`ServiceAccount ${ns}/default`, () => kube.get('v1', 'ServiceAccount', ns, 'default'));
  return ns;
}

/**
 * Deletes a namespace and waits until it is gone, its pods killed at once (grace period 0): the next test gets
 * the node's CPU and memory back. The claims' volumes go with it (local-path's reclaim policy is Delete).
 */
export async function deleteNamespace(kube: Kube, namespace: string, timeoutMs = 180000): Promise<void> {
  for (const pod of await kube.list('v1', 'Pod', namespace)) {
    await kube.delete('v1', 'Pod', namespace, pod.metadata.name, { gracePeriodSeconds: 0 });
  }
  await kube.delete('v1', 'Namespace', undefined, namespace);
  await eventually(`namespace ${namespace} gone`, async () => (await kube.get('v1', 'Namespace', undefined, namespace)) === undefined, timeoutMs, 500);
}

/** The pods of a workload (by its selector), sorted by name with numeric ordinals. */
export async function podsOf(kube: Kube, workload: KubeObject): Promise<KubeObject[]> {
  const pods = await kube.list('v1', 'Pod', workload.metadata.namespace, selectorOf(workload));
  return pods.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name, 'en', { numeric: true }));
}

/** Waits until pod `name` exists with another uid than `notUid` (if given) and is Ready; returns it. */
export async function readyPod(
  kube: Kube, namespace: string, name: string, options: { notUid?: string; timeoutMs?: number } = {},
): Promise<KubeObject> {
  return eventually(`pod ${namespace}/${name} Ready${options.notUid ? ' (a new one)' : ''}`, async () => {
    const pod = await kube.get('v1', 'Pod', namespace, name);
    return pod && pod.metadata.uid !== options.notUid && isReady(pod) && pod.metadata.deletionTimestamp === undefined ? pod : undefined;
  }, options.timeoutMs ?? 180000, 500);
}

/** Waits until a StatefulSet has `replicas` pods, all Ready and on the update revision. */
export async function settled(kube: Kube, set: KubeObject, replicas: number, timeoutMs = 300000): Promise<KubeObject> {
  return eventually(`StatefulSet ${set.metadata.namespace}/${set.metadata.name}: ${replicas} Ready replicas on the update revision`, async () => {
    const current = await kube.get('apps/v1', 'StatefulSet', set.metadata.namespace, set.metadata.name);
    const s = current?.status ?? {};
    const ok = current
      && s.observedGeneration === current.metadata.generation
      && (s.replicas ?? 0) === replicas
      && (s.readyReplicas ?? 0) === replicas
      && (s.updatedReplicas ?? 0) === replicas
      && s.currentRevision === s.updateRevision;
    return ok ? current : undefined;
  }, timeoutMs, 500);
}

/** The addresses of an EndpointSlice set of a Service: ready ones by pod name (targetRef), sorted. */
export async function endpointPods(kube: Kube, namespace: string, service: string): Promise<{ ready: string[]; notReady: string[] }> {
  const slices = await kube.list('discovery.k8s.io/v1', 'EndpointSlice', namespace, `kubernetes.io/service-name=${service}`);
  const ready: string[] = [];
  const notReady: string[] = [];
  for (const slice of slices) {
    for (const e of slice.endpoints ?? []) {
      const name = e.targetRef?.name ?? e.addresses?.[0];
      (e.conditions?.ready === true ? ready : notReady).push(name);
    }
  }
  return { ready: ready.sort(), notReady: notReady.sort() };
}

/** A line for the test's output (the run's log shows what the node did). */
export function note(text: string): void {
  process.stdout.write(`${text}\n`);
}
