import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { checkProps, checkShape } from '../check';
import { shapeOf } from '../shapes';
import { ContainerOptions, EnvSource } from '../container';
import { futurePath, StatefulValidationError, Validator } from '../errors';
import { k8s, KubeConfigMap, KubeNetworkPolicy, KubePodDisruptionBudget, KubeService, KubeStatefulSet } from '../kube';
import { checkConfigKey, checkDns1123Subdomain, checkEnvName, podHostName, serviceHostName } from '../names';
import { registerObject } from '../registry';
import { AppBudgets, chooseBudget, ProtectPodOptions } from './budget';
import { checkAnnotation, checkLabel, objectMeta } from './metadata';
import { AllowIngressOptions, appPolicySpec, checkAllowIngress } from './network-policy';
import { renderStatefulSet, RenderedPod } from './pod-template';
import { EmptyDirOptions, ServiceOptions, StatefulAppProps, VolumeClaimOptions } from './props';
import { checkServiceOptions, headlessServiceSpec, ServiceContext, serviceMetadata, serviceProps } from './services';
import { AppState, initialState } from './state';

/** Options of {@link StatefulApp.addEnv}. */
export interface AddEnvOptions {
  /**
   * The container that gets the variable (an init container or a sidecar by name).
   * @default - the main container
   */
  readonly container?: string;
}

/** Ids of the app's own children, which `addService` cannot take. */
const RESERVED_IDS = ['Resource', 'Service', 'ReadService', 'ConfigMap', 'DisruptionBudget', 'NetworkPolicy', 'ProtectedPodBudget'];
const KIND = 'StatefulApp';

/**
 * Any stateful workload as a StatefulSet with per-pod volumes, a headless governing Service, an
 * optional read Service and ConfigMap, a PodDisruptionBudget, a NetworkPolicy and pod spreading,
 * secure by default (Pod Security 'restricted', read-only root, no service account token, PVCs
 * retained).
 *
 * Every emitted object is a public child (the StatefulSet is `Resource`, so `ApiObject.of(app)`
 * finds it), and everything is rendered when the app is synthesized, so the `add...` methods work
 * after construction.
 *
 * @example
 * const web = new StatefulApp(chart, 'web', {
 *   image: 'nginxinc/nginx-unprivileged:1.25.3',
 *   replicas: 3,
 *   ports: [{ name: 'http', port: 8080 }],
 *   volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1) }],
 * });
 * web.addEnv('MODE', EnvSource.fromValue('production'));
 */
export class StatefulApp extends Construct {
  /** Name of the StatefulSet, its headless Service and its pods' prefix. */
  public readonly name: string;
  /** Namespace of the objects, if known. */
  public readonly namespace?: string;
  /** Name of the headless governing Service (same as the app). */
  public readonly serviceName: string;
  /** Number of replicas. */
  public readonly replicas: number;
  /** First ordinal. */
  public readonly startOrdinal: number;
  /** The fixed selector labels (`app.kubernetes.io/name` and `app.kubernetes.io/instance`). */
  public readonly selectorLabels: { [key: string]: string };
  /** Name of the main container. */
  public readonly containerName: string;
  /** The StatefulSet (construct id `Resource`). */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The headless governing Service. */
  public readonly service: k8s.KubeService;
  /** The read Service, if requested. */
  public readonly readService?: k8s.KubeService;
  /** The PodDisruptionBudget, if any. */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The NetworkPolicy, unless disabled. */
  public readonly networkPolicy?: k8s.KubeNetworkPolicy;

  private readonly state: AppState;
  private readonly budgets: AppBudgets;
  /** Peers `allowIngress` added to the NetworkPolicy. */
  private readonly ingress: AllowIngressOptions[] = [];
  private readonly clusterDomain: string;
  private configMap_?: k8s.KubeConfigMap;
  private version = 0;
  private validated?: { readonly version: number; readonly errors: string[] };
  private cache?: { version: number; pod: RenderedPod };

