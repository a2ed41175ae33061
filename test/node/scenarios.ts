/**
 * StatefulSet scenarios on the real node that hold for any synthesized StatefulSet, whatever its name,
 * namespace, image, replicas or claims: used by the library's own node suites and by
 * `npm run test:node -- --manifests DIR` (test/node/manifests.node.ts).
 *
 *   ordered-start           pods created in ordinal order, each after its predecessor is Ready (OrderedReady;
 *                           Parallel: all created before any is Ready is allowed), all Ready in the end
 *   per-pod-dns             <pod>.<service>.<ns>.svc.cluster.local resolves to that pod's IP, and the headless
 *                           Service's name to every pod's IP (CoreDNS reading the real EndpointSlices)
 *   pod-returns-with-claim  a pod deleted returns with its name, its claims (same uid, same volume) and the data
 *                           written into them
 *   scale-keeps-claims      one replica fewer: the highest ordinal goes, its claims stay (whenScaled Retain) or go
 *                           (Delete); back up: the pod returns on the same claims with their data
 *
 * Data goes into a claim through an ephemeral container (busybox, the pod's user) that mounts the pod's claim
 * volumes: it works with any image, also one without a shell.
 */
import { isReady } from '../cluster/fixtures';
import { eventually, Kube, KubeObject, sleep, Watch } from '../cluster/kube';
import { execOk, images, kubectl, podsOf, readyPod, settled } from './node-env';

/** One StatefulSet under test: the object as synthesized (and applied). */
export interface SetUnderTest {
  readonly kube: Kube;
  readonly set: KubeObject;
}

/** What a scenario reports besides PASS/FAIL: `key=value` pairs for the SCENARIO line. */
export type Details = Record<string, string | number>;

export const ns = (t: SetUnderTest): string => t.set.metadata.namespace!;
export const nameOf = (t: SetUnderTest): string => t.set.metadata.name;
export const replicasOf = (t: SetUnderTest): number => t.set.spec.replicas ?? 1;
export const startOf = (t: SetUnderTest): number => t.set.spec.ordinals?.start ?? 0;
export const ordinals = (t: SetUnderTest, replicas = replicasOf(t)): number[] => Array.from({ length: replicas }, (_, i) => startOf(t) + i);
export const podName = (t: SetUnderTest, ordinal: number): string => `${nameOf(t)}-${ordinal}`;
export const policyOf = (t: SetUnderTest): string => t.set.spec.podManagementPolicy ?? 'OrderedReady';
export const claimTemplates = (t: SetUnderTest): string[] => (t.set.spec.volumeClaimTemplates ?? []).map((c: any) => c.metadata.name);
export const claimName = (t: SetUnderTest, template: string, ordinal: number): string => `${template}-${nameOf(t)}-${ordinal}`;
export const podDns = (t: SetUnderTest, ordinal: number): string => `${podName(t, ordinal)}.${t.set.spec.serviceName}.${ns(t)}.svc.cluster.local`;

const ADDED = (w: Watch) => w.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name);

// --- a client pod for DNS and HTTP -------------------------------------------------------------------------------

/** A busybox pod in the namespace (restricted-compliant) to ask DNS and Services from; returns its name. */
export async function clientPod(kube: Kube, namespace: string, name = 'node-test-client'): Promise<string> {
  if (!(await kube.get('v1', 'Pod', namespace, name))) {
    await kube.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels: { 'cdk8s-stateful.test/client': 'true' } },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 0,
        containers: [{
          name: 'client',
          image: images().busybox,
          command: ['sleep', '86400'],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
        }],
      },
    });
  }
  await readyPod(kube, namespace, name, { timeoutMs: 60000 });
  return name;
}

