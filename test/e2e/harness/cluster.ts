/**
 * Runs the pods of a synthesized ReplicatedMySql StatefulSet for real, the way the StatefulSet
 * controller, the kubelet, CoreDNS and kube-proxy would, on loopback addresses inside the run's
 * network namespace (scripts/e2e/run.sh):
 *
 * - the controller (statefulset.ts has its rules): a ControllerRevision per pod template with
 *   status.currentRevision/updateRevision; pods `<name>-<ordinal>` with a persistent directory per
 *   claim (`<claim>-<name>-<ordinal>`, labelled with the claim template's labels and the
 *   selector's), created in ordinal order and each only after the previous one is Running and
 *   Ready under OrderedReady (all at once under Parallel), removed from the highest ordinal down,
 *   claims kept or deleted as `persistentVolumeClaimRetentionPolicy` says; rolling updates from the
 *   highest ordinal down to `ordinals.start + partition`; a missing pod re-created from the current
 *   or the update revision as `newVersionedStatefulSetPod` decides;
 * - the kubelet: init containers in order, each to completion (a failure is retried with the
 *   kubelet's back-off and the pod stays in Init), then the containers, restarted with back-off
 *   when they exit (init containers do not run again); fresh emptyDirs for every pod; the env
 *   resolved as the YAML says (`value`, `fieldRef`, `secretKeyRef`, `configMapKeyRef`);
 *   ConfigMap, Secret and projected volumes materialized as the kubelet's atomic writer lays them
 *   out (`..data` symlink; modes, items, fsGroup); the startup, readiness and liveness probes run
 *   as the kubelet runs them (period, timeout, thresholds; periods scaled by `timeScale` so the
 *   suite finishes sooner); SIGTERM, the grace period, SIGKILL;
 * - CoreDNS: the cluster's own /etc (a copy of the image's) with `hosts: files` only, and a hosts
 *   file rewritten (atomically) whenever pods come and go: a pod's name exists while the pod does
 *   (or only while it is Ready, if its headless Service does not publish not-ready addresses);
 *   Services' names map to their cluster IPs; anything else is an immediate "unknown host";
 *   `dnsOutage()` makes every lookup time out instead;
 * - kube-proxy: a TCP proxy per ClusterIP Service port (net.ts), to Ready endpoints only;
 * - faults (iptables in the namespace): `blackhole`, `partition`, `killContainer`.
 *
 * Each pod gets its own address 127.0.0.(11 + ordinal - start); its connections leave from it.
 * Containers whose image is not the MySQL image (the metrics sidecar) are not run: their absence
 * is reported, not hidden.
 */
import { exitOf, killGroup } from './process';
import { ChildProcess, execFileSync } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Bind, Chroot, makeServingCert } from './chroot';
import { ClaimInfo, KubeApiStandIn, mergePatch, PatchResult, ResourceHandler, sortedMap } from './kube-api';
import { Manifest } from './manifests';
import { API_HOST, assertIsolatedNetwork, ClusterRules, DNS_HOST, POD_GROUP_BASE, ProxyTarget, ServiceProxies } from './net';
import { clusterDnsNames, makeTls, Secrets, TlsMaterial } from './secrets';
import * as controller from './statefulset';

export type { Secrets } from './secrets';

const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** node-monitor-grace-period of kube-controller-manager v1.34: then the pods of a silent node turn NotReady. */
const NODE_MONITOR_GRACE_SECONDS = 50;
const NODE_NAME = 'e2e-node';

export interface ClusterOptions {
  readonly chroot: Chroot;
  /** Every synthesized object (the StatefulSet, its ConfigMap, Services, RBAC). */
  readonly objects: Manifest[];
  /** Name of the StatefulSet to run (default: the only ReplicatedMySql one). */
  readonly statefulSet: string;
  readonly namespace: string;
  readonly secrets: Secrets;
  /** Probe periods and back-offs are multiplied by this. */
  readonly timeScale: number;
  /** A directory under the chroot for claims, pod directories and logs. */
  readonly workDir: string;
  /**
   * Pod conditions carry `observedGeneration`, as the v1.34 kubelet writes them
   * (PodObservedGenerationTracking, beta and on by default in 1.34). Default true.
   */
  readonly podObservedGeneration?: boolean;
}

interface Probe {
  exec?: { command: string[] };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
  initialDelaySeconds?: number;
}

export interface ProbeRecord { readonly at: number; readonly ok: boolean; readonly output: string }

class ContainerState {
  public proc?: ChildProcess;
  public running = false;
  public started = false;
  public ready = false;
  public restarts = 0;
  public exits: Array<number | string> = [];
  public probes: { [kind: string]: ProbeRecord[] } = { startup: [], readiness: [], liveness: [] };
  public incarnation = 0;
  public startedAt?: number;
  public waitingReason?: string;
  public lastTermination?: { exitCode: number | string; finishedAt: number; startedAt: number };
  constructor(public readonly spec: any, public readonly logFile: string, public readonly runnable: boolean) {}
}

/** The time a pod condition last changed, as the kubelet tracks it. */
interface ConditionState { status: boolean; since: number }

export class Pod {
  public readonly name: string;
  public readonly dir: string;
  public phase: 'Init' | 'Running' | 'Terminating' | 'Gone' = 'Init';
  /** The pod has a deletionTimestamp (terminating or gone). */
  public deleted = false;
  public deletionTimestamp?: number;
  public deletionGracePeriodSeconds?: number;
  public initRestarts = 0;
  public initFailures: Array<{ container: string; exitCode: number | string }> = [];
  public readonly initContainers = new Map<string, { restarts: number; exitCode?: number | string; running: boolean }>();
  public readonly containers = new Map<string, ContainerState>();
  public readonly token = randomBytes(16).toString('hex');
  public readonly uid = randomUUID();
  public readonly createdAt = Date.now();
  /** When the pod first turned Ready. */
  public readyAt?: number;
  /** Set while its node is cut off (blackhole): after the node monitor's grace the pod counts as NotReady. */
  public nodeUnreachableSince?: number;
  private currentInit?: ChildProcess;
  private done: Promise<void> = Promise.resolve();
  private readonly conditions = new Map<string, ConditionState>();

  /**
   * @param revision the ControllerRevision it was created from (its `controller-revision-hash` label)
   */
  constructor(
    public readonly cluster: MySqlCluster, public readonly ordinal: number, public readonly template: any, public readonly revision: string,
  ) {
    this.name = `${cluster.name}-${ordinal}`;
    this.dir = path.join(cluster.workDir, 'pods', `${this.name}.${revision}.${randomBytes(3).toString('hex')}`);
    fs.mkdirSync(path.join(this.dir, 'logs'), { recursive: true });
    for (const c of template.spec.containers) {
      this.containers.set(c.name, new ContainerState(c, path.join(this.dir, 'logs', `${c.name}.log`), c.image === cluster.image));
    }
    for (const c of template.spec.initContainers ?? []) this.initContainers.set(c.name, { restarts: 0, running: false });
  }

  /** The kubelet starts the pod (once the controller has recorded it, its address and its name). */
  public start(): void {
    this.done = this.run();
    // A failure to start (a missing ConfigMap or Secret) is reported by the describe output.
    this.done.catch((e) => { this.startError = String(e); });
  }

  /** Why the pod could not start (CreateContainerConfigError, a missing volume source, ...). */
  public startError?: string;

  public get ip(): string {
    return this.cluster.ipOf(this.ordinal);
  }

  /** The supplementary group that gives the pod's processes its source address (net.ts). */
  public get networkGroup(): number {
    return POD_GROUP_BASE + Number(this.ip.split('.')[3]);
  }

  /** The containers are Ready: every container we run is Ready (the kubelet's view). */
  public get containersReady(): boolean {
    return this.phase === 'Running' && [...this.containers.values()].filter((c) => c.runnable).every((c) => c.ready);
  }

  /**
   * Ready as the API (and the endpoints controller, the StatefulSet controller) sees it: the
   * containers are Ready, the pod is not terminating, and its node has not been silent for longer
   * than the node monitor's grace period.
   */
  public get ready(): boolean {
    if (!this.containersReady) return false;
    const unreachableFor = this.nodeUnreachableSince === undefined ? 0 : Date.now() - this.nodeUnreachableSince;
    if (unreachableFor > this.cluster.scaled(NODE_MONITOR_GRACE_SECONDS)) return false;
    return true;
  }

  /** The API's phase: Pending (init), Running, or gone. */
  public get apiPhase(): 'Pending' | 'Running' {
    return this.phase === 'Init' || (this.phase === 'Terminating' && !this.conditionSince('Initialized')) ? 'Pending' : 'Running';
  }

  public get labels(): { [key: string]: string } {
    return {
      ...(this.template.metadata?.labels ?? {}),
      'apps.kubernetes.io/pod-index': String(this.ordinal),
      'controller-revision-hash': this.revision,
      'statefulset.kubernetes.io/pod-name': this.name,
    };
  }

  public logPath(container: string): string {
    return path.join(this.dir, 'logs', `${container}.log`);
  }

  public log(container: string): string {
    const file = this.logPath(container);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  }

  /** The host path of a volume of this pod (claims resolve to the cluster's claim directories). */
  public volumePath(volumeName: string): string {
    const claim = (this.cluster.statefulSetSpec().volumeClaimTemplates ?? []).find((t: any) => t.metadata.name === volumeName);
    if (claim) return this.cluster.claimPath(volumeName, this.ordinal);
    return path.join(this.dir, 'volumes', volumeName);
  }