  constructor(scope: Construct, id: string, props: StatefulAppProps) {
    // Everything is checked before the construct joins the tree: a refused app leaves nothing behind.
    // A ReplicatedMySql reports errors of its StatefulApp as its own (kind and path).
    const kind = props?._errorsAs?.kind ?? (new.target?.name || KIND);
    const path = props?._errorsAs?.path ?? futurePath(scope, id);
    const v = new Validator(path, kind);
    checkProps(v, props, shapeOf('StatefulAppProps'));
    const state = initialState(scope, path, id, props, kind);
    const first = renderStatefulSet(state);
    const budget = chooseBudget(v, props.disruptionBudget, state.replicas);
    const ctx = serviceContext(state, first);
    headlessServiceSpec(v, ctx);
    if (props.readService !== undefined) serviceProps(v, ctx, 'readService', props.readService, `${state.name}-read`);
    const policy = props.networkPolicy?.enabled === false
      ? undefined
      : appPolicySpec(v, props.networkPolicy ?? {}, state.selectorLabels, first.ports, first.sidecarPorts);

    super(scope, id);
    this.state = state;
    this.cache = { version: 0, pod: first };
    this.name = state.name;
    this.namespace = state.namespace;
    this.serviceName = state.name;
    this.clusterDomain = state.clusterDomain;
    this.replicas = state.replicas;
    this.startOrdinal = state.startOrdinal;
    this.selectorLabels = { ...state.selectorLabels };
    this.containerName = first.containerName;

    const meta = (objectName: string) => objectMeta(state.namespace, state.objectLabels, state.objectAnnotations, objectName);
    this.statefulSet = new KubeStatefulSet(this, 'Resource', {
      metadata: meta(state.name),
      spec: Lazy.any({ produce: () => this.rendered().spec }) as unknown as k8s.StatefulSetSpec,
    });
    if (first.configMap) this.createConfigMap(first.configMap.name);
    this.service = new KubeService(this, 'Service', {
      metadata: meta(state.name),
      spec: Lazy.any({ produce: () => headlessServiceSpec(this.state.v, this.context()) }) as unknown as k8s.ServiceSpec,
    });
    if (props.readService !== undefined) this.readService = this.serviceChild('ReadService', 'readService', props.readService, `${state.name}-read`);
    this.budgets = new AppBudgets(budget, state.selectorLabels);
    if (this.budgets.enabled) {
      this.podDisruptionBudget = new KubePodDisruptionBudget(this, 'DisruptionBudget', {
        metadata: meta(state.name),
        spec: Lazy.any({ produce: () => this.budgets.appSpec() }) as unknown as k8s.PodDisruptionBudgetSpec,
      });
    }
    if (policy) {
      this.networkPolicy = new KubeNetworkPolicy(this, 'NetworkPolicy', {
        metadata: meta(state.name),
        spec: Lazy.any({ produce: () => {
          const pod = this.rendered();
          const options = this.state.props.networkPolicy ?? {};
          return appPolicySpec(this.state.v, options, this.state.selectorLabels, pod.ports, pod.sidecarPorts, this.ingress);
        } }) as unknown as k8s.NetworkPolicySpec,
      });
    }
    // Only synth knows the final state: everything added later is checked there too.
    this.node.addValidation({ validate: () => this.validateLate() });
    this.registerNames();
  }

  /** The ConfigMap, if the app has config files (`config`, or `addConfigFile`). */
  public get configMap(): k8s.KubeConfigMap | undefined {
    return this.configMap_;
  }

  /** Name of pod `ordinal`, e.g. `web-0`. */
  public podName(ordinal: number): string {
    this.checkOrdinal(ordinal);
    return `${this.name}-${ordinal}`;
  }

  /** DNS name of pod `ordinal` through the headless Service, e.g. `web-0.web.shop.svc.cluster.local`. */
  public podDnsName(ordinal: number): string {
    this.checkOrdinal(ordinal);
    return podHostName(this.name, ordinal, this.serviceName, this.namespace, this.clusterDomain);
  }

  /** Name of the PVC of `volume` for pod `ordinal`, e.g. `www-web-0`. */
  public pvcName(volume: string, ordinal: number): string {
    const claims = this.state.volumes.map((x) => x.o.name);
    if (!claims.includes(volume)) {
      const given: unknown = volume; // JavaScript callers may pass the ordinal first
      const hint = typeof given === 'number' ? ` first, then the ordinal: pvcName(${JSON.stringify(claims[0] ?? 'data')}, ${given})` : '';
      throw new StatefulValidationError(this, this.state.kind, 'pvcName(volume)', volume,
        `is not a claim template of this app (claims: ${claims.join(', ') || 'none'})`, `pass one of the volume names${hint}`);
    }
    this.checkOrdinal(ordinal);
    return `${volume}-${this.name}-${ordinal}`;
  }

  /** The labels on every object of the app (recommended labels, `labels`, and `addLabel`'s). */
  public get labels(): { [key: string]: string } {
    return { ...this.state.objectLabels };
  }

  /** DNS name of the headless Service (resolves to every pod, Ready or not). */
  public get serviceHost(): string {
    return serviceHostName(this.serviceName, this.namespace, this.clusterDomain);
  }

