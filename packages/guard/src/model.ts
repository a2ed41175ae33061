/**
 * Public types of the upgrade guard.
 */

/** How serious a finding is. */
export enum Severity {
  /** The change is refused by the API server or loses data: the check fails (exit code 1). */
  BLOCK = 'block',
  /** Worth a look, or a blocking finding that was explicitly accepted: the check still passes. */
  WARN = 'warn',
}

/** Identifies a Kubernetes object in a finding. */
export interface ObjectRef {
  /** apiVersion as written in the manifest, e.g. `apps/v1`. */
  readonly apiVersion: string;
  /** Kind, e.g. `StatefulSet`. */
  readonly kind: string;
  /**
   * Namespace of the object.
   * @default - none: a cluster-scoped object, or a namespaced object whose manifest sets no namespace
   */
  readonly namespace?: string;
  /** metadata.name */
  readonly name: string;
  /**
   * `Kind/namespace/name` (or `Kind/name` without a namespace): the form used in text output. Finding ids
   * prefix it with the API group of non-core kinds (`apps/StatefulSet/shop/db`).
   */
  readonly display: string;
}

/** One problem (or noteworthy change) found when comparing the old and new manifests. */
export interface Finding {
  /**
   * Identifier bound to this very change: `rule:[group/]Kind/namespace/name:field@hash` (no `:field` for
   * findings about a whole object; no `group/` for core kinds), where `hash` is 8 hex digits of SHA-256 over
   * `oldValue` and `newValue`. Pass it to `--accept` (or `CheckOptions.accept`) to accept a reviewed finding:
   * accepting `10Gi → 20Gi` does not accept a later `20Gi → 5Gi`. The id without `@hash` also matches, for
   * any change of that field; such matches are listed in `CheckResult.unboundAccepts`.
   */
  readonly id: string;
  /** The rule that produced the finding, e.g. `statefulset-immutable-field`. */
  readonly rule: string;
  /** `block` fails the check; `warn` does not. An accepted blocking finding becomes `warn`. */
  readonly severity: Severity;
  /** True when the finding would block but was accepted through `accept`. */
  readonly accepted: boolean;
  /** The object the finding is about (for a removed or renamed object: the old one). */
  readonly object: ObjectRef;
  /** Field path inside the object, e.g. `spec.volumeClaimTemplates[www].spec.resources.requests.storage`; empty for the whole object. */
  readonly field: string;
  /**
   * The old value as written in the old manifest, rendered as text (objects as compact JSON).
   * @default - absent in the old manifests
   */
  readonly oldValue?: string;
  /**
   * The new value as written in the new manifest, rendered as text (objects as compact JSON).
   * @default - absent in the new manifests
   */
  readonly newValue?: string;
  /**
   * Short description of the change for people, e.g. `1Gi → 2Gi`, `10 (default) → 3` (an absent field and
   * the API server default standing in for it) or `removed`.
   */
  readonly change: string;
  /** Why the change matters (what Kubernetes does with it). */
  readonly reason: string;
  /** Self-contained one-paragraph message: object, field, change and reason. */
  readonly message: string;
  /** What to do instead (may span several lines, e.g. kubectl commands with the real PVC names). */
  readonly fix: string;
}

/** Options for `checkUpgrade`. */
export interface CheckOptions {
  /**
   * Ids of reviewed blocking findings to accept: they are reported as accepted warnings and no longer
   * fail the check. An id with `@hash` accepts only that change; without it, any change of the field
   * (reported in `CheckResult.unboundAccepts`). Ids that match no finding are reported in `CheckResult.staleAccepts`.
   * @default - nothing is accepted
   */
  readonly accept?: string[];
  /**
   * Namespace assumed for namespaced objects whose manifest sets none (what `kubectl -n` or the
   * Argo CD / Flux destination namespace would use).
   * @default - such objects are compared without a namespace; one whose namespace is set on one side only
   * is compared with its namespaced counterpart, with a warning (`namespace-unset`)
   */
  readonly namespace?: string;
  /**
   * The oldest Kubernetes version the manifests are applied to, e.g. `1.28` or `v1.34.4`. Some updates are
   * refused by older API servers only (a StatefulSet's revisionHistoryLimit can change from 1.33 on): with a
   * version, those findings follow it; without one, they block and say which versions refuse the change.
   * @default - unknown: changes refused by any supported version (1.28 and newer) block
   */
  readonly kubernetesVersion?: string;
}

/** Result of `checkUpgrade`. */
export interface CheckResult {
  /** All findings, sorted by object, then field, then rule. */
  readonly findings: Finding[];
  /** True when at least one finding has severity `block` (not accepted). */
  readonly blocking: boolean;
  /** Accepted ids that matched no finding (stale acceptances worth removing). */
  readonly staleAccepts: string[];
  /** Accepted ids without `@hash` that matched a finding: they accept any change of that field, not one reviewed change. */
  readonly unboundAccepts: string[];
  /** Number of Kubernetes objects in the old manifests (after flattening lists). */
  readonly oldObjectCount: number;
  /** Number of Kubernetes objects in the new manifests (after flattening lists). */
  readonly newObjectCount: number;
}

/**
 * Thrown for input the guard cannot work with: unreadable or missing files, text that is not YAML or
 * JSON, documents that are not Kubernetes objects, git revisions that do not exist. The message is one
 * line, meant for users.
 *
 * Not part of the jsii (Python, Java, Go) API: jsii cannot model a subclass of the built-in
 * `Error`; there the caller gets the language's own exception (Python: `RuntimeError`) with this same message.
 * @jsii ignore
 */
export class ManifestError extends Error {
  /** @param message one-line reason, shown to users as is */
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}
