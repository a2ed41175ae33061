/**
 * Internal helpers: turning plain manifests into identified objects, and comparing values the way
 * the API server does (maps are unordered, lists are ordered, empty == absent).
 */
import { Conventions } from 'cdk8s-stateful';
import { ManifestError, ObjectRef } from './model';

/** A JSON-like mapping. */
export type JsonMap = Record<string, unknown>;

/** A validated manifest with its identity. */
export interface KubeObject {
  readonly ref: ObjectRef;
  /** API group ('' for the core group), part of the object's identity. */
  readonly group: string;
  /** Identity: group, kind, namespace and name. Objects with equal keys are the same object in a cluster. */
  readonly key: string;
  /** Namespace and name only: used to spot kind or group changes of the "same" object. */
  readonly nameKey: string;
  readonly body: JsonMap;
}

/** True for a plain mapping (not null, not an array). */
export function isRecord(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a nested value by keys; undefined when any step is missing. */
export function get(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isRecord(current)) {
      return undefined;
    }
    current = current[key];
  }
  return current;
}

/** True for an object this library emitted (its managed-by label). */
export function isManagedByLibrary(object: KubeObject): boolean {
  return getString(object.body, 'metadata', 'labels', Conventions.MANAGED_BY_LABEL) === Conventions.MANAGED_BY;
}

/** A nested non-empty string, or undefined. */
export function getString(value: unknown, ...keys: string[]): string | undefined {
  const result = get(value, ...keys);
  return typeof result === 'string' && result !== '' ? result : undefined;
}

/** A nested finite number, or undefined. */
export function getNumber(value: unknown, ...keys: string[]): number | undefined {
  const result = get(value, ...keys);
  return typeof result === 'number' && Number.isFinite(result) ? result : undefined;
}

/** A nested array, or [] when absent or not an array. */
export function getArray(value: unknown, ...keys: string[]): unknown[] {
  const result = get(value, ...keys);
  return Array.isArray(result) ? result : [];
}

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → '' (core). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `Kind/namespace/name`, or `Kind/name` without a namespace. */
export function displayRef(kind: string, name: string, namespace?: string): string {
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

/**
 * The object part of finding ids: `display` prefixed with the API group for non-core kinds
 * (`apps/StatefulSet/shop/db`, `Service/shop/db`), so same-named kinds of different groups stay apart.
 */
export function objectId(ref: ObjectRef): string {
  const group = groupOf(ref.apiVersion);
  return group ? `${group}/${ref.display}` : ref.display;
}

/** Plain code-point order, so sorting does not depend on the locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The `code` of a Node.js system error (`ENOENT`, ...), if any. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** The first line of an error message. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim();
}

/**
 * Checks that a document is a Kubernetes object and returns what is missing, or undefined when it is one.
 */
export function missingObjectFields(value: unknown): string | undefined {
  if (!isRecord(value)) {
    return `a ${Array.isArray(value) ? 'list' : typeof value === 'string' ? 'plain string' : typeof value} instead of a mapping`;
  }
  const missing: string[] = [];
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') {
    missing.push('apiVersion');
  }
  if (typeof value.kind !== 'string' || value.kind === '') {
    missing.push('kind');
  }
  if (getString(value, 'metadata', 'name') === undefined) {
    missing.push('metadata.name');
  }
  return missing.length > 0 ? `missing ${missing.join(', ')}` : undefined;
}

