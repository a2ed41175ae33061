/**
 * Every TypeScript block of README.md and docs/*.md is type-checked against the BUILT library (lib/,
 * through package.json's "types" and "main", as a user's app sees it) and run, and what it builds is
 * synthesized and validated: a README that lies fails the tests. The conventions (README, "Docs are
 * tests"):
 *
 * - a block that creates its own App (`new App(`) is a whole program: it runs as written (its
 *   `app.synth()` writes to a temporary folder);
 * - any other block is a fragment: it runs after a prelude that imports everything (cdk8s, cdk8s-plus-28
 *   as `kplus`, every export of cdk8s-stateful) and creates `app` and `chart` (namespace `shop`); its own
 *   import lines stay and are checked (the prelude leaves those names out); the App is synthesized afterwards;
 * - a line `expr; // 'text'` asserts that the expression's value is that text;
 * - a block whose first line is `// (continued)` is appended to the block before it in the same file;
 * - a block whose first line is `// throws: <regular expression>` must throw an error matching it.
 *
 * Blocks run with the working directory in a sandbox holding copies of dist/ (as `dist` and `old-dist`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import * as ts from 'typescript';
import { Block, prelude, readBlocks } from '../scripts/docs/blocks';
import { Manifest, validateWithKubernetesModels } from './util';

const ROOT = path.join(__dirname, '..');
const FILES = [
  'README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`), 'packages/guard/README.md',
];
/** The packages the blocks import, by name, as a user's app resolves them (their package.json "types" and "main"). */
const PACKAGES: { [name: string]: string } = { 'cdk8s-stateful': '.', 'cdk8s-stateful-guard': 'packages/guard' };

const BLOCKS = FILES.flatMap((f) => readBlocks(path.join(ROOT, f), f));

/** Names exported by the built library, for the fragments' prelude. */
function libraryExports(): string[] {
  const program = ts.createProgram([path.join(ROOT, 'lib', 'index.d.ts')], { skipLibCheck: true });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(path.join(ROOT, 'lib', 'index.d.ts'))!)!;
  return checker.getExportsOfModule(symbol).map((s) => s.name).sort();
}

/**
 * `expr; // 'text'` documents what an expression returns: it becomes an assertion, on the same line
 * so that line numbers stay the README's.
 */
function withAssertions(code: string, where: string): string {
  return code.split('\n').map((line, i) => {
    const m = /^(\s*)([A-Za-z_$][^;]*?);\s*\/\/\s*'([^']*)'/.exec(line);
    if (!m) return line;
    const [, indent, expr, expected] = m;
    const at = JSON.stringify(`${where}:${i + 1}`);
    return `${indent}{ const __v: unknown = (${expr}); if (__v !== ${JSON.stringify(expected)}) throw new Error(\`\${${at}}: ${expr.replace(/[`$\\]/g, '')} is \${JSON.stringify(__v)}, the README says ${expected.replace(/[`$\\]/g, '')}\`); }`;
  }).join('\n');
}

function sourceOf(block: Block, names: string[]): { code: string; offset: number } {
  const body = withAssertions(block.code, `${block.file}:${block.line}`);
  if (!block.fragment) return { code: body, offset: 0 };
  const head = prelude(names, block.code);
  return { code: `${head}\n${body}\n;(globalThis as any).__docsApp = app;\n`, offset: head.split('\n').length };
}

/** A virtual file per block, beside test/ so that node_modules resolves as for the tests. */
const fileName = (b: Block, i: number) => path.join(ROOT, 'test', `.docs-block-${i}-${b.file.replace(/[^a-z0-9]+/gi, '-')}-${b.line}.ts`);

