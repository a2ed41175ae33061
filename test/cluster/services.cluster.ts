/**
 * Services and disruption budgets on the real EndpointSlice and disruption controllers: the headless
 * Service lists every pod as ready (publishNotReadyAddresses), the read Service only Ready pods, a write
 * Service exactly the primary, and the PDB allows one disruption at a time (evictions are refused beyond it).
 */
import { Chart, Size } from 'cdk8s';
import {
  DiskStorageClass, ReplicatedMySql, StatefulApp,
} from '../../src';
import { PodManagementPolicy } from 'cdk8s-plus-28';
import { AUTO_READY, gi, IMAGE, isReady, localVolumes, ofKind, podsOf, restrictedNamespace, setReady, settled, synthesize } from './fixtures';
import { eventually, Kube } from './kube';

let kube: Kube;
let storageClass: string;
let mysqlClass: string;

beforeAll(async () => {
  kube = Kube.fromEnv();
  storageClass = await localVolumes(kube, { perNode: 4, prefix: 'svc' });
  mysqlClass = await localVolumes(kube, { perNode: 2, size: '10Gi', prefix: 'mysql' });
});
afterAll(() => kube.close());

/** Pod name → ready condition, of the endpoints of a Service (all its EndpointSlices). */
async function endpoints(namespace: string, service: string): Promise<Record<string, boolean>> {
  const slices = await kube.list('discovery.k8s.io/v1', 'EndpointSlice', namespace, `kubernetes.io/service-name=${service}`);
  const result: Record<string, boolean> = {};
  for (const slice of slices) {
    for (const endpoint of slice.endpoints ?? []) {
      result[endpoint.targetRef?.name ?? endpoint.addresses[0]] = endpoint.conditions?.ready === true;
    }
  }
  return result;
}

/** Waits until a Service's endpoints are exactly `expected`. */
async function endpointsBecome(namespace: string, service: string, expected: Record<string, boolean>): Promise<Record<string, boolean>> {
  return eventually(`endpoints of Service ${service} = ${JSON.stringify(expected)}`, async () => {
    const current = await endpoints(namespace, service);
    return JSON.stringify(current, Object.keys(current).sort()) === JSON.stringify(expected, Object.keys(expected).sort()) ? current : undefined;
  });
}

describe('StatefulApp Services', () => {
  test('GIVEN web-2 not Ready WHEN the endpoints settle THEN the headless Service lists all 3 as ready, the read Service web-2 as not ready, the write Service only web-0', async () => {
    // GIVEN a set whose pods start together, two of them Ready
    const ns = await restrictedNamespace(kube, 'services');
    let app!: StatefulApp;
    const objects = synthesize(ns, (chart: Chart) => {
      app = new StatefulApp(chart, 'web', {
        image: IMAGE,
        replicas: 3,
        ports: [{ name: 'http', port: 8080 }],
        volumes: [{ name: 'www', mountPath: '/data', size: gi(1), storageClass: DiskStorageClass.fromStorageClassName(storageClass) }],
        podManagementPolicy: PodManagementPolicy.PARALLEL,
        readService: {},
      });
      app.addService('Primary', { podOrdinal: 0 });
    });
    await kube.applyAll(objects);
    const set = ofKind(objects, 'StatefulSet')[0];
    await eventually('3 running pods', async () => ((await podsOf(kube, set)).filter((p) => p.status?.podIP).length === 3 ? true : undefined));
    await setReady(kube, ns, 'web-0', true);
    await setReady(kube, ns, 'web-1', true);
    // THEN the headless governing Service publishes not-ready pods (peers find each other while starting)
    const headless = ofKind(objects, 'Service').find((s) => s.spec.clusterIP === 'None')!;
    expect(headless.metadata.name).toBe(app.service.name);
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    await endpointsBecome(ns, headless.metadata.name, { 'web-0': true, 'web-1': true, 'web-2': true });
    // THEN the read Service sends clients only to Ready pods
    await endpointsBecome(ns, app.readService!.name, { 'web-0': true, 'web-1': true, 'web-2': false });
    // THEN the write Service has exactly the primary
    await endpointsBecome(ns, 'web-primary', { 'web-0': true });
    // WHEN web-2 turns Ready and web-0 stops being Ready
    await setReady(kube, ns, 'web-2', true);
    await setReady(kube, ns, 'web-0', false);
    // THEN the read and write Services follow readiness; the headless one does not
    await endpointsBecome(ns, app.readService!.name, { 'web-0': false, 'web-1': true, 'web-2': true });
    await endpointsBecome(ns, 'web-primary', { 'web-0': false });
    await endpointsBecome(ns, headless.metadata.name, { 'web-0': true, 'web-1': true, 'web-2': true });
  });
});

