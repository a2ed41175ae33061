/**
 * The S3 servers the backup tests write to, and a small S3 client for the tests themselves
 * (docs/e2e-harness.md, "S3 servers"):
 *
 * - gofakes3 (github.com/johannesboyne/gofakes3, MIT): its `fs` backend, no authentication at all
 *   (any signature, or none, is accepted);
 * - versitygw (github.com/versity/versitygw, Apache-2.0): its `posix` backend (a directory per
 *   bucket, metadata in `user.` xattrs), one root account whose AWS SigV4 signatures it checks.
 *
 * Built once and cached by scripts/e2e/s3-servers.sh (static Go binaries). A server is a host
 * process (not in the chroot) in its own process group, listening only on a 127.0.0.0/8 address of
 * the run's network namespace (scripts/e2e/run.sh); its listening sockets are read back from /proc
 * and anything else is refused. `dispose()` stops it by PID: SIGTERM, SIGKILL after 5 s; a server
 * that fails to start is stopped before the error is thrown. MinIO (AGPL-3.0) is never used.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createHash, createHmac } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { assertIsolatedNetwork } from './net';
import { killGroup } from './process';

const REPO = path.resolve(__dirname, '../../..');

/** moto: AWS's STS and IAM too (scripts/e2e/moto.sh); not among S3_KINDS, which every backup scenario runs on. */
export type S3Kind = 'gofakes3' | 'versitygw' | 'moto';
export const S3_KINDS: readonly S3Kind[] = ['gofakes3', 'versitygw'];

let binaries: { [kind in S3Kind]: string } | undefined;

/** Builds (or reuses) both servers with scripts/e2e/s3-servers.sh and returns their binaries. */
export function s3ServerBinaries(): { [kind in S3Kind]: string } {
  if (binaries) return binaries;
  const res = spawnSync('bash', [path.join(REPO, 'scripts/e2e/s3-servers.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (res.status !== 0) throw new Error(`scripts/e2e/s3-servers.sh failed (exit ${res.status}): the backup tests need gofakes3 and versitygw`);
  const found: { [name: string]: string } = {};
  for (const line of res.stdout.split('\n')) {
    const m = /^(\w+)=(.+)$/.exec(line);
    if (m) found[m[1]] = m[2];
  }
  for (const kind of S3_KINDS) {
    if (!found[kind] || !fs.existsSync(found[kind])) throw new Error(`scripts/e2e/s3-servers.sh printed no usable ${kind}= line:\n${res.stdout}`);
  }
  const moto = spawnSync('bash', [path.join(REPO, 'scripts/e2e/moto.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const motoServer = /^moto=(.+)$/m.exec(moto.stdout ?? '')?.[1];
  if (moto.status !== 0 || !motoServer || !fs.existsSync(motoServer)) throw new Error(`scripts/e2e/moto.sh failed (exit ${moto.status}): the ServiceAccount tests need moto`);
  binaries = { gofakes3: found.gofakes3, versitygw: found.versitygw, moto: motoServer };
  return binaries;
}

export interface S3ServerOptions {
  readonly kind: S3Kind;
  /** The bucket the server starts with (gofakes3 `-initialbucket`; versitygw: created through the API). */
  readonly bucket: string;
  /**
   * An address in 127.0.0.0/8 (default 127.0.0.1); with `namespace`, any address of that namespace (a
   * real node's address, which its pods reach).
   */
  readonly host?: string;
  /**
   * The network namespace this process runs in, created and deleted by the suite's own script
   * (default E2E_NETNS, the e2e run's); checked before anything starts.
   */
  readonly namespace?: string;
  /** Default: a free port. */
  readonly port?: number;
  /** The root account (versitygw checks it; gofakes3 ignores every signature). */
  readonly accessKey?: string;
  readonly secretKey?: string;
  /**
   * Where the data (`data/`) and the log (`server.log`) go. Default: a new directory under the run's
   * work root (E2E_WORK_ROOT) or the system temp directory, removed by `dispose()` unless E2E_KEEP is set.
   */
  readonly workDir?: string;
  /** Default 10 s. */
  readonly readyTimeoutMs?: number;
  /**
   * Refuse to start outside the run's network namespace (default true). Only the harness's own
   * tests of this module on the host loopback set it false.
   */
  readonly requireNamespace?: boolean;
}

export const DEFAULT_ACCESS_KEY = 'e2e-access';
export const DEFAULT_SECRET_KEY = 'e2e-secret-Key/with+chars';
/** The region the servers sign for: the harness's server stands in for the manifests' endpoint and region. */
export const S3_SERVER_REGION = 'us-east-1';
const REGION = S3_SERVER_REGION;
const STOP_GRACE_MS = 5000;
const MIB = 1024 * 1024;

// Servers still running when the test process exits (a test that never reached dispose()).
const running = new Set<ChildProcess>();
let exitHook = false;

function exited(proc: ChildProcess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

/** The TCP addresses (`ip:port`) a process listens on, from /proc (its sockets in its network namespace). */
export function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const found: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st ... inode (field 9); st 0A = LISTEN
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9])) continue;
      const [hex, portHex] = f[1].split(':');
      found.push(`${decodeProcAddress(hex)}:${parseInt(portHex, 16)}`);
    }
  }
  return found;
}

/** /proc/net/tcp{,6} addresses: 32-bit words in host (little-endian) byte order. */
function decodeProcAddress(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) bytes.push(parseInt(word.slice(b, b + 2), 16));
  }
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.every((b) => b === 0)) return '::';
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return '::1';
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':');
}

