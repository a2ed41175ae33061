/**
 * Synthesized manifests made runnable on the test node, with every change said out loud: images mapped to the
 * locally built ones of the same software (no registry is reachable), `imagePullPolicy: Always` to IfNotPresent
 * (nothing to pull from), StorageClasses of cloud provisioners to local-path, CPU requests scaled down when they
 * would not fit on two cores; the namespaces created (Pod Security 'restricted') and every referenced Secret
 * generated. Nothing else is touched: the objects are applied as synthesized.
 */
import { Kube, KubeObject } from '../cluster/kube';
import { RESTRICTED } from '../cluster/fixtures';
import { images, tagOf } from './node-env';
import { generatedSecrets } from './mysql-scenarios';

export interface NodeManifests {
  /** Everything to apply, in apply order (namespaces, classes, accounts, Secrets, ConfigMaps, ..., workloads). */
  readonly objects: KubeObject[];
  /** One line per change made for the node. */
  readonly notes: string[];
  /** The generated Secrets (also in `objects`). */
  readonly secrets: KubeObject[];
}

/** CPU (millicores) the manifests may request in total: the node has 2000m, CoreDNS and test clients take some. */
export const CPU_BUDGET_MILLI = 1500;

const ORDER = ['Namespace', 'CustomResourceDefinition', 'StorageClass', 'PriorityClass', 'ServiceAccount', 'Secret', 'ConfigMap', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Service', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'NetworkPolicy'];
const rank = (o: KubeObject) => (ORDER.includes(o.kind) ? ORDER.indexOf(o.kind) : ORDER.length);

/** The local image for an image reference, and why (undefined: no local build of that software). */
export function localImage(image: string): { image: string; note?: string } | undefined {
  const local = images();
  const name = image.replace(/@sha256:[0-9a-f]+$/, '');
  const repo = name.slice(0, name.lastIndexOf(':') > name.lastIndexOf('/') ? name.lastIndexOf(':') : name.length);
  const tag = name.lastIndexOf(':') > name.lastIndexOf('/') ? name.slice(name.lastIndexOf(':') + 1) : 'latest';
  const base = repo.slice(repo.lastIndexOf('/') + 1);
  if (image.startsWith('localhost/cdk8s-node/')) return { image };
  if (base === 'mysql') {
    const mysql = local.mysql;
    return tag.startsWith(`${tagOf(mysql).split('.').slice(0, 2).join('.')}`)
      ? { image: mysql, note: `image ${image} -> ${mysql} (MySQL ${tagOf(mysql)} packed from the e2e chroot)` }
      : { image: mysql, note: `image ${image} -> ${mysql}: MySQL ${tag} cannot be built here (no Debian package of that series; the node has only the sid chroot's ${tagOf(mysql)}), so its pods run ${tagOf(mysql)}` };
  }
  if (base === 'nginx' || base === 'nginx-unprivileged') {
    return { image: local.nginx, note: `image ${image} -> ${local.nginx} (nginx ${tagOf(local.nginx)} from Debian's package, unprivileged on 8080 as nginx-unprivileged)` };
  }
  if (base === 'busybox') return { image: local.busybox, note: `image ${image} -> ${local.busybox} (Debian's busybox-static)` };
  return undefined;
}

function cpuMilli(value: string | number | undefined): number {
  if (value === undefined) return 0;
  const s = String(value);
  return s.endsWith('m') ? Number(s.slice(0, -1)) : Number(s) * 1000;
}

function podSpecs(o: KubeObject): any[] {
  if (o.kind === 'Pod') return [o.spec];
  if (o.spec?.template?.spec) return [o.spec.template.spec];
  if (o.spec?.jobTemplate?.spec?.template?.spec) return [o.spec.jobTemplate.spec.template.spec];
  return [];
}

function replicasOf(o: KubeObject): number {
  return o.kind === 'Pod' ? 1 : (o.spec?.replicas ?? 1);
}

/** Maps the objects for the node (a deep copy; the input is not changed). */
export function forNode(input: KubeObject[], defaultNamespace = 'cdk8s-stateful-manifests'): NodeManifests {
  const notes: string[] = [];
  const objects: KubeObject[] = JSON.parse(JSON.stringify(input));
  const clusterScoped = new Set(['Namespace', 'StorageClass', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'PersistentVolume']);
  for (const o of objects) {
    if (!clusterScoped.has(o.kind) && !o.metadata.namespace) o.metadata.namespace = defaultNamespace;
  }
  const seen = new Set<string>();
  for (const o of objects) {
    for (const spec of podSpecs(o)) {
      for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        const original: string = c.image;
        const mapped = localImage(original);
        if (!mapped) {
          if (!seen.has(original)) notes.push(`image ${original}: no local build of this software; pods that use it cannot start on the node`);
        } else {
          if (mapped.note && !seen.has(original)) notes.push(mapped.note);
          c.image = mapped.image;
        }
        seen.add(original);
        if (c.imagePullPolicy === 'Always') {
          c.imagePullPolicy = 'IfNotPresent';
          const line = `imagePullPolicy Always -> IfNotPresent in ${o.kind} ${o.metadata.namespace}/${o.metadata.name} (no registry to pull from)`;
          if (!notes.includes(line)) notes.push(line);
        }
      }
    }
    if (o.kind === 'StorageClass' && o.provisioner !== 'rancher.io/local-path') {
      notes.push(`StorageClass ${o.metadata.name}: provisioner ${o.provisioner} -> rancher.io/local-path (parameters ${JSON.stringify(o.parameters ?? {})} dropped), volume type local`);
      o.provisioner = 'rancher.io/local-path';
      delete o.parameters;
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), defaultVolumeType: 'local' };
    }
  }
  // CPU requests: scale every one by the same factor when the total would not fit.
  const total = objects.reduce((sum, o) => sum + podSpecs(o).reduce((s, spec) => {
    const main = (spec.containers ?? []).reduce((a: number, c: any) => a + cpuMilli(c.resources?.requests?.cpu), 0);
    const init = Math.max(0, ...(spec.initContainers ?? []).map((c: any) => cpuMilli(c.resources?.requests?.cpu)));
    return s + Math.max(main, init) * replicasOf(o);
  }, 0), 0);
  if (total > CPU_BUDGET_MILLI) {
    const factor = CPU_BUDGET_MILLI / total;
    for (const o of objects) {
      for (const spec of podSpecs(o)) {
        for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
          if (c.resources?.requests?.cpu !== undefined) c.resources.requests.cpu = `${Math.max(1, Math.floor(cpuMilli(c.resources.requests.cpu) * factor))}m`;
        }
      }
    }
    notes.push(`CPU requests scaled by ${factor.toFixed(3)}: the manifests request ${total}m in all, the node has 2 cores (budget ${CPU_BUDGET_MILLI}m)`);
  }
  // Namespaces (restricted) the objects use and do not define.
  const defined = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const used = [...new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => n !== undefined))].filter((n) => !defined.has(n));
  const namespaces: KubeObject[] = used.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: RESTRICTED } }));
  const secrets = generatedSecrets(objects);
  for (const s of secrets) notes.push(`Secret ${s.metadata.namespace}/${s.metadata.name} generated (keys ${Object.keys(s.stringData).sort().join(', ')})`);
  const all = [...namespaces, ...secrets, ...objects].map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i).map((x) => x.o);
  return { objects: all, notes, secrets };
}

/** Applies the objects in order; kinds the node does not serve (a CRD that is not installed) are skipped and noted. */
export async function applyForNode(kube: Kube, objects: KubeObject[], notes: string[]): Promise<KubeObject[]> {
  const applied: KubeObject[] = [];
  for (const o of objects) {
    if (!(await kube.serves(o.apiVersion, o.kind))) {
      notes.push(`${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}: ${o.apiVersion} is not served on the node (no CRD): skipped`);
      continue;
    }
    const result = await kube.apply(o);
    if (!result.ok) throw new Error(`apply ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}: ${result.status} ${result.message}`);
    applied.push(result.object!);
  }
  return applied;
}
