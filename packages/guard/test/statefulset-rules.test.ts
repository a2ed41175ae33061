import { CheckResult, Finding, ManifestError, Severity, checkUpgrade } from '../src';
import { unbound } from './helpers';

type Obj = Record<string, unknown>;

interface SetOptions {
  readonly namespace?: string;
  readonly replicas?: number;
  readonly claims?: string[];
  readonly image?: string;
  readonly storage?: string;
  readonly storageClassName?: string;
}

function statefulSet(name: string, options: SetOptions = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: options.namespace ?? 'shop', labels: { app: name } },
    spec: {
      serviceName: name,
      replicas: options.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: options.image ?? 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
      },
      volumeClaimTemplates: (options.claims ?? ['www']).map((claim) => ({
        metadata: { name: claim },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(options.storageClassName === '' ? {} : { storageClassName: options.storageClassName ?? 'fast' }),
          resources: { requests: { storage: options.storage ?? '1Gi' } },
        },
      })),
    },
  };
}

function storageClass(name: string, fields: Obj = {}): Obj {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: 'ebs.csi.aws.com', ...fields };
}

/** Deep copy with changes applied by dotted path (`spec.volumeClaimTemplates.0.metadata.name`); undefined deletes. */
function edit(object: Obj, changes: Record<string, unknown>): Obj {
  const copy = structuredClone(object);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    let current: Obj = copy;
    for (const key of keys.slice(0, -1)) {
      if (typeof current[key] !== 'object' || current[key] === null) {
        current[key] = {};
      }
      current = current[key] as Obj;
    }
    const last = keys[keys.length - 1];
    if (value === undefined) {
      delete current[last];
    } else {
      current[last] = value;
    }
  }
  return copy;
}

function findingsOf(result: CheckResult, rule: string): Finding[] {
  return result.findings.filter((f) => f.rule === rule);
}

function theOnly(result: CheckResult): Finding {
  expect(result.findings.map((f) => f.id)).toHaveLength(1);
  return result.findings[0];
}

const WEB = statefulSet('web');

