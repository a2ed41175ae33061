#!/usr/bin/env node
/**
 * `cdk8s-stateful` command line. Thin on purpose: parse arguments, call the guard, print.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ManifestError, checkUpgrade, formatFindings, formatFindingsJson, loadManifests, loadManifestsAtRevision } from './index';
import { kubernetesMinor } from './draft';
import { errorCode } from './objects';

/** Where the CLI writes; `process.stdout` / `process.stderr` fit. */
export interface CliIo {
  /** Findings and help text. */
  readonly stdout: { write(text: string): unknown };
  /** Errors (one line) and notes. */
  readonly stderr: { write(text: string): unknown };
}

/** The text printed by `--help`. */
export const USAGE = `Usage: cdk8s-stateful check [options] --base OLD NEW
       cdk8s-stateful check [options] --base-ref REV NEW
       cdk8s-stateful --version

Compares Kubernetes manifests before (OLD) and after (NEW) a change and reports changes that the API
server refuses for existing objects (immutable StatefulSet, Service, StorageClass, PVC, Job and
selector fields) or that strand or delete data (renamed, moved or removed StatefulSets, scale-in that
deletes PVCs, renamed claim templates).

OLD and NEW are files or folders of manifests (*.yaml, *.yml, *.json; folders are read recursively).

Options:
  --base OLD           the manifests before the change
  --base-ref REV       take the manifests before the change from git: NEW's files as committed at REV
                       (pull request: "$(git merge-base origin/main HEAD)"; after a merge: HEAD~1);
                       when NEW did not exist at REV, every object is new. A shallow clone (CI) needs
                       the history of REV (actions/checkout: fetch-depth: 0)
  --accept ID          accept a reviewed blocking finding (repeatable); it is reported as a warning.
                       The printed id ends in @hash, binding it to that change; without @hash it
                       accepts any change of that field (a note says so)
  --accept-file FILE   read ids to accept from FILE: one per line, # starts a comment
  --namespace NS       namespace of objects whose manifest sets none (the GitOps target namespace);
                       without it, an object whose namespace is set on one side only warns
  --kubernetes-version V
                       the oldest Kubernetes version the manifests are applied to (e.g. 1.33 or
                       v1.34.4): changes that only older API servers refuse then pass; without it,
                       they block and the finding says from which version they are accepted
  --format text|json   output format (default: text)
  -h, --help           show this help
  -V, --version        print the version of cdk8s-stateful

Exit codes: 0 safe to apply (warnings may be printed), 1 a finding blocks, 2 usage error or unreadable input.
`;

class UsageError extends Error {}

interface CheckArgs {
  readonly base?: string;
  readonly baseRef?: string;
  readonly target: string;
  readonly accept: string[];
  readonly acceptFiles: string[];
  readonly namespace?: string;
  readonly kubernetesVersion?: string;
  readonly format: 'text' | 'json';
}

const VALUE_OPTIONS = new Set(['--base', '--base-ref', '--accept', '--accept-file', '--namespace', '--kubernetes-version', '--format']);

