/**
 * Runs the scripts that ReplicatedMySql ships in its ConfigMap, for real, under bash, as one pod
 * would: the files come from the synthesized ConfigMap, each container's command and environment
 * from the synthesized StatefulSet (field references, the variables the kubelet adds), its paths
 * from its volume mounts, and the files of its volumes from the synthesized volumes (the
 * credentials Secret projected as files, the service account token, the TLS Secret). Only the
 * programs the scripts call out to -- mysql, mysqld, mysqladmin and curl (the API server) -- are
 * stand-ins (test/mysql/fakes) that record what they are asked into a log and answer from rules
 * the test writes. The API server stand-in serves objects stored like the API server stores
 * them (the synthesized StatefulSet and ConfigMap, pods, claims), authorizes by the synthesized
 * Role, and merges PATCHes.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
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
export const BACKUP_PASSWORD = 'bk-pw';
export const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.projected-token';
export const API_HOST = '10.96.0.1';
export const NAMESPACE = 'mysql';
/** What the agent sleeps between two looks in these tests: how a test sees that a look ended. */
export const AGENT_INTERVAL = '3600';

/**
 * The tunables of the scripts in these tests: waits that should never run out are generous (a
 * slow machine must not fail them), retries are immediate. A test that wants a wait to run out
 * sets that one to 0.
 */
