/**
 * The project's policy rules, checked in-process so tests run on a fresh clone without
 * ../shared. Each rule returns findings as strings; `test/policy.test.ts` proves each rule both
 * flags a broken manifest and passes our output.
 */
import { Conventions } from '../src';
import { Manifest } from './util';

const WORKLOADS = new Set(['StatefulSet', 'Deployment', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);
const ALLOWED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
// Labels a StatefulSet's pods get at run time: the controller's, and the role a Group Replication member sets on its own pod.
const RUNTIME_LABELS = new Set(['statefulset.kubernetes.io/pod-name', 'apps.kubernetes.io/pod-index', 'controller-revision-hash', Conventions.MYSQL_ROLE_LABEL]);
const SECRETISH = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY)/i;

export type Rule = 'pss' | 'resources' | 'probes' | 'image-tag' | 'plaintext-secret' | 'links' | 'external-ref' | 'storage' | 'ha';
export const RULES: Rule[] = ['pss', 'resources', 'probes', 'image-tag', 'plaintext-secret', 'links', 'external-ref', 'storage', 'ha'];

interface Template { doc: Manifest; labels: Record<string, string>; pod: any }

function templateOf(doc: Manifest): Template {
  const spec = doc.spec ?? {};
  const t = doc.kind === 'Pod' ? { metadata: doc.metadata, spec } : doc.kind === 'CronJob' ? spec.jobTemplate?.spec?.template ?? {} : spec.template ?? {};
  return { doc, labels: t.metadata?.labels ?? {}, pod: t.spec ?? {} };
}

function matches(selector: any, labels: Record<string, string>): boolean {
  if (!selector || selector.matchExpressions) return false;
  const ml = selector.matchLabels ?? selector;
  return Object.keys(ml).length > 0 && Object.entries(ml).every(([k, v]) => labels[k] === v);
}

const id = (d: Manifest) => `${d.kind}/${d.metadata?.name}`;