describe('ReplicatedMySql Services', () => {
  test('GIVEN 3 Ready members WHEN the endpoints settle THEN primaryHost names a Service with exactly mysql-0 and readHost one with all members', async () => {
    // GIVEN
    const ns = await restrictedNamespace(kube, 'mysql');
    let mysql!: ReplicatedMySql;
    const objects = synthesize(ns, (chart: Chart) => {
      mysql = new ReplicatedMySql(chart, 'mysql', {
        replicas: 3,
        storage: { size: Size.gibibytes(10), storageClass: DiskStorageClass.fromStorageClassName(mysqlClass) },
        podAnnotations: AUTO_READY,
      });
    });
    await kube.applyAll(objects);
    const set = ofKind(objects, 'StatefulSet')[0];
    await settled(kube, set, 3);
    // THEN the host names are the Services' DNS names and select the right pods
    const primary = mysql.primaryHost.split('.')[0];
    const read = mysql.readHost.split('.')[0];
    expect(mysql.primaryHost).toBe(`${primary}.${ns}.svc.cluster.local`);
    expect(ofKind(objects, 'Service').map((s) => s.metadata.name)).toEqual(expect.arrayContaining([primary, read]));
    await endpointsBecome(ns, primary, { 'mysql-0': true });
    await endpointsBecome(ns, read, { 'mysql-0': true, 'mysql-1': true, 'mysql-2': true });
  });
});

describe('PodDisruptionBudget', () => {
  test('GIVEN 3 Ready pods and maxUnavailable 1 WHEN pods are not Ready THEN evictions are refused (not-Ready ones too, unless AlwaysAllow); once all are Ready one is allowed', async () => {
    // GIVEN
    const ns = await restrictedNamespace(kube, 'pdb');
    const objects = synthesize(ns, (chart: Chart) => {
      new StatefulApp(chart, 'web', {
        image: IMAGE,
        replicas: 3,
        ports: [{ name: 'http', port: 8080 }],
        volumes: [{ name: 'www', mountPath: '/data', size: gi(1), storageClass: DiskStorageClass.fromStorageClassName(storageClass) }],
        podAnnotations: AUTO_READY,
      });
    });
    await kube.applyAll(objects);
    const set = ofKind(objects, 'StatefulSet')[0];
    const pdb = ofKind(objects, 'PodDisruptionBudget')[0];
    expect(pdb.spec.maxUnavailable).toBe(1);
    await settled(kube, set, 3);
    const allowed = async (n: number) =>
      eventually(`PDB disruptionsAllowed ${n}`, async () => {
        const current = await kube.get('policy/v1', 'PodDisruptionBudget', ns, pdb.metadata.name);
        const settled = current?.status?.observedGeneration === current?.metadata.generation;
        return settled && current?.status?.disruptionsAllowed === n ? current : undefined;
      });
    const evict = async (pod: string) =>
      kube.request('POST', `/api/v1/namespaces/${ns}/pods/${pod}/eviction`, {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: pod, namespace: ns },
      });
    // THEN with every pod Ready, one disruption is allowed
    expect((await allowed(1)).status.currentHealthy).toBe(3);
    // WHEN web-1 stops being Ready
    await setReady(kube, ns, 'web-1', false);
    await allowed(0);
    // THEN evicting a healthy pod is refused (429: it would violate the budget)
    const refused = await evict('web-0');
    expect(refused.status).toBe(429);
    expect(JSON.stringify(refused.body)).toContain('disruption budget');
    // WHEN web-2 stops being Ready too (fewer healthy pods than the budget wants: a drain now waits)
    await setReady(kube, ns, 'web-2', false);
    await eventually('PDB currentHealthy 1', async () => ((await kube.get('policy/v1', 'PodDisruptionBudget', ns, pdb.metadata.name))?.status?.currentHealthy === 1 ? true : undefined));
    // THEN a not-Ready pod can be evicted only under unhealthyPodEvictionPolicy AlwaysAllow
    const policy: string = pdb.spec.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
    const unhealthy = await evict('web-1');
    expect(unhealthy.status).toBe(policy === 'AlwaysAllow' ? 201 : 429);
    // WHEN every pod is Ready again (an evicted pod returns Ready from its template)
    if (policy !== 'AlwaysAllow') {
      await setReady(kube, ns, 'web-1', true);
    }
    await setReady(kube, ns, 'web-2', true);
    await settled(kube, set, 3);
    await allowed(1);
    // THEN one eviction goes through, and the pod comes back
    const before = (await kube.get('v1', 'Pod', ns, 'web-0'))!;
    expect((await evict('web-0')).status).toBe(201);
    await eventually('web-0 back and Ready', async () => {
      const pod = await kube.get('v1', 'Pod', ns, 'web-0');
      return pod && pod.metadata.uid !== before.metadata.uid && isReady(pod) ? pod : undefined;
    });
  });
});
