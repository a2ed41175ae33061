/**
 * What rules produce (findings before ids, acceptance and sorting are applied) and what they can look up.
 */
import { ManifestError, Severity } from './model';
import { KubeObject, getString, isRecord, render } from './objects';
import { compareQuantities } from './quantity';

/** A finding as a rule reports it; `check.ts` turns it into a public `Finding`. */
export interface Draft {
  readonly rule: string;
  readonly severity: Severity;
  readonly object: KubeObject;
  /** Field path; '' for the whole object. */
  readonly field: string;
  readonly oldValue?: string;
  readonly newValue?: string;
  /** Short change description; defaults to `old → new`. */
  readonly change?: string;
  readonly reason: string;
  readonly fix: string;
}

/** Lookups across both manifest sets. */
export class RuleContext {
  /**
   * @param oldObjects the objects before the change
   * @param newObjects the objects after the change
   */
  constructor(
    readonly oldObjects: KubeObject[],
    readonly newObjects: KubeObject[],
    /** Minor version of the oldest target Kubernetes 1.x (from CheckOptions.kubernetesVersion), when known. */
    readonly kubernetesMinor?: number,
  ) {}

  /**
   * The StorageClass a claim uses, if its manifest is part of the change (new set first, then old):
   * by name, or the class annotated as default when the claim names none.
   */
  storageClass(name: string | undefined): KubeObject | undefined {
    const classes = (objects: KubeObject[]) => objects.filter((o) => o.group === 'storage.k8s.io' && o.ref.kind === 'StorageClass');
    for (const candidates of [classes(this.newObjects), classes(this.oldObjects)]) {
      const found
        = name !== undefined
          ? candidates.find((o) => o.ref.name === name)
          : candidates.find((o) => isDefaultClass(o.body));
      if (found) {
        return found;
      }
    }
    return undefined;
  }
}

function isDefaultClass(body: unknown): boolean {
  return (
    getString(body, 'metadata', 'annotations', 'storageclass.kubernetes.io/is-default-class') === 'true'
    || getString(body, 'metadata', 'annotations', 'storageclass.beta.kubernetes.io/is-default-class') === 'true'
  );
}

/**
 * A note on volume expansion for a claim that must grow: quiet confirmation when the StorageClass in the
 * manifests allows it, a warning when it does not, and a how-to-check hint when it is not in the manifests.
 */
export function expansionNote(ctx: RuleContext, className: string | undefined): { allowed: boolean | undefined; note: string } {
  const storageClass = ctx.storageClass(className);
  if (!storageClass) {
    return {
      allowed: undefined,
      note:
        `The StorageClass ${className ?? 'used (the cluster default, marked "(default)" by kubectl get storageclass)'} must allow `
        + 'volume expansion (allowVolumeExpansion: true) and its provisioner must support it; check with:\n'
        + `  kubectl get storageclass ${className ?? 'NAME'} -o jsonpath='{.allowVolumeExpansion}'`,
    };
  }
  if (isRecord(storageClass.body) && storageClass.body.allowVolumeExpansion === true) {
    return { allowed: true, note: `StorageClass ${storageClass.ref.name} allows volume expansion (allowVolumeExpansion: true).` };
  }
  return {
    allowed: false,
    note:
      `StorageClass ${storageClass.ref.name} (in these manifests) does not set allowVolumeExpansion: true, so the API server refuses `
      + `to grow its claims: add allowVolumeExpansion: true to it first (that field can be changed in place) and apply it.`,
  };
}

/**
 * The minor version of a Kubernetes 1.x version (`1.28`, `v1.34.4`, `1.33.0-rc.1` → 28, 34, 33).
 * @throws ManifestError for text that is not such a version
 */
export function kubernetesMinor(version: string): number {
  const match = /^v?1\.(\d+)(\.\d+)?([-+].*)?$/.exec(version.trim());
  if (!match) {
    throw new ManifestError(`kubernetesVersion ${JSON.stringify(version)} is not a Kubernetes 1.x version (expected e.g. 1.28 or v1.34.4)`);
  }
  return Number(match[1]);
}

/** Compares quantities under `resources.requests` / `resources.limits` numerically (1Gi == 1024Mi). */
export function quantityComparator(path: string, a: unknown, b: unknown): boolean | undefined {
  if (!/\.resources\.(requests|limits)(\.[^.[\]]+|\["[^"]+"\])$/.test(path)) {
    return undefined;
  }
  const result = compareQuantities(a, b);
  return result === undefined ? undefined : result === 0;
}

/** `kubectl -n NS` (or plain `kubectl` for objects without a namespace). */
export function kubectl(object: KubeObject): string {
  return object.ref.namespace ? `kubectl -n ${object.ref.namespace}` : 'kubectl';
}

// Argo CD deletes and re-creates an object with both options; Replace=true alone replaces in place, which
// the API server refuses for immutable fields just like an update.
export const ARGO_REPLACE = 'argocd.argoproj.io/sync-options: Force=true,Replace=true';

/** A finding about one field, its values rendered as written. */
export function fieldDraft(
  rule: string,
  severity: Severity,
  object: KubeObject,
  field: string,
  oldValue: unknown,
  newValue: unknown,
  reason: string,
  fix: string,
  change?: string,
): Draft {
  return {
    rule, severity, object, field, oldValue: render(oldValue), newValue: render(newValue), ...(change !== undefined ? { change } : {}), reason, fix,
  };
}
