/**
 * MySqlCredentials.fromGeneratedSecret: the credentials Secret, emitted without values, and the Job that
 * fills in every missing key with a random password (scripts/generate-credentials.sh), with a Role that
 * may read and patch that one Secret and nothing else.
 */
import { Size } from 'cdk8s';
import { cpuMillis, renderResources, restrictedSecurityContext } from '../container';
import { k8s, KubeJob, KubeNetworkPolicy, KubeRole, KubeRoleBinding, KubeSecret, KubeServiceAccount } from '../kube';
import { LABEL_INSTANCE, LABEL_NAME } from '../names';
import { registerObject } from '../registry';
import { EGRESS_LEFT_OPEN, scannerChoices } from '../scanner-annotations';
import { ObjectsContext, sideObjectLabels } from './objects';
import { MySqlPlan } from './plan';
import { credentialFiles, kubeApiVolume, mysqlJobPodBase, SA_DIR, TOOLS_DIR } from './pod';

/** The keys the members read from the credentials Secret, in the order the docs list them. */
export function credentialKeys(plan: MySqlPlan): string[] {
  return credentialFiles(plan, plan.databaseName !== undefined, plan.metrics !== undefined).map((f) => f.key);
}

/** The objects of the generator, when the credentials are generated. */
export interface CredentialsGenerator {
  readonly secret: k8s.KubeSecret;
  readonly job: k8s.KubeJob;
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly role: k8s.KubeRole;
  readonly roleBinding: k8s.KubeRoleBinding;
  /** Admits no connection to the Job's pod (unless the ReplicatedMySql's NetworkPolicy is off). */
  readonly networkPolicy?: k8s.KubeNetworkPolicy;
}

/**
 * The empty Secret and the Job that fills it. `configMapName` is the members' ConfigMap, whose scripts the
 * Job runs; `image` the members' image (already on the nodes that run them); `networkPolicy` whether the
 * ReplicatedMySql emits NetworkPolicies.
 */
export function addCredentialsGenerator(
  c: ObjectsContext, configMapName: string, image: string, networkPolicy: boolean,
): CredentialsGenerator | undefined {
  const { plan } = c;
  if (!plan.generated) return undefined;
  const jobName = `${plan.name}-credentials`;
  const keys = credentialKeys(plan);
  const podLabels = { [LABEL_NAME]: 'mysql-credentials', [LABEL_INSTANCE]: plan.name };
  const labels = sideObjectLabels(c.labels, podLabels, 'credentials');
  const metadata = (name: string, annotations?: { [key: string]: string }) => ({ name, namespace: c.namespace, labels: { ...labels }, annotations });
  const register = (kind: string, name: string, prop = 'credentials') =>
    registerObject(c.scope, c.v, prop, { kind, namespace: c.namespace, name }, 'give the ReplicatedMySql another name (or the Secret another name)');

  const secret = new KubeSecret(c.scope, 'GeneratedSecret', {
    metadata: metadata(plan.secretName, {
      'cdk8s-stateful.io/purpose': `The passwords of ${plan.name} (keys ${keys.join(', ')}): the Job ${jobName} writes a random one into every key that has none and never changes one that has a value.`,
      // The data directories keep these passwords: a pruned Secret would come back with new ones that no account matches.
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
      'argocd.argoproj.io/sync-wave': '-1',
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
      // Flux creates it once and never applies it again: its server-side apply takes over fields that any
      // kubectl command wrote (a password set or rotated by hand) and would remove them.
      'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent',
    }),
    type: 'Opaque',
  });
  register('Secret', plan.secretName);
  const serviceAccount = new KubeServiceAccount(c.scope, 'CredentialsServiceAccount', { metadata: metadata(jobName), automountServiceAccountToken: false });
  register('ServiceAccount', jobName);
  const role = new KubeRole(c.scope, 'CredentialsRole', {
    metadata: metadata(jobName),
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch'], resourceNames: [plan.secretName] }],
  });
  register('rbac.authorization.k8s.io/Role', jobName);
  const roleBinding = new KubeRoleBinding(c.scope, 'CredentialsRoleBinding', {
    metadata: metadata(jobName),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: jobName },
    subjects: [{ kind: 'ServiceAccount', name: jobName, namespace: c.namespace }],
  });
  register('rbac.authorization.k8s.io/RoleBinding', jobName);
  const job = new KubeJob(c.scope, 'CredentialsJob', {
    metadata: metadata(jobName, {
      // A Job's pod template cannot change in place: Argo CD runs it as a hook at every sync (recreated
      // first), Flux recreates it when it changes. It is idempotent, so running again is harmless.
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      'kustomize.toolkit.fluxcd.io/force': 'enabled',
    }),
    spec: { backoffLimit: 6, template: { metadata: { labels: { ...labels } }, spec: generatorPod(c, jobName, keys, configMapName, image) } },
  });
  register('batch/Job', jobName);
  let policy: k8s.KubeNetworkPolicy | undefined;
  if (networkPolicy) {
    // Nothing connects to it; it connects to the API server only (egress stays open, as on every pod here).
    policy = new KubeNetworkPolicy(c.scope, 'CredentialsNetworkPolicy', { metadata: metadata(jobName), spec: { podSelector: { matchLabels: podLabels }, policyTypes: ['Ingress'] } });
    register('networking.k8s.io/NetworkPolicy', jobName);
    scannerChoices(job, { kubeScore: [EGRESS_LEFT_OPEN] });
  }
  return { secret, job, serviceAccount, role, roleBinding, networkPolicy: policy };
}

function generatorPod(c: ObjectsContext, jobName: string, keys: string[], configMapName: string, image: string): k8s.PodSpec {
  const value = (name: string, v: string) => ({ name, value: v });
  return {
    ...mysqlJobPodBase(jobName, 'OnFailure', false),
    containers: [{
      name: 'generate',
      image,
      command: ['bash', `${TOOLS_DIR}/generate-credentials.sh`],
      env: [
        { name: 'MYSQL_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        value('MYSQL_SET_NAME', c.plan.name), value('CREDENTIALS_NAME', c.plan.secretName), value('CREDENTIALS_FIELDS', keys.join(' ')),
        value('SERVICE_ACCOUNT', jobName), value('API_ROLE', jobName),
      ],
      resources: renderResources(c.v, 'credentials', undefined, {
        cpu: { request: cpuMillis(10) },
        memory: { request: Size.mebibytes(32), limit: Size.mebibytes(32) },
        ephemeralStorage: { request: Size.mebibytes(1), limit: Size.mebibytes(16) },
      }),
      securityContext: restrictedSecurityContext(true),
      volumeMounts: [
        { name: 'tools', mountPath: TOOLS_DIR, readOnly: true },
        { name: 'kube-api', mountPath: SA_DIR, readOnly: true },
        // (bash's here-documents and the shell's scratch files: the root file system is read-only)
        { name: 'tmp', mountPath: '/tmp' },
      ],
    }],
    volumes: [
      { name: 'tools', configMap: { name: configMapName } },
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Mi') } },
      kubeApiVolume(),
    ],
  };
}