  /** DNS name of the read Service, if there is one. */
  public get readHost(): string | undefined {
    return this.readService ? serviceHostName(this.readService.name, this.namespace, this.clusterDomain) : undefined;
  }

  /** DNS name of a Service in the app's namespace. */
  public hostOf(serviceName: string): string {
    return serviceHostName(serviceName, this.namespace, this.clusterDomain);
  }

  /**
   * Adds a Service in front of the pods, e.g. a write Service for ordinal 0:
   * `app.addService('Primary', { name: 'db-primary', podOrdinal: 0 })`. Its ports are checked
   * at synth, so they may be a sidecar's added later.
   */
  public addService(id: string, options: ServiceOptions = {}): k8s.KubeService {
    const prop = `addService(${JSON.stringify(id)})`;
    const v = this.state.v;
    if (typeof id !== 'string' || id.length === 0) v.fail(`${prop} id`, id, 'must be a non-empty string', 'pass an id such as "Primary"');
    if (RESERVED_IDS.includes(id) || this.node.tryFindChild(id)) {
      v.fail(`${prop} id`, id, `is already taken by another object of the app (ids in use: ${this.node.children.map((c) => c.node.id).join(', ')})`, 'pick another id');
    }
    checkShape(v, prop, options, shapeOf('ServiceOptions'));
    const defaultName = `${this.name}-${id.toLowerCase()}`;
    checkServiceOptions(v, this.state, prop, options, defaultName);
    const service = this.serviceChild(id, prop, options, defaultName);
    registerObject(this, v, `${prop}.name`, { kind: 'Service', namespace: this.namespace, name: options.name ?? defaultName }, 'give the Service another name');
    this.changed();
    return service;
  }

  /** Adds a sidecar container (it inherits the image, the restricted security context and helper resources unless given). */
  public addContainer(container: ContainerOptions): void {
    this.addHelper(container, this.state.sidecars, 'addContainer');
  }

  /** Adds an init container, run after those already declared. */
  public addInitContainer(container: ContainerOptions): void {
    this.addHelper(container, this.state.initContainers, 'addInitContainer');
  }

  /**
   * Adds (or replaces) an environment variable of the main container, or of the container
   * `options.container`. The container is checked at synth, so it may be added later.
   */
  public addEnv(name: string, value: EnvSource, options: AddEnvOptions = {}): void {
    const prop = `addEnv(${JSON.stringify(name)})`;
    const v = this.state.v;
    const problem = checkEnvName(name);
    if (problem) v.fail(`${prop} name`, name, problem, 'use a name like DATABASE_URL');
    checkShape(v, `${prop} value`, value, { t: 'instance', name: 'EnvSource', test: (x) => x instanceof EnvSource, fix: 'use EnvSource.fromValue(...) or EnvSource.fromSecretKey(...)' });
    if (!(value instanceof EnvSource)) v.fail(`${prop} value`, value, 'must be an EnvSource', 'use EnvSource.fromValue(...)');
    checkShape(v, `${prop} options.container`, options.container, { t: 'string' });
    this.state.env.push({ name, value, container: options.container, prop });
    // The value's own rules (credential-looking literals, reference names) at the call.
    this.tryRender(prop);
  }

  /**
   * Adds a per-pod volume (a claim template). On a deployed set this is refused by Kubernetes
   * (claim templates are immutable): use it while building.
   */
  public addVolume(volume: VolumeClaimOptions): void {
    const prop = `addVolume(${JSON.stringify(volume?.name)})`;
    checkShape(this.state.v, prop, volume, shapeOf('VolumeClaimOptions'));
    this.state.volumes.push({ o: volume, prop });
    this.tryRender(prop);
  }

  /** Adds a pod-lifetime scratch volume. */
  public addEmptyDir(emptyDir: EmptyDirOptions): void {
    const prop = `addEmptyDir(${JSON.stringify(emptyDir?.name)})`;
    checkShape(this.state.v, prop, emptyDir, shapeOf('EmptyDirOptions'));
    this.state.emptyDirs.push({ o: emptyDir, prop });
    this.tryRender(prop);
  }

  /**
   * Adds a file to the app's ConfigMap (created when the app has none yet; its volume is `config`,
   * mounted where `config.mountPath` says, else by your mounts). The checksum on the pod template
   * changes, so the pods roll.
   */
  public addConfigFile(fileName: string, content: string): void {
    const prop = `addConfigFile(${JSON.stringify(fileName)})`;
    const v = this.state.v;
    checkShape(v, `${prop} content`, content, { t: 'string' });
    if (Object.prototype.hasOwnProperty.call(this.state.configFiles, fileName)) v.fail(prop, fileName, 'is already a file of the ConfigMap', 'use another file name');
    const problem = checkConfigKey(fileName);
    if (problem) v.fail(prop, fileName, problem, 'use a file name such as "app.conf"');
    this.state.configFiles[fileName] = content;
    this.tryRender(prop);
    if (!this.configMap_) {
      const pod = this.rendered();
      this.createConfigMap(pod.configMap!.name);
      registerObject(this, v, 'config.name', { kind: 'ConfigMap', namespace: this.namespace, name: pod.configMap!.name }, 'give the ConfigMap another name (config.name)');
    }
  }