describe('docs: every TypeScript block of README.md and docs/ compiles and synthesizes against the built library', () => {
  let names: string[] = [];
  let diagnostics = new Map<number, string[]>();
  let sandbox = '';

  beforeAll(() => {
    // tsc is incremental: it rewrites only the outputs that changed (a comment-only edit or a checkout that
    // restores the same text rewrites none), so each build stamps lib/.built when it succeeds.
    const stale = Object.values(PACKAGES).flatMap((dir) => listTs(path.join(ROOT, dir, 'src')).filter((f) => {
      const out = path.join(ROOT, dir, 'lib', path.relative(path.join(ROOT, dir, 'src'), f)).replace(/\.ts$/, '.js');
      const stamp = path.join(ROOT, dir, 'lib', '.built');
      return !fs.existsSync(out) || !fs.existsSync(stamp) || fs.statSync(stamp).mtimeMs < fs.statSync(f).mtimeMs;
    }));
    if (stale.length > 0) throw new Error(`lib/ is older than ${path.relative(ROOT, stale[0])}: run \`npm run build\` (npm test does)`);
    names = libraryExports();

    const sources = new Map(BLOCKS.map((b, i) => [fileName(b, i), sourceOf(b, names).code]));
    const options: ts.CompilerOptions = {
      strict: true, target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node'],
      // The library by its package name, resolved through its package.json ("types": lib/index.d.ts), as in a user's app.
      baseUrl: ROOT, paths: Object.fromEntries(Object.entries(PACKAGES).map(([name, dir]) => [name, [dir]])),
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (f, lang, ...rest) => sources.has(f) ? ts.createSourceFile(f, sources.get(f)!, lang) : getSourceFile(f, lang, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (f) => sources.has(f) || fileExists(f);
    const readFile = host.readFile.bind(host);
    host.readFile = (f) => sources.get(f) ?? readFile(f);
    const program = ts.createProgram([...sources.keys()], options, host);
    diagnostics = new Map();
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const index = d.file ? [...sources.keys()].indexOf(d.file.fileName) : -1;
      if (index < 0) throw new Error(`docs: type check failed outside the blocks: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      const block = BLOCKS[index];
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      const at = block.line + 1 + line - sourceOf(block, names).offset;
      const list = diagnostics.get(index) ?? [];
      list.push(`${block.file}:${at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      diagnostics.set(index, list);
    }
    sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-stateful-docs-'));
    fs.cpSync(path.join(ROOT, 'dist'), path.join(sandbox, 'dist'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'dist'), path.join(sandbox, 'old-dist'), { recursive: true });
  }, 120_000);

  afterAll(() => {
    if (sandbox) fs.rmSync(sandbox, { recursive: true, force: true });
  });

  test('there are blocks to test in README.md and docs/', () => {
    expect(BLOCKS.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(3);
    expect(BLOCKS.filter((b) => b.file.startsWith('docs/')).length).toBeGreaterThan(15);
  });

  test.each(BLOCKS.map((b, i) => [`${b.file}:${b.line}${b.fragment ? ' (fragment)' : ''}`, i] as const))('%s', (_title, index) => {
    const block = BLOCKS[index];
    expect(diagnostics.get(index) ?? []).toEqual([]);
    const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true };
    const js = ts.transpileModule(sourceOf(block, names).code, { compilerOptions }).outputText;
    const outdir = fs.mkdtempSync(path.join(sandbox, 'out-'));
    const cwd = process.cwd();
    const previousOutdir = process.env.CDK8S_OUTDIR;
    process.env.CDK8S_OUTDIR = outdir;
    process.chdir(sandbox);
    const g = globalThis as { __docsApp?: { synthYaml(): string } };
    delete g.__docsApp;
    let error: unknown;
    const exitCode = process.exitCode; // a block may set it, as a CLI program would
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the block's own require(), resolved from here
      const req = (id: string): unknown => require(id in PACKAGES ? path.join(ROOT, PACKAGES[id]) : id);
      const mod = { exports: {} };
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- running the README's code is the test
      new Function('require', 'exports', 'module', js)(req, mod.exports, mod);
    } catch (e) {
      error = e;
    } finally {
      process.exitCode = exitCode;
      process.chdir(cwd);
      if (previousOutdir === undefined) delete process.env.CDK8S_OUTDIR; else process.env.CDK8S_OUTDIR = previousOutdir;
    }
    // A fragment's App is synthesized here, inside the same expectation about errors.
    let yaml = '';
    if (error === undefined && block.fragment) {
      try {
        yaml = g.__docsApp!.synthYaml();
      } catch (e) {
        error = e;
      }
    }
    if (block.throws) {
      expect(error).toBeDefined();
      expect(String((error as Error).message ?? error)).toMatch(block.throws);
      return;
    }
    if (error !== undefined) throw error instanceof Error ? error : new Error(JSON.stringify(error));
    if (!block.fragment) yaml = fs.readdirSync(outdir).filter((f) => f.endsWith('.yaml')).map((f) => fs.readFileSync(path.join(outdir, f), 'utf8')).join('\n---\n');
    const objects = parseAllDocuments(yaml).map((d) => d.toJSON()).filter(Boolean) as Manifest[];
    objects.forEach(validateWithKubernetesModels);
    // a program that synthesizes nothing must say why: only the guard's API block does
    if (objects.length === 0) expect(block.code).toMatch(/checkUpgrade/);
  });
});

function listTs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listTs(p) : p.endsWith('.ts') ? [p] : [];
  });
}
