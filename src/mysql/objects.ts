/**
 * The objects a ReplicatedMySql adds beside its StatefulApp, one function per job: the members'
 * access to the API server, the plaintext Secret, the cert-manager Certificate (the disruption budgets and
 * the NetworkPolicy are the StatefulApp's). Each registers the names it takes, so two objects of one kind
 * and name are refused.
 */
import { Construct } from 'constructs';
import { Validator } from '../errors';
import { KubeCertificate } from '../imports/cert-manager';
import { k8s, KubeConfigMap, KubeRole, KubeRoleBinding, KubeSecret, KubeServiceAccount } from '../kube';
import { LABEL_COMPONENT, LABEL_VERSION } from '../names';
import { registerObject } from '../registry';
import { MySqlPlan } from './plan';
import { CertManagerIssuerKind } from './tls';

/** What every function here needs of the ReplicatedMySql. */
export interface ObjectsContext {
  readonly scope: Construct;
  readonly v: Validator;
  readonly plan: MySqlPlan;
  readonly namespace?: string;
  /** The labels of every object of the cluster. */
  readonly labels: { [key: string]: string };
  /** The labels that select the members' pods. */
  readonly selectorLabels: { [key: string]: string };
}

const FIX = 'give the ReplicatedMySql another name (or namespace)';

/**
 * The labels of an object beside the members (the credentials Job, the exporter, the backups): the cluster's,
 * its own pods' and its component; not the members' version, which its image does not run.
 */
export function sideObjectLabels(
  clusterLabels: { [key: string]: string }, podLabels: { [key: string]: string }, component: string,
): { [key: string]: string } {
  const labels: { [key: string]: string } = { ...clusterLabels, ...podLabels, [LABEL_COMPONENT]: component };
  delete labels[LABEL_VERSION];
  return labels;
}

function metadata(c: ObjectsContext, name: string): k8s.ObjectMeta {
  return { name, namespace: c.namespace, labels: { ...c.labels } };
}

function register(c: ObjectsContext, prop: string, kind: string, name: string, fix = FIX): void {
  registerObject(c.scope, c.v, prop, { kind, namespace: c.namespace, name }, fix);
}

/**
 * The members' own ServiceAccount (unless the props name one), the ConfigMap in which they record
 * that they hold data, and the Role that lets them read the StatefulSet, their pods and claims and
 * write that ConfigMap -- nothing else.
 */
export function addMemberAccess(c: ObjectsContext, ownServiceAccount: boolean) {
  const { name, serviceAccountName } = c.plan;
  let serviceAccount: k8s.KubeServiceAccount | undefined;
  if (ownServiceAccount) {
    serviceAccount = new KubeServiceAccount(c.scope, 'ServiceAccount', { metadata: metadata(c, serviceAccountName), automountServiceAccountToken: false });
    register(c, 'name', 'ServiceAccount', serviceAccountName);
  }
  const membersConfigMap = new KubeConfigMap(c.scope, 'Members', {
    metadata: {
      ...metadata(c, `${name}-members`),
      annotations: { 'cdk8s-stateful.io/purpose': `Each member of ${name} records here that it holds data (an empty primary refuses to start a new cluster while another member does). Written by the pods; do not edit.` },
    },
  });
  register(c, 'name', 'ConfigMap', `${name}-members`);
  const ordinals = Array.from({ length: Math.max(c.plan.replicas, 1) }, (_, i) => c.plan.startOrdinal + i);
  const role = new KubeRole(c.scope, 'MemberRole', {
    metadata: metadata(c, `${name}-member`),
    rules: [
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get'], resourceNames: [name] },
      // In a group each member labels its own pod with its role (patch); RBAC cannot narrow that to the pod itself.
      { apiGroups: [''], resources: ['pods'], verbs: c.plan.group ? ['get', 'patch'] : ['get'], resourceNames: ordinals.map((o) => `${name}-${o}`) },
      // Any claim, by name (get only): the evidence of a member outside today's range -- a claim
      // kept by a scale-in -- must still be checkable, and no Role can know every ordinal there was.
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'], resourceNames: [`${name}-members`] },
    ],
  });
  const binding = new KubeRoleBinding(c.scope, 'MemberRoleBinding', {
    metadata: metadata(c, `${name}-member`),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-member` },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccountName, namespace: c.namespace }],
  });
  register(c, 'name', 'rbac.authorization.k8s.io/Role', `${name}-member`);
  register(c, 'name', 'rbac.authorization.k8s.io/RoleBinding', `${name}-member`);
  return { serviceAccount, membersConfigMap, role, binding };
}

/** The Secret of MySqlCredentials.fromInsecurePlaintextPasswords, when that is the choice. */
export function addPlaintextSecret(c: ObjectsContext): k8s.KubeSecret | undefined {
  const { plan } = c;
  const plain = plan.plain;
  if (!plain) return undefined;
  const secret = new KubeSecret(c.scope, 'Secret', {
    metadata: {
      ...metadata(c, plan.secretName),
      annotations: { 'cdk8s-stateful.io/warning': 'plaintext passwords committed by MySqlCredentials.fromInsecurePlaintextPasswords' },
    },
    stringData: {
      [plan.rootPasswordKey]: plain.rootPassword,
      [plan.replicationPasswordKey]: plain.replicationPassword,
      ...(plan.databaseName !== undefined ? { [plan.userPasswordKey]: plain.userPassword! } : {}),
      ...(plan.metrics ? { [plan.exporterPasswordKey]: plain.exporterPassword! } : {}),
      ...(plan.backupUser !== undefined ? { [plan.backupPasswordKey]: plain.backupPassword! } : {}),
    },
  });
  register(c, 'credentials', 'Secret', plan.secretName, 'use another Secret name');
  return secret;
}

/** The cert-manager Certificate for every member's and Service's name, with MySqlTls.certManager. */
export function addCertificate(c: ObjectsContext): KubeCertificate | undefined {
  const { plan } = c;
  const manager = plan.tls?._certManager;
  if (!manager) return undefined;
  const { name, clusterDomain } = plan;
  const service = (svc: string) => [`${svc}.${c.namespace}.svc.${clusterDomain}`, `${svc}.${c.namespace}.svc`, `${svc}.${c.namespace}`, svc];
  const days = (d: { toHours(): number } | undefined, fallback: number) => `${Math.round((d === undefined ? fallback * 24 : d.toHours()))}h`;
  const certificate = new KubeCertificate(c.scope, 'Certificate', {
    metadata: metadata(c, `${name}-tls`),
    spec: {
      secretName: plan.tlsSecretName!,
      issuerRef: { name: manager.issuerName, kind: manager.issuerKind ?? CertManagerIssuerKind.ISSUER, group: 'cert-manager.io' },
      // Every member (through the headless Service) and every Service clients may use.
      dnsNames: [
        `*.${name}.${c.namespace}.svc.${clusterDomain}`,
        ...service(name), ...service(`${name}-primary`), ...(plan.replicas > 1 ? service(`${name}-read`) : []),
      ],
      duration: days(manager.duration, 90),
      renewBefore: days(manager.renewBefore, 30),
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'client auth', 'digital signature', 'key encipherment'],
    },
  });
  register(c, 'tls', 'cert-manager.io/Certificate', `${name}-tls`);
  return certificate;
}