  /** Adds a label to every object of the app and to its pods (not to claim templates, which are immutable). */
  public addLabel(key: string, value: string): void {
    checkLabel(this.state.v, 'addLabel', key, value, true);
    this.state.objectLabels[key] = value;
    for (const obj of this.objects()) obj.metadata.addLabel(key, value);
    this.changed();
  }

  /** Adds an annotation to every object of the app (not to its pods: use podAnnotations for those). */
  public addAnnotation(key: string, value: string): void {
    checkAnnotation(this.state.v, 'addAnnotation', key, value);
    this.state.objectAnnotations[key] = value;
    for (const obj of this.objects()) obj.metadata.addAnnotation(key, value);
    this.changed();
  }

  /**
   * Labels the pods only (not the StatefulSet or its Services), e.g. so that a NetworkPolicy
   * elsewhere admits them. Changes the pod template: the pods roll.
   */
  public addPodLabel(key: string, value: string): void {
    checkLabel(this.state.v, 'podLabels', key, value, true);
    this.state.podLabels[key] = value;
    this.changed();
  }

  /**
   * Protects pod `ordinal` from voluntary disruptions (node drains, evictions) with a budget of its own,
   * maxUnavailable 0, and leaves it out of the app's budget, which then counts the other pods. For the one
   * pod whose loss costs most, such as a database's primary. One pod per app.
   */
  public protectPod(ordinal: number, options: ProtectPodOptions = {}): k8s.KubePodDisruptionBudget {
    const v = this.state.v;
    checkShape(v, 'protectPod options', options, shapeOf('ProtectPodOptions'));
    const podName = this.podName(ordinal);
    if (ordinal >= this.startOrdinal + this.replicas) {
      v.fail('protectPod(ordinal)', ordinal, `is not a pod of the app (ordinals ${this.startOrdinal}..${this.startOrdinal + this.replicas - 1})`, 'pass the ordinal of a pod');
    }
    const name = options.name ?? podName;
    const problem = checkDns1123Subdomain(name);
    if (problem) v.fail('protectPod options.name', name, problem, 'use a name such as "db-primary"');
    this.budgets.checkProtect(v, podName, this.replicas);
    registerObject(this, v, 'protectPod options.name', { kind: 'policy/PodDisruptionBudget', namespace: this.namespace, name }, 'give the budget another name');
    this.budgets.protect(podName);
    return new KubePodDisruptionBudget(this, 'ProtectedPodBudget', {
      metadata: objectMeta(this.namespace, this.state.objectLabels, this.state.objectAnnotations, name),
      spec: this.budgets.podSpec(podName),
    });
  }

  /**
   * Admits more peers through the app's NetworkPolicy: pods with `podLabels` in the app's namespace (or in
   * the namespaces with `namespaceLabels`), on the named ports. Each call adds one rule.
   */
  public allowIngress(options: AllowIngressOptions): void {
    const v = this.state.v;
    checkShape(v, 'allowIngress', options, shapeOf('AllowIngressOptions'));
    if (!this.networkPolicy) v.fail('allowIngress', options, 'has no NetworkPolicy to extend (networkPolicy.enabled is false)', 'enable the NetworkPolicy, or admit the peers in your own policy');
    checkAllowIngress(v, options);
    this.ingress.push({ ...options });
  }

  /** The app's rendered pod (memoized until the next change). @internal */
  public _rendered(): RenderedPod {
    return this.rendered();
  }

  /** The names of the pod's containers: the main one, the sidecars, then the init containers. */
  public get containerNames(): string[] {
    return [this.containerName, ...this.state.sidecars.map((s) => s.o.name), ...this.state.initContainers.map((s) => s.o.name)];
  }

  private rendered(): RenderedPod {
    if (!this.cache || this.cache.version !== this.version) this.cache = { version: this.version, pod: renderStatefulSet(this.state) };
    return this.cache.pod;
  }

  private context(): ServiceContext {
    return serviceContext(this.state, this.rendered());
  }

