/**
 * Kubernetes resource quantities ("1Gi", "1024Mi", "1.5G", "500m", "1e3"), parsed exactly.
 *
 * Values are kept as a fraction of two bigints so that comparisons never suffer from floating
 * point rounding: "1Gi" and "1024Mi" are equal, "1G" (10^9) and "1Gi" (2^30) are not.
 */

/** An exact rational value: numerator / denominator, denominator > 0. */
export interface ParsedQuantity {
  /** Numerator (carries the sign). */
  readonly numerator: bigint;
  /** Denominator, always positive. */
  readonly denominator: bigint;
}

const BINARY_SUFFIXES: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

// Decimal SI suffixes as powers of ten. "E" alone is exa; "1E3" is an exponent (handled below).
const DECIMAL_EXPONENTS: Record<string, number> = {
  'n': -9,
  'u': -6,
  'm': -3,
  '': 0,
  'k': 3,
  'M': 6,
  'G': 9,
  'T': 12,
  'P': 15,
  'E': 18,
};

// Bounds that keep parsing cheap: real quantities have a handful of digits and exponents below 30, while
// "1e999999999" would make a number with a billion digits. Anything beyond is treated as invalid.
const MAX_DIGITS = 64;
const MAX_EXPONENT = 64;

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE]?)$/;

/**
 * Parses a Kubernetes quantity. Numbers (as YAML may produce for `storage: 5`) are accepted too.
 * Returns undefined when the value is not a valid quantity, or has more than 64 digits or an exponent
 * beyond ±64 (uncomparable: callers then compare the text).
 */
export function parseQuantity(value: unknown): ParsedQuantity | undefined {
  let text: string;
  if (typeof value === 'number' && Number.isFinite(value)) {
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return undefined;
  }
  const match = QUANTITY.exec(text);
  if (!match) {
    return undefined;
  }
  const [, sign, digits, suffix] = match;
  if (digits.length > MAX_DIGITS + 1) {
    return undefined;
  }
  const [whole, fraction = ''] = digits.split('.');
  let numerator = BigInt((whole || '0') + fraction);
  let denominator = 10n ** BigInt(fraction.length);
  if (sign === '-') {
    numerator = -numerator;
  }
  let exponent: number;
  if (Object.hasOwn(BINARY_SUFFIXES, suffix)) {
    numerator *= BINARY_SUFFIXES[suffix];
    exponent = 0;
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    exponent = Number(suffix.slice(1));
  } else {
    exponent = DECIMAL_EXPONENTS[suffix];
  }
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > MAX_EXPONENT) {
    return undefined;
  }
  if (exponent >= 0) {
    numerator *= 10n ** BigInt(exponent);
  } else {
    denominator *= 10n ** BigInt(-exponent);
  }
  return { numerator, denominator };
}

/**
 * Compares two quantities numerically: negative when a < b, 0 when equal, positive when a > b.
 * Returns undefined when either side is not a valid quantity.
 */
export function compareQuantities(a: unknown, b: unknown): number | undefined {
  const qa = parseQuantity(a);
  const qb = parseQuantity(b);
  if (!qa || !qb) {
    return undefined;
  }
  const left = qa.numerator * qb.denominator;
  const right = qb.numerator * qa.denominator;
  return left === right ? 0 : left < right ? -1 : 1;
}
