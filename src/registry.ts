/**
 * App-wide names: two objects of the same kind, namespace and name anywhere in one App (or two
 * cluster-scoped ones of the same name, or two default StorageClasses) would overwrite each other
 * in the cluster. Every object this library emits is registered when it is created; a second one
 * fails with both constructs' paths.
 */
import { IConstruct } from 'constructs';
import { Validator } from './errors';

const registries = new WeakMap<IConstruct, Map<string, string>>();

export interface ObjectName {
  /** `group/Kind` (`apps/StatefulSet`) or `Kind` for the core group. */
  readonly kind: string;
  readonly name: string;
  /** Undefined for a namespaced object without a namespace (applied to the GitOps target namespace). */
  readonly namespace?: string;
  readonly clusterScoped?: boolean;
}

/**
 * Registers an object `owner` emits. `prop` and `fix` say what to change in the error. Call only
 * once the owner's props were accepted, so a refused construct leaves nothing behind.
 */
export function registerObject(owner: IConstruct, v: Validator, prop: string, object: ObjectName, fix: string): void {
  const root = owner.node.root;
  let registry = registries.get(root);
  if (!registry) {
    registry = new Map();
    registries.set(root, registry);
  }
  const where = object.clusterScoped ? 'cluster-scoped' : object.namespace ? `in namespace ${object.namespace}` : 'without a namespace (the target namespace)';
  const key = object.clusterScoped ? `${object.kind}//${object.name}` : `${object.kind}/${object.namespace ?? ''}/${object.name}`;
  const other = registry.get(key);
  if (other !== undefined && other !== owner.node.path) {
    v.fail(prop, object.name, `gives a ${object.kind.split('/').pop()} "${object.name}" ${where} that '${other}' emits too: in the cluster one would overwrite the other`, fix);
  }
  registry.set(key, owner.node.path);
}

/** Registers a StorageClass as the cluster's default: only one may be. */
export function registerDefaultStorageClass(owner: IConstruct, v: Validator, name: string): void {
  registerObject(owner, v, 'isDefault', { kind: 'storage.k8s.io/default StorageClass', name: 'default', clusterScoped: true },
    `mark only one StorageClass as the default (this one is "${name}")`);
}
