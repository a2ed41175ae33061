/**
 * Reading manifests from files, folders and git revisions.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { ManifestError } from './model';
import { compareText, errorCode, firstLine, flattenObjects } from './objects';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Larger files are refused: generated manifests are far smaller, and reading a huge file would stall CI. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

// Aliases a document may expand; a "billion laughs" document exceeds it and is refused.
const MAX_ALIAS_COUNT = 1000;

// Symlink hops followed before giving up, as the kernel does (ELOOP).
const MAX_SYMLINK_HOPS = 40;

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
 * Parses the text of one manifest file: multi-document YAML (with `<<` merge keys), or JSON. A UTF-8 byte
 * order mark is ignored. `kind: List` items are flattened, empty documents and kustomization files are skipped.
 *
 * @param text the file content
 * @param source file name used in error messages (a `.json` name selects the JSON parser)
 * @throws ManifestError when the text is binary, not YAML/JSON, expands too many aliases, or a document is not a Kubernetes object
 */
export function parseManifests(text: string, source: string): unknown[] {
  const content = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (content.includes('\0')) {
    throw new ManifestError(`${source}: binary file (contains NUL bytes), not YAML or JSON`);
  }
  const documents: unknown[] = [];
  if (source.toLowerCase().endsWith('.json')) {
    try {
      documents.push(JSON.parse(content));
    } catch (error) {
      throw new ManifestError(`${source}: not valid JSON: ${firstLine(error)}`);
    }
  } else {
    // merge: resolve `<<: *defaults` as YAML 1.1 tools (kubectl, Helm) do; YAML 1.2 would keep a literal "<<" key.
    for (const document of parseAllDocuments(content, { merge: true })) {
      if (document.errors.length > 0) {
        // The library's message is "<reason> at line L, column C:" followed by a code excerpt; keep the first line.
        throw new ManifestError(`${source}: not valid YAML: ${firstLine(document.errors[0]).replace(/:$/, '')}`);
      }
      try {
        documents.push(document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
      } catch (error) {
        throw new ManifestError(`${source}: not usable YAML: ${firstLine(error)}`);
      }
    }
  }
  const describe = (p: number[]) => `${source}: document ${p[0] + 1}${p.slice(1).map((i) => ` item ${i + 1}`).join('')}`;
  return flattenObjects(documents, describe);
}

/**
 * Reads Kubernetes manifests from a file, or from every `*.yaml`, `*.yml` and `*.json` file under a folder
 * (recursively, in sorted path order; hidden files and folders are skipped).
 *
 * Symlinks are followed. A broken symlink or a symlink loop under the folder is an error, since it may have
 * pointed at manifests; other non-regular files (FIFOs, sockets, devices) in a folder are skipped.
 *
 * @param manifestPath a file or folder
 * @throws ManifestError when the path is missing, unreadable or not a regular file or folder, a file is larger
 * than 16 MiB, or a file is not valid manifests
 */
export function loadManifests(manifestPath: string): unknown[] {
  const stat = statOrThrow(manifestPath);
  if (stat.isDirectory()) {
    return listManifestFiles(manifestPath).flatMap((file) => parseManifests(readOrThrow(file), file));
  }
  if (!stat.isFile()) {
    throw new ManifestError(`${manifestPath}: not a regular file or folder`);
  }
  return parseManifests(readOrThrow(manifestPath, stat), manifestPath);
}

/** Manifest files under a folder, in sorted relative-path order. */
function listManifestFiles(folder: string): string[] {
  const files: Array<{ relative: string; file: string }> = [];
  // `ancestors` holds the real paths of the folders being walked: a link back to one of them is a loop.
  const walk = (relative: string, ancestors: Set<string>): void => {
    const dir = relative ? path.join(folder, relative) : folder;
    const real = realpathOrThrow(dir);
    if (ancestors.has(real)) {
      throw new ManifestError(`${dir}: symlink loop (links back to ${real})`);
    }
    const inside = new Set(ancestors).add(real);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      throw new ManifestError(`${dir}: cannot read folder: ${systemReason(error)}`);
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) {
        continue;
      }
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      const file = path.join(folder, child);
      // Follow symlinks: a linked folder or file counts like a real one.
      const target = entry.isSymbolicLink() ? statOrThrow(file) : entry;
      if (target.isDirectory()) {
        walk(child, inside);
      } else if (target.isFile() && hasManifestExtension(entry.name)) {
        files.push({ relative: child, file });
      }
      // FIFOs, sockets and devices are skipped: reading a FIFO would block forever.
    }
  };
  walk('', new Set());
  return files.sort((a, b) => compareText(a.relative, b.relative)).map((f) => f.file);
}

function hasManifestExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return MANIFEST_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

function statOrThrow(file: string): fs.Stats {
  try {
    return fs.statSync(file);
  } catch (error) {
    throw new ManifestError(`${file}: ${errorCode(error) === 'ENOENT' && isSymlink(file) ? 'broken symlink (its target does not exist)' : systemReason(error)}`);
  }
}

function realpathOrThrow(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch (error) {
    throw new ManifestError(`${file}: ${systemReason(error)}`);
  }
}

function isSymlink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function readOrThrow(file: string, known?: fs.Stats): string {
  const stat = known ?? statOrThrow(file);
  if (!stat.isFile()) {
    throw new ManifestError(`${file}: not a regular file`);
  }
  checkSize(file, stat.size);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ManifestError(`${file}: cannot read: ${systemReason(error)}`);
  }
}

function checkSize(source: string, size: number): void {
  if (size > MAX_MANIFEST_BYTES) {
    throw new ManifestError(`${source}: ${size} bytes, more than the 16 MiB a manifest file may have`);
  }
}

function systemReason(error: unknown): string {
  switch (errorCode(error)) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'ELOOP':
      return 'symlink loop (too many levels of symbolic links)';
    case 'ENAMETOOLONG':
      return 'path too long';
    default:
      return firstLine(error);
  }
}

/** One entry of a git tree. */
interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly object: string;
  /** Blob size in bytes; -1 for trees and submodules. */
  readonly size: number;
  /** Path from the repository root. */
  readonly file: string;
}

const SYMLINK_MODE = '120000';

/**
 * Reads a commit's tree with git, resolving symlinks the way the file system would at that commit: inside
 * the repository only (a link that leaves it, is absolute, broken or loops is an error, never "absent").
 */
class RevisionTree {
  private readonly entries = new Map<string, TreeEntry | undefined>();
  private readonly listings = new Map<string, TreeEntry[]>();

  constructor(
    private readonly root: string,
    private readonly commit: string,
    /** The revision as the user wrote it, for messages. */
    readonly revision: string,
  ) {}

  /** The entry at a repository path (no symlink in the path resolved), or undefined. */
  entry(file: string): TreeEntry | undefined {
    if (!this.entries.has(file)) {
      const found = this.lsTree(['--', file]).find((e) => e.file === file);
      this.entries.set(file, found);
    }
    return this.entries.get(file);
  }

  /** Every blob under a tree path (recursive; symlinks included, not followed). */
  blobsUnder(tree: string): TreeEntry[] {
    let listing = this.listings.get(tree);
    if (!listing) {
      listing = this.lsTree(['-r', ...(tree === '' ? [] : ['--', tree])]).filter(
        (e) => e.type === 'blob' && (tree === '' || e.file.startsWith(`${tree}/`)),
      );
      this.listings.set(tree, listing);
    }
    return listing;
  }

