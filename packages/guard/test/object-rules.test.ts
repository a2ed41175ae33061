import { CheckResult, Finding, ManifestError, Severity, checkUpgrade, findingId, formatFindings, formatFindingsJson } from '../src';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Conventions } from 'cdk8s-stateful';
import { unbound } from './helpers';

type Obj = Record<string, unknown>;

function service(spec: Obj, name = 'web'): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { ports: [{ port: 80 }], ...spec } };
}

function storageClass(fields: Obj = {}, name = 'fast'): Obj {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: 'ebs.csi.aws.com', parameters: { type: 'gp3' }, ...fields };
}

function pvc(spec: Obj = {}, name = 'data'): Obj {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'shop' },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '10Gi' } }, ...spec },
  };
}

function deployment(selector: Obj, image = 'nginx:1.25'): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'shop' },
    spec: { replicas: 2, selector: { matchLabels: selector }, template: { metadata: { labels: selector }, spec: { containers: [{ name: 'api', image }] } } },
  };
}

function job(image: string, parallelism = 1): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: 'shop' },
    spec: { parallelism, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image }] } } },
  };
}

/** A Job without parallelism (so completions defaults to 1), with annotations and extra spec fields. */
function annotatedJob(image: string, annotations: Record<string, string> = {}, spec: Obj = {}): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: 'shop', annotations },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image }] } }, ...spec },
  };
}

function workload(kind: 'DaemonSet' | 'ReplicaSet', selector: Obj): Obj {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: 'agent', namespace: 'shop' },
    spec: { selector: { matchLabels: selector }, template: { metadata: { labels: selector }, spec: { containers: [{ name: 'agent', image: 'agent:1' }] } } },
  };
}

function statefulSet(name: string, replicas: number): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'shop' },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
}

function theOnly(result: CheckResult): Finding {
  expect(result.findings.map((f) => f.id)).toHaveLength(1);
  return result.findings[0];
}

describe('Service', () => {
  test.each<[string, Obj, Obj, string]>([
    ['normal → headless', {}, { clusterIP: 'None' }, '(absent) → None'],
    ['one address → another', { clusterIP: '10.0.0.10' }, { clusterIP: '10.0.0.11' }, '10.0.0.10 → 10.0.0.11'],
    ['allocated → pinned address', {}, { clusterIP: '10.0.0.12' }, '(absent) → 10.0.0.12'],
  ])('GIVEN clusterIP %s WHEN checked THEN it blocks', (_what, before, after, change) => {
    // GIVEN
    const old = service(before);
    const changed = service(after);
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(unbound(finding.id)).toBe('service-immutable-field:Service/shop/web:spec.clusterIP');
    expect(finding.change).toBe(change);
    expect(finding.reason).toContain('clusterIP is immutable');
    expect(finding.fix).toContain('kubectl -n shop delete service web');
    expect(finding.fix).toContain('argocd.argoproj.io/sync-options: Force=true,Replace=true');
  });

  test('GIVEN a headless Service whose clusterIP: None is removed WHEN checked THEN it blocks: the API server accepts but keeps it headless', () => {
    // GIVEN (Kubernetes 1.34 accepts this update and keeps None: test/cluster/guard.cluster.ts)
    const old = service({ clusterIP: 'None' });
    const changed = service({});
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(unbound(finding.id)).toBe('service-stays-headless:Service/shop/web:spec.clusterIP');
    expect(finding.change).toBe('None → (absent)');
    expect(finding.reason).toContain('accepts the update but keeps None');
    expect(finding.fix).toContain('kubectl -n shop delete service web');
  });

  test('GIVEN clusterIPs (not clusterIP) change WHEN checked THEN the finding is on spec.clusterIPs', () => {
    // GIVEN
    const old = service({ clusterIPs: ['10.0.0.10'] });
    const changed = service({ clusterIPs: ['None'] });
    // WHEN
    const finding = theOnly(checkUpgrade([old], [changed]));
    // THEN
    expect(finding.field).toBe('spec.clusterIPs');
    expect(finding.change).toBe('10.0.0.10 → None');
  });

  test('GIVEN a pinned address removed, or ports and selector changed WHEN checked THEN nothing is reported', () => {
    // GIVEN the API server keeps an allocated address when the manifest drops it
    const old = service({ clusterIP: '10.0.0.10', selector: { app: 'web' } });
    const changed = service({ ports: [{ port: 8080 }], selector: { app: 'web2' } });
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    expect(result.findings).toEqual([]);
  });

  test('GIVEN the type changes to ExternalName WHEN checked THEN it only warns', () => {
    // GIVEN
    const old = service({ clusterIP: '10.0.0.10' });
    const changed = service({ type: 'ExternalName', externalName: 'db.example.com' });
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(false);
    expect(finding).toMatchObject({ rule: 'service-type-change', severity: Severity.WARN, field: 'spec.type', change: 'ClusterIP (default) → ExternalName' });
    expect(finding.oldValue).toBeUndefined();
  });
});