/** True for `kind: List` and typed lists (`ServiceList` ...): kubectl applies their items. */
export function isList(value: unknown): value is JsonMap & { items: unknown[] } {
  return isRecord(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
}

/** Kustomize's own files (kustomization.yaml) are not objects that get applied. */
export function isKustomizeFile(value: unknown): boolean {
  return isRecord(value) && typeof value.apiVersion === 'string' && value.apiVersion.startsWith('kustomize.config.k8s.io/');
}

/**
 * Flattens arrays and `kind: List` objects, skips empty documents and kustomization files, and checks that
 * every remaining item is a Kubernetes object.
 *
 * @param values documents or objects
 * @param describe names an item by its index path (`[2, 0]`: item 1 of value 3) for error messages
 * @throws ManifestError `<describe(path)> is not a Kubernetes object (<what is missing>)`
 */
export function flattenObjects(values: unknown[], describe: (path: number[]) => string): JsonMap[] {
  const result: JsonMap[] = [];
  const visit = (value: unknown, path: number[]): void => {
    if (value === null || value === undefined || isKustomizeFile(value)) {
      return;
    }
    const items = Array.isArray(value) ? value : isList(value) ? value.items : undefined;
    if (items) {
      items.forEach((item, i) => visit(item, [...path, i]));
      return;
    }
    const missing = missingObjectFields(value);
    if (missing !== undefined || !isRecord(value)) {
      throw new ManifestError(`${describe(path)} is not a Kubernetes object (${missing})`);
    }
    result.push(value);
  };
  values.forEach((value, i) => visit(value, [i]));
  return result;
}

/**
 * Flattens and validates input handed to the API directly, and identifies every object.
 *
 * @param values plain manifests
 * @param what `old manifests` or `new manifests`, for error messages
 * @param defaultNamespace namespace for namespaced objects whose manifest sets none
 */
export function toKubeObjects(values: unknown[], what: string, defaultNamespace?: string): KubeObject[] {
  const describe = (path: number[]) => `${what}[${path[0]}]${path.slice(1).map((i) => `.items[${i}]`).join('')}`;
  return flattenObjects(values, describe).map((body) => identify(body, defaultNamespace));
}

function identify(body: JsonMap, defaultNamespace?: string): KubeObject {
  const apiVersion = String(body.apiVersion);
  const kind = String(body.kind);
  const name = String(get(body, 'metadata', 'name'));
  const group = groupOf(apiVersion);
  const namespace = Conventions.isClusterScoped(group, kind) ? undefined : getString(body, 'metadata', 'namespace') ?? defaultNamespace;
  const display = displayRef(kind, name, namespace);
  const ref: ObjectRef = namespace === undefined ? { apiVersion, kind, name, display } : { apiVersion, kind, namespace, name, display };
  return {
    ref,
    group,
    key: `${group}|${kind}|${namespace ?? ''}|${name}`,
    nameKey: `${namespace ?? ''}|${name}`,
    body,
  };
}

/** True when the value carries no information: absent, null, '', {} or []. */
export function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') {
    return true;
  }
  if (Array.isArray(value)) {
    return value.length === 0;
  }
  if (isRecord(value)) {
    return Object.values(value).every(isEmpty);
  }
  return false;
}

/** Deep equality with map keys unordered, lists ordered, and empty values equal to absent ones. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) || isEmpty(b)) {
    return isEmpty(a) && isEmpty(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isRecord(a) || isRecord(b)) {
    if (!isRecord(a) || !isRecord(b)) {
      return false;
    }
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => deepEqual(a[key], b[key]));
  }
  return a === b;
}

/** A leaf-level difference between two values. */
export interface Change {
  readonly path: string;
  /** The old value as written in the manifest. */
  readonly oldValue: unknown;
  /** The new value as written in the manifest. */
  readonly newValue: unknown;
  /** Set when a side is absent and the API server default stands in for it: `10 (default) → 3`. */
  readonly text?: string;
}

/** Returns a comparison result for a path, or undefined to let the default comparison decide. */
export type LeafComparator = (path: string, a: unknown, b: unknown) => boolean | undefined;

/** Appends a map key to a path, quoting keys that are not plain identifiers (`annotations["a.b/c"]`). */
export function joinPath(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) {
    return path ? `${path}.${key}` : key;
  }
  return `${path}[${JSON.stringify(key)}]`;
}

/** Names of list items when every item is a mapping with a unique string `name` (containers, ports, ...). */
export function itemNames(list: unknown[]): string[] | undefined {
  const names = list.map((item) => (isRecord(item) ? getString(item, 'name') ?? getString(item, 'metadata', 'name') : undefined));
  if (names.some((name) => name === undefined) || new Set(names).size !== names.length) {
    return undefined;
  }
  return names as string[];
}

/** True when the names both lists share appear in a different order. */
export function reordered(before: string[], after: string[]): boolean {
  const common = before.filter((name) => after.includes(name));
  const order = after.filter((name) => before.includes(name));
  return common.some((name, i) => order[i] !== name);
}

function findByName(list: unknown[], name: string): unknown {
  return list.find((item) => (getString(item, 'name') ?? getString(item, 'metadata', 'name')) === name);
}

/**
 * Lists the differences between two values, as leaf paths. Lists of named items are matched by name
 * (`containers[app].image`), so paths stay meaningful when items are added, and a reordering is
 * reported on the list itself.
 */
