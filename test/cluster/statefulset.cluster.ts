/**
 * The seeds' StatefulSet experiments on the real controllers, with sets built by StatefulApp: ordered and
 * readiness-gated creation, Parallel creation, scale-in in reverse order with claims kept (Retain) or deleted
 * (whenScaled: Delete), and a deleted pod that returns with its name, claim and node.
 */
import { Chart } from 'cdk8s';
import {
  DiskStorageClass, PvcRetention, SpreadMode, StatefulApp, StatefulAppProps,
} from '../../src';
import { PodManagementPolicy } from 'cdk8s-plus-28';
import { AUTO_READY, claimsOf, gi, IMAGE, isReady, localVolumes, ofKind, podsOf, restrictedNamespace, setReady, settled, synthesize } from './fixtures';
import { eventually, Kube, KubeObject, sleep } from './kube';

let kube: Kube;
let storageClass: string;

beforeAll(async () => {
  kube = Kube.fromEnv();
  // 5 tests × 3 claims: 6 volumes per node leave room for any spread.
  storageClass = await localVolumes(kube, { perNode: 6, prefix: 'sts' });
});
afterAll(() => kube.close());

/** Synthesizes a StatefulApp `web` (3 replicas, a 1Gi claim `www` on the test class) and applies it. */
async function deploy(
  namespace: string, props: Partial<StatefulAppProps> = {},
): Promise<{ app: StatefulApp; set: KubeObject; objects: KubeObject[] }> {
  let app!: StatefulApp;
  const objects = synthesize(namespace, (chart: Chart) => {
    app = new StatefulApp(chart, 'web', {
      image: IMAGE,
      replicas: 3,
      ports: [{ name: 'http', port: 8080 }],
      volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: gi(1), storageClass: DiskStorageClass.fromStorageClassName(storageClass) }],
      ...props,
    });
  });
  await kube.applyAll(objects);
  return { app, set: ofKind(objects, 'StatefulSet')[0], objects };
}

const names = (pods: KubeObject[]) => pods.map((p) => p.metadata.name);
const added = (events: Array<{ type: string; object: KubeObject }>) => events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name);
const deleted = (events: Array<{ type: string; object: KubeObject }>) => events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata.name);

