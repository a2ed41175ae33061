/**
 * The seeds' StatefulSet experiments on real pods: sets built by StatefulApp (nginx from Debian's package, a
 * `www` claim from local-path), run by kubelet and containerd, gated by kubelet's own readiness probes, named
 * by CoreDNS, served through kube-proxy. Each test has a namespace of its own, deleted afterwards.
 */
import { Chart, Size } from 'cdk8s';
import { PodManagementPolicy } from 'cdk8s-plus-28';
import { EnvSource, PvcRetention, StatefulApp, StatefulAppProps, UpdateStrategy } from '../../src';
import { isReady, ofKind, synthesize } from '../cluster/fixtures';
import { eventually, Kube, KubeObject, sleep, Watch } from '../cluster/kube';
import { deleteNamespace, images, nodeKube, note, podsOf, readyPod, restrictedNamespace, settled } from './node-env';
import {
  clientPod, httpGet, markClaims, orderedStart, perPodDns, podReturnsWithClaim, scaleKeepsClaims, SetUnderTest,
} from './scenarios';

let kube: Kube;
const namespaces: string[] = [];

beforeAll(() => {
  kube = nodeKube();
});
afterEach(async () => {
  while (namespaces.length > 0) await deleteNamespace(kube, namespaces.pop()!);
});
afterAll(() => kube.close());

async function namespace(prefix: string): Promise<string> {
  const ns = await restrictedNamespace(kube, prefix);
  namespaces.push(ns);
  return ns;
}

/** Synthesizes a StatefulApp `web` (3 replicas of nginx, claim `www`, default StorageClass) and applies it. */
async function deploy(ns: string, props: Partial<StatefulAppProps> = {}): Promise<SetUnderTest & { app: StatefulApp }> {
  let app!: StatefulApp;
  const objects = synthesize(ns, (chart: Chart) => {
    app = new StatefulApp(chart, 'web', {
      image: images().nginx,
      replicas: 3,
      ports: [{ name: 'http', port: 8080 }],
      volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.mebibytes(64) }],
      runAsUser: 101,
      ...props,
    });
  });
  await kube.applyAll(objects);
  return { kube, set: ofKind(objects, 'StatefulSet')[0], app };
}

const revisions = async (set: KubeObject) => Object.fromEntries((await podsOf(kube, set)).map((p) => [p.metadata.name, p.metadata.labels!['controller-revision-hash']]));
const status = async (set: KubeObject) => (await kube.get('apps/v1', 'StatefulSet', set.metadata.namespace, set.metadata.name))!.status;
const deletedOrder = (w: Watch) => w.events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata.name);
/** Index of the first event where `pod` carries a deletionTimestamp (its termination began). */
const terminationStart = (w: Watch, pod: string) =>
  w.events.findIndex((e) => e.object.metadata.name === pod && e.object.metadata.deletionTimestamp !== undefined);
const deletedAt = (w: Watch, pod: string) => w.events.findIndex((e) => e.type === 'DELETED' && e.object.metadata.name === pod);

