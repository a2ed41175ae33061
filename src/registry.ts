/**
 * App-wide names: two objects of the same kind, namespace and name anywhere in one App (or two
 * cluster-scoped ones of the same name, or two default StorageClasses) would overwrite each other
 * in the cluster. Every object this library emits is registered when it is created; a second one
 * fails with both constructs' paths.
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Conventions } from './conventions';
import { Validator } from './errors';
import { checkAppAtSynth } from './synth-checks';

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
    // Once per App, a synth-time check over EVERY object of the App (the user's own cdk8s-plus and raw
    // objects too, which this registry cannot see): see appWideNameErrors.
    checkAppAtSynth(owner, () => appWideNameErrors(root));
  }
  const key = nameKey(object);
  const other = registry.get(key);
  const path = owner.node.path;
  if (other !== undefined && other !== path) {
    v.fail(prop, object.name, `gives a ${object.kind.split('/').pop()} "${object.name}" ${where(object)} that '${other}' emits too: in the cluster one would overwrite the other`, fix);
  }
  registry.set(key, path);
}

/** What makes two objects the same one in the cluster: kind and name, and the namespace of a namespaced one. */
function nameKey(object: ObjectName): string {
  return object.clusterScoped ? `${object.kind}//${object.name}` : `${object.kind}/${object.namespace ?? ''}/${object.name}`;
}

/** Where the object lives, as the errors say it. */
function where(object: ObjectName): string {
  return object.clusterScoped ? 'cluster-scoped' : object.namespace ? `in namespace ${object.namespace}` : 'without a namespace (the target namespace)';
}

/**
 * Registers the objects an owner emits in one namespace, each as `[prop, kind, name]`; a name that is
 * undefined (an object the owner does not emit) is skipped.
 */
export function registerObjects(
  owner: IConstruct, v: Validator, namespace: string | undefined, objects: Array<[string, string, string | undefined]>,
): void {
  for (const [prop, kind, name] of objects) {
    if (name !== undefined) registerObject(owner, v, prop, { kind, namespace, name }, 'give one of them another name (or namespace)');
  }
}

/** Registers a StorageClass as the cluster's default: only one may be. */
export function registerDefaultStorageClass(owner: IConstruct, v: Validator, name: string): void {
  const root = owner.node.root;
  const other = defaults.get(root);
  if (other !== undefined && other !== owner.node.path) {
    v.fail('isDefault', true, `'${other}' is the default StorageClass already: a claim without a storageClassName would get either`,
      `mark only one StorageClass as the default (this one is "${name}")`);
  }
  defaults.set(root, owner.node.path);
}

const defaults = new WeakMap<IConstruct, string>();

/** The objects of the last App-wide check per App, and its name errors (see appWideNameErrors). */
const lastCheck = new WeakMap<IConstruct, { readonly objects: ApiObject[]; readonly nameErrors: string[]; readonly classes: ApiObject[] }>();

/**
 * The errors of the App-wide name check over every object of the App, each naming both constructs' paths:
 * the same kind, namespace and name twice, the same cluster-scoped name twice, two default StorageClasses.
 *
 * cdk8s validates the whole App once per chart it synthesizes, so with a chart per app this runs once
 * per chart. Kind, name and namespace of an ApiObject are fixed at construction: while the App holds
 * the same objects, the name errors of the last run stand; only the default-class annotations, which
 * can be added later, are read again.
 */
export function appWideNameErrors(root: IConstruct): string[] {
  const objects = apiObjectsOf(root);
  const last = lastCheck.get(root);
  const same = last !== undefined && last.objects.length === objects.length && last.objects.every((o, i) => o === objects[i]);
  const check = same ? last : checkNames(objects);
  lastCheck.set(root, check);
  return [...check.nameErrors, ...defaultClassErrors(check.classes)];
}

/** The ApiObjects under `root` in pre-order (node.findAll's order), without findAll's array per construct. */
function apiObjectsOf(root: IConstruct): ApiObject[] {
  const out: ApiObject[] = [];
  const stack: IConstruct[] = [root];
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (ApiObject.isApiObject(c)) out.push(c);
    const children = c.node.children;
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return out;
}

function checkNames(objects: ApiObject[]): { objects: ApiObject[]; nameErrors: string[]; classes: ApiObject[] } {
  const seen = new Map<string, string>();
  const errors: string[] = [];
  const classes: ApiObject[] = [];
  for (const o of objects) {
    const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
    const kind = group ? `${group}/${o.kind}` : o.kind;
    const clusterScoped = Conventions.isClusterScoped(group, o.kind);
    const object: ObjectName = { kind, name: o.name, namespace: clusterScoped ? undefined : o.metadata.namespace, clusterScoped };
    const key = nameKey(object);
    const other = seen.get(key);
    if (other !== undefined) {
      errors.push(`${o.kind} "${o.name}" ${where(object)} is emitted by both '${other}' and '${o.node.path}': in the cluster one would overwrite the other. Fix: give one of them another name (or namespace).`);
    } else {
      seen.set(key, o.node.path);
    }
    if (kind === 'storage.k8s.io/StorageClass') classes.push(o);
  }
  return { objects, nameErrors: errors, classes };
}

function defaultClassErrors(classes: ApiObject[]): string[] {
  let defaultClass: string | undefined;
  const errors: string[] = [];
  for (const o of classes) {
    const annotations = (o.toJson() as { metadata?: { annotations?: { [k: string]: string } } }).metadata?.annotations ?? {};
    if (annotations['storageclass.kubernetes.io/is-default-class'] !== 'true') continue;
    if (defaultClass !== undefined) {
      errors.push(`StorageClasses '${defaultClass}' and '${o.node.path}' are both marked as the cluster's default (storageclass.kubernetes.io/is-default-class): a claim without a storageClassName gets either. Fix: mark only one as the default.`);
    } else {
      defaultClass = o.node.path;
    }
  }
  return errors;
}