  /**
   * Resolves symlinks in a repository path, component by component. Returns the real path and its entry
   * (undefined for the root), or undefined when the path does not exist at the commit.
   *
   * @param display the path as the user sees it, for messages
   */
  resolve(file: string, display: string): { file: string; entry?: TreeEntry } | undefined {
    if (file === '') {
      return { file };
    }
    const direct = this.entry(file);
    if (direct && direct.mode !== SYMLINK_MODE) {
      return { file, entry: direct }; // Git stores no entries below a symlink, so no ancestor is one.
    }
    let hops = 0;
    let parts = file.split('/');
    let index = 0;
    while (index < parts.length) {
      const prefix = parts.slice(0, index + 1).join('/');
      const entry = this.entry(prefix);
      if (!entry) {
        return undefined;
      }
      if (entry.mode === SYMLINK_MODE) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new ManifestError(`${this.revision}:${display}: symlink loop`);
        }
        const target = this.read(entry, `${this.revision}:${prefix}`);
        const joined = path.posix.normalize(path.posix.join(path.posix.dirname(prefix), target));
        if (path.posix.isAbsolute(target) || joined === '..' || joined.startsWith('../')) {
          throw new ManifestError(`${this.revision}:${prefix}: symlink to ${target} points outside the repository`);
        }
        parts = [...(joined === '.' ? [] : joined.split('/')), ...parts.slice(index + 1)];
        index = 0;
        if (parts.length === 0) {
          return { file: '' };
        }
        continue;
      }
      if (entry.type !== 'tree' && index < parts.length - 1) {
        return undefined; // A file used as a folder.
      }
      index++;
    }
    const real = parts.join('/');
    return { file: real, entry: this.entry(real) };
  }

  /** A blob's content, refusing blobs larger than MAX_MANIFEST_BYTES. */
  read(entry: TreeEntry, source: string): string {
    checkSize(source, entry.size);
    return git(['cat-file', 'blob', entry.object], this.root);
  }

  private lsTree(args: string[]): TreeEntry[] {
    // -l adds blob sizes; --full-tree makes paths relative to the root whatever the cwd.
    return git(['ls-tree', '-z', '-l', '--full-tree', this.commit, ...args], this.root)
      .split('\0')
      .filter((line) => line !== '')
      .map((line) => {
        // "<mode> SP <type> SP <object> SP+ <size or -> TAB <path>"
        const tab = line.indexOf('\t');
        const [mode, type, object, size] = line.slice(0, tab).split(/ +/);
        return { mode, type, object, size: size === '-' ? -1 : Number(size), file: line.slice(tab + 1) };
      });
  }
}

/**
 * Reads the manifests under a path as they were committed at a git revision: the path's files are listed
 * with `git ls-tree` and read with `git cat-file`, so the working tree is not touched. The path must exist
 * now (it is the new side of the comparison) and be inside a git repository.
 *
 * Symlinks committed at the revision are followed within the repository (a link that leaves the repository,
 * is broken or loops is an error), so a linked file or folder is read like a real one.
 *
 * @param manifestPath a file or folder inside a git work tree
 * @param revision any commit-ish git understands (`HEAD`, `HEAD~1`, `origin/main`, a sha)
 * @throws ManifestError when the path is missing or outside a repository, the revision is unknown, a symlink
 * cannot be followed, or a file is not valid manifests
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
  // The path as written (symlinks in it not resolved: they are resolved at the revision). Only the
  // repository root goes through realpath, so /tmp being a symlink (macOS) does not matter.
  const relative = repositoryPath(root, absolute);
  if (relative === undefined) {
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
    const shallow = isShallow(root) ? ': this clone is shallow: fetch more history (actions/checkout: fetch-depth: 0, or git fetch --unshallow)' : '';
    throw new ManifestError(`unknown git revision '${revision}' in ${root}${shallow}`);
  }

  const tree = new RevisionTree(root, commit, revision);
  const target = tree.resolve(relative, relative);
  if (!target) {
    return { manifests: [], files: [], existed: false };
  }
  const selected: Array<{ shown: string; entry: TreeEntry }> = [];
  if (target.entry && target.entry.type === 'blob') {
    // The path itself was a file at that revision: read it whatever its extension.
    selected.push({ shown: relative, entry: target.entry });
  } else if (!target.entry || target.entry.type === 'tree') {
    collectRevisionFiles(tree, target.file, relative, new Set(), selected);
  } else {
    throw new ManifestError(`${revision}:${relative}: not a file or folder (a submodule?)`);
  }
  selected.sort((a, b) => compareText(a.shown, b.shown));

  const manifests: unknown[] = [];
  const files: string[] = [];
  for (const { shown, entry } of selected) {
    const source = `${revision}:${shown}`;
    manifests.push(...parseManifests(tree.read(entry, source), source));
    files.push(source);
  }
  return { manifests, files, existed: true };
}

/**
 * `absolute` relative to the repository root as a `/`-separated path, or undefined when outside it. Symlinks
 * below the root are kept (they are resolved at the revision); symlinks above it (/tmp on macOS) are not.
 */
