/**
 * Manifests as committed at a git revision, read with git itself (nothing is checked out), following
 * symlinks inside the tree as a checkout would.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { MAX_SYMLINK_HOPS, checkSize, hasManifestExtension, parseManifests, realpathOrThrow, statOrThrow } from './load';
import { ManifestError } from './model';
import { compareText, errorCode, firstLine } from './objects';

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