describe('StorageClass', () => {
  test.each<[string, Obj, string, string]>([
    ['provisioner', { provisioner: 'pd.csi.storage.gke.io' }, 'provisioner', 'ebs.csi.aws.com → pd.csi.storage.gke.io'],
    ['a parameter', { parameters: { type: 'io2' } }, 'parameters.type', 'gp3 → io2'],
    ['reclaimPolicy', { reclaimPolicy: 'Retain' }, 'reclaimPolicy', 'Delete (default) → Retain'],
    ['volumeBindingMode', { volumeBindingMode: 'WaitForFirstConsumer' }, 'volumeBindingMode', 'Immediate (default) → WaitForFirstConsumer'],
  ])('GIVEN %s changes WHEN checked THEN it blocks', (_what, fields, field, change) => {
    // GIVEN
    const old = storageClass();
    const changed = storageClass(fields);
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(unbound(finding.id)).toBe(`storageclass-immutable-field:storage.k8s.io/StorageClass/fast:${field}`);
    expect(finding.change).toBe(change);
    expect(finding.fix).toContain('kubectl delete storageclass fast');
  });

  test('GIVEN a default made explicit and changed WHEN checked THEN the machine values stay raw and the text names the default', () => {
    // GIVEN
    const changed = storageClass({ reclaimPolicy: 'Retain' });
    // WHEN
    const finding = theOnly(checkUpgrade([storageClass()], [changed]));
    // THEN
    expect(finding.oldValue).toBeUndefined();
    expect(finding.newValue).toBe('Retain');
    expect(finding.change).toBe('Delete (default) → Retain');
  });

  test('GIVEN explicit defaults, allowVolumeExpansion and a namespace on the class WHEN checked THEN nothing is reported', () => {
    // GIVEN a namespace on a cluster-scoped object is ignored by the API server
    const old = storageClass();
    const changed = storageClass({
      metadata: { name: 'fast', namespace: 'ignored' },
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
      allowVolumeExpansion: true,
    });
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    expect(result.findings).toEqual([]);
  });
});

describe('PersistentVolumeClaim', () => {
  test('GIVEN a claim that grows (or is rewritten in other units) WHEN checked THEN nothing is reported', () => {
    // GIVEN
    const grown = pvc({ resources: { requests: { storage: '20Gi' } } });
    const sameSize = pvc({ resources: { requests: { storage: '10240Mi' } } });
    // WHEN
    const results = [checkUpgrade([pvc()], [grown]), checkUpgrade([pvc()], [sameSize])];
    // THEN
    expect(results.map((r) => r.findings)).toEqual([[], []]);
  });

  test('GIVEN a claim that shrinks WHEN checked THEN it blocks', () => {
    // GIVEN
    const shrunk = pvc({ resources: { requests: { storage: '5Gi' } } });
    // WHEN
    const finding = theOnly(checkUpgrade([pvc()], [shrunk]));
    // THEN
    expect(unbound(finding.id)).toBe('pvc-immutable-field:PersistentVolumeClaim/shop/data:spec.resources.requests.storage');
    expect(finding.change).toBe('10Gi → 5Gi');
    expect(finding.reason).toContain('Volumes can only grow');
  });

  test('GIVEN a claim that grows on a StorageClass without allowVolumeExpansion WHEN checked THEN it blocks', () => {
    // GIVEN
    const sc = storageClass();
    const grown = pvc({ resources: { requests: { storage: '20Gi' } } });
    // WHEN
    const finding = theOnly(checkUpgrade([sc, pvc()], [sc, grown]));
    // THEN
    expect(finding.rule).toBe('pvc-resize-not-allowed');
    expect(finding.reason).toContain('StorageClass fast (in these manifests) does not set allowVolumeExpansion: true');
  });

  test('GIVEN access modes change WHEN checked THEN it blocks', () => {
    // GIVEN
    const changed = pvc({ accessModes: ['ReadWriteMany'] });
    // WHEN
    const finding = theOnly(checkUpgrade([pvc()], [changed]));
    // THEN
    expect(finding).toMatchObject({ rule: 'pvc-immutable-field', severity: Severity.BLOCK, field: 'spec.accessModes[0]', change: 'ReadWriteOnce → ReadWriteMany' });
  });

  test('GIVEN a claim bound to a volume by name, or labelled WHEN checked THEN nothing is reported', () => {
    // GIVEN
    const bound = pvc({ volumeName: 'pv-123' });
    bound.metadata = { name: 'data', namespace: 'shop', labels: { team: 'a' } };
    // WHEN
    const result = checkUpgrade([pvc()], [bound]);
    // THEN
    expect(result.findings).toEqual([]);
  });

  test('GIVEN a claim removed from the manifests WHEN checked THEN it blocks: pruning deletes it', () => {
    // GIVEN / WHEN
    const result = checkUpgrade([pvc()], []);
    // THEN
    const finding = theOnly(result);
    expect(unbound(finding.id)).toBe('pvc-removed:PersistentVolumeClaim/shop/data');
    expect(finding.fix).toContain('Prune=false');
  });
});

