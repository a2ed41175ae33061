import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import type { ContainerResources, Cpu, Protocol } from 'cdk8s-plus-28';
import { checkOptions } from './check';
import { shapeOf } from './shapes';
import { Validator } from './errors';
import { k8s } from './kube';
import {
  checkConfigKey, checkDns1123Label, checkDns1123Subdomain, checkEnvName, checkMountPath, checkPortName,
  isPinnedImage, parseImage,
} from './names';

/** A port the container listens on. */
export interface PortOptions {
  /** Port name (IANA service name: at most 15 lower case letters, digits and "-"); Services target it by name. */
  readonly name: string;
  /** Container port number (1-65535). */
  readonly port: number;
  /**
   * Protocol (cdk8s-plus-28's `Protocol`).
   * @default Protocol.TCP
   */
  readonly protocol?: Protocol;
  /**
   * Port number on the Services.
   * @default - the container port
   */
  readonly servicePort?: number;
}

/**
 * The value of an environment variable: a literal, or a reference to a Secret, ConfigMap or pod
 * field, so that credentials never appear in the synthesized YAML.
 */
export class EnvSource {
  /**
   * A literal value. Refused for names that look secret (PASSWORD, SECRET, TOKEN, KEY); use
   * `fromSecretKey`, or `fromPlaintextSecret` to accept the value in plaintext YAML.
   */
  public static fromValue(value: string): EnvSource {
    return new EnvSource({ value }, false);
  }

  /**
   * A literal value for a secret-looking name, written in plaintext into the manifests (and into
   * git). Only for throw-away environments.
   */
  public static fromPlaintextSecret(value: string): EnvSource {
    return new EnvSource({ value }, true);
  }

  /** A key of a Secret (which the user or another tool creates). */
  public static fromSecretKey(secretName: string, key: string, options: EnvReferenceOptions = {}): EnvSource {
    checkOptions('EnvSource.fromSecretKey', options, shapeOf('EnvReferenceOptions'));
    return new EnvSource({ valueFrom: { secretKeyRef: { name: secretName, key, optional: options.optional } } }, false, secretName, key);
  }

  /** A key of a ConfigMap. */
  public static fromConfigMapKey(configMapName: string, key: string, options: EnvReferenceOptions = {}): EnvSource {
    checkOptions('EnvSource.fromConfigMapKey', options, shapeOf('EnvReferenceOptions'));
    return new EnvSource({ valueFrom: { configMapKeyRef: { name: configMapName, key, optional: options.optional } } }, false, configMapName, key);
  }

  /** A field of the pod, e.g. `metadata.name`, `metadata.namespace`, `status.podIP`. */
  public static fromFieldPath(fieldPath: string): EnvSource {
    return new EnvSource({ valueFrom: { fieldRef: { fieldPath } } }, false);
  }

  private constructor(
    /** @internal */ public readonly _spec: { value?: string; valueFrom?: k8s.EnvVarSource },
    /** @internal */ public readonly _plaintextSecretAccepted: boolean,
    /** @internal */ public readonly _refName?: string,
    /** @internal */ public readonly _refKey?: string,
  ) {}
}

/** Options of a Secret or ConfigMap reference. */
export interface EnvReferenceOptions {
  /**
   * Start the container even if the Secret/ConfigMap or key does not exist.
   * @default false
   */
  readonly optional?: boolean;
}

/** Timing of a probe. */
export interface HealthProbeOptions {
  /**
   * Wait this long after the container starts before the first probe.
   * @default - no delay (use a startup probe for slow starters)
   */
  readonly initialDelay?: Duration;
  /**
   * How often to probe.
   * @default Duration.seconds(10)
   */
  readonly period?: Duration;
  /**
   * How long one probe may take.
   * @default Duration.seconds(3)
   */
  readonly timeout?: Duration;
  /**
   * Consecutive failures before the probe counts as failed.
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * Consecutive successes before a failed probe counts as passing again (must be 1 for liveness and startup probes).
   * @default 1
   */
  readonly successThreshold?: number;
}

/** Scheme of an HTTP probe. */
export enum HttpScheme {
  /** HTTP */
  HTTP = 'HTTP',
  /** HTTPS (the certificate is not verified) */
  HTTPS = 'HTTPS',
}