describe('StatefulSet: claim template storage', () => {
  test('GIVEN a claim template that grows WHEN checked THEN it blocks with the expansion procedure for every real PVC', () => {
    // GIVEN
    const grown = edit(WEB, { 'spec.volumeClaimTemplates.0.spec.resources.requests.storage': '2Gi' });
    // WHEN
    const result = checkUpgrade([WEB], [grown]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(unbound(finding.id)).toBe('statefulset-immutable-field:apps/StatefulSet/shop/web:spec.volumeClaimTemplates[www].spec.resources.requests.storage');
    expect(finding).toMatchObject({
      rule: 'statefulset-immutable-field',
      severity: Severity.BLOCK,
      accepted: false,
      object: { kind: 'StatefulSet', namespace: 'shop', name: 'web', apiVersion: 'apps/v1', display: 'StatefulSet/shop/web' },
      field: 'spec.volumeClaimTemplates[www].spec.resources.requests.storage',
      oldValue: '1Gi',
      newValue: '2Gi',
      change: '1Gi → 2Gi',
    });
    expect(finding.message).toContain('StatefulSet/shop/web spec.volumeClaimTemplates[www].spec.resources.requests.storage: 1Gi → 2Gi');
    expect(finding.reason).toContain('Forbidden: updates to statefulset spec');
    for (const pvc of ['www-web-0', 'www-web-1', 'www-web-2']) {
      expect(finding.fix).toContain(`kubectl -n shop patch pvc ${pvc} -p '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}'`);
    }
    expect(finding.fix).not.toContain('www-web-3');
    expect(finding.fix).toContain('kubectl -n shop delete statefulset web --cascade=orphan');
    expect(finding.fix.indexOf('patch pvc')).toBeLessThan(finding.fix.indexOf('--cascade=orphan'));
    expect(finding.fix).toContain('The StorageClass fast must allow volume expansion');
    // PVCs of ordinals beyond replicas (an earlier scale-in) are found by the selector labels the controller puts on them.
    expect(finding.fix).toContain('kubectl -n shop get pvc -l app=web\n');
  });

  test('GIVEN a set with ordinals.start 5 WHEN its claim template grows THEN the procedure names PVCs from ordinal 5', () => {
    // GIVEN
    const old = edit(statefulSet('db', { replicas: 2, claims: ['data'] }), { 'spec.ordinals.start': 5 });
    const grown = edit(old, { 'spec.volumeClaimTemplates.0.spec.resources.requests.storage': '20Gi' });
    // WHEN
    const finding = theOnly(checkUpgrade([old], [grown]));
    // THEN
    expect(finding.fix).toContain('kubectl -n shop patch pvc data-db-5 -p \'{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}\'');
    expect(finding.fix).toContain('kubectl -n shop patch pvc data-db-6 ');
    expect(finding.fix).not.toContain('data-db-0');
    expect(finding.fix).toContain('ordinals 5..6');
  });

  test('GIVEN the StorageClass in the manifests lacks allowVolumeExpansion WHEN a claim template grows THEN the fix says so first', () => {
    // GIVEN
    const sc = storageClass('fast');
    const grown = edit(WEB, { 'spec.volumeClaimTemplates.0.spec.resources.requests.storage': '2Gi' });
    // WHEN
    const finding = theOnly(checkUpgrade([sc, WEB], [sc, grown]));
    // THEN
    expect(finding.fix).toContain('StorageClass fast (in these manifests) does not set allowVolumeExpansion: true');
    expect(finding.fix.indexOf('allowVolumeExpansion')).toBeLessThan(finding.fix.indexOf('patch pvc'));
  });

  test('GIVEN the StorageClass allows expansion WHEN a claim template grows THEN the fix confirms it', () => {
    // GIVEN
    const sc = storageClass('fast', { allowVolumeExpansion: true });
    const grown = edit(WEB, { 'spec.volumeClaimTemplates.0.spec.resources.requests.storage': '2Gi' });
    // WHEN
    const finding = theOnly(checkUpgrade([sc, WEB], [sc, grown]));
    // THEN
    expect(finding.fix).toContain('StorageClass fast allows volume expansion');
    expect(finding.fix).not.toContain('does not set');
  });

  test('GIVEN a claim template without storageClassName and a default class without expansion WHEN it grows THEN the default class is named', () => {
    // GIVEN
    const sc = storageClass('standard', { metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } });
    const old = statefulSet('web', { storageClassName: '' });
    const grown = edit(old, { 'spec.volumeClaimTemplates.0.spec.resources.requests.storage': '2Gi' });
    // WHEN
    const finding = theOnly(checkUpgrade([sc, old], [sc, grown]));
    // THEN
    expect(finding.fix).toContain('StorageClass standard (in these manifests) does not set allowVolumeExpansion: true');
  });

  test('GIVEN a claim template that shrinks WHEN checked THEN it blocks with no expansion procedure', () => {
    // GIVEN
    const old = statefulSet('web', { storage: '10Gi' });
    const shrunk = edit(old, { 'spec.volumeClaimTemplates.0.spec.resources.requests.storage': '5Gi' });
    // WHEN
    const result = checkUpgrade([old], [shrunk]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(finding.change).toBe('10Gi → 5Gi');
    expect(finding.reason).toContain('volumes can only grow');
    expect(finding.reason).toContain('www-web-0, www-web-1 and www-web-2');
    expect(finding.fix).not.toContain('patch pvc');
    expect(finding.fix).toContain('Keep the storage request at 10Gi');
  });

  test('GIVEN the same size written differently (1Gi vs 1024Mi) WHEN checked THEN nothing is reported', () => {
    // GIVEN
    const rewritten = edit(WEB, { 'spec.volumeClaimTemplates.0.spec.resources.requests.storage': '1024Mi' });
    // WHEN
    const result = checkUpgrade([WEB], [rewritten]);
    // THEN
    expect(result.findings).toEqual([]);
  });

  test('GIVEN 1Gi changed to 1G WHEN checked THEN it is a change (a decimal gigabyte is smaller)', () => {
    // GIVEN
    const decimal = edit(WEB, { 'spec.volumeClaimTemplates.0.spec.resources.requests.storage': '1G' });
    // WHEN
    const finding = theOnly(checkUpgrade([WEB], [decimal]));
    // THEN
    expect(finding.change).toBe('1Gi → 1G');
    expect(finding.reason).toContain('can only grow');
  });
});

describe('StatefulSet: other immutable fields', () => {
  test.each([
    ['storageClassName', 'spec.volumeClaimTemplates.0.spec.storageClassName', 'slow', 'spec.volumeClaimTemplates[www].spec.storageClassName', 'fast → slow'],
    ['access modes', 'spec.volumeClaimTemplates.0.spec.accessModes', ['ReadWriteMany'], 'spec.volumeClaimTemplates[www].spec.accessModes[0]', 'ReadWriteOnce → ReadWriteMany'],
    ['template labels', 'spec.volumeClaimTemplates.0.metadata.labels', { tier: 'db' }, 'spec.volumeClaimTemplates[www].metadata.labels.tier', '(absent) → db'],
    ['serviceName', 'spec.serviceName', 'web-headless', 'spec.serviceName', 'web → web-headless'],
    ['podManagementPolicy', 'spec.podManagementPolicy', 'Parallel', 'spec.podManagementPolicy', 'OrderedReady (default) → Parallel'],
    ['revisionHistoryLimit', 'spec.revisionHistoryLimit', 3, 'spec.revisionHistoryLimit', '10 (default) → 3'],
    ['a field unknown to this check', 'spec.futureField', 'x', 'spec.futureField', '(absent) → x'],
  ])('GIVEN %s changes WHEN checked THEN it blocks on that field', (_what, path, value, field, change) => {
    // GIVEN
    const changed = edit(WEB, { [path]: value });
    // WHEN
    const result = checkUpgrade([WEB], [changed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(finding.rule).toBe('statefulset-immutable-field');
    expect(finding.field).toBe(field);
    expect(finding.change).toBe(change);
    expect(finding.message).toContain(`StatefulSet/shop/web ${field}: ${change}`);
    expect(finding.fix).toContain('kubectl -n shop delete statefulset web --cascade=orphan');
  });

  test('GIVEN revisionHistoryLimit set where it was absent WHEN checked THEN the values stay raw and the reason mentions newer API servers', () => {
    // GIVEN
    const changed = edit(WEB, { 'spec.revisionHistoryLimit': 3 });
    // WHEN
    const finding = theOnly(checkUpgrade([WEB], [changed]));
    // THEN
    expect(finding.oldValue).toBeUndefined();
    expect(finding.newValue).toBe('3');
    expect(finding.change).toBe('10 (default) → 3');
    expect(finding.severity).toBe(Severity.BLOCK);
    expect(finding.reason).toContain('Newer API servers accept this change');
  });

  test('GIVEN revisionHistoryLimit changes and no target version WHEN checked THEN the reason says 1.32 and older refuse it and 1.33 and newer accept it', () => {
    // GIVEN (a 1.34 API server accepts the change: test/cluster/guard.cluster.ts)
    const changed = edit(WEB, { 'spec.revisionHistoryLimit': 3 });
    // WHEN
    const finding = theOnly(checkUpgrade([WEB], [changed]));
    // THEN
    expect(finding.severity).toBe(Severity.BLOCK);
    expect(finding.reason).toContain('Kubernetes 1.32 and older refuse a change of revisionHistoryLimit; 1.33 and newer accept it.');
    expect(finding.reason).toContain('pass kubernetesVersion');
  });

  test.each([['1.33'], ['v1.34.4'], ['1.40']])('GIVEN revisionHistoryLimit changes and kubernetesVersion %s WHEN checked THEN nothing is reported', (version) => {
    // GIVEN
    const changed = edit(WEB, { 'spec.revisionHistoryLimit': 3 });
    // WHEN
    const result = checkUpgrade([WEB], [changed], { kubernetesVersion: version });
    // THEN
    expect(result.findings).toEqual([]);
  });

  test('GIVEN revisionHistoryLimit changes and kubernetesVersion 1.28 WHEN checked THEN it blocks and names the versions', () => {
    // GIVEN
    const changed = edit(WEB, { 'spec.revisionHistoryLimit': 3 });
    // WHEN
    const finding = theOnly(checkUpgrade([WEB], [changed], { kubernetesVersion: '1.28' }));
    // THEN
    expect(finding.severity).toBe(Severity.BLOCK);
    expect(finding.reason).toContain('1.33 and newer accept it. The target version given is 1.28.');
  });

  test('GIVEN kubernetesVersion 1.34 WHEN fields that no version accepts change THEN they still block', () => {
    // GIVEN
    const changed = edit(WEB, { 'spec.serviceName': 'other', 'spec.podManagementPolicy': 'Parallel' });
    // WHEN
    const result = checkUpgrade([WEB], [changed], { kubernetesVersion: '1.34' });
    // THEN
    expect(result.findings.map((f) => f.field).sort()).toEqual(['spec.podManagementPolicy', 'spec.serviceName']);
    expect(result.blocking).toBe(true);
  });

  test.each([['2.0'], ['latest'], ['1'], ['']])('GIVEN kubernetesVersion %j WHEN checked THEN a ManifestError names it', (version) => {
    expect(() => checkUpgrade([WEB], [WEB], { kubernetesVersion: version })).toThrow(ManifestError);
    expect(() => checkUpgrade([WEB], [WEB], { kubernetesVersion: version })).toThrow(/is not a Kubernetes 1.x version/);
  });

  test('GIVEN volumeMode set to Block in a claim template WHEN checked THEN the change names the Filesystem default', () => {
    // GIVEN
    const changed = edit(WEB, { 'spec.volumeClaimTemplates.0.spec.volumeMode': 'Block' });
    // WHEN
    const finding = theOnly(checkUpgrade([WEB], [changed]));
    // THEN
    expect(finding).toMatchObject({ field: 'spec.volumeClaimTemplates[www].spec.volumeMode', change: 'Filesystem (default) → Block', newValue: 'Block' });
    expect(finding.oldValue).toBeUndefined();
  });

  test('GIVEN a claim template setting changes WHEN checked THEN the fix notes that existing PVCs keep their settings', () => {
    // GIVEN
    const changed = edit(WEB, { 'spec.volumeClaimTemplates.0.spec.storageClassName': 'slow' });
    // WHEN
    const finding = theOnly(checkUpgrade([WEB], [changed]));
    // THEN
    expect(finding.fix).toContain('Existing PVCs (www-web-0, www-web-1 and www-web-2) keep their current settings');
  });

  test('GIVEN the selector changes WHEN checked THEN it blocks and the fix deletes the set with its pods', () => {
    // GIVEN
    const changed = edit(WEB, { 'spec.selector.matchLabels': { app: 'web', tier: 'frontend' } });
    // WHEN
    const finding = theOnly(checkUpgrade([WEB], [changed]));
    // THEN
    expect(finding.field).toBe('spec.selector');
    expect(finding.oldValue).toBe('{"matchLabels":{"app":"web"}}');
    expect(finding.newValue).toBe('{"matchLabels":{"app":"web","tier":"frontend"}}');
    expect(finding.fix).toContain('kubectl -n shop delete statefulset web\n');
    expect(finding.fix).not.toContain('--cascade=orphan');
  });

  test('GIVEN the selector changes on a set with whenDeleted: Delete WHEN checked THEN the fix first protects the PVCs', () => {
    // GIVEN
    const old = edit(WEB, { 'spec.persistentVolumeClaimRetentionPolicy': { whenDeleted: 'Delete' } });
    const changed = edit(old, { 'spec.selector.matchLabels': { app: 'web', tier: 'frontend' } });
    // WHEN
    const finding = theOnly(checkUpgrade([old], [changed]));
    // THEN
    expect(finding.fix).toContain('whenDeleted is Delete: first change it to Retain and sync that, or the PVCs are deleted with the set');
  });

  test('GIVEN values equal to the Kubernetes defaults or only cosmetic template differences WHEN checked THEN nothing is reported', () => {
    // GIVEN explicit defaults and template metadata that the API server drops
    const explicit = edit(WEB, {
      'spec.podManagementPolicy': 'OrderedReady',
      'spec.revisionHistoryLimit': 10,
      'spec.volumeClaimTemplates.0.apiVersion': 'v1',
      'spec.volumeClaimTemplates.0.kind': 'PersistentVolumeClaim',
      'spec.volumeClaimTemplates.0.spec.volumeMode': 'Filesystem',
      'spec.volumeClaimTemplates.0.status': {},
      'spec.volumeClaimTemplates.0.metadata.labels': {},
    });
    // WHEN
    const result = checkUpgrade([WEB], [explicit]);
    // THEN
    expect(result.findings).toEqual([]);
  });

  test('GIVEN a claim template renamed WHEN checked THEN it blocks naming the new empty and the stranded PVCs', () => {
    // GIVEN
    const old = statefulSet('db', { replicas: 2, claims: ['data'] });
    const renamed = edit(old, { 'spec.volumeClaimTemplates.0.metadata.name': 'storage' });
    // WHEN
    const result = checkUpgrade([old], [renamed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(unbound(finding.id)).toBe('statefulset-claim-template-renamed:apps/StatefulSet/shop/db:spec.volumeClaimTemplates[data]');
    expect(finding.change).toBe('claim template renamed data → storage');
    expect(finding.reason).toContain('new empty volumes storage-db-0 and storage-db-1');
    expect(finding.reason).toContain('the data stays in data-db-0 and data-db-1');
    expect(finding.fix).toContain('Keep the claim template name data');
  });

  test('GIVEN a claim template added to a set WHEN checked THEN it blocks (refused) and names the PVCs to come', () => {
    // GIVEN
    const withLogs = edit(WEB, {
      'spec.volumeClaimTemplates': [
        ...((WEB.spec as Obj).volumeClaimTemplates as unknown[]),
        { metadata: { name: 'logs' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      ],
    });
    // WHEN
    const finding = theOnly(checkUpgrade([WEB], [withLogs]));
    // THEN
    expect(finding.field).toBe('spec.volumeClaimTemplates[logs]');
    expect(finding.change).toBe('claim template logs added');
    expect(finding.fix).toContain('logs-web-0, logs-web-1 and logs-web-2');
  });

  test('GIVEN claim templates reordered WHEN checked THEN it blocks on the list order', () => {
    // GIVEN
    const old = statefulSet('db', { claims: ['data', 'logs'] });
    const templates = (old.spec as Obj).volumeClaimTemplates as unknown[];
    const reordered = edit(old, { 'spec.volumeClaimTemplates': [templates[1], templates[0]] });
    // WHEN
    const finding = theOnly(checkUpgrade([old], [reordered]));
    // THEN
    expect(finding.field).toBe('spec.volumeClaimTemplates');
    expect(finding.change).toBe('claim templates reordered: data, logs → logs, data');
  });
});

describe('StatefulSet: scale-in and retention policy', () => {
  test('GIVEN whenScaled: Delete WHEN replicas go from 5 to 3 THEN it blocks and lists the PVCs of ordinals 3 and 4', () => {
    // GIVEN
    const old = edit(statefulSet('web', { replicas: 5, claims: ['www', 'logs'] }), {
      'spec.persistentVolumeClaimRetentionPolicy': { whenScaled: 'Delete', whenDeleted: 'Retain' },
    });
    const scaled = edit(old, { 'spec.replicas': 3 });
    // WHEN
    const result = checkUpgrade([old], [scaled]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(unbound(finding.id)).toBe('statefulset-scale-in-deletes-pvcs:apps/StatefulSet/shop/web:spec.replicas');
    expect(finding.change).toBe('5 → 3');
    expect(finding.reason).toContain('removing pods web-3 and web-4');
    expect(finding.reason).toContain('deletes their PVCs www-web-3, www-web-4, logs-web-3 and logs-web-4');
    expect(finding.reason).not.toContain('www-web-2');
    expect(finding.fix).toContain('whenScaled: Retain');
  });

  test('GIVEN the default Retain policy WHEN the set scales in THEN it warns and lists the PVCs that stay', () => {
    // GIVEN
    const scaled = edit(WEB, { 'spec.replicas': 1 });
    // WHEN
    const result = checkUpgrade([WEB], [scaled]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(false);
    expect(finding.rule).toBe('statefulset-scale-in');
    expect(finding.severity).toBe(Severity.WARN);
    expect(finding.reason).toContain('Their PVCs www-web-1 and www-web-2 stay');
    expect(finding.fix).toContain('kubectl -n shop delete pvc www-web-1 www-web-2');
  });

  test('GIVEN whenScaled changes to Retain in the same change WHEN the set scales in THEN the new policy applies (warning only)', () => {
    // GIVEN
    const old = edit(WEB, { 'spec.persistentVolumeClaimRetentionPolicy': { whenScaled: 'Delete' } });
    const scaled = edit(old, { 'spec.replicas': 2, 'spec.persistentVolumeClaimRetentionPolicy': { whenScaled: 'Retain' } });
    // WHEN
    const result = checkUpgrade([old], [scaled]);
    // THEN
    expect(result.blocking).toBe(false);
    expect(result.findings.map((f) => f.rule)).toEqual(['statefulset-scale-in']);
  });

  test('GIVEN the default Retain policy WHEN the set scales in to 0 THEN it warns and lists every PVC', () => {
    // GIVEN
    const scaled = edit(WEB, { 'spec.replicas': 0 });
    // WHEN
    const finding = theOnly(checkUpgrade([WEB], [scaled]));
    // THEN
    expect(finding).toMatchObject({ rule: 'statefulset-scale-in', severity: Severity.WARN, change: '3 → 0' });
    expect(finding.reason).toContain('removing pods web-0, web-1 and web-2');
    expect(finding.reason).toContain('Their PVCs www-web-0, www-web-1 and www-web-2 stay');
  });

  test('GIVEN whenScaled: Delete WHEN the set scales in to 0 THEN it blocks: every PVC is deleted', () => {
    // GIVEN
    const old = edit(WEB, { 'spec.persistentVolumeClaimRetentionPolicy': { whenScaled: 'Delete' } });
    const scaled = edit(old, { 'spec.replicas': 0 });
    // WHEN
    const result = checkUpgrade([old], [scaled]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(finding.rule).toBe('statefulset-scale-in-deletes-pvcs');
    expect(finding.reason).toContain('deletes their PVCs www-web-0, www-web-1 and www-web-2');
  });

  test('GIVEN a set at 0 replicas WHEN its claim template grows THEN the procedure says there are no ordinals and lists PVCs by label', () => {
    // GIVEN
    const old = edit(WEB, { 'spec.replicas': 0 });
    const grown = edit(old, { 'spec.volumeClaimTemplates.0.spec.resources.requests.storage': '2Gi' });
    // WHEN
    const finding = theOnly(checkUpgrade([old], [grown]));
    // THEN
    expect(finding.fix).toContain('ordinals none: replicas is 0');
    expect(finding.fix).not.toContain('patch pvc www-web-0');
    expect(finding.fix).toContain('kubectl -n shop get pvc -l app=web');
  });

  test('GIVEN a set without claim templates WHEN it scales in THEN nothing is reported', () => {
    // GIVEN
    const stateless = edit(WEB, { 'spec.volumeClaimTemplates': undefined });
    const scaled = edit(stateless, { 'spec.replicas': 1 });
    // WHEN
    const result = checkUpgrade([stateless], [scaled]);
    // THEN
    expect(result.findings).toEqual([]);
  });

  test('GIVEN the retention policy changes to Delete WHEN checked THEN each changed field warns', () => {
    // GIVEN
    const deleting = edit(WEB, { 'spec.persistentVolumeClaimRetentionPolicy': { whenDeleted: 'Delete', whenScaled: 'Delete' } });
    // WHEN
    const result = checkUpgrade([WEB], [deleting]);
    // THEN
    expect(result.blocking).toBe(false);
    expect(findingsOf(result, 'statefulset-retention-delete').map((f) => [f.field, f.change])).toEqual([
      ['spec.persistentVolumeClaimRetentionPolicy.whenDeleted', 'Retain → Delete'],
      ['spec.persistentVolumeClaimRetentionPolicy.whenScaled', 'Retain → Delete'],
    ]);
    expect(result.findings[0].reason).toContain('deleting the set deletes its PVCs (www-web-0, www-web-1 and www-web-2)');
  });
});

describe('StatefulSet: rename, namespace move and removal', () => {
  test('GIVEN a set removed and a similar one added in the namespace WHEN checked THEN it is reported as a rename', () => {
    // GIVEN same claim template and image under a new name
    const renamed = statefulSet('shop-web');
    // WHEN
    const result = checkUpgrade([WEB], [renamed]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(unbound(finding.id)).toBe('statefulset-renamed:apps/StatefulSet/shop/web:metadata.name');
    expect(finding.change).toBe('looks like a rename of web to shop-web (same claim templates www and image nginx:1.25)');
    expect(finding.reason).toContain('new empty volumes named www-shop-web-0, www-shop-web-1 and www-shop-web-2');
    expect(finding.reason).toContain('The old PVCs www-web-0, www-web-1 and www-web-2 stay behind');
    expect(finding.fix).toContain('Keep the name web');
  });

  test('GIVEN a renamed set with whenDeleted: Delete WHEN checked THEN the rename says the old PVCs are deleted', () => {
    // GIVEN
    const old = edit(WEB, { 'spec.persistentVolumeClaimRetentionPolicy': { whenDeleted: 'Delete' } });
    const renamed = edit(statefulSet('web-v2'), { 'spec.persistentVolumeClaimRetentionPolicy': { whenDeleted: 'Delete' } });
    // WHEN
    const finding = theOnly(checkUpgrade([old], [renamed]));
    // THEN
    expect(finding.rule).toBe('statefulset-renamed');
    expect(finding.reason).toContain('The old PVCs www-web-0, www-web-1 and www-web-2 are deleted with the old set (whenDeleted: Delete)');
  });

  test('GIVEN a set moved to another namespace WHEN checked THEN it blocks: PVCs cannot follow', () => {
    // GIVEN
    const moved = statefulSet('web', { namespace: 'store' });
    // WHEN
    const finding = theOnly(checkUpgrade([WEB], [moved]));
    // THEN
    expect(unbound(finding.id)).toBe('statefulset-moved-namespace:apps/StatefulSet/shop/web:metadata.namespace');
    expect(finding.change).toBe('shop → store');
    expect(finding.reason).toContain('new StatefulSet StatefulSet/store/web, which gets new empty volumes www-web-0');
    expect(finding.reason).toContain('PVCs cannot move between namespaces');
  });

  test('GIVEN a set with whenDeleted: Delete moved to another namespace WHEN checked THEN it blocks and says the old PVCs are deleted', () => {
    // GIVEN
    const old = edit(WEB, { 'spec.persistentVolumeClaimRetentionPolicy': { whenDeleted: 'Delete' } });
    const moved = edit(old, { 'metadata.namespace': 'store' });
    // WHEN
    const result = checkUpgrade([old], [moved]);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(finding.rule).toBe('statefulset-moved-namespace');
    expect(finding.reason).toContain('The old PVCs www-web-0, www-web-1 and www-web-2 are deleted with the old set (whenDeleted: Delete)');
  });

  test('GIVEN a set whose namespace is dropped WHEN --namespace names another namespace THEN it is a move; without it, only a warning', () => {
    // GIVEN
    const unset = edit(WEB, { 'metadata.namespace': undefined });
    // WHEN
    const elsewhere = checkUpgrade([WEB], [unset], { namespace: 'store' });
    const same = checkUpgrade([WEB], [unset], { namespace: 'shop' });
    const unknown = checkUpgrade([WEB], [unset]);
    // THEN
    expect(elsewhere.findings.map((f) => f.rule)).toEqual(['statefulset-moved-namespace']);
    expect(same.findings).toEqual([]);
    expect(unknown.findings.map((f) => [f.rule, f.severity])).toEqual([['namespace-unset', Severity.WARN]]);
    expect(unknown.blocking).toBe(false);
  });

  test('GIVEN a set removed and an unrelated one added WHEN checked THEN the removal is reported, not a rename', () => {
    // GIVEN
    const unrelated = statefulSet('cache', { claims: ['mem'], image: 'redis:7' });
    // WHEN
    const result = checkUpgrade([WEB], [unrelated]);
    // THEN
    const finding = theOnly(result);
    expect(unbound(finding.id)).toBe('statefulset-removed:apps/StatefulSet/shop/web');
    expect(finding.field).toBe('');
    expect(finding.change).toBe('removed');
    expect(finding.reason).toContain('its pods go away');
    expect(finding.reason).toContain('Its PVCs www-web-0, www-web-1 and www-web-2 stay behind');
    expect(finding.message).toContain('StatefulSet/shop/web: removed.');
  });

  test('GIVEN a removed set with whenDeleted: Delete WHEN checked THEN it blocks under its own rule listing the PVCs deleted', () => {
    // GIVEN
    const old = edit(statefulSet('db', { replicas: 2, claims: ['data'] }), { 'spec.persistentVolumeClaimRetentionPolicy': { whenDeleted: 'Delete' } });
    // WHEN
    const result = checkUpgrade([old], []);
    // THEN
    const finding = theOnly(result);
    expect(result.blocking).toBe(true);
    expect(unbound(finding.id)).toBe('statefulset-removed-deletes-pvcs:apps/StatefulSet/shop/db');
    expect(finding.reason).toContain('so do its PVCs data-db-0 and data-db-1');
  });

  test('GIVEN a set that became a Deployment of the same name WHEN checked THEN the removal blocks and the kind change warns', () => {
    // GIVEN
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: (WEB.spec as Obj).template },
    };
    // WHEN
    const result = checkUpgrade([WEB], [deployment]);
    // THEN
    expect(result.findings.map((f) => [f.rule, f.severity])).toEqual([
      ['statefulset-removed', Severity.BLOCK],
      ['kind-changed', Severity.WARN],
    ]);
    expect(result.findings[1].change).toBe('apps/v1 StatefulSet → apps/v1 Deployment');
  });
});

describe('StatefulSet: safe changes', () => {
  test.each<[string, Record<string, unknown>]>([
    ['replicas up', { 'spec.replicas': 5 }],
    ['a new image', { 'spec.template.spec.containers.0.image': 'nginx:1.27' }],
    ['pod template env and resources', { 'spec.template.spec.containers.0.env': [{ name: 'A', value: '1' }], 'spec.template.spec.containers.0.resources': { requests: { cpu: '1' } } }],
    ['updateStrategy', { 'spec.updateStrategy': { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }],
    ['minReadySeconds', { 'spec.minReadySeconds': 30 }],
    ['object labels and annotations', { 'metadata.labels': { app: 'web', team: 'a' }, 'metadata.annotations': { note: 'x' } }],
    ['an explicit Retain retention policy', { 'spec.persistentVolumeClaimRetentionPolicy': { whenDeleted: 'Retain', whenScaled: 'Retain' } }],
  ])('GIVEN %s WHEN checked THEN there are no findings', (_what, changes) => {
    // GIVEN
    const changed = edit(WEB, changes);
    // WHEN
    const result = checkUpgrade([WEB], [changed]);
    // THEN
    expect(result.blocking).toBe(false);
    expect(result.findings).toEqual([]);
  });

  test('GIVEN reordered documents, a newer apiVersion spelling and new objects WHEN checked THEN there are no findings', () => {
    // GIVEN
    const db = statefulSet('db', { claims: ['data'] });
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: 'None' } };
    const newSet = statefulSet('queue', { claims: ['q'] });
    // WHEN
    const result = checkUpgrade([WEB, db, service], [newSet, service, { ...db, apiVersion: 'apps/v1' }, WEB]);
    // THEN
    expect(result.findings).toEqual([]);
    expect(result.oldObjectCount).toBe(3);
    expect(result.newObjectCount).toBe(4);
  });
});
