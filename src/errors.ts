import { IConstruct } from 'constructs';

/**
 * The one error type of cdk8s-stateful: thrown at construction (or synth) for input that would
 * otherwise produce manifests a cluster refuses or that silently misbehave.
 *
 * The message names the construct (kind and path), the prop, the value received and the fix, e.g.
 * `StatefulApp 'shop/web': replicas -1 is invalid: must be an integer >= 0. Fix: set replicas to 0 or more.`
 *
 * Not part of the jsii (Python, Java, Go) API: jsii cannot model a subclass of the built-in
 * `Error`, and there an error reaches the caller as the language's own exception (Python:
 * `RuntimeError`) carrying this same message, without `constructPath` or `prop`.
 * @jsii ignore
 */
export class StatefulValidationError extends Error {
  /** Construct path of the construct that refused the input. */
  public readonly constructPath: string;
  /** The prop (dotted path, e.g. `volumes[0].size`) that holds the bad value. */
  public readonly prop: string;

  constructor(scope: IConstruct | string, kind: string, prop: string, value: unknown, problem: string, fix: string) {
    const path = typeof scope === 'string' ? scope : scope.node.path;
    // (A factory's options are checked before any construct exists: `kind` is empty, `scope` names the call.)
    const where = kind === '' ? path : `${kind} '${path}'`;
    super(`${where}: ${prop} ${describe(value)} is invalid: ${problem}. Fix: ${fix}`);
    this.name = 'StatefulValidationError';
    this.constructPath = path;
    this.prop = prop;
  }
}

/** Renders a value for an error message, short and unambiguous. */
export function describe(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- last resort (cycles, BigInt): the value's own toString is all there is
    return String(value);
  }
}

/**
 * Binds a construct and its kind so each check reads as one line:
 * `v.fail('replicas', props.replicas, 'must be an integer >= 0', 'set replicas to 0 or more')`.
 * @internal
 */
export class Validator {
  constructor(private readonly scope: IConstruct | string, public readonly kind: string) {}

  /** The construct path errors name. */
  public get path(): string {
    return typeof this.scope === 'string' ? this.scope : this.scope.node.path;
  }

  public fail(prop: string, value: unknown, problem: string, fix: string): never {
    throw new StatefulValidationError(this.scope, this.kind, prop, value, problem, fix);
  }

  public integer(prop: string, value: number | undefined, min: number, max: number, fix: string): void {
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
      this.fail(prop, value, `must be an integer ${range}`, fix);
    }
  }
}

/**
 * The path a construct will have once created as `id` under `scope`, for errors raised before
 * `super()` (constructs that are their own primary ApiObject validate before they exist).
 */
export function futurePath(scope: IConstruct, id: string): string {
  // constructs replaces "/" in ids the same way.
  const safeId = String(id).replace(/[/\n]/g, '--');
  return scope.node.path ? `${scope.node.path}/${safeId}` : safeId;
}