describe('OrderedReady (the default)', () => {
  test('GIVEN 3 replicas WHEN applied THEN web-0, web-1, web-2 start one at a time, each after kubelet reports the previous one Ready; each name resolves to its pod, nginx serves each pod\'s own claim; scale-in removes web-2 completely before web-1', async () => {
    // GIVEN a namespace and a watch on its pods
    const ns = await namespace('ordered');
    const watch = await kube.watch('v1', 'Pod', ns);
    try {
      // WHEN the set is applied
      const t = await deploy(ns);
      // THEN ordered, readiness-gated creation (readiness is kubelet's TCP probe of nginx)
      const start = await orderedStart(t, watch);
      note(`ordered start: ${JSON.stringify(start)}`);
      for (const e of watch.events.filter((x) => x.type === 'ADDED' || isReady(x.object))) {
        note(`  ${(e.at / 1000).toFixed(1)}s ${e.type} ${e.object.metadata.name} phase=${e.object.status?.phase ?? '-'} ready=${isReady(e.object)}`);
      }
      // THEN each pod's DNS name resolves to its IP, the headless Service's to all three
      const dns = await perPodDns(t);
      note(`per-pod DNS: ${JSON.stringify(dns)}`);
      // THEN each nginx serves a file from its own claim, reached by its own DNS name
      const client = await clientPod(kube, ns);
      for (const ordinal of [0, 1, 2]) await markClaims(kube, ns, t.app.podName(ordinal), `served-by-${t.app.podName(ordinal)}`);
      for (const ordinal of [0, 1, 2]) {
        const res = httpGet(ns, client, t.app.podDnsName(ordinal), 8080, '/.node-test-marker');
        note(`GET http://${t.app.podDnsName(ordinal)}:8080/.node-test-marker -> ${res.status} ${res.body.trim()}`);
        expect(res).toEqual({ status: 200, body: `served-by-${t.app.podName(ordinal)}\n` });
      }
      // WHEN scaled in to 1 (as GitOps would apply it)
      const scaleIn = await kube.watch('v1', 'Pod', ns, 'app.kubernetes.io/name=web');
      try {
        await deploy(ns, { replicas: 1 });
        await settled(kube, t.set, 1);
        await eventually('web-1 and web-2 gone', async () => (await podsOf(kube, t.set)).length === 1);
        // THEN reverse order: web-2 was gone before web-1's termination even began
        expect(deletedOrder(scaleIn)).toEqual(['web-2', 'web-1']);
        expect(deletedAt(scaleIn, 'web-2')).toBeLessThan(terminationStart(scaleIn, 'web-1'));
      } finally {
        scaleIn.stop();
      }
    } finally {
      watch.stop();
    }
  });

  test('GIVEN a Ready set WHEN web-1 is deleted THEN a new web-1 returns with the same claim (same uid, same volume) and the data written into it', async () => {
    const ns = await namespace('returns');
    const t = await deploy(ns);
    await settled(kube, t.set, 3);
    const result = await podReturnsWithClaim(t, 1);
    note(`pod returns with claim: ${JSON.stringify(result)}`);
  });

  test('GIVEN a Ready set (whenScaled Retain) WHEN scaled 3 → 2 → 3 THEN www-web-2 stays while web-2 is gone and the returning web-2 mounts it, data included', async () => {
    const ns = await namespace('scale');
    const t = await deploy(ns);
    await settled(kube, t.set, 3);
    const result = await scaleKeepsClaims(t);
    expect(result.whenScaled).toBe('Retain');
    note(`scale keeps claims: ${JSON.stringify(result)}`);
  });
});

describe('updates', () => {
  test('GIVEN partition 2 WHEN the template changes THEN only web-2 is replaced; lowering the partition to 0 replaces web-1, then web-0', async () => {
    const ns = await namespace('partition');
    const v1 = { env: { RELEASE: EnvSource.fromValue('1') }, updateStrategy: UpdateStrategy.rollingUpdate({ partition: 2 }) };
    const t = await deploy(ns, v1);
    const old = (await settled(kube, t.set, 3)).status.currentRevision;
    // WHEN the template changes (a new revision), partition 2
    await deploy(ns, { ...v1, env: { RELEASE: EnvSource.fromValue('2') } });
    const updated = await eventually('web-2 on the new revision and Ready', async () => {
      const s = await status(t.set);
      const pod = await kube.get('v1', 'Pod', ns, 'web-2');
      return s.updateRevision !== old && pod?.metadata.labels!['controller-revision-hash'] === s.updateRevision && isReady(pod) ? s.updateRevision : undefined;
    }, 180000, 500);
    // THEN below the partition nothing moves, also a while later
    await sleep(5000);
    expect(await revisions(t.set)).toEqual({ 'web-0': old, 'web-1': old, 'web-2': updated });
    expect((await status(t.set)).updatedReplicas).toBe(1);
    // WHEN the partition is lowered to 0
    const watch = await kube.watch('v1', 'Pod', ns);
    try {
      await deploy(ns, { env: { RELEASE: EnvSource.fromValue('2') }, updateStrategy: UpdateStrategy.rollingUpdate({ partition: 0 }) });
      await settled(kube, t.set, 3);
      // THEN the rest rolls, highest ordinal first, each after the previous one is Ready again
      expect(await revisions(t.set)).toEqual({ 'web-0': updated, 'web-1': updated, 'web-2': updated });
      expect(deletedOrder(watch)).toEqual(['web-1', 'web-0']);
      const web1Ready = watch.events.findIndex((e) => e.type !== 'DELETED' && e.object.metadata.name === 'web-1' && e.object.metadata.labels?.['controller-revision-hash'] === updated && isReady(e.object));
      expect(web1Ready).toBeGreaterThanOrEqual(0);
      expect(web1Ready).toBeLessThan(terminationStart(watch, 'web-0'));
    } finally {
      watch.stop();
    }
  });

  test('GIVEN OnDelete WHEN the template changes THEN no pod is replaced until web-1 is deleted, which returns on the new revision', async () => {
    const ns = await namespace('ondelete');
    const t = await deploy(ns, { env: { RELEASE: EnvSource.fromValue('1') }, updateStrategy: UpdateStrategy.onDelete() });
    const old = (await settled(kube, t.set, 3)).status.currentRevision;
    const uids = Object.fromEntries((await podsOf(kube, t.set)).map((p) => [p.metadata.name, p.metadata.uid]));
    // WHEN
    await deploy(ns, { env: { RELEASE: EnvSource.fromValue('2') }, updateStrategy: UpdateStrategy.onDelete() });
    const next = await eventually('a new update revision', async () => {
      const s = await status(t.set);
      return s.updateRevision !== old ? s.updateRevision : undefined;
    });
    await sleep(5000);
    // THEN nothing was replaced
    expect(Object.fromEntries((await podsOf(kube, t.set)).map((p) => [p.metadata.name, p.metadata.uid]))).toEqual(uids);
    expect(await revisions(t.set)).toEqual({ 'web-0': old, 'web-1': old, 'web-2': old });
    // WHEN web-1 is deleted
    await kube.delete('v1', 'Pod', ns, 'web-1');
    const back = await readyPod(kube, ns, 'web-1', { notUid: uids['web-1'] });
    // THEN it returns on the new revision, with the new environment; the others stay
    expect(back.metadata.labels!['controller-revision-hash']).toBe(next);
    expect(back.spec.containers[0].env).toEqual([{ name: 'RELEASE', value: '2' }]);
    expect(await revisions(t.set)).toEqual({ 'web-0': old, 'web-1': next, 'web-2': old });
  });
});

