/**
 * `npm run bench`: synthesis time and peak RSS of our constructs against raw cdk8s ApiObjects that
 * emit the identical YAML (the floor) and against the closest cdk8s-plus-28 equivalent.
 *
 * Every measurement is a fresh child process (no JIT or heap carried over), the three
 * implementations alternate within each round, and the report shows medians. Usage:
 *   npm run bench -- [--repeat 5] [--sizes 200,1000] [--growth 2000] [--kinds web,mysql]
 *                    [--layouts per-chart,one-chart] [--no-plus]
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { AppKind, buildOurs, buildPlus, buildRaw, buildTyped, chartFor } from './apps';

type Impl = 'ours' | 'raw' | 'typed' | 'plus';
type Layout = 'per-chart' | 'one-chart';

interface Sample {
  /** Wall time of construction plus app.synth(). */
  readonly wallMs: number;
  /** Peak RSS of the process (modules and inputs included). */
  readonly rssMb: number;
  /** RSS when the clock started: modules loaded, inputs read. */
  readonly startRssMb: number;
  /** sha256 of the files written. */
  readonly digest: string;
}

// --- worker: one synthesis, measured ------------------------------------------------------------

function worker(impl: Impl, kind: AppKind, layout: Layout, n: number, capture: string | undefined): void {
  // Inputs are read before the clock starts: a raw program has its objects as literals.
  const objects = capture ? readCapture(capture) : undefined;
  const outdir = fs.mkdtempSync(path.join(scratchDir(), 'bench-out-'));
  // Module loading is a constant, not a per-app cost: load before the clock starts (reported apart).
  /* eslint-disable @typescript-eslint/no-require-imports -- a synchronous load before the clock starts is the point */
  if (impl === 'ours') require('../lib/index');
  if (impl === 'plus') require('cdk8s-plus-28');
  if (impl === 'typed') require('../lib/kube');
  /* eslint-enable @typescript-eslint/no-require-imports */
  (globalThis as { gc?: () => void }).gc?.();
  const startRssMb = process.memoryUsage().rss / 2 ** 20;
  const t0 = process.hrtime.bigint();
  const app = new App({ outdir });
  const shared = layout === 'one-chart' ? new Chart(app, 'fleet', { namespace: 'fleet' }) : undefined;
  for (let i = 0; i < n; i++) {
    const chart = chartFor(app, shared, i);
    if (impl === 'ours') buildOurs(chart, kind, i);
    else if (impl === 'plus') buildPlus(chart, kind, i);
    else if (impl === 'typed') buildTyped(chart, objects![i], i);
    else buildRaw(chart, objects![i], i);
  }
  app.synth();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(outdir).sort()) hash.update(file).update(fs.readFileSync(path.join(outdir, file)));
  fs.rmSync(outdir, { recursive: true, force: true });
  const sample: Sample = { wallMs, rssMb, startRssMb, digest: hash.digest('hex') };
  process.stdout.write(JSON.stringify(sample));
}

/** Our objects of every app, as JSON lines, for the raw runs (captured before any timing). */
function capture(kind: AppKind, layout: Layout, n: number, file: string): void {
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < n; i++) {
    // One small app per app: the JSON of app i depends only on i and its chart's namespace.
    const app = new App({ outdir: scratchDir() });
    const chart = layout === 'one-chart' ? new Chart(app, 'fleet', { namespace: 'fleet' }) : chartFor(app, undefined, i);
    buildOurs(chart, kind, i);
    fs.writeSync(fd, `${JSON.stringify(chart.toJson())}\n`);
  }
  fs.closeSync(fd);
}

/**
 * Reads the captured apps line by line, so the peak RSS of a raw run never holds the whole file
 * (maxRSS is a lifetime peak), and shares long strings (scripts, config files) between apps the
 * way a program with those strings as constants would, and as our constructs do.
 */
function readCapture(file: string): unknown[][] {
  const apps: unknown[][] = [];
  const interned = new Map<string, string>();
  const intern = (_key: string, value: unknown) => {
    if (typeof value !== 'string' || value.length < 256) return value;
    const known = interned.get(value);
    if (known !== undefined) return known;
    interned.set(value, value);
    return value;
  };
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.alloc(1 << 20);
  let pending = '';
  for (let read = fs.readSync(fd, buffer); read > 0; read = fs.readSync(fd, buffer)) {
    const lines = (pending + buffer.toString('utf8', 0, read)).split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line) apps.push(JSON.parse(line, intern) as unknown[]);
  }
  fs.closeSync(fd);
  if (pending) apps.push(JSON.parse(pending, intern) as unknown[]);
  return apps;
}

function scratchDir(): string {
  // tmpfs when there is one: the benchmark measures synthesis, not the disk.
  return fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
}

type Case = { kind: AppKind; layout: Layout; n: number; impls: Impl[] };

/** The budgets: ours against the raw floor per layout, and (web only) against cdk8s-plus. */
const TIME_BUDGET: { readonly [layout in Layout]: number } = { 'per-chart': 1.3, 'one-chart': 1.15 };
const RSS_BUDGET = 1.2;

