/** Finds the objects of a ReplicatedMySql in synthesized manifests (a directory or objects). */
import { loadManifests } from '../../../packages/guard/src';

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };

/** One ReplicatedMySql as a controller sees it: its StatefulSet and what the pods reference. */
export interface MySqlManifests {
  readonly statefulSet: Manifest;
  readonly namespace: string;
  /** Every object of the set's namespace (ConfigMaps, Services, Roles, ...). */
  readonly objects: Manifest[];
}

export function loadDirectory(dir: string): Manifest[] {
  return loadManifests(dir) as Manifest[];
}

/** The ReplicatedMySql StatefulSets: made by this library, with the bootstrap init container. */
export function findMySql(objects: Manifest[], defaultNamespace = 'default'): MySqlManifests[] {
  return objects
    .filter((o) => o.kind === 'StatefulSet'
      && o.spec?.template?.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'cdk8s-stateful'
      && (o.spec?.template?.spec?.initContainers ?? []).some((c: any) => c.name === 'bootstrap'))
    .map((sts) => {
      const namespace = sts.metadata.namespace ?? defaultNamespace;
      return {
        statefulSet: sts,
        namespace,
        objects: objects.filter((o) => (o.metadata.namespace ?? defaultNamespace) === namespace || o.metadata.namespace === undefined),
      };
    });
}

/**
 * Every Secret name and key the pod template references: env `secretKeyRef` and `envFrom`,
 * `secret` volumes and `projected` volumes' `secret` sources (a volume without `items` projects
 * every key: its Secret is listed with the keys referenced elsewhere, maybe none).
 */
export function referencedSecretKeys(sts: Manifest): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (name: string, key?: string) => {
    if (!out.has(name)) out.set(name, new Set());
    if (key !== undefined) out.get(name)!.add(key);
  };
  const spec = sts.spec.template.spec;
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) add(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) add(e.secretRef.name);
  }
  const addSource = (src: { secretName?: string; name?: string; items?: Array<{ key: string }> }) => {
    const name = src.secretName ?? src.name;
    if (!name) return;
    add(name);
    for (const item of src.items ?? []) add(name, item.key);
  };
  for (const v of spec.volumes ?? []) {
    if (v.secret) addSource(v.secret);
    for (const src of v.projected?.sources ?? []) if (src.secret) addSource(src.secret);
  }
  return out;
}

/** True when a ReplicatedMySql StatefulSet's pods run Group Replication (REPLICATION_MODE=group). */
export function runsGroupReplication(sts: Manifest): boolean {
  const boot = (sts.spec?.template?.spec?.initContainers ?? []).find((c: any) => c.name === 'bootstrap');
  return (boot?.env ?? []).some((e: any) => e.name === 'REPLICATION_MODE' && e.value === 'group');
}
