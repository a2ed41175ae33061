/**
 * The harness's network, all inside the network namespace scripts/e2e/run.sh creates for the
 * run (nothing here touches the machine's own network):
 *
 * - addresses: the API stand-in 127.0.0.3, a black-holed "DNS server" 127.0.0.2, pods
 *   127.0.0.11+, Service cluster IPs 127.0.1.1+;
 * - a pod's identity on the wire: each pod's processes carry one extra supplementary group
 *   (POD_GROUP_BASE + the last octet of its IP), and a nat POSTROUTING rule rewrites the source of
 *   their connections to the pod's IP, so peers, the Service proxies and the fault rules see
 *   which pod a connection comes from (as with real pod IPs);
 * - faults: raw PREROUTING DROP rules (before conntrack undoes any NAT, so both directions of a
 *   flow match): a black-holed pod or a partition between two pods;
 * - Services: a userspace TCP proxy per ClusterIP port (a worker thread, so that a test blocked
 *   in a synchronous mysql client call does not stall it), round-robin over the Ready endpoints,
 *   connecting from the client's own address; not listening while there is no endpoint, so a
 *   connection is refused at once, as kube-proxy's REJECT rule does.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Worker } from 'worker_threads';

export const API_HOST = '127.0.0.3';
export const DNS_HOST = '127.0.0.2';
export const POD_GROUP_BASE = 61000;

/**
 * Throws unless this process runs in the network namespace scripts/e2e/run.sh created for the run
 * (E2E_NETNS, mounted at /run/netns/<name> by `ip netns add`).
 */
export function assertIsolatedNetwork(name = process.env.E2E_NETNS): void {
  const hint = 'the real-MySQL e2e runs only inside its own network namespace: run it through `npm run test:e2e [-- jest args]` '
    + '(scripts/e2e/run.sh creates the namespace; servers, proxies and iptables rules never touch the machine\'s network)';
  if (!name) throw new Error(hint);
  let same: boolean;
  try {
    const self = fs.statSync('/proc/self/ns/net');
    const named = fs.statSync(`/run/netns/${name}`);
    same = self.ino === named.ino && self.dev === named.dev;
  } catch (e) {
    throw new Error(`${hint} (cannot compare with /run/netns/${name}: ${String(e)})`, { cause: e });
  }
  if (!same) throw new Error(`${hint} (this process is not in network namespace ${name})`);
}