export const FAST: Record<string, string> = {
  POLL_INTERVAL: '0.02',
  MYSQLD_START_TIMEOUT: '120',
  DONOR_WAIT_TIMEOUT: '600',
  PREVIOUS_DONOR_WAIT: '600',
  DONOR_RETRY_INTERVAL: '0.02',
  CATCH_UP_TIMEOUT: '600',
  DEMOTE_WAIT: '600',
  EVIDENCE_SETTLE: '0',
  PEER_ATTEMPTS: '3',
  PEER_RETRY_INTERVAL: '0',
  PEER_TIMEOUT: '60',
  ROLE_REFRESH: '0',
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
  /** mysqld: it runs but never answers on its socket; mysql: a peer that never answers. */
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
/** The synthesized objects of a ReplicatedMySql `mysql` in namespace `mysql`. */
export function objectsFor(props: ReplicatedMySqlProps): Manifest[] {
  const key = JSON.stringify(props, (_k, v) => (v && typeof v === 'object' && v.constructor && v.constructor !== Object && !Array.isArray(v) ? { [v.constructor.name]: { ...v } } : v));
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
  ['CREDENTIALS_DIR', '/etc/mysql/credentials'],
  ['TLS_DIR', '/etc/mysql/tls'],
];

export interface PodOptions {
  /**
   * The credentials Secret's data by key, as the files of the projected volume hold them (a
   * trailing newline is part of the value). Defaults: the *_PASSWORD constants under the keys
   * the construct uses by default.
   */
  readonly secrets?: Record<string, string>;
  /**
   * The passwords the cluster's accounts have (what a clone carries as root's, what a peer
   * accepts from the replication user); default: the Secret's, as the scripts read them.
   */
  readonly cluster?: { readonly rootPassword?: string; readonly replicationPassword?: string };
  /** status.podIP; default 10.244.0.<10 + ordinal>. */
  readonly podIP?: string;
  /** KUBERNETES_SERVICE_HOST, as the kubelet sets it. */
  readonly apiHost?: string;
  /** The pod of another workload of the manifest (e.g. the credentials Job) instead of a member's. */
  readonly podOf?: { readonly kind: string; readonly name: string };
}

/** A pod's readiness as the API server reports it: its Ready condition, or no pod at all. */
export type PodPhase = 'ready' | 'not-ready' | 'initializing' | 'absent';

const CREATED = '2026-03-02T09:14:07Z';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n';

/** One pod's file system (a directory standing for its root) and the stand-ins' state. */
export class PodSandbox {
  public readonly root: string;
  public readonly state: string;
  public readonly objects: Manifest[];
  private rules = 0;
  private readonly agents: AgentRun[] = [];

  constructor(props: ReplicatedMySqlProps, public readonly podName: string, private readonly options: PodOptions = {}) {
    this.objects = objectsFor(props);
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'mysql-pod-'));
    this.state = path.join(this.root, '.fake-state');
    for (const dir of ['.fake-state/rules', '.fake-state/cluster', '.fake-state/api/objects', 'var/lib/mysql', 'tmp']) {
      fs.mkdirSync(path.join(this.root, dir), { recursive: true });
    }
    this.materializeVolumes();
    const secretFile = (file: string) => this.secretValue(file)?.replace(/\n+$/, '') ?? '';
    fs.writeFileSync(path.join(this.state, 'cluster/root-password'), options.cluster?.rootPassword ?? secretFile('root-password'));
    fs.writeFileSync(path.join(this.state, 'cluster/replication-password'), options.cluster?.replicationPassword ?? secretFile('replication-password'));
    this.setUpApiServer();
  }

  public get ordinal(): number {
    return Number(/-(\d+)$/.exec(this.podName)?.[1] ?? NaN);
  }

  public get statefulSet(): Manifest {
    return find(this.objects, 'StatefulSet', 'mysql');
  }

  public get podSpec(): any {
    const of = this.options.podOf;
    return (of ? find(this.objects, of.kind, of.name) : this.statefulSet).spec.template.spec;
  }

  /** The container (or init container) spec from the synthesized StatefulSet. */
  public container(name: string): any {
    const c = [...(this.podSpec.initContainers ?? []), ...this.podSpec.containers].find((x: any) => x.name === name);
    if (!c) throw new Error(`no container ${name}`);
    return c;
  }

  /**
   * The environment of a container of this pod: what the kubelet gives it (the API server's
   * Service variables, HOSTNAME), its env from the manifest with field references resolved, the
   * scripts' paths where the container mounts them (a path it does not mount points nowhere),
   * the tunables (FAST) and the stand-ins' variables. A Secret reference in env is refused:
   * passwords reach the pods as files.
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
    const fields: Record<string, string> = {
      'metadata.name': this.podName,
      'metadata.namespace': NAMESPACE,
      'status.podIP': this.options.podIP ?? `10.244.0.${10 + this.ordinal}`,
    };
    for (const e of container.env ?? []) {
      if ('value' in e) env[e.name] = e.value;
      else if (e.valueFrom.fieldRef) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath] ?? fail(`unhandled fieldRef ${e.valueFrom.fieldRef.fieldPath}`);
      else fail(`env ${e.name} of container ${containerName} is not a value or a field reference (a password in env?)`);
    }
    return { ...env, ...FAST, FAKE_LOG: this.path('.fake-log'), FAKE_STATE: this.state, FAKE_ROOT: this.root, FAKE_NODE: process.execPath };
  }

  /** Runs a command in a container of this pod: its command from the manifest unless given. */
  public exec(containerName: string, command?: string[], env: Record<string, string> = {}): ScriptResult {
    const [program, script, ...args] = command ?? this.container(containerName).command;
    if (program !== 'bash' || !script.startsWith('/')) throw new Error(`expected bash /path/script, got ${program} ${script}`);
    const offset = this.logSize();
    const res = spawnSync('bash', [this.path(script), ...args], { env: { ...this.envFor(containerName), ...env }, encoding: 'utf8', timeout: 20000 });
    if (res.error) throw res.error;
    return { status: res.status ?? -1, stdout: this.hide(res.stdout), stderr: this.hide(res.stderr), log: this.logSince(offset) };
  }

  /** A shell command in a container's environment (to try the stand-ins themselves). */
  public shell(containerName: string, script: string, env: Record<string, string> = {}): ScriptResult {
    const offset = this.logSize();
    const res = spawnSync('bash', ['-c', script], { env: { ...this.envFor(containerName), ...env }, encoding: 'utf8', timeout: 20000 });
    if (res.error) throw res.error;
    return { status: res.status ?? -1, stdout: this.hide(res.stdout), stderr: this.hide(res.stderr), log: this.logSince(offset) };
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

  /** A probe with the command the manifest gives it: the mysql container's, or the agent's liveness probe. */
  public probe(kind: 'startup' | 'liveness' | 'readiness' | 'agent', env: Record<string, string> = {}): ScriptResult {
    const [container, probe] = kind === 'agent' ? ['agent', 'livenessProbe'] : ['mysql', `${kind}Probe`];
    return this.exec(container, this.container(container)[probe].exec.command, env);
  }

  /** The mysql container's preStop hook, with the command the manifest gives it. */
  public preStop(env: Record<string, string> = {}): ScriptResult {
    return this.exec('mysql', this.container('mysql').lifecycle.preStop.exec.command, env);
  }

  /** Starts the agent container (its command and env from the manifest), to be driven look by look. */
  public agent(env: Record<string, string> = {}): AgentRun {
    const run = new AgentRun(this, { ...this.envFor('agent'), AGENT_INTERVAL, ...env });
    this.agents.push(run);
    return run;
  }

  // --- the stand-ins' answers ------------------------------------------------------------------

  /**
   * mysql: what `target` ('local': a socket; else a host) answers to SQL that matches. Returns
   * a function that removes the rule (a server whose answer changes between two looks).
   */
  public sql(target: string, match: Match, reply: Reply = {}): () => void {
    return this.rule({ program: 'mysql', target, match: ere(match) }, reply);
  }

  /** A peer that cannot be reached (for its first `times` queries, else always): nothing listens. */
  public peerDown(host: string, times?: number): () => void {
    return this.sql(host, /./, { exit: 1, err: `ERROR 2003 (HY000): Can't connect to MySQL server on '${host}:3306' (111)`, times });
  }

  /** curl: what the API server answers to METHOD requests whose "METHOD URL" matches, instead of its objects. */
  public api(method: string, match: Match, reply: Reply): () => void {
    return this.rule({ program: 'curl', target: method, match: ere(match) }, reply);
  }

  /** mysqld: fails or hangs when its arguments match. */
  public mysqld(match: Match, reply: Reply): void {
    this.rule({ program: 'mysqld', match: ere(match) }, reply);
  }

  // --- the API server's objects -------------------------------------------------------------------

  /** An object as the API server stores it, by its path (undefined: there is none). */
  public apiObject(apiPath: string): any {
    const file = this.apiFile(apiPath);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
  }

  /** Stores (or, with undefined, deletes) an object of the API server. */
  public setApiObject(apiPath: string, object: unknown): void {
    const file = this.apiFile(apiPath);
    if (object === undefined) {
      fs.rmSync(file, { force: true });
      return;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(object));
  }

  /** The pod of member `ordinal`, as the API server reports it. */
  public setPod(ordinal: number, phase: PodPhase): void {
    this.setApiObject(podPath(ordinal), phase === 'absent' ? undefined : podObject(this.statefulSet, ordinal, phase));
  }

  /** The pod of member `ordinal` as the API server returns it (for a rule that answers with an earlier state). */
  public podObject(ordinal: number, phase: Exclude<PodPhase, 'absent'>): any {
    return podObject(this.statefulSet, ordinal, phase);
  }

  /**
   * Takes a permission away from the pods' ServiceAccount ("GET /api/v1/..."): the API server
   * then answers HTTP 403, as it does when the Role lacks a rule or the RoleBinding is missing.
   * Where the Role grants the verb on every object of the resource, that whole rule goes.
   */
  public revoke(method: string, apiPath: string): void {
    const file = path.join(this.state, 'api/allowed');
    const allowed = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const lines = [`${method} ${apiPath}`, `${method} ${path.posix.dirname(apiPath)}/*`];
    if (!lines.some((l) => allowed.includes(l))) throw new Error(`the Role does not allow ${method} ${apiPath}`);
    fs.writeFileSync(file, allowed.filter((l) => !lines.includes(l)).map((l) => `${l}\n`).join(''));
  }

  /** Gives the pods' ServiceAccount a permission back (see revoke). */
  public allow(method: string, apiPath: string): void {
    fs.appendFileSync(path.join(this.state, 'api/allowed'), `${method} ${apiPath}\n`);
  }

  /** Whether the claim data-mysql-<ordinal> exists. */
  public setClaim(ordinal: number, exists: boolean): void {
    this.setApiObject(claimPath(ordinal), exists ? claimObject(this.statefulSet, ordinal) : undefined);
  }

  /** The entries of the ConfigMap mysql-members (undefined: the ConfigMap does not exist). */
  public setEvidence(data: Record<string, string> | undefined): void {
    if (data === undefined) {
      this.setApiObject(MEMBERS_PATH, undefined);
      return;
    }
    const cm = this.apiObject(MEMBERS_PATH) ?? membersObject(find(this.objects, 'ConfigMap', 'mysql-members'));
    const next = { ...cm, data: Object.keys(data).length > 0 ? data : undefined };
    this.setApiObject(MEMBERS_PATH, next);
  }

  /** The entries of the ConfigMap mysql-members, as the API server holds them now. */
  public evidence(): Record<string, string> | undefined {
    return this.apiObject(MEMBERS_PATH)?.data;
  }

  /** The StatefulSet's primary annotation, as the API server holds it (another revision than this pod's template). */
  public setPrimary(ordinal: number | undefined): void {
    const sts = this.apiObject(STATEFULSET_PATH);
    const annotations = { ...sts.metadata.annotations };
    if (ordinal === undefined) delete annotations[PRIMARY_ANNOTATION];
    else annotations[PRIMARY_ANNOTATION] = String(ordinal);
    sts.metadata.annotations = annotations;
    sts.metadata.generation += 1;
    this.setApiObject(STATEFULSET_PATH, sts);
  }

  // --- the pod's volumes --------------------------------------------------------------------

  /** A data directory on the volume, as a previous run left it (root's password the cluster's). */
  public withData(options: { rootPassword?: string; files?: Record<string, string> } = {}): void {
    fs.mkdirSync(this.path('var/lib/mysql/data'), { recursive: true });
    fs.writeFileSync(this.path('var/lib/mysql/data/mysql.ibd'), 'data');
    fs.writeFileSync(this.path('var/lib/mysql/data/.fake-root-password'), options.rootPassword ?? this.clusterPassword('root'));
    for (const [file, content] of Object.entries(options.files ?? {})) fs.writeFileSync(this.path(`var/lib/mysql/data/${file}`), content);
  }

  /**
   * mysqld runs (the main container): its socket answers, from the data directory, with the
   * configuration's read-only settings at start.
   */
  public serving(): void {
    this.withData();
    fs.writeFileSync(this.path('var/run/mysqld/mysqld.sock'),
      `datadir=${this.path('var/lib/mysql/data')}\npid=\noptions=--defaults-file=/etc/mysql/conf.d/mysqld.cnf --read-only=ON --super-read-only=ON --skip-replica-start=ON\n`);
    fs.rmSync(this.varsFile(this.path('var/run/mysqld/mysqld.sock')), { force: true });
  }

  /** read_only / super_read_only of the running mysqld now: as started, then as SET (ON or OFF). */
  public serverVars(): { read_only: string; super_read_only: string } {
    const socket = this.path('var/run/mysqld/mysqld.sock');
    const out: Record<string, string> = { read_only: 'ON', super_read_only: 'ON' };
    const file = this.varsFile(socket);
    if (fs.existsSync(file)) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
        const [name, value] = line.split('=');
        out[name] = value;
      }
    }
    return { read_only: out.read_only, super_read_only: out.super_read_only };
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

  public async dispose(): Promise<void> {
    for (const a of this.agents) await a.stop();
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** The log so far (for the agent runner). */
  public rawLog(): string {
    const file = this.path('.fake-log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  }

  public hide(text: string): string {
    return text.split(this.root).join('$ROOT');
  }

  private clusterPassword(which: 'root' | 'replication'): string {
    return fs.readFileSync(path.join(this.state, `cluster/${which}-password`), 'utf8');
  }

  private varsFile(socket: string): string {
    return path.join(this.state, 'servers', `${socket.split('/').join('_')}.vars`);
  }

  /** The Secret's value for the file `file` of the credentials volume (through its projection's items). */
  private secretValue(file: string): string | undefined {
    const credentials = (this.podSpec.volumes ?? []).find((v: any) => v.name === 'credentials');
    const item = credentials?.projected.sources.flatMap((s: any) => s.secret?.items ?? []).find((i: any) => i.path === file);
    return item === undefined ? undefined : this.secrets[item.key];
  }

  private get secrets(): Record<string, string> {
    return {
      'root-password': ROOT_PASSWORD, 'replication-password': REPLICATION_PASSWORD, 'password': APP_PASSWORD, 'exporter-password': EXPORTER_PASSWORD,
      'backup-password': BACKUP_PASSWORD,
      ...this.options.secrets,
    };
  }

  /** The files of the pod's volumes, where its containers mount them. */
  private materializeVolumes(): void {
    const containers: any[] = [...(this.podSpec.initContainers ?? []), ...this.podSpec.containers];
    const mountPath = (volume: string) => containers.flatMap((c) => c.volumeMounts ?? []).find((m: any) => m.name === volume)?.mountPath;
    for (const volume of this.podSpec.volumes ?? []) {
      const at = mountPath(volume.name);
      if (at === undefined) continue;
      const dir = this.path(at);
      fs.mkdirSync(dir, { recursive: true });
      if (volume.configMap?.name === 'mysql-config') {
        const configMap = find(this.objects, 'ConfigMap', 'mysql-config');
        for (const [file, content] of Object.entries<string>(configMap.data)) fs.writeFileSync(path.join(dir, file), content);
      }
      for (const source of volume.projected?.sources ?? []) {
        // The service account token and the cluster's CA.
        if (source.serviceAccountToken) fs.writeFileSync(path.join(dir, source.serviceAccountToken.path), TOKEN);
        if (source.configMap?.name === 'kube-root-ca.crt') for (const item of source.configMap.items) fs.writeFileSync(path.join(dir, item.path), PEM);
        // The credentials: one file per item. A key the Secret lacks keeps the kubelet from
        // mounting the volume at all (the pod never starts), so a sandbox cannot have one.
        for (const item of source.secret?.items ?? []) {
          const value = this.secrets[item.key];
          if (value === undefined) throw new Error(`the kubelet would not start this pod: Secret ${source.secret.name} has no key ${item.key}`);
          fs.writeFileSync(path.join(dir, item.path), value);
        }
      }
      for (const item of volume.secret?.items ?? []) fs.writeFileSync(path.join(dir, item.path), PEM);
    }
  }

  /** The API server's objects and the members' Role, as applied from the synthesized manifest. */
  private setUpApiServer(): void {
    const api = path.join(this.state, 'api');
    fs.writeFileSync(path.join(api, 'token'), TOKEN);
    const account = this.podSpec.serviceAccountName ?? 'default';
    fs.writeFileSync(path.join(api, 'user'), `system:serviceaccount:${NAMESPACE}:${account}`);
    // What the Role bound to the pods' ServiceAccount allows: "METHOD PATH" per verb and name.
    const allowed: string[] = [];
    for (const binding of this.objects.filter((o) => o.kind === 'RoleBinding')) {
      if (!binding.subjects.some((s: any) => s.kind === 'ServiceAccount' && s.name === account && s.namespace === NAMESPACE)) continue;
      const role = this.objects.find((o) => o.kind === 'Role' && o.metadata.name === binding.roleRef.name);
      for (const rule of role?.rules ?? []) {
        for (const group of rule.apiGroups) {
          for (const resource of rule.resources) {
            const base = group === '' ? `/api/v1/namespaces/${NAMESPACE}` : `/apis/${group}/v1/namespaces/${NAMESPACE}`;
            // A rule without resourceNames applies to every object of the resource ("*").
            for (const name of rule.resourceNames ?? ['*']) {
              for (const verb of rule.verbs) allowed.push(`${verb.toUpperCase()} ${base}/${resource}/${name}`);
            }
          }
        }
      }
    }
    fs.writeFileSync(path.join(api, 'allowed'), allowed.map((l) => `${l}\n`).join(''));
    this.setApiObject(STATEFULSET_PATH, statefulSetObject(this.statefulSet));
    this.setApiObject(MEMBERS_PATH, membersObject(find(this.objects, 'ConfigMap', 'mysql-members')));
    // This pod exists (its init containers run) and so does its claim.
    if (Number.isInteger(this.ordinal)) {
      this.setPod(this.ordinal, 'initializing');
      this.setClaim(this.ordinal, true);
    }
  }

  private apiFile(apiPath: string): string {
    return path.join(this.state, 'api/objects', `${apiPath}.json`);
  }

  /** A rule of the stand-ins (fake-lib.sh): they try rules in the order the test wrote them. */
  private rule(selector: { program: string; target?: string; match?: string }, reply: Reply): () => void {
    const dir = path.join(this.state, 'rules', String(++this.rules).padStart(4, '0'));
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
    return () => fs.rmSync(dir, { recursive: true, force: true });
  }

  /** The size of the stand-ins' log now (it is only ever appended to: a running agent reads it too). */
  private logSize(): number {
    return Buffer.byteLength(this.rawLog());
  }

  /** What the stand-ins recorded since the log had `offset` bytes. */
  private logSince(offset: number): string {
    return this.hide(Buffer.from(this.rawLog()).subarray(offset).toString());
  }
}

/** What one look of the agent did. */
export interface Look {
  /** What the stand-ins recorded during this look. */
  readonly log: string;
  /** What the agent logged during this look. */
  readonly stderr: string;
  /** The agent's state file after the look (what the readiness probe reads), or undefined. */
  readonly state?: string;
  /** The exit status, if the agent exited instead of sleeping until the next look. */
  readonly exited?: number | null;
}

/**
 * The agent container, driven one look at a time: it runs with AGENT_INTERVAL 3600, so after
 * each look it sleeps (a `sleep 3600` child); `look()` waits for that sleep -- the look is
 * complete -- and `next()` ends the sleep so that the next look starts. Nothing depends on
 * timing: the waits are for events, bounded only by a generous timeout.
 */
export class AgentRun {
  private readonly child: ChildProcess;
  private readonly stderrFile: string;
  private logOffset: number;
  private stderrOffset = 0;
  private sleeper?: number;
  private exitStatus?: number | null;

  constructor(private readonly sandbox: PodSandbox, env: Record<string, string>) {
    this.stderrFile = sandbox.path('.agent-stderr');
    fs.writeFileSync(this.stderrFile, '');
    this.logOffset = Buffer.byteLength(sandbox.rawLog());
    const script = sandbox.container('agent').command[1];
    const fd = fs.openSync(this.stderrFile, 'a');
    this.child = spawn('bash', [sandbox.path(script)], { env, detached: true, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    this.child.on('exit', (code) => {
      this.exitStatus = code;
    });
  }

  /** Waits until the current look is complete (the agent sleeps, or exited). */
  public async look(): Promise<Look> {
    const deadline = Date.now() + 20000;
    for (;;) {
      if (this.exitStatus !== undefined) break;
      const sleeper = this.sleeperPid();
      if (sleeper !== undefined && sleeper !== this.sleeper) {
        this.sleeper = sleeper;
        break;
      }
      if (Date.now() > deadline) throw new Error(`the agent did not finish a look within 20 s; it logged:\n${fs.readFileSync(this.stderrFile, 'utf8')}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const log = Buffer.from(this.sandbox.rawLog());
    const stderr = fs.readFileSync(this.stderrFile);
    const state = this.sandbox.path('var/run/mysqld/agent.state');
    const look: Look = {
      log: this.sandbox.hide(log.subarray(this.logOffset).toString()),
      stderr: this.sandbox.hide(stderr.subarray(this.stderrOffset).toString()),
      state: fs.existsSync(state) ? fs.readFileSync(state, 'utf8') : undefined,
      exited: this.exitStatus,
    };
    this.logOffset = log.length;
    this.stderrOffset = stderr.length;
    return look;
  }

  /** Ends the agent's sleep and waits until the next look is complete. */
  public async next(): Promise<Look> {
    if (this.sleeper === undefined) throw new Error('the agent is not sleeping');
    process.kill(this.sleeper, 'SIGTERM');
    return this.look();
  }

  /** Stops the agent (SIGTERM to its process group, as the kubelet stops a container) and waits for it. */
  public async stop(): Promise<number | null> {
    if (this.exitStatus === undefined && this.child.pid !== undefined) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      try {
        process.kill(-this.child.pid, 'SIGTERM');
      } catch {
        // (already gone)
      }
      await exited;
    }
    return this.exitStatus ?? null;
  }

  /** The pid of the agent's child `sleep 3600`, if it has one. */
  private sleeperPid(): number | undefined {
    const pid = this.child.pid!;
    let children: number[];
    try {
      children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return undefined;
    }
    for (const child of children) {
      try {
        if (fs.readFileSync(`/proc/${child}/cmdline`, 'utf8') === `sleep\0${AGENT_INTERVAL}\0`) return child;
      } catch {
        // (it exited meanwhile)
      }
    }
    return undefined;
  }
}

/** The rules' rows file: tab-separated, a backslash, newline or tab in a value escaped (fake_print_rows decodes them). */
function tsv(rows: Array<Record<string, string>>): string {
  const columns = Object.keys(rows[0] ?? {});
  const cell = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return [columns, ...rows.map((r) => columns.map((c) => r[c]))].map((cells) => `${cells.map(cell).join('\t')}\n`).join('');
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

// --- objects as the API server returns them ------------------------------------------------------

export const PRIMARY_ANNOTATION = 'mysql.cdk8s-stateful.io/primary-ordinal';
export const STATEFULSET_PATH = `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets/mysql`;
export const MEMBERS_PATH = `/api/v1/namespaces/${NAMESPACE}/configmaps/mysql-members`;
export const podPath = (ordinal: number): string => `/api/v1/namespaces/${NAMESPACE}/pods/mysql-${ordinal}`;
export const claimPath = (ordinal: number): string => `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims/data-mysql-${ordinal}`;

const uid = (seed: string): string => {
  let h = 0;
  for (const c of seed) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const hex = h.toString(16).padStart(8, '0');
  return `${hex}-1c2d-4e5f-8a9b-${hex}${hex.slice(0, 4)}`;
};

/** The server's fields of an applied object: uid, resourceVersion, managedFields (as Go encodes them: annotations before managedFields). */
function serverMetadata(metadata: any, kind: string, fieldsV1: unknown): any {
  return {
    name: metadata.name,
    namespace: NAMESPACE,
    uid: uid(`${kind}/${metadata.name}`),
    resourceVersion: '40213',
    ...(kind === 'StatefulSet' ? { generation: 1 } : {}),
    creationTimestamp: CREATED,
    labels: metadata.labels,
    annotations: metadata.annotations,
    managedFields: [{ manager: 'argocd-controller', operation: 'Apply', apiVersion: kind === 'StatefulSet' ? 'apps/v1' : 'v1', time: CREATED, fieldsType: 'FieldsV1', fieldsV1 }],
  };
}

/** The StatefulSet as applied (server-side apply by a GitOps tool), with its status. */
export function statefulSetObject(sts: Manifest): any {
  const annotationFields = Object.fromEntries(Object.keys(sts.metadata.annotations ?? {}).map((k) => [`f:${k}`, {}]));
  return {
    kind: 'StatefulSet',
    apiVersion: 'apps/v1',
    metadata: serverMetadata(sts.metadata, 'StatefulSet', { 'f:metadata': { 'f:annotations': annotationFields, 'f:labels': {} }, 'f:spec': {} }),
    spec: sts.spec,
    status: { observedGeneration: 1, replicas: sts.spec.replicas, readyReplicas: sts.spec.replicas, currentReplicas: sts.spec.replicas, updatedReplicas: sts.spec.replicas, currentRevision: 'mysql-6d9f7c8b5', updateRevision: 'mysql-6d9f7c8b5', collisionCount: 0, availableReplicas: sts.spec.replicas },
  };
}

function membersObject(cm: Manifest): any {
  return { kind: 'ConfigMap', apiVersion: 'v1', metadata: serverMetadata(cm.metadata, 'ConfigMap', { 'f:metadata': { 'f:annotations': {}, 'f:labels': {} } }) };
}

function podObject(sts: Manifest, ordinal: number, phase: PodPhase): any {
  const name = `mysql-${ordinal}`;
  const at = '2026-03-02T09:15:31Z';
  const condition = (type: string, ok: boolean, reason?: string, message?: string) => ({
    type, observedGeneration: 1, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at, ...(reason ? { reason, message } : {}),
  });
  const initialized = phase !== 'initializing';
  const ready = phase === 'ready';
  const unready = initialized ? 'containers with unready status: [mysql]' : 'containers with unready status: [mysql agent]';
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name, generateName: 'mysql-', namespace: NAMESPACE, uid: uid(`Pod/${name}`), resourceVersion: '40377', generation: 1, creationTimestamp: CREATED,
      labels: { ...sts.spec.template.metadata.labels, 'apps.kubernetes.io/pod-index': String(ordinal), 'controller-revision-hash': 'mysql-6d9f7c8b5', 'statefulset.kubernetes.io/pod-name': name },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'mysql', uid: uid('StatefulSet/mysql'), controller: true, blockOwnerDeletion: true }],
    },
    spec: { ...sts.spec.template.spec, hostname: name, subdomain: 'mysql', nodeName: `node-${ordinal}` },
    status: {
      observedGeneration: 1,
      phase: initialized ? 'Running' : 'Pending',
      conditions: [
        condition('PodReadyToStartContainers', true),
        initialized ? condition('Initialized', true) : condition('Initialized', false, 'ContainersNotInitialized', 'containers with incomplete status: [bootstrap]'),
        ready ? condition('Ready', true) : condition('Ready', false, 'ContainersNotReady', unready),
        ready ? condition('ContainersReady', true) : condition('ContainersReady', false, 'ContainersNotReady', unready),
        condition('PodScheduled', true),
      ],
      hostIP: `172.18.0.${2 + ordinal}`,
      podIP: `10.244.0.${10 + ordinal}`,
      podIPs: [{ ip: `10.244.0.${10 + ordinal}` }],
      startTime: at,
    },
  };
}

function claimObject(sts: Manifest, ordinal: number): any {
  const name = `data-mysql-${ordinal}`;
  return {
    kind: 'PersistentVolumeClaim',
    apiVersion: 'v1',
    metadata: {
      name, namespace: NAMESPACE, uid: uid(`PersistentVolumeClaim/${name}`), resourceVersion: '40120', creationTimestamp: CREATED,
      labels: sts.spec.selector.matchLabels,
      annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' },
      finalizers: ['kubernetes.io/pvc-protection'],
    },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, volumeName: `pvc-${uid(name)}`, volumeMode: 'Filesystem' },
    status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
  };
}
