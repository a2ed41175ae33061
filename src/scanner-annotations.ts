/**
 * The scanners' own skip annotations for the choices this library makes on purpose, computed from
 * the object as it is emitted: checkov reads `checkov.io/skip<N>: <check>=<reason>`, kube-score
 * `kube-score/ignore: <test>,...`. A check is skipped only where the emitted object makes that
 * choice (no CPU limit, a tag instead of a digest, ...); a choice of the user's (a Secret in an env
 * variable of their own container) is never hidden. Objects under a construct opted out carry none.
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Conventions } from './conventions';

/** The parts of an emitted object the choices are read from. */
interface Container {
  readonly name?: string;
  readonly image?: string;
  readonly imagePullPolicy?: string;
  readonly resources?: {
    readonly limits?: { readonly cpu?: unknown; readonly memory?: unknown };
    readonly requests?: { readonly cpu?: unknown; readonly memory?: unknown };
  };
  readonly livenessProbe?: unknown;
  readonly readinessProbe?: unknown;
  readonly securityContext?: { readonly runAsUser?: number; readonly runAsGroup?: number };
}
interface Pod {
  readonly containers?: Container[];
  readonly initContainers?: Container[];
  readonly securityContext?: { readonly runAsUser?: number; readonly runAsGroup?: number };
  readonly topologySpreadConstraints?: Array<{ readonly topologyKey?: string }>;
}
interface Emitted {
  kind?: string;
  metadata?: { [key: string]: unknown; annotations?: { [key: string]: string } };
  spec?: { template?: { spec?: Pod }; jobTemplate?: { spec?: { template?: { spec?: Pod } } }; selector?: { [key: string]: unknown } };
}

/** Choices the constructs make that only they know about (a sidecar of their own without a readiness probe, ...). */
export interface ScannerChoices {
  /** checkov checks (CKV_...) and their reasons. */
  readonly checkov?: { readonly [check: string]: string };
  /** kube-score tests. */
  readonly kubeScore?: readonly string[];
  /**
   * Containers of the object's pod that have no readiness probe on purpose, and why: checkov's CKV_K8S_9 is
   * skipped only while every container without one is among them (a sidecar the user adds is not).
   */
  readonly withoutReadiness?: { readonly containers: readonly string[]; readonly reason: string };
}

/**
 * kube-score's test that wants an egress policy too: the library's NetworkPolicies limit who may connect and leave
 * egress open (an app's outbound calls, and a database's DNS and backup targets, differ per cluster).
 */
export const EGRESS_LEFT_OPEN = 'pod-networkpolicy';

const CHOICES = new WeakMap<ApiObject, ScannerChoices>();
const OPTED_OUT = new WeakSet<IConstruct>();

/** Records what `object` chooses on purpose, beyond what its emitted JSON shows. */
export function scannerChoices(object: ApiObject, choices: ScannerChoices): void {
  const before = CHOICES.get(object);
  CHOICES.set(object, {
    checkov: { ...before?.checkov, ...choices.checkov },
    kubeScore: [...(before?.kubeScore ?? []), ...(choices.kubeScore ?? [])],
    withoutReadiness: choices.withoutReadiness ?? before?.withoutReadiness,
  });
}

/**
 * A StatefulApp's part: none at all under `scope` when `enabled` is false; otherwise its StatefulSet
 * leaves egress open on purpose when the app has its NetworkPolicy.
 */
export function appScannerChoices(scope: IConstruct, statefulSet: ApiObject, enabled: boolean | undefined, networkPolicy: boolean): void {
  if (enabled === false) optOutOfScannerAnnotations(scope);
  else if (networkPolicy) scannerChoices(statefulSet, { kubeScore: [EGRESS_LEFT_OPEN] });
}

/** No skip annotations on any object under `scope`. */
export function optOutOfScannerAnnotations(scope: IConstruct): void {
  OPTED_OUT.add(scope);
}

/** Selector labels the pods get at run time (the controller's pod name, the agents' role): kube-score sees no pod carry them. */
const RUN_TIME_LABELS = ['statefulset.kubernetes.io/pod-name', Conventions.MYSQL_ROLE_LABEL];

const REASONS = {
  cpuLimit: 'no CPU limit by design: CFS throttling hurts latency more than a limit protects neighbours; the request reserves the CPU',
  digest: 'images are pinned by tag (unpinned tags are refused at synth); pin a digest in the image prop to use one',
  pullPolicy: 'IfNotPresent with a pinned tag: Always would make every restart, and so every failover, depend on the registry',
  liveness: 'no liveness probe by design: restarting a slow stateful server rarely helps; the readiness probe takes it out of Services',
  uid: 'runs as the image\'s own non-root user, which owns its files (Pod Security restricted requires non-root, not a uid of 10000 or more)',
};

