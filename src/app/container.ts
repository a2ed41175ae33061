/**
 * A container of a StatefulApp's pod: the main container, a sidecar or an init container. Its
 * mutators check their own input when they are called; what it refers to (a volume of the pod)
 * is checked when the pod is rendered, at synth.
 */
import type { ContainerResources } from 'cdk8s-plus-28';
import { checkShape } from '../check';
import {
  checkImage, checkMount, checkPort, ContainerOptions, EnvSource, MountEntry, normalizeMountPath, PortOptions, renderEnv, renderMounts,
  renderPorts, renderPreStop, renderResources, restrictedSecurityContext, VolumeMountOptions,
} from '../container';
import { Validator } from '../errors';
import { k8s } from '../kube';
import { checkDns1123Label, checkEnvName } from '../names';
import { shapeOf } from '../shapes';

/** Options of `StatefulApp.addEnv`. */
export interface AddEnvOptions {
  /**
   * The container that gets the variable (an init container or a sidecar by name).
   * @default - the main container
   */
  readonly container?: string;
}

/** What a container's checks need from its app. @internal */
export interface ContainerHost {
  readonly v: Validator;
  /** Called after every change, so that the app renders again. */
  readonly changed: () => void;
  /** Mount points the app gives the container besides its own mounts (the main container's volumes). */
  readonly implicitMountPaths?: () => string[];
}

/** Whose options a container renders, and how errors name it. @internal */
export interface ContainerOrigin {
  /** The main container, a sidecar or an init container. */
  readonly role: 'main' | 'sidecar' | 'init';
  /** How errors name the options it was made from: `sidecars[0]`, `addContainer("log")`, or '' for the app's props. */
  readonly prop: string;
}

/** What rendering a container takes from its pod. @internal */
export interface ContainerContext {
  readonly image: string;
  readonly readOnlyRootFilesystem: boolean;
  readonly resources: ContainerResources;
  /** The pod's volumes; undefined to check the container on its own. */
  readonly volumeNames?: ReadonlySet<string>;
}

/** An environment variable, and how errors name the call that set it. @internal */
export interface EnvEntry {
  readonly name: string;
  readonly value: EnvSource;
  /** How errors name the call that added it, e.g. `addEnv("MODE")` or `env`. */
  readonly prop: string;
}

/** Checks an environment variable at the call that sets it (errors name the call `prop`). @internal */
export function checkEnv(v: Validator, prop: string, name: string, value: EnvSource): void {
  const problem = checkEnvName(name);
  if (problem) v.fail(`${prop} name`, name, problem, 'use a name like DATABASE_URL');
  checkShape(v, `${prop} value`, value, { t: 'instance', name: 'EnvSource', test: (x) => x instanceof EnvSource, fix: 'use EnvSource.fromValue(...) or EnvSource.fromSecretKey(...)' });
  if (!(value instanceof EnvSource)) v.fail(`${prop} value`, value, 'must be an EnvSource', 'use EnvSource.fromValue(...)');
  // The value's own rules (credential-looking literals, reference names).
  renderEnv(v, prop, { [name]: value });
}

/**
 * A container of a {@link StatefulApp}'s pod: `app.mainContainer`, or what `addContainer` and
 * `addInitContainer` return (`app.findContainer(name)` finds the ones of the props).
 *
 * Its methods check their own input when called (a name, a duplicate in this container, a
 * credential as a literal value, a port number); a mount of a volume added later is fine, and
 * checked when the app is synthesized.
 *
 * @example
 * const shipper = app.addContainer({ name: 'log-shipper', image: 'fluent/fluent-bit:3.2.2' });
 * shipper.addMount({ volume: 'logs', mountPath: '/logs' });
 * shipper.addEnv('TARGET', EnvSource.fromValue('loki.monitoring:3100'));
 */
export class AppContainer {
  /**
   * A container from its options, checked on its own with `checkWith` (a container of the props is
   * checked by the first render of its pod instead); its pod is checked at synth.
   * @internal
   */
  public static _create(
    host: ContainerHost, origin: ContainerOrigin, name: string, options: ContainerOptions, checkWith?: ContainerContext,
  ): AppContainer {
    // A copy: changing the options object after the call must not bypass its checks.
    const c = new AppContainer(host, origin, name, { ...options });
    if (checkWith && origin.role !== 'main') c._render({ ...checkWith, volumeNames: undefined });
    return c;
  }

  /** The container's name. */
  public readonly name: string;
  private readonly env_: EnvEntry[];
  private readonly ports_: PortOptions[];
  private readonly mounts_: MountEntry[];

  private constructor(
    private readonly host: ContainerHost,
    private readonly origin: ContainerOrigin,
    name: string,
    private readonly options: ContainerOptions,
  ) {
    this.name = name;
    const env = options.env ?? {};
    const envProp = origin.prop === '' ? 'env' : `${origin.prop}.env`;
    this.env_ = Object.keys(env).map((key) => ({ name: key, value: env[key], prop: envProp }));
    // Copies, element by element: changing the given objects later must not bypass their checks.
    this.ports_ = (options.ports ?? []).map((p) => ({ ...p }));
    const mountsProp = origin.prop === '' ? 'mounts' : `${origin.prop}.mounts`;
    this.mounts_ = (options.mounts ?? []).map((m, i) => ({ m: { ...m }, prop: `${mountsProp}[${i}]` }));
  }

  /** The ports it listens on. */
  public get ports(): PortOptions[] {
    return this.ports_.map((p) => ({ ...p }));
  }