  private serviceChild(id: string, prop: string, options: ServiceOptions, defaultName: string): k8s.KubeService {
    // Metadata now (labels reach it through addLabel), the spec at synth (ports may come later).
    return new KubeService(this, id, {
      metadata: serviceMetadata(this.state, options, options.name ?? defaultName),
      spec: Lazy.any({ produce: () => serviceProps(this.state.v, this.context(), prop, options, defaultName).spec }) as unknown as k8s.ServiceSpec,
    });
  }

  private createConfigMap(configMapName: string): void {
    this.configMap_ = new KubeConfigMap(this, 'ConfigMap', {
      metadata: objectMeta(this.namespace, this.state.objectLabels, this.state.objectAnnotations, configMapName),
      data: Lazy.any({ produce: () => this.rendered().configMap?.data }) as unknown as { [key: string]: string },
    });
  }

  private addHelper(container: ContainerOptions, list: AppState['sidecars'], method: string): void {
    const prop = `${method}(${JSON.stringify(container?.name)})`;
    checkShape(this.state.v, prop, container, shapeOf('ContainerOptions'));
    list.push({ o: container, prop });
    this.tryRender(prop);
  }

  /**
   * Checks a change right away where the current state can tell; what only the final state can
   * decide (a container, port or volume added later) waits for synth.
   */
  private tryRender(prop: string): void {
    this.changed();
    try {
      this.rendered();
    } catch (e) {
      if (!(e instanceof StatefulValidationError)) throw e;
      // Only the errors about this call are its own (others may be fixed by later calls), and
      // not those about something a later call may still add.
      if (e.prop.startsWith(prop) && !(e as { _missing?: boolean })._missing) {
        this.undoLast(prop);
        throw e;
      }
    }
  }

  private undoLast(prop: string): void {
    const s = this.state;
    for (const list of [s.volumes, s.emptyDirs, s.initContainers, s.sidecars, s.env] as Array<Array<{ prop: string }>>) {
      if (list.length > 0 && list[list.length - 1].prop === prop) list.pop();
    }
    const file = /^addConfigFile\("(.*)"\)$/.exec(prop)?.[1];
    if (file !== undefined) delete s.configFiles[file];
    this.changed();
  }

  private validateLate(): string[] {
    // cdk8s validates the whole App once per chart it synthesizes (App._synthChart), so with a chart
    // per app this runs charts x apps times: answer from the last run while nothing changed.
    if (this.validated?.version === this.version) return this.validated.errors;
    let errors: string[] = [];
    try {
      this.rendered();
      for (const obj of this.objects()) if (obj.kind === 'Service' || obj.kind === 'NetworkPolicy') obj.toJson();
    } catch (e) {
      if (!(e instanceof StatefulValidationError)) throw e;
      errors = [e.message];
    }
    this.validated = { version: this.version, errors };
    return errors;
  }

  private changed(): void {
    this.version++;
  }

  private objects(): ApiObject[] {
    return this.node.children.filter((c): c is ApiObject => c instanceof ApiObject);
  }

  private registerNames(): void {
    const v = this.state.v;
    const ns = this.namespace;
    const fix = 'give one of them another name (or namespace)';
    registerObject(this, v, 'name', { kind: 'apps/StatefulSet', namespace: ns, name: this.name }, fix);
    registerObject(this, v, 'name', { kind: 'Service', namespace: ns, name: this.name }, fix);
    if (this.readService) registerObject(this, v, 'readService.name', { kind: 'Service', namespace: ns, name: this.readService.name }, fix);
    if (this.configMap_) registerObject(this, v, 'config.name', { kind: 'ConfigMap', namespace: ns, name: this.configMap_.name }, fix);
    if (this.podDisruptionBudget) registerObject(this, v, 'name', { kind: 'policy/PodDisruptionBudget', namespace: ns, name: this.name }, fix);
    if (this.networkPolicy) registerObject(this, v, 'name', { kind: 'networking.k8s.io/NetworkPolicy', namespace: ns, name: this.name }, fix);
  }

  private checkOrdinal(ordinal: number): void {
    if (!Number.isInteger(ordinal) || ordinal < this.startOrdinal) {
      throw new StatefulValidationError(this, this.state.kind, 'ordinal', ordinal, `must be an integer >= ${this.startOrdinal}`, `pass a pod ordinal such as ${this.startOrdinal}`);
    }
  }
}

function serviceContext(state: AppState, pod: RenderedPod): ServiceContext {
  return {
    name: state.name, namespace: state.namespace, startOrdinal: state.startOrdinal, selectorLabels: state.selectorLabels,
    objectLabels: state.objectLabels, objectAnnotations: state.objectAnnotations, ports: pod.ports, sidecarPorts: pod.sidecarPorts,
  };
}
