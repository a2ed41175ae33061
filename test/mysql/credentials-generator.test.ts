/**
 * MySqlCredentials.fromGeneratedSecret: the objects it emits, and its Job's script run for real under bash
 * against the stand-in API server (harness.ts), which stores the Secret and applies merge patches as the
 * API server does (a resourceVersion in the patch is a precondition).
 */
import { MySqlCredentials, ReplicatedMySql, ReplicatedMySqlProps } from '../../src';
import { checkAll } from '../policy';
import { find, newChart, ofKind, synth } from '../util';
import { PodSandbox } from './harness';

const GENERATED: ReplicatedMySqlProps = {
  credentials: MySqlCredentials.fromGeneratedSecret(), database: { name: 'shop', user: 'shop' }, metrics: {},
};
const KEYS = ['root-password', 'replication-password', 'password', 'exporter-password'];
const SECRET_PATH = '/api/v1/namespaces/mysql/secrets/mysql-credentials';

function build(props: ReplicatedMySqlProps = GENERATED) {
  const chart = newChart('mysql');
  const mysql = new ReplicatedMySql(chart, 'mysql', props);
  return { mysql, objects: synth(chart) };
}

describe('MySqlCredentials.fromGeneratedSecret: the objects', () => {
  test('the Secret is emitted without a value, kept by GitOps tools, created before the Job runs', () => {
    const secret = find(build().objects, 'Secret', 'mysql-credentials');
    expect(secret.data).toBeUndefined();
    expect(secret.stringData).toBeUndefined();
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata.annotations).toMatchObject({
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
      'argocd.argoproj.io/sync-wave': '-1',
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
      'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent',
    });
    expect(secret.metadata.annotations['cdk8s-stateful.io/purpose']).toContain(`keys ${KEYS.join(', ')}`);
  });

  test('the Job may read and patch that one Secret, nothing else', () => {
    const { objects } = build();
    expect(find(objects, 'Role', 'mysql-credentials').rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch'], resourceNames: ['mysql-credentials'] },
    ]);
    expect(find(objects, 'RoleBinding', 'mysql-credentials').subjects).toEqual([{ kind: 'ServiceAccount', name: 'mysql-credentials', namespace: 'mysql' }]);
    expect(find(objects, 'ServiceAccount', 'mysql-credentials').automountServiceAccountToken).toBe(false);
    // The members' Role reads no Secret at all.
    expect(JSON.stringify(find(objects, 'Role', 'mysql-member').rules)).not.toContain('secrets');
  });

  test('the Job: the members\' image and scripts, recreated by Argo CD and Flux, kept after it finishes, Pod Security restricted', () => {
    const { objects } = build();
    const job = find(objects, 'Job', 'mysql-credentials');
    const sts = find(objects, 'StatefulSet', 'mysql');
    expect(job.metadata.annotations).toMatchObject({
      'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation', 'kustomize.toolkit.fluxcd.io/force': 'enabled',
    });
    // A TTL would make GitOps tools create it again and again.
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
    const pod = job.spec.template.spec;
    expect(pod.containers[0].image).toBe(sts.spec.template.spec.containers[0].image);
    expect(pod.containers[0].command).toEqual(['bash', '/etc/cdk8s-mysql/generate-credentials.sh']);
    expect(pod.volumes[0]).toEqual({ name: 'tools', configMap: { name: 'mysql-config' } });
    expect(pod.containers[0].env.find((e: any) => e.name === 'CREDENTIALS_FIELDS').value).toBe(KEYS.join(' '));
    expect(find(objects, 'ConfigMap', 'mysql-config').data['generate-credentials.sh']).toContain('fill_missing');
    // (the ConfigMap it mounts is the members')
    expect(checkAll(objects)).toEqual([]);
  });

  test('nothing may connect to the Job\'s pod; the scanners are told why its choices are deliberate; both off with the app\'s switches', () => {
    const { objects } = build();
    const job = find(objects, 'Job', 'mysql-credentials');
    expect(find(objects, 'NetworkPolicy', 'mysql-credentials').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mysql-credentials', 'app.kubernetes.io/instance': 'mysql' } }, policyTypes: ['Ingress'],
    });
    expect(job.metadata.annotations['kube-score/ignore']).toBe('container-image-pull-policy,container-resources,container-security-context-user-group-id,pod-networkpolicy');
    expect(Object.keys(job.metadata.annotations).filter((k) => k.startsWith('checkov.io/skip')).map((k) => job.metadata.annotations[k].split('=')[0]).sort())
      .toEqual(['CKV_K8S_11', 'CKV_K8S_15', 'CKV_K8S_40', 'CKV_K8S_43']);
    const off = build({ ...GENERATED, networkPolicy: { enabled: false }, scannerAnnotations: false }).objects;
    expect(ofKind(off, 'NetworkPolicy')).toEqual([]);
    expect(Object.keys(find(off, 'Job', 'mysql-credentials').metadata.annotations).filter((k) => /checkov|kube-score/.test(k))).toEqual([]);
  });

  test('the Job\'s pod is not a member: neither the StatefulSet, the Services nor the disruption budget select it', () => {
    const { objects } = build();
    const labels = find(objects, 'Job', 'mysql-credentials').spec.template.metadata.labels;
    const selects = (selector: { [key: string]: string }) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(selects(find(objects, 'StatefulSet', 'mysql').spec.selector.matchLabels)).toBe(false);
    expect(selects(find(objects, 'PodDisruptionBudget', 'mysql').spec.selector.matchLabels)).toBe(false);
    for (const service of ofKind(objects, 'Service')) expect(selects(service.spec.selector ?? { none: 'x' })).toBe(false);
  });

  test('every credentials choice names the Secret and its keys on the StatefulSet; only the generated one emits the Job and its script', () => {
    const byHand = build({ database: { name: 'shop', user: 'shop' } });
    expect(find(byHand.objects, 'StatefulSet', 'mysql').metadata.annotations['mysql.cdk8s-stateful.io/credentials'])
      .toBe('Secret mysql-credentials, keys root-password, replication-password, password');
    expect(ofKind(byHand.objects, 'Job')).toEqual([]);
    expect(ofKind(byHand.objects, 'Secret')).toEqual([]);
    expect(find(byHand.objects, 'ConfigMap', 'mysql-config').data['generate-credentials.sh']).toBeUndefined();
    const { mysql, objects } = build({ credentials: MySqlCredentials.fromGeneratedSecret('db-passwords', { rootPassword: 'root' }) });
    expect(find(objects, 'StatefulSet', 'mysql').metadata.annotations['mysql.cdk8s-stateful.io/credentials']).toBe('Secret db-passwords, keys root, replication-password');
    expect(mysql.secretName).toBe('db-passwords');
    expect(mysql.generatedSecret?.name).toBe('db-passwords');
    expect(mysql.credentialsJob?.name).toBe('mysql-credentials');
  });

  test('a Secret name another object of the chart takes is refused with both paths', () => {
    const chart = newChart('mysql');
    new ReplicatedMySql(chart, 'a', { credentials: MySqlCredentials.fromGeneratedSecret('shared') });
    expect(() => new ReplicatedMySql(chart, 'b', { credentials: MySqlCredentials.fromGeneratedSecret('shared') }))
      .toThrow(/ReplicatedMySql 'test\/b': credentials "shared" is invalid: gives a Secret "shared" in namespace mysql that 'test\/a' emits too.*Fix: give the ReplicatedMySql another name \(or the Secret another name\)/s);
    expect(() => new ReplicatedMySql(newChart('mysql'), 'c', { credentials: MySqlCredentials.fromGeneratedSecret('Not_A_Name') }))
      .toThrow(/ReplicatedMySql 'test\/c': credentials \(Secret name\) "Not_A_Name" is invalid: must consist of lower case letters.*DNS-1123 subdomain/);
  });
});