describe('Workloads and Jobs', () => {
  test('GIVEN a Deployment selector change WHEN checked THEN it blocks', () => {
    // GIVEN
    const old = deployment({ app: 'api' });
    const changed = deployment({ app: 'api', version: 'v2' });
    // WHEN
    const finding = theOnly(checkUpgrade([old], [changed]));
    // THEN
    expect(unbound(finding.id)).toBe('workload-selector-immutable:apps/Deployment/shop/api:spec.selector');
    expect(finding.fix).toContain('kubectl -n shop delete deployment api');
  });

  test('GIVEN a Deployment image and replicas change WHEN checked THEN nothing is reported', () => {
    // GIVEN
    const changed = deployment({ app: 'api' }, 'nginx:1.27');
    (changed.spec as Obj).replicas = 5;
    // WHEN
    const result = checkUpgrade([deployment({ app: 'api' })], [changed]);
    // THEN
    expect(result.findings).toEqual([]);
  });

  test('GIVEN a Job whose template changes WHEN checked THEN one finding on spec.template lists the changed paths', () => {
    // GIVEN
    const old = job('migrate:1');
    const changed = job('migrate:2');
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(unbound(finding.id)).toBe('job-immutable-field:batch/Job/shop/migrate:spec.template');
    expect(finding.change).toBe('changed: spec.template.spec.containers[migrate].image (migrate:1 → migrate:2)');
    expect(finding.fix).toContain('kubectl -n shop delete job migrate');
  });

  test.each<['DaemonSet' | 'ReplicaSet']>([['DaemonSet'], ['ReplicaSet']])('GIVEN a %s selector change WHEN checked THEN it blocks', (kind) => {
    // GIVEN
    const old = workload(kind, { app: 'agent' });
    const changed = workload(kind, { app: 'agent', tier: 'node' });
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(unbound(finding.id)).toBe(`workload-selector-immutable:apps/${kind}/shop/agent:spec.selector`);
    expect(finding.reason).toContain(`The selector of a ${kind} is immutable`);
    expect(finding.fix).toContain(`kubectl -n shop delete ${kind.toLowerCase()} agent`);
  });

  test.each(['DaemonSet', 'ReplicaSet'] as const)('GIVEN a %s image change with the same selector WHEN checked THEN nothing is reported', (kind) => {
    // GIVEN
    const old = workload(kind, { app: 'agent' });
    const changed = structuredClone(old);
    ((changed.spec as Obj).template as { spec: { containers: Obj[] } }).spec.containers[0].image = 'agent:2';
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    expect(result.findings).toEqual([]);
  });

  test('GIVEN a plain Job whose template changes WHEN checked THEN the fix offers Force=true,Replace=true, not Replace=true alone', () => {
    // GIVEN
    const old = annotatedJob('migrate:1');
    const changed = annotatedJob('migrate:2');
    // WHEN
    const finding = theOnly(checkUpgrade([old], [changed]));
    // THEN
    expect(finding).toMatchObject({ rule: 'job-immutable-field', severity: Severity.BLOCK });
    expect(finding.fix).toContain('argocd.argoproj.io/sync-options: Force=true,Replace=true');
    expect(finding.fix).not.toMatch(/sync-options: Replace=true/);
  });

  test.each<[string, Record<string, string>, Obj, Obj, string]>([
    [
      'an Argo CD hook with BeforeHookCreation',
      { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded, BeforeHookCreation' },
      {},
      {},
      'Argo CD hook with hook-delete-policy BeforeHookCreation',
    ],
    ['Argo CD Force=true,Replace=true', { 'argocd.argoproj.io/sync-options': 'Replace=true,Force=true' }, {}, {}, 'Force=true,Replace=true'],
    ['a Helm hook with before-hook-creation', { 'helm.sh/hook': 'pre-upgrade', 'helm.sh/hook-delete-policy': 'before-hook-creation' }, {}, {}, 'Helm hook'],
    ['Flux force', { 'kustomize.toolkit.fluxcd.io/force': 'enabled' }, {}, {}, 'Flux deletes and re-creates'],
    ['ttlSecondsAfterFinished on the Job in the cluster', {}, { ttlSecondsAfterFinished: 600 }, { ttlSecondsAfterFinished: 600 }, 'ttlSecondsAfterFinished: 600'],
  ])('GIVEN a Job re-created on sync (%s) WHEN its template changes THEN it only warns', (_what, annotations, oldSpec, newSpec, mechanism) => {
    // GIVEN
    const old = annotatedJob('migrate:1', annotations, oldSpec);
    const changed = annotatedJob('migrate:2', annotations, newSpec);
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(false);
    expect(finding).toMatchObject({ rule: 'job-recreated', severity: Severity.WARN, field: 'spec.template' });
    expect(finding.reason).toContain(mechanism);
    expect(finding.reason).toContain('runs again');
  });

  test.each<[string, Record<string, string>, Obj, Obj]>([
    ['Argo CD Replace=true alone', { 'argocd.argoproj.io/sync-options': 'Replace=true' }, {}, {}],
    ['an Argo CD hook without BeforeHookCreation', { 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded' }, {}, {}],
    ['a before-hook-creation policy without a Helm hook', { 'helm.sh/hook-delete-policy': 'before-hook-creation' }, {}, {}],
    ['Flux force disabled', { 'kustomize.toolkit.fluxcd.io/force': 'disabled' }, {}, {}],
    ['a TTL only on the new Job (the Job in the cluster stays)', {}, {}, { ttlSecondsAfterFinished: 600 }],
  ])('GIVEN %s WHEN a Job template changes THEN it still blocks', (_what, annotations, oldSpec, newSpec) => {
    // GIVEN
    const old = annotatedJob('migrate:1', annotations, oldSpec);
    const changed = annotatedJob('migrate:2', annotations, newSpec);
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    expect(result.blocking).toBe(true);
    expect(theOnly(result).rule).toBe('job-immutable-field');
  });

  test('GIVEN a Job manifest that spells out API server defaults WHEN checked THEN nothing is reported', () => {
    // GIVEN
    const old = annotatedJob('migrate:1');
    const explicit = annotatedJob('migrate:1', {}, {
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      manualSelector: false,
      template: {
        metadata: {},
        spec: {
          restartPolicy: 'Never',
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: 'migrate',
              image: 'migrate:1',
              imagePullPolicy: 'IfNotPresent',
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
            },
          ],
        },
      },
    });
    // WHEN
    const result = checkUpgrade([old], [explicit]);
    // THEN
    expect(result.findings).toEqual([]);
  });

  test.each<[string, Obj, Obj, string, string]>([
    ['completionMode', {}, { completionMode: 'Indexed', completions: 1 }, 'spec.completionMode', 'NonIndexed (default) → Indexed'],
    ['completions', { parallelism: 3 }, { parallelism: 3, completions: 1 }, 'spec.completions', '(absent) → 1'],
    ['completions beyond the default', {}, { completions: 5 }, 'spec.completions', '1 (default) → 5'],
    ['backoffLimitPerIndex', {}, { backoffLimitPerIndex: 1, completionMode: 'Indexed' }, 'spec.backoffLimitPerIndex', '(absent) → 1'],
    ['podFailurePolicy', {}, { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } }, 'spec.podFailurePolicy', ''],
  ])('GIVEN a Job whose %s changes WHEN checked THEN it blocks on that field', (_what, oldSpec, newSpec, field, change) => {
    // GIVEN
    const old = annotatedJob('migrate:1', {}, oldSpec);
    const changed = annotatedJob('migrate:1', {}, newSpec);
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    const finding = result.findings.find((f) => f.field === field);
    expect(result.blocking).toBe(true);
    expect(finding?.rule).toBe('job-immutable-field');
    if (change) {
      expect(finding?.change).toBe(change);
    }
  });

  test('GIVEN a Job whose only template change is a non-default imagePullPolicy WHEN checked THEN the change names the default', () => {
    // GIVEN
    const old = annotatedJob('migrate:1');
    const changed = structuredClone(old);
    ((changed.spec as Obj).template as { spec: { containers: Obj[] } }).spec.containers[0].imagePullPolicy = 'Always';
    // WHEN
    const finding = theOnly(checkUpgrade([old], [changed]));
    // THEN
    expect(finding.change).toBe('changed: spec.template.spec.containers[migrate].imagePullPolicy (IfNotPresent (default) → Always)');
  });

  test('GIVEN a Job whose parallelism changes WHEN checked THEN nothing is reported', () => {
    // GIVEN / WHEN
    const result = checkUpgrade([job('migrate:1', 1)], [job('migrate:1', 3)]);
    // THEN
    expect(result.findings).toEqual([]);
  });
});

