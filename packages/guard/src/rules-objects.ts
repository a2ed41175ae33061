/**
 * Rules for other kinds: immutable fields of Services, StorageClasses, PersistentVolumeClaims and workload
 * selectors, plus removals that delete data and kind/group changes (Jobs: rules-jobs.ts).
 */
import { ARGO_REPLACE, Draft, RuleContext, expansionNote, fieldDraft, kubectl, quantityComparator } from './draft';
import { Severity } from './model';
import { JsonMap, KubeObject, deepEqual, diffWithDefaults, get, getArray, getString, isEmpty, isRecord, pick } from './objects';
import { compareQuantities } from './quantity';

/** Service: clusterIP / clusterIPs are immutable; type changes to or from ExternalName are allowed but change DNS. */
export function serviceChanges(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  const oldSpec = get(oldObject.body, 'spec');
  const newSpec = get(newObject.body, 'spec');
  const oldType = getString(oldSpec, 'type') ?? 'ClusterIP';
  const newType = getString(newSpec, 'type') ?? 'ClusterIP';
  const k = kubectl(oldObject);
  if (oldType !== newType && (oldType === 'ExternalName' || newType === 'ExternalName')) {
    // The API server releases or allocates the cluster IP for these transitions, so clusterIP rules do not apply.
    const shown = (type: string, written: unknown) => (isEmpty(written) ? `${type} (default)` : type);
    return [
      fieldDraft(
        'service-type-change',
        Severity.WARN,
        oldObject,
        'spec.type',
        get(oldSpec, 'type'),
        get(newSpec, 'type'),
        newType === 'ExternalName'
          ? 'Allowed, but the Service loses its cluster IP: its DNS name becomes a CNAME and clients connected to the old IP lose it.'
          : 'Allowed: the Service gets a new cluster IP and its DNS name stops being a CNAME.',
        'Make sure clients (and network policies) expect the new kind of address.',
        `${shown(oldType, get(oldSpec, 'type'))} → ${shown(newType, get(newSpec, 'type'))}`,
      ),
    ];
  }
  const drafts: Draft[] = [];
  const oldIps = getArray(oldSpec, 'clusterIPs').filter((ip): ip is string => typeof ip === 'string');
  const newIps = getArray(newSpec, 'clusterIPs').filter((ip): ip is string => typeof ip === 'string');
  const oldPrimary = getString(oldSpec, 'clusterIP') ?? oldIps[0];
  const newPrimary = getString(newSpec, 'clusterIP') ?? newIps[0];
  const field = getString(oldSpec, 'clusterIP') !== undefined || getString(newSpec, 'clusterIP') !== undefined ? 'spec.clusterIP' : 'spec.clusterIPs';
  const recreate
    = `Revert the change, or delete and re-create the Service (clients see a short interruption; with Argo CD, the ${ARGO_REPLACE} `
      + `annotation on the Service does the same), then apply:\n  ${k} delete service ${oldObject.ref.name}`;
  if (oldPrimary !== newPrimary) {
    let reason: string | undefined;
    let rule = 'service-immutable-field';
    if (newPrimary === undefined && oldPrimary === 'None') {
      // The API server accepts this update (checked on 1.34): nothing is refused, but nothing changes either.
      rule = 'service-stays-headless';
      reason
        = 'clusterIP is immutable: the API server accepts the update but keeps None, so the Service silently stays headless '
          + '(a headless Service cannot become a normal one in place): clients expecting a cluster IP get the pod addresses.';
    } else if (newPrimary === undefined) {
      reason = undefined; // The API server keeps the allocated address: nothing changes.
    } else if (oldPrimary === undefined) {
      reason
        = newPrimary === 'None'
          ? 'clusterIP is immutable: a Service with a cluster IP cannot become headless in place; the API server refuses the update '
          + '("spec.clusterIPs[0]: Invalid value: ...: may not change once set").'
          : 'clusterIP is immutable: the API server refuses the update unless the address equals the one it already allocated '
            + '("may not change once set").';
    } else {
      reason = `clusterIP is immutable: the API server refuses to change ${oldPrimary} to ${newPrimary} ("spec.clusterIPs[0]: Invalid value: ...: may not change once set").`;
    }
    if (reason !== undefined) {
      drafts.push(fieldDraft(rule, Severity.BLOCK, oldObject, field, oldPrimary, newPrimary, reason, recreate));
    }
  }
  // A secondary address (dual-stack) may be added, but not changed.
  if (oldIps[1] !== undefined && newIps[1] !== undefined && oldIps[1] !== newIps[1]) {
    drafts.push(
      fieldDraft(
        'service-immutable-field',
        Severity.BLOCK,
        oldObject,
        'spec.clusterIPs[1]',
        oldIps[1],
        newIps[1],
        'clusterIPs are immutable once allocated: the API server refuses the update ("may not change once set").',
        recreate,
      ),
    );
  }
  return drafts;
}

