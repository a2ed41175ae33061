/**
 * Job rules: the pod template, selector, completions and a few more fields are immutable, unless the
 * Job is deleted and re-created on sync.
 */
import { ARGO_REPLACE, Draft, fieldDraft, kubectl, quantityComparator } from './draft';
import { withJobSpecDefaults } from './defaults';
import { Severity } from './model';
import { Change, KubeObject, describeChange, diffAgainstDefaults, get, getNumber, getString, pick } from './objects';

// Pod template paths a suspended, never-started Job may change (batch/v1 validation, AllowMutableSchedulingDirectives).
const SCHEDULING_DIRECTIVES
  = /^spec\.template\.(metadata\.(labels|annotations)|spec\.(nodeSelector|tolerations|schedulingGates|affinity\.nodeAffinity))([.[]|$)/;

// Job spec fields the API server refuses to update (parallelism, suspend, activeDeadlineSeconds, ... may change).
const JOB_IMMUTABLE = ['backoffLimitPerIndex', 'completionMode', 'completions', 'managedBy', 'podFailurePolicy', 'selector', 'successPolicy', 'template'];

/**
 * Why the Job will be deleted and created rather than updated, so immutable fields may change; undefined
 * when it is updated in place. Annotations are read from the new manifest (what GitOps acts on), the TTL
 * from the old one (the Job in the cluster is the one that goes away).
 */
export function jobRecreation(oldObject: KubeObject, newObject: KubeObject): string | undefined {
  const annotation = (key: string) => getString(newObject.body, 'metadata', 'annotations', key);
  const list = (key: string) => (annotation(key) ?? '').split(',').map((item) => item.trim());
  if (annotation('argocd.argoproj.io/hook') && list('argocd.argoproj.io/hook-delete-policy').includes('BeforeHookCreation')) {
    return 'it is an Argo CD hook with hook-delete-policy BeforeHookCreation: Argo CD deletes the old Job before it creates the new one';
  }
  const syncOptions = list('argocd.argoproj.io/sync-options');
  if (syncOptions.includes('Force=true') && syncOptions.includes('Replace=true')) {
    return `it carries ${ARGO_REPLACE}: Argo CD deletes and re-creates it`;
  }
  if (annotation('helm.sh/hook') && list('helm.sh/hook-delete-policy').includes('before-hook-creation')) {
    return 'it is a Helm hook with hook-delete-policy before-hook-creation: the old Job is deleted before the new one is created';
  }
  if (annotation('kustomize.toolkit.fluxcd.io/force') === 'enabled') {
    return 'it carries kustomize.toolkit.fluxcd.io/force: enabled: Flux deletes and re-creates objects whose immutable fields change';
  }
  const ttl = getNumber(oldObject.body, 'spec', 'ttlSecondsAfterFinished');
  if (ttl !== undefined && ttl >= 0) {
    return (
      `the Job in the cluster sets spec.ttlSecondsAfterFinished: ${ttl}: Kubernetes deletes it ${ttl} seconds after it finishes, `
      + 'so the sync creates a new Job (if the old one still exists at sync time, because it is running or its TTL has not passed, the sync fails)'
    );
  }
  return undefined;
}

/**
 * Job: the pod template, selector, completions and a few more fields are immutable. Blocks, unless the Job
 * is deleted and re-created on sync (see `jobRecreation`): then the change only warns that it runs again.
 */
export function jobChanges(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  const oldSpec = get(oldObject.body, 'spec');
  const newSpec = get(newObject.body, 'spec');
  // Defaults depend on fields outside the immutable ones (completions on parallelism), so fill them in first.
  const changes = diffAgainstDefaults(
    pick(oldSpec, JOB_IMMUTABLE),
    pick(newSpec, JOB_IMMUTABLE),
    pick(withJobSpecDefaults(oldSpec), JOB_IMMUTABLE),
    pick(withJobSpecDefaults(newSpec), JOB_IMMUTABLE),
    'spec',
    quantityComparator,
  );
  const job: JobChange = { oldObject, oldSpec, newSpec, recreation: jobRecreation(oldObject, newObject), effective: withJobSpecDefaults(newSpec) };
  return JOB_IMMUTABLE.flatMap((key) => {
    const field = `spec.${key}`;
    // One finding per field: a template edit is one decision however many lines it touches.
    const mine = changes.filter((c) => c.path === field || c.path.startsWith(`${field}.`) || c.path.startsWith(`${field}[`));
    return mine.length === 0 ? [] : jobFieldDrafts(job, key, mine);
  });
}

/** A Job before and after, with what decides whether an immutable field may change. */
interface JobChange {
  readonly oldObject: KubeObject;
  readonly oldSpec: unknown;
  readonly newSpec: unknown;
  /** Why the Job is deleted and re-created on sync, if it is. */
  readonly recreation: string | undefined;
  /** The new spec with the API server's defaults. */
  readonly effective: unknown;
}

/** The finding for one changed immutable field, or none where Kubernetes accepts the change. */
function jobFieldDrafts(job: JobChange, key: string, mine: Change[]): Draft[] {
  const { oldObject, oldSpec, recreation, effective } = job;
  const field = `spec.${key}`;
  const before = get(oldSpec, key);
  const after = get(job.newSpec, key);
  const change = summarizeChanges(field, mine);
  const draft = (rule: string, severity: Severity, reason: string, fix: string) => [
    fieldDraft(rule, severity, oldObject, field, before, after, reason, fix, change),
  ];
  // Elastic Indexed Jobs (beta and on by default since Kubernetes 1.27, GA in 1.31): an Indexed Job's completions
  // may change together with parallelism, to the same value.
  if (key === 'completions' && recreation === undefined && getString(effective, 'completionMode') === 'Indexed'
    && typeof after === 'number' && after === getNumber(effective, 'parallelism')) {
    return [];
  }
  // A suspended Job that never started may change its pod template's scheduling directives (Kubernetes 1.27+).
  if (key === 'template' && recreation === undefined && get(oldSpec, 'suspend') === true && mine.every((c) => SCHEDULING_DIRECTIVES.test(c.path))) {
    return draft('job-scheduling-directives', Severity.WARN,
      'The Job is suspended: Kubernetes accepts changes to the node selector, tolerations, node affinity, scheduling gates, labels and '
      + 'annotations of its pod template as long as the Job has never started (it was created suspended and never resumed). '
      + 'If it ran before, the API server refuses the change ("field is immutable").',
      `Nothing to do if the Job never ran. Otherwise give it a new name, or delete the Job before syncing:\n  ${kubectl(oldObject)} delete job ${oldObject.ref.name}`);
  }
  if (recreation !== undefined) {
    return draft('job-recreated', Severity.WARN,
      `A Job's ${field} cannot change after the Job is created, but ${recreation}. The Job runs again with the new spec.`,
      'Nothing to do if the Job should run again. Otherwise revert the change.');
  }
  return draft('job-immutable-field', Severity.BLOCK,
    `A Job's ${field} cannot change after the Job is created: the API server refuses the update ("field is immutable"), so the sync fails.`,
    'Give the Job a new name for each change (for example a content hash suffix), or have it deleted and re-created on sync '
    + `(Argo CD: the annotation ${ARGO_REPLACE}, or a hook with argocd.argoproj.io/hook-delete-policy: BeforeHookCreation; `
    + 'Helm: a hook with helm.sh/hook-delete-policy: before-hook-creation; Flux: kustomize.toolkit.fluxcd.io/force: enabled; '
    + `or spec.ttlSecondsAfterFinished so finished Jobs go away), or delete the finished Job before syncing:\n  ${kubectl(oldObject)} delete job ${oldObject.ref.name}`);
}

/** `old → new` for one leaf change; `changed: path (old → new), ...` for a template or several changes. */
function summarizeChanges(field: string, changes: Change[]): string | undefined {
  if (changes.length === 1 && changes[0].path === field) {
    return changes[0].text;
  }
  const details = changes.slice(0, 3).map((c) => `${c.path} (${describeChange(c)})`);
  const more = changes.length > 3 ? ` and ${changes.length - 3} more` : '';
  return `changed: ${details.join(', ')}${more}`;
}
