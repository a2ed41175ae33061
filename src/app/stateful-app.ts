import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { checkProps, checkShape } from '../check';
import { ContainerOptions, EnvSource } from '../container';
import { futurePath, StatefulValidationError, Validator } from '../errors';
import { k8s, KubeConfigMap, KubeNetworkPolicy, KubePodDisruptionBudget, KubeService, KubeStatefulSet } from '../kube';
import { appScannerChoices } from '../scanner-annotations';
import { shapeOf } from '../shapes';
import { podHostName, serviceHostName } from '../names';
import { registerObject, registerObjects } from '../registry';
import { checkAtSynth } from '../synth-checks';
import { addHelper, checkAddedConfigFile, checkAddedEmptyDir, checkAddedVolume, containersOf, newHelper } from './additions';
import { AppBudgets, chooseBudget, ProtectPodOptions } from './budget';
import { AddEnvOptions, AppContainer, checkEnv } from './container';
import { checkAnnotation, checkLabel, objectMeta } from './metadata';
import { AllowIngressOptions, appPolicySpec, checkAllowIngress } from './network-policy';
import { renderStatefulSet, RenderedPod } from './pod-template';
import { RenderCache } from './render-cache';
import { EmptyDirOptions, ServiceOptions, StatefulAppProps, VolumeClaimOptions } from './props';
import { checkChildId, checkServiceOptions, headlessServiceSpec, ServiceContext, serviceContext, serviceMetadata, serviceProps } from './services';
import { AppState, initialState, ownCopy } from './state';
import { checkClaimName } from './volumes';

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
  /** The main container, to add env, mounts and ports to. */
  public readonly mainContainer: AppContainer;
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
  private readonly cache: RenderCache;
  /** The producers of the specs that are checked at synth (the Services', the NetworkPolicy's). */
  private readonly lateSpecs: Array<() => unknown> = [];

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
    this.cache = new RenderCache(state, first);
    this.name = state.name;
    this.namespace = state.namespace;
    this.serviceName = state.name;
    this.clusterDomain = state.clusterDomain;
    this.replicas = state.replicas;
    this.startOrdinal = state.startOrdinal;
    this.selectorLabels = { ...state.selectorLabels };
    this.containerName = first.containerName;
    this.mainContainer = state.main;

    const meta = (objectName: string) => objectMeta(state.namespace, state.objectLabels, state.objectAnnotations, objectName);
    this.statefulSet = new KubeStatefulSet(this, 'Resource', {
      metadata: meta(state.name),
      spec: Lazy.any({ produce: () => this.cache.rendered().spec }) as unknown as k8s.StatefulSetSpec,
    });
    if (first.configMap) this.createConfigMap(first.configMap.name);
    this.service = new KubeService(this, 'Service', {
      metadata: meta(state.name),
      spec: this.checkedAtSynth(() => headlessServiceSpec(this.state.v, this.context())),
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
        spec: this.checkedAtSynth(() => {
          const pod = this.cache.rendered();
          const options = this.state.props.networkPolicy ?? {};
          return appPolicySpec(this.state.v, options, this.state.selectorLabels, pod.ports, pod.sidecarPorts, this.ingress);
        }),
      });
    }
    appScannerChoices(this, this.statefulSet, props.scannerAnnotations, policy !== undefined);
    // Only synth knows the final state: everything added later is checked there too.
    this.state.changes.checkAgain = checkAtSynth(this, () => this.validateLate());
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
    checkClaimName(this.state, volume);
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
    checkChildId(v, `${prop} id`, id, RESERVED_IDS, this.node.children.map((c) => c.node.id));
    checkShape(v, prop, options, shapeOf('ServiceOptions'));
    const defaultName = `${this.name}-${id.toLowerCase()}`;
    checkServiceOptions(v, this.state, prop, options, defaultName);
    const service = this.serviceChild(id, prop, options, defaultName);
    registerObject(this, v, `${prop}.name`, { kind: 'Service', namespace: this.namespace, name: options.name ?? defaultName }, 'give the Service another name');
    // The pod is the same; only the synth-time check has one more object to check.
    this.state.changes.checkAgain();
    return service;
  }

  /**
   * Adds a sidecar container (it inherits the image, the restricted security context and helper
   * resources unless given) and returns it, to add env, mounts and ports to later.
   */
  public addContainer(container: ContainerOptions): AppContainer {
    const added = newHelper(this.state, 'addContainer', 'sidecar', container);
    addHelper(this.state, added, this.state.sidecars);
    return added;
  }

  /** Adds an init container, run after those already declared, and returns it. */
  public addInitContainer(container: ContainerOptions): AppContainer {
    const added = newHelper(this.state, 'addInitContainer', 'init', container);
    addHelper(this.state, added, this.state.initContainers);
    return added;
  }

  /** The container of this name (the main one, a sidecar or an init container), if there is one. */
  public findContainer(name: string): AppContainer | undefined {
    return containersOf(this.state).find((c) => c.name === name);
  }

  /**
   * Adds (or replaces) an environment variable of the main container, or of the container
   * `options.container`, which may be added later (it is checked at synth).
   */
  public addEnv(name: string, value: EnvSource, options: AddEnvOptions = {}): void {
    const prop = `addEnv(${JSON.stringify(name)})`;
    const v = this.state.v;
    checkEnv(v, prop, name, value);
    checkShape(v, `${prop} options`, options, shapeOf('AddEnvOptions'));
    const entry = { name, value, prop };
    const target = options.container === undefined ? this.state.main : this.findContainer(options.container);
    if (target) {
      target._setEnv(entry);
    } else {
      this.state.pendingEnv.push({ container: options.container!, entry });
      this.state.host.changed();
    }
  }

  /**
   * Adds a per-pod volume (a claim template). On a deployed set this is refused by Kubernetes
   * (claim templates are immutable): use it while building.
   */
  public addVolume(volume: VolumeClaimOptions): void {
    const prop = `addVolume(${JSON.stringify(volume?.name)})`;
    checkAddedVolume(this.state, prop, volume);
    this.state.volumes.push({ o: ownCopy(volume), prop });
    this.state.host.changed();
  }

  /** Adds a pod-lifetime scratch volume. */
  public addEmptyDir(emptyDir: EmptyDirOptions): void {
    const prop = `addEmptyDir(${JSON.stringify(emptyDir?.name)})`;
    checkAddedEmptyDir(this.state, prop, emptyDir);
    this.state.emptyDirs.push({ o: ownCopy(emptyDir), prop });
    this.state.host.changed();
  }

  /**
   * Adds a file to the app's ConfigMap (created when the app has none yet; its volume is `config`,
   * mounted where `config.mountPath` says, else by your mounts). The checksum on the pod template
   * changes, so the pods roll.
   */
  public addConfigFile(fileName: string, content: string): void {
    const prop = `addConfigFile(${JSON.stringify(fileName)})`;
    checkAddedConfigFile(this.state, prop, fileName, content);
    this.state.configFiles[fileName] = content;
    this.state.host.changed();
    if (!this.configMap_) {
      // (With config in the props the ConfigMap exists already: this is the default name.)
      const configMapName = `${this.name}-config`;
      this.createConfigMap(configMapName);
      registerObject(this, this.state.v, 'config.name', { kind: 'ConfigMap', namespace: this.namespace, name: configMapName }, 'give the ConfigMap another name (config.name)');
    }
  }

  /** Adds a label to every object of the app and to its pods (not to claim templates, which are immutable). */
  public addLabel(key: string, value: string): void {
    checkLabel(this.state.v, 'addLabel', key, value, true);
    this.state.objectLabels[key] = value;
    for (const obj of this.objects()) obj.metadata.addLabel(key, value);
    this.state.host.changed();
  }

  /** Adds an annotation to every object of the app (not to its pods: use podAnnotations for those). */
  public addAnnotation(key: string, value: string): void {
    checkAnnotation(this.state.v, 'addAnnotation', key, value);
    this.state.objectAnnotations[key] = value;
    for (const obj of this.objects()) obj.metadata.addAnnotation(key, value);
    this.state.host.changed();
  }

  /**
   * Labels the pods only (not the StatefulSet or its Services), e.g. so that a NetworkPolicy
   * elsewhere admits them. Changes the pod template: the pods roll.
   */
  public addPodLabel(key: string, value: string): void {
    checkLabel(this.state.v, 'podLabels', key, value, true);
    this.state.podLabels[key] = value;
    this.state.host.changed();
  }

  /**
   * Protects pod `ordinal` from voluntary disruptions (node drains, evictions) with a budget of its own,
   * maxUnavailable 0, and leaves it out of the app's budget, which then counts the other pods. For the one
   * pod whose loss costs most, such as a database's primary. One pod per app.
   */
  public protectPod(ordinal: number, options: ProtectPodOptions = {}): k8s.KubePodDisruptionBudget {
    checkShape(this.state.v, 'protectPod options', options, shapeOf('ProtectPodOptions'));
    const podName = this.podName(ordinal);
    const name = this.budgets.checkProtect(this.state.v, ordinal, podName, options, this);
    registerObject(this, this.state.v, 'protectPod options.name', { kind: 'policy/PodDisruptionBudget', namespace: this.namespace, name }, 'give the budget another name');
    return this.budgets.protect(this, podName, objectMeta(this.namespace, this.state.objectLabels, this.state.objectAnnotations, name));
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
    this.state.changes.checkAgain();
  }

  /** The app's rendered pod (memoized until the next change). @internal */
  public _rendered(): RenderedPod {
    return this.cache.rendered();
  }

  /** The names of the pod's containers: the main one, the sidecars, then the init containers. */
  public get containerNames(): string[] {
    return containersOf(this.state).map((c) => c.name);
  }

  private context(): ServiceContext {
    return serviceContext(this.state, this.cache.rendered());
  }

  private serviceChild(id: string, prop: string, options: ServiceOptions, defaultName: string): k8s.KubeService {
    // Metadata now (labels reach it through addLabel), the spec at synth (ports may come later).
    return new KubeService(this, id, {
      metadata: serviceMetadata(this.state, options, options.name ?? defaultName),
      spec: this.checkedAtSynth(() => serviceProps(this.state.v, this.context(), prop, options, defaultName).spec),
    });
  }

  private createConfigMap(configMapName: string): void {
    this.configMap_ = new KubeConfigMap(this, 'ConfigMap', {
      metadata: objectMeta(this.namespace, this.state.objectLabels, this.state.objectAnnotations, configMapName),
      data: Lazy.any({ produce: () => this.cache.rendered().configMap?.data }) as unknown as { [key: string]: string },
    });
  }

  private validateLate(): void {
    this.cache.rendered();
    for (const produce of this.lateSpecs) produce();
  }

  /** A spec produced at synth (ports may come later), whose producer the synth-time check runs first. */
  private checkedAtSynth<T>(produce: () => T): T {
    this.lateSpecs.push(produce);
    const spec: unknown = Lazy.any({ produce });
    return spec as T;
  }

  private objects(): ApiObject[] {
    return this.node.children.filter((c): c is ApiObject => c instanceof ApiObject);
  }

  private registerNames(): void {
    registerObjects(this, this.state.v, this.namespace, [
      ['name', 'apps/StatefulSet', this.name], ['name', 'Service', this.name], ['readService.name', 'Service', this.readService?.name],
      ['config.name', 'ConfigMap', this.configMap_?.name], ['name', 'policy/PodDisruptionBudget', this.podDisruptionBudget?.name],
      ['name', 'networking.k8s.io/NetworkPolicy', this.networkPolicy?.name],
    ]);
  }

  private checkOrdinal(ordinal: number): void {
    if (!Number.isInteger(ordinal) || ordinal < this.startOrdinal) {
      throw new StatefulValidationError(this, this.state.kind, 'ordinal', ordinal, `must be an integer >= ${this.startOrdinal}`, `pass a pod ordinal such as ${this.startOrdinal}`);
    }
  }
}