describe('Jobs: changes Kubernetes accepts (checked against a 1.34 API server in test/cluster/guard.cluster.ts)', () => {
  test('GIVEN an Indexed Job whose completions change together with parallelism WHEN checked THEN nothing is reported', () => {
    // GIVEN (elastic Indexed Jobs: on by default since Kubernetes 1.27)
    const old = annotatedJob('migrate:1', {}, { completionMode: 'Indexed', completions: 2, parallelism: 2 });
    const changed = annotatedJob('migrate:1', {}, { completionMode: 'Indexed', completions: 4, parallelism: 4 });
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    expect(result.findings).toEqual([]);
  });

  test('GIVEN an Indexed Job whose completions change alone WHEN checked THEN it blocks', () => {
    // GIVEN
    const old = annotatedJob('migrate:1', {}, { completionMode: 'Indexed', completions: 2, parallelism: 2 });
    const changed = annotatedJob('migrate:1', {}, { completionMode: 'Indexed', completions: 4, parallelism: 2 });
    // WHEN
    const finding = theOnly(checkUpgrade([old], [changed]));
    // THEN
    expect(finding).toMatchObject({ rule: 'job-immutable-field', field: 'spec.completions', severity: Severity.BLOCK });
  });

  test('GIVEN a suspended Job whose pod template only changes scheduling directives WHEN checked THEN it warns that only a never-started Job accepts it', () => {
    // GIVEN
    const old = annotatedJob('migrate:1', {}, { suspend: true });
    const changed = structuredClone(old);
    const template = (changed.spec as Obj).template as { metadata?: Obj; spec: Obj };
    template.spec.nodeSelector = { 'kubernetes.io/os': 'linux' };
    template.spec.tolerations = [{ key: 'x', operator: 'Exists' }];
    template.metadata = { labels: { batch: 'a' } };
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(false);
    expect(finding).toMatchObject({ rule: 'job-scheduling-directives', field: 'spec.template', severity: Severity.WARN });
    expect(finding.reason).toContain('has never started');
  });

  test.each<[string, Obj]>([
    ['an image change', { image: 'migrate:2' }],
    ['a new env var', { env: [{ name: 'A', value: '1' }] }],
  ])('GIVEN a suspended Job with %s in its pod template WHEN checked THEN it blocks', (_what, containerChange) => {
    // GIVEN
    const old = annotatedJob('migrate:1', {}, { suspend: true });
    const changed = structuredClone(old);
    const container = (((changed.spec as Obj).template as { spec: { containers: Obj[] } }).spec.containers[0]);
    Object.assign(container, containerChange);
    // WHEN
    const finding = theOnly(checkUpgrade([old], [changed]));
    // THEN
    expect(finding).toMatchObject({ rule: 'job-immutable-field', severity: Severity.BLOCK });
  });

  test('GIVEN a running Job whose nodeSelector changes WHEN checked THEN it blocks', () => {
    // GIVEN
    const old = annotatedJob('migrate:1');
    const changed = structuredClone(old);
    ((changed.spec as Obj).template as { spec: Obj }).spec.nodeSelector = { 'kubernetes.io/os': 'linux' };
    // WHEN
    const finding = theOnly(checkUpgrade([old], [changed]));
    // THEN
    expect(finding).toMatchObject({ rule: 'job-immutable-field', severity: Severity.BLOCK });
  });
});