function verdict(c: Case, timeRatio: number, rssRatio: number, plusRatio: number | undefined): string {
  const slowerThanPlus = c.kind === 'web' && plusRatio !== undefined && plusRatio > 1;
  return timeRatio <= TIME_BUDGET[c.layout] && rssRatio <= RSS_BUDGET && !slowerThanPlus ? 'budget met' : 'budget missed';
}

// --- orchestrator -------------------------------------------------------------------------------

interface Options {
  readonly repeat: number;
  readonly sizes: number[];
  readonly growth: number | undefined;
  readonly kinds: AppKind[];
  readonly layouts: Layout[];
  readonly plus: boolean;
}

function parseOptions(argv: string[]): Options {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (flag: string, fallback: string): string[] => (get(flag) ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
  const growth = get('--growth');
  return {
    repeat: Number(get('--repeat') ?? 5),
    sizes: list('--sizes', '200,1000').map(Number),
    growth: growth === '0' ? undefined : Number(growth ?? 2000),
    kinds: list('--kinds', 'web,mysql') as AppKind[],
    layouts: list('--layouts', 'per-chart,one-chart') as Layout[],
    plus: !argv.includes('--no-plus'),
  };
}

function run(args: string[]): Sample {
  const out = execFileSync(process.execPath, [...process.execArgv, __filename, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out) as Sample;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main(argv: string[]): void {
  const opt = parseOptions(argv);
  const work = fs.mkdtempSync(path.join(scratchDir(), 'bench-'));
  const cpus = os.cpus();
  console.log(`cdk8s-stateful benchmark: node ${process.version}, ${os.type()} ${os.release()} ${os.arch()}, `
    + `${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; `
    + `${opt.repeat} rounds, medians; time = wall clock of construct + app.synth(), RSS = peak resident set of the process`);

  const cases: Case[] = [];
  for (const kind of opt.kinds) {
    for (const layout of opt.layouts) {
      for (const n of opt.sizes) cases.push({ kind, layout, n, impls: opt.plus ? ['ours', 'raw', 'typed', 'plus'] : ['ours', 'raw', 'typed'] });
      if (opt.growth && !opt.sizes.includes(opt.growth)) cases.push({ kind, layout, n: opt.growth, impls: ['ours', 'raw'] });
    }
  }
  const samples = new Map<string, Sample[]>();
  const key = (c: Case, impl: Impl) => `${c.kind}/${c.layout}/${c.n}/${impl}`;
  const captures = new Map<string, string>();
  for (const c of cases) {
    const file = path.join(work, `${c.kind}-${c.layout}-${c.n}.jsonl`);
    execFileSync(process.execPath, [...process.execArgv, __filename, '--capture', c.kind, c.layout, String(c.n), file]);
    captures.set(`${c.kind}/${c.layout}/${c.n}`, file);
  }
  for (let round = 0; round < opt.repeat; round++) {
    for (const c of cases) {
      // Rotate the order each round so no implementation always runs first (or after the slowest).
      const order = c.impls.map((_, i) => c.impls[(i + round) % c.impls.length]);
      for (const impl of order) {
        const args = ['--worker', impl, c.kind, c.layout, String(c.n)];
        if (impl === 'raw' || impl === 'typed') args.push(captures.get(`${c.kind}/${c.layout}/${c.n}`)!);
        const s = run(args);
        samples.set(key(c, impl), [...(samples.get(key(c, impl)) ?? []), s]);
      }
    }
    process.stderr.write(`round ${round + 1}/${opt.repeat} done\n`);
  }
  fs.rmSync(work, { recursive: true, force: true });

  const med = (c: Case, impl: Impl, f: (s: Sample) => number) => median((samples.get(key(c, impl)) ?? []).map(f));
  const fmt = (x: number, d = 0) => x.toFixed(d);
  const cell = (c: Case, impl: Impl, f: (s: Sample) => number, width: number) =>
    (c.impls.includes(impl) ? fmt(med(c, impl, f)) : '-').padStart(width);
  const ratio = (c: Case, a: Impl, b: Impl, f: (s: Sample) => number) =>
    (c.impls.includes(a) && c.impls.includes(b) ? `${fmt(med(c, a, f) / med(c, b, f), 2)}x` : '-');
  const wall = (s: Sample) => s.wallMs;
  const rss = (s: Sample) => s.rssMb;
  // What synthesis added to the process: peak RSS minus RSS at the start (modules, inputs).
  const growth = (s: Sample) => s.rssMb - s.startRssMb;
  const header = [
    'app'.padEnd(6), 'layout'.padEnd(9), 'N'.padStart(5),
    'ours'.padStart(8), 'raw'.padStart(7), 'typed'.padStart(7), 'plus'.padStart(7), '|',
    'ours'.padStart(5), 'raw'.padStart(5), 'typed'.padStart(5), 'plus'.padStart(5), '|',
    'time'.padStart(5), 'RSS'.padStart(5), 'ΔRSS'.padStart(5), '  |', 'time'.padStart(6), '   |', 'time'.padStart(5), 'RSS'.padStart(5),
  ].join(' ');
  console.log(`\n${' '.repeat(23)}time, ms (median)${' '.repeat(15)}| peak RSS, MB (median)   | ours/raw          | typed/raw | ours/plus`);
  console.log(header);
  let failed = 0;
  for (const c of cases) {
    // Every raw and typed run must have written exactly our bytes, or the comparison is void.
    const ours = new Set((samples.get(key(c, 'ours')) ?? []).map((s) => s.digest));
    const replays = [...(samples.get(key(c, 'raw')) ?? []), ...(samples.get(key(c, 'typed')) ?? [])];
    const identical = ours.size === 1 && replays.every((r) => ours.has(r.digest));
    if (!identical) failed++;
    const timeRatio = med(c, 'ours', wall) / med(c, 'raw', wall);
    const rssRatio = med(c, 'ours', rss) / med(c, 'raw', rss);
    const plusRatio = (x: Case) => (x.impls.includes('plus') ? med(x, 'ours', wall) / med(x, 'plus', wall) : undefined);
    const goal = opt.sizes.includes(c.n) ? verdict(c, timeRatio, rssRatio, plusRatio(c)) : '';
    console.log([
      c.kind.padEnd(6), c.layout.padEnd(9), String(c.n).padStart(5),
      cell(c, 'ours', wall, 8), cell(c, 'raw', wall, 7), cell(c, 'typed', wall, 7), cell(c, 'plus', wall, 7), '|',
      cell(c, 'ours', rss, 5), cell(c, 'raw', rss, 5), cell(c, 'typed', rss, 5), cell(c, 'plus', rss, 5), '|',
      ratio(c, 'ours', 'raw', wall).padStart(5), ratio(c, 'ours', 'raw', rss).padStart(5), ratio(c, 'ours', 'raw', growth).padStart(5), '  |',
      ratio(c, 'typed', 'raw', wall).padStart(6), '   |',
      ratio(c, 'ours', 'plus', wall).padStart(5), ratio(c, 'ours', 'plus', rss).padStart(5),
      ' ', goal, identical ? '' : 'OUTPUT DIFFERS FROM OURS',
    ].join(' '));
  }
  if (opt.growth) {
    console.log(`\ngrowth of the time from N=${Math.max(...opt.sizes)} to N=${opt.growth} (x${fmt(opt.growth / Math.max(...opt.sizes), 1)} apps):`);
    for (const kind of opt.kinds) {
      for (const layout of opt.layouts) {
        const at = (n: number, impl: Impl) => {
          const c = cases.find((x) => x.kind === kind && x.layout === layout && x.n === n)!;
          return med(c, impl, (s) => s.wallMs);
        };
        const big = opt.growth;
        const small = Math.max(...opt.sizes);
        console.log(`  ${kind.padEnd(6)} ${layout.padEnd(9)} ours x${fmt(at(big, 'ours') / at(small, 'ours'), 2)}  raw x${fmt(at(big, 'raw') / at(small, 'raw'), 2)}`);
      }
    }
  }
  const startRss = (impl: Impl) => median(cases.filter((c) => c.impls.includes(impl))
    .flatMap((c) => samples.get(key(c, impl)) ?? []).map((s) => s.startRssMb));
  console.log(`\nRSS when the clock starts (modules loaded, inputs read), median over all runs: ours ${fmt(startRss('ours'))} MB, raw ${fmt(startRss('raw'))} MB`
    + `, typed ${fmt(startRss('typed'))} MB${opt.plus ? `, plus ${fmt(startRss('plus'))} MB` : ''}.`);
  console.log('raw: cdk8s ApiObjects replaying our captured output, flat under the chart (the floor; loads cdk8s only).');
  console.log('typed: the same JSON through our typed L1 classes (one-pass serializer) in our tree shape: a construct per app holding its objects.');
  console.log('ΔRSS: peak RSS minus RSS at the start, i.e. what synthesis added (module size left out).');
  console.log('plus: the closest cdk8s-plus-28 equivalent (not identical YAML).');
  console.log(`Budget: ours/raw time <= ${TIME_BUDGET['per-chart']}x (chart per app), <= ${TIME_BUDGET['one-chart']}x (one chart), RSS <= ${RSS_BUDGET}x;`
    + ' web never slower than plus (the mysql plus equivalent emits far less YAML, no scripts: no like-for-like bound).');
  if (failed > 0) process.exitCode = 1;
}

const argv = process.argv.slice(2);
if (argv[0] === '--worker') worker(argv[1] as Impl, argv[2] as AppKind, argv[3] as Layout, Number(argv[4]), argv[5]);
else if (argv[0] === '--capture') capture(argv[1] as AppKind, argv[2] as Layout, Number(argv[3]), argv[4]);
else main(argv);