  /** Runs a command the way `kubectl exec` (or an exec probe) would, in a container's context. */
  public async exec(containerName: string, command: string[], timeoutMs = 30_000): Promise<{ code: number | string; output: string }> {
    const spec = this.template.spec;
    const container = [...(spec.initContainers ?? []), ...spec.containers].find((x: any) => x.name === containerName);
    if (!container) throw new Error(`pod ${this.name} has no container ${containerName}`);
    const out = path.join(this.dir, 'logs', `exec.${randomBytes(3).toString('hex')}.out`);
    fs.writeFileSync(out, '');
    const proc = this.spawn({ ...container, command, args: [] }, out);
    const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), timeoutMs);
    const code = await exitOf(proc);
    clearTimeout(timer);
    return { code, output: fs.readFileSync(out, 'utf8') };
  }

  /**
   * A signal to a running container's main process (`kill -9` of mysqld, the OOM killer): when it
   * exits, what is left of the container dies with it, and the kubelet restarts the container
   * after its back-off; init containers do not run again. Resolves once the process exited
   * (for a signal it survives, after `waitMs`).
   */
  public async killContainer(containerName: string, signal: NodeJS.Signals = 'SIGKILL', waitMs = 30_000): Promise<void> {
    const c = this.containers.get(containerName);
    if (!c?.proc || !c.running) throw new Error(`${this.name}: container ${containerName} is not running`);
    const proc = c.proc;
    const exited = exitOf(proc);
    try {
      process.kill(proc.pid!, signal);
    } catch {
      // exited meanwhile
    }
    await Promise.race([exited, sleep(waitMs)]);
  }

  /** Deletes the pod: SIGTERM to every container, SIGKILL after the grace period. */
  public async terminate(graceSeconds?: number): Promise<void> {
    if (this.deleted) return this.done;
    const grace = graceSeconds ?? this.template.spec.terminationGracePeriodSeconds ?? 30;
    this.deleted = true;
    this.deletionTimestamp = Date.now();
    this.deletionGracePeriodSeconds = grace;
    this.phase = 'Terminating';
    const procs = [this.currentInit, ...[...this.containers.values()].map((c) => c.proc)]
      .filter((p): p is ChildProcess => !!p && p.exitCode === null && p.signalCode === null);
    for (const c of this.containers.values()) c.ready = false;
    this.changed();
    await Promise.all(procs.map((p) => stopProcess(p, grace)));
    await this.done.catch(() => undefined);
    this.phase = 'Gone';
  }

  /** The node died: every process gets SIGKILL at once. */
  public async kill(): Promise<void> {
    return this.terminate(0);
  }

  /** The pod as `GET /api/v1/namespaces/{ns}/pods/{name}` returns it (Go field order). */
  public toApiObject(): object {
    const c = this.cluster;
    const time = (ms?: number) => (ms === undefined ? undefined : rfc3339(ms));
    const generation = c.podObservedGeneration ? { observedGeneration: 1 } : {};
    const condition = (type: string, state: ConditionState | undefined, extra: object = {}) => ({
      type, ...generation, status: state?.status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: time(state?.since ?? this.createdAt), ...extra,
    });
    const unready = [...this.containers.values()].filter((x) => !x.ready).map((x) => x.spec.name);
    const notReady = unready.length ? { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` } : {};
    const initialized = this.conditions.get('Initialized');
    const statusOf = (x: ContainerState) => ({
      name: x.spec.name,
      state: x.running
        ? { running: { startedAt: time(x.startedAt) } }
        : x.lastTermination && !x.waitingReason
          ? { terminated: { exitCode: exitCodeOf(x.lastTermination.exitCode), reason: 'Error', startedAt: time(x.lastTermination.startedAt), finishedAt: time(x.lastTermination.finishedAt) } }
          : { waiting: { reason: x.waitingReason ?? (x.runnable ? 'PodInitializing' : 'ImagePullBackOff') } },
      lastState: x.lastTermination && x.running ? { terminated: { exitCode: exitCodeOf(x.lastTermination.exitCode), reason: 'Error', startedAt: time(x.lastTermination.startedAt), finishedAt: time(x.lastTermination.finishedAt) } } : {},
      ready: x.ready,
      restartCount: x.restarts,
      image: x.spec.image,
      imageID: '',
      ...(x.running ? { containerID: `e2e://${this.uid}/${x.spec.name}/${x.incarnation}` } : {}),
      started: x.started,
    });
    const volumes = [
      ...(c.statefulSetSpec().volumeClaimTemplates ?? []).map((t: any) => ({ name: t.metadata.name, persistentVolumeClaim: { claimName: `${t.metadata.name}-${c.name}-${this.ordinal}` } })),
      ...(this.template.spec.volumes ?? []),
    ];
    return {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        name: this.name,
        generateName: `${c.name}-`,
        namespace: c.namespace,
        uid: this.uid,
        resourceVersion: String(c.resourceVersion),
        generation: 1,
        creationTimestamp: time(this.createdAt),
        deletionTimestamp: time(this.deletionTimestamp),
        deletionGracePeriodSeconds: this.deletionGracePeriodSeconds,
        labels: sortedMap(this.labels),
        annotations: sortedMap(this.template.metadata?.annotations),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: c.name, uid: c.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        ...this.template.spec,
        volumes,
        nodeName: NODE_NAME,
        hostname: this.name,
        subdomain: c.statefulSetSpec().serviceName,
      },
      status: {
        ...generation,
        phase: this.apiPhase,
        conditions: [
          condition('PodReadyToStartContainers', { status: true, since: this.createdAt }),
          condition('Initialized', initialized ?? { status: false, since: this.createdAt }, initialized?.status ? {} : { reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${[...this.initContainers.keys()].join(' ')}]` }),
          condition('Ready', this.conditions.get('Ready'), this.ready ? {} : notReady),
          condition('ContainersReady', this.conditions.get('ContainersReady'), this.containersReady ? {} : notReady),
          condition('PodScheduled', { status: true, since: this.createdAt }),
        ],
        hostIP: '127.0.0.1',
        hostIPs: [{ ip: '127.0.0.1' }],
        podIP: this.ip,
        podIPs: [{ ip: this.ip }],
        startTime: time(this.createdAt),
        initContainerStatuses: [...this.initContainers.entries()].map(([name, s]) => ({
          name,
          state: s.running
            ? { running: { startedAt: time(this.createdAt) } }
            : s.exitCode === 0
              ? { terminated: { exitCode: 0, reason: 'Completed' } }
              : s.exitCode !== undefined ? { waiting: { reason: 'CrashLoopBackOff' } } : { waiting: { reason: 'PodInitializing' } },
          lastState: s.exitCode !== undefined && s.exitCode !== 0 ? { terminated: { exitCode: exitCodeOf(s.exitCode), reason: 'Error' } } : {},
          ready: s.exitCode === 0,
          restartCount: s.restarts,
          image: this.template.spec.initContainers.find((x: any) => x.name === name)?.image,
          imageID: '',
          started: s.running,
        })),
        containerStatuses: [...this.containers.values()].map(statusOf),
        qosClass: qosClass(this.template.spec),
      },
    };
  }

  /** Records condition transitions (their lastTransitionTime). */
  public noteConditions(): void {
    const now = Date.now();
    const note = (type: string, status: boolean) => {
      const prev = this.conditions.get(type);
      if (!prev || prev.status !== status) this.conditions.set(type, { status, since: now });
    };
    note('Initialized', this.phase === 'Running' || (this.phase === 'Terminating' && this.conditions.get('Initialized')?.status === true));
    note('ContainersReady', this.containersReady);
    note('Ready', this.ready);
    if (this.ready && this.readyAt === undefined) this.readyAt = now;
  }

  /** Something about the pod changed: its conditions, then the cluster's view (status, DNS, Services). */
  public changed(): void {
    this.noteConditions();
    this.cluster.podChanged();
  }

  private conditionSince(type: string): boolean {
    return this.conditions.get(type)?.status === true;
  }

  private async run(): Promise<void> {
    const spec = this.template.spec;
    this.changed();
    for (const init of spec.initContainers ?? []) {
      if (init.image !== this.cluster.image) throw new Error(`init container ${init.name} uses image ${init.image}, not the MySQL image: cannot run it`);
      const state = this.initContainers.get(init.name)!;
      let attempt = 0;
      for (;;) {
        if (this.deleted) return;
        const proc = this.spawn(init, path.join(this.dir, 'logs', `${init.name}.log`));
        this.currentInit = proc;
        state.running = true;
        const code = await exitOf(proc);
        state.running = false;
        state.exitCode = code;
        this.currentInit = undefined;
        if (code === 0) break;
        if (this.deleted) return;
        this.initFailures.push({ container: init.name, exitCode: code });
        this.initRestarts++;
        state.restarts++;
        await idle(this.cluster.backoff(++attempt));
      }
    }
    if (this.deleted) return;
    this.phase = 'Running';
    this.changed();
    await Promise.all([...this.containers.values()].filter((c) => c.runnable).map((c) => this.supervise(c)));
  }

  private async supervise(c: ContainerState): Promise<void> {
    while (!this.deleted) {
      const incarnation = ++c.incarnation;
      c.proc = this.spawn(c.spec, c.logFile);
      c.running = true;
      c.startedAt = Date.now();
      c.waitingReason = undefined;
      c.started = !c.spec.startupProbe;
      c.ready = false;
      this.changed();
      const exited = exitOf(c.proc);
      if (c.spec.startupProbe) void this.probeLoop(c, 'startup', c.spec.startupProbe, incarnation);
      else this.startProbes(c, incarnation);
      const code = await exited;
      // The container's other processes die with its main process (the runtime tears it down).
      killGroup(c.proc, 'SIGKILL');
      c.running = false;
      c.ready = false;
      c.started = false;
      c.exits.push(code);
      c.lastTermination = { exitCode: code, finishedAt: Date.now(), startedAt: c.startedAt };
      if (this.deleted) return;
      c.waitingReason = 'CrashLoopBackOff';
      this.changed();
      c.restarts++;
      await idle(this.cluster.backoff(c.restarts));
    }
  }

  private startProbes(c: ContainerState, incarnation: number): void {
    if (c.spec.readinessProbe) void this.probeLoop(c, 'readiness', c.spec.readinessProbe, incarnation);
    else { c.ready = true; this.changed(); }
    if (c.spec.livenessProbe) void this.probeLoop(c, 'liveness', c.spec.livenessProbe, incarnation);
  }

  private async probeLoop(c: ContainerState, kind: 'startup' | 'readiness' | 'liveness', probe: Probe, incarnation: number): Promise<void> {
    const alive = () => !this.deleted && c.incarnation === incarnation && c.running;
    const period = this.cluster.scaled(probe.periodSeconds ?? 10);
    const failureThreshold = probe.failureThreshold ?? 3;
    const successThreshold = probe.successThreshold ?? 1;
    let failures = 0;
    let successes = 0;
    await idle(this.cluster.scaled(probe.initialDelaySeconds ?? 0));
    while (alive()) {
      const { ok, output } = await this.execProbe(c, probe, kind);
      if (!alive()) return;
      const records = c.probes[kind];
      records.push({ at: Date.now(), ok, output: output.trim() });
      if (records.length > 200) records.shift();
      if (ok) {
        successes++;
        failures = 0;
      } else {
        failures++;
        successes = 0;
      }
      if (kind === 'startup') {
        if (ok) {
          c.started = true;
          this.startProbes(c, incarnation);
          return;
        }
        if (failures >= failureThreshold) { await stopProcess(c.proc!, this.template.spec.terminationGracePeriodSeconds ?? 30); return; }
      } else if (kind === 'readiness') {
        const before = c.ready;
        if (successes >= successThreshold) c.ready = true;
        if (failures >= failureThreshold) c.ready = false;
        if (c.ready !== before) this.changed();
      } else if (failures >= failureThreshold) {
        await stopProcess(c.proc!, this.template.spec.terminationGracePeriodSeconds ?? 30);
        return;
      }
      await idle(period);
    }
  }

  private async execProbe(c: ContainerState, probe: Probe, kind: string): Promise<{ ok: boolean; output: string }> {
    if (!probe.exec) throw new Error(`only exec probes run in the e2e (${c.spec.name})`);
    const out = path.join(this.dir, 'logs', `${c.spec.name}.${kind}.probe.out`);
    fs.writeFileSync(out, '');
    const proc = this.spawn({ ...c.spec, command: probe.exec.command, args: [] }, out);
    const timeout = (probe.timeoutSeconds ?? 1) * 1000;
    const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), timeout);
    const code = await exitOf(proc);
    clearTimeout(timer);
    // A pod deleted while its probe ran takes its directory with it: the loop then sees it is gone.
    return { ok: code === 0, output: fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '' };
  }

  private spawn(container: any, logFile: string): ChildProcess {
    const env = this.cluster.envFor(this, container);
    const binds: Bind[] = (container.volumeMounts ?? []).map((m: any) => {
      let source = this.materialize(m.name);
      if (m.subPath) {
        source = path.join(source, m.subPath);
        fs.mkdirSync(source, { recursive: true });
      }
      return { source, target: m.mountPath, readOnly: !!m.readOnly || this.isReadOnlyVolume(m.name) };
    });
    const podSec = this.template.spec.securityContext ?? {};
    const sec = container.securityContext ?? {};
    const uid = sec.runAsUser ?? podSec.runAsUser ?? 0;
    const gid = sec.runAsGroup ?? podSec.runAsGroup ?? 0;
    const groups = [gid, ...(podSec.fsGroup !== undefined ? [podSec.fsGroup] : []), ...(podSec.supplementalGroups ?? []), this.networkGroup];
    const command = [...(container.command ?? []), ...(container.args ?? [])].map((a: string) => expand(a, env));
    if (command.length === 0) throw new Error(`container ${container.name} has no command: the e2e runs only what the YAML says`);
    return this.cluster.chroot.spawn({
      binds, uid, gid, groups: [...new Set(groups)], env, command, logFile, readOnlyRoot: !!sec.readOnlyRootFilesystem, etc: this.cluster.etcDir,
    });
  }

  private isReadOnlyVolume(name: string): boolean {
    const v = (this.template.spec.volumes ?? []).find((x: any) => x.name === name);
    return !!(v?.configMap || v?.projected || v?.secret || v?.downwardAPI);
  }

  /** The host directory of a pod volume, created on first use (emptyDirs live as long as the pod). */
  private materialize(name: string): string {
    const dir = this.volumePath(name);
    if (fs.existsSync(dir)) return dir;
    const claim = (this.cluster.statefulSetSpec().volumeClaimTemplates ?? []).find((t: any) => t.metadata.name === name);
    const podSec = this.template.spec.securityContext ?? {};
    const fsGroup: number | undefined = podSec.fsGroup;
    if (claim) {
      this.cluster.createClaim(name, this.ordinal, fsGroup);
      return dir;
    }
    const v = (this.template.spec.volumes ?? []).find((x: any) => x.name === name);
    if (!v) throw new Error(`pod ${this.name}: no volume ${name}`);
    if (v.emptyDir) {
      fs.mkdirSync(dir, { recursive: true });
      fs.chmodSync(dir, 0o777);
      return dir;
    }
    const files: AtomicFile[] = [];
    const defaultMode = v.configMap?.defaultMode ?? v.secret?.defaultMode ?? v.projected?.defaultMode ?? v.downwardAPI?.defaultMode ?? 0o644;
    type Source = { items?: Array<{ key: string; path: string; mode?: number }>; optional?: boolean };
    const fromMap = (what: string, data: { [k: string]: string } | undefined, src: Source) => {
      if (!data) {
        if (src.optional) return;
        throw new Error(`pod ${this.name}: ${what} does not exist (the pod would stay in ContainerCreating)`);
      }
      const items: Array<{ key: string; path: string; mode?: number }> = src.items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const item of items) {
        if (data[item.key] === undefined) {
          if (src.optional) continue;
          throw new Error(`pod ${this.name}: ${what} has no key ${item.key} (the pod would stay in ContainerCreating)`);
        }
        files.push({ path: item.path, content: data[item.key], mode: item.mode ?? defaultMode });
      }
    };
    const runAsUser = podSec.runAsUser;
    if (v.configMap) {
      fromMap(`ConfigMap ${v.configMap.name}`, this.cluster.configMap(v.configMap.name)?.data, v.configMap);
    } else if (v.secret) {
      fromMap(`Secret ${v.secret.secretName}`, this.cluster.secretFor(this.ordinal, v.secret.secretName), v.secret);
    } else if (v.downwardAPI) {
      for (const item of v.downwardAPI.items ?? []) {
        files.push({ path: item.path, content: this.fieldRef(item.fieldRef?.fieldPath), mode: item.mode ?? defaultMode });
      }
    } else if (v.projected) {
      for (const src of v.projected.sources) {
        if (src.serviceAccountToken) {
          // With fsGroup (or a common runAsUser) the kubelet writes the token 0600, owned by that user.
          const owned = fsGroup !== undefined || runAsUser !== undefined;
          const mode = owned ? 0o600 : defaultMode;
          files.push({ path: src.serviceAccountToken.path, content: this.token, mode, uid: owned ? runAsUser : undefined });
        } else if (src.configMap) {
          const data = src.configMap.name === 'kube-root-ca.crt' ? { 'ca.crt': this.cluster.apiCa } : this.cluster.configMap(src.configMap.name)?.data;
          fromMap(`ConfigMap ${src.configMap.name}`, data, src.configMap);
        } else if (src.secret) {
          fromMap(`Secret ${src.secret.name}`, this.cluster.secretFor(this.ordinal, src.secret.name), src.secret);
        } else if (src.downwardAPI) {
          for (const item of src.downwardAPI.items ?? []) {
            files.push({ path: item.path, content: this.fieldRef(item.fieldRef?.fieldPath), mode: item.mode ?? defaultMode });
          }
        } else {
          throw new Error(`pod ${this.name}: projected source ${JSON.stringify(src)} is not supported by the e2e`);
        }
      }
    } else {
      throw new Error(`pod ${this.name}: volume ${name} of this kind is not supported by the e2e: ${JSON.stringify(v)}`);
    }
    writeAtomic(dir, files, fsGroup);
    return dir;
  }

  /** The value of a downward-API field of this pod. */
  public fieldRef(field: string | undefined): string {
    const value = ({
      'metadata.name': this.name, 'metadata.namespace': this.cluster.namespace, 'metadata.uid': this.uid,
      'spec.nodeName': NODE_NAME, 'spec.serviceAccountName': this.template.spec.serviceAccountName ?? 'default', 'status.podIP': this.ip,
      'status.hostIP': '127.0.0.1',
    } as { [f: string]: string })[field ?? ''];
    if (value !== undefined) return value;
    const label = /^metadata\.labels\['(.+)'\]$/.exec(field ?? '');
    if (label) return this.labels[label[1]] ?? '';
    const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(field ?? '');
    if (annotation) return this.template.metadata?.annotations?.[annotation[1]] ?? '';
    throw new Error(`fieldRef ${field} is not supported by the e2e`);
  }
}

interface AtomicFile { path: string; content: string; mode: number; uid?: number }

/**
 * The kubelet's AtomicWriter layout: the files in a timestamped directory, `..data` pointing at
 * it, and each top-level name a symlink through `..data`. With fsGroup, files and directories
 * belong to that group and are group-readable (the read-only mask), directories setgid.
 */
function writeAtomic(dir: string, files: AtomicFile[], fsGroup: number | undefined): void {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace(/\..*/, '')}.${randomBytes(4).toString('hex')}`;
  const data = path.join(dir, stamp);
  fs.mkdirSync(data, { mode: 0o755 });
  const top = new Set<string>();
  for (const f of files) {
    const target = path.join(data, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    fs.writeFileSync(target, f.content);
    fs.chmodSync(target, f.mode | (fsGroup !== undefined ? 0o440 : 0));
    if (fsGroup !== undefined || f.uid !== undefined) fs.chownSync(target, f.uid ?? 0, fsGroup ?? 0);
    top.add(f.path.split('/')[0]);
  }
  fs.symlinkSync(stamp, path.join(dir, '..data'));
  for (const name of top) fs.symlinkSync(path.join('..data', name), path.join(dir, name));
  if (fsGroup !== undefined) {
    for (const d of [dir, ...walkDirs(data)]) {
      fs.chownSync(d, 0, fsGroup);
      fs.chmodSync(d, (fs.statSync(d).mode & 0o7777) | 0o2000 | 0o550);
    }
  }
}

function walkDirs(dir: string): string[] {
  const out = [dir];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...walkDirs(path.join(dir, e.name)));
  return out;
}

/** What the harness remembers of a claim (the PVC object's metadata). */
interface ClaimObject {
  readonly uid: string;
  readonly createdAt: number;
  labels: { [key: string]: string };
  annotations: { [key: string]: string };
  resourceVersion: number;
}

/** A ConfigMap as the API server holds it (mutable through PATCH). */
interface ConfigMapObject {
  readonly uid: string;
  readonly createdAt: number;
  resourceVersion: number;
  metadata: any;
  data?: { [key: string]: string };
  binaryData?: { [key: string]: string };
  immutable?: boolean;
}

/** Where and as whom `MySqlCluster.sql` runs a statement. */
export interface SqlTarget {
  readonly pod?: number;
  readonly host?: string;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly tls?: boolean;
  readonly sslMode?: string;
  readonly sslCa?: string;
  readonly columnNames?: boolean;
  readonly connectTimeout?: number;
}

/**
 * The waits of the pod scripts (src/mysql/scripts, their defaults in seconds) that the harness runs on
 * its faster clock, like the probe periods: retries, settling and refresh intervals -- never a network
 * timeout (PEER_TIMEOUT) or a budget for real work (clone, catch-up, mysqld start).
 */
export const SCRIPT_WAITS: Readonly<Record<string, number>> = {
  PEER_RETRY_INTERVAL: 5, EVIDENCE_SETTLE: 10, ROLE_REFRESH: 10, EVIDENCE_REFRESH: 60, REFUSAL_LOG_INTERVAL: 60, DONOR_RETRY_INTERVAL: 5,
};

export class MySqlCluster {
  public readonly name: string;
  public readonly image: string;
  public readonly namespace: string;
  public readonly chroot: Chroot;
  public readonly workDir: string;
  /** The cluster's /etc (hosts, nsswitch.conf, resolv.conf), mounted read-only in every container. */
  public readonly etcDir: string;
  public readonly pods = new Map<number, Pod>();
  /** The uid of the StatefulSet object. */
  public readonly uid = randomUUID();
  public readonly podObservedGeneration: boolean;
  public readonly createdAt = Date.now();
  public apiCa = '';
  public api?: KubeApiStandIn;
  public secrets: Secrets;
  /** Secrets a single pod sees instead of the cluster's (an impostor's certificate, ...). */
  public readonly podSecretOverrides = new Map<number, Secrets>();
  /** The ControllerRevisions by name. */
  public readonly revisions = new Map<string, controller.Revision>();
  /** A counter standing in for etcd's resourceVersion. */
  public resourceVersion = 1;
  /** The Service proxies (for tests: the connections they made). */
  public readonly proxies = new ServiceProxies();
  private objects: Manifest[];
  private status: controller.StatefulSetStatus;
  private generation = 1;
  private readonly timeScale: number;
  /** Set while the whole cluster is down (a full restart): the controller creates nothing. */
  private paused = false;
  private disposed = false;
  private started = false;
  private apiPort = 0;
  private readonly claims = new Map<string, ClaimObject>();
  private readonly configMaps = new Map<string, ConfigMapObject>();
  private readonly rules: ClusterRules;
  private readonly serviceIps = new Map<string, string>();
  private tick?: NodeJS.Timeout;
  private lastHosts = '';
  private dnsDown?: { timeoutSeconds: number; attempts: number };
  private rollout?: Promise<void>;

  constructor(options: ClusterOptions) {
    this.chroot = options.chroot;
    this.objects = clone(options.objects);
    this.name = options.statefulSet;
    this.namespace = options.namespace;
    this.secrets = options.secrets;
    this.timeScale = options.timeScale;
    this.workDir = options.workDir;
    this.podObservedGeneration = options.podObservedGeneration ?? true;
    this.etcDir = path.join(this.workDir, 'etc');
    this.rules = new ClusterRules(randomBytes(3).toString('hex'));
    const sts = this.statefulSet();
    sts.metadata.generation = this.generation;
    this.image = sts.spec.template.spec.containers[0].image;
    fs.mkdirSync(path.join(this.workDir, 'claims'), { recursive: true });
    for (const o of this.objects) if (o.kind === 'ConfigMap') this.createConfigMap(o);
    const first = controller.updateRevisionFor(this.name, sts.spec.template, this.revisions);
    this.status = controller.computeStatus(this.spec(), [], first.name, first.name, this.generation);
    this.ensureMountPoints();
    execFileSync('cp', ['-a', this.chroot.hostPath('etc'), this.etcDir]);
    this.writeResolver();
  }

  // --- objects -----------------------------------------------------------------------------

  public statefulSet(): Manifest {
    const sts = this.objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === this.name);
    if (!sts) throw new Error(`no StatefulSet ${this.name}`);
    return sts;
  }

  public statefulSetSpec(): any {
    return this.statefulSet().spec;
  }

  /** An object of the applied manifests; a ConfigMap as it is now (pods may have patched it). */
  public object(kind: string, name: string): Manifest | undefined {
    if (kind === 'ConfigMap') return this.configMap(name) as Manifest | undefined;
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name);
  }

  public get startOrdinal(): number {
    return this.statefulSetSpec().ordinals?.start ?? 0;
  }

  public ipOf(ordinal: number): string {
    return `127.0.0.${11 + ordinal - this.startOrdinal}`;
  }

  public podDnsName(ordinal: number): string {
    const spec = this.statefulSetSpec();
    return `${this.name}-${ordinal}.${spec.serviceName}.${this.namespace}.svc.cluster.local`;
  }

  /** A Service's cluster IP (undefined for a headless one). */
  public serviceIp(serviceName: string): string | undefined {
    this.allocateServiceIps();
    return this.serviceIps.get(serviceName);
  }

  public scaled(seconds: number): number {
    return Math.max(0, seconds * this.timeScale * 1000);
  }

  /** The kubelet's crash-loop back-off (10 s doubling up to 5 min), scaled. */
  public backoff(attempt: number): number {
    return Math.max(300, this.scaled(Math.min(300, 10 * 2 ** (attempt - 1))));
  }

  // --- the StatefulSet's revisions ------------------------------------------------------------

  /** status of the StatefulSet as the controller last wrote it. */
  public statefulSetStatus(): controller.StatefulSetStatus {
    return { ...this.status };
  }

  /** The `controller-revision-hash` of a pod (the ControllerRevision it was created from). */
  public podRevision(ordinal: number): string {
    return this.pod(ordinal).revision;
  }

  /** Whether start() has run (the cluster's objects were applied). */
  public get isStarted(): boolean {
    return this.started;
  }

  /** Every pod's revision, by ordinal. */
  public podRevisions(): { [ordinal: number]: string } {
    return Object.fromEntries([...this.pods.entries()].map(([o, p]) => [o, p.revision]));
  }

  // --- lifecycle ---------------------------------------------------------------------------

  public async start(): Promise<void> {
    assertIsolatedNetwork();
    const tls = makeServingCert(path.join(this.workDir, 'api-tls'), API_HOST);
    this.apiCa = tls.ca;
    this.configMaps.set('kube-root-ca.crt', {
      uid: randomUUID(), createdAt: Date.now(), resourceVersion: this.resourceVersion++,
      metadata: { name: 'kube-root-ca.crt', namespace: this.namespace }, data: { 'ca.crt': tls.ca },
    });
    this.api = new KubeApiStandIn({
      serviceAccountOf: (token) => {
        // A bound token is valid while its pod object exists (terminating included).
        const pod = [...this.pods.values()].find((p) => p.token === token);
        return pod ? { namespace: this.namespace, name: pod.template.spec.serviceAccountName ?? 'default' } : undefined;
      },
      rbacObjects: () => this.objects.filter((o) => ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)),
      resources: () => this.apiResources(),
    }, tls, API_HOST);
    this.apiPort = await this.api.start();
    this.rules.install();
    // The "DNS server" of resolv.conf: nothing answers, nothing is refused (dnsOutage: timeouts).
    this.rules.drop('dns', [['-d', DNS_HOST, '-p', 'udp', '--dport', '53'], ['-d', DNS_HOST, '-p', 'tcp', '--dport', '53']]);
    this.proxies.start();
    this.started = true;
    this.syncNetwork();
    // What changes with time alone (a silent node's pods turning NotReady) is seen by this tick.
    this.tick = setInterval(() => {
      for (const p of this.pods.values()) p.noteConditions();
      this.syncStatus();
      this.syncNetwork();
    }, 100);
    this.tick.unref();
    await this.scale(this.spec().replicas);
  }

  /** Scales like the StatefulSet controller: up in order (each Ready first, under OrderedReady), down from the top. */
  public async scale(replicas: number, options: { waitReady?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.statefulSet().spec.replicas !== replicas) {
      this.statefulSet().spec.replicas = replicas;
      this.generation++;
      this.statefulSet().metadata.generation = this.generation;
    }
    const spec = this.spec();
    const ordered = spec.podManagementPolicy === 'OrderedReady';
    const first = this.startOrdinal;
    const last = first + replicas - 1;
    // The pods in range first, in ordinal order (under OrderedReady each Running and Ready before the next) ...
    for (let o = first; o <= last; o++) {
      if (this.disposed) return;
      if (!this.pods.has(o)) this.createPod(o);
      if (!ordered) continue;
      if (options.waitReady === false) {
        if (!this.pods.get(o)!.ready) return;
      } else {
        await this.waitReady(o, options.timeoutMs);
      }
    }
    if (!ordered && options.waitReady !== false) for (let o = first; o <= last; o++) await this.waitReady(o, options.timeoutMs);
    // ... then the condemned ones (outside the range), highest ordinal first.
    const condemned = [...this.pods.keys()].filter((o) => o < first || o > last).sort((a, b) => b - a);
    const remove = async (o: number) => {
      const done = this.pods.get(o)!.terminate();
      this.syncStatus();
      await done;
      this.pods.delete(o);
      this.podChanged();
      if (spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') this.deleteClaims(o);
    };
    if (ordered) for (const o of condemned) await remove(o); else await Promise.all(condemned.map(remove));
  }

  /**
   * The controller creates the pod for `ordinal`, from the current or the update revision as
   * `newVersionedStatefulSetPod` decides with the status it last wrote (or `decidedWith`).
   */
  public createPod(ordinal: number, decidedWith?: controller.StatefulSetStatus): Pod {
    if (this.pods.has(ordinal)) throw new Error(`${this.name}-${ordinal} exists`);
    const status = decidedWith ?? this.status;
    const which = controller.revisionForNewPod(this.spec(), status, ordinal);
    const revision = this.revisions.get(which === 'current' ? status.currentRevision : status.updateRevision)!;
    const pod = new Pod(this, ordinal, clone(revision.template), revision.name);
    this.pods.set(ordinal, pod);
    this.ensureMountPoints(pod.template);
    // Its address and its DNS name exist before its first process runs.
    if (this.started) this.rules.podSource(pod.ip, pod.networkGroup);
    this.podChanged();
    pod.start();
    return pod;
  }

  /**
   * `kubectl delete pod`: the controller re-creates it with the same name and claims, from the
   * revision it would use. `grace: 0` is a forced deletion: the pod object disappears at once, so
   * the controller decides with the status it wrote while the pod still counted.
   */
  public async deletePod(ordinal: number, options: { grace?: number; recreate?: boolean } = {}): Promise<Pod | undefined> {
    const pod = this.pod(ordinal);
    const forced = options.grace === 0;
    const before = forced ? { ...this.status } : undefined;
    const done = pod.terminate(options.grace);
    if (!forced) this.syncStatus();
    await done;
    if (this.pods.get(ordinal) === pod) this.pods.delete(ordinal);
    this.podChanged();
    if (options.recreate === false || this.paused || this.disposed) return undefined;
    return this.createPod(ordinal, before);
  }

  /** A node crash and a forced deletion: the pod's processes die with SIGKILL; the controller re-creates it. */
  public async killPod(ordinal: number): Promise<Pod | undefined> {
    return this.deletePod(ordinal, { grace: 0 });
  }

  /**
   * A signal to one container of a pod (default SIGKILL, e.g. of mysqld): the kubelet restarts
   * that container with its back-off; the init containers do not run again.
   */
  public async killContainer(ordinal: number, container: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.pod(ordinal).killContainer(container, signal);
  }

  /** Every pod goes away (a cluster-wide outage); nothing is re-created until `resume()`. */
  public async stopAll(options: { grace?: number } = {}): Promise<void> {
    this.paused = true;
    const ordinals = [...this.pods.keys()].sort((a, b) => b - a);
    for (const o of ordinals) {
      const done = this.pods.get(o)!.terminate(options.grace);
      if (options.grace !== 0) this.syncStatus();
      await done;
      this.pods.delete(o);
      this.podChanged();
    }
  }

  /** The controller comes back and re-creates the pods as after a full restart (in order). */
  public async resume(options: { waitReady?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.paused = false;
    await this.scale(this.spec().replicas, options);
  }

  /**
   * Applies new manifests (GitOps sync): objects are replaced (a ConfigMap keeps the keys pods
   * added, as `kubectl apply` and server-side apply do; objects no longer in the manifests stay:
   * no pruning); a changed pod template becomes the update revision (an earlier equal one is
   * reused: a rollback). Replicas and ordinals.start take effect first (scaling takes precedence
   * over updates); then a RollingUpdate replaces, from the highest ordinal down to
   * `start + partition`, each pod not at the update revision, the next only once the replaced
   * one is Running and Ready (under OrderedReady, once every pod is). OnDelete updates nothing.
   * With `wait: false` the rollout continues in the background (`waitRollout()`).
   */
  public async apply(objects: Manifest[], options: { timeoutMs?: number; wait?: boolean } = {}): Promise<void> {
    await this.rollout?.catch(() => undefined);
    const previous = this.objects;
    const previousSpec = canonical(this.statefulSetSpec());
    this.objects = clone(objects);
    for (const o of this.objects) {
      if (o.kind !== 'ConfigMap') continue;
      const before = previous.find((p) => p.kind === 'ConfigMap' && p.metadata.name === o.metadata.name);
      this.createConfigMap(o, before);
    }
    for (const o of previous) if (o.kind !== 'StatefulSet' && !this.objects.some((n) => n.kind === o.kind && n.metadata.name === o.metadata.name)) this.objects.push(o);
    const sts = this.statefulSet();
    if (canonical(sts.spec) !== previousSpec) this.generation++;
    sts.metadata.generation = this.generation;
    const update = controller.updateRevisionFor(this.name, sts.spec.template, this.revisions);
    this.status.updateRevision = update.name;
    this.syncStatus();
    this.ensureMountPoints();
    this.syncNetwork();
    const spec = this.spec();
    const ordered = spec.podManagementPolicy === 'OrderedReady';
    // Under Parallel the controller scales without waiting for readiness.
    await this.scale(spec.replicas, ordered ? options : { ...options, waitReady: false });
    if (spec.updateStrategy?.type !== 'RollingUpdate') return;
    this.rollout = this.rollingUpdate(options.timeoutMs);
    if (options.wait !== false) await this.waitRollout();
  }

  /** Waits for the rollout `apply()` started (rethrows its failure). */
  public async waitRollout(): Promise<void> {
    const rollout = this.rollout;
    if (!rollout) return;
    try {
      await rollout;
    } finally {
      if (this.rollout === rollout) this.rollout = undefined;
    }
  }

  public pod(ordinal: number): Pod {
    const pod = this.pods.get(ordinal);
    if (!pod) throw new Error(`no pod ${this.name}-${ordinal}`);
    return pod;
  }

  public async waitReady(ordinal: number, timeoutMs = Number(process.env.E2E_READY_TIMEOUT ?? 240_000)): Promise<void> {
    await waitFor(() => this.pods.get(ordinal)?.ready === true, timeoutMs, () => `${this.name}-${ordinal} to be Ready`, () => this.describe(ordinal));
  }

  public async waitNotReady(ordinal: number, timeoutMs = 120_000): Promise<void> {
    await waitFor(() => this.pods.get(ordinal)?.ready === false, timeoutMs, () => `${this.name}-${ordinal} to be not Ready`, () => this.describe(ordinal));
  }

  public async waitUntil(what: string, condition: () => boolean, timeoutMs = 120_000): Promise<void> {
    await waitFor(condition, timeoutMs, () => what, () => [...this.pods.keys()].map((o) => this.describe(o)).join('\n'));
  }

  /**
   * Pods behind a Service, as the EndpointSlice controller publishes them: selector match, not
   * terminating and Ready; or, when the Service publishes not-ready addresses, every pod that has
   * an address (initializing and terminating ones too).
   */
  public endpoints(serviceName: string): string[] {
    const svc = this.objects.find((o) => o.kind === 'Service' && o.metadata.name === serviceName);
    if (!svc) throw new Error(`no Service ${serviceName}`);
    return this.endpointPods(svc).map((p) => p.name).sort();
  }

  public describe(ordinal: number): string {
    const p = this.pods.get(ordinal);
    if (!p) return `${this.name}-${ordinal}: no pod`;
    const cs = [...p.containers.values()].map((c) => `${c.spec.name}${c.runnable ? '' : '(not run: other image)'} running=${c.running} started=${c.started} ready=${c.ready} restarts=${c.restarts} exits=${c.exits.join(',')} lastReadiness=${JSON.stringify(c.probes.readiness.slice(-1)[0]?.output ?? '')}`);
    const faults = this.rules.activeFaults().filter((f) => f !== 'dns');
    return `${p.name}: phase=${p.phase} revision=${p.revision}${p.startError ? ` startError=${JSON.stringify(p.startError)}` : ''} initRestarts=${p.initRestarts} initFailures=${JSON.stringify(p.initFailures.slice(-3))} ${cs.join('; ')}${faults.length ? ` faults=${faults.join(',')}` : ''}`;
  }

  /** Every container log of every pod ever run (for a failing test). */
  public dumpLogs(): string {
    const root = path.join(this.workDir, 'pods');
    if (!fs.existsSync(root)) return '';
    const out: string[] = [];
    for (const dir of fs.readdirSync(root).sort()) {
      for (const file of fs.readdirSync(path.join(root, dir, 'logs')).sort()) {
        if (file.endsWith('.probe.out')) continue;
        const text = fs.readFileSync(path.join(root, dir, 'logs', file), 'utf8');
        out.push(`----- ${dir}/${file} (last 60 lines)\n${text.split('\n').slice(-60).join('\n')}`);
      }
    }
    return out.join('\n');
  }

  /** Stops every pod, the API stand-in and the proxies, and removes every iptables rule. */
  public async dispose(): Promise<void> {
    this.paused = true;
    this.disposed = true;
    if (this.tick) clearInterval(this.tick);
    await Promise.all([...this.pods.values()].map((p) => p.terminate(0)));
    this.pods.clear();
    await this.rollout?.catch(() => undefined);
    await this.api?.stop();
    await this.proxies.stop();
    this.rules.remove();
  }

  // --- faults (iptables in the run's network namespace) ---------------------------------------

  /**
   * The pod's address goes silent, as when its node dies or is cut off: packets to and from it
   * are dropped (connections to it time out; its own connections too). Its processes keep
   * running. Unless `nodeUnreachable` is false, the pod turns NotReady after the node monitor's
   * grace period (50 s, scaled), as the node lifecycle controller marks the pods of a silent node.
   */
  public blackhole(ordinal: number, options: { nodeUnreachable?: boolean } = {}): void {
    const ip = this.ipOf(ordinal);
    this.rules.drop(`blackhole:${ordinal}`, [['-d', ip], ['-s', ip]]);
    const pod = this.pods.get(ordinal);
    if (pod && options.nodeUnreachable !== false) pod.nodeUnreachableSince = Date.now();
  }

  public unblackhole(ordinal: number): void {
    this.rules.undrop(`blackhole:${ordinal}`);
    const pod = this.pods.get(ordinal);
    if (pod) pod.nodeUnreachableSince = undefined;
    this.podChanged();
  }

  /** Drops every packet between two pods' addresses, both ways (also through Services). */
  public partition(a: number, b: number): void {
    const [x, y] = [a, b].sort((p, q) => p - q);
    const ipx = this.ipOf(x);
    const ipy = this.ipOf(y);
    this.rules.drop(`partition:${x}-${y}`, [['-s', ipx, '-d', ipy], ['-s', ipy, '-d', ipx]]);
  }

  public heal(a: number, b: number): void {
    const [x, y] = [a, b].sort((p, q) => p - q);
    this.rules.undrop(`partition:${x}-${y}`);
  }

  /** The faults in force (`blackhole:1`, `partition:0-2`, ...). */
  public faults(): string[] {
    return this.rules.activeFaults().filter((f) => f !== 'dns');
  }

  /**
   * CoreDNS unreachable: every name lookup of the pods and the test clients goes to a server that
   * never answers and times out (resolv.conf's timeout and attempts, default the glibc defaults
   * 5 s x 2, per search domain); `dnsOutage(false)` ends it.
   */
  public dnsOutage(on: boolean | { timeoutSeconds?: number; attempts?: number } = true): void {
    const given = typeof on === 'object' ? on : {};
    this.dnsDown = on === false ? undefined : { timeoutSeconds: given.timeoutSeconds ?? 5, attempts: given.attempts ?? 2 };
    this.writeResolver();
    this.lastHosts = '';
    this.syncNetwork();
  }

  // --- test hooks on API objects ------------------------------------------------------------

  /** A ConfigMap as the API server holds it now. */
  public configMap(name: string): { metadata: any; data?: { [key: string]: string } } | undefined {
    const cm = this.configMaps.get(name);
    return cm ? { metadata: { ...cm.metadata, name }, ...(cm.data ? { data: { ...cm.data } } : {}) } : undefined;
  }

  /** Removes keys from a ConfigMap's data (someone edited it). */
  public deleteConfigMapKeys(name: string, keys: string[]): void {
    const cm = this.configMaps.get(name);
    if (!cm) throw new Error(`no ConfigMap ${name}`);
    for (const k of keys) delete cm.data?.[k];
    cm.resourceVersion = this.resourceVersion++;
  }

  /** Deletes a ConfigMap (a later GET is a 404; a later apply() of manifests holding it re-creates it). */
  public deleteConfigMap(name: string): void {
    if (!this.configMaps.delete(name)) throw new Error(`no ConfigMap ${name}`);
  }

  /** The PVC name of a claim template for an ordinal. */
  public claimName(claim: string, ordinal: number): string {
    return `${claim}-${this.name}-${ordinal}`;
  }

  /** Removes labels from a claim (all of them when `keys` is omitted): a policy engine, a restore from a snapshot. */
  public stripClaimLabels(claimName: string, keys?: string[]): void {
    const claim = this.claimObject(claimName);
    if (!claim) throw new Error(`no claim ${claimName}`);
    if (keys) for (const k of keys) delete claim.labels[k]; else claim.labels = {};
    claim.resourceVersion = this.resourceVersion++;
  }

  /** Sets labels on a claim. */
  public setClaimLabels(claimName: string, labels: { [key: string]: string }): void {
    const claim = this.claimObject(claimName);
    if (!claim) throw new Error(`no claim ${claimName}`);
    claim.labels = { ...claim.labels, ...labels };
    claim.resourceVersion = this.resourceVersion++;
  }

  /** The Secret a pod sees (its override, else the cluster's). */
  public secretFor(ordinal: number, name: string): { [key: string]: string } | undefined {
    return this.podSecretOverrides.get(ordinal)?.[name] ?? this.secrets[name];
  }

  /**
   * A CA and a certificate for the same names as the cluster's TLS Secrets, from ANOTHER CA:
   * what an impostor at a member's address would present. Give it to one pod with
   * `podSecretOverrides.set(ordinal, { [secret]: ... })` before (re-)creating it.
   */
  public impostorTls(): TlsMaterial {
    const tls = makeTls({ dnsNames: clusterDnsNames(this.statefulSet(), this.objects, this.namespace) });
    return { 'ca.crt': tls['ca.crt'], 'tls.crt': tls['tls.crt'], 'tls.key': tls['tls.key'] };
  }

  // --- clients -------------------------------------------------------------------------------

  /**
   * Runs SQL with the chroot's mysql client: as root over a pod's socket (default), or as any
   * user over TCP to a host (a pod's or a Service's DNS name, resolved with the cluster's DNS),
   * with TLS required (`tls: false`: disabled; `sslMode`/`sslCa` for verification).
   */
  public sql(sql: string, target: SqlTarget = {}): { status: number; stdout: string; stderr: string } {
    const dir = path.join(this.chroot.root, 'e2e-client');
    fs.mkdirSync(dir, { recursive: true });
    const cnf = path.join(dir, `${randomBytes(6).toString('hex')}.cnf`);
    const ca = target.sslCa ? path.join(dir, `${randomBytes(6).toString('hex')}.ca.pem`) : undefined;
    const user = target.user ?? 'root';
    const password = target.password ?? (user === 'root' ? this.rootPassword() : '');
    fs.writeFileSync(cnf, `[client]\nuser="${user}"\npassword="${password.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\n`, { mode: 0o600 });
    if (ca) fs.writeFileSync(ca, target.sslCa!);
    const args = ['mysql', `--defaults-file=${this.chroot.insidePath(cnf)}`, '--batch', target.columnNames ? '--column-names' : '--skip-column-names', `--connect-timeout=${target.connectTimeout ?? 5}`];
    if (target.host !== undefined) {
      args.push(`--host=${target.host}`, '--port=3306', `--ssl-mode=${target.sslMode ?? (target.tls === false ? 'DISABLED' : 'REQUIRED')}`);
      if (ca) args.push(`--ssl-ca=${this.chroot.insidePath(ca)}`);
    } else {
      args.push(`--socket=${this.chroot.insidePath(this.socketPath(target.pod ?? this.startOrdinal))}`);
    }
    if (target.database) args.push(`--database=${target.database}`);
    try {
      return this.chroot.run(args, sql, 60_000, { etc: this.etcDir });
    } finally {
      fs.rmSync(cnf, { force: true });
      if (ca) fs.rmSync(ca, { force: true });
    }
  }

  /** Like `sql`, but throws unless it succeeds; returns the trimmed output. */
  public query(sql: string, target: Parameters<MySqlCluster['sql']>[1] = {}): string {
    const res = this.sql(sql, target);
    if (res.status !== 0) throw new Error(`SQL failed (${JSON.stringify({ ...target, sslCa: target.sslCa ? '...' : undefined })}): ${sql}\n${res.stderr}`);
    return res.stdout.trim();
  }

  /** The host path of a pod's mysqld socket: in the volume its main container mounts at /var/run/mysqld. */
  public socketPath(ordinal: number): string {
    const pod = this.pod(ordinal);
    const main = pod.template.spec.containers[0];
    const mount = (main.volumeMounts ?? []).find((m: any) => m.mountPath === '/var/run/mysqld');
    if (!mount) throw new Error('the mysql container mounts nothing at /var/run/mysqld');
    return path.join(pod.volumePath(mount.name), 'mysqld.sock');
  }

  public rootPassword(): string {
    const main = this.statefulSetSpec().template.spec.containers[0];
    const ref = (main.env ?? []).find((e: any) => e.name === 'MYSQL_ROOT_PASSWORD')?.valueFrom?.secretKeyRef;
    if (ref) return this.secrets[ref.name][ref.key];
    const fromFile = this.secretFile('root-password');
    if (fromFile !== undefined) return fromFile;
    throw new Error('cannot tell the root password: no MYSQL_ROOT_PASSWORD from a Secret and no Secret file root-password');
  }

  /**
   * The value a pod reads from a file of a Secret volume (a `secret` volume or a projected
   * `secret` source), by the file's path: what the item mapping of the manifests says.
   */
  public secretFile(file: string): string | undefined {
    for (const v of this.statefulSetSpec().template.spec.volumes ?? []) {
      const sources = v.secret ? [{ secret: { name: v.secret.secretName, items: v.secret.items } }] : (v.projected?.sources ?? []);
      for (const src of sources) {
        if (!src.secret) continue;
        const item = (src.secret.items ?? []).find((i: any) => i.path === file) ?? (src.secret.items ? undefined : { key: file });
        if (item && this.secrets[src.secret.name]?.[item.key] !== undefined) return this.secrets[src.secret.name][item.key];
      }
    }
    return undefined;
  }

  /** The Secret of the members' certificate (the pod's `tls` volume), when the cluster has one. */
  public tlsSecretName(): string {
    const v = (this.statefulSetSpec().template.spec.volumes ?? []).find((x: any) => x.name === 'tls' && x.secret);
    if (!v) throw new Error(`${this.name} has no tls volume`);
    return v.secret.secretName;
  }

  /** The CA (PEM) of the members' certificate. */
  public tlsCa(): string {
    return this.secrets[this.tlsSecretName()]['ca.crt'];
  }

  /** The manifests as currently applied (a copy: change it and apply() it). */
  public manifests(): Manifest[] {
    return clone(this.objects);
  }

  // --- claims --------------------------------------------------------------------------------

  public claimPath(claim: string, ordinal: number): string {
    return path.join(this.workDir, 'claims', `${claim}-${this.name}-${ordinal}`);
  }

  public createClaim(claim: string, ordinal: number, fsGroup: number | undefined): void {
    const dir = this.claimPath(claim, ordinal);
    const name = this.claimName(claim, ordinal);
    if (!this.claims.has(name)) {
      // The controller's claim: the template's labels and the selector's.
      const template = (this.statefulSetSpec().volumeClaimTemplates ?? []).find((t: any) => t.metadata.name === claim);
      this.claims.set(name, {
        uid: randomUUID(), createdAt: Date.now(), resourceVersion: this.resourceVersion++,
        labels: { ...(template?.metadata?.labels ?? {}), ...(this.statefulSetSpec().selector?.matchLabels ?? {}) },
        annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' },
      });
    }
    if (fs.existsSync(dir)) return;
    fs.mkdirSync(dir, { recursive: true });
    // The kubelet hands a volume to fsGroup: group-owned, group-writable, setgid.
    if (fsGroup !== undefined) fs.chownSync(dir, 0, fsGroup);
    fs.chmodSync(dir, 0o2775);
    fs.mkdirSync(path.join(dir, 'lost+found'));
  }

  /** The claims that exist, with their labels (the controller's, and whatever was patched since). */
  public existingClaims(): ClaimInfo[] {
    return [...this.claims.keys()].sort().map((name) => ({ name, labels: { ...this.claimObject(name)!.labels } }));
  }

  public deleteClaims(ordinal: number): void {
    for (const t of this.statefulSetSpec().volumeClaimTemplates ?? []) {
      fs.rmSync(this.claimPath(t.metadata.name, ordinal), { recursive: true, force: true });
      this.claims.delete(this.claimName(t.metadata.name, ordinal));
    }
  }

  /** Empties a claim's volume (a disk replaced, a volume restored empty); the claim stays. */
  public wipeClaim(claim: string, ordinal: number): void {
    const dir = this.claimPath(claim, ordinal);
    for (const entry of fs.readdirSync(dir)) if (entry !== 'lost+found') fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }

  // --- env and names ------------------------------------------------------------------------

  public envFor(pod: Pod, container: any): { [name: string]: string } {
    const env: { [name: string]: string } = {
      PATH: CONTAINER_PATH,
      HOSTNAME: pod.name,
      HOME: '/tmp',
      KUBERNETES_SERVICE_HOST: API_HOST,
      KUBERNETES_SERVICE_PORT: String(this.apiPort),
    };
    for (const from of container.envFrom ?? []) {
      const data = from.secretRef
        ? this.secretFor(pod.ordinal, from.secretRef.name)
        : from.configMapRef ? this.configMap(from.configMapRef.name)?.data : undefined;
      if (!data && !(from.secretRef ?? from.configMapRef)?.optional) throw new Error(`CreateContainerConfigError: ${pod.name}/${container.name}: envFrom ${JSON.stringify(from)} does not exist`);
      for (const [k, v] of Object.entries(data ?? {})) env[`${from.prefix ?? ''}${k}`] = v;
    }
    for (const e of container.env ?? []) {
      if (e.value !== undefined) { env[e.name] = expand(e.value, env); continue; }
      const from = e.valueFrom ?? {};
      if (from.fieldRef) {
        try {
          env[e.name] = pod.fieldRef(from.fieldRef.fieldPath);
        } catch {
          throw new Error(`env ${e.name}: fieldRef ${from.fieldRef.fieldPath} is not supported by the e2e`);
        }
      } else if (from.secretKeyRef) {
        const value = this.secretFor(pod.ordinal, from.secretKeyRef.name)?.[from.secretKeyRef.key];
        if (value === undefined) {
          if (from.secretKeyRef.optional) continue;
          throw new Error(`CreateContainerConfigError: ${pod.name}/${container.name}: Secret ${from.secretKeyRef.name} has no key ${from.secretKeyRef.key}`);
        }
        env[e.name] = value;
      } else if (from.configMapKeyRef) {
        const value = this.configMap(from.configMapKeyRef.name)?.data?.[from.configMapKeyRef.key];
        if (value === undefined && !from.configMapKeyRef.optional) throw new Error(`CreateContainerConfigError: ConfigMap key ${from.configMapKeyRef.name}/${from.configMapKeyRef.key}`);
        if (value !== undefined) env[e.name] = value;
      } else {
        throw new Error(`env ${e.name}: ${JSON.stringify(from)} is not supported by the e2e`);
      }
    }
    // The pod scripts' own waits run on the same faster clock as the probes (unless the manifest sets them).
    for (const [name, seconds] of Object.entries(SCRIPT_WAITS)) {
      if (!(name in env)) env[name] = String(Math.max(1, Math.round(seconds * this.timeScale)));
    }
    return env;
  }

  /** A pod came, went or changed: the controller's status, DNS and the Service proxies follow. */
  public podChanged(): void {
    if (this.disposed) return;
    this.resourceVersion++;
    this.syncStatus();
    this.syncNetwork();
  }

  // --- internals ------------------------------------------------------------------------------

  /** The StatefulSet spec with the API server's defaults. */
  private spec(): any {
    return controller.withDefaults(this.statefulSetSpec());
  }

  private podViews(): controller.PodView[] {
    return [...this.pods.values()].map((p) => ({ ordinal: p.ordinal, revision: p.revision, terminating: p.deleted, runningAndReady: p.ready }));
  }

  /** The controller's sync: the status it writes (and completes a rollout when every pod is updated and Ready). */
  private syncStatus(): void {
    this.status = controller.computeStatus(this.spec(), this.podViews(), this.status.currentRevision, this.status.updateRevision, this.generation);
  }

  private async rollingUpdate(timeoutMs?: number): Promise<void> {
    for (;;) {
      if (this.disposed || this.paused) return;
      const spec = this.spec();
      // OrderedReady: nothing is updated until every pod is Running and Ready.
      if (spec.podManagementPolicy === 'OrderedReady') {
        for (const o of [...this.pods.keys()].sort((a, b) => a - b)) await this.waitReady(o, timeoutMs);
      }
      this.syncStatus();
      const views = new Map(this.podViews().map((v) => [v.ordinal, v]));
      const step = controller.nextRollingUpdateStep(spec, views, this.status.updateRevision);
      if (step === 'done') return;
      if ('waitFor' in step) {
        await this.waitReady(step.waitFor, timeoutMs);
        continue;
      }
      await this.deletePod(step.delete);
    }
  }

  private createConfigMap(o: Manifest, previousManifest?: Manifest): void {
    const name = o.metadata.name;
    const existing = this.configMaps.get(name);
    if (!existing) {
      this.configMaps.set(name, {
        uid: randomUUID(), createdAt: Date.now(), resourceVersion: this.resourceVersion++,
        metadata: clone(o.metadata), data: o.data ? { ...o.data } : undefined, binaryData: o.binaryData, immutable: o.immutable,
      });
      return;
    }
    // A 3-way merge as kubectl apply does: keys the previous manifest had and this one has not
    // are removed; this manifest's keys are set; keys someone else added stay.
    const data = { ...(existing.data ?? {}) };
    for (const k of Object.keys(previousManifest?.data ?? {})) if (!(k in (o.data ?? {}))) delete data[k];
    Object.assign(data, o.data ?? {});
    existing.data = Object.keys(data).length || o.data ? data : undefined;
    existing.metadata = { ...clone(o.metadata) };
    existing.immutable = o.immutable;
    existing.resourceVersion = this.resourceVersion++;
  }

  private claimObject(name: string): ClaimObject | undefined {
    return this.claims.get(name);
  }

  private apiResources(): { [resource: string]: ResourceHandler } {
    const ns = (namespace: string) => namespace === this.namespace;
    const time = (ms: number) => rfc3339(ms);
    const claimJson = (name: string, c: ClaimObject) => {
      const template = (this.statefulSetSpec().volumeClaimTemplates ?? []).find((t: any) => name.startsWith(`${t.metadata.name}-${this.name}-`));
      return {
        kind: 'PersistentVolumeClaim', apiVersion: 'v1',
        metadata: {
          name, namespace: this.namespace, uid: c.uid, resourceVersion: String(c.resourceVersion), creationTimestamp: time(c.createdAt),
          labels: sortedMap(c.labels), annotations: sortedMap(c.annotations), finalizers: ['kubernetes.io/pvc-protection'],
        },
        spec: { ...(template?.spec ?? {}), volumeName: `pvc-${c.uid}`, volumeMode: 'Filesystem' },
        status: { phase: 'Bound', accessModes: template?.spec?.accessModes ?? ['ReadWriteOnce'], capacity: template?.spec?.resources?.requests ?? {} },
      };
    };
    const configMapJson = (name: string, cm: ConfigMapObject) => ({
      kind: 'ConfigMap', apiVersion: 'v1',
      metadata: {
        name, namespace: this.namespace, uid: cm.uid, resourceVersion: String(cm.resourceVersion), creationTimestamp: time(cm.createdAt),
        labels: sortedMap(cm.metadata.labels), annotations: sortedMap(cm.metadata.annotations),
      },
      ...(cm.immutable !== undefined ? { immutable: cm.immutable } : {}),
      ...(cm.data && Object.keys(cm.data).length ? { data: sortedMap(cm.data) } : {}),
      ...(cm.binaryData ? { binaryData: sortedMap(cm.binaryData) } : {}),
    });
    const conflict = (resource: string, name: string): PatchResult => ({
      code: 409, reason: 'Conflict', message: `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    });
    return {
      persistentvolumeclaims: {
        group: '',
        get: (namespace, name) => {
          const c = ns(namespace) ? this.claims.get(name) : undefined;
          return c ? claimJson(name, c) : undefined;
        },
        list: (namespace) => ({ kind: 'PersistentVolumeClaimList', items: ns(namespace) ? [...this.claims.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, c]) => claimJson(name, c)) : [] }),
        patch: (namespace, name, patch) => {
          const c = ns(namespace) ? this.claims.get(name) : undefined;
          if (!c) return undefined;
          const { labels, annotations, resourceVersion, ...otherMeta } = patch.metadata ?? {};
          const { metadata: _m, ...rest } = patch;
          if (Object.keys(rest).length || Object.keys(otherMeta).length) {
            return { code: 422, reason: 'Invalid', message: `PersistentVolumeClaim "${name}" is invalid: the e2e's API stand-in patches only metadata.labels and metadata.annotations of claims` };
          }
          if (resourceVersion !== undefined && resourceVersion !== String(c.resourceVersion)) return conflict('persistentvolumeclaims', name);
          c.labels = mergePatch(c.labels, labels ?? {});
          c.annotations = mergePatch(c.annotations, annotations ?? {});
          c.resourceVersion = this.resourceVersion++;
          return { object: claimJson(name, c) };
        },
      },
      pods: {
        group: '',
        get: (namespace, name) => {
          const pod = ns(namespace) ? [...this.pods.values()].find((p) => p.name === name) : undefined;
          return pod?.toApiObject();
        },
      },
      configmaps: {
        group: '',
        get: (namespace, name) => {
          const cm = ns(namespace) ? this.configMaps.get(name) : undefined;
          return cm ? configMapJson(name, cm) : undefined;
        },
        patch: (namespace, name, patch) => {
          const cm = ns(namespace) ? this.configMaps.get(name) : undefined;
          if (!cm) return undefined;
          const rv = patch.metadata?.resourceVersion;
          if (rv !== undefined && rv !== String(cm.resourceVersion)) return conflict('configmaps', name);
          if (cm.immutable && ('data' in patch || 'binaryData' in patch)) {
            return { code: 422, reason: 'Invalid', message: `ConfigMap "${name}" is invalid: data: Forbidden: field is immutable when \`immutable\` is set` };
          }
          const merged = mergePatch({ metadata: { labels: cm.metadata.labels, annotations: cm.metadata.annotations }, data: cm.data }, patch);
          for (const [k, v] of Object.entries(merged.data ?? {})) {
            if (typeof v !== 'string') return { code: 422, reason: 'Invalid', message: `ConfigMap "${name}" is invalid: data[${k}]: Invalid value: must be a string` };
          }
          cm.data = merged.data && Object.keys(merged.data).length ? merged.data : undefined;
          cm.metadata = { ...cm.metadata, labels: merged.metadata?.labels, annotations: merged.metadata?.annotations };
          cm.resourceVersion = this.resourceVersion++;
          return { object: configMapJson(name, cm) };
        },
      },
      statefulsets: {
        group: 'apps',
        get: (namespace, name) => {
          if (!ns(namespace) || name !== this.name) return undefined;
          const sts = this.statefulSet();
          const s = this.status;
          return {
            kind: 'StatefulSet', apiVersion: 'apps/v1',
            metadata: {
              name, namespace: this.namespace, uid: this.uid, resourceVersion: String(this.resourceVersion), generation: this.generation,
              creationTimestamp: time(this.createdAt), labels: sortedMap(sts.metadata.labels), annotations: sortedMap(sts.metadata.annotations),
            },
            spec: this.spec(),
            status: {
              observedGeneration: s.observedGeneration, replicas: s.replicas,
              ...(s.readyReplicas ? { readyReplicas: s.readyReplicas } : {}),
              ...(s.currentReplicas ? { currentReplicas: s.currentReplicas } : {}),
              ...(s.updatedReplicas ? { updatedReplicas: s.updatedReplicas } : {}),
              currentRevision: s.currentRevision, updateRevision: s.updateRevision, collisionCount: s.collisionCount,
              availableReplicas: s.availableReplicas,
            },
          };
        },
      },
    };
  }

  /** Cluster IPs for the Services that have one, in name order, stable for the cluster's life. */
  private allocateServiceIps(): void {
    const services = this.objects.filter((o) => o.kind === 'Service' && o.spec?.clusterIP !== 'None' && o.spec?.type !== 'ExternalName')
      .map((o) => o.metadata.name).sort();
    for (const name of services) {
      if (this.serviceIps.has(name)) continue;
      const used = new Set(this.serviceIps.values());
      let i = 1;
      while (used.has(`127.0.1.${i}`)) i++;
      this.serviceIps.set(name, `127.0.1.${i}`);
    }
  }

  /** EndpointSlice semantics (see `endpoints`). */
  private endpointPods(svc: Manifest): Pod[] {
    const selector = svc.spec?.selector;
    if (!selector) return [];
    return [...this.pods.values()]
      .filter((p) => Object.entries<string>(selector).every(([k, v]) => p.labels[k] === v))
      .filter((p) => (svc.spec.publishNotReadyAddresses ? true : p.ready && !p.deleted));
  }

  /** DNS (the hosts file) and the Service proxies, from the pods as they are now. */
  private syncNetwork(): void {
    if (!this.started || this.disposed) return;
    this.allocateServiceIps();
    const domain = 'cluster.local';
    const forms = (name: string) => `${name}.${this.namespace}.svc.${domain} ${name}.${this.namespace}.svc ${name}.${this.namespace} ${name}`;
    const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
    const targets: ProxyTarget[] = [];
    if (!this.dnsDown) {
      lines.push(`${API_HOST}\tkubernetes.default.svc.${domain} kubernetes.default.svc kubernetes.default`);
      for (const svc of this.objects.filter((o) => o.kind === 'Service').sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
        const name = svc.metadata.name;
        const pods = this.endpointPods(svc).sort((a, b) => a.ordinal - b.ordinal);
        if (svc.spec?.clusterIP === 'None') {
          // Headless: a record per endpoint, and the pods' own names when they are its subdomain.
          for (const p of pods) {
            if (this.statefulSetSpec().serviceName === name) lines.push(`${p.ip}\t${forms(`${p.name}.${name}`)}`);
          }
          for (const p of pods) lines.push(`${p.ip}\t${forms(name)}`);
          continue;
        }
        const ip = this.serviceIps.get(name);
        if (!ip) continue;
        lines.push(`${ip}\t${forms(name)}`);
        for (const port of svc.spec.ports ?? []) {
          targets.push({ listen: `${ip}:${port.port}`, endpoints: pods.map((p) => `${p.ip}:${this.targetPort(p, port)}`) });
        }
      }
    } else {
      for (const svc of this.objects.filter((o) => o.kind === 'Service')) {
        const ip = this.serviceIps.get(svc.metadata.name);
        if (!ip) continue;
        const pods = this.endpointPods(svc).sort((a, b) => a.ordinal - b.ordinal);
        for (const port of svc.spec.ports ?? []) targets.push({ listen: `${ip}:${port.port}`, endpoints: pods.map((p) => `${p.ip}:${this.targetPort(p, port)}`) });
      }
    }
    this.proxies.update(targets);
    for (const p of this.pods.values()) this.rules.podSource(p.ip, p.networkGroup);
    const hosts = `${lines.join('\n')}\n`;
    if (hosts === this.lastHosts) return;
    this.lastHosts = hosts;
    const tmp = path.join(this.etcDir, `.hosts.${process.pid}`);
    fs.writeFileSync(tmp, hosts, { mode: 0o644 });
    fs.renameSync(tmp, path.join(this.etcDir, 'hosts'));
  }

  /** A Service port's targetPort on a pod: a number, or a named container port. */
  private targetPort(pod: Pod, port: any): number {
    const target = port.targetPort ?? port.port;
    if (typeof target === 'number' || /^\d+$/.test(String(target))) return Number(target);
    for (const c of pod.template.spec.containers) {
      const found = (c.ports ?? []).find((p: any) => p.name === target);
      if (found) return found.containerPort;
    }
    return port.port;
  }

  /** nsswitch.conf and resolv.conf of the cluster's /etc. */
  private writeResolver(): void {
    const nsswitch = fs.readFileSync(path.join(this.etcDir, 'nsswitch.conf'), 'utf8')
      .replace(/^hosts:.*$/m, `hosts:          files${this.dnsDown ? ' dns' : ''}`);
    const timeout = this.dnsDown ?? { timeoutSeconds: 5, attempts: 2 };
    const resolv = `search ${this.namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${DNS_HOST}\noptions ndots:5 timeout:${timeout.timeoutSeconds} attempts:${timeout.attempts}\n`;
    for (const [file, text] of [['nsswitch.conf', nsswitch], ['resolv.conf', resolv]]) {
      const tmp = path.join(this.etcDir, `.${file}.${process.pid}`);
      fs.writeFileSync(tmp, text, { mode: 0o644 });
      fs.renameSync(tmp, path.join(this.etcDir, file));
    }
  }

  /** Every mount point of the pod template exists in the image and in the cluster's /etc. */
  private ensureMountPoints(template: any = this.statefulSetSpec().template): void {
    const mountPaths = new Set<string>(['/proc', '/dev']);
    for (const c of [...(template.spec.initContainers ?? []), ...template.spec.containers]) {
      for (const m of c.volumeMounts ?? []) mountPaths.add(m.mountPath);
    }
    this.chroot.ensureMountPoints([...mountPaths]);
    if (fs.existsSync(this.etcDir)) {
      for (const p of mountPaths) if (p.startsWith('/etc/')) fs.mkdirSync(path.join(this.etcDir, p.slice('/etc/'.length)), { recursive: true });
    }
  }
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