/** Options of an HTTP GET probe. */
export interface HttpGetHealthProbeOptions extends HealthProbeOptions {
  /**
   * Port number to probe.
   * @default - the first container port
   */
  readonly port?: number;
  /**
   * Scheme.
   * @default HttpScheme.HTTP
   */
  readonly scheme?: HttpScheme;
}

/** Options of a TCP probe. */
export interface TcpSocketHealthProbeOptions extends HealthProbeOptions {
  /**
   * Port number to probe.
   * @default - the first container port
   */
  readonly port?: number;
}

/** A startup, readiness or liveness probe. */
export class HealthProbe {
  /** Succeeds when a TCP connection to the port opens. */
  public static tcpSocket(options: TcpSocketHealthProbeOptions = {}): HealthProbe {
    checkOptions('HealthProbe.tcpSocket', options, shapeOf('TcpSocketHealthProbeOptions'));
    return new HealthProbe('tcp', options, options.port);
  }

  /** Succeeds when `GET path` answers 200-399. */
  public static httpGet(path: string, options: HttpGetHealthProbeOptions = {}): HealthProbe {
    checkOptions('HealthProbe.httpGet', options, shapeOf('HttpGetHealthProbeOptions'));
    return new HealthProbe('http', options, options.port, path, undefined, options.scheme);
  }

  /** Succeeds when the command exits 0 (run inside the container, without a shell). */
  public static exec(command: string[], options: HealthProbeOptions = {}): HealthProbe {
    checkOptions('HealthProbe.exec', options, shapeOf('HealthProbeOptions'));
    return new HealthProbe('exec', options, undefined, undefined, command);
  }

  private constructor(
    private readonly kind: 'tcp' | 'http' | 'exec',
    private readonly options: HealthProbeOptions,
    private readonly port?: number,
    private readonly path?: string,
    private readonly command?: string[],
    private readonly scheme?: HttpScheme,
  ) {}

  /** @internal */
  public _render(v: Validator, prop: string, defaultPort: number | undefined, isReadiness: boolean): k8s.Probe {
    const o = this.options;
    const seconds = (name: string, d: Duration | undefined, min: number): number | undefined => {
      if (d === undefined) return undefined;
      if (!(d instanceof Duration)) v.fail(`${prop}.${name}`, d, 'must be a Duration', `use Duration.seconds(${min})`);
      const s = d.toMilliseconds() / 1000;
      if (!Number.isInteger(s) || s < min) v.fail(`${prop}.${name}`, `${s}s`, `must be a whole number of seconds >= ${min}`, `use Duration.seconds(${Math.max(min, Math.ceil(s))})`);
      return s;
    };
    v.integer(`${prop}.failureThreshold`, o.failureThreshold, 1, 1_000_000, 'use a failureThreshold of 1 or more');
    v.integer(`${prop}.successThreshold`, o.successThreshold, 1, 1_000_000, 'use a successThreshold of 1 or more');
    if (!isReadiness && o.successThreshold !== undefined && o.successThreshold !== 1) {
      v.fail(`${prop}.successThreshold`, o.successThreshold, 'must be 1 for liveness and startup probes (the API server refuses other values)', 'remove successThreshold');
    }
    const timing = {
      initialDelaySeconds: seconds('initialDelay', o.initialDelay, 0),
      periodSeconds: seconds('period', o.period, 1) ?? 10,
      timeoutSeconds: seconds('timeout', o.timeout, 1) ?? 3,
      failureThreshold: o.failureThreshold ?? 3,
      successThreshold: o.successThreshold,
    };
    if (this.kind === 'exec') {
      if (!Array.isArray(this.command) || this.command.length === 0 || this.command.some((c) => typeof c !== 'string')) {
        v.fail(`${prop}.command`, this.command, 'must be a non-empty list of strings', 'pass the program and its arguments, e.g. ["pg_isready"]');
      }
      return { exec: { command: [...this.command] }, ...timing };
    }
    const port = this.port ?? defaultPort;
    if (port === undefined) {
      v.fail(`${prop}.port`, port, 'has no port to probe: the container declares no ports', 'pass { port } or declare ports');
    }
    v.integer(`${prop}.port`, port, 1, 65535, 'use a port between 1 and 65535');
    if (this.kind === 'tcp') {
      return { tcpSocket: { port: k8s.IntOrString.fromNumber(port) }, ...timing };
    }
    if (typeof this.path !== 'string' || !this.path.startsWith('/')) {
      v.fail(`${prop}.path`, this.path, 'must be an absolute URL path', 'use a path such as "/healthz"');
    }
    return { httpGet: { path: this.path, port: k8s.IntOrString.fromNumber(port), scheme: this.scheme }, ...timing };
  }
}

