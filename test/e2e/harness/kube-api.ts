/**
 * A stand-in for the part of the Kubernetes API the pods call. A real MySQL server cannot show
 * claims, pods or ConfigMaps, so this is the part of the cluster the e2e imitates: it answers
 * over HTTPS (CA in the projected volume), authenticates the pod's bearer token, authorizes
 * every request with the Role/ClusterRole and RoleBinding/ClusterRoleBinding objects of the
 * manifests as RBAC does (API groups, resources, verbs, resourceNames), and serves:
 *
 *   GET   /api/v1/namespaces/{ns}/persistentvolumeclaims[?labelSelector=]   (list)
 *   GET   /api/v1/namespaces/{ns}/persistentvolumeclaims/{name}
 *   PATCH /api/v1/namespaces/{ns}/persistentvolumeclaims/{name}             (metadata.labels/annotations)
 *   GET   /api/v1/namespaces/{ns}/pods/{name}
 *   GET   /api/v1/namespaces/{ns}/configmaps/{name}
 *   PATCH /api/v1/namespaces/{ns}/configmaps/{name}
 *   GET   /apis/apps/v1/namespaces/{ns}/statefulsets/{name}
 *
 * Bodies are compact JSON with fields in the Go structs' order and map keys sorted, followed by a
 * newline, like the real API server's; errors are `Status` objects with the real messages. PATCH
 * takes `application/merge-patch+json` (or strategic-merge-patch+json, which is the same for the
 * maps patched here): a null value deletes a key; a `metadata.resourceVersion` in the patch that is
 * not the current one is a 409 Conflict.
 */
import * as https from 'https';
import { AddressInfo } from 'net';
import { Manifest } from './manifests';

export interface ClaimInfo {
  readonly name: string;
  readonly labels: { [key: string]: string };
}

/** A patch's outcome: the new object, or an API error. */
export type PatchResult = { object: object } | { code: number; reason: string; message: string };

/** One resource kind the stand-in serves. */
export interface ResourceHandler {
  /** API group ('' for the core group). */
  readonly group: string;
  get(namespace: string, name: string): object | undefined;
  /** The list kind and its items (omitted: listing is not served). */
  list?(namespace: string): { kind: string; items: Array<{ metadata: { labels?: { [k: string]: string } } }> };
  /** undefined: no such object. */
  patch?(namespace: string, name: string, patch: any): PatchResult | undefined;
}

export interface KubeApiBackend {
  /** The service account a bearer token was issued to (undefined: unknown token). */
  serviceAccountOf(token: string): { namespace: string; name: string } | undefined;
  /** Role, ClusterRole, RoleBinding and ClusterRoleBinding objects of the manifests. */
  rbacObjects(): Manifest[];
  /** Served resources by plural name (`pods`, `statefulsets`, ...). */
  resources(): { [resource: string]: ResourceHandler };
}

export interface AuditRecord {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly user: string;
  readonly code: number;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A map with its keys sorted, as Go's encoding/json writes maps. */
export function sortedMap<T>(m: { [k: string]: T } | undefined): { [k: string]: T } | undefined {
  if (!m || Object.keys(m).length === 0) return undefined;
  return Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]]));
}

export class KubeApiStandIn {
  /** `METHOD path?query` of every request. */
  public readonly requests: string[] = [];
  /** Every request with the user and the status code answered. */
  public readonly audit: AuditRecord[] = [];
  private server?: https.Server;

  constructor(private readonly backend: KubeApiBackend, private readonly tls: { cert: string; key: string }, public readonly host: string) {}