// Fields the API server refuses to update on a StorageClass, and what it assumes when they are absent.
const STORAGE_CLASS_IMMUTABLE = ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode'];
const STORAGE_CLASS_DEFAULTS: JsonMap = { reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' };

/** StorageClass: provisioner, parameters, reclaimPolicy and volumeBindingMode are immutable. */
export function storageClassChanges(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  const name = oldObject.ref.name;
  const withDefaults = (value: unknown) => ({ ...STORAGE_CLASS_DEFAULTS, ...pick(value, STORAGE_CLASS_IMMUTABLE) });
  const changes = diffWithDefaults(pick(oldObject.body, STORAGE_CLASS_IMMUTABLE), pick(newObject.body, STORAGE_CLASS_IMMUTABLE), '', withDefaults);
  return changes.map((change) =>
    fieldDraft(
      'storageclass-immutable-field',
      Severity.BLOCK,
      oldObject,
      change.path,
      change.oldValue,
      change.newValue,
      'StorageClass provisioner, parameters, reclaimPolicy and volumeBindingMode cannot be updated: the API server refuses the change, so the sync fails.',
      'Create a StorageClass with a new name for the new settings and use it for new claims (existing volumes keep the settings they were '
      + `provisioned with), or delete and re-create this one, then apply (existing volumes are not affected):\n  kubectl delete storageclass ${name}`
      + (change.path === 'reclaimPolicy'
        ? '\nExisting volumes keep their own reclaim policy; change it per PersistentVolume:\n'
        + '  kubectl patch pv NAME -p \'{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}\''
        : ''),
      change.text,
    ),
  );
}

/** PersistentVolumeClaim: the spec is immutable except for a storage request that grows. */
export function pvcChanges(oldObject: KubeObject, newObject: KubeObject, ctx: RuleContext): Draft[] {
  const drafts: Draft[] = [];
  const normalize = (spec: unknown) => ({ ...(isRecord(spec) ? spec : {}), volumeMode: getString(spec, 'volumeMode') ?? 'Filesystem' });
  const oldSpec = get(oldObject.body, 'spec');
  const newSpec = get(newObject.body, 'spec');
  const name = oldObject.ref.name;
  const k = kubectl(oldObject);
  const refused = 'The spec of a PersistentVolumeClaim cannot change after creation (only its storage request may grow): the API server refuses the update.';
  const replaceFix
    = 'Revert the change. To move the data to a claim with the new settings, create a new claim (new name), copy the data, and point the '
      + 'workload at it; deleting and re-creating this claim deletes its volume when the reclaimPolicy is Delete.';
  for (const change of diffWithDefaults(oldSpec, newSpec, 'spec', normalize, quantityComparator)) {
    const draft = (severity: Severity, reason: string, fix: string) =>
      drafts.push(fieldDraft('pvc-immutable-field', severity, oldObject, change.path, change.oldValue, change.newValue, reason, fix, change.text));
    if (change.path === 'spec.resources.requests.storage') {
      const order = compareQuantities(change.oldValue, change.newValue);
      if (order !== undefined && order < 0) {
        const expansion = expansionNote(ctx, getString(newSpec, 'storageClassName'));
        if (expansion.allowed === false) {
          drafts.push(
            fieldDraft(
              'pvc-resize-not-allowed',
              Severity.BLOCK,
              oldObject,
              change.path,
              change.oldValue,
              change.newValue,
              `The claim can only grow when its StorageClass allows volume expansion. ${expansion.note}`,
              'Set allowVolumeExpansion: true on the StorageClass (it can be changed in place) and apply that before the claim, or keep the old size.',
            ),
          );
        }
        continue; // Growing is allowed.
      }
      if (order !== undefined && order > 0) {
        draft(
          Severity.BLOCK,
          'Volumes can only grow: the API server refuses a smaller storage request ("field can not be less than status.capacity" on '
          + 'Kubernetes 1.34; "field can not be less than previous value" before).',
          `Keep the storage request at ${String(change.oldValue)}. A smaller volume means a new claim and copying the data over.`,
        );
        continue;
      }
    }
    if (change.path === 'spec.volumeAttributesClassName' || change.path.startsWith('spec.volumeAttributesClassName.')) {
      continue; // Mutable (VolumeAttributesClass).
    }
    if (change.path === 'spec.volumeName' && isEmpty(change.oldValue)) {
      continue; // Binding a claim to a volume is allowed once.
    }
    if (change.path === 'spec.storageClassName' && isEmpty(change.oldValue)) {
      draft(
        Severity.WARN,
        'The claim had no storageClassName, so the cluster assigned its default class; the API server accepts the new value only if it is that class.',
        `Check the class the claim got:\n  ${k} get pvc ${name} -o jsonpath='{.spec.storageClassName}'`,
      );
      continue;
    }
    draft(Severity.BLOCK, refused, replaceFix);
  }
  return drafts;
}

/** Deployment, DaemonSet, ReplicaSet: spec.selector is immutable in apps/v1. */
export function workloadSelectorChanges(oldObject: KubeObject, newObject: KubeObject): Draft[] {
  const before = get(oldObject.body, 'spec', 'selector');
  const after = get(newObject.body, 'spec', 'selector');
  if (deepEqual(before, after)) {
    return [];
  }
  const kind = oldObject.ref.kind;
  return [
    fieldDraft(
      'workload-selector-immutable',
      Severity.BLOCK,
      oldObject,
      'spec.selector',
      before,
      after,
      `The selector of a ${kind} is immutable in apps/v1: the API server refuses the update ("field is immutable"), so the sync fails.`,
      'Keep the selector (new labels can go on the pod template alone), or give the object a new name. To really change it, delete it '
      + `and let GitOps re-create it (its pods are replaced: expect a short outage):\n  ${kubectl(oldObject)} delete ${kind.toLowerCase()} ${oldObject.ref.name}`,
    ),
  ];
}

/**
 * A namespaced object whose namespace is set on one side only (and no --namespace given): compared with
 * its counterpart as the same object, with a warning that this assumes the destination namespace.
 */
export function namespaceUnset(oldObject: KubeObject, newObject: KubeObject): Draft {
  const before = oldObject.ref.namespace;
  const after = newObject.ref.namespace;
  const assumed = before ?? after ?? '';
  const side = before === undefined ? 'old' : 'new';
  const statefulSet = oldObject.group === 'apps' && oldObject.ref.kind === 'StatefulSet';
  return {
    rule: 'namespace-unset',
    severity: Severity.WARN,
    object: oldObject,
    field: 'metadata.namespace',
    ...(before !== undefined ? { oldValue: before } : {}),
    ...(after !== undefined ? { newValue: after } : {}),
    change: `${before ?? '(not set)'} → ${after ?? '(not set)'}`,
    reason:
      `The ${side} manifest sets no namespace, so the object goes to the namespace it is applied to (the Argo CD or Flux destination, `
      + `or kubectl -n). It was compared as the same object, assuming that namespace is ${assumed}; if it is not, this is a different `
      + `object in another namespace${statefulSet ? ' (a StatefulSet there starts with new empty volumes)' : ''}.`,
    fix:
      'Pass --namespace NS (CheckOptions.namespace), NS being the GitOps destination namespace, so manifests without a namespace are '
      + 'compared in it; or set metadata.namespace explicitly on both sides.',
  };
}

/**
 * Objects that disappear: PVCs and Namespaces take data with them; a new kind or API group under the same
 * name is a different object (delete + create).
 */
export function removedObjects(removed: KubeObject[], added: KubeObject[]): Draft[] {
  const drafts: Draft[] = [];
  for (const object of removed) {
    const replacement = added.find((n) => n.nameKey === object.nameKey && (n.group !== object.group || n.ref.kind !== object.ref.kind));
    if (replacement) {
      drafts.push({
        rule: 'kind-changed',
        severity: Severity.WARN,
        object,
        field: 'kind',
        oldValue: `${object.ref.apiVersion} ${object.ref.kind}`,
        newValue: `${replacement.ref.apiVersion} ${replacement.ref.kind}`,
        reason:
          `Kubernetes identifies objects by API group, kind, namespace and name, so ${replacement.ref.display} is a different object: `
          + `GitOps deletes ${object.ref.display} (when pruning) and creates ${replacement.ref.display}; nothing carries over.`,
        fix: 'Make sure the old and new object can be swapped (downtime, data held by the old one); other findings cover StatefulSet data.',
      });
    }
    if (object.group === '' && object.ref.kind === 'PersistentVolumeClaim') {
      drafts.push({
        rule: 'pvc-removed',
        severity: Severity.BLOCK,
        object,
        field: '',
        change: 'removed',
        reason:
          'When GitOps prunes the claim, Kubernetes deletes it; with the usual reclaimPolicy Delete its volume and the data on it are deleted too.',
        fix:
          'Keep the claim in the manifests. If it must leave them but the data must stay, stop pruning it first (Argo CD: annotation '
          + 'argocd.argoproj.io/sync-options: Prune=false; Flux: kustomize.toolkit.fluxcd.io/prune: disabled) and set the reclaimPolicy of its '
          + 'PersistentVolume to Retain. If the data is disposable, accept this finding.',
      });
    }
    if (object.group === '' && object.ref.kind === 'Namespace') {
      drafts.push({
        rule: 'namespace-removed',
        severity: Severity.BLOCK,
        object,
        field: '',
        change: 'removed',
        reason:
          `Deleting a Namespace deletes everything in it, including every PersistentVolumeClaim in ${object.ref.name} `
          + '(and, with a reclaimPolicy of Delete, the data on their volumes).',
        fix:
          'Keep the Namespace in the manifests, or stop pruning it (Argo CD: argocd.argoproj.io/sync-options: Prune=false; '
          + 'Flux: kustomize.toolkit.fluxcd.io/prune: disabled). Accept only if nothing in it is worth keeping.',
      });
    }
  }
  return drafts;
}