export class S3Server {
  public readonly endpoint: string;
  public readonly logFile: string;
  public readonly dataDir: string;
  private disposed?: Promise<void>;

  constructor(
    public readonly kind: S3Kind,
    public readonly proc: ChildProcess,
    public readonly host: string,
    public readonly port: number,
    public readonly bucket: string,
    public readonly accessKey: string,
    public readonly secretKey: string,
    public readonly workDir: string,
    private readonly ownsWorkDir: boolean,
  ) {
    this.endpoint = `http://${host}:${port}`;
    this.logFile = path.join(workDir, 'server.log');
    this.dataDir = path.join(workDir, 'data');
  }

  public get pid(): number {
    return this.proc.pid!;
  }

  /** A client with the server's account, or with other credentials (a wrong secret, another region). */
  public client(other: { accessKey?: string; secretKey?: string; region?: string } = {}): S3Client {
    return new S3Client(this.endpoint, other.accessKey ?? this.accessKey, other.secretKey ?? this.secretKey, other.region ?? REGION);
  }

  /**
   * moto: the next `count` requests are let through unsigned, every later one must be signed by a known key (an
   * assumed role's with its session token) and allowed by its policy. AssumeRoleWithWebIdentity is unsigned by
   * design, and moto counts it: each pod's first request, its sign-in, is let through so.
   */
  public async allowUnsignedRequests(count: number): Promise<void> {
    if (this.kind !== 'moto') throw new Error(`${this.kind} has no access control to reset`);
    const res = await this.client().request('POST', '/moto-api/reset-auth', { body: Buffer.from(String(count)), headers: { 'Content-Type': 'text/plain' }, unsigned: true });
    if (res.status !== 200) throw new Error(`moto's reset-auth answered ${res.status}: ${res.body.toString('utf8')}`);
  }