/** Parses `check` arguments; returns 'help' for -h/--help. */
function parseCheckArgs(args: string[]): CheckArgs | 'help' {
  if (args.some((a) => a === '-h' || a === '--help')) {
    return 'help';
  }
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUE_OPTIONS.has(name)) {
      throw new UsageError(`unknown option ${name}`);
    }
    let value: string | undefined;
    if (name !== arg) {
      value = arg.slice(eq + 1);
    } else if (i + 1 < args.length && !args[i + 1].startsWith('--')) {
      value = args[++i];
    }
    if (value === undefined || value === '') {
      // `--base-ref "$(git merge-base origin/main HEAD)"` is empty when the clone lacks the history.
      const hint = name === '--base-ref' && value === ''
        ? ' (an empty revision: did `git merge-base` find no common commit? A shallow clone needs more history: actions/checkout fetch-depth: 0, or git fetch --unshallow)'
        : '';
      throw new UsageError(`${name} needs a value${hint}`);
    }
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  const single = (name: string): string | undefined => {
    const list = values.get(name) ?? [];
    if (list.length > 1) {
      throw new UsageError(`${name} given more than once`);
    }
    return list[0];
  };
  const base = single('--base');
  const baseRef = single('--base-ref');
  const format = single('--format') ?? 'text';
  if (base !== undefined && baseRef !== undefined) {
    throw new UsageError('give either --base OLD or --base-ref REV, not both');
  }
  if (base === undefined && baseRef === undefined) {
    throw new UsageError('missing --base OLD (or --base-ref REV)');
  }
  if (format !== 'text' && format !== 'json') {
    throw new UsageError(`--format must be text or json, not '${format}'`);
  }
  const kubernetesVersion = single('--kubernetes-version');
  if (kubernetesVersion !== undefined) {
    try {
      kubernetesMinor(kubernetesVersion);
    } catch {
      throw new UsageError(`--kubernetes-version must be a Kubernetes 1.x version such as 1.33 or v1.34.4, not '${kubernetesVersion}'`);
    }
  }
  if (positionals.length === 0) {
    throw new UsageError('missing NEW: the file or folder with the new manifests');
  }
  if (positionals.length > 1) {
    throw new UsageError(`expected one NEW path, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  return {
    base,
    baseRef,
    target: positionals[0],
    accept: values.get('--accept') ?? [],
    acceptFiles: values.get('--accept-file') ?? [],
    namespace: single('--namespace'),
    kubernetesVersion,
    format,
  };
}

/** Ids from an accept file: one per line; `#` starts a comment; blank lines are ignored. */
function readAcceptFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ManifestError(`--accept-file ${file}: ${errorCode(error) === 'ENOENT' ? 'no such file' : 'cannot read it'}`);
  }
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
}

function runCheck(args: CheckArgs, io: CliIo): number {
  const newManifests = loadManifests(args.target);
  let oldManifests: unknown[];
  if (args.baseRef !== undefined) {
    const atRevision = loadManifestsAtRevision(args.target, args.baseRef);
    if (!atRevision.existed) {
      io.stderr.write(`cdk8s-stateful: note: ${args.target} did not exist at ${args.baseRef}: every object is new\n`);
    }
    oldManifests = atRevision.manifests;
  } else {
    oldManifests = loadManifests(args.base ?? '');
  }
  const accept = [...args.accept, ...args.acceptFiles.flatMap(readAcceptFile)];
  const result = checkUpgrade(oldManifests, newManifests, { accept, namespace: args.namespace, kubernetesVersion: args.kubernetesVersion });
  io.stdout.write(args.format === 'json' ? formatFindingsJson(result) : formatFindings(result));
  return result.blocking ? 1 : 0;
}

/**
 * Runs the CLI and returns the exit code: 0 safe, 1 blocking findings, 2 usage error or unreadable input.
 * Never throws: every error becomes one `cdk8s-stateful: error: <reason>` line on stderr.
 *
 * @param argv arguments after the program name, e.g. `['check', '--base', 'old', 'dist']`
 * @param io where to write output
 */
export function main(argv: string[], io: CliIo): number {
  try {
    const [command, ...rest] = argv;
    if (command === undefined) {
      throw new UsageError('missing command (try: cdk8s-stateful check --base OLD NEW)');
    }
    if (command === '-h' || command === '--help' || command === 'help') {
      io.stdout.write(USAGE);
      return 0;
    }
    if (command === '-V' || command === '--version') {
      io.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (command !== 'check') {
      throw new UsageError(`unknown command '${command}' (the only command is check)`);
    }
    const args = parseCheckArgs(rest);
    if (args === 'help') {
      io.stdout.write(USAGE);
      return 0;
    }
    return runCheck(args, io);
  } catch (error) {
    const hint = error instanceof UsageError ? ' (see cdk8s-stateful check --help)' : '';
    const reason = error instanceof UsageError || error instanceof ManifestError ? error.message : `unexpected failure: ${describe(error)}`;
    io.stderr.write(`cdk8s-stateful: error: ${oneLine(reason)}${hint}\n`);
    return 2;
  }
}

/** The version in the package.json beside the compiled module (lib/cli.js) or the source (src/cli.ts). */
function packageVersion(): string {
  const manifest = path.join(__dirname, '..', 'package.json');
  const parsed: unknown = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  const version = typeof parsed === 'object' && parsed !== null && 'version' in parsed ? parsed.version : undefined;
  if (typeof version !== 'string') {
    throw new ManifestError(`${manifest} has no version`);
  }
  return version;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

if (require.main === module) {
  // exitCode instead of process.exit(): lets a piped stdout flush before node exits.
  process.exitCode = main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}