/** The IPv4 addresses a name resolves to from the client pod (busybox nslookup); [] for NXDOMAIN. */
export function resolve(namespace: string, client: string, host: string): string[] {
  const res = kubectl(['-n', namespace, 'exec', client, '--', 'nslookup', '-type=a', host]);
  if (res.status !== 0) {
    return [];
  }
  // busybox prints the server first ("Server: 10.96.0.10", "Address: 10.96.0.10:53"), then the answers.
  const answers = res.stdout.split(/\n\s*\n/).slice(1).join('\n');
  return [...answers.matchAll(/Address:\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]).sort();
}

// --- data in claims through an ephemeral container ---------------------------------------------------------------

let debuggers = 0;

/**
 * Runs `script` (sh) in a new ephemeral busybox container of `pod` that mounts the pod's claim volumes at
 * /claims/<template>; returns its output. The container runs as the pod's user (or 65534) under 'restricted'.
 */
export async function inClaims(kube: Kube, namespace: string, pod: string, script: string): Promise<string> {
  const current = (await kube.get('v1', 'Pod', namespace, pod))!;
  const claimVolumes = (current.spec.volumes ?? []).filter((v: any) => v.persistentVolumeClaim);
  const podSc = current.spec.securityContext ?? {};
  const name = `claims-${Date.now().toString(36)}-${debuggers++}`;
  const done = '/tmp/.done';
  await kube.ok('PATCH', `/api/v1/namespaces/${namespace}/pods/${pod}/ephemeralcontainers`, {
    spec: {
      ephemeralContainers: [{
        name,
        image: images().busybox,
        command: ['sh', '-c', `${script}\ntouch ${done} 2>/dev/null; exec sleep 3600`],
        volumeMounts: claimVolumes.map((v: any) => ({ name: v.name, mountPath: `/claims/${v.name}` })),
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          runAsNonRoot: true,
          runAsUser: podSc.runAsUser ?? 65534,
          runAsGroup: podSc.runAsGroup ?? podSc.runAsUser ?? 65534,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        terminationMessagePolicy: 'FallbackToLogsOnError',
      }],
    },
  }, 'application/strategic-merge-patch+json');
  await eventually(`ephemeral container ${name} in ${namespace}/${pod} to run`, async () => {
    const p = await kube.get('v1', 'Pod', namespace, pod);
    const s = (p?.status?.ephemeralContainerStatuses ?? []).find((x: any) => x.name === name);
    return s?.state?.running !== undefined || s?.state?.terminated !== undefined;
  }, 60000, 300);
  // The script has finished once its log is complete: wait for the marker the wrapper leaves (or its exit).
  await eventually(`the script in ${namespace}/${pod}/${name}`, () => {
    const r = kubectl(['-n', namespace, 'exec', pod, '-c', name, '--', 'test', '-e', done]);
    return Promise.resolve(r.status === 0);
  }, 60000, 300);
  return kubectl(['-n', namespace, 'logs', pod, '-c', name]).stdout;
}

/** Writes `token` into a file on every claim of the pod. */
export async function markClaims(kube: Kube, namespace: string, pod: string, token: string): Promise<void> {
  const out = await inClaims(kube, namespace, pod, `for d in /claims/*; do echo ${token} > "$d/.node-test-marker" && echo "wrote $d"; done`);
  if (!out.includes('wrote')) {
    throw new Error(`could not write a marker on the claims of ${namespace}/${pod}: ${out}`);
  }
}

