/**
 * Runs the scripts that ReplicatedMySql ships in its ConfigMap, for real, under bash, as one pod
 * would: the files come from the synthesized ConfigMap, each container's command and environment
 * from the synthesized StatefulSet (field references, Secret references, the variables the
 * kubelet adds), its paths from its volume mounts. Only the programs the scripts call out to --
 * mysql, mysqld, mysqladmin and curl (the API server) -- are stand-ins (test/mysql/fakes) that
 * record what they are asked into a log and answer from rules the test writes.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  ReplicatedMySql, ReplicatedMySqlProps,
} from '../../src';
import { find, Manifest, newChart, synth } from '../util';

export const ROOT_PASSWORD = 'r00t-pw';
export const REPLICATION_PASSWORD = 'repl-pw';
export const APP_PASSWORD = 'app-pw';
export const EXPORTER_PASSWORD = 'exp-pw';
export const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.projected-token';
export const API_HOST = '10.96.0.1';
export const NAMESPACE = 'mysql';

/** The tunables of the scripts, short so that waiting and polling tests stay fast. */
export const FAST: Record<string, string> = {
  POLL_INTERVAL: '0.02',
  MYSQLD_START_TIMEOUT: '3',
  DONOR_WAIT_TIMEOUT: '3',
  PREVIOUS_DONOR_WAIT: '2',
  DONOR_RETRY_INTERVAL: '0.02',
  CATCH_UP_TIMEOUT: '2',
};

export interface ScriptResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** What the stand-ins recorded during this run, with the sandbox path replaced by `$ROOT`. */
  readonly log: string;
}

/** What a stand-in answers to the requests a rule matches. */
export interface Reply {
  /** Printed on stdout (mysql: the result, curl: the response body). */
  readonly out?: string;
  /**
   * mysql: a result set, one object per row, its values as the server holds them (newlines and
   * all), printed as the client prints them: --batch writes a newline, tab or backslash in a
   * value as `\n`, `\t`, `\\`, --vertical writes them as they are. A column the SQL selects as
   * `REPLACE(expr, 'from', 'to')` holds the value of `expr`: the stand-in applies the REPLACE,
   * as the server would. Answer GTID sets this way (see `gtidSet`), not with `out`.
   */
  readonly rows?: Array<Record<string, string>>;
  readonly err?: string;
  /** Exit status (curl: its own, e.g. 7 when it cannot connect); default 0. */
  readonly exit?: number;
  /** curl: the HTTP status; default 200. */
  readonly status?: number;
  /** mysqld: it runs but never answers on its socket. */
  readonly hang?: boolean;
  /** The rule applies to its first `times` matching requests only. */
  readonly times?: number;
}

/** A string matches literally anywhere; a RegExp is used as a POSIX ERE (keep to ERE syntax); `exact()` matches one whole request. */
export type Match = string | RegExp | { readonly ere: string };

