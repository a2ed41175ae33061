/** Container resources: the defaults, sizes as quantities, and how resources are checked and rendered. */
import { Size, SizeRoundingBehavior } from 'cdk8s';
import type { ContainerResources, Cpu } from 'cdk8s-plus-28';
import { Validator } from '../errors';
import { k8s } from '../kube';

/**
 * A Cpu amount without loading cdk8s-plus-28's index (its L2 classes are most of its load time);
 * the same shape as `Cpu.millis(n)`, which is all the rendering reads.
 * @internal
 */
export function cpuMillis(millis: number): Cpu {
  return { amount: `${millis}m` };
}

/** Default resources of the main container. @internal */
export const MAIN_RESOURCES: ContainerResources = {
  cpu: { request: cpuMillis(250) },
  memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
};

/** Default resources of init containers and sidecars. @internal */
export const HELPER_RESOURCES: ContainerResources = {
  cpu: { request: cpuMillis(50) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(128) },
  // Their logs and anything they write outside volumes; evicted first without a request.
  ephemeralStorage: { request: Size.mebibytes(16), limit: Size.mebibytes(128) },
};

/**
 * The main container's ephemeral storage: its logs and writable layer, plus the pod's disk-backed
 * emptyDirs, which count against the pod's limit (the sum of its containers').
 * @internal
 */
export function mainEphemeralStorage(emptyDirBytes: number): { request: Size; limit: Size } {
  const mib = 256 + Math.ceil(emptyDirBytes / (1024 * 1024));
  return { request: Size.mebibytes(64), limit: Size.mebibytes(mib) };
}

/** Renders `Size` as the largest exact binary-unit quantity string ("1Gi", "1536Mi"). @internal */
export function sizeToQuantity(size: Size): string {
  const exact = { rounding: SizeRoundingBehavior.NONE };
  const units: Array<[string, (s: Size) => number]> = [
    ['Pi', (s) => s.toPebibytes(exact)], ['Ti', (s) => s.toTebibytes(exact)], ['Gi', (s) => s.toGibibytes(exact)],
    ['Mi', (s) => s.toMebibytes(exact)], ['Ki', (s) => s.toKibibytes(exact)],
  ];
  for (const [unit, convert] of units) {
    const amount = convert(size);
    if (Number.isInteger(amount) && amount > 0) return `${amount}${unit}`;
  }
  // Below 1Ki: whole bytes.
  return String(Math.ceil(sizeBytes(size)));
}

/** Size in bytes, for comparisons. @internal */
export function sizeBytes(size: Size): number {
  return size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024;
}

/** Checks and renders resources, merging cpu/memory/ephemeralStorage groups over defaults. @internal */
export function renderResources(
  v: Validator, prop: string, given: ContainerResources | undefined, defaults: ContainerResources,
): k8s.ResourceRequirements {
  const r: ContainerResources = { ...defaults, ...(given ?? {}) };
  const requests: { [key: string]: k8s.Quantity } = {};
  const limits: { [key: string]: k8s.Quantity } = {};
  const cpuMillis = (c: Cpu | undefined, p: string): number | undefined => {
    if (c === undefined) return undefined;
    const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(c.amount ?? ''));
    if (!m || Number(m[1]) <= 0) v.fail(p, c.amount, 'must be a positive CPU amount', 'use Cpu.millis(250) or Cpu.units(1)');
    return m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000;
  };
  const bytes = (s: Size | undefined, p: string): number | undefined => {
    if (s === undefined) return undefined;
    if (!(s instanceof Size)) v.fail(p, s, 'must be a Size', 'use Size.mebibytes(256)');
    const b = sizeBytes(s);
    if (!(b > 0)) v.fail(p, sizeToQuantity(s), 'must be greater than zero', 'use a positive Size such as Size.mebibytes(256)');
    return b;
  };
  const pair = (key: string, group: string, reqV: number | undefined, limV: number | undefined, req: string | undefined, lim: string | undefined) => {
    if (reqV !== undefined && limV !== undefined && reqV > limV) {
      v.fail(`${prop}.${group}.request`, req, `is greater than the limit ${lim}`, `raise ${group}.limit or lower ${group}.request`);
    }
    if (req !== undefined) requests[key] = k8s.Quantity.fromString(req);
    if (lim !== undefined) limits[key] = k8s.Quantity.fromString(lim);
  };
  pair('cpu', 'cpu', cpuMillis(r.cpu?.request, `${prop}.cpu.request`), cpuMillis(r.cpu?.limit, `${prop}.cpu.limit`), r.cpu?.request?.amount, r.cpu?.limit?.amount);
  pair('memory', 'memory', bytes(r.memory?.request, `${prop}.memory.request`), bytes(r.memory?.limit, `${prop}.memory.limit`),
    r.memory?.request && sizeToQuantity(r.memory.request), r.memory?.limit && sizeToQuantity(r.memory.limit));
  pair('ephemeral-storage', 'ephemeralStorage', bytes(r.ephemeralStorage?.request, `${prop}.ephemeralStorage.request`), bytes(r.ephemeralStorage?.limit, `${prop}.ephemeralStorage.limit`),
    r.ephemeralStorage?.request && sizeToQuantity(r.ephemeralStorage.request), r.ephemeralStorage?.limit && sizeToQuantity(r.ephemeralStorage.limit));
  return {
    limits: Object.keys(limits).length > 0 ? limits : undefined,
    requests: Object.keys(requests).length > 0 ? requests : undefined,
  };
}
