/**
 * A small client for the test control plane (scripts/cluster/run.sh passes its address and the admin
 * client certificate in CLUSTER_* variables): plain HTTPS with the client certificate, server-side apply,
 * discovery-based resource paths, polling and watches. No dependency beyond Node.
 */
import { readFileSync } from 'fs';
import * as https from 'https';

/** A Kubernetes object as plain data. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: any };
  [key: string]: any;
};

/** The answer to one request. */
export interface KubeResponse {
  readonly status: number;
  /** Parsed JSON (or the raw text when the answer is not JSON). */
  readonly body: any;
  /** `Warning` headers (Pod Security warnings, deprecations), without the `299 - ` prefix. */
  readonly warnings: string[];
}

/** What the API server said to one apply. */
export interface ApplyResult {
  readonly ok: boolean;
  readonly status: number;
  /** The server's message when refused, '' when accepted. */
  readonly message: string;
  readonly warnings: string[];
  /** The object as stored (or as it would be, for a dry run). */
  readonly object?: KubeObject;
}

interface Resource {
  readonly plural: string;
  readonly namespaced: boolean;
}

/** One event of a watch. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject;
  /** Milliseconds since the watch started. */
  readonly at: number;
}

/** A running watch: its events so far, in order. */
export interface Watch {
  readonly events: WatchEvent[];
  stop(): void;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the cluster suite with 'npm run test:cluster' (scripts/cluster/run.sh), which starts the control plane`);
  }
  return value;
}

function warningsOf(headers: Record<string, string | string[] | undefined>): string[] {
  const raw = headers.warning;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  // `299 - "text"`; several warnings may share one header, separated by commas outside quotes.
  const result: string[] = [];
  for (const header of list) {
    for (const match of header.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)) {
      result.push(match[1].replace(/\\(.)/g, '$1'));
    }
  }
  return result;
}

/** `group/version` → URL prefix: `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
function prefix(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export class Kube {
  /** The client for the control plane of this run (from the CLUSTER_* variables). */
  static fromEnv(): Kube {
    return new Kube(env('CLUSTER_SERVER'), readFileSync(env('CLUSTER_CA')), readFileSync(env('CLUSTER_CERT')), readFileSync(env('CLUSTER_KEY')));
  }

  private readonly agent: https.Agent;
  private readonly url: URL;
  private readonly resources = new Map<string, Map<string, Resource>>();

  constructor(server: string, ca: Buffer, cert: Buffer, key: Buffer) {
    this.url = new URL(server);
    this.agent = new https.Agent({ ca, cert, key, keepAlive: true, maxSockets: 16 });
  }

  /** Closes idle connections (call in afterAll so jest can exit). */
  close(): void {
    this.agent.destroy();
  }

  /** One HTTP request; never throws for HTTP errors (look at `status`). */
  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          hostname: this.url.hostname,
          port: this.url.port,
          path,
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(payload !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
          },
          timeout: 30000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, warnings: warningsOf(res.headers) });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30s`)));
      req.on('error', reject);
      if (payload !== undefined) {
        req.write(payload);
      }
      req.end();
    });
  }

  /** Like `request`, but throws unless the status is 2xx. */
  async ok(method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
    const res = await this.request(method, path, body, contentType);
    if (res.status < 200 || res.status > 299) {
      throw new Error(`${method} ${path}: ${res.status} ${messageOf(res)}`);
    }
    return res.body;
  }

  private async resource(apiVersion: string, kind: string): Promise<Resource> {
    let kinds = this.resources.get(apiVersion);
    if (!kinds || !kinds.has(kind)) {
      // (Re-)discover: a CRD may have been added since the last look.
      const res = await this.request('GET', prefix(apiVersion));
      kinds = new Map();
      if (res.status === 200) {
        for (const r of res.body.resources as Array<{ name: string; kind: string; namespaced: boolean }>) {
          if (!r.name.includes('/')) {
            kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced });
          }
        }
      }
      this.resources.set(apiVersion, kinds);
    }
    const found = kinds.get(kind);
    if (!found) {
      throw new Error(`the API server serves no ${kind} in ${apiVersion} (a CRD missing from scripts/cluster/crds?)`);
    }
    return found;
  }

  /** Whether the server serves this kind (false for a CRD that is not installed). */
  async serves(apiVersion: string, kind: string): Promise<boolean> {
    try {
      await this.resource(apiVersion, kind);
      return true;
    } catch {
      return false;
    }
  }

  /** Whether objects of this kind live in a namespace. */
  async namespaced(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.resource(apiVersion, kind)).namespaced;
  }

  /** The collection URL of a kind (in a namespace, for namespaced kinds). */
  async path(apiVersion: string, kind: string, namespace?: string, name?: string): Promise<string> {
    const r = await this.resource(apiVersion, kind);
    if (r.namespaced && !namespace) {
      throw new Error(`${kind} is namespaced: give a namespace`);
    }
    const ns = r.namespaced ? `/namespaces/${encodeURIComponent(namespace!)}` : '';
    return `${prefix(apiVersion)}${ns}/${r.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
  }