/** iptables inside the namespace (refused outside it). */
export function iptables(args: string[]): void {
  assertIsolatedNetwork();
  execFileSync('iptables', ['-w', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * A cluster's rules: its own chains in raw PREROUTING (faults) and nat POSTROUTING (pod source
 * addresses), removed by `remove()`.
 */
export class ClusterRules {
  private readonly faults: string;
  private readonly snat: string;
  private readonly snatFor = new Set<string>();
  /** Named sets of DROP rules (the match arguments of each). */
  private readonly dropRules = new Map<string, string[][]>();
  private installed = false;

  constructor(id: string) {
    this.faults = `E2E-F-${id}`.slice(0, 28);
    this.snat = `E2E-S-${id}`.slice(0, 28);
  }

  public install(): void {
    iptables(['-t', 'raw', '-N', this.faults]);
    iptables(['-t', 'raw', '-A', 'PREROUTING', '-j', this.faults]);
    iptables(['-t', 'nat', '-N', this.snat]);
    iptables(['-t', 'nat', '-A', 'POSTROUTING', '-j', this.snat]);
    this.installed = true;
  }

  /** Connections made by processes in the pod's group leave from the pod's IP. */
  public podSource(ip: string, group: number): void {
    if (this.snatFor.has(ip)) return;
    iptables(['-t', 'nat', '-A', this.snat, '-m', 'owner', '--gid-owner', String(group), '--suppl-groups', '-j', 'SNAT', '--to-source', ip]);
    this.snatFor.add(ip);
  }

  /** Adds a named set of DROP rules (each rule's match arguments); false if it exists already. */
  public drop(key: string, matches: string[][]): boolean {
    if (this.dropRules.has(key)) return false;
    for (const m of matches) iptables(['-t', 'raw', '-A', this.faults, ...m, '-j', 'DROP']);
    this.dropRules.set(key, matches);
    return true;
  }

  public undrop(key: string): boolean {
    const matches = this.dropRules.get(key);
    if (!matches) return false;
    for (const m of matches) iptables(['-t', 'raw', '-D', this.faults, ...m, '-j', 'DROP']);
    this.dropRules.delete(key);
    return true;
  }

  public activeFaults(): string[] {
    return [...this.dropRules.keys()].sort();
  }

  /** Every rule and chain of this cluster. */
  public remove(): void {
    if (!this.installed) return;
    this.installed = false;
    const quiet = (args: string[]) => {
      try {
        iptables(args);
      } catch {
        // already gone
      }
    };
    quiet(['-t', 'raw', '-D', 'PREROUTING', '-j', this.faults]);
    quiet(['-t', 'raw', '-F', this.faults]);
    quiet(['-t', 'raw', '-X', this.faults]);
    quiet(['-t', 'nat', '-D', 'POSTROUTING', '-j', this.snat]);
    quiet(['-t', 'nat', '-F', this.snat]);
    quiet(['-t', 'nat', '-X', this.snat]);
    this.dropRules.clear();
    this.snatFor.clear();
  }
}

/** What the proxy of one Service port forwards to. */
export interface ProxyTarget {
  /** `<cluster IP>:<port>` */
  readonly listen: string;
  /** `<pod IP>:<port>`, in round-robin order; empty: connections are refused. */
  readonly endpoints: string[];
}

// The proxy's code, run in a worker thread (plain JavaScript: no ts-jest there).
const PROXY_WORKER = `
const net = require('net');
const { parentPort } = require('worker_threads');
const services = new Map();   // listen -> { server, endpoints, next, opening }
const connections = new Set();
function ensure(key, s) {
  if (s.endpoints.length === 0) {
    if (s.server) { const srv = s.server; s.server = undefined; srv.close(); }
    return;
  }
  if (s.server || s.stopped) return;
  const [host, port] = key.split(':');
  const server = net.createServer({ allowHalfOpen: true }, client => forward(s, client));
  server.on('error', e => {
    parentPort.postMessage({ type: 'error', listen: key, message: String(e) });
    if (s.server === server) s.server = undefined;
    setTimeout(() => ensure(key, s), 200).unref();
  });
  server.listen({ host, port: Number(port), exclusive: true });
  s.server = server;
}
function forward(s, client) {
  connections.add(client);
  client.on('close', () => connections.delete(client));
  if (s.endpoints.length === 0) { client.resetAndDestroy(); return; }
  const target = s.endpoints[s.next++ % s.endpoints.length];
  const [host, port] = target.split(':');
  // From the client's own address: the endpoint (and the fault rules) see who connects, as with kube-proxy's DNAT.
  const upstream = net.connect({ host, port: Number(port), localAddress: client.remoteAddress, allowHalfOpen: true });
  connections.add(upstream);
  upstream.on('close', () => connections.delete(upstream));
  upstream.setTimeout(30000, () => { upstream.destroy(); client.destroy(); });
  upstream.on('connect', () => upstream.setTimeout(0));
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('close', () => upstream.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
  parentPort.postMessage({ type: 'connection', listen: s.key, client: client.remoteAddress, endpoint: target });
}
parentPort.on('message', msg => {
  if (msg.type === 'targets') {
    const seen = new Set();
    for (const t of msg.targets) {
      seen.add(t.listen);
      let s = services.get(t.listen);
      if (!s) { s = { key: t.listen, endpoints: [], next: 0 }; services.set(t.listen, s); }
      if (s.endpoints.join(',') !== t.endpoints.join(',')) s.next = 0;
      s.endpoints = t.endpoints;
      ensure(t.listen, s);
    }
    for (const [key, s] of services) if (!seen.has(key)) { s.endpoints = []; ensure(key, s); services.delete(key); }
  } else if (msg.type === 'stop') {
    for (const s of services.values()) { s.stopped = true; if (s.server) s.server.close(); }
    for (const c of connections) c.destroy();
    parentPort.postMessage({ type: 'stopped' });
  }
});
`;

/** The Service proxies of one cluster, in a worker thread. */
export class ServiceProxies {
  /** The last connections made (client address -> endpoint), for tests. */
  public readonly connections: Array<{ listen: string; client: string; endpoint: string }> = [];
  public readonly errors: string[] = [];
  private worker?: Worker;
  private last = '';

  public start(): void {
    this.worker = new Worker(PROXY_WORKER, { eval: true });
    this.worker.on('message', (msg: any) => {
      if (msg.type === 'connection') {
        this.connections.push({ listen: msg.listen, client: msg.client, endpoint: msg.endpoint });
        if (this.connections.length > 500) this.connections.shift();
      } else if (msg.type === 'error') {
        this.errors.push(`${msg.listen}: ${msg.message}`);
      }
    });
    this.worker.unref();
  }

  /** Sends the forwarding table when it changed. */
  public update(targets: ProxyTarget[]): void {
    const text = JSON.stringify(targets);
    if (!this.worker || text === this.last) return;
    this.last = text;
    this.worker.postMessage({ type: 'targets', targets });
  }

  public async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      worker.on('message', (msg: any) => {
        if (msg.type !== 'stopped') return;
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'stop' });
    });
    await worker.terminate();
  }
}