/** The markers found on the pod's claims: template → token ('' when missing). */
export async function readMarkers(kube: Kube, namespace: string, pod: string): Promise<Record<string, string>> {
  const out = await inClaims(kube, namespace, pod, 'for d in /claims/*; do echo "$(basename "$d")=$(cat "$d/.node-test-marker" 2>/dev/null)"; done');
  return Object.fromEntries(out.trim().split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** claim name → { uid, volume } for every claim of a pod ordinal. */
async function claimsOfOrdinal(t: SetUnderTest, ordinal: number): Promise<Record<string, { uid: string; volume: string }>> {
  const out: Record<string, { uid: string; volume: string }> = {};
  for (const template of claimTemplates(t)) {
    const name = claimName(t, template, ordinal);
    const pvc = await t.kube.get('v1', 'PersistentVolumeClaim', ns(t), name);
    if (pvc) {
      out[name] = { uid: pvc.metadata.uid, volume: pvc.spec.volumeName };
    }
  }
  return out;
}

// --- the scenarios --------------------------------------------------------------------------------------------

/**
 * Applies nothing: the caller applied the set (with `watch` started before). Checks the creation order the
 * watch saw and waits until every pod is Ready.
 */
export async function orderedStart(t: SetUnderTest, watch: Watch, timeoutMs = 600000): Promise<Details> {
  const started = Date.now();
  await settled(t.kube, t.set, replicasOf(t), timeoutMs);
  const tookS = ((Date.now() - started) / 1000).toFixed(1);
  const expected = ordinals(t).map((o) => podName(t, o));
  const created = ADDED(watch).filter((n) => expected.includes(n));
  const firstCreation = expected.map((n) => created.indexOf(n));
  if (policyOf(t) === 'OrderedReady') {
    expect(created.slice(0, expected.length)).toEqual(expected);
    for (let i = 1; i < expected.length; i++) {
      const createdAt = watch.events.findIndex((e) => e.type === 'ADDED' && e.object.metadata.name === expected[i]);
      const predecessorReadyAt = watch.events.findIndex((e) => e.object.metadata.name === expected[i - 1] && isReady(e.object));
      // The predecessor turned Ready before this pod was created (the watch delivers pod events in store order).
      expect(predecessorReadyAt).toBeGreaterThanOrEqual(0);
      expect(predecessorReadyAt).toBeLessThan(createdAt);
    }
  } else {
    expect([...created].sort()).toEqual([...expected].sort());
    expect(firstCreation.every((i) => i >= 0)).toBe(true);
  }
  return { policy: policyOf(t), pods: expected.length, order: created.join(','), ready_s: tookS };
}

/** Each pod's DNS name resolves to its IP; the headless Service's name to all of them. */
export async function perPodDns(t: SetUnderTest): Promise<Details> {
  const client = await clientPod(t.kube, ns(t));
  const pods = await podsOf(t.kube, t.set);
  const ips: string[] = [];
  const answers: Details = {};
  for (const o of ordinals(t)) {
    const pod = pods.find((p) => p.metadata.name === podName(t, o));
    expect(pod?.status?.podIP).toBeDefined();
    ips.push(pod!.status.podIP);
    const answer = await eventually(`${podDns(t, o)} to resolve to ${pod!.status.podIP}`, () => {
      const got = resolve(ns(t), client, podDns(t, o));
      return Promise.resolve(got.length === 1 && got[0] === pod!.status.podIP ? got : undefined);
    }, 30000, 1000);
    expect(answer).toEqual([pod!.status.podIP]);
    answers[`${podName(t, o)}.${t.set.spec.serviceName}`] = answer[0];
  }
  const service = `${t.set.spec.serviceName}.${ns(t)}.svc.cluster.local`;
  const all = await eventually(`${service} to resolve to every pod`, () => {
    const got = resolve(ns(t), client, service);
    return Promise.resolve(got.join(',') === [...ips].sort().join(',') ? got : undefined);
  }, 30000, 1000);
  expect(all).toEqual([...ips].sort());
  return { ...answers, [t.set.spec.serviceName]: all.join(',') };
}

/** The highest ordinal is deleted and returns with its name, claims, volumes and data. */
export async function podReturnsWithClaim(t: SetUnderTest, ordinal = ordinals(t).slice(-1)[0], timeoutMs = 600000): Promise<Details> {
  const name = podName(t, ordinal);
  const before = (await t.kube.get('v1', 'Pod', ns(t), name))!;
  const claims = await claimsOfOrdinal(t, ordinal);
  const token = `returns-${Date.now()}`;
  if (claimTemplates(t).length > 0) {
    await markClaims(t.kube, ns(t), name, token);
  }
  await t.kube.delete('v1', 'Pod', ns(t), name);
  const after = await readyPod(t.kube, ns(t), name, { notUid: before.metadata.uid, timeoutMs });
  expect(after.metadata.name).toBe(name);
  expect(await claimsOfOrdinal(t, ordinal)).toEqual(claims);
  const mounted = (after.spec.volumes ?? []).filter((v: any) => v.persistentVolumeClaim).map((v: any) => v.persistentVolumeClaim.claimName).sort();
  expect(mounted).toEqual(Object.keys(claims).sort());
  if (claimTemplates(t).length > 0) {
    const markers = await readMarkers(t.kube, ns(t), name);
    expect(Object.values(markers)).toEqual(claimTemplates(t).map(() => token));
  }
  return { pod: name, claims: Object.keys(claims).length, data: claimTemplates(t).length > 0 ? 'kept' : 'no-claims' };
}

/** One replica fewer and back: the claims of the removed ordinal stay (Retain) and are reused, with their data. */
export async function scaleKeepsClaims(t: SetUnderTest, timeoutMs = 600000): Promise<Details> {
  const replicas = replicasOf(t);
  const victim = ordinals(t).slice(-1)[0];
  const name = podName(t, victim);
  const whenScaled = t.set.spec.persistentVolumeClaimRetentionPolicy?.whenScaled ?? 'Retain';
  const claims = await claimsOfOrdinal(t, victim);
  const token = `scaled-${Date.now()}`;
  if (claimTemplates(t).length > 0) {
    await markClaims(t.kube, ns(t), name, token);
  }
  const scale = (n: number) => t.kube.mergePatch('apps/v1', 'StatefulSet', ns(t), nameOf(t), { spec: { replicas: n } });
  await scale(replicas - 1);
  await eventually(`${name} gone after scaling to ${replicas - 1}`, async () => (await t.kube.get('v1', 'Pod', ns(t), name)) === undefined, timeoutMs, 500);
  await sleep(2000);
  const left = await claimsOfOrdinal(t, victim);
  if (whenScaled === 'Retain') {
    expect(left).toEqual(claims);
  } else {
    await eventually(`the claims of ${name} deleted (whenScaled Delete)`, async () => Object.keys(await claimsOfOrdinal(t, victim)).length === 0, 60000, 500);
  }
  await scale(replicas);
  await settled(t.kube, t.set, replicas, timeoutMs);
  const back = await claimsOfOrdinal(t, victim);
  if (whenScaled === 'Retain') {
    expect(back).toEqual(claims);
    if (claimTemplates(t).length > 0) {
      expect(Object.values(await readMarkers(t.kube, ns(t), name))).toEqual(claimTemplates(t).map(() => token));
    }
  } else {
    expect(Object.keys(back).sort()).toEqual(Object.keys(claims).sort());
    for (const c of Object.keys(back)) expect(back[c].uid).not.toBe(claims[c].uid);
  }
  return { scaled: `${replicas}-${replicas - 1}-${replicas}`, whenScaled, claims: Object.keys(claims).length, data: whenScaled === 'Retain' ? 'kept' : 'new' };
}

/**
 * An HTTP/1.0 GET from the client pod with busybox nc (Debian's static busybox wget crashes); returns the
 * status code and the body.
 */
export function httpGet(namespace: string, client: string, host: string, port: number, path: string): { status: number; body: string } {
  const out = execOk(namespace, client, ['sh', '-c', `printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' "$1" "$2" | nc -w 5 "$2" "$3"`, 'get', path, host, String(port)]);
  const split = out.indexOf('\r\n\r\n');
  const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(out)?.[1] ?? 0);
  return { status, body: split >= 0 ? out.slice(split + 4) : '' };
}
