/**
 * Runtime type checks of props, for callers the compiler does not check (plain JavaScript, YAML
 * turned into props, `as any`): every prop of the wrong type and every unknown prop fails with the
 * construct, the prop, the value received, the expected type and the fix -- never a TypeError from
 * deep inside, never silently ignored.
 */
import { types } from 'util';
import { Duration, Size } from 'cdk8s';
import { DECLARED, DECLARED_ENUMS } from './declarations.generated';
import { Validator } from './errors';

/** What a prop must be. */
export type Shape =
  | { readonly t: 'string' | 'number' | 'boolean' | 'function' }
  | { readonly t: 'Size' }
  | { readonly t: 'Duration' }
  /** A cdk8s-plus-28 Cpu (duck-typed: its `amount`), so a second copy of cdk8s-plus is accepted. */
  | { readonly t: 'Cpu' }
  | { readonly t: 'enum'; readonly name: string; readonly entries: ReadonlyArray<[string, string]> }
  /** An instance of a class of this library (by constructor, or a duck-typing test). */
  | { readonly t: 'instance'; readonly name: string; readonly test: (v: unknown) => boolean; readonly fix: string | ((v: unknown) => string) }
  | { readonly t: 'object'; readonly name: string; readonly props: { readonly [prop: string]: Shape }; readonly required?: readonly string[] }
  | { readonly t: 'array'; readonly of: Shape }
  /** A map of string keys to values of a shape. */
  | { readonly t: 'map'; readonly of: Shape }
  /** Anything (checked elsewhere, e.g. typed L1 structures passed through). */
  | { readonly t: 'any' };

export const S = {
  string: { t: 'string' } as Shape,
  number: { t: 'number' } as Shape,
  boolean: { t: 'boolean' } as Shape,
  size: { t: 'Size' } as Shape,
  duration: { t: 'Duration' } as Shape,
  cpu: { t: 'Cpu' } as Shape,
  any: { t: 'any' } as Shape,
  stringMap: { t: 'map', of: { t: 'string' } } as Shape,
  strings: { t: 'array', of: { t: 'string' } } as Shape,
  enum: (name: string, values: { [k: string]: string }): Shape => ({ t: 'enum', name, entries: Object.entries(values) }),
  instance: (name: string, test: (v: unknown) => boolean, fix: string | ((v: unknown) => string)): Shape => ({ t: 'instance', name, test, fix }),
  object: (name: string, props: { [prop: string]: Shape }, required: string[] = []): Shape => ({ t: 'object', name, props, required }),
  array: (of: Shape): Shape => ({ t: 'array', of }),
  map: (of: Shape): Shape => ({ t: 'map', of }),
};

const PLAIN: { readonly [type: string]: Shape } = {
  string: S.string, number: S.number, boolean: S.boolean, Size: S.size, Duration: S.duration,
};

/** The shapes of the declared types that are neither plain, nor enums, nor exported interfaces (classes, cdk8s-plus types), by name. */
export type TypeShapes = { readonly [type: string]: Shape };

/**
 * The shape of an exported interface, from its declaration (src/declarations.generated.ts): its
 * props, which are required, and each prop's shape from its declared type -- plain types, enums,
 * lists, string-keyed maps and other exported interfaces are derived; `types` gives the others by
 * type name (it also overrides an interface, e.g. one that classes implement). A type without a
 * shape is a mistake in this library and fails when the shape is made. `selfChecked` names
 * required props whose absence the construct reports itself, with a more specific fix.
 */
export function declaredShape(iface: string, types: TypeShapes = {}, selfChecked: readonly string[] = []): Shape & { t: 'object' } {
  const declared = DECLARED[iface];
  if (!declared) throw new Error(`declaredShape: ${iface} is not an interface src/index.ts exports`);
  const props: { [prop: string]: Shape } = {};
  for (const [prop, d] of Object.entries(declared)) {
    const shape = shapeOfType(d.type, types);
    if (!shape) throw new Error(`declaredShape: ${iface}.${prop} is of type ${d.type}: give its shape`);
    props[prop] = shape;
  }
  const required = Object.keys(declared).filter((prop) => !declared[prop].optional && !selfChecked.includes(prop));
  return { t: 'object', name: iface, props, required };
}

function shapeOfType(type: string, types: TypeShapes): Shape | undefined {
  const map = /^\{ \[\w+: string\]: (.+); \}$/.exec(type);
  if (map) return wrap(shapeOfType(map[1], types), (of) => S.map(of));
  if (type.endsWith('[]')) return wrap(shapeOfType(type.slice(0, -2), types), (of) => S.array(of));
  if (types[type]) return types[type];
  if (PLAIN[type]) return PLAIN[type];
  if (DECLARED_ENUMS[type]) return S.enum(type, DECLARED_ENUMS[type]);
  return DECLARED[type] ? declaredShape(type, types) : undefined;
}

function wrap(of: Shape | undefined, make: (of: Shape) => Shape): Shape | undefined {
  return of && make(of);
}

