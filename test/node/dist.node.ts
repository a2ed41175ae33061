/**
 * Every object of dist/ (the example app as committed: web, staged, mysql) applied to the real node and every
 * pod Ready: nginx-unprivileged mapped to nginx from Debian's package, MySQL 8.4 to the 9.7.4 image (8.4 cannot
 * be built here: the output says so), the gp3 StorageClasses to local-path, CPU requests scaled to two cores.
 * Then each Service with a selector serves exactly the Ready pods it selects.
 */
import * as path from 'path';
import { isReady } from '../cluster/fixtures';
import { eventually, Kube, KubeObject } from '../cluster/kube';
import { loadDirectory } from '../e2e/harness/manifests';
import { applyForNode, forNode } from './mapping';
import { deleteNamespace, endpointPods, nodeKube, note, podsOf } from './node-env';

let kube: Kube;
let objects: KubeObject[] = [];

beforeAll(() => {
  kube = nodeKube();
});
afterAll(async () => {
  for (const n of new Set(objects.filter((o) => o.metadata.namespace).map((o) => o.metadata.namespace!))) await deleteNamespace(kube, n);
  for (const sc of objects.filter((o) => o.kind === 'StorageClass')) await kube.delete('storage.k8s.io/v1', 'StorageClass', undefined, sc.metadata.name);
  kube.close();
});

test('GIVEN dist/ WHEN every object is applied to the node THEN every StatefulSet and Deployment has all its pods Ready, and each Service selects exactly its Ready pods', async () => {
  // GIVEN
  const dist = loadDirectory(path.join(__dirname, '../../dist'));
  const mapped = forNode(dist);
  for (const line of mapped.notes) note(`NOTE ${line}`);
  expect(mapped.notes.some((l) => /mysql:8\.4\.\d+ -> \S+mysql:9\.7\.\d+: MySQL 8\.4\.\d+ cannot be built here/.test(l))).toBe(true);
  objects = mapped.objects;
  // WHEN
  const started = Date.now();
  await applyForNode(kube, mapped.objects, []);
  // THEN every workload's pods are Ready
  const workloads = mapped.objects.filter((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment');
  expect(workloads.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
    'Deployment/mysql/mysql-client', 'StatefulSet/mysql/mysql', 'StatefulSet/web/canary-web', 'StatefulSet/web/web',
  ]);
  for (const w of workloads) {
    const replicas = w.spec.replicas ?? 1;
    const pods = await eventually(`${w.kind} ${w.metadata.namespace}/${w.metadata.name}: ${replicas} pods Ready`, async () => {
      const list = (await podsOf(kube, w)).filter((p) => p.metadata.deletionTimestamp === undefined);
      return list.length === replicas && list.every(isReady) ? list : undefined;
    }, 900000, 1000);
    note(`${w.kind} ${w.metadata.namespace}/${w.metadata.name}: ${pods.map((p) => p.metadata.name).join(', ')} Ready after ${((Date.now() - started) / 1000).toFixed(0)}s`);
  }
  // THEN each Service with a selector lists exactly the Ready pods it selects
  for (const svc of mapped.objects.filter((o) => o.kind === 'Service' && o.spec?.selector)) {
    const selector = Object.entries(svc.spec.selector as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
    const selected = (await kube.list('v1', 'Pod', svc.metadata.namespace, selector)).filter(isReady).map((p) => p.metadata.name).sort();
    expect(selected.length).toBeGreaterThan(0);
    const endpoints = await eventually(`Service ${svc.metadata.namespace}/${svc.metadata.name} to list ${selected.join(', ')}`, async () => {
      const e = await endpointPods(kube, svc.metadata.namespace!, svc.metadata.name);
      return e.ready.join(',') === selected.join(',') ? e : undefined;
    }, 60000, 1000);
    note(`Service ${svc.metadata.namespace}/${svc.metadata.name}: ${endpoints.ready.join(', ')}`);
  }
});
