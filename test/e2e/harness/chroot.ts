/**
 * The MySQL "image": Debian sid's MySQL 9.7 in a debootstrap chroot (scripts/e2e/mysql-chroot.sh
 * builds it once and caches it outside the clone). A container is a process in its own mount
 * namespace whose root is the chroot, read-only when the pod says so, with the pod's volumes
 * bind-mounted at the paths the YAML names, running as the YAML's uid/gid.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../../..');

/** Builds (or reuses) the chroot and returns its path. */
export function ensureChroot(): string {
  const res = spawnSync('bash', [path.join(REPO, 'scripts/e2e/mysql-chroot.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (res.status !== 0) throw new Error(`scripts/e2e/mysql-chroot.sh failed (exit ${res.status}): the real-MySQL tests need the chroot`);
  const dir = res.stdout.trim().split('\n').pop()!;
  if (!fs.existsSync(path.join(dir, 'usr/sbin/mysqld'))) throw new Error(`no mysqld in ${dir}`);
  return dir;
}

export interface Bind {
  /** Absolute path on the host (inside the chroot tree or not). */
  readonly source: string;
  /** Path inside the container. */
  readonly target: string;
  readonly readOnly: boolean;
}

export interface ContainerSpawn {
  readonly binds: Bind[];
  readonly uid: number;
  readonly gid: number;
  readonly groups: number[];
  readonly env: { [name: string]: string };
  readonly command: string[];
  readonly readOnlyRoot: boolean;
  /** stdout and stderr go here (appended). */
  readonly logFile: string;
  /**
   * A host directory mounted read-only at /etc (a cluster's copy of the image's /etc, with its
   * own hosts, nsswitch.conf and resolv.conf); the image's own /etc when omitted.
   */
  readonly etc?: string;
}

// The mount namespace setup, run by bash before it execs chroot: the same PID becomes the
// container's process (no fork), so signals reach it directly, as the kubelet's would.
const SETUP = `
set -e
root=$1; ro=$2; uid=$3; gid=$4; groups=$5; shift 5
/usr/bin/mount --bind "$root" "$root"
/usr/bin/mount -t proc proc "$root/proc"
/usr/bin/mount --rbind /dev "$root/dev"
# Volumes first: a bind mount inherits the read-only flag of the mount its source is on.
while [ "$1" != -- ]; do
  src=$1; dst=$2; mode=$3; shift 3
  /usr/bin/mount --bind "$src" "$root$dst"
  if [ "$mode" = ro ]; then /usr/bin/mount -o remount,bind,ro "$root$dst"; fi
done
shift
if [ "$ro" = 1 ]; then /usr/bin/mount -o remount,bind,ro "$root"; fi
exec /usr/sbin/chroot --userspec="$uid:$gid" --groups="$groups" "$root" "$@"
`;

export class Chroot {
  constructor(public readonly root: string) {}

  /** Makes sure every mount point exists in the image (created once, as an image would have them). */
  public ensureMountPoints(paths: string[]): void {
    for (const p of paths) fs.mkdirSync(this.resolve(p), { recursive: true });
  }

  /**
   * The host path of a path inside the chroot, following symlinks the way the chroot sees them
   * (Debian's /var/run is a symlink to /run: resolved on the host it would escape the chroot).
   */
  public resolve(inside: string): string {
    const parts = inside.split('/').filter(Boolean);
    let resolved: string[] = [];
    for (let i = 0, hops = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part === '.') continue;
      if (part === '..') { resolved.pop(); continue; }
      const host = path.join(this.root, ...resolved, part);
      let link: string | undefined;
      try {
        if (fs.lstatSync(host).isSymbolicLink()) link = fs.readlinkSync(host);
      } catch {
        // does not exist yet: taken as a directory to create
      }
      if (link === undefined) { resolved.push(part); continue; }
      if (++hops > 40) throw new Error(`too many symlinks resolving ${inside}`);
      const rest = parts.slice(i + 1);
      const target = link.split('/').filter(Boolean);
      if (link.startsWith('/')) resolved = [];
      parts.splice(0, parts.length, ...resolved, ...target, ...rest);
      resolved = [];
      i = -1;
    }
    return path.join(this.root, ...resolved);
  }

  /** Starts a container process in its own process group (so a kill reaches its children). */
  public spawn(c: ContainerSpawn): ChildProcess {
    const out = fs.openSync(c.logFile, 'a');
    const child = spawn('/usr/bin/unshare', this.unshareArgs(c), { env: c.env, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    return child;
  }

  /**
   * Runs a program in the chroot as root: test clients, setup. With `etc`, in its own mount
   * namespace with that /etc (the cluster's DNS); otherwise a plain chroot.
   */
  public run(
    command: string[], input?: string, timeoutMs = 60_000, options: { etc?: string } = {},
  ): { status: number; stdout: string; stderr: string } {
    const res = options.etc
      ? spawnSync('/usr/bin/unshare', this.unshareArgs({ binds: [], uid: 0, gid: 0, groups: [0], command, readOnlyRoot: false, etc: options.etc }),
          { input, encoding: 'utf8', timeout: timeoutMs, env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' } })
      : spawnSync('/usr/sbin/chroot', [this.root, ...command], { input, encoding: 'utf8', timeout: timeoutMs });
    return { status: res.status ?? -1, stdout: res.stdout ?? '', stderr: (res.stderr ?? '') + (res.error ? String(res.error) : '') };
  }

  private unshareArgs(c: Omit<ContainerSpawn, 'logFile' | 'env'>): string[] {
    const args = ['--mount', '--propagation', 'private', '--', 'bash', '-c', SETUP, 'setup',
      this.root, c.readOnlyRoot ? '1' : '0', String(c.uid), String(c.gid), c.groups.join(',') || String(c.gid)];
    // /etc first (the volumes under /etc are mounted on its copy), then the volumes; targets as
    // paths under the root with the chroot's symlinks resolved.
    const binds = [...(c.etc ? [{ source: c.etc, target: '/etc', readOnly: true }] : []), ...c.binds];
    for (const b of binds) args.push(b.source, `/${path.relative(this.root, this.resolve(b.target))}`, b.readOnly ? 'ro' : 'rw');
    args.push('--', ...c.command);
    return args;
  }

  /** The host path of a path inside the chroot. */
  public hostPath(inside: string): string {
    return path.join(this.root, inside);
  }

  /** The path inside the chroot of a host path under it. */
  public insidePath(host: string): string {
    const rel = path.relative(this.root, host);
    if (rel.startsWith('..')) throw new Error(`${host} is not inside the chroot ${this.root}`);
    return `/${rel}`;
  }
}

/** Generates a self-signed CA and a serving certificate for an IP with the host's openssl. */
export function makeServingCert(dir: string, ip: string): { ca: string; cert: string; key: string } {
  fs.mkdirSync(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const q = { stdio: 'ignore' as const };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=e2e-ca', '-keyout', f('ca.key'), '-out', f('ca.crt')], q);
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=kube-apiserver', '-keyout', f('tls.key'), '-out', f('tls.csr')], q);
  fs.writeFileSync(f('ext.cnf'), `subjectAltName=IP:${ip}\n`);
  execFileSync('openssl', ['x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext.cnf'), '-out', f('tls.crt')], q);
  return { ca: fs.readFileSync(f('ca.crt'), 'utf8'), cert: fs.readFileSync(f('tls.crt'), 'utf8'), key: fs.readFileSync(f('tls.key'), 'utf8') };
}