/**
 * Checks the options object of a static factory (`UpdateStrategy.rollingUpdate({ ... })`) when it
 * is called: errors name the call, e.g. `UpdateStrategy.rollingUpdate(): partiton 2 is invalid:
 * is not a prop of RollingUpdateOptions (...). Fix: did you mean partition?`.
 */
export function checkOptions(call: string, options: unknown, shape: Shape & { t: 'object' }): void {
  checkProps(new Validator(`${call}()`, ''), options, shape,
    { prop: 'options', fix: `pass { ${Object.keys(shape.props).slice(0, 2).join(', ')} } or nothing` });
}

/** Checks `value` (the prop at `path`) against `shape`; throws with the usual message on the first mismatch. */
export function checkShape(v: Validator, path: string, value: unknown, shape: Shape): void {
  if (value === undefined || shape.t === 'any') return;
  switch (shape.t) {
    case 'string':
      if (typeof value !== 'string') {
        wrongType(v, path, value, 'a string', typeof value === 'number' || typeof value === 'boolean' ? `quote it: "${String(value)}"` : 'pass a string');
      }
      return;
    case 'number':
      if (typeof value !== 'number' || Number.isNaN(value)) {
        wrongType(v, path, value, 'a number',
          typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? `pass the number ${Number(value)} without quotes` : 'pass a number');
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean') wrongType(v, path, value, 'true or false', 'pass true or false (without quotes)');
      return;
    case 'function':
      if (typeof value !== 'function') wrongType(v, path, value, 'a function', 'pass a function');
      return;
    case 'Size':
      if (!(value instanceof Size) && !isDuck(value, 'toKibibytes')) wrongType(v, path, value, 'a cdk8s Size', sizeFix(value));
      return;
    case 'Duration':
      if (!(value instanceof Duration) && !isDuck(value, 'toMilliseconds')) wrongType(v, path, value, 'a cdk8s Duration', durationFix(value));
      return;
    case 'Cpu':
      if (value === null || typeof value !== 'object' || typeof (value as { amount?: unknown }).amount !== 'string') {
        wrongType(v, path, value, 'a cdk8s-plus Cpu',
          typeof value === 'string' ? `use Cpu.millis(${/^\d+m$/.test(value) ? value.slice(0, -1) : '250'}) from cdk8s-plus-28` : 'use Cpu.millis(250) from cdk8s-plus-28');
      }
      return;
    case 'enum':
      checkEnum(v, path, value, shape);
      return;
    case 'instance':
      if (!shape.test(value)) wrongType(v, path, value, `${article(shape.name)} ${shape.name}`, typeof shape.fix === 'function' ? shape.fix(value) : shape.fix);
      return;
    case 'array':
      if (!Array.isArray(value)) wrongType(v, path, value, 'a list', 'pass a list ([...])');
      for (let i = 0; i < (value as unknown[]).length; i++) checkShape(v, `${path}[${i}]`, (value as unknown[])[i], shape.of);
      return;
    case 'map':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) wrongType(v, path, value, 'a map', 'pass { key: value }');
      for (const k of Object.keys(value)) checkShape(v, `${path}.${k}`, (value as { [k: string]: unknown })[k], shape.of);
      return;
    case 'object':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        wrongType(v, path, value, `an object (${shape.name})`, `pass { ${Object.keys(shape.props).slice(0, 3).join(', ')}, ... }`);
      }
      checkMembers(v, `${path}.`, value as { [k: string]: unknown }, shape);
      return;
  }
}

function wrongType(v: Validator, path: string, value: unknown, expected: string, fix: string): never {
  return v.fail(path, value, `must be ${expected} (received ${kindOf(value)})`, fix);
}

function checkEnum(v: Validator, path: string, value: unknown, shape: Shape & { t: 'enum' }): void {
  for (const [, x] of shape.entries) if (x === value) return;
  const values = shape.entries.map(([, x]) => x);
  const close = typeof value === 'string' ? closest(value, values) : undefined;
  const [key] = shape.entries.find(([, x]) => x === close) ?? shape.entries[0];
  v.fail(path, value, `is not ${article(shape.name)} ${shape.name} (one of ${values.map((x) => JSON.stringify(x)).join(', ')})`,
    `use ${shape.name}.${key}${close ? ` (${JSON.stringify(close)})` : ''}`);
}

/**
 * The members of an object: only known keys, the required ones, each of its shape, in this order.
 * `prefix` is the object's path and a dot (empty for a props object itself). Each member is read once,
 * in declaration order, and only those that may be set are read: the check runs for every construct,
 * and most props are not set.
 */
function checkMembers(v: Validator, prefix: string, value: { [k: string]: unknown }, shape: Shape & { t: 'object' }): void {
  checkKnownKeys(v, prefix, value, shape);
  for (const req of shape.required ?? []) {
    if (value[req] === undefined) v.fail(`${prefix}${req}`, undefined, `is required (${shape.name})`, `set ${req}`);
  }
  for (const k of declaredKeysOf(value, shape)) {
    const member = value[k];
    if (member !== undefined) checkShape(v, `${prefix}${k}`, member, shape.props[k]);
  }
}