  public log(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  public running(): boolean {
    return !exited(this.proc);
  }

  /** SIGTERM to the server's process group, SIGKILL after 5 s; then its work directory is removed if it made it. */
  public dispose(): Promise<void> {
    if (!this.disposed) this.disposed = this.stop();
    return this.disposed;
  }

  private async stop(): Promise<void> {
    const proc = this.proc;
    if (proc.pid !== undefined && !exited(proc)) {
      const gone = new Promise<boolean>((resolve) => proc.once('exit', () => resolve(true)));
      killGroup(proc, 'SIGTERM');
      const kill = setTimeout(() => killGroup(proc, 'SIGKILL'), STOP_GRACE_MS);
      let giveUp: NodeJS.Timeout | undefined;
      const stuck = new Promise<boolean>((resolve) => { giveUp = setTimeout(() => resolve(false), STOP_GRACE_MS + 10_000); });
      const stopped = await Promise.race([gone, stuck]);
      clearTimeout(kill);
      clearTimeout(giveUp);
      if (!stopped) throw new Error(`${this.kind} (pid ${proc.pid}) did not exit 10 s after SIGKILL`);
    }
    // Anything of its group that outlived it.
    if (proc.pid !== undefined) killGroup(proc, 'SIGKILL');
    running.delete(proc);
    if (this.ownsWorkDir && !process.env.E2E_KEEP) fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

/**
 * Starts a server and waits until a signed `GET /` (ListBuckets) answers 200 and its bucket
 * exists; on any failure the server is stopped and the error carries its log.
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const host = options.host ?? '127.0.0.1';
  if ((!isLoopback(host) && options.namespace === undefined) || host.includes(':')) {
    throw new Error(`S3 servers listen only on 127.0.0.0/8 or inside a namespace the suite created, not ${host}`);
  }
  if (options.requireNamespace ?? true) assertIsolatedNetwork(options.namespace);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) throw new Error(`not an S3 bucket name: ${options.bucket}`);
  const binary = s3ServerBinaries()[options.kind];
  const accessKey = options.accessKey ?? DEFAULT_ACCESS_KEY;
  const secretKey = options.secretKey ?? DEFAULT_SECRET_KEY;
  const ownsWorkDir = options.workDir === undefined;
  // The run's work root is removed by scripts/e2e/run.sh at the end, whatever happens.
  const base = process.env.E2E_WORK_ROOT || os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  const workDir = options.workDir ?? fs.mkdtempSync(path.join(base, `s3-${options.kind}-`));
  const dataDir = path.join(workDir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const port = options.port ?? await freePort(host);
  const args = {
    gofakes3: ['-backend', 'fs', '-fs.path', dataDir, '-fs.create', '-host', `${host}:${port}`, '-initialbucket', options.bucket, '-quiet'],
    versitygw: ['--access', accessKey, '--secret', secretKey, '--port', `${host}:${port}`, '--region', REGION, '--quiet', 'posix', dataDir],
    // (in memory; its access control on, but not before allowUnsignedRequests counts down: the set-up goes first)
    moto: ['-H', host, '-p', String(port)],
  }[options.kind];
  const log = fs.openSync(path.join(workDir, 'server.log'), 'a');
  // A clean environment: versitygw reads ROOT_ACCESS_KEY*, VGW_* and more from it.
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: workDir, ...(options.kind === 'moto' ? { INITIAL_NO_AUTH_ACTION_COUNT: '1000000' } : {}) };
  const proc = spawn(binary, args, { env, stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  running.add(proc);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => { for (const p of running) killGroup(p, 'SIGKILL'); });
  }
  proc.on('error', () => undefined);
  const server = new S3Server(options.kind, proc, host, port, options.bucket, accessKey, secretKey, workDir, ownsWorkDir);
  try {
    await waitReady(server, options.readyTimeoutMs ?? 10_000);
    const listening = listeningAddresses(server.pid);
    // Nothing but the address asked for (a loopback one, or one of the suite's own namespace).
    const outside = listening.filter((a) => a !== `${host}:${port}` && !isLoopback(a.slice(0, a.lastIndexOf(':'))));
    if (outside.length > 0 || !listening.includes(`${host}:${port}`)) {
      throw new Error(`${options.kind} listens on ${listening.join(', ') || 'nothing'}; only ${host}:${port} is allowed`);
    }
    if (options.kind !== 'gofakes3') await server.client().createBucket(options.bucket);
    if (!(await server.client().listBuckets()).includes(options.bucket)) throw new Error(`${options.kind} has no bucket ${options.bucket} after its start`);
  } catch (e) {
    // Stopped (and its work directory removed) first; its log read before that.
    const log = server.log();
    await server.dispose();
    throw new Error(`${options.kind} (pid ${server.pid}, ${server.endpoint}) did not start: ${(e as Error).message}\n`
      + `----- its log (${server.logFile}) -----\n${log.slice(-4000)}`, { cause: e });
  }
  return server;
}

async function waitReady(server: S3Server, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const client = server.client();
  for (;;) {
    if (!server.running()) throw new Error(`it exited (${server.proc.exitCode ?? server.proc.signalCode}) before answering GET /`);
    let last: string;
    try {
      const res = await client.request('GET', '/', { timeoutMs: 1000 });
      if (res.status === 200) return;
      last = `HTTP ${res.status} ${res.body.toString('utf8').slice(0, 300)}`;
    } catch (e) {
      last = String(e);
    }
    if (Date.now() > deadline) throw new Error(`GET / did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// --- the client ---------------------------------------------------------------------------------------------

export interface S3Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export class S3Error extends Error {
  constructor(public readonly operation: string, public readonly status: number, public readonly code: string, message: string) {
    super(`${operation}: HTTP ${status} ${code}: ${message}`);
  }
}

export interface S3Object {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (unreserved characters only are left as they are). */
function uriEncode(text: string, keepSlash: boolean): string {
  const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

function xmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' } as { [k: string]: string })[e];
  });
}

/** The text of every `<tag>` element (not nested in another `<tag>`). */
function xmlAll(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]);
}