describe('Identity changes and removals', () => {
  test('GIVEN an object whose API group changes WHEN checked THEN it warns that it is deleted and created', () => {
    // GIVEN
    const old = { apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'web', namespace: 'shop' } };
    const changed = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'shop' } };
    // WHEN
    const result = checkUpgrade([old], [changed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(false);
    expect(unbound(finding.id)).toBe('kind-changed:extensions/Ingress/shop/web:kind');
    expect(finding.change).toBe('extensions/v1beta1 Ingress → networking.k8s.io/v1 Ingress');
    expect(finding.reason).toContain('GitOps deletes Ingress/shop/web');
  });

  test('GIVEN a Namespace removed WHEN checked THEN it blocks', () => {
    // GIVEN
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
    // WHEN
    const finding = theOnly(checkUpgrade([ns], []));
    // THEN
    expect(unbound(finding.id)).toBe('namespace-removed:Namespace/shop');
    expect(finding.reason).toContain('every PersistentVolumeClaim in shop');
  });

  test('GIVEN other objects removed (a ConfigMap, a Deployment) WHEN checked THEN nothing is reported', () => {
    // GIVEN
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'shop' }, data: { a: '1' } };
    // WHEN
    const result = checkUpgrade([cm, deployment({ app: 'api' })], []);
    // THEN
    expect(result.findings).toEqual([]);
  });
});