/** A volume mounted into a container by name: a claim template, an emptyDir or the config volume. */
export interface VolumeMountOptions {
  /** Name of the pod volume (a `volumes` claim, an `emptyDirs` entry, or `configVolumeName`). */
  readonly volume: string;
  /** Absolute path in the container. */
  readonly mountPath: string;
  /**
   * Mount only this sub-directory of the volume.
   * @default - the whole volume
   */
  readonly subPath?: string;
  /**
   * Mount read-only.
   * @default false
   */
  readonly readOnly?: boolean;
}

/** An init container or sidecar of a {@link StatefulApp}. */
export interface ContainerOptions {
  /** Container name (DNS-1123 label, unique in the pod). */
  readonly name: string;
  /**
   * Image, pinned to a tag or digest.
   * @default - the app's image
   */
  readonly image?: string;
  /**
   * Allow `latest` or no tag.
   * @default false
   */
  readonly allowUnpinnedImage?: boolean;
  /**
   * Entrypoint override.
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * Arguments.
   * @default - the image's command
   */
  readonly args?: string[];
  /**
   * Environment variables, in this order.
   * @default - none
   */
  readonly env?: { [name: string]: EnvSource };
  /**
   * Ports the container listens on (not added to the app's Services).
   * @default - none
   */
  readonly ports?: PortOptions[];
  /**
   * Volumes to mount.
   * @default - none
   */
  readonly mounts?: VolumeMountOptions[];
  /**
   * Resources.
   * @default - cpu request 50m; memory request and limit 128Mi
   */
  readonly resources?: ContainerResources;
  /**
   * Readiness probe (sidecars only).
   * @default - none
   */
  readonly readinessProbe?: HealthProbe;
  /**
   * Liveness probe (sidecars only).
   * @default - none
   */
  readonly livenessProbe?: HealthProbe;
  /**
   * Startup probe (sidecars only).
   * @default - none
   */
  readonly startupProbe?: HealthProbe;
  /**
   * Working directory.
   * @default - the image's
   */
  readonly workingDir?: string;
}

/** Defaults a container inherits from its app. @internal */
export interface ContainerDefaults {
  readonly image: string;
  readonly readOnlyRootFilesystem: boolean;
  readonly resources: ContainerResources;
  readonly volumeNames: ReadonlySet<string>;
}

/**
 * A Cpu amount without loading cdk8s-plus-28's index (its L2 classes are most of its load time);
 * the same shape as `Cpu.millis(n)`, which is all the rendering reads.
 * @internal
 */
export function cpuMillis(millis: number): Cpu {
  return { amount: `${millis}m` };
}

/** The protocols of a container port (cdk8s-plus-28's `Protocol` values). */
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

/** Default resources of the main container. @internal */
export const MAIN_RESOURCES: ContainerResources = {
  cpu: { request: cpuMillis(250) },
  memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
};

/** Default resources of init containers and sidecars. @internal */
export const HELPER_RESOURCES: ContainerResources = {
  cpu: { request: cpuMillis(50) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(128) },
  // Their logs and anything they write outside volumes; evicted first without a request.
  ephemeralStorage: { request: Size.mebibytes(16), limit: Size.mebibytes(128) },
};

/**
 * The main container's ephemeral storage: its logs and writable layer, plus the pod's disk-backed
 * emptyDirs, which count against the pod's limit (the sum of its containers').
 * @internal
 */
export function mainEphemeralStorage(emptyDirBytes: number): { request: Size; limit: Size } {
  const mib = 256 + Math.ceil(emptyDirBytes / (1024 * 1024));
  return { request: Size.mebibytes(64), limit: Size.mebibytes(mib) };
}

const SECRET_LIKE = /PASSWORD|PASSWD|SECRET|TOKEN|KEY/i;