describe('OrderedReady (the default)', () => {
  test('GIVEN 3 replicas WHEN applied THEN web-0, web-1, web-2 are created one at a time, each only after the previous one is Ready', async () => {
    // GIVEN a namespace and a watch on its pods
    const ns = await restrictedNamespace(kube, 'ordered');
    const watch = await kube.watch('v1', 'Pod', ns);
    // WHEN the set is applied (pods are not Ready until the test says so)
    const { app, set } = await deploy(ns);
    try {
      for (const ordinal of [0, 1, 2]) {
        const name = app.podName(ordinal);
        // THEN the next pod appears...
        await eventually(`pod ${name} created`, async () => (await kube.get('v1', 'Pod', ns, name)) ?? false);
        // ...and no later one while it is not Ready (the controller re-syncs in well under 2s)
        await sleep(2000);
        expect(names(await podsOf(kube, set))).toEqual([0, 1, 2].filter((i) => i <= ordinal).map((i) => app.podName(i)));
        await setReady(kube, ns, name, true);
      }
      await settled(kube, set, 3);
      // THEN the watch saw them created in ordinal order, each after its predecessor turned Ready
      expect(added(watch.events)).toEqual(['web-0', 'web-1', 'web-2']);
      for (const ordinal of [1, 2]) {
        const createdAt = watch.events.findIndex((e) => e.type === 'ADDED' && e.object.metadata.name === `web-${ordinal}`);
        const readyAt = watch.events.findIndex((e) => e.object.metadata.name === `web-${ordinal - 1}` && isReady(e.object));
        expect(readyAt).toBeGreaterThanOrEqual(0);
        expect(readyAt).toBeLessThan(createdAt);
      }
      // THEN each pod mounts its own claim, named <template>-<set>-<ordinal> as app.pvcName says
      for (const pod of await podsOf(kube, set)) {
        const ordinal = Number(pod.metadata.name.split('-').pop());
        expect(claimsOf(pod)).toEqual([app.pvcName('www', ordinal)]);
      }
    } finally {
      watch.stop();
    }
  });

  test('GIVEN 3 Ready pods WHEN scaled to 1 THEN web-2 goes before web-1, all claims stay (Retain), and scaling back re-attaches them', async () => {
    // GIVEN
    const ns = await restrictedNamespace(kube, 'scalein');
    // Spreading is emitted only for replicas > 1: without it on both sides, the scale changes nothing else.
    const fixed = { podAnnotations: AUTO_READY, spreadAcrossNodes: SpreadMode.NONE };
    const { set } = await deploy(ns, fixed);
    await settled(kube, set, 3);
    const claimsBefore = await kube.list('v1', 'PersistentVolumeClaim', ns);
    const uid = Object.fromEntries(claimsBefore.map((c) => [c.metadata.name, c.metadata.uid]));
    expect(Object.keys(uid).sort()).toEqual(['www-web-0', 'www-web-1', 'www-web-2']);
    const watch = await kube.watch('v1', 'Pod', ns);
    try {
      // WHEN scaled in through the library (replicas: 1), applied as GitOps would
      await deploy(ns, { ...fixed, replicas: 1 });
      await settled(kube, set, 1);
      // THEN the highest ordinal went first
      expect(deleted(watch.events)).toEqual(['web-2', 'web-1']);
      // THEN every claim is still there, the same objects (whenScaled: Retain)
      const claimsAfter = await kube.list('v1', 'PersistentVolumeClaim', ns);
      expect(Object.fromEntries(claimsAfter.map((c) => [c.metadata.name, c.metadata.uid]))).toEqual(uid);
      // WHEN scaled back to 3
      await deploy(ns, { ...fixed, replicas: 3 });
      await settled(kube, set, 3);
      // THEN the pods mount the same claims (same uids), still bound to the same volumes
      for (const pod of await podsOf(kube, set)) {
        const [claim] = claimsOf(pod);
        const pvc = await kube.get('v1', 'PersistentVolumeClaim', ns, claim);
        expect(pvc?.metadata.uid).toBe(uid[claim]);
        expect(pvc?.status.phase).toBe('Bound');
      }
    } finally {
      watch.stop();
    }
  });

  test('GIVEN a Ready set WHEN web-1 is deleted THEN a new web-1 returns with the same claim, on the node of its volume', async () => {
    // GIVEN
    const ns = await restrictedNamespace(kube, 'recreate');
    const { set } = await deploy(ns, { podAnnotations: AUTO_READY });
    await settled(kube, set, 3);
    const before = (await kube.get('v1', 'Pod', ns, 'web-1'))!;
    const claim = (await kube.get('v1', 'PersistentVolumeClaim', ns, 'www-web-1'))!;
    const volume = (await kube.get('v1', 'PersistentVolume', undefined, claim.spec.volumeName))!;
    // WHEN
    await kube.delete('v1', 'Pod', ns, 'web-1');
    // THEN
    const after = await eventually('a new web-1, Ready', async () => {
      const pod = await kube.get('v1', 'Pod', ns, 'web-1');
      return pod && pod.metadata.uid !== before.metadata.uid && isReady(pod) ? pod : undefined;
    });
    expect(claimsOf(after)).toEqual(['www-web-1']);
    expect((await kube.get('v1', 'PersistentVolumeClaim', ns, 'www-web-1'))?.metadata.uid).toBe(claim.metadata.uid);
    const volumeNode = volume.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0];
    expect(before.spec.nodeName).toBe(volumeNode);
    expect(after.spec.nodeName).toBe(volumeNode);
  });
});

describe('Parallel', () => {
  test('GIVEN podManagementPolicy Parallel WHEN applied THEN all three pods are created while none is Ready', async () => {
    // GIVEN
    const ns = await restrictedNamespace(kube, 'parallel');
    // WHEN
    const { set } = await deploy(ns, { podManagementPolicy: PodManagementPolicy.PARALLEL });
    // THEN
    const pods = await eventually('3 pods', async () => {
      const list = await podsOf(kube, set);
      return list.length === 3 ? list : undefined;
    });
    expect(names(pods)).toEqual(['web-0', 'web-1', 'web-2']);
    expect(pods.filter(isReady)).toEqual([]);
  });
});

describe('whenScaled: Delete', () => {
  test('GIVEN whenScaled Delete WHEN scaled from 3 to 1 THEN the claims of web-1 and web-2 are deleted and www-web-0 stays', async () => {
    // GIVEN
    const ns = await restrictedNamespace(kube, 'scaledelete');
    const fixed = { podAnnotations: AUTO_READY, spreadAcrossNodes: SpreadMode.NONE, pvcRetentionPolicy: { whenScaled: PvcRetention.DELETE } };
    const { set } = await deploy(ns, fixed);
    await settled(kube, set, 3);
    const kept = (await kube.get('v1', 'PersistentVolumeClaim', ns, 'www-web-0'))!;
    // WHEN
    await deploy(ns, { ...fixed, replicas: 1 });
    await settled(kube, set, 1);
    // THEN (the garbage collector deletes a claim once its pod is gone)
    const left = await eventually('only www-web-0 left', async () => {
      const claims = await kube.list('v1', 'PersistentVolumeClaim', ns);
      return claims.length === 1 ? claims : undefined;
    });
    expect(left.map((c) => c.metadata.name)).toEqual(['www-web-0']);
    expect(left[0].metadata.uid).toBe(kept.metadata.uid);
  });
});