  public async start(): Promise<number> {
    this.server = https.createServer({ cert: this.tls.cert, key: this.tls.key }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, this.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  public async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private handle(req: import('http').IncomingMessage, res: import('http').ServerResponse): void {
    const url = new URL(req.url ?? '/', `https://${this.host}`);
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${url.pathname}${url.search}`);
    let user = 'system:anonymous';
    const send = (code: number, body: object) => {
      this.audit.push({ at: Date.now(), method, path: `${url.pathname}${url.search}`, user, code });
      if (this.audit.length > 2000) this.audit.shift();
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const sa = token ? this.backend.serviceAccountOf(token.trim()) : undefined;
    if (!sa) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    user = `system:serviceaccount:${sa.namespace}:${sa.name}`;

    const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return send(404, status(404, 'NotFound', 'the server could not find the requested resource', {}));
    const [, group = '', namespace, resource, name] = m;
    const qualified = group ? `${resource}.${group}` : resource;
    const verb = method === 'GET'
      ? (name ? 'get' : url.searchParams.get('watch') === 'true' ? 'watch' : 'list')
      : ({ PATCH: 'patch', PUT: 'update', POST: 'create', DELETE: name ? 'delete' : 'deletecollection' } as { [m: string]: string })[method] ?? method.toLowerCase();
    const details = { ...(name ? { name } : {}), ...(group ? { group } : {}), kind: resource };
    if (!this.allowed(sa, namespace, verb, group, resource, name)) {
      return send(403, status(403, 'Forbidden',
        `${qualified}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${namespace}"`, details));
    }
    const handler = this.backend.resources()[resource];
    const notFound = () => send(404, status(404, 'NotFound', `${qualified} "${name}" not found`, details));
    if (!handler || handler.group !== group) {
      return send(404, status(404, 'NotFound', `the server could not find the requested resource (the e2e's API stand-in does not serve ${qualified})`, {}));
    }
    const notAllowed = () => send(405, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (the e2e's API stand-in does not implement ${verb} ${qualified})`, {}));

    if (method === 'GET' && name) {
      const obj = handler.get(namespace, name);
      return obj ? send(200, obj) : notFound();
    }
    if (method === 'GET' && !name && verb === 'list' && handler.list) {
      let selector: Array<(labels: { [k: string]: string }) => boolean>;
      try {
        selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
      } catch (e) {
        return send(400, status(400, 'BadRequest', `unable to parse requirement: ${String(e)}`));
      }
      const list = handler.list(namespace);
      const items = list.items.filter((i) => selector.every((test) => test(i.metadata.labels ?? {})));
      return send(200, { kind: list.kind, apiVersion: group ? `${group}/v1` : 'v1', metadata: { resourceVersion: String(Date.now()) }, items });
    }
    if (method === 'PATCH' && name && handler.patch) {
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (type !== 'application/merge-patch+json' && type !== 'application/strategic-merge-patch+json') {
        return send(415, status(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json'));
      }
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        let patch: any;
        try {
          patch = JSON.parse(body);
        } catch (e) {
          return send(400, status(400, 'BadRequest', `error decoding patch: ${String(e)}`));
        }
        if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return send(400, status(400, 'BadRequest', 'a merge patch must be a JSON object'));
        const result = handler.patch!(namespace, name, patch);
        if (!result) return notFound();
        if ('object' in result) return send(200, result.object);
        return send(result.code, status(result.code, result.reason, result.message, details));
      });
      return;
    }
    return notAllowed();
  }

  /** RBAC as the API server evaluates a namespaced request. */
  private allowed(sa: { namespace: string; name: string }, namespace: string, verb: string, group: string, resource: string, name?: string): boolean {
    const objects = this.backend.rbacObjects();
    const subjectMatches = (binding: any, bindingNamespace: string) => (binding.subjects ?? []).some((s: any) =>
      (s.kind === 'ServiceAccount' && s.name === sa.name && (s.namespace ?? bindingNamespace) === sa.namespace)
      || (s.kind === 'Group' && ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'].includes(s.name))
      || (s.kind === 'User' && s.name === `system:serviceaccount:${sa.namespace}:${sa.name}`));
    const ruleAllows = (r: any) => {
      const has = (list: string[] | undefined, value: string) => (list ?? []).includes(value) || (list ?? []).includes('*');
      return has(r.apiGroups, group) && has(r.resources, resource) && has(r.verbs, verb)
        // resourceNames restrict requests for one named object; a list never matches them.
        && (r.resourceNames === undefined || r.resourceNames.length === 0 || (name !== undefined && r.resourceNames.includes(name)));
    };
    const rulesOf = (ref: any, bindingNamespace?: string) => {
      const role = objects.find((o) => o.kind === ref?.kind && o.metadata.name === ref?.name
        && (ref.kind === 'ClusterRole' || (o.metadata.namespace ?? bindingNamespace) === bindingNamespace));
      return role?.rules ?? [];
    };
    const viaRoleBindings = objects.filter((o) => o.kind === 'RoleBinding' && (o.metadata.namespace ?? namespace) === namespace)
      .some((b) => subjectMatches(b, namespace) && rulesOf(b.roleRef, namespace).some(ruleAllows));
    const viaClusterBindings = objects.filter((o) => o.kind === 'ClusterRoleBinding')
      .some((b) => subjectMatches(b, '') && rulesOf(b.roleRef).some(ruleAllows));
    return viaRoleBindings || viaClusterBindings;
  }
}

/** A `Status` object as the API server writes it. */
export function status(code: number, reason: string, message: string, details?: object): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** Label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`. */
function parseSelector(selector: string): Array<(labels: { [k: string]: string }) => boolean> {
  const parts = selector.match(/([^,(]+(\([^)]*\))?)/g) ?? [];
  return parts.map((p) => p.trim()).filter(Boolean).map((part) => {
    let m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) {
      const [, key, op, value] = m;
      return op === '!=' ? (l: { [k: string]: string }) => l[key] !== value : (l: { [k: string]: string }) => l[key] === value;
    }
    m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      const [, key, op, list] = m;
      const values = list.split(',').map((v) => v.trim());
      return op === 'in' ? (l: { [k: string]: string }) => key in l && values.includes(l[key]) : (l: { [k: string]: string }) => !(key in l) || !values.includes(l[key]);
    }
    m = /^(!?)([A-Za-z0-9._/-]+)$/.exec(part);
    if (m) {
      const [, not, key] = m;
      return not ? (l: { [k: string]: string }) => !(key in l) : (l: { [k: string]: string }) => key in l;
    }
    throw new Error(`invalid label selector: ${part}`);
  });
}
