/**
 * Reading manifests from files, folders and git revisions.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { ManifestError } from './model';
import { isKustomizeFile, isList, missingObjectFields } from './objects';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Manifests read from a git revision. */
export interface RevisionManifests {
  /** The Kubernetes objects (lists flattened). */
  readonly manifests: unknown[];
  /** Files read, as `REV:path` relative to the repository root, in the order read. */
  readonly files: string[];
  /**
   * False when the path did not exist at the revision (or the repository has no commit yet):
   * then `manifests` is empty and every object counts as new.
   */
  readonly existed: boolean;
}

/**
 * Parses the text of one manifest file: multi-document YAML, or JSON. `kind: List` items are flattened,
 * empty documents and kustomization files are skipped.
 *
 * @param text the file content
 * @param source file name used in error messages (a `.json` name selects the JSON parser)
 * @throws ManifestError when the text is not YAML/JSON or a document is not a Kubernetes object
 */
export function parseManifests(text: string, source: string): unknown[] {
  const documents: unknown[] = [];
  if (source.toLowerCase().endsWith('.json')) {
    try {
      documents.push(JSON.parse(text));
    } catch (error) {
      throw new ManifestError(`${source}: not valid JSON: ${firstLine(error)}`);
    }
  } else {
    for (const document of parseAllDocuments(text)) {
      if (document.errors.length > 0) {
        // The library's message is "<reason> at line L, column C:" followed by a code excerpt; keep the first line.
        throw new ManifestError(`${source}: not valid YAML: ${firstLine(document.errors[0]).replace(/:$/, '')}`);
      }
      documents.push(document.toJS({ maxAliasCount: 1000 }));
    }
  }
  const result: unknown[] = [];
  const visit = (value: unknown, where: string): void => {
    if (value === null || value === undefined || isKustomizeFile(value)) {
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${where} item ${i + 1}`));
      return;
    }
    if (isList(value)) {
      value.items.forEach((item, i) => visit(item, `${where} (${String(value.kind)}) item ${i + 1}`));
      return;
    }
    const missing = missingObjectFields(value);
    if (missing !== undefined) {
      throw new ManifestError(`${source}: ${where} is not a Kubernetes object (${missing})`);
    }
    result.push(value);
  };
  documents.forEach((document, i) => visit(document, `document ${i + 1}`));
  return result;
}

/**
 * Reads Kubernetes manifests from a file, or from every `*.yaml`, `*.yml` and `*.json` file under a folder
 * (recursively, in sorted path order; hidden files and folders are skipped).
 *
 * @param manifestPath a file or folder
 * @throws ManifestError when the path is missing or unreadable, or a file is not valid manifests
 */
export function loadManifests(manifestPath: string): unknown[] {
  const stat = statOrThrow(manifestPath);
  if (!stat.isDirectory()) {
    return parseManifests(readOrThrow(manifestPath), manifestPath);
  }
  return listManifestFiles(manifestPath).flatMap((relative) => {
    const file = path.join(manifestPath, relative);
    return parseManifests(readOrThrow(file), file);
  });
}

/** Manifest files under a folder, as sorted `/`-separated relative paths. */
function listManifestFiles(folder: string): string[] {
  const files: string[] = [];
  const walk = (relative: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(folder, relative), { withFileTypes: true });
    } catch (error) {
      throw new ManifestError(`${path.join(folder, relative)}: cannot read folder: ${systemReason(error)}`);
    }
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.name.startsWith('.')) {
        continue;
      }
      // Follow symlinks: a linked folder or file counts like a real one.
      const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && statOrThrow(path.join(folder, child)).isDirectory());
      if (isDirectory) {
        walk(child);
      } else if (hasManifestExtension(entry.name)) {
        files.push(child);
      }
    }
  };
  walk('');
  return files.sort(comparePaths);
}

function hasManifestExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return MANIFEST_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Plain code-point order, so the result does not depend on the locale. */
function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function statOrThrow(file: string): fs.Stats {
  try {
    return fs.statSync(file);
  } catch (error) {
    throw new ManifestError(`${file}: ${systemReason(error)}`);
  }
}

function readOrThrow(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ManifestError(`${file}: cannot read: ${systemReason(error)}`);
  }
}

function systemReason(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return firstLine(error);
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim();
}

/**
 * Reads the manifests under a path as they were committed at a git revision: the path's files are listed
 * with `git ls-tree` and read with `git cat-file`, so the working tree is not touched. The path must exist
 * now (it is the new side of the comparison) and be inside a git repository.
 *
 * @param manifestPath a file or folder inside a git work tree
 * @param revision any commit-ish git understands (`HEAD`, `HEAD~1`, `origin/main`, a sha)
 * @throws ManifestError when the path is missing or outside a repository, the revision is unknown, or a file is not valid manifests
 */
export function loadManifestsAtRevision(manifestPath: string, revision: string): RevisionManifests {
  if (revision === '' || revision.startsWith('-')) {
    throw new ManifestError(`invalid git revision: '${revision}'`);
  }
  const absolute = path.resolve(manifestPath);
  const stat = statOrThrow(manifestPath);
  const folder = stat.isDirectory() ? absolute : path.dirname(absolute);
  let root: string;
  try {
    root = git(['rev-parse', '--show-toplevel'], folder).trim();
  } catch (error) {
    if (error instanceof ManifestError && /not a git repository/i.test(error.message)) {
      throw new ManifestError(`${manifestPath} is not inside a git repository, so --base-ref cannot be used (use --base)`);
    }
    // git missing, or a repository git refuses to use (e.g. "detected dubious ownership"): git's reason says it best.
    throw new ManifestError(error instanceof Error ? error.message : String(error));
  }
  // Both sides through realpath: /tmp may be a symlink (macOS), and git reports the resolved root.
  const relative = path.relative(fs.realpathSync(root), fs.realpathSync(absolute)).split(path.sep).join('/');
  if (relative.startsWith('..')) {
    throw new ManifestError(`${manifestPath} is outside the git repository at ${root}`);
  }

  let commit: string;
  try {
    // `revision` cannot start with '-' (checked above), so it cannot be taken for an option.
    commit = git(['rev-parse', '--verify', '--quiet', `${revision}^{commit}`], root).trim();
  } catch {
    if (revision === 'HEAD' && !hasCommits(root)) {
      // A repository without commits has no old manifests: everything is new (like a first commit).
      return { manifests: [], files: [], existed: false };
    }
    throw new ManifestError(`unknown git revision '${revision}' in ${root}`);
  }

  const listing = git(['ls-tree', '-r', '-z', '--full-tree', commit, ...(relative === '' ? [] : ['--', relative])], root);
  const entries = listing
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      // "<mode> SP <type> SP <object> TAB <path>"
      const tab = line.indexOf('\t');
      const [mode, type, object] = line.slice(0, tab).split(' ');
      return { mode, type, object, file: line.slice(tab + 1) };
    })
    // Blobs only (no submodules), no symlinks (their blob is the link target, not a manifest).
    .filter((e) => e.type === 'blob' && e.mode !== '120000')
    .filter((e) => relative === '' || e.file === relative || e.file.startsWith(`${relative}/`));
  const existed = entries.length > 0;
  const selected = entries
    .filter((e) => {
      if (e.file === relative) {
        return true; // The path itself was a file at that revision: read it whatever its extension.
      }
      const inside = relative === '' ? e.file : e.file.slice(relative.length + 1);
      return hasManifestExtension(inside) && !inside.split('/').some((part) => part.startsWith('.'));
    })
    .sort((a, b) => comparePaths(a.file, b.file));

  const manifests: unknown[] = [];
  const files: string[] = [];
  for (const entry of selected) {
    const source = `${revision}:${entry.file}`;
    manifests.push(...parseManifests(git(['cat-file', 'blob', entry.object], root), source));
    files.push(source);
  }
  return { manifests, files, existed };
}

function hasCommits(root: string): boolean {
  try {
    return git(['rev-list', '-n', '1', '--all'], root).trim() !== '';
  } catch {
    return false;
  }
}

/** Runs git with an argument list (never a shell string) and returns stdout; throws with git's first stderr line. */
function git(args: string[], cwd: string): string {
  try {
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 512 * 1024 * 1024,
      // Deterministic, non-interactive output regardless of the user's setup; paths are never glob patterns.
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_LITERAL_PATHSPECS: '1', LC_ALL: 'C' },
    });
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') {
      throw new ManifestError('git is not installed (or not on PATH), so --base-ref cannot be used');
    }
    const stderr = typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr) : '';
    throw new ManifestError(`git ${args[0]} failed: ${stderr.split('\n')[0].trim() || firstLine(error)}`);
  }
}