  /**
   * Server-side apply of one object (as GitOps tools do: one field manager, conflicts forced).
   * @param options dryRun: the server runs admission and validation but stores nothing
   */
  async apply(object: KubeObject, options: { dryRun?: boolean; fieldManager?: string } = {}): Promise<ApplyResult> {
    const query = new URLSearchParams({ fieldManager: options.fieldManager ?? 'cdk8s-stateful-test', force: 'true' });
    if (options.dryRun) {
      query.set('dryRun', 'All');
    }
    let path: string;
    try {
      path = await this.path(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name);
    } catch (e) {
      return { ok: false, status: 0, message: (e as Error).message, warnings: [] };
    }
    const res = await this.request('PATCH', `${path}?${query.toString()}`, object, 'application/apply-patch+yaml');
    const ok = res.status >= 200 && res.status <= 299;
    return { ok, status: res.status, message: ok ? '' : messageOf(res), warnings: res.warnings, ...(ok ? { object: res.body } : {}) };
  }

  /** Applies objects in order; throws on the first refusal. */
  async applyAll(objects: KubeObject[], fieldManager?: string): Promise<KubeObject[]> {
    const stored: KubeObject[] = [];
    for (const object of objects) {
      const result = await this.apply(object, { fieldManager });
      if (!result.ok) {
        throw new Error(`apply ${refOf(object)}: ${result.status} ${result.message}`);
      }
      stored.push(result.object!);
    }
    return stored;
  }

  /** Creates an object (POST); throws when refused. */
  async create(object: KubeObject): Promise<KubeObject> {
    const path = await this.path(object.apiVersion, object.kind, object.metadata.namespace);
    return this.ok('POST', path, object);
  }

  /** The object, or undefined when it does not exist. */
  async get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const res = await this.request('GET', await this.path(apiVersion, kind, namespace, name));
    if (res.status === 404) {
      return undefined;
    }
    if (res.status !== 200) {
      throw new Error(`GET ${kind}/${name}: ${res.status} ${messageOf(res)}`);
    }
    return res.body;
  }

  /** Objects of a kind in a namespace (or cluster-wide), optionally by label and field selector. */
  async list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string, fieldSelector?: string): Promise<KubeObject[]> {
    const params = new URLSearchParams();
    if (labelSelector) {
      params.set('labelSelector', labelSelector);
    }
    if (fieldSelector) {
      params.set('fieldSelector', fieldSelector);
    }
    const query = params.size > 0 ? `?${params.toString()}` : '';
    const body = await this.ok('GET', `${await this.path(apiVersion, kind, namespace)}${query}`);
    return body.items as KubeObject[];
  }

  /** JSON merge patch (metadata or spec) of an object. */
  async mergePatch(apiVersion: string, kind: string, namespace: string | undefined, name: string, patch: unknown): Promise<KubeObject> {
    return this.ok('PATCH', await this.path(apiVersion, kind, namespace, name), patch, 'application/merge-patch+json');
  }

  /** Deletes an object; true when it existed. */
  async delete(apiVersion: string, kind: string, namespace: string | undefined, name: string, body?: unknown): Promise<boolean> {
    const res = await this.request('DELETE', await this.path(apiVersion, kind, namespace, name), body);
    if (res.status === 404) {
      return false;
    }
    if (res.status < 200 || res.status > 299) {
      throw new Error(`DELETE ${kind}/${name}: ${res.status} ${messageOf(res)}`);
    }
    return true;
  }

  /**
   * Watches a kind in a namespace from now on; the events are collected in order (the API server delivers
   * the events of one resource type in the order it stored them).
   */
  async watch(apiVersion: string, kind: string, namespace: string, labelSelector?: string): Promise<Watch> {
    const list = await this.ok('GET', `${await this.path(apiVersion, kind, namespace)}${labelSelector ? `?${new URLSearchParams({ labelSelector }).toString()}` : ''}`);
    const query = new URLSearchParams({ watch: '1', resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: 'false' });
    if (labelSelector) {
      query.set('labelSelector', labelSelector);
    }
    const path = `${await this.path(apiVersion, kind, namespace)}?${query.toString()}`;
    const events: WatchEvent[] = [];
    const started = Date.now();
    let stopped = false;
    const req = https.request({ hostname: this.url.hostname, port: this.url.port, path, method: 'GET', agent: false, ca: this.agent.options.ca, cert: this.agent.options.cert, key: this.agent.options.key });
    req.on('response', (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.trim() !== '') {
            const event = JSON.parse(line);
            events.push({ type: event.type, object: event.object, at: Date.now() - started });
          }
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', (e) => {
      if (!stopped) {
        events.push({ type: 'ERROR', object: { apiVersion: 'v1', kind: 'Status', metadata: { name: String(e) } }, at: Date.now() - started });
      }
    });
    req.end();
    return {
      events,
      stop: () => {
        stopped = true;
        req.destroy();
      },
    };
  }
}

/** `Kind/namespace/name`. */
export function refOf(object: KubeObject): string {
  return `${object.kind}/${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}

function messageOf(res: KubeResponse): string {
  if (res.body && typeof res.body === 'object' && typeof res.body.message === 'string') {
    return res.body.message;
  }
  return typeof res.body === 'string' ? res.body.slice(0, 500) : JSON.stringify(res.body);
}

/**
 * Polls `probe` until it returns something other than undefined/false, and returns that; throws after
 * `timeoutMs` with `what` and the last value seen, so a failure says what never happened.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) {
        return value;
      }
      last = value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