const escapeEre = (text: string): string => text.replace(/[.[\]()*+?{}|^$\\]/g, '\\$&');
// (A RegExp's source escapes "/", which an ERE need not.)
const ere = (m: Match): string => {
  if (typeof m === 'string') return escapeEre(m);
  if (m instanceof RegExp) return m.source.replace(/\\\//g, '/');
  return m.ere;
};

/** Matches exactly this request (SQL as sent, without the final newline; newlines and all). */
export const exact = (request: string): Match => ({ ere: `^${escapeEre(request)}$` });

const synthesized = new Map<string, Manifest[]>();
function objectsFor(props: ReplicatedMySqlProps): Manifest[] {
  const key = JSON.stringify(props);
  let objects = synthesized.get(key);
  if (!objects) {
    const chart = newChart(NAMESPACE);
    new ReplicatedMySql(chart, 'mysql', props);
    objects = synth(chart);
    synthesized.set(key, objects);
  }
  return objects;
}

/** Where the scripts (lib.sh) look for things, by the pod path the manifest mounts them at. */
const PATH_VARIABLES: Array<[variable: string, podPath: string, file?: string]> = [
  ['CDK8S_MYSQL_DIR', '/etc/cdk8s-mysql'],
  ['CONF_DIR', '/etc/mysql/conf.d'],
  ['DATA_ROOT', '/var/lib/mysql'],
  ['MYSQL_SOCKET', '/var/run/mysqld', 'mysqld.sock'],
  ['SA_DIR', '/var/run/secrets/kubernetes.io/serviceaccount'],
];

export interface PodOptions {
  /** Secret values by key (defaults: the *_PASSWORD constants). */
  readonly secrets?: Record<string, string>;
  /** status.podIP; default 10.244.0.<10 + ordinal>. */
  readonly podIP?: string;
  /** KUBERNETES_SERVICE_HOST, as the kubelet sets it. */
  readonly apiHost?: string;
}

/** One pod's file system (a directory standing for its root) and the stand-ins' state. */
export class PodSandbox {
  public readonly root: string;
  public readonly state: string;
  public readonly objects: Manifest[];
  private rules = 0;
  private defaults = 0;

  constructor(props: ReplicatedMySqlProps, public readonly podName: string, private readonly options: PodOptions = {}) {
    this.objects = objectsFor(props);
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'mysql-pod-'));
    this.state = path.join(this.root, '.fake-state');
    for (const dir of ['.fake-state/rules', 'etc/mysql/conf.d', 'var/lib/mysql', 'var/run/mysqld', 'tmp']) {
      fs.mkdirSync(path.join(this.root, dir), { recursive: true });
    }
    // The ConfigMap's files, exactly as the pod sees them.
    const configMap = find(this.objects, 'ConfigMap', 'mysql-config');
    fs.mkdirSync(this.path('etc/cdk8s-mysql'), { recursive: true });
    for (const [file, content] of Object.entries<string>(configMap.data)) fs.writeFileSync(this.path(`etc/cdk8s-mysql/${file}`), content);
    // The projected service account volume, when the pod has one: the token and the cluster's CA.
    const projected = (this.podSpec.volumes ?? []).find((v: any) => v.projected?.sources?.some((s: any) => s.serviceAccountToken));
    if (projected) {
      const sa = this.path('var/run/secrets/kubernetes.io/serviceaccount');
      fs.mkdirSync(sa, { recursive: true });
      for (const source of projected.projected.sources) {
        if (source.serviceAccountToken) fs.writeFileSync(path.join(sa, source.serviceAccountToken.path), TOKEN);
        for (const item of source.configMap?.items ?? []) fs.writeFileSync(path.join(sa, item.path), '-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n');
      }
    }
    // The API server, by default up and with no labelled claims: a new cluster.
    this.defaultReply('curl', 'GET', /^GET https:\/\/[^/]+\/api\/v1\/namespaces\/[a-z0-9-]+\/persistentvolumeclaims\?/, { out: claimList([]) });
    this.defaultReply('curl', 'PATCH', /^PATCH https:\/\/[^/]+\/api\/v1\/namespaces\/[a-z0-9-]+\/persistentvolumeclaims\/[a-z0-9-]+$/,
      { out: '{"kind":"PersistentVolumeClaim","apiVersion":"v1","metadata":{"name":"patched"}}' });
  }

  public get ordinal(): number {
    return Number(/-(\d+)$/.exec(this.podName)?.[1] ?? NaN);
  }

  public get statefulSet(): Manifest {
    return find(this.objects, 'StatefulSet', 'mysql');
  }

  public get podSpec(): any {
    return this.statefulSet.spec.template.spec;
  }

  /** The container (or init container) spec from the synthesized StatefulSet. */
  public container(name: string): any {
    const c = [...(this.podSpec.initContainers ?? []), ...this.podSpec.containers].find((x: any) => x.name === name);
    if (!c) throw new Error(`no container ${name}`);
    return c;
  }

  /**
   * The environment of a container of this pod: what the kubelet gives it (the API server's
   * Service variables, HOSTNAME), its env from the manifest with field and Secret references
   * resolved, the scripts' paths where the container mounts them (a path it does not mount
   * points nowhere), and the stand-ins' variables.
   */
  public envFor(containerName: string): Record<string, string> {
    const container = this.container(containerName);
    const env: Record<string, string> = {
      PATH: `${path.join(__dirname, 'fakes')}:/usr/bin:/bin`,
      HOME: '/tmp',
      HOSTNAME: this.podName,
      KUBERNETES_SERVICE_HOST: this.options.apiHost ?? API_HOST,
      KUBERNETES_SERVICE_PORT: '443',
    };
    const mounts: string[] = (container.volumeMounts ?? []).map((m: any) => m.mountPath);
    for (const [variable, podPath, file] of PATH_VARIABLES) {
      const dir = mounts.includes(podPath) ? this.path(podPath) : this.path(`not-mounted${podPath}`);
      env[variable] = file ? path.join(dir, file) : dir;
    }
    const secrets: Record<string, string> = {
      'root-password': ROOT_PASSWORD, 'replication-password': REPLICATION_PASSWORD, 'password': APP_PASSWORD, 'exporter-password': EXPORTER_PASSWORD,
      ...this.options.secrets,
    };
    const fields: Record<string, string> = {
      'metadata.name': this.podName,
      'metadata.namespace': NAMESPACE,
      'status.podIP': this.options.podIP ?? `10.244.0.${10 + this.ordinal}`,
    };
    for (const e of container.env ?? []) {
      if ('value' in e) env[e.name] = e.value;
      else if (e.valueFrom.fieldRef) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath] ?? fail(`unhandled fieldRef ${e.valueFrom.fieldRef.fieldPath}`);
      else if (e.valueFrom.secretKeyRef) env[e.name] = secrets[e.valueFrom.secretKeyRef.key] ?? fail(`no secret key ${e.valueFrom.secretKeyRef.key}`);
      else fail(`unhandled env ${e.name}`);
    }
    return { ...env, ...FAST, FAKE_LOG: this.path('.fake-log'), FAKE_STATE: this.state, FAKE_ROOT: this.root };
  }

  /** Runs a command in a container of this pod: its command from the manifest unless given. */
  public exec(containerName: string, command?: string[], env: Record<string, string> = {}): ScriptResult {
    const [program, script, ...args] = command ?? this.container(containerName).command;
    if (program !== 'bash' || !script.startsWith('/')) throw new Error(`expected bash /path/script, got ${program} ${script}`);
    fs.rmSync(this.path('.fake-log'), { force: true });
    const res = spawnSync('bash', [this.path(script), ...args], { env: { ...this.envFor(containerName), ...env }, encoding: 'utf8', timeout: 15000 });
    if (res.error) throw res.error;
    return { status: res.status ?? -1, stdout: this.hide(res.stdout), stderr: this.hide(res.stderr), log: this.log() };
  }

  /** A shell command in a container's environment (to try the stand-ins themselves). */
  public shell(containerName: string, script: string): ScriptResult {
    fs.rmSync(this.path('.fake-log'), { force: true });
    const res = spawnSync('bash', ['-c', script], { env: this.envFor(containerName), encoding: 'utf8', timeout: 15000 });
    if (res.error) throw res.error;
    return { status: res.status ?? -1, stdout: this.hide(res.stdout), stderr: this.hide(res.stderr), log: this.log() };
  }

  public initConfig(env: Record<string, string> = {}): ScriptResult {
    return this.exec('init-config', undefined, env);
  }

  /** The bootstrap init container, after init-config (which must succeed), as in the pod. */
  public bootstrap(env: Record<string, string> = {}): ScriptResult {
    const config = this.initConfig();
    if (config.status !== 0) throw new Error(`init-config failed: ${config.stderr}`);
    return this.exec('bootstrap', undefined, env);
  }

  /** A probe of the mysql container, with the command the manifest gives it. */
  public probe(kind: 'startup' | 'liveness' | 'readiness', env: Record<string, string> = {}): ScriptResult {
    const probe = this.container('mysql')[`${kind}Probe`];
    return this.exec('mysql', probe.exec.command, env);
  }

  // --- the stand-ins' answers ------------------------------------------------------------------

  /** mysql: what `target` ('local': a socket; else a host) answers to SQL that matches. */
  public sql(target: string, match: Match, reply: Reply = {}): void {
    this.rule('1', { program: 'mysql', target, match: ere(match) }, reply);
  }

  /** A reachable peer: it answers every query with nothing, unless a rule says otherwise. */
  public peer(host: string): void {
    this.defaultReply('mysql', host, undefined, {});
  }

  /** A peer that cannot be reached (for its first `times` queries, else always). */
  public peerDown(host: string, times?: number): void {
    this.sql(host, /./, { exit: 1, err: `ERROR 2005 (HY000): Unknown MySQL server host '${host}' (-2)`, times });
  }

  /** curl: what the API server answers to METHOD requests whose "METHOD URL" matches. */
  public api(method: string, match: Match, reply: Reply): void {
    this.rule('1', { program: 'curl', target: method, match: ere(match) }, reply);
  }

  /** mysqld: fails or hangs when its arguments match. */
  public mysqld(match: Match, reply: Reply): void {
    this.rule('1', { program: 'mysqld', match: ere(match) }, reply);
  }

  // --- the pod's volumes --------------------------------------------------------------------

  /** A data directory on the volume, as a previous run left it (root's password the Secret's). */
  public withData(options: { labelled?: boolean; rootPassword?: string } = {}): void {
    fs.mkdirSync(this.path('var/lib/mysql/data'), { recursive: true });
    fs.writeFileSync(this.path('var/lib/mysql/data/mysql.ibd'), 'data');
    fs.writeFileSync(this.path('var/lib/mysql/data/.fake-root-password'), options.rootPassword ?? ROOT_PASSWORD);
    if (options.labelled) fs.writeFileSync(this.path('var/lib/mysql/.holds-data-labelled'), '');
  }

  /** mysqld runs (the main container): its socket answers, from the data directory. */
  public serving(): void {
    this.withData();
    fs.writeFileSync(this.path('var/run/mysqld/mysqld.sock'), `datadir=${this.path('var/lib/mysql/data')}\npid=\noptions=\n`);
  }

  public path(rel: string): string {
    return path.join(this.root, rel);
  }

  public read(rel: string): string {
    return fs.readFileSync(this.path(rel), 'utf8');
  }

  public exists(rel: string): boolean {
    return fs.existsSync(this.path(rel));
  }

  /** The entries of a directory of the pod, sorted. */
  public list(rel: string): string[] {
    return fs.readdirSync(this.path(rel)).sort();
  }

  public dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  private defaultReply(program: string, target: string | undefined, match: Match | undefined, reply: Reply): void {
    this.rule('9', { program, target, match: match === undefined ? undefined : ere(match) }, reply, true);
  }

  private rule(priority: string, selector: { program: string; target?: string; match?: string }, reply: Reply, isDefault = false): void {
    const n = isDefault ? ++this.defaults : ++this.rules;
    const dir = path.join(this.state, 'rules', `${priority}-${String(n).padStart(4, '0')}`);
    fs.mkdirSync(dir);
    const files: Record<string, string | undefined> = {
      program: selector.program,
      target: selector.target,
      match: selector.match,
      times: reply.times?.toString(),
      exit: reply.exit?.toString(),
      stdout: reply.out,
      stderr: reply.err === undefined ? undefined : `${reply.err}\n`,
      status: reply.status?.toString(),
      hang: reply.hang ? 'yes' : undefined,
      rows: reply.rows ? tsv(reply.rows) : undefined,
    };
    for (const [file, content] of Object.entries(files)) if (content !== undefined) fs.writeFileSync(path.join(dir, file), content);
  }

  private log(): string {
    const file = this.path('.fake-log');
    return fs.existsSync(file) ? this.hide(fs.readFileSync(file, 'utf8')) : '';
  }

  private hide(text: string): string {
    return text.split(this.root).join('$ROOT');
  }
}