/** Adds the annotations to `json` (the object's Kubernetes JSON), from what it emits. */
export function addScannerAnnotations(object: ApiObject, emitted: { [key: string]: unknown }): void {
  for (let c: IConstruct | undefined = object; c; c = c.node.scope) if (OPTED_OUT.has(c)) return;
  const json = emitted as Emitted;
  const own = CHOICES.get(object);
  const checkov: { [check: string]: string } = {};
  const kubeScore = new Set<string>(own?.kubeScore ?? []);
  const pod = json.spec?.template?.spec ?? json.spec?.jobTemplate?.spec?.template?.spec;
  if (pod) podChoices(pod, checkov, kubeScore, json.kind ?? '');
  const probeless = (pod?.containers ?? []).filter((c) => c.readinessProbe === undefined).map((c) => c.name ?? '');
  const allowed = own?.withoutReadiness;
  if (allowed && probeless.length > 0 && probeless.every((n) => allowed.containers.includes(n))) checkov.CKV_K8S_9 = allowed.reason;
  if (json.kind === 'Service' && Object.keys(json.spec?.selector ?? {}).some((k) => RUN_TIME_LABELS.includes(k))) kubeScore.add('service-targets-pod');
  Object.assign(checkov, own?.checkov);
  writeAnnotations(json, checkov, kubeScore);
}

/** Adds the skips to the object's annotations, after (never over) those the user wrote: their own skips stay. */
function writeAnnotations(json: Emitted, checkov: { [check: string]: string }, kubeScore: Set<string>): void {
  const annotations: { [key: string]: string } = { ...json.metadata?.annotations };
  const theirs = Object.keys(annotations).filter((k) => /^checkov\.io\/skip\d+$/.test(k));
  const skipped = new Set(theirs.map((k) => annotations[k].split('=')[0]));
  const checks = Object.keys(checkov).filter((c) => !skipped.has(c)).sort();
  const ignored = new Set([...(annotations['kube-score/ignore'] ?? '').split(',').map((t) => t.trim()).filter(Boolean), ...kubeScore]);
  if (checks.length === 0 && ignored.size === 0) return;
  let n = Math.max(0, ...theirs.map((k) => Number(k.slice('checkov.io/skip'.length))));
  // (checkov splits the value at "=": a reason must not contain one)
  for (const check of checks) annotations[`checkov.io/skip${++n}`] = `${check}=${checkov[check].replace(/=/g, ':')}`;
  if (ignored.size > 0) annotations['kube-score/ignore'] = [...ignored].sort().join(',');
  // Keys sorted, as cdk8s writes every other object's labels and annotations.
  const sorted = Object.fromEntries(Object.keys(annotations).sort().map((k) => [k, annotations[k]]));
  const metadata: { [key: string]: unknown } = { ...json.metadata, annotations: sorted };
  json.metadata = Object.fromEntries(Object.keys(metadata).sort().map((k) => [k, metadata[k]]));
}

function podChoices(pod: Pod, checkov: { [check: string]: string }, kubeScore: Set<string>, kind: string): void {
  const containers = pod.containers ?? [];
  const all = [...containers, ...(pod.initContainers ?? [])];
  // (kube-score's test also wants requests and memory limits: ignored only when it is the CPU limit alone)
  const otherwiseSized = all.every((c) => c.resources?.limits?.memory !== undefined
    && c.resources?.requests?.memory !== undefined && c.resources?.requests?.cpu !== undefined);
  if (all.some((c) => c.resources?.limits?.cpu === undefined) && otherwiseSized) {
    checkov.CKV_K8S_11 = REASONS.cpuLimit;
    kubeScore.add('container-resources');
  }
  if (all.some((c) => !String(c.image).includes('@sha256:'))) checkov.CKV_K8S_43 = REASONS.digest;
  if (all.some((c) => c.imagePullPolicy !== 'Always')) {
    checkov.CKV_K8S_15 = REASONS.pullPolicy;
    kubeScore.add('container-image-pull-policy');
  }
  // (probes are for long-running pods: neither scanner asks a Job, or a CronJob's, for them)
  const longRunning = kind !== 'Job' && kind !== 'CronJob';
  if (longRunning && containers.some((c) => c.livenessProbe === undefined)) checkov.CKV_K8S_8 = REASONS.liveness;
  // (kube-score's test also rates identical readiness and liveness probes: ignored only when no container has liveness)
  if (longRunning && containers.every((c) => c.livenessProbe === undefined)) kubeScore.add('pod-probes');
  const below = (c: Container, field: 'runAsUser' | 'runAsGroup') => (c.securityContext?.[field] ?? pod.securityContext?.[field] ?? 10000) < 10000;
  if (all.some((c) => below(c, 'runAsUser') || below(c, 'runAsGroup'))) {
    checkov.CKV_K8S_40 = REASONS.uid;
    kubeScore.add('container-security-context-user-group-id');
  }
  const spreadsOverNodes = (pod.topologySpreadConstraints ?? []).some((t) => t.topologyKey === 'kubernetes.io/hostname');
  if (spreadsOverNodes) kubeScore.add(kind === 'Deployment' ? 'deployment-has-host-podantiaffinity' : 'statefulset-has-host-podantiaffinity');
}
