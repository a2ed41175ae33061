/**
 * Runs the pods of a synthesized ReplicatedMySql StatefulSet for real, the way the StatefulSet
 * controller and the kubelet would, on loopback:
 *
 * - the controller: pods `<name>-<ordinal>` with a persistent directory per claim
 *   (`<claim>-<name>-<ordinal>`), created in ordinal order and each only after the previous one is
 *   Running and Ready under OrderedReady (all at once under Parallel), removed from the highest
 *   ordinal down, claims kept or deleted as `persistentVolumeClaimRetentionPolicy` says, rolling
 *   updates from the highest ordinal, a deleted pod re-created with the same name and claims;
 * - the kubelet: init containers in order, each to completion (a failure is retried with the
 *   kubelet's back-off and the pod stays in Init), then the containers, restarted when they exit;
 *   fresh emptyDirs for every pod; the env resolved as the YAML says (`value`, `fieldRef`,
 *   `secretKeyRef`, `configMapKeyRef`); ConfigMap and projected volumes materialized; the startup,
 *   readiness and liveness probes run as the kubelet runs them (period, timeout, thresholds;
 *   periods scaled by `timeScale` so the suite finishes sooner); SIGTERM, the grace period, SIGKILL.
 *
 * Each pod gets its own address 127.0.0.(11+ordinal), and the chroot's /etc/hosts maps the pods'
 * DNS names (and the write Service's) to them. Containers whose image is not the MySQL image (the
 * metrics sidecar) are not run: their absence is reported, not hidden.
 */
import { ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Bind, Chroot, makeServingCert } from './chroot';
import { ClaimInfo, KubeApiStandIn } from './kube-api';
import { Manifest } from './manifests';

const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const API_HOST = '127.0.0.3';

export type Secrets = { [secretName: string]: { [key: string]: string } };

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
  constructor(public readonly spec: any, public readonly logFile: string, public readonly runnable: boolean) {}
}

export class Pod {
  public readonly name: string;
  public readonly dir: string;
  public phase: 'Init' | 'Running' | 'Terminating' | 'Gone' = 'Init';
  public deleted = false;
  public initRestarts = 0;
  public initFailures: Array<{ container: string; exitCode: number | string }> = [];
  public readonly containers = new Map<string, ContainerState>();
  public readonly token = randomBytes(16).toString('hex');
  public readonly createdAt = Date.now();
  /** When the pod first turned Ready. */
  public readyAt?: number;
  private currentInit?: ChildProcess;
  private done: Promise<void>;

  constructor(public readonly cluster: MySqlCluster, public readonly ordinal: number, public readonly template: any, public readonly revision: number) {
    this.name = `${cluster.name}-${ordinal}`;
    this.dir = path.join(cluster.workDir, 'pods', `${this.name}.${revision}.${randomBytes(3).toString('hex')}`);
    fs.mkdirSync(path.join(this.dir, 'logs'), { recursive: true });
    for (const c of template.spec.containers) {
      this.containers.set(c.name, new ContainerState(c, path.join(this.dir, 'logs', `${c.name}.log`), c.image === cluster.image));
    }
    this.done = this.run();
  }

  public get ip(): string {
    return this.cluster.ipOf(this.ordinal);
  }

  /** Ready as the endpoints controller sees it: every container we run is Ready. */
  public get ready(): boolean {
    return this.phase === 'Running' && [...this.containers.values()].filter(c => c.runnable).every(c => c.ready);
  }