export function diff(a: unknown, b: unknown, path: string, compare?: LeafComparator): Change[] {
  const custom = compare?.(path, a, b);
  if (custom !== undefined) {
    return custom ? [] : [{ path, oldValue: a, newValue: b }];
  }
  if (isEmpty(a) && isEmpty(b)) {
    return [];
  }
  // Maps are compared key by key even when one side is absent, so a new label is reported as
  // `labels.tier` rather than as the whole map.
  if ((isRecord(a) || isEmpty(a)) && (isRecord(b) || isEmpty(b))) {
    const left = isRecord(a) ? a : {};
    const right = isRecord(b) ? b : {};
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
    return keys.flatMap((key) => diff(left[key], right[key], joinPath(path, key), compare));
  }
  if (isEmpty(a) || isEmpty(b)) {
    return [{ path, oldValue: a, newValue: b }];
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const oldNames = itemNames(a);
    const newNames = itemNames(b);
    if (oldNames && newNames) {
      const changes: Change[] = [];
      if (reordered(oldNames, newNames)) {
        changes.push({ path, oldValue: oldNames, newValue: newNames });
      }
      for (const name of [...new Set([...oldNames, ...newNames])].sort()) {
        const before = findByName(a, name);
        const after = findByName(b, name);
        if (before === undefined || after === undefined) {
          // An added or removed item (a container, a port) is one change, not one per field.
          changes.push({ path: `${path}[${name}]`, oldValue: before, newValue: after });
        } else {
          changes.push(...diff(before, after, `${path}[${name}]`, compare));
        }
      }
      return changes;
    }
    if (a.length === b.length) {
      return a.flatMap((item, i) => diff(item, b[i], `${path}[${i}]`, compare));
    }
    return deepEqual(a, b) ? [] : [{ path, oldValue: a, newValue: b }];
  }
  return deepEqual(a, b) ? [] : [{ path, oldValue: a, newValue: b }];
}

/**
 * Like `diff`, but absent fields count as their API server defaults (`normalize` fills them in), so a
 * manifest that spells out a default is not a change. Reported values stay as written in the manifests;
 * `text` shows the default that stood in for an absent side.
 *
 * Only paths that differ as written are reported: when both manifests omit a field, the API server keeps
 * what it stored, even if the default it would compute now differs (imagePullPolicy after an image change).
 */
export function diffWithDefaults(a: unknown, b: unknown, path: string, normalize: (value: unknown) => unknown, compare?: LeafComparator): Change[] {
  return diffAgainstDefaults(a, b, normalize(a), normalize(b), path, compare);
}

/**
 * `diffWithDefaults` with the values already normalized (for defaults that depend on fields outside `a`/`b`).
 *
 * @param a the old value as written
 * @param b the new value as written
 * @param effectiveA `a` with defaults filled in
 * @param effectiveB `b` with defaults filled in
 */
export function diffAgainstDefaults(
  a: unknown, b: unknown, effectiveA: unknown, effectiveB: unknown, path: string, compare?: LeafComparator,
): Change[] {
  const raw = new Map(diff(a, b, path, compare).map((change) => [change.path, change]));
  return diff(effectiveA, effectiveB, path, compare).flatMap((change) => {
    const written = raw.get(change.path);
    if (!written) {
      return [];
    }
    const defaulted = (value: unknown, effective: unknown) => isEmpty(value) && !isEmpty(effective);
    const shown = (value: unknown, effective: unknown) =>
      defaulted(value, effective) ? `${renderShort(render(effective))} (default)` : renderShort(render(value));
    const text
      = defaulted(written.oldValue, change.oldValue) || defaulted(written.newValue, change.newValue)
        ? `${shown(written.oldValue, change.oldValue)} → ${shown(written.newValue, change.newValue)}`
        : undefined;
    return [{ path: change.path, oldValue: written.oldValue, newValue: written.newValue, ...(text !== undefined ? { text } : {}) }];
  });
}

/** The text of a change for messages: its `text`, or `old → new`. */
export function describeChange(change: Change): string {
  return change.text ?? `${renderShort(render(change.oldValue))} → ${renderShort(render(change.newValue))}`;
}

const MAX_RENDERED = 200;

/** Renders a value for messages: strings as is, everything else as compact JSON, undefined as undefined. */
export function render(value: unknown): string | undefined {
  if (isEmpty(value)) {
    return undefined;
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/** Like `render`, shortened for one-line messages, with `(absent)` for missing values. */
export function renderShort(value: string | undefined): string {
  if (value === undefined) {
    return '(absent)';
  }
  return value.length > MAX_RENDERED ? `${value.slice(0, MAX_RENDERED - 1)}…` : value;
}

/** Joins names as "a, b and c". */
export function listNames(names: string[]): string {
  if (names.length <= 1) {
    return names.join('');
  }
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The same fields of a mapping, only those listed. */
export function pick(value: unknown, keys: readonly string[]): JsonMap {
  const result: JsonMap = {};
  for (const key of keys) {
    if (isRecord(value) && value[key] !== undefined) {
      result[key] = value[key];
    }
  }
  return result;
}