describe('checkUpgrade: acceptance, ordering, input', () => {
  const grownId = 'statefulset-immutable-field:apps/StatefulSet/shop/db:spec.volumeClaimTemplates[data].spec.resources.requests.storage';

  function grow(): [Obj[], Obj[]] {
    const old = statefulSet('db', 2);
    const grown = structuredClone(old);
    ((grown.spec as Obj).volumeClaimTemplates as Array<{ spec: { resources: { requests: Obj } } }>)[0].spec.resources.requests.storage = '2Gi';
    return [[old], [grown]];
  }

  test('GIVEN a blocking finding WHEN its id is accepted THEN it becomes an accepted warning and the check passes', () => {
    // GIVEN
    const [old, grown] = grow();
    // WHEN
    const result = checkUpgrade(old, grown, { accept: [` ${grownId} `] });
    // THEN
    expect(result.blocking).toBe(false);
    expect(result.staleAccepts).toEqual([]);
    expect(result.findings[0]).toMatchObject({ severity: Severity.WARN, accepted: true });
    expect(unbound(result.findings[0].id)).toBe(grownId);
    expect(result.unboundAccepts).toEqual([grownId]);
    expect(formatFindings(result)).toContain(`ACCEPTED  StatefulSet/shop/db spec.volumeClaimTemplates[data].spec.resources.requests.storage: 1Gi → 2Gi`);
  });

  test('GIVEN an accepted id that matches nothing WHEN checked THEN it is reported as stale, without failing', () => {
    // GIVEN
    const [old] = grow();
    // WHEN
    const result = checkUpgrade(old, old, { accept: ['statefulset-removed:apps/StatefulSet/shop/gone'] });
    // THEN
    expect(result.blocking).toBe(false);
    expect(result.staleAccepts).toEqual(['statefulset-removed:apps/StatefulSet/shop/gone']);
    expect(formatFindings(result)).toContain('STALE     accepted id matches no finding (remove it): statefulset-removed:apps/StatefulSet/shop/gone');
    expect(formatFindings(result)).toContain('Safe to apply: 0 blocking findings, 0 warnings, 1 stale acceptance');
    expect(JSON.parse(formatFindingsJson(result)).summary).toEqual({ blocking: 0, warnings: 0, accepted: 0, staleAccepts: 1, unboundAccepts: 0 });
  });

  test('GIVEN findings on several objects WHEN checked THEN they are sorted by object, then field', () => {
    // GIVEN
    const old = [service({ clusterIP: '10.0.0.1' }, 'b'), statefulSet('z', 3), storageClass(), service({ clusterIP: '10.0.0.2' }, 'a')];
    const changedSet = structuredClone(old[1]);
    Object.assign(changedSet.spec as Obj, { serviceName: 'other', podManagementPolicy: 'Parallel' });
    const changed = [changedSet, service({ clusterIP: '10.0.0.3' }, 'a'), storageClass({ provisioner: 'x' }), service({ clusterIP: '10.0.0.4' }, 'b')];
    // WHEN
    const result = checkUpgrade(old, changed);
    // THEN
    expect(result.findings.map((f) => `${f.object.display} ${f.field}`)).toEqual([
      'Service/shop/a spec.clusterIP',
      'Service/shop/b spec.clusterIP',
      'StatefulSet/shop/z spec.podManagementPolicy',
      'StatefulSet/shop/z spec.serviceName',
      'StorageClass/fast provisioner',
    ]);
  });

  test('GIVEN manifests without a namespace WHEN a default namespace is given THEN they match namespaced ones', () => {
    // GIVEN
    const old = statefulSet('db', 2);
    const withoutNamespace = structuredClone(old);
    delete (withoutNamespace.metadata as Obj).namespace;
    // WHEN
    const defaulted = checkUpgrade([old], [withoutNamespace], { namespace: 'shop' });
    const elsewhere = checkUpgrade([old], [withoutNamespace], { namespace: 'store' });
    // THEN
    expect(defaulted.findings).toEqual([]);
    expect(elsewhere.findings.map((f) => [f.rule, f.change])).toEqual([['statefulset-moved-namespace', 'shop → store']]);
  });

  test('GIVEN a namespace set on one side only and no default namespace WHEN checked THEN it warns, suggests --namespace and compares the pair', () => {
    // GIVEN the new manifest drops the namespace and grows the claim template
    const [[old], [grown]] = grow();
    delete (grown.metadata as Obj).namespace;
    // WHEN
    const result = checkUpgrade([old], [grown]);
    // THEN
    expect(result.findings.map((f) => [f.rule, f.severity, f.field])).toEqual([
      ['namespace-unset', Severity.WARN, 'metadata.namespace'],
      ['statefulset-immutable-field', Severity.BLOCK, 'spec.volumeClaimTemplates[data].spec.resources.requests.storage'],
    ]);
    const warning = result.findings[0];
    expect(warning).toMatchObject({ change: 'shop → (not set)', oldValue: 'shop' });
    expect(warning.newValue).toBeUndefined();
    expect(warning.reason).toContain('assuming that namespace is shop');
    expect(warning.reason).toContain('a StatefulSet there starts with new empty volumes');
    expect(warning.fix).toContain('--namespace NS');
  });

  test('GIVEN a kind: List WHEN checked THEN its items are compared', () => {
    // GIVEN
    const [old, grown] = grow();
    // WHEN
    const result = checkUpgrade([{ apiVersion: 'v1', kind: 'List', items: old }], grown);
    // THEN
    expect(result.oldObjectCount).toBe(1);
    expect(result.findings.map((f) => unbound(f.id))).toEqual([grownId]);
  });

  test('GIVEN something that is not a Kubernetes object WHEN checked THEN a ManifestError names what is missing', () => {
    // GIVEN
    const bad = [{ apiVersion: 'v1', metadata: { name: 'x' } }];
    // WHEN
    const run = () => checkUpgrade([], bad);
    // THEN
    expect(run).toThrow(ManifestError);
    expect(run).toThrow('new manifests[0] is not a Kubernetes object (missing kind)');
  });

  test('GIVEN a result WHEN rendered as JSON THEN it carries the findings and counts', () => {
    // GIVEN
    const [old, grown] = grow();
    const result = checkUpgrade(old, grown);
    // WHEN
    const json = JSON.parse(formatFindingsJson(result));
    // THEN
    expect(json.blocking).toBe(true);
    expect(json.summary).toEqual({ blocking: 1, warnings: 0, accepted: 0, staleAccepts: 0, unboundAccepts: 0 });
    expect(json.findings[0]).toMatchObject({ severity: 'block', oldValue: '1Gi', newValue: '2Gi' });
    expect(unbound(json.findings[0].id)).toBe(grownId);
    expect(json.findings[0].fix).toContain('kubectl -n shop patch pvc data-db-1');
  });

  test('GIVEN a rule, object, field and values WHEN an id is built THEN it has the documented form and matches the finding', () => {
    // GIVEN
    const set = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'shop', name: 'web', display: 'StatefulSet/shop/web' };
    const service = { apiVersion: 'v1', kind: 'Service', namespace: 'shop', name: 'web', display: 'Service/shop/web' };
    const [old, grown] = grow();
    // WHEN
    const removed = findingId('statefulset-removed', set, '');
    const field = findingId('service-immutable-field', service, 'spec.clusterIP', '10.0.0.1', '10.0.0.2');
    const other = findingId('service-immutable-field', service, 'spec.clusterIP', '10.0.0.1', '10.0.0.3');
    const finding = checkUpgrade(old, grown).findings[0];
    // THEN
    expect(removed).toMatch(/^statefulset-removed:apps\/StatefulSet\/shop\/web@[0-9a-f]{8}$/);
    expect(field).toMatch(/^service-immutable-field:Service\/shop\/web:spec\.clusterIP@[0-9a-f]{8}$/);
    expect(other).not.toBe(field);
    expect(findingId(finding.rule, finding.object, finding.field, finding.oldValue, finding.newValue)).toBe(finding.id);
  });

  test('GIVEN ordinals.start moves up with the same replicas WHEN checked THEN the vacated ordinals count as a scale-in', () => {
    // GIVEN
    const old = statefulSet('db', 2);
    const shifted = structuredClone(old);
    (shifted.spec as Obj).ordinals = { start: 1 };
    // WHEN
    const finding = theOnly(checkUpgrade([old], [shifted]));
    // THEN
    expect(finding).toMatchObject({ rule: 'statefulset-scale-in', field: 'spec.ordinals.start', change: '0 → 1' });
    expect(finding.reason).toContain('Their PVCs data-db-0 stay');
  });
});

