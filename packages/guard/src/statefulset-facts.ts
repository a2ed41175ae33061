/**
 * What the StatefulSet rules know about one set: its ordinals, claim templates and PVC names as the
 * controller derives them, and the texts several rules share.
 */
import { kubectl } from './draft';
import { JsonMap, KubeObject, get, getArray, getNumber, getString, isRecord } from './objects';

export const FORBIDDEN_REASON
  = 'The API server refuses updates to StatefulSet spec fields other than replicas, ordinals, template, updateStrategy, '
    + 'persistentVolumeClaimRetentionPolicy and minReadySeconds (Kubernetes 1.33 and newer also accept revisionHistoryLimit) '
    + '("Forbidden: updates to statefulset spec for fields other than ... are forbidden"), so the sync fails and the set stays as it is.';

/** What the rules need to know about one StatefulSet. */
export interface SetFacts {
  readonly object: KubeObject;
  readonly name: string;
  readonly replicas: number;
  readonly start: number;
  /** Claim template names, in order. */
  readonly claims: string[];
  readonly whenScaled: string;
  readonly whenDeleted: string;
}

export function facts(object: KubeObject): SetFacts {
  const spec = get(object.body, 'spec');
  return {
    object,
    name: object.ref.name,
    // An absent replicas field is defaulted to 1 by the API server (and kubectl apply removes it to 1).
    replicas: getNumber(spec, 'replicas') ?? 1,
    start: getNumber(spec, 'ordinals', 'start') ?? 0,
    claims: claimTemplates(object).map((t) => t.name),
    whenScaled: getString(spec, 'persistentVolumeClaimRetentionPolicy', 'whenScaled') ?? 'Retain',
    whenDeleted: getString(spec, 'persistentVolumeClaimRetentionPolicy', 'whenDeleted') ?? 'Retain',
  };
}

export function ordinals(set: SetFacts): number[] {
  return Array.from({ length: Math.max(0, set.replicas) }, (_, i) => set.start + i);
}

/** PVC names the StatefulSet controller uses: `<claim template>-<set>-<ordinal>`. */
export function pvcNames(claims: string[], setName: string, ordinalList: number[]): string[] {
  return claims.flatMap((claim) => ordinalList.map((i) => `${claim}-${setName}-${i}`));
}

export function allPvcs(set: SetFacts): string[] {
  return pvcNames(set.claims, set.name, ordinals(set));
}

export interface ClaimTemplate {
  readonly name: string;
  /** metadata and spec as written, without what the API server does not store. */
  readonly stored: JsonMap;
}

/**
 * Claim templates keyed by name, reduced to what the API server stores: apiVersion/kind/status and the
 * namespace are dropped (not part of the stored template).
 */
export function claimTemplates(object: KubeObject): ClaimTemplate[] {
  const result: ClaimTemplate[] = [];
  for (const template of getArray(object.body, 'spec', 'volumeClaimTemplates')) {
    const name = getString(template, 'metadata', 'name');
    if (!isRecord(template) || name === undefined) {
      continue;
    }
    const metadata: JsonMap = isRecord(template.metadata) ? { ...template.metadata } : {};
    delete metadata.namespace;
    delete metadata.creationTimestamp;
    result.push({ name, stored: { metadata, spec: template.spec } });
  }
  return result;
}

/** A stored claim template with API server defaults filled in (volumeMode: Filesystem). */
export function withTemplateDefaults(template: unknown): unknown {
  const spec = get(template, 'spec');
  return { ...(isRecord(template) ? template : {}), spec: { ...(isRecord(spec) ? spec : {}), volumeMode: getString(spec, 'volumeMode') ?? 'Filesystem' } };
}

export function images(object: KubeObject): string[] {
  const podSpec = get(object.body, 'spec', 'template', 'spec');
  const containers = [...getArray(podSpec, 'containers'), ...getArray(podSpec, 'initContainers')];
  return [...new Set(containers.map((c) => getString(c, 'image')).filter((i): i is string => i !== undefined))].sort();
}

export function sameSet(a: string[], b: string[]): boolean {
  return a.length > 0 && a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');
}

export function isStatefulSet(object: KubeObject): boolean {
  return object.group === 'apps' && object.ref.kind === 'StatefulSet';
}

export function orphanFix(set: SetFacts): string {
  return (
    'Revert the change, or re-create the set without touching its pods and volumes:\n'
    + `  ${kubectl(set.object)} delete statefulset ${set.name} --cascade=orphan\n`
    + 'then sync the new manifests (with auto-sync, merge the change first so the set is re-created from it): '
    + 'the new set adopts the running pods and PVCs.'
  );
}

/** `k=v,k2=v2` from the selector's matchLabels (PVCs of a set carry them), or undefined without matchLabels. */
export function labelSelector(object: KubeObject): string | undefined {
  const labels = get(object.body, 'spec', 'selector', 'matchLabels');
  if (!isRecord(labels) || Object.keys(labels).length === 0) {
    return undefined;
  }
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${String(labels[key])}`)
    .join(',');
}

export function describeOrdinals(set: SetFacts): string {
  const list = ordinals(set);
  if (list.length === 0) {
    return 'none: replicas is 0';
  }
  return list.length === 1 ? `${list[0]}` : `${list[0]}..${list[list.length - 1]}`;
}
