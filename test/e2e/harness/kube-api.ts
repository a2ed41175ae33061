/**
 * A stand-in for the one API call the pods make: the bootstrap lists the namespace's
 * PersistentVolumeClaims by label selector to learn whether other members' claims exist. A real
 * MySQL server cannot show claims, so this is the part of the cluster the e2e imitates: it
 * answers over HTTPS (CA in the projected volume), checks the pod's bearer token, authorizes the
 * request with the Role and RoleBinding found in the manifests (so a missing or wrong Role fails
 * the e2e as it would fail in a cluster), and lists the claims that exist on disk.
 */
import * as https from 'https';
import { AddressInfo } from 'net';
import { Manifest } from './manifests';

export interface ClaimInfo {
  readonly name: string;
  readonly labels: { [key: string]: string };
}

export interface KubeApiBackend {
  /** The service account a bearer token was issued to (undefined: unknown token). */
  serviceAccountOf(token: string): { namespace: string; name: string } | undefined;
  /** Role and RoleBinding objects of the manifests. */
  rbacObjects(): Manifest[];
  /** Claims that exist now in a namespace. */
  claims(namespace: string): ClaimInfo[];
  /** Sets labels on a claim (a merge patch of metadata.labels); false when it does not exist. */
  labelClaim(namespace: string, name: string, labels: { [key: string]: string }): boolean;
}

export class KubeApiStandIn {
  public readonly requests: string[] = [];
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
    await new Promise<void>(resolve => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private handle(req: import('http').IncomingMessage, res: import('http').ServerResponse): void {
    const send = (code: number, body: object) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', `https://${this.host}`);
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const sa = token ? this.backend.serviceAccountOf(token.trim()) : undefined;
    if (!sa) return send(401, { kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/persistentvolumeclaims(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return send(404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
    const namespace = m[1];
    const forbidden = (verb: string) => send(403, {
      kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403,
      message: `persistentvolumeclaims${m[2] ? ` "${m[2]}"` : ''} is forbidden: User "system:serviceaccount:${sa.namespace}:${sa.name}" cannot ${verb} resource "persistentvolumeclaims" in API group "" in the namespace "${namespace}"`,
    });
    if (req.method === 'PATCH' && m[2]) {
      if (req.headers['content-type'] !== 'application/merge-patch+json') return send(415, { kind: 'Status', code: 415 });
      if (!this.allowed(sa, namespace, 'patch', 'persistentvolumeclaims', m[2])) return forbidden('patch');
      let body = '';
      req.on('data', chunk => { body += chunk; });
      req.on('end', () => {
        const labels = JSON.parse(body)?.metadata?.labels ?? {};
        if (!this.backend.labelClaim(namespace, m[2], labels)) return send(404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
        return send(200, { kind: 'PersistentVolumeClaim', metadata: { name: m[2], namespace, labels } });
      });
      return;
    }
    if (req.method !== 'GET' || m[2]) return send(405, { kind: 'Status', status: 'Failure', reason: 'MethodNotAllowed', code: 405 });
    if (!this.allowed(sa, namespace, 'list', 'persistentvolumeclaims')) {
      return send(403, {
        kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403,
        message: `persistentvolumeclaims is forbidden: User "system:serviceaccount:${sa.namespace}:${sa.name}" cannot list resource "persistentvolumeclaims" in API group "" in the namespace "${namespace}"`,
      });
    }
    const selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
    const items = this.backend.claims(namespace)
      .filter(c => Object.entries(selector).every(([k, v]) => c.labels[k] === v))
      .map(c => ({ metadata: { name: c.name, namespace, labels: c.labels }, status: { phase: 'Bound' } }));
    return send(200, { kind: 'PersistentVolumeClaimList', apiVersion: 'v1', metadata: {}, items });
  }

  /** RBAC as the API server evaluates it for a namespaced request: a RoleBinding in the namespace to a Role that allows it. */
  private allowed(sa: { namespace: string; name: string }, namespace: string, verb: string, resource: string, name?: string): boolean {
    const objects = this.backend.rbacObjects();
    const roles = objects.filter(o => o.kind === 'Role' && (o.metadata.namespace ?? namespace) === namespace);
    return objects.filter(o => o.kind === 'RoleBinding' && (o.metadata.namespace ?? namespace) === namespace).some(binding => {
      const subjectMatches = (binding.subjects ?? []).some((s: any) => s.kind === 'ServiceAccount' && s.name === sa.name && (s.namespace ?? namespace) === sa.namespace);
      if (!subjectMatches || binding.roleRef?.kind !== 'Role') return false;
      const role = roles.find(r => r.metadata.name === binding.roleRef.name);
      return (role?.rules ?? []).some((r: any) => (r.apiGroups ?? []).includes('')
        && ((r.resources ?? []).includes(resource) || (r.resources ?? []).includes('*'))
        && ((r.verbs ?? []).includes(verb) || (r.verbs ?? []).includes('*'))
        // resourceNames restrict requests for one named object; a list never matches them.
        && (r.resourceNames === undefined || (name !== undefined && r.resourceNames.includes(name))));
    });
  }
}

/** Equality-based label selectors (`a=b,c=d`), the only kind the bootstrap sends. */
function parseSelector(selector: string): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const part of selector.split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    out[k] = v ?? '';
  }
  return out;
}
