/** The value of an environment variable, and how env maps are checked and rendered. */
import { checkOptions } from '../check';
import { Validator } from '../errors';
import { k8s } from '../kube';
import { checkConfigKey, checkDns1123Subdomain, checkEnvName } from '../names';
import { shapeOf } from '../shapes';

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

const SECRET_LIKE = /PASSWORD|PASSWD|SECRET|TOKEN|KEY/i;

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

/** Variables the container runtime sets in every container: a script's `$HOME` there is not the main container's. */
const RUNTIME_ENV = new Set(['HOME', 'PATH', 'HOSTNAME', 'TERM']);

/**
 * Refuses a helper container (init container or sidecar) that uses a variable only the main
 * container's env sets: Kubernetes gives each container its own env, so `$(NAME)` stays literal and a
 * script's `$NAME` is empty there (unless the image sets it). Read: command, args, env values, the
 * preStop command and exec probes. @internal
 */
export function checkEnvReferences(v: Validator, prop: string, c: k8s.Container, main: k8s.Container): void {
  const own = new Set((c.env ?? []).map((e) => e.name));
  const mainOnly = (main.env ?? []).map((e) => e.name).filter((n) => !own.has(n));
  if (mainOnly.length === 0) return;
  const probes = [c.readinessProbe, c.livenessProbe, c.startupProbe].flatMap((p) => p?.exec?.command ?? []);
  const texts = [...(c.command ?? []), ...(c.args ?? []), ...(c.env ?? []).map((e) => e.value ?? ''), ...(c.lifecycle?.preStop?.exec?.command ?? []), ...probes]
    .map((t) => t.replace(/\$\$/g, '')); // "$$" is Kubernetes' escape for a literal "$"
  for (const name of mainOnly) {
    const n = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const kubernetes = new RegExp(`\\$\\(${n}\\)`);
    const shell = new RegExp(`\\$(\\{#?${n}[}:#%/^,\\-]|${n}(?![A-Za-z0-9_]))`);
    const used = texts.some((t) => kubernetes.test(t)
      || (!RUNTIME_ENV.has(name) && shell.test(t) && !new RegExp(`(^|[\\s;&|(])${n}=`).test(t)));
    if (used) {
      v.fail(prop, c.name, `uses the variable ${name}, which only the main container's env ("${main.name}") sets: each container has its own env, so it is literal or empty here (unless the image sets it)`,
        `give ${prop} its own ${name} (env: { ${name}: ... }, the same EnvSource as the main container's)`);
    }
  }
}
