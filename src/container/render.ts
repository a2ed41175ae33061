/** How the parts of a container are checked and rendered: ports, image, mounts, security context. */
import { Validator } from '../errors';
import { k8s } from '../kube';
import { checkMountPath, checkPortName, isPinnedImage, parseImage } from '../names';
import { PortOptions, VolumeMountOptions } from './options';

/** The protocols of a container port (cdk8s-plus-28's `Protocol` values). */
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

/** Checks ports (numbers, names, uniqueness) and renders container ports. @internal */
export function renderPorts(v: Validator, prop: string, ports: PortOptions[] | undefined): k8s.ContainerPort[] | undefined {
  if (ports === undefined) return undefined;
  if (!Array.isArray(ports)) v.fail(prop, ports, 'must be a list', 'pass [{ name: "http", port: 8080 }]');
  const taken = { names: new Set<string>(), numbers: new Set<string>() };
  const out: k8s.ContainerPort[] = [];
  ports.forEach((port, i) => {
    checkPort(v, `${prop}[${i}]`, port, taken);
    out.push({ name: port.name, containerPort: port.port, protocol: port.protocol });
  });
  return out.length > 0 ? out : undefined;
}

/** Checks a port, and that neither its name nor its number is in `taken` yet (which it joins). @internal */
export function checkPort(v: Validator, p: string, port: PortOptions, taken: { readonly names: Set<string>; readonly numbers: Set<string> }): void {
  const problem = checkPortName(port?.name);
  if (problem) v.fail(`${p}.name`, port?.name, problem, 'use a name like "http" or "mysql"');
  v.integer(`${p}.port`, port.port, 1, 65535, 'use a port between 1 and 65535 (unprivileged containers usually listen above 1024)');
  v.integer(`${p}.servicePort`, port.servicePort, 1, 65535, 'use a port between 1 and 65535');
  const protocol: string = port.protocol ?? 'TCP';
  if (!PROTOCOLS.includes(protocol)) v.fail(`${p}.protocol`, protocol, 'is not a Protocol', 'use Protocol.TCP, UDP or SCTP (cdk8s-plus-28)');
  if (taken.names.has(port.name)) v.fail(`${p}.name`, port.name, 'is used by another port', 'give each port a unique name');
  const key = `${port.port}/${protocol}`;
  if (taken.numbers.has(key)) v.fail(`${p}.port`, port.port, `is declared twice for ${protocol}`, 'declare each port once');
  taken.names.add(port.name);
  taken.numbers.add(key);
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

/** A mount and how errors name it, when not by its index (`container("web").addMount("/logs")`). @internal */
export interface MountEntry {
  readonly m: VolumeMountOptions;
  readonly prop?: string;
}

/**
 * Checks a mount's own fields, and that its path is not a mount point of the container yet
 * (`paths`, normalized, which it joins). The volume is checked when the pod is rendered. @internal
 */
export function checkMount(v: Validator, p: string, m: VolumeMountOptions, paths: Set<string>): void {
  const pathProblem = checkMountPath(m.mountPath);
  if (pathProblem) v.fail(`${p}.mountPath`, m.mountPath, pathProblem, 'use an absolute path such as "/data"');
  const normalized = normalizeMountPath(m.mountPath);
  if (paths.has(normalized)) v.fail(`${p}.mountPath`, m.mountPath, 'is already a mount point in this container', 'give each mount its own path');
  paths.add(normalized);
  if (m.subPath !== undefined && (m.subPath.startsWith('/') || m.subPath.split('/').includes('..') || m.subPath.length === 0)) {
    v.fail(`${p}.subPath`, m.subPath, 'must be a relative path without ".."', 'use a relative directory name such as "data"');
  }
}

/** A mount path as the container sees it ("/data/" is "/data"). @internal */
export function normalizeMountPath(mountPath: string): string {
  return mountPath.replace(/\/+$/, '') || '/';
}

/**
 * Checks and renders volume mounts; mount paths must be unique within the container. Each volume
 * must be in `volumeNames` (the pod's volumes), unless that is undefined (a container checked on
 * its own, before the pod is complete). @internal
 */
export function renderMounts(
  v: Validator, prop: string, mounts: readonly MountEntry[], volumeNames: ReadonlySet<string> | undefined,
): k8s.VolumeMount[] | undefined {
  const paths = new Set<string>();
  const out: k8s.VolumeMount[] = [];
  mounts.forEach(({ m, prop: own }, i) => {
    const p = own ?? `${prop}[${i}]`;
    if (volumeNames && !volumeNames.has(m.volume)) {
      v.fail(`${p}.volume`, m.volume, `is not a volume of this pod (volumes: ${[...volumeNames].join(', ') || 'none'})`, 'mount one of the listed volumes, or declare it in volumes or emptyDirs');
    }
    checkMount(v, p, m, paths);
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

/** Checks and renders a preStop command as the container's lifecycle. @internal */
export function renderPreStop(v: Validator, prop: string, command: string[] | undefined): k8s.Lifecycle | undefined {
  if (command === undefined) return undefined;
  if (!Array.isArray(command) || command.length === 0 || command.some((c) => typeof c !== 'string' || c.length === 0)) {
    v.fail(prop, command, 'must be a command: a non-empty list of non-empty strings', 'pass e.g. ["sh", "-c", "sleep 5"], or leave preStop out');
  }
  return { preStop: { exec: { command: [...command] } } };
}
