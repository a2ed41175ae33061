/**
 * Upgrade guard: finds manifest changes that Kubernetes refuses for existing objects, or that strand or
 * delete StatefulSet data, before GitOps applies them.
 */
export { checkUpgrade, findingId } from './check';
export { formatFindings, formatFindingsJson } from './format';
export { loadManifests, parseManifests } from './load';
export { loadManifestsAtRevision } from './load-git';
export type { RevisionManifests } from './load-git';
export { ManifestError, Severity } from './model';
export type { CheckOptions, CheckResult, Finding, ObjectRef } from './model';
