/**
 * Reading manifests from files and folders (git revisions: load-git.ts).
 */
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
export const MAX_SYMLINK_HOPS = 40;

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

export function hasManifestExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return MANIFEST_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

export function statOrThrow(file: string): fs.Stats {
  try {
    return fs.statSync(file);
  } catch (error) {
    throw new ManifestError(`${file}: ${errorCode(error) === 'ENOENT' && isSymlink(file) ? 'broken symlink (its target does not exist)' : systemReason(error)}`);
  }
}

export function realpathOrThrow(file: string): string {
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

export function checkSize(source: string, size: number): void {
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
