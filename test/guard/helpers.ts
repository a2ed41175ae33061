/**
 * Helpers shared by the guard tests.
 */

/** A finding id without its `@hash` (the part that names rule, object and field). */
export function unbound(id: string): string {
  expect(id).toMatch(/@[0-9a-f]{8}$/);
  return id.replace(/@[0-9a-f]{8}$/, '');
}