/** The rules' rows file: tab-separated, a backslash, newline or tab in a value escaped (fake_print_rows decodes them). */
function tsv(rows: Array<Record<string, string>>): string {
  const columns = Object.keys(rows[0] ?? {});
  const cell = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return [columns, ...rows.map(r => columns.map(c => r[c]))].map(cells => `${cells.map(cell).join('\t')}\n`).join('');
}

/**
 * A GTID set as the server holds it (@@GLOBAL.gtid_executed, RECEIVED_TRANSACTION_SET,
 * GTID_SUBTRACT's result): its UUIDs joined by a comma and a newline.
 */
export function gtidSet(...parts: string[]): string {
  return parts.join(',\n');
}

function fail(message: string): never {
  throw new Error(message);
}

/** A PersistentVolumeClaimList as the API server sends it, with claims of these names. */
export function claimList(names: string[]): string {
  return JSON.stringify({
    kind: 'PersistentVolumeClaimList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '4711' },
    items: names.map(name => ({
      metadata: {
        name,
        namespace: NAMESPACE,
        labels: { 'app.kubernetes.io/instance': 'mysql', 'app.kubernetes.io/name': 'mysql', 'mysql.cdk8s-stateful.io/holds-data': 'true' },
        annotations: { 'pv.kubernetes.io/bind-completed': 'yes' },
      },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, volumeName: `pvc-${name}` },
      status: { phase: 'Bound' },
    })),
  });
}