/** Renders `Size` as the largest exact binary-unit quantity string ("1Gi", "1536Mi"). @internal */
export function sizeToQuantity(size: Size): string {
  const exact = { rounding: SizeRoundingBehavior.NONE };
  const units: Array<[string, (s: Size) => number]> = [
    ['Pi', (s) => s.toPebibytes(exact)], ['Ti', (s) => s.toTebibytes(exact)], ['Gi', (s) => s.toGibibytes(exact)],
    ['Mi', (s) => s.toMebibytes(exact)], ['Ki', (s) => s.toKibibytes(exact)],
  ];
  for (const [unit, convert] of units) {
    const amount = convert(size);
    if (Number.isInteger(amount) && amount > 0) return `${amount}${unit}`;
  }
  // Below 1Ki: whole bytes.
  return String(Math.ceil(sizeBytes(size)));
}

/** Size in bytes, for comparisons. @internal */
export function sizeBytes(size: Size): number {
  return size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024;
}

/** Checks and renders resources, merging cpu/memory/ephemeralStorage groups over defaults. @internal */
export function renderResources(
  v: Validator, prop: string, given: ContainerResources | undefined, defaults: ContainerResources,
): k8s.ResourceRequirements {
  const r: ContainerResources = { ...defaults, ...(given ?? {}) };
  const requests: { [key: string]: k8s.Quantity } = {};
  const limits: { [key: string]: k8s.Quantity } = {};
  const cpuMillis = (c: Cpu | undefined, p: string): number | undefined => {
    if (c === undefined) return undefined;
    const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(c.amount ?? ''));
    if (!m || Number(m[1]) <= 0) v.fail(p, c.amount, 'must be a positive CPU amount', 'use Cpu.millis(250) or Cpu.units(1)');
    return m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000;
  };
  const bytes = (s: Size | undefined, p: string): number | undefined => {
    if (s === undefined) return undefined;
    if (!(s instanceof Size)) v.fail(p, s, 'must be a Size', 'use Size.mebibytes(256)');
    const b = sizeBytes(s);
    if (!(b > 0)) v.fail(p, sizeToQuantity(s), 'must be greater than zero', 'use a positive Size such as Size.mebibytes(256)');
    return b;
  };
  const pair = (key: string, group: string, reqV: number | undefined, limV: number | undefined, req: string | undefined, lim: string | undefined) => {
    if (reqV !== undefined && limV !== undefined && reqV > limV) {
      v.fail(`${prop}.${group}.request`, req, `is greater than the limit ${lim}`, `raise ${group}.limit or lower ${group}.request`);
    }
    if (req !== undefined) requests[key] = k8s.Quantity.fromString(req);
    if (lim !== undefined) limits[key] = k8s.Quantity.fromString(lim);
  };
  pair('cpu', 'cpu', cpuMillis(r.cpu?.request, `${prop}.cpu.request`), cpuMillis(r.cpu?.limit, `${prop}.cpu.limit`), r.cpu?.request?.amount, r.cpu?.limit?.amount);
  pair('memory', 'memory', bytes(r.memory?.request, `${prop}.memory.request`), bytes(r.memory?.limit, `${prop}.memory.limit`),
    r.memory?.request && sizeToQuantity(r.memory.request), r.memory?.limit && sizeToQuantity(r.memory.limit));
  pair('ephemeral-storage', 'ephemeralStorage', bytes(r.ephemeralStorage?.request, `${prop}.ephemeralStorage.request`), bytes(r.ephemeralStorage?.limit, `${prop}.ephemeralStorage.limit`),
    r.ephemeralStorage?.request && sizeToQuantity(r.ephemeralStorage.request), r.ephemeralStorage?.limit && sizeToQuantity(r.ephemeralStorage.limit));
  return {
    limits: Object.keys(limits).length > 0 ? limits : undefined,
    requests: Object.keys(requests).length > 0 ? requests : undefined,
  };
}

