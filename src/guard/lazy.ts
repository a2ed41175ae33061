/**
 * The guard's public functions, loading the guard (and its YAML parser) on first use: apps that
 * only use the constructs never pay for it at load time.
 */
import type { RevisionManifests } from './load';
import type { CheckOptions, CheckResult, ObjectRef } from './model';

/* eslint-disable @typescript-eslint/no-require-imports -- deferred loading is the point of this module */
const check = (): typeof import('./check') => require('./check') as typeof import('./check');
const format = (): typeof import('./format') => require('./format') as typeof import('./format');
const load = (): typeof import('./load') => require('./load') as typeof import('./load');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Compares the manifests of a change and reports what the API server refuses or what strands or deletes data. */
export function checkUpgrade(oldManifests: unknown[], newManifests: unknown[], options?: CheckOptions): CheckResult {
  return check().checkUpgrade(oldManifests, newManifests, options);
}

/** The id of a finding (`rule:[group/]Kind/namespace/name[:field]@hash`). */
export function findingId(rule: string, object: ObjectRef, field: string, oldValue?: string, newValue?: string): string {
  return check().findingId(rule, object, field, oldValue, newValue);
}

/** A result as text. */
export function formatFindings(result: CheckResult): string {
  return format().formatFindings(result);
}

/** A result as JSON. */
export function formatFindingsJson(result: CheckResult): string {
  return format().formatFindingsJson(result);
}

/** Kubernetes objects of YAML or JSON text. */
export function parseManifests(text: string, source: string): unknown[] {
  return load().parseManifests(text, source);
}

/** Kubernetes objects of a file or folder. */
export function loadManifests(manifestPath: string): unknown[] {
  return load().loadManifests(manifestPath);
}

/** Kubernetes objects of a file or folder as committed at a git revision. */
export function loadManifestsAtRevision(manifestPath: string, revision: string): RevisionManifests {
  return load().loadManifestsAtRevision(manifestPath, revision);
}

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

  /**
   * Parses manifests from YAML or JSON text; see `parseManifests`.
   * @param text the text of one file
   * @param source where the text came from, for error messages
   */
  public static parse(text: string, source: string): unknown[] {
    return parseManifests(text, source);
  }

  /**
   * The id of a finding, as `--accept` takes it; see `findingId`.
   * @param rule the rule id
   * @param object the object
   * @param field the field
   * @param oldValue the value before, as written
   * @param newValue the value after, as written
   */
  public static findingId(rule: string, object: ObjectRef, field: string, oldValue?: string, newValue?: string): string {
    return findingId(rule, object, field, oldValue, newValue);
  }

  private constructor() {}
}