function canonical(value: any): string {
  return controller.canonicalJson(value);
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function exitCodeOf(code: number | string): number {
  if (typeof code === 'number') return code;
  const signals: { [s: string]: number } = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGABRT: 6, SIGSEGV: 11 };
  return 128 + (signals[code] ?? 0);
}

/** The pod's QoS class from its containers' requests and limits. */
function qosClass(spec: any): string {
  const containers = [...(spec.initContainers ?? []), ...spec.containers];
  const any = containers.some((c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length);
  if (!any) return 'BestEffort';
  const guaranteed = containers.every((c) => ['cpu', 'memory'].every((r) => c.resources?.limits?.[r] !== undefined
    && (c.resources?.requests?.[r] === undefined || c.resources.requests[r] === c.resources.limits[r])));
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** `$(VAR)` references in env values and arguments, as the kubelet expands them. */
function expand(text: string, env: { [name: string]: string }): string {
  return text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A sleep that does not keep the process alive (the kubelet's loops, not what a test awaits). */
function idle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** SIGTERM to the container's process group, SIGKILL after the grace period (0: at once). */
async function stopProcess(proc: ChildProcess, graceSeconds: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = exitOf(proc);
  if (graceSeconds <= 0) {
    killGroup(proc, 'SIGKILL');
  } else {
    killGroup(proc, 'SIGTERM');
    const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), graceSeconds * 1000);
    await exited;
    clearTimeout(timer);
  }
  await exited;
  // Children that outlived the main process (a temporary mysqld of an init container).
  killGroup(proc, 'SIGKILL');
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: () => string, state: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what()}\n${state()}`);
    await sleep(100);
  }
}