/** Checks and renders an env map in insertion order. @internal */
export function renderEnv(v: Validator, prop: string, env: { [name: string]: EnvSource } | undefined): k8s.EnvVar[] | undefined {
  if (env === undefined) return undefined;
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    v.fail(prop, env, 'must be a map of name to EnvSource', 'pass { NAME: EnvSource.fromValue("...") }');
  }
  const out: k8s.EnvVar[] = [];
  for (const [name, value] of Object.entries(env)) {
    const p = `${prop}.${name}`;
    const problem = checkEnvName(name);
    if (problem) v.fail(`${prop} name`, name, problem, 'use a name like DATABASE_URL');
    if (!(value instanceof EnvSource)) {
      v.fail(p, value, 'must be an EnvSource', typeof value === 'string' ? `use EnvSource.fromValue(${JSON.stringify(value)})` : 'use EnvSource.fromValue(...) or EnvSource.fromSecretKey(...)');
    }
    const spec = value._spec;
    if (spec.value !== undefined) {
      if (typeof spec.value !== 'string') v.fail(p, spec.value, 'must be a string', `quote it: EnvSource.fromValue("${String(spec.value)}")`);
      if (SECRET_LIKE.test(name) && !value._plaintextSecretAccepted) {
        v.fail(p, '(literal value hidden)', `is a literal, and ${name} looks like a credential that would be written in plaintext to the manifests`,
          `keep it in a Secret and use EnvSource.fromSecretKey('my-secret', '${name.toLowerCase().replace(/_/g, '-')}'), or if it really is not secret (or this is a throw-away environment) use EnvSource.fromPlaintextSecret(...)`);
      }
      out.push({ name, value: spec.value });
      continue;
    }
    const from = spec.valueFrom!;
    const ref = from.secretKeyRef ?? from.configMapKeyRef;
    if (ref) {
      const what = from.secretKeyRef ? 'Secret' : 'ConfigMap';
      const nameProblem = checkDns1123Subdomain(value._refName!);
      if (nameProblem) v.fail(`${p} (${what} name)`, value._refName, nameProblem, `pass the name of the ${what}`);
      const keyProblem = checkConfigKey(value._refKey!);
      if (keyProblem) v.fail(`${p} (${what} key)`, value._refKey, keyProblem, `pass a key of the ${what}`);
    } else if (typeof from.fieldRef?.fieldPath !== 'string' || from.fieldRef.fieldPath.length === 0) {
      v.fail(p, from.fieldRef?.fieldPath, 'must name a pod field', 'use a field path such as "metadata.name"');
    }
    out.push({ name, valueFrom: from });
  }
  return out.length > 0 ? out : undefined;
}

/** Checks ports (numbers, names, uniqueness) and renders container ports. @internal */
export function renderPorts(v: Validator, prop: string, ports: PortOptions[] | undefined): k8s.ContainerPort[] | undefined {
  if (ports === undefined) return undefined;
  if (!Array.isArray(ports)) v.fail(prop, ports, 'must be a list', 'pass [{ name: "http", port: 8080 }]');
  const names = new Set<string>();
  const numbers = new Set<string>();
  const out: k8s.ContainerPort[] = [];
  ports.forEach((port, i) => {
    const p = `${prop}[${i}]`;
    const problem = checkPortName(port?.name);
    if (problem) v.fail(`${p}.name`, port?.name, problem, 'use a name like "http" or "mysql"');
    v.integer(`${p}.port`, port.port, 1, 65535, 'use a port between 1 and 65535 (unprivileged containers usually listen above 1024)');
    v.integer(`${p}.servicePort`, port.servicePort, 1, 65535, 'use a port between 1 and 65535');
    const protocol: string = port.protocol ?? 'TCP';
    if (!PROTOCOLS.includes(protocol)) v.fail(`${p}.protocol`, protocol, 'is not a Protocol', 'use Protocol.TCP, UDP or SCTP (cdk8s-plus-28)');
    if (names.has(port.name)) v.fail(`${p}.name`, port.name, 'is used by another port', 'give each port a unique name');
    const key = `${port.port}/${protocol}`;
    if (numbers.has(key)) v.fail(`${p}.port`, port.port, `is declared twice for ${protocol}`, 'declare each port once');
    names.add(port.name);
    numbers.add(key);
    out.push({ name: port.name, containerPort: port.port, protocol: port.protocol });
  });
  return out.length > 0 ? out : undefined;
}

