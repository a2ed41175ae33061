import { compareQuantities, parseQuantity } from '../src/quantity';

describe('quantity parser', () => {
  test.each([
    ['1Gi', '1024Mi', 0],
    ['1Gi', '1073741824', 0],
    ['1G', '1000M', 0],
    ['1G', '1Gi', -1],
    ['2Gi', '1Gi', 1],
    ['1.5Gi', '1536Mi', 0],
    ['500m', '0.5', 0],
    ['1e3', '1k', 0],
    ['1E3', '1000', 0],
    ['1E', '1000P', 0], // "E" alone is exa, not an exponent
    ['.5Ki', '512', 0],
    ['100Ti', '102400Gi', 0],
    ['1n', '1000u', -1],
    ['-1', '1', -1],
  ])('GIVEN %s and %s WHEN compared THEN the sign is %d', (a, b, expected) => {
    // WHEN
    const result = compareQuantities(a, b);
    // THEN
    expect(result).toBe(expected);
  });

  test('GIVEN a number from YAML WHEN parsed THEN it equals its string form', () => {
    // GIVEN / WHEN
    const result = compareQuantities(5, '5');
    // THEN
    expect(result).toBe(0);
  });

  test.each(['', 'Gi', '1GB', '1 Gi', '1.2.3', 'ten', '1Ki1'])('GIVEN the invalid quantity %j WHEN parsed THEN undefined', (text) => {
    // WHEN
    const parsed = parseQuantity(text);
    // THEN
    expect(parsed).toBeUndefined();
    expect(compareQuantities(text, '1Gi')).toBeUndefined();
  });

  test.each(['1e999999999', '1e-999999999', '1e999999999Gi', `1${'0'.repeat(100)}`, 1e300])(
    'GIVEN the absurd quantity %j WHEN parsed THEN it is invalid (uncomparable) at once, not a hang or Infinity',
    (value) => {
      // WHEN
      const started = Date.now();
      const parsed = parseQuantity(value);
      // THEN
      expect(parsed).toBeUndefined();
      expect(compareQuantities(value, '1Gi')).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(500);
    },
  );

  test('GIVEN huge quantities WHEN compared THEN the comparison is exact (no float rounding)', () => {
    // GIVEN 2^70 + 1 vs 2^70: beyond double precision
    const big = (1n << 70n).toString();
    const bigPlusOne = ((1n << 70n) + 1n).toString();
    // WHEN / THEN
    expect(compareQuantities(bigPlusOne, big)).toBe(1);
    expect(compareQuantities(big, '1024Ei')).toBe(0);
  });
});