function xmlOne(xml: string, tag: string): string | undefined {
  const all = xmlAll(xml, tag);
  return all.length ? xmlText(all[0]) : undefined;
}

/**
 * Path-style S3 requests over plain HTTP, signed with AWS SigV4 (header auth, the payload's SHA-256
 * signed). Enough for the tests: buckets, objects, multipart uploads (and listing the open ones), ListObjectsV2.
 */
export class S3Client {
  constructor(
    public readonly endpoint: string,
    public readonly accessKey: string,
    public readonly secretKey: string,
    public readonly region = REGION,
  ) {}

  /** One signed request; `path` is already `/bucket/key` (not encoded). */
  public request(
    method: string,
    objectPath: string,
    options: { query?: { [k: string]: string }; headers?: { [k: string]: string }; body?: Buffer; timeoutMs?: number; unsigned?: boolean } = {},
  ): Promise<S3Response> {
    const url = new URL(this.endpoint);
    const body = options.body ?? Buffer.alloc(0);
    const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const day = now.slice(0, 8);
    const headers: { [k: string]: string } = {
      'host': url.host,
      'x-amz-date': now,
      'x-amz-content-sha256': sha256(body),
      ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    };
    const canonicalPath = uriEncode(objectPath, true);
    const query = Object.entries(options.query ?? {})
      .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    if (!options.unsigned) {
      const names = Object.keys(headers).sort();
      const signedHeaders = names.join(';');
      const canonical = [method, canonicalPath, query, ...names.map((n) => `${n}:${headers[n].trim().replace(/\s+/g, ' ')}`), '', signedHeaders, headers['x-amz-content-sha256']].join('\n');
      const scope = `${day}/${this.region}/s3/aws4_request`;
      const toSign = ['AWS4-HMAC-SHA256', now, scope, sha256(canonical)].join('\n');
      const key = hmac(hmac(hmac(hmac(`AWS4${this.secretKey}`, day), this.region), 's3'), 'aws4_request');
      const signature = createHmac('sha256', key).update(toSign).digest('hex');
      headers.authorization = `AWS4-HMAC-SHA256 Credential=${this.accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    }
    headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: url.hostname, port: Number(url.port), method, path: canonicalPath + (query ? `?${query}` : ''), headers, agent: false,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.setTimeout(options.timeoutMs ?? 60_000, () => req.destroy(new Error(`${method} ${objectPath}: no answer within ${options.timeoutMs ?? 60_000} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  private async expect(operation: string, res: Promise<S3Response>, ok: number[] = [200]): Promise<S3Response> {
    const r = await res;
    if (!ok.includes(r.status)) {
      const text = r.body.toString('utf8');
      throw new S3Error(operation, r.status, xmlOne(text, 'Code') ?? '-', xmlOne(text, 'Message') ?? text.slice(0, 300));
    }
    return r;
  }

  public async listBuckets(): Promise<string[]> {
    const r = await this.expect('ListBuckets', this.request('GET', '/'));
    return xmlAll(r.body.toString('utf8'), 'Bucket').map((b) => xmlOne(b, 'Name')!);
  }

  public async createBucket(bucket: string): Promise<void> {
    await this.expect('CreateBucket', this.request('PUT', `/${bucket}`));
  }

  /** A single PUT with Content-MD5; returns the ETag as the server gives it (quotes included). */
  public async putObject(bucket: string, key: string, body: Buffer): Promise<string> {
    const md5 = createHash('md5').update(body).digest('base64');
    const r = await this.expect('PutObject', this.request('PUT', `/${bucket}/${key}`, { body, headers: { 'content-md5': md5 } }));
    return String(r.headers.etag ?? '');
  }

  /** CreateMultipartUpload, UploadPart (Content-MD5 each), CompleteMultipartUpload; aborted on failure. */
  public async multipartUpload(bucket: string, key: string, body: Buffer, partSize = 5 * MIB): Promise<{ etag: string; partEtags: string[] }> {
    const objectPath = `/${bucket}/${key}`;
    const created = await this.expect('CreateMultipartUpload', this.request('POST', objectPath, { query: { uploads: '' } }));
    const uploadId = xmlOne(created.body.toString('utf8'), 'UploadId');
    if (!uploadId) throw new Error(`CreateMultipartUpload: no UploadId in ${created.body.toString('utf8')}`);
    const partEtags: string[] = [];
    try {
      for (let offset = 0, n = 1; offset < body.length; offset += partSize, n++) {
        const part = body.subarray(offset, Math.min(offset + partSize, body.length));
        const md5 = createHash('md5').update(part).digest('base64');
        const r = await this.expect(`UploadPart ${n}`, this.request('PUT', objectPath, { query: { partNumber: String(n), uploadId }, body: part, headers: { 'content-md5': md5 } }));
        partEtags.push(String(r.headers.etag ?? ''));
      }
      const xml = '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        + partEtags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e.replace(/"/g, '&quot;')}</ETag></Part>`).join('')
        + '</CompleteMultipartUpload>';
      const done = await this.expect('CompleteMultipartUpload', this.request('POST', objectPath, { query: { uploadId }, body: Buffer.from(xml), headers: { 'content-type': 'application/xml' } }));
      // CompleteMultipartUpload can fail with 200 and an <Error> body.
      const text = done.body.toString('utf8');
      if (/<Error>/.test(text)) throw new S3Error('CompleteMultipartUpload', 200, xmlOne(text, 'Code') ?? '-', xmlOne(text, 'Message') ?? text);
      return { etag: xmlOne(text, 'ETag') ?? '', partEtags };
    } catch (e) {
      await this.request('DELETE', objectPath, { query: { uploadId } }).catch(() => undefined);
      throw e;
    }
  }

  public async getObject(bucket: string, key: string): Promise<{ body: Buffer; etag: string }> {
    const r = await this.expect('GetObject', this.request('GET', `/${bucket}/${key}`));
    return { body: r.body, etag: String(r.headers.etag ?? '') };
  }

  /** HEAD: undefined when there is no such object (404). */
  public async headObject(bucket: string, key: string): Promise<{ size: number; etag: string } | undefined> {
    const r = await this.expect('HeadObject', this.request('HEAD', `/${bucket}/${key}`), [200, 404]);
    if (r.status === 404) return undefined;
    return { size: Number(r.headers['content-length']), etag: String(r.headers.etag ?? '') };
  }

  /** ListObjectsV2, every page. */
  public async listObjects(bucket: string, prefix = ''): Promise<S3Object[]> {
    const out: S3Object[] = [];
    let token: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const query: { [k: string]: string } = { 'list-type': '2', prefix };
      if (token) query['continuation-token'] = token;
      const r = await this.expect('ListObjectsV2', this.request('GET', `/${bucket}`, { query }));
      const text = r.body.toString('utf8');
      for (const c of xmlAll(text, 'Contents')) {
        out.push({ key: xmlOne(c, 'Key')!, size: Number(xmlOne(c, 'Size')), etag: xmlOne(c, 'ETag') ?? '', lastModified: xmlOne(c, 'LastModified') ?? '' });
      }
      if (xmlOne(text, 'IsTruncated') !== 'true') return out;
      token = xmlOne(text, 'NextContinuationToken');
      if (!token) throw new Error(`ListObjectsV2 ${bucket}: truncated without a NextContinuationToken`);
    }
    throw new Error(`ListObjectsV2 ${bucket}: more than 1000 pages`);
  }

  /** ListMultipartUploads: the uploads begun and neither completed nor aborted (one page of up to 1000). */
  public async listMultipartUploads(bucket: string, prefix = ''): Promise<Array<{ key: string; uploadId: string }>> {
    const r = await this.expect('ListMultipartUploads', this.request('GET', `/${bucket}`, { query: { uploads: '', prefix } }));
    const text = r.body.toString('utf8');
    if (xmlOne(text, 'IsTruncated') === 'true') throw new Error(`ListMultipartUploads ${bucket}: more than one page of open uploads`);
    return xmlAll(text, 'Upload').map((u) => ({ key: xmlOne(u, 'Key')!, uploadId: xmlOne(u, 'UploadId')! }));
  }

  public async deleteObject(bucket: string, key: string): Promise<void> {
    await this.expect('DeleteObject', this.request('DELETE', `/${bucket}/${key}`), [200, 204]);
  }
}