/** Checks an image reference. @internal */
export function checkImage(v: Validator, prop: string, image: string | undefined, allowUnpinned: boolean | undefined): string {
  if (typeof image !== 'string' || image.trim().length === 0) {
    v.fail(prop, image, 'must name a container image', 'pass an image such as "nginxinc/nginx-unprivileged:1.25.3"');
  }
  const ref = parseImage(image);
  if (!ref) v.fail(prop, image, 'is not a valid image reference', 'use [registry/]repository[:tag][@sha256:digest] without spaces');
  if (!isPinnedImage(ref) && !allowUnpinned) {
    v.fail(prop, image, `is not pinned (${ref.tag ? 'tag "latest"' : 'no tag'}): every restart may pull a different build`,
      `pin a version tag or digest, e.g. "${ref.repository}:1.2.3", or set allowUnpinnedImage: true`);
  }
  return image;
}

/** Checks and renders volume mounts; mount paths must be unique within the container. @internal */
export function renderMounts(
  v: Validator, prop: string, mounts: VolumeMountOptions[], volumeNames: ReadonlySet<string>,
): k8s.VolumeMount[] | undefined {
  const paths = new Set<string>();
  const out: k8s.VolumeMount[] = [];
  mounts.forEach((m, i) => {
    const p = `${prop}[${i}]`;
    if (!volumeNames.has(m.volume)) {
      v.missing(`${p}.volume`, m.volume, `is not a volume of this pod (volumes: ${[...volumeNames].join(', ') || 'none'})`, 'mount one of the listed volumes, or declare it in volumes or emptyDirs');
    }
    const pathProblem = checkMountPath(m.mountPath);
    if (pathProblem) v.fail(`${p}.mountPath`, m.mountPath, pathProblem, 'use an absolute path such as "/data"');
    const normalized = m.mountPath.replace(/\/+$/, '') || '/';
    if (paths.has(normalized)) v.fail(`${p}.mountPath`, m.mountPath, 'is already a mount point in this container', 'give each mount its own path');
    paths.add(normalized);
    if (m.subPath !== undefined && (m.subPath.startsWith('/') || m.subPath.split('/').includes('..') || m.subPath.length === 0)) {
      v.fail(`${p}.subPath`, m.subPath, 'must be a relative path without ".."', 'use a relative directory name such as "data"');
    }
    out.push({ name: m.volume, mountPath: m.mountPath, subPath: m.subPath, readOnly: m.readOnly || undefined });
  });
  return out.length > 0 ? out : undefined;
}

/** The container-level part of Pod Security 'restricted'. @internal */
export function restrictedSecurityContext(readOnlyRootFilesystem: boolean): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem,
    runAsNonRoot: true,
  };
}

/** Checks and renders an init container or sidecar. @internal */
export function renderHelperContainer(
  v: Validator, prop: string, spec: ContainerOptions, defaults: ContainerDefaults, allowProbes: boolean,
): k8s.Container {
  const problem = checkDns1123Label(spec?.name);
  if (problem) v.fail(`${prop}.name`, spec?.name, problem, 'use a name like "init-config"');
  const image = spec.image === undefined ? defaults.image : checkImage(v, `${prop}.image`, spec.image, spec.allowUnpinnedImage);
  const ports = renderPorts(v, `${prop}.ports`, spec.ports);
  const firstPort = spec.ports?.[0]?.port;
  if (!allowProbes && (spec.readinessProbe || spec.livenessProbe || spec.startupProbe)) {
    v.fail(`${prop}`, spec.name, 'declares probes, but init containers run to completion and cannot have them', 'remove the probes');
  }
  return {
    name: spec.name,
    image,
    command: spec.command ? [...spec.command] : undefined,
    args: spec.args ? [...spec.args] : undefined,
    workingDir: spec.workingDir,
    env: renderEnv(v, `${prop}.env`, spec.env),
    ports,
    volumeMounts: renderMounts(v, `${prop}.mounts`, spec.mounts ?? [], defaults.volumeNames),
    resources: renderResources(v, `${prop}.resources`, spec.resources, defaults.resources),
    startupProbe: spec.startupProbe?._render(v, `${prop}.startupProbe`, firstPort, false),
    readinessProbe: spec.readinessProbe?._render(v, `${prop}.readinessProbe`, firstPort, true),
    livenessProbe: spec.livenessProbe?._render(v, `${prop}.livenessProbe`, firstPort, false),
    securityContext: restrictedSecurityContext(defaults.readOnlyRootFilesystem),
  };
}