describe('Parallel', () => {
  test('GIVEN podManagementPolicy Parallel WHEN applied THEN all three pods are created before any is Ready, and all become Ready', async () => {
    const ns = await namespace('parallel');
    const watch = await kube.watch('v1', 'Pod', ns);
    try {
      const t = await deploy(ns, { podManagementPolicy: PodManagementPolicy.PARALLEL });
      const start = await orderedStart(t, watch);
      const added = watch.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name).sort();
      expect(added).toEqual(['web-0', 'web-1', 'web-2']);
      const lastCreated = Math.max(...added.map((n) => watch.events.findIndex((e) => e.type === 'ADDED' && e.object.metadata.name === n)));
      const firstReady = watch.events.findIndex((e) => isReady(e.object));
      expect(lastCreated).toBeLessThan(firstReady);
      note(`parallel start: ${JSON.stringify(start)}`);
    } finally {
      watch.stop();
    }
  });
});

describe('whenScaled: Delete', () => {
  test('GIVEN whenScaled Delete WHEN scaled from 3 to 1 THEN the claims of web-1 and web-2 (and their local-path volumes) are deleted and www-web-0 stays', async () => {
    const ns = await namespace('scaledelete');
    const props = { pvcRetentionPolicy: { whenScaled: PvcRetention.DELETE } };
    const t = await deploy(ns, props);
    await settled(kube, t.set, 3);
    const claims = Object.fromEntries((await kube.list('v1', 'PersistentVolumeClaim', ns)).map((c) => [c.metadata.name, c]));
    expect(Object.keys(claims).sort()).toEqual(['www-web-0', 'www-web-1', 'www-web-2']);
    // WHEN
    await deploy(ns, { ...props, replicas: 1 });
    await settled(kube, t.set, 1);
    // THEN (the garbage collector deletes a claim once its pod is gone; local-path then deletes the volume)
    const left = await eventually('only www-web-0 left', async () => {
      const list = await kube.list('v1', 'PersistentVolumeClaim', ns);
      return list.length === 1 ? list : undefined;
    }, 120000, 500);
    expect(left.map((c) => c.metadata.name)).toEqual(['www-web-0']);
    expect(left[0].metadata.uid).toBe(claims['www-web-0'].metadata.uid);
    for (const gone of ['www-web-1', 'www-web-2']) {
      await eventually(`the volume of ${gone} deleted`, async () => (await kube.get('v1', 'PersistentVolume', undefined, claims[gone].spec.volumeName)) === undefined, 120000, 500);
    }
  });
});