/** Runs one rule over a set of objects. */
export function check(rule: Rule, docs: Manifest[]): string[] {
  const out: string[] = [];
  const report = (d: Manifest, msg: string) => out.push(`${rule}: ${id(d)}: ${msg}`);
  const names = new Set(docs.map((d) => `${d.kind}/${d.metadata?.name}`));
  const templates = docs.filter((d) => WORKLOADS.has(d.kind)).map(templateOf);

  for (const { doc: d, labels, pod } of templates) {
    const psc = pod.securityContext ?? {};
    const containers: Array<[string, any]> = [
      ...(pod.containers ?? []).map((c: any) => ['container', c] as [string, any]),
      ...(pod.initContainers ?? []).map((c: any) => ['initContainer', c] as [string, any]),
    ];
    if (rule === 'pss') {
      for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod[f]) report(d, `${f} is true`);
      for (const v of pod.volumes ?? []) {
        const kinds = Object.keys(v).filter((k) => k !== 'name');
        if (kinds.some((k) => !ALLOWED_VOLUMES.has(k))) report(d, `volume ${v.name} uses a forbidden volume type`);
      }
    }
    for (const [role, c] of containers) {
      const sc = c.securityContext ?? {};
      const cn = `${role} ${c.name}`;
      if (rule === 'pss') {
        if (sc.privileged) report(d, `${cn} is privileged`);
        if (sc.allowPrivilegeEscalation !== false) report(d, `${cn} allows privilege escalation`);
        if (!(sc.capabilities?.drop ?? []).includes('ALL')) report(d, `${cn} does not drop ALL capabilities`);
        if ((sc.capabilities?.add ?? []).some((cap: string) => cap !== 'NET_BIND_SERVICE')) report(d, `${cn} adds capabilities`);
        if (!(sc.runAsNonRoot || psc.runAsNonRoot)) report(d, `${cn} may run as root`);
        if ((sc.runAsUser ?? psc.runAsUser) === 0) report(d, `${cn} runs as uid 0`);
        const seccomp = (sc.seccompProfile ?? psc.seccompProfile ?? {}).type;
        if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') report(d, `${cn} has no seccompProfile`);
        for (const p of c.ports ?? []) if (p.hostPort) report(d, `${cn} uses hostPort`);
      }
      if (rule === 'resources') {
        const req = c.resources?.requests ?? {};
        const lim = c.resources?.limits ?? {};
        if (!req.cpu || !req.memory || !lim.memory) report(d, `${cn} lacks cpu/memory requests or a memory limit`);
      }
      if (rule === 'image-tag') {
        const img: string = c.image ?? '';
        const tail = img.split('/').pop() ?? '';
        if (!img.includes('@sha256:') && (!tail.includes(':') || tail.endsWith(':latest'))) report(d, `${cn} image ${img} is not pinned`);
      }
      if (rule === 'plaintext-secret') {
        for (const e of c.env ?? []) if (SECRETISH.test(e.name) && 'value' in e && e.value) report(d, `${cn} env ${e.name} has a literal value`);
      }
      if (rule === 'external-ref') {
        for (const e of c.env ?? []) {
          for (const [kind, key] of [['ConfigMap', 'configMapKeyRef'], ['Secret', 'secretKeyRef']]) {
            const r = e.valueFrom?.[key];
            if (r && !r.optional && !names.has(`${kind}/${r.name}`)) report(d, `${cn} env ${e.name} reads ${kind} ${r.name}`);
          }
        }
      }
      if (rule === 'probes' && role === 'container' && !['Job', 'CronJob', 'Pod'].includes(d.kind) && (c === pod.containers[0] || c.ports)) {
        if (!c.readinessProbe) report(d, `${cn} has no readinessProbe`);
        else if (c.livenessProbe && JSON.stringify(c.livenessProbe) === JSON.stringify(c.readinessProbe)) report(d, `${cn} liveness equals readiness`);
      }
    }
    const vols = new Map<string, any>((pod.volumes ?? []).map((v: any) => [v.name, v]));
    const claims = new Map<string, any>(d.kind === 'StatefulSet' ? (d.spec?.volumeClaimTemplates ?? []).map((t: any) => [t.metadata?.name, t]) : []);
    if (rule === 'external-ref') {
      for (const v of vols.values()) {
        if (v.configMap && !v.configMap.optional && !names.has(`ConfigMap/${v.configMap.name}`)) report(d, `volume ${v.name} mounts ConfigMap ${v.configMap.name}`);
        if (v.secret && !v.secret.optional && !names.has(`Secret/${v.secret.secretName}`)) report(d, `volume ${v.name} mounts Secret ${v.secret.secretName}`);
      }
    }
    if (rule === 'links') {
      for (const [role, c] of containers) {
        for (const m of c.volumeMounts ?? []) if (!vols.has(m.name) && !claims.has(m.name)) report(d, `${role} ${c.name} mounts unknown volume ${m.name}`);
      }
      if (['StatefulSet', 'Deployment', 'DaemonSet', 'ReplicaSet'].includes(d.kind) && !matches(d.spec?.selector, labels)) {
        report(d, 'spec.selector does not match the pod template labels');
      }
      if (d.kind === 'StatefulSet') {
        const svc = docs.find((s) => s.kind === 'Service' && s.metadata?.name === d.spec?.serviceName);
        if (!svc) report(d, `serviceName ${d.spec?.serviceName} is not a Service in the set`);
        else {
          if (svc.spec?.clusterIP !== 'None') report(d, 'governing Service is not headless');
          if (!matches(svc.spec?.selector, labels)) report(d, 'governing Service does not select the pods');
        }
      }
    }
    if (rule === 'storage' && d.kind === 'StatefulSet') {
      for (const [cn, t] of claims) {
        if (!t.spec?.resources?.requests?.storage) report(d, `claim template ${cn} requests no storage`);
        if (!t.spec?.accessModes?.length) report(d, `claim template ${cn} sets no accessModes`);
      }
      if (claims.size > 0 && !d.spec?.persistentVolumeClaimRetentionPolicy) report(d, 'no persistentVolumeClaimRetentionPolicy');
    }
    if (rule === 'ha' && (d.kind === 'StatefulSet' || d.kind === 'Deployment')) {
      const replicas = d.spec?.replicas ?? 1;
      if (replicas > 1) {
        if (!docs.some((p) => p.kind === 'PodDisruptionBudget' && matches(p.spec?.selector, labels))) report(d, 'no PodDisruptionBudget selects the pods');
        if (!pod.affinity?.podAntiAffinity && !pod.topologySpreadConstraints) report(d, 'pods are not spread');
      }
    }
  }
  if (rule === 'links') {
    for (const s of docs.filter((o) => o.kind === 'Service')) {
      const sel = s.spec?.selector;
      if (!sel) continue;
      const hits = templates.filter((t) => Object.entries(sel).every(([k, v]) => (t.doc.kind === 'StatefulSet' && RUNTIME_LABELS.has(k)) || t.labels[k] === v));
      if (hits.length === 0) { report(s, 'selects no pod template'); continue; }
      for (const p of s.spec?.ports ?? []) {
        if (typeof p.targetPort === 'string' && !hits.some((t) => (t.pod.containers ?? []).some((c: any) => (c.ports ?? []).some((cp: any) => cp.name === p.targetPort)))) {
          report(s, `targetPort ${p.targetPort} is not a named port of the selected pods`);
        }
      }
    }
  }
  if (rule === 'storage') {
    for (const sc of docs.filter((o) => o.kind === 'StorageClass')) if (!sc.allowVolumeExpansion) report(sc, 'allowVolumeExpansion is not true');
  }
  return out;
}

/** Every rule at once. */
export function checkAll(docs: Manifest[], allow: Rule[] = []): string[] {
  return RULES.filter((r) => !allow.includes(r)).flatMap((r) => check(r, docs));
}