describe('MySqlCredentials.fromGeneratedSecret: the Job\'s script', () => {
  const sandboxes: PodSandbox[] = [];
  afterAll(async () => {
    for (const s of sandboxes) await s.dispose();
  });
  /** The Job's pod, with the Secret as the manifest creates it (no data) unless `data` is given. */
  function jobPod(data?: { [key: string]: string }): PodSandbox {
    const s = new PodSandbox(GENERATED, 'mysql-credentials-x7k2p', { podOf: { kind: 'Job', name: 'mysql-credentials' } });
    sandboxes.push(s);
    const secret = find(s.objects, 'Secret', 'mysql-credentials');
    s.setApiObject(SECRET_PATH, { ...secret, metadata: { ...secret.metadata, resourceVersion: '41' }, ...(data ? { data } : {}) });
    return s;
  }
  const run = (s: PodSandbox, env: { [key: string]: string } = {}) => s.exec('generate', undefined, { GENERATE_INTERVAL: '0', ...env });
  const decoded = (s: PodSandbox) => Object.fromEntries(Object.entries<string>(s.apiObject(SECRET_PATH).data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));

  test('an empty Secret gets a random password in every key, 32 letters and digits, none in the log', () => {
    const s = jobPod();
    const r = run(s);
    expect(r.status).toBe(0);
    const values = decoded(s);
    expect(Object.keys(values).sort()).toEqual([...KEYS].sort());
    for (const v of Object.values(values)) expect(v).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(new Set(Object.values(values)).size).toBe(4);
    expect(r.stderr).toBe(`generate-credentials.sh: wrote a random password into ${KEYS.join(' ')} of the Secret mysql-credentials (the other keys had values)\n`);
    // What the Job logs holds no password, plain or encoded (the stand-in's own record of the request body does).
    for (const v of Object.values(values)) {
      expect(r.stderr).not.toContain(v);
      expect(r.stderr).not.toContain(Buffer.from(v).toString('base64'));
    }
    // One read, one conditional write.
    expect(r.log.match(/^-- curl \w+ .*$/gm)).toEqual([
      `-- curl GET https://10.96.0.1:443${SECRET_PATH}`, `-- curl PATCH https://10.96.0.1:443${SECRET_PATH}`,
    ]);
    expect(r.log).toContain('{"metadata":{"resourceVersion":"41"},"data":{');
  });

  test('a key with a value is never changed: only the missing (or empty) ones are written, and a second run writes nothing', () => {
    const mine = Buffer.from('chosen-by-hand').toString('base64');
    const s = jobPod({ 'root-password': mine, 'password': '' });
    expect(run(s).stderr).toBe('generate-credentials.sh: wrote a random password into replication-password password exporter-password of the Secret mysql-credentials (the other keys had values)\n');
    const first = decoded(s);
    expect(first['root-password']).toBe('chosen-by-hand');
    const again = run(s);
    expect(again.status).toBe(0);
    expect(again.stderr).toBe(`generate-credentials.sh: every key of the Secret mysql-credentials has a value (${KEYS.join(' ')}): nothing to do\n`);
    expect(again.log).not.toContain('PATCH');
    expect(decoded(s)).toEqual(first);
  });

  test('a Secret written by someone else between the read and the write: the write is refused (409), read again, their value kept', () => {
    const s = jobPod();
    const theirs = Buffer.from('their-root-password').toString('base64');
    // Someone fills root-password right after the script's first read: the stored resourceVersion moves on.
    s.api('GET', /secrets\/mysql-credentials$/, {
      times: 1, out: JSON.stringify({ ...s.apiObject(SECRET_PATH) }),
    });
    s.setApiObject(SECRET_PATH, { ...s.apiObject(SECRET_PATH), metadata: { ...s.apiObject(SECRET_PATH).metadata, resourceVersion: '42' }, data: { 'root-password': theirs } });
    const r = run(s);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('generate-credentials.sh: the Secret mysql-credentials changed while being filled: reading it again\n'
      + 'generate-credentials.sh: wrote a random password into replication-password password exporter-password of the Secret mysql-credentials (the other keys had values)\n');
    expect(decoded(s)['root-password']).toBe('their-root-password');
  });

  test('an answer it cannot read (no resourceVersion, not a Secret) makes it write nothing: an unconditional write could replace values', () => {
    const s = jobPod({ 'root-password': Buffer.from('kept').toString('base64') });
    const stored = s.apiObject(SECRET_PATH);
    s.api('GET', /secrets\/mysql-credentials$/, { out: JSON.stringify({ ...stored, metadata: { ...stored.metadata, resourceVersion: undefined } }) });
    const r = run(s, { GENERATE_ATTEMPTS: '2' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('generate-credentials.sh: the API server\'s answer for the Secret mysql-credentials is not one this script can read (no kind Secret with a resourceVersion): writing nothing\n');
    expect(r.log).not.toContain('PATCH');
    expect(decoded(s)).toEqual({ 'root-password': 'kept' });
  });

  test('a large Secret, no writable /tmp: every value is still seen (bash reads the answer itself, no temporary file)', () => {
    const big = Buffer.from('x'.repeat(200 * 1024)).toString('base64');
    const mine = Buffer.from('chosen-by-hand').toString('base64');
    const s = jobPod({ 'ca.crt': big, 'root-password': mine, 'replication-password': mine, 'password': mine, 'exporter-password': mine });
    const r = run(s, { TMPDIR: '/nonexistent' });
    expect(r.stderr).toBe(`generate-credentials.sh: every key of the Secret mysql-credentials has a value (${KEYS.join(' ')}): nothing to do\n`);
    expect(r.log).not.toContain('PATCH');
  });

  test('no Secret: it waits for the manifest\'s, and gives up (the Job retries) with what is missing', () => {
    const s = jobPod();
    s.setApiObject(SECRET_PATH, undefined);
    const r = run(s, { GENERATE_ATTEMPTS: '2' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'generate-credentials.sh: the Secret mysql-credentials does not exist (yet): the manifest of mysql emits it, empty; waiting for it\n'.repeat(2)
      + 'generate-credentials.sh: ERROR: gave up after 2 attempts: the Secret mysql-credentials still lacks a value (the Job retries)\n');
  });

  test('without its Role the API server refuses, and the log names the Role and the ServiceAccount', () => {
    const s = jobPod();
    s.revoke('GET', SECRET_PATH);
    const r = run(s, { GENERATE_ATTEMPTS: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('The Role and RoleBinding \'mysql-credentials\' (emitted by ReplicatedMySql) must exist for service account \'mysql-credentials\'');
  });
});
