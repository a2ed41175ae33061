/**
 * restore.sh's and prune.sh's text-level helpers, run for real under bash: they decide which backup a point-in-time
 * restore starts from before any mysqld is at hand (GTID membership and overlap, including tagged GTIDs), place a
 * time target (RFC 3339 to microseconds), and which archive records the prune job may delete (GTID subsets). A
 * wrong answer here picks a backup after the point, merges histories, or deletes a record a restore needs.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const SCRIPTS = path.join(__dirname, '../../../src/mysql/scripts');
const U = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const V = '4e11fa47-71ca-11e1-9e33-c80aa9429562';

/** Runs one helper of restore.sh (taken out of the file as written) with `args`; its status and output. */
function helper(name: string, ...args: string[]): { status: number | null; out: string; err: string } {
  return helperOf('restore.sh', name, ...args);
}

function helperOf(script: string, name: string, ...args: string[]): { status: number | null; out: string; err: string } {
  // (with the awk functions a helper shares, GTID_AWK, when the script has them)
  const program = `set -euo pipefail
die() { echo "ERROR: $*" >&2; exit 1; }
eval "$(sed -n "/^GTID_AWK='/,/^  }'$/p" "$0")"
eval "$(sed -n '/^${name}() {/,/^}/p' "$0")"
${name} "$@"`;
  const r = spawnSync('bash', ['-c', program, path.join(SCRIPTS, script), ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

describe('restore.sh: GTID sets in text', () => {
  test.each([
    [`${U}:5`, `${U}:1-4:6-9`, false],
    [`${U}:7`, `${U}:1-4:6-9,${V}:1`, true],
    [`${V}:1`, `${U}:1-4:6-9,${V}:1`, true],
    [`${V}:2`, `${U}:1-4:6-9,${V}:1`, false],
    [`${U}:tag:3`, `${U}:1-10:tag:1-2`, false],
    [`${U}:tag:2`, `${U}:1-10:tag:1-2`, true],
    [`${U}:12`, '', false],
  ])('gtid_in_set %s in %s: %s', (gtid, set, inside) => {
    expect(helper('gtid_in_set', gtid, set).status).toBe(inside ? 0 : 1);
  });

  test.each([
    [`${U}:1-5`, `${U}:6-9,${V}:1`, false],
    [`${U}:1-5`, `${U}:5-9`, true],
    [`${U}:7,${V}:1-3`, `${V}:3:9`, true],
    [`${U}:1-5:tag:1`, `${U}:tag:2-3`, false],
    ['', `${U}:5-9`, false],
  ])('gtid_sets_overlap %s and %s: %s', (a, b, overlap) => {
    expect(helper('gtid_sets_overlap', a, b).status).toBe(overlap ? 0 : 1);
  });

  test.each([
    [`${U}:1-5`, `${U}:1-9`, true],
    [`${U}:1-5`, `${U}:1-2:3-4:5-9`, true],
    [`${U}:1-5`, `${U}:1-2:4-9`, false],
    [`${U}:3-7`, `${U}:6-9:1-5`, true],
    [`${U}:10`, `${U}:1-9`, false],
    [`${U}:1-3,${V}:2`, `${V}:1-3,${U}:1-100`, true],
    [`${V}:2`, `${U}:1-100`, false],
    [`${U}:tag:2`, `${U}:1-10`, false],
    [`${U}:tag:2`, `${U}:1-10:tag:1-2`, true],
    [`${U}:1-5:tag:1`, `${U}:1-5`, false],
    ['', `${U}:1-5`, true],
    [`${U}:1`, '', false],
    [`${U}:1-3,
${V}:1`, `${U}:1-3,${V}:1`, true],
  ])('prune.sh gtid_subset %s of %s: %s', (a, b, subset) => {
    expect(helperOf('prune.sh', 'gtid_subset', a, b).status).toBe(subset ? 0 : 1);
  });

  test.each([
    [`${U}:5-9:1-3,${U}:4`, `${U}:1-9`],
    [`${U}:1-3,${V}:7,${U}:10-12`, `${U}:1-3:10-12,${V}:7`],
    [`${U}:1-5,${U}:tag:2,${U}:3-8,${U}:tag:1`, `${U}:1-8,${U}:tag:1-2`],
    [`${U}:1,${U}:1,${U}:3`, `${U}:1:3`],
    [`${U}:1-3,\n${V}:1-2,${V}:2-5`, `${U}:1-3,${V}:1-5`],
  ])('prune.sh gtid_normalize %s: %s', (set, normal) => {
    expect(helperOf('prune.sh', 'gtid_normalize', set).out).toBe(normal);
  });

  test('prune.sh gtid_subset ends on numbers beyond 2^53 (awk\'s doubles)', () => {
    expect(helperOf('prune.sh', 'gtid_subset', `${U}:9007199254740990-9007199254740999`, `${U}:1-9007199254740999`).status).toBe(0);
  });

  test('gtid_count: every range of every server', () => {
    expect(helper('gtid_count', `${U}:1-5:7,${V}:3`).out).toBe('7');
    expect(helper('gtid_count', '').out).toBe('0');
  });
});

describe('restore.sh: time targets', () => {
  test('to_us: microseconds since the epoch, fractions padded', () => {
    expect(helper('to_us', '2026-12-07T10:15:00Z').out).toBe(`${Date.UTC(2026, 11, 7, 10, 15) / 1000}000000`);
    expect(helper('to_us', '2026-12-07T10:15:00.25Z').out).toBe(`${Date.UTC(2026, 11, 7, 10, 15) / 1000}250000`);
    expect(helper('to_us', '2026-12-07T10:15:00.123456Z').out).toBe(`${Date.UTC(2026, 11, 7, 10, 15) / 1000}123456`);
  });

  test.each(['2026-02-30T10:00:00Z', '2026-12-07 10:15:00', '2026-12-07T10:15:00+01:00', '2026-12-07T10:15:00.1234567Z'])('to_us refuses %s', (t) => {
    const r = helper('to_us', t);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^ERROR: '.*' is not a (UTC time in RFC 3339|time that exists)/);
  });
});