/** Each object shape's props in declaration order, and each one's place in it. */
const declarations = new WeakMap<object, { readonly keys: readonly string[]; readonly place: ReadonlyMap<string, number> }>();

/**
 * The declared props `value` may hold, in declaration order (the order errors come in): a plain object's
 * own properties (non-enumerable ones too), which are all it has; for anything else (a class instance
 * with getters, an object with another prototype, a Proxy) every declared prop. (A prop someone put on
 * Object.prototype itself is not looked for.) No value is read here.
 */
function declaredKeysOf(value: object, shape: Shape & { t: 'object' }): readonly string[] {
  let declared = declarations.get(shape);
  if (!declared) {
    const keys = Object.keys(shape.props);
    declarations.set(shape, declared = { keys, place: new Map(keys.map((k, i) => [k, i])) });
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || types.isProxy(value)) return declared.keys;
  const { place } = declared;
  const own: string[] = [];
  let inOrder = true;
  let previous = -1;
  for (const k of Object.getOwnPropertyNames(value)) {
    const at = place.get(k);
    if (at === undefined) continue;
    if (at < previous) inOrder = false;
    previous = at;
    own.push(k);
  }
  return inOrder ? own : own.sort((a, b) => place.get(a)! - place.get(b)!);
}

/**
 * Checks a props (or options) object itself: an object, only known props, the required ones, each
 * of its shape. `notObject` names the argument and the fix when it is not an object at all.
 */
export function checkProps(v: Validator, props: unknown, shape: Shape & { t: 'object' },
  notObject = { prop: 'props', fix: 'pass { ... } as the third argument' }): void {
  if (props === undefined) props = {};
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    v.fail(notObject.prop, props, `must be an object (${shape.name})`, notObject.fix);
  }
  checkMembers(v, '', props as { [k: string]: unknown }, shape);
}

function checkKnownKeys(v: Validator, prefix: string, value: object, shape: { name: string; props: { readonly [p: string]: Shape } }): void {
  for (const key of Object.keys(value)) {
    if (key.startsWith('_') || Object.prototype.hasOwnProperty.call(shape.props, key)) continue;
    const known = Object.keys(shape.props);
    const close = closest(key, known);
    v.fail(`${prefix}${key}`, (value as { [k: string]: unknown })[key], `is not a prop of ${shape.name} (known: ${known.join(', ')})`,
      close ? `did you mean ${close}?` : 'remove it');
  }
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}

function isDuck(value: unknown, method: string): boolean {
  return value !== null && typeof value === 'object' && typeof (value as { [k: string]: unknown })[method] === 'function';
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
    return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
  }
  return `a ${typeof value}`;
}

/** The Size the value most likely meant ("10Gi", "10G", 10, 10737418240), as the fix to write. */
function sizeFix(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 2 ** 20) {
    const gi = value / 2 ** 30;
    return `use Size.${Number.isInteger(gi) ? `gibibytes(${gi})` : `mebibytes(${Math.ceil(value / 2 ** 20)})`} (a bare number is bytes to Kubernetes)`;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) {
    return `use Size.gibibytes(${value}) if you meant ${value} GiB (a number carries no unit), or Size.mebibytes(${value}) for MiB`;
  }
  const m = typeof value === 'string' ? /^(\d+)\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)(B?)$/.exec(value.trim()) : null;
  if (!m) return 'use Size.gibibytes(1), or Size.mebibytes/tebibytes';
  const amount = Number(m[1]);
  const letter = m[2][0].toUpperCase();
  const power = ' KMGT'.indexOf(letter);
  const unit = ['', 'kibibytes', 'mebibytes', 'gibibytes', 'tebibytes'][power];
  if (m[2].endsWith('i')) return `use Size.${unit}(${amount})`;
  const more = Math.round((1.024 ** power - 1) * 100);
  return `use Size.${unit}(${amount}) ("${m.input}" is ${amount} × 10^${3 * power} bytes; a Size counts in powers of 2: `
    + `${amount} ${letter}i is ${more}% more)`;
}

/** The Duration the value most likely meant ("60s", "5m", 60), as the fix to write. */
function durationFix(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return `use Duration.seconds(${value}) if you meant seconds (a number carries no unit)`;
  const m = typeof value === 'string' ? /^(\d+)\s*(ms|s|m|h)$/.exec(value.trim()) : null;
  const unit: { [u: string]: string } = { ms: 'millis', s: 'seconds', m: 'minutes', h: 'hours' };
  return m ? `use Duration.${unit[m[2]]}(${m[1]})` : 'use Duration.seconds(30), or Duration.minutes/millis';
}

/** The closest candidate by edit distance (case-insensitive), when it is close enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) { best = c; bestDistance = d; }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