  /** Its own mounts (for the main container: besides those of `volumes`, `emptyDirs` and `config`). */
  public get mounts(): VolumeMountOptions[] {
    return this.mounts_.map((e) => ({ ...e.m }));
  }

  /** Its environment variables, in order. */
  public get env(): { [name: string]: EnvSource } {
    return Object.fromEntries(this.env_.map((e) => [e.name, e.value]));
  }

  /** Sets an environment variable (a later one of the same name replaces the earlier one). */
  public addEnv(name: string, value: EnvSource): void {
    this._addEnv(`${this.label}.addEnv(${JSON.stringify(name)})`, name, value);
  }

  /** Mounts a volume of the pod (a claim, an emptyDir, the config volume or a pod volume; it may be added later). */
  public addMount(mount: VolumeMountOptions): void {
    const prop = `${this.label}.addMount(${JSON.stringify(mount?.mountPath)})`;
    const v = this.host.v;
    checkShape(v, prop, mount, shapeOf('VolumeMountOptions'));
    if (mount === undefined) v.fail(prop, mount, 'must be a VolumeMountOptions', 'pass { volume, mountPath }');
    checkMount(v, prop, mount, new Set(this.mountPaths().map(normalizeMountPath)));
    this.mounts_.push({ m: { ...mount }, prop });
    this.host.changed();
  }

  /** Declares a port it listens on (the main container's are exposed by the app's Services; a sidecar's by name). */
  public addPort(port: PortOptions): void {
    const prop = `${this.label}.addPort(${JSON.stringify(port?.name)})`;
    const v = this.host.v;
    checkShape(v, prop, port, shapeOf('PortOptions'));
    if (port === undefined) v.fail(prop, port, 'must be a PortOptions', 'pass { name, port }');
    const names = new Set(this.ports_.map((p) => p.name));
    const numbers = new Set(this.ports_.map((p) => `${p.port}/${p.protocol ?? 'TCP'}`));
    checkPort(v, prop, port, { names, numbers });
    this.ports_.push({ ...port });
    this.host.changed();
  }

  /** Checks a variable (errors name it `prop`) and sets it. @internal */
  public _addEnv(prop: string, name: string, value: EnvSource): void {
    checkEnv(this.host.v, prop, name, value);
    this._setEnv({ name, value, prop });
  }

  /** Sets a variable checked already. @internal */
  public _setEnv(entry: EnvEntry): void {
    const i = this.env_.findIndex((e) => e.name === entry.name);
    if (i >= 0) this.env_.splice(i, 1);
    this.env_.push(entry);
    this.host.changed();
  }

  /** The rendered env, in order (undefined when empty). @internal */
  public _renderEnv(): k8s.EnvVar[] | undefined {
    const out = this.env_.map((e) => renderEnv(this.host.v, e.prop, { [e.name]: e.value })![0]);
    return out.length > 0 ? out : undefined;
  }

  /** The mounts, for the pod's render (errors name them by index under `prop`, or by the call that added them). @internal */
  public get _mountEntries(): readonly MountEntry[] {
    return this.mounts_;
  }

  /** How errors name the options it was made from. @internal */
  public get _prop(): string {
    return this.origin.prop;
  }

  /** Renders a sidecar or init container. @internal */
  public _render(ctx: ContainerContext): k8s.Container {
    const v = this.host.v;
    const { prop, role } = this.origin;
    const o = this.options;
    const problem = checkDns1123Label(this.name);
    if (problem) v.fail(`${prop}.name`, this.name, problem, 'use a name like "init-config"');
    const image = o.image === undefined ? ctx.image : checkImage(v, `${prop}.image`, o.image, o.allowUnpinnedImage);
    const ports = renderPorts(v, `${prop}.ports`, this.ports_);
    const firstPort = this.ports_[0]?.port;
    if (role === 'init' && (o.readinessProbe || o.livenessProbe || o.startupProbe)) {
      v.fail(`${prop}`, this.name, 'declares probes, but init containers run to completion and cannot have them', 'remove the probes');
    }
    if (role === 'init' && o.preStop !== undefined) {
      v.fail(`${prop}.preStop`, o.preStop, 'is set on an init container, which runs to completion and is never stopped', 'remove preStop, or make it a sidecar');
    }
    return {
      name: this.name,
      image,
      imagePullPolicy: o.imagePullPolicy,
      command: o.command ? [...o.command] : undefined,
      args: o.args ? [...o.args] : undefined,
      workingDir: o.workingDir,
      env: this._renderEnv(),
      ports,
      volumeMounts: renderMounts(v, `${prop}.mounts`, this.mounts_, ctx.volumeNames),
      resources: renderResources(v, `${prop}.resources`, o.resources, ctx.resources),
      startupProbe: o.startupProbe?._render(v, `${prop}.startupProbe`, firstPort, false),
      readinessProbe: o.readinessProbe?._render(v, `${prop}.readinessProbe`, firstPort, true),
      livenessProbe: o.livenessProbe?._render(v, `${prop}.livenessProbe`, firstPort, false),
      lifecycle: renderPreStop(v, `${prop}.preStop`, o.preStop),
      securityContext: restrictedSecurityContext(ctx.readOnlyRootFilesystem),
    };
  }

  /** How errors name it, e.g. `container("log-shipper")`. */
  private get label(): string {
    return `container(${JSON.stringify(this.name)})`;
  }

  private mountPaths(): string[] {
    return [...(this.host.implicitMountPaths?.() ?? []), ...this.mounts_.map((e) => e.m.mountPath)];
  }
}
