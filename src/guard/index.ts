/**
 * Upgrade guard: finds manifest changes that Kubernetes refuses for existing objects, or that strand or
 * delete StatefulSet data, before GitOps applies them.
 */
import { checkUpgrade } from './check';
import { formatFindings, formatFindingsJson } from './format';
import { loadManifests, loadManifestsAtRevision } from './load';
import type { RevisionManifests } from './load';
import type { CheckOptions, CheckResult } from './model';

export { checkUpgrade, findingId } from './check';
export { formatFindings, formatFindingsJson } from './format';
export { loadManifests, loadManifestsAtRevision, parseManifests } from './load';
export type { RevisionManifests } from './load';
export { ManifestError, Severity } from './model';
export type { CheckOptions, CheckResult, Finding, ObjectRef } from './model';

/**
 * The guard's functions as static methods, for jsii languages (which cannot call free functions).
 */
export class UpgradeGuard {
  /**
   * Compares two manifest sets; see `checkUpgrade`.
   * @param oldManifests the objects before the change
   * @param newManifests the objects after the change
   * @param options accepted finding ids and a default namespace
   */
  public static check(oldManifests: unknown[], newManifests: unknown[], options?: CheckOptions): CheckResult {
    return checkUpgrade(oldManifests, newManifests, options);
  }

  /**
   * Reads manifests from a file or folder; see `loadManifests`.
   * @param manifestPath a file or folder
   */
  public static load(manifestPath: string): unknown[] {
    return loadManifests(manifestPath);
  }

  /**
   * Reads manifests as committed at a git revision; see `loadManifestsAtRevision`.
   * @param manifestPath a file or folder inside a git work tree
   * @param revision a git commit-ish
   */
  public static loadAtRevision(manifestPath: string, revision: string): RevisionManifests {
    return loadManifestsAtRevision(manifestPath, revision);
  }

  /**
   * Renders a result as text; see `formatFindings`.
   * @param result the result of `check`
   */
  public static format(result: CheckResult): string {
    return formatFindings(result);
  }

  /**
   * Renders a result as JSON; see `formatFindingsJson`.
   * @param result the result of `check`
   */
  public static formatJson(result: CheckResult): string {
    return formatFindingsJson(result);
  }

  private constructor() {}
}