function repositoryPath(root: string, absolute: string): string | undefined {
  const realRoot = realpathOrThrow(root);
  const rest: string[] = [];
  for (let current = absolute; ; current = path.dirname(current)) {
    if (realpathOrUndefined(current) === realRoot) {
      return rest.reverse().join('/');
    }
    if (path.dirname(current) === current) {
      break;
    }
    rest.push(path.basename(current));
  }
  // The path reaches the repository only through a symlink (git resolved it): use the real path.
  const real = realpathOrUndefined(absolute);
  const relative = real === undefined ? '..' : path.relative(realRoot, real);
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative) ? undefined : relative.split(path.sep).join('/');
}

function realpathOrUndefined(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Collects the manifest files under a tree at the revision, following symlinked files and folders.
 *
 * @param real the tree's real repository path
 * @param shown the same folder as the user named it (links not resolved), for sources and sorting
 * @param ancestors real paths of the folders being walked, to detect links back to them
 */
function collectRevisionFiles(
  tree: RevisionTree,
  real: string,
  shown: string,
  ancestors: Set<string>,
  into: Array<{ shown: string; entry: TreeEntry }>,
): void {
  if (ancestors.has(real)) {
    throw new ManifestError(`${tree.revision}:${shown}: symlink loop (links back to ${real || 'the repository root'})`);
  }
  const inside = new Set(ancestors).add(real);
  for (const entry of tree.blobsUnder(real)) {
    const below = real === '' ? entry.file : entry.file.slice(real.length + 1);
    if (below.split('/').some((part) => part.startsWith('.'))) {
      continue;
    }
    const name = shown === '' ? below : `${shown}/${below}`;
    if (entry.mode !== SYMLINK_MODE) {
      if (hasManifestExtension(below)) {
        into.push({ shown: name, entry });
      }
      continue;
    }
    const target = tree.resolve(entry.file, name);
    if (!target) {
      throw new ManifestError(`${tree.revision}:${name}: broken symlink (its target does not exist at ${tree.revision})`);
    }
    if (!target.entry || target.entry.type === 'tree') {
      collectRevisionFiles(tree, target.file, name, inside, into);
    } else if (target.entry.type === 'blob' && hasManifestExtension(below)) {
      into.push({ shown: name, entry: target.entry });
    }
  }
}

function hasCommits(root: string): boolean {
  try {
    return git(['rev-list', '-n', '1', '--all'], root).trim() !== '';
  } catch {
    return false;
  }
}

/** True in a shallow clone (CI checkouts fetch one commit by default), where older revisions are missing. */
function isShallow(root: string): boolean {
  try {
    return git(['rev-parse', '--is-shallow-repository'], root).trim() === 'true';
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
    if (errorCode(error) === 'ENOENT') {
      throw new ManifestError('git is not installed (or not on PATH), so --base-ref cannot be used');
    }
    const stderr = typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr) : '';
    throw new ManifestError(`git ${args[0]} failed: ${stderr.split('\n')[0].trim() || firstLine(error)}`);
  }
}