  public get labels(): { [key: string]: string } {
    return { ...(this.template.metadata?.labels ?? {}), 'statefulset.kubernetes.io/pod-name': this.name };
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

  /** Deletes the pod: SIGTERM to every container, SIGKILL after the grace period. */
  public async terminate(graceSeconds?: number): Promise<void> {
    if (this.deleted) return this.done;
    this.deleted = true;
    this.phase = 'Terminating';
    const grace = graceSeconds ?? this.template.spec.terminationGracePeriodSeconds ?? 30;
    const procs = [this.currentInit, ...[...this.containers.values()].map(c => c.proc)].filter((p): p is ChildProcess => !!p && p.exitCode === null && p.signalCode === null);
    for (const c of this.containers.values()) c.ready = false;
    await Promise.all(procs.map(p => stopProcess(p, grace)));
    await this.done;
    this.phase = 'Gone';
  }

  /** The node died: every process gets SIGKILL at once. */
  public async kill(): Promise<void> {
    return this.terminate(0);
  }

  private async run(): Promise<void> {
    const spec = this.template.spec;
    for (const init of spec.initContainers ?? []) {
      if (init.image !== this.cluster.image) throw new Error(`init container ${init.name} uses image ${init.image}, not the MySQL image: cannot run it`);
      let attempt = 0;
      for (;;) {
        if (this.deleted) return;
        const proc = this.spawn(init, path.join(this.dir, 'logs', `${init.name}.log`));
        this.currentInit = proc;
        const code = await exitOf(proc);
        this.currentInit = undefined;
        if (code === 0) break;
        if (this.deleted) return;
        this.initFailures.push({ container: init.name, exitCode: code });
        this.initRestarts++;
        await idle(this.cluster.backoff(++attempt));
      }
    }
    if (this.deleted) return;
    this.phase = 'Running';
    await Promise.all([...this.containers.values()].filter(c => c.runnable).map(c => this.supervise(c)));
  }

  private async supervise(c: ContainerState): Promise<void> {
    while (!this.deleted) {
      const incarnation = ++c.incarnation;
      c.proc = this.spawn(c.spec, c.logFile);
      c.running = true;
      c.started = !c.spec.startupProbe;
      c.ready = false;
      const exited = exitOf(c.proc);
      if (c.spec.startupProbe) void this.probeLoop(c, 'startup', c.spec.startupProbe, incarnation);
      else this.startProbes(c, incarnation);
      if (c.ready && this.ready && this.readyAt === undefined) this.readyAt = Date.now();
      const code = await exited;
      c.running = false;
      c.ready = false;
      c.exits.push(code);
      if (this.deleted) return;
      c.restarts++;
      await idle(this.cluster.backoff(c.restarts));
    }
  }

  private startProbes(c: ContainerState, incarnation: number): void {
    if (c.spec.readinessProbe) void this.probeLoop(c, 'readiness', c.spec.readinessProbe, incarnation);
    else c.ready = true;
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
      if (ok) { successes++; failures = 0; } else { failures++; successes = 0; }
      if (kind === 'startup') {
        if (ok) { c.started = true; this.startProbes(c, incarnation); return; }
        if (failures >= failureThreshold) { await stopProcess(c.proc!, this.template.spec.terminationGracePeriodSeconds ?? 30); return; }
      } else if (kind === 'readiness') {
        if (successes >= successThreshold) {
          c.ready = true;
          if (this.ready && this.readyAt === undefined) this.readyAt = Date.now();
        }
        if (failures >= failureThreshold) c.ready = false;
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
    return { ok: code === 0, output: fs.readFileSync(out, 'utf8') };
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
    const groups = [gid, ...(podSec.fsGroup !== undefined ? [podSec.fsGroup] : []), ...(podSec.supplementalGroups ?? [])];
    const command = [...(container.command ?? []), ...(container.args ?? [])].map((a: string) => expand(a, env));
    if (command.length === 0) throw new Error(`container ${container.name} has no command: the e2e runs only what the YAML says`);
    return this.cluster.chroot.spawn({
      binds, uid, gid, groups: [...new Set(groups)], env, command, logFile, readOnlyRoot: !!sec.readOnlyRootFilesystem,
    });
  }

  private isReadOnlyVolume(name: string): boolean {
    const v = (this.template.spec.volumes ?? []).find((x: any) => x.name === name);
    return !!(v?.configMap || v?.projected || v?.secret);
  }

  /** The host directory of a pod volume, created on first use (emptyDirs live as long as the pod). */
  private materialize(name: string): string {
    const dir = this.volumePath(name);
    if (fs.existsSync(dir)) return dir;
    const claim = (this.cluster.statefulSetSpec().volumeClaimTemplates ?? []).find((t: any) => t.metadata.name === name);
    const podSec = this.template.spec.securityContext ?? {};
    if (claim) {
      this.cluster.createClaim(name, this.ordinal, podSec.fsGroup);
      return dir;
    }
    const v = (this.template.spec.volumes ?? []).find((x: any) => x.name === name);
    if (!v) throw new Error(`pod ${this.name}: no volume ${name}`);
    fs.mkdirSync(dir, { recursive: true });
    if (v.emptyDir) {
      fs.chmodSync(dir, 0o777);
    } else if (v.configMap) {
      const cm = this.cluster.object('ConfigMap', v.configMap.name);
      if (!cm) throw new Error(`pod ${this.name}: ConfigMap ${v.configMap.name} does not exist (the pod would stay in ContainerCreating)`);
      for (const [key, value] of Object.entries<string>(cm.data ?? {})) fs.writeFileSync(path.join(dir, key), value, { mode: 0o644 });
    } else if (v.projected) {
      for (const src of v.projected.sources) {
        if (src.serviceAccountToken) {
          fs.writeFileSync(path.join(dir, src.serviceAccountToken.path), this.token, { mode: 0o640 });
          if (podSec.fsGroup !== undefined) fs.chownSync(path.join(dir, src.serviceAccountToken.path), 0, podSec.fsGroup);
        } else if (src.configMap?.name === 'kube-root-ca.crt') {
          for (const item of src.configMap.items ?? [{ key: 'ca.crt', path: 'ca.crt' }]) fs.writeFileSync(path.join(dir, item.path), this.cluster.apiCa, { mode: 0o644 });
        } else if (src.downwardAPI) {
          for (const item of src.downwardAPI.items ?? []) {
            if (item.fieldRef?.fieldPath === 'metadata.namespace') fs.writeFileSync(path.join(dir, item.path), this.cluster.namespace);
          }
        } else {
          throw new Error(`pod ${this.name}: projected source ${JSON.stringify(src)} is not supported by the e2e`);
        }
      }
    } else {
      throw new Error(`pod ${this.name}: volume ${name} of this kind is not supported by the e2e: ${JSON.stringify(v)}`);
    }
    return dir;
  }
}

export class MySqlCluster {
  public readonly name: string;
  public readonly image: string;
  public readonly namespace: string;
  public readonly chroot: Chroot;
  public readonly workDir: string;
  public readonly pods = new Map<number, Pod>();
  public apiCa = '';
  public api?: KubeApiStandIn;
  public secrets: Secrets;
  private objects: Manifest[];
  private revision = 1;
  private readonly timeScale: number;
  private replicas: number;
  /** Set while the whole cluster is down (a full restart): the controller creates nothing. */
  private paused = false;
  private apiPort = 0;
  /** Labels set on claims through the API (the PVC objects' own, beyond the template's). */
  public readonly claimLabels = new Map<string, { [key: string]: string }>();

  constructor(options: ClusterOptions) {
    this.chroot = options.chroot;
    this.objects = options.objects;
    this.name = options.statefulSet;
    this.namespace = options.namespace;
    this.secrets = options.secrets;
    this.timeScale = options.timeScale;
    this.workDir = options.workDir;
    const sts = this.statefulSet();
    this.image = sts.spec.template.spec.containers[0].image;
    this.replicas = sts.spec.replicas ?? 1;
    fs.mkdirSync(path.join(this.workDir, 'claims'), { recursive: true });
    const mountPaths = new Set<string>(['/proc', '/dev']);
    for (const c of [...(sts.spec.template.spec.initContainers ?? []), ...sts.spec.template.spec.containers]) {
      for (const m of c.volumeMounts ?? []) mountPaths.add(m.mountPath);
    }
    this.chroot.ensureMountPoints([...mountPaths]);
  }

  // --- objects -----------------------------------------------------------------------------

  public statefulSet(): Manifest {
    const sts = this.objects.find(o => o.kind === 'StatefulSet' && o.metadata.name === this.name);
    if (!sts) throw new Error(`no StatefulSet ${this.name}`);
    return sts;
  }

  public statefulSetSpec(): any {
    return this.statefulSet().spec;
  }

  public object(kind: string, name: string): Manifest | undefined {
    return this.objects.find(o => o.kind === kind && o.metadata.name === name);
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

  public scaled(seconds: number): number {
    return Math.max(0, seconds * this.timeScale * 1000);
  }

  /** The kubelet's crash-loop back-off (10 s doubling up to 5 min), scaled. */
  public backoff(attempt: number): number {
    return Math.max(300, this.scaled(Math.min(300, 10 * 2 ** (attempt - 1))));
  }

  // --- lifecycle ---------------------------------------------------------------------------

  public async start(): Promise<void> {
    const tls = makeServingCert(path.join(this.workDir, 'api-tls'), API_HOST);
    this.apiCa = tls.ca;
    this.api = new KubeApiStandIn({
      serviceAccountOf: token => {
        const pod = [...this.pods.values()].find(p => p.token === token && !p.deleted);
        return pod ? { namespace: this.namespace, name: pod.template.spec.serviceAccountName ?? 'default' } : undefined;
      },
      rbacObjects: () => this.objects.filter(o => o.kind === 'Role' || o.kind === 'RoleBinding'),
      claims: namespace => (namespace === this.namespace ? this.existingClaims() : []),
      labelClaim: (namespace, name, labels) => {
        if (namespace !== this.namespace || !this.existingClaims().some(x => x.name === name)) return false;
        this.claimLabels.set(name, { ...(this.claimLabels.get(name) ?? {}), ...labels });
        return true;
      },
    }, tls, API_HOST);
    this.apiPort = await this.api.start();
    this.writeHosts();
    await this.scale(this.replicas);
  }

  /** Scales like the StatefulSet controller: up in order (each Ready first, under OrderedReady), down from the top. */
  public async scale(replicas: number, options: { waitReady?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.replicas = replicas;
    this.statefulSet().spec.replicas = replicas;
    const spec = this.statefulSetSpec();
    const ordered = (spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    const first = this.startOrdinal;
    const last = first + replicas - 1;
    // The pods in range first, in ordinal order (under OrderedReady each Running and Ready before the next) ...
    for (let o = first; o <= last; o++) {
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
    const condemned = [...this.pods.keys()].filter(o => o < first || o > last).sort((a, b) => b - a);
    const remove = async (o: number) => {
      await this.pods.get(o)!.terminate();
      this.pods.delete(o);
      if (spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') this.deleteClaims(o);
    };
    if (ordered) for (const o of condemned) await remove(o); else await Promise.all(condemned.map(remove));
  }

  public createPod(ordinal: number): Pod {
    const pod = new Pod(this, ordinal, JSON.parse(JSON.stringify(this.statefulSetSpec().template)), this.revision);
    this.pods.set(ordinal, pod);
    return pod;
  }

  /** `kubectl delete pod`: the controller re-creates it with the same name and claims. */
  public async deletePod(ordinal: number, options: { grace?: number; recreate?: boolean } = {}): Promise<Pod | undefined> {
    const pod = this.pod(ordinal);
    await pod.terminate(options.grace);
    this.pods.delete(ordinal);
    if (options.recreate === false || this.paused) return undefined;
    return this.createPod(ordinal);
  }

  /** A node crash: the pod's processes die with SIGKILL; the controller re-creates it. */
  public async killPod(ordinal: number): Promise<Pod | undefined> {
    return this.deletePod(ordinal, { grace: 0 });
  }

  /** Every pod goes away (a cluster-wide outage); nothing is re-created until `resume()`. */
  public async stopAll(options: { grace?: number } = {}): Promise<void> {
    this.paused = true;
    const ordinals = [...this.pods.keys()].sort((a, b) => b - a);
    for (const o of ordinals) {
      await this.pods.get(o)!.terminate(options.grace);
      this.pods.delete(o);
    }
  }

  /** The controller comes back and re-creates the pods as after a full restart (in order). */
  public async resume(options: { waitReady?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.paused = false;
    await this.scale(this.replicas, options);
  }

  /**
   * Applies new manifests (GitOps sync): objects are replaced; replicas and ordinals.start take
   * effect first (scaling takes precedence over updates); then a changed pod template rolls the
   * pods from the highest ordinal down (down to the partition), each re-created with the new
   * template and Ready before the next, once every pod is Running and Ready (OrderedReady).
   * A pod deleted meanwhile is re-created with the new template.
   */
  public async apply(objects: Manifest[], options: { timeoutMs?: number } = {}): Promise<void> {
    const before = JSON.stringify(this.statefulSetSpec().template);
    this.objects = objects;
    this.writeHosts();
    const spec = this.statefulSetSpec();
    if (JSON.stringify(spec.template) !== before) this.revision++;
    const ordered = (spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    // Under Parallel the controller scales without waiting for readiness.
    await this.scale(spec.replicas ?? 1, ordered ? options : { ...options, waitReady: false });
    if (spec.updateStrategy?.type === 'OnDelete') return;
    const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    for (;;) {
      const ordinals = [...this.pods.keys()].sort((a, b) => b - a);
      // OrderedReady: nothing is updated until every pod is Running and Ready.
      if (ordered) for (const o of ordinals) await this.waitReady(o, options.timeoutMs);
      // From the highest ordinal: an outdated pod is replaced; an updated one must be healthy before the next.
      let target: number | undefined;
      for (const o of ordinals) {
        if (o - this.startOrdinal < partition) break;
        if (this.pods.get(o)!.revision !== this.revision) { target = o; break; }
        await this.waitReady(o, options.timeoutMs);
      }
      if (target === undefined) return;
      await this.deletePod(target);
      await this.waitReady(target, options.timeoutMs);
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
    await waitFor(condition, timeoutMs, () => what, () => [...this.pods.keys()].map(o => this.describe(o)).join('\n'));
  }

  /** Pods behind a Service: selector match, Ready unless the Service publishes not-ready addresses. */
  public endpoints(serviceName: string): string[] {
    const svc = this.object('Service', serviceName);
    if (!svc) throw new Error(`no Service ${serviceName}`);
    return [...this.pods.values()]
      .filter(p => Object.entries<string>(svc.spec.selector ?? {}).every(([k, v]) => p.labels[k] === v))
      .filter(p => p.phase === 'Running' && (svc.spec.publishNotReadyAddresses || p.ready))
      .map(p => p.name)
      .sort();
  }

  public describe(ordinal: number): string {
    const p = this.pods.get(ordinal);
    if (!p) return `${this.name}-${ordinal}: no pod`;
    const cs = [...p.containers.values()].map(c => `${c.spec.name}${c.runnable ? '' : '(not run: other image)'} running=${c.running} started=${c.started} ready=${c.ready} restarts=${c.restarts} exits=${c.exits.join(',')} lastReadiness=${JSON.stringify(c.probes.readiness.slice(-1)[0]?.output ?? '')}`);
    return `${p.name}: phase=${p.phase} initRestarts=${p.initRestarts} initFailures=${JSON.stringify(p.initFailures.slice(-3))} ${cs.join('; ')}`;
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

  public async dispose(): Promise<void> {
    this.paused = true;
    await Promise.all([...this.pods.values()].map(p => p.terminate(0)));
    this.pods.clear();
    await this.api?.stop();
  }

  // --- clients -------------------------------------------------------------------------------

  /**
   * Runs SQL with the chroot's mysql client: as root over a pod's socket (default), or as any
   * user over TCP to a host (a pod's or a Service's DNS name), with TLS required.
   */
  public sql(sql: string, target: { pod?: number; host?: string; user?: string; password?: string; database?: string; tls?: boolean; columnNames?: boolean } = {}): { status: number; stdout: string; stderr: string } {
    const dir = path.join(this.chroot.root, 'e2e-client');
    fs.mkdirSync(dir, { recursive: true });
    const cnf = path.join(dir, `${randomBytes(6).toString('hex')}.cnf`);
    const user = target.user ?? 'root';
    const password = target.password ?? (user === 'root' ? this.rootPassword() : '');
    fs.writeFileSync(cnf, `[client]\nuser="${user}"\npassword="${password.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\n`, { mode: 0o600 });
    const args = ['mysql', `--defaults-file=${this.chroot.insidePath(cnf)}`, '--batch', target.columnNames ? '--column-names' : '--skip-column-names', '--connect-timeout=5'];
    if (target.host !== undefined) {
      args.push(`--host=${target.host}`, '--port=3306', `--ssl-mode=${target.tls === false ? 'DISABLED' : 'REQUIRED'}`);
    } else {
      args.push(`--socket=${this.chroot.insidePath(this.socketPath(target.pod ?? this.startOrdinal))}`);
    }
    if (target.database) args.push(`--database=${target.database}`);
    try {
      return this.chroot.run(args, sql);
    } finally {
      fs.rmSync(cnf, { force: true });
    }
  }

  /** Like `sql`, but throws unless it succeeds; returns the trimmed output. */
  public query(sql: string, target: Parameters<MySqlCluster['sql']>[1] = {}): string {
    const res = this.sql(sql, target);
    if (res.status !== 0) throw new Error(`SQL failed (${JSON.stringify(target)}): ${sql}\n${res.stderr}`);
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
    if (!ref) throw new Error('the mysql container has no MYSQL_ROOT_PASSWORD from a Secret');
    return this.secrets[ref.name][ref.key];
  }

  // --- claims --------------------------------------------------------------------------------

  public claimPath(claim: string, ordinal: number): string {
    return path.join(this.workDir, 'claims', `${claim}-${this.name}-${ordinal}`);
  }

  public createClaim(claim: string, ordinal: number, fsGroup: number | undefined): void {
    const dir = this.claimPath(claim, ordinal);
    if (fs.existsSync(dir)) return;
    fs.mkdirSync(dir, { recursive: true });
    // The kubelet hands a volume to fsGroup: group-owned, group-writable, setgid.
    if (fsGroup !== undefined) fs.chownSync(dir, 0, fsGroup);
    fs.chmodSync(dir, 0o2775);
    fs.mkdirSync(path.join(dir, 'lost+found'));
  }

  /** The claims that exist, with the labels the controller puts on them (the claim template's). */
  public existingClaims(): ClaimInfo[] {
    const out: ClaimInfo[] = [];
    for (const t of this.statefulSetSpec().volumeClaimTemplates ?? []) {
      for (const dir of fs.readdirSync(path.join(this.workDir, 'claims'))) {
        if (new RegExp(`^${t.metadata.name}-${this.name}-\\d+$`).test(dir)) out.push({ name: dir, labels: { ...(t.metadata.labels ?? {}), ...(this.claimLabels.get(dir) ?? {}) } });
      }
    }
    return out;
  }

  public deleteClaims(ordinal: number): void {
    for (const t of this.statefulSetSpec().volumeClaimTemplates ?? []) {
      fs.rmSync(this.claimPath(t.metadata.name, ordinal), { recursive: true, force: true });
      this.claimLabels.delete(`${t.metadata.name}-${this.name}-${ordinal}`);
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
    for (const e of container.env ?? []) {
      if (e.value !== undefined) { env[e.name] = expand(e.value, env); continue; }
      const from = e.valueFrom ?? {};
      if (from.fieldRef) {
        const field = from.fieldRef.fieldPath;
        const value = ({
          'metadata.name': pod.name, 'metadata.namespace': this.namespace, 'status.podIP': pod.ip,
          'spec.serviceAccountName': pod.template.spec.serviceAccountName ?? 'default',
        } as { [f: string]: string })[field];
        if (value === undefined) throw new Error(`env ${e.name}: fieldRef ${field} is not supported by the e2e`);
        env[e.name] = value;
      } else if (from.secretKeyRef) {
        const value = this.secrets[from.secretKeyRef.name]?.[from.secretKeyRef.key];
        if (value === undefined) {
          if (from.secretKeyRef.optional) continue;
          throw new Error(`CreateContainerConfigError: ${pod.name}/${container.name}: Secret ${from.secretKeyRef.name} has no key ${from.secretKeyRef.key}`);
        }
        env[e.name] = value;
      } else if (from.configMapKeyRef) {
        const value = this.object('ConfigMap', from.configMapKeyRef.name)?.data?.[from.configMapKeyRef.key];
        if (value === undefined && !from.configMapKeyRef.optional) throw new Error(`CreateContainerConfigError: ConfigMap key ${from.configMapKeyRef.name}/${from.configMapKeyRef.key}`);
        if (value !== undefined) env[e.name] = value;
      } else {
        throw new Error(`env ${e.name}: ${JSON.stringify(from)} is not supported by the e2e`);
      }
    }
    return env;
  }

  /** /etc/hosts of the chroot: every pod's DNS name, and Services that select exactly one pod. */
  private writeHosts(): void {
    const lines = ['127.0.0.1 localhost', '::1 localhost'];
    const spec = this.statefulSetSpec();
    for (let i = 0; i < 40; i++) {
      const o = this.startOrdinal + i;
      lines.push(`${this.ipOf(o)} ${this.podDnsName(o)} ${this.name}-${o}.${spec.serviceName}.${this.namespace} ${this.name}-${o}.${spec.serviceName}`);
    }
    for (const svc of this.objects.filter(o => o.kind === 'Service')) {
      const podName = svc.spec.selector?.['statefulset.kubernetes.io/pod-name'];
      const m = podName ? new RegExp(`^${this.name}-(\\d+)$`).exec(podName) : null;
      if (m) lines.push(`${this.ipOf(Number(m[1]))} ${svc.metadata.name}.${this.namespace}.svc.cluster.local ${svc.metadata.name}.${this.namespace} ${svc.metadata.name}`);
    }
    fs.writeFileSync(this.chroot.hostPath('etc/hosts'), `${lines.join('\n')}\n`);
  }
}

/** `$(VAR)` references in env values and arguments, as the kubelet expands them. */
function expand(text: string, env: { [name: string]: string }): string {
  return text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** A sleep that does not keep the process alive (the kubelet's loops, not what a test awaits). */
function idle(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}

function exitOf(proc: ChildProcess): Promise<number | string> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  if (proc.signalCode !== null) return Promise.resolve(proc.signalCode);
  return new Promise(resolve => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    // already gone
  }
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
