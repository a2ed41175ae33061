/**
 * Stable names, Kubernetes name rules and the recommended label set.
 *
 * Nothing here derives a name from a construct path or adds a hash: StatefulSet names feed PVC
 * names and DNS, so they must survive refactors of the construct tree.
 */

import { Conventions } from './conventions';

/** Label keys of the fixed selector: never derived from the construct path. */
export const LABEL_NAME = Conventions.NAME_LABEL;
/** @internal */
export const LABEL_INSTANCE = Conventions.INSTANCE_LABEL;
/** @internal */
export const LABEL_VERSION = 'app.kubernetes.io/version';
/** @internal */
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
/** @internal */
export const LABEL_PART_OF = 'app.kubernetes.io/part-of';
/** @internal */
export const LABEL_MANAGED_BY = Conventions.MANAGED_BY_LABEL;
/** The value of `app.kubernetes.io/managed-by` on everything this library emits. */
export const MANAGED_BY = Conventions.MANAGED_BY;
/** Label the StatefulSet controller puts on each pod; selects one ordinal. */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';

/**
 * The StatefulSet controller labels every pod with `controller-revision-hash: <name>-<10 chars>`;
 * a label value is at most 63 characters, so a longer name makes every pod creation fail.
 */
export const MAX_STATEFULSET_NAME = 52;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** A DNS-1123 label (volume names, container names): empty string when valid, else the problem. */
export function checkDns1123Label(value: string): string {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > 63) return `must be at most 63 characters (has ${value.length})`;
  if (!DNS1123_LABEL.test(value)) return 'must consist of lower case letters, digits and "-", and start and end with a letter or digit (DNS-1123 label)';
  return '';
}

/** A DNS-1035 label (Service names): like DNS-1123 but must start with a letter. */
export function checkDns1035Label(value: string): string {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > 63) return `must be at most 63 characters (has ${value.length})`;
  if (!DNS1035_LABEL.test(value)) return 'must consist of lower case letters, digits and "-", start with a letter and end with a letter or digit (DNS-1035 label)';
  return '';
}

/** A DNS-1123 subdomain (most object names, Secret and ConfigMap names). */
export function checkDns1123Subdomain(value: string): string {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > 253) return `must be at most 253 characters (has ${value.length})`;
  if (!DNS1123_SUBDOMAIN.test(value)) return 'must consist of lower case letters, digits, "-" and ".", and start and end with a letter or digit (DNS-1123 subdomain)';
  return '';
}

/** A StatefulSet name that also names its headless Service and its pods' host names. */
export function checkWorkloadName(value: string): string {
  const problem = checkDns1035Label(value);
  if (problem) return problem;
  if (value.length > MAX_STATEFULSET_NAME) {
    return `must be at most ${MAX_STATEFULSET_NAME} characters (has ${value.length}): the StatefulSet controller appends an 11-character revision hash to it in a pod label limited to 63`;
  }
  return '';
}

/** A port name (IANA_SVC_NAME): at most 15 characters, at least one letter, no double hyphen. */
export function checkPortName(value: string): string {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > 15) return `must be at most 15 characters (has ${value.length})`;
  if (!IANA_SVC_NAME.test(value) || value.includes('--')) return 'must consist of lower case letters, digits and single "-" between them (IANA service name)';
  if (!/[a-z]/.test(value)) return 'must contain at least one letter';
  return '';
}

/** A label or annotation key: optional DNS subdomain prefix and a qualified name. */
export function checkQualifiedKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) return 'must be a non-empty string';
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && checkDns1123Subdomain(prefix)) return `prefix "${prefix}" must be a DNS-1123 subdomain`;
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return 'name part must be 1-63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  }
  return '';
}

/** A label value: at most 63 characters of letters, digits, "-", "_" and ".". */
export function checkLabelValue(value: string): string {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > 63) return `must be at most 63 characters (has ${value.length})`;
  if (!LABEL_VALUE.test(value)) return 'must be empty or consist of letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  return '';
}

/** An environment variable name. */
export function checkEnvName(value: string): string {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (!ENV_VAR_NAME.test(value)) return 'must consist of letters, digits, "_", "-" and ".", and not start with a digit';
  return '';
}

/** A ConfigMap or Secret data key. */
export function checkConfigKey(value: string): string {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > 253) return `must be at most 253 characters (has ${value.length})`;
  if (!CONFIG_KEY.test(value)) return 'must consist of letters, digits, "-", "_" and "."';
  return '';
}

/** An absolute container path without ":" (the kubelet splits on it). */
export function checkMountPath(value: string): string {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (!value.startsWith('/')) return 'must be an absolute path (start with "/")';
  if (value.includes(':')) return 'must not contain ":"';
  if (value.split('/').includes('..')) return 'must not contain ".." segments';
  return '';
}

/** Parsed container image reference. */
export interface ImageReference {
  /** Repository including registry, e.g. `docker.io/library/mysql` or `mysql`. */
  readonly repository: string;
  /** Tag, if any. */
  readonly tag?: string;
  /** Digest (`sha256:...`), if any. */
  readonly digest?: string;
}

/** Splits `registry:5000/path/name:tag@sha256:...` into its parts. Returns undefined when malformed. */
export function parseImage(image: string): ImageReference | undefined {
  if (typeof image !== 'string' || image.length === 0 || /\s/.test(image)) return undefined;
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) return undefined;
  }
  if (rest.length === 0 || !/^[a-zA-Z0-9][a-zA-Z0-9._\-/:]*$/.test(rest) || rest.endsWith('/')) return undefined;
  return { repository: rest, tag, digest };
}

/** True when the image names a fixed build: a digest, or a tag other than `latest`. */
export function isPinnedImage(ref: ImageReference): boolean {
  return ref.digest !== undefined || (ref.tag !== undefined && ref.tag !== 'latest');
}

/** A label-safe version from an image tag, or undefined when the tag can't be a label value. */
export function versionLabelOf(ref: ImageReference): string | undefined {
  if (!ref.tag || ref.tag === 'latest') return undefined;
  return checkLabelValue(ref.tag) ? undefined : ref.tag;
}

/**
 * Per-pod DNS name through the governing Service, e.g. `web-0.web.shop.svc.cluster.local`.
 * Without a namespace it is the short form `web-0.web`, resolvable from the same namespace.
 */
export function podHostName(setName: string, ordinal: number, serviceName: string, namespace: string | undefined, clusterDomain: string): string {
  return `${setName}-${ordinal}.${serviceHostName(serviceName, namespace, clusterDomain)}`;
}

/** DNS name of a Service, fully qualified when the namespace is known. */
export function serviceHostName(serviceName: string, namespace: string | undefined, clusterDomain: string): string {
  return namespace ? `${serviceName}.${namespace}.svc.${clusterDomain}` : serviceName;
}