describe('mysql-init-sql-changed', () => {
  // What ReplicatedMySql synthesizes, reduced to what the rule reads.
  function mysqlConfig(initSql?: string, other = 'x'): Obj {
    return {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'db-config', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'cdk8s-stateful', 'app.kubernetes.io/instance': 'db' } },
      data: { 'bootstrap.sh': '#!/usr/bin/env bash', 'common.cnf': other, ...(initSql !== undefined ? { 'init.sql': initSql } : {}) },
    };
  }

  test.each([
    ['added', undefined, 'CREATE TABLE t (id INT);', 'initSql added'],
    ['changed', 'CREATE TABLE t (id INT);', 'CREATE TABLE u (id INT);', 'initSql changed'],
    ['removed', 'CREATE TABLE t (id INT);', undefined, 'initSql removed'],
  ])('initSql %s on a running cluster blocks: it would never run', (_what, before, after, change) => {
    const result = checkUpgrade([mysqlConfig(before)], [mysqlConfig(after)]);
    expect(result.blocking).toBe(true);
    expect(result.findings).toHaveLength(1);
    const f = result.findings[0];
    expect(unbound(f.id)).toBe('mysql-init-sql-changed:ConfigMap/shop/db-config:data["init.sql"]');
    expect(f.change).toBe(change);
    expect(f.reason).toMatch(/runs initSql once, when the primary initializes an empty data directory/);
    expect(f.fix).toContain(
      'pod=$(kubectl -n shop get service db-primary -o jsonpath=\'{.spec.selector.statefulset\\.kubernetes\\.io/pod-name}\')\n'
      + '  kubectl -n shop exec -i "$pod" -c mysql -- bash -c \'p=$(cat /etc/mysql/credentials/root-password);',
    );
  });

  test.each([['secret pw'], ['p#1"q#2'], ['x\\y'], ['a\\sb'], ['it\'s;$(id)`x`']])(
    'the printed command gives mysql the root password %s exactly as the pods\' own scripts write it, never on the command line',
    (secret) => {
      // GIVEN the fix's bash program, with the credentials file and mysql replaced by stand-ins
      const fix = checkUpgrade([mysqlConfig('A;')], [mysqlConfig('B;')]).findings[0].fix;
      const program = /bash -c '(.*)' < new\.sql/.exec(fix)?.[1];
      expect(program).toBeDefined();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-fix-'));
      const password = path.join(dir, 'root-password');
      fs.writeFileSync(password, secret);
      const standIn = 'mysql() { [[ $1 == --defaults-file=* ]] && cat "${1#--defaults-file=}" && printf "%s\\n" "$2"; }; ';
      const lib = path.join(__dirname, '..', '..', '..', 'src', 'mysql', 'scripts', 'lib.sh');
      // WHEN
      const run = spawnSync('bash', ['-c', standIn + program!.split(Conventions.MYSQL_ROOT_PASSWORD_FILE).join(password)], { encoding: 'utf8' });
      const pods = spawnSync('bash', ['-c', 'source "$1"; client_cnf root "$(<"$2")" server-sql-mode', '_', lib, password], { encoding: 'utf8' });
      fs.rmSync(dir, { recursive: true, force: true });
      // THEN the option file is the one lib.sh writes (which the real-server tests run), then the socket
      expect(run.stderr).toBe('');
      expect(pods.stderr).toBe('');
      expect(pods.stdout).toContain(`password="`);
      expect(run.stdout).toBe(`${pods.stdout}--socket=${Conventions.MYSQL_SOCKET}\n`);
    },
  );

  test('other changes of the ConfigMap, and other ConfigMaps, are not findings', () => {
    expect(checkUpgrade([mysqlConfig('A;', 'x')], [mysqlConfig('A;', 'y')]).findings).toEqual([]);
    const plain = (sql: string): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'shop' }, data: { 'init.sql': sql } });
    expect(checkUpgrade([plain('A;')], [plain('B;')]).findings).toEqual([]);
  });
});
