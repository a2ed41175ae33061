/**
 * Runs the scripts that ReplicatedMySql ships in its ConfigMap, for real, under bash: the files
 * come from the synthesized ConfigMap, the environment from the synthesized containers, and
 * only the MySQL programs (mysql, mysqld, mysqladmin) are stand-ins (test/mysql/fakes) that
 * record what they were asked to do.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ReplicatedMySql, ReplicatedMySqlProps } from '../../src';
import { find, Manifest, newChart, synth } from '../util';

export const ROOT_PASSWORD = 'r00t-pw';
export const REPLICATION_PASSWORD = 'repl-pw';

export interface ScriptResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** What the stand-ins recorded, with the sandbox path replaced by `$ROOT`. */
  readonly log: string;
}

/** A pod's file system and the stand-in MySQL programs, in a temporary directory. */
export class PodSandbox {
  public readonly root: string;
  public readonly tools: string;
  public readonly state: string;
  private readonly objects: Manifest[];

  constructor(props: ReplicatedMySqlProps = {}, public readonly secrets: Record<string, string> = {}) {
    const chart = newChart('mysql');
    new ReplicatedMySql(chart, 'mysql', props);
    this.objects = synth(chart);
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'mysql-pod-'));
    this.tools = path.join(this.root, 'etc/cdk8s-mysql');
    this.state = path.join(this.root, 'fake-state');
    for (const dir of ['etc/cdk8s-mysql', 'etc/mysql/conf.d', 'docker-entrypoint-initdb.d', 'var/lib/mysql', 'var/run/mysqld', 'fake-state/peers', 'fake-state/clone-fail']) {
      fs.mkdirSync(path.join(this.root, dir), { recursive: true });
    }
    // The ConfigMap's files, exactly as a pod would see them.
    const configMap = find(this.objects, 'ConfigMap', 'mysql-config');
    for (const [file, content] of Object.entries<string>(configMap.data)) fs.writeFileSync(path.join(this.tools, file), content);
  }

  public get statefulSet(): Manifest {
    return find(this.objects, 'StatefulSet', 'mysql');
  }

  /** The container (or init container) spec from the synthesized StatefulSet. */
  public container(name: string): any {
    const spec = this.statefulSet.spec.template.spec;
    const c = [...(spec.initContainers ?? []), ...spec.containers].find((x: any) => x.name === name);
    if (!c) throw new Error(`no container ${name}`);
    return c;
  }

  /**
   * The environment the container would get for pod `podName`: literal values as synthesized,
   * field references resolved, Secret references from `secrets`, plus the sandbox paths.
   */
  public envFor(containerName: string, podName: string): Record<string, string> {
    const env: Record<string, string> = {
      PATH: `${path.join(__dirname, 'fakes')}:/usr/bin:/bin`,
      CDK8S_MYSQL_DIR: this.tools,
      CONF_DIR: path.join(this.root, 'etc/mysql/conf.d'),
      INITDB_DIR: path.join(this.root, 'docker-entrypoint-initdb.d'),
      DATA_ROOT: path.join(this.root, 'var/lib/mysql'),
      MYSQL_SOCKET: path.join(this.root, 'var/run/mysqld/mysqld.sock'),
      POLL_INTERVAL: '0.05',
      MYSQLD_START_TIMEOUT: '10',
      FAKE_LOG: path.join(this.root, 'fake.log'),
      FAKE_STATE: this.state,
    };
    const secrets: Record<string, string> = {
      'root-password': ROOT_PASSWORD, 'replication-password': REPLICATION_PASSWORD, 'password': 'app-pw', 'exporter-password': 'exp-pw', ...this.secrets,
    };
    for (const e of this.container(containerName).env ?? []) {
      if ('value' in e) env[e.name] = e.value;
      else if (e.valueFrom.fieldRef?.fieldPath === 'metadata.name') env[e.name] = podName;
      else if (e.valueFrom.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = 'mysql';
      else if (e.valueFrom.secretKeyRef) env[e.name] = secrets[e.valueFrom.secretKeyRef.key];
      else throw new Error(`unhandled env ${e.name}`);
    }
    return env;
  }

  /** Runs the command of an init container (or a script with arguments) for a pod. */
  public run(containerName: string, podName: string, args?: string[]): ScriptResult {
    const command: string[] = args ?? this.container(containerName).command;
    const [program, script, ...rest] = command;
    if (program !== 'bash') throw new Error(`expected a bash command, got ${command.join(' ')}`);
    const file = path.join(this.tools, path.basename(script));
    fs.rmSync(path.join(this.root, 'fake.log'), { force: true });
    const res = spawnSync('bash', [file, ...rest], { env: this.envFor(containerName, podName), encoding: 'utf8', timeout: 20000 });
    return { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr, log: this.log() };
  }

  /** Runs the initdb script the way the image's entrypoint does: sourced, with docker_process_sql. */
  public runInitdb(podName: string): ScriptResult {
    const env = this.envFor('mysql', podName);
    fs.rmSync(path.join(this.root, 'fake.log'), { force: true });
    const initdb = path.join(this.root, 'docker-entrypoint-initdb.d', '10-users.sh');
    // docker_process_sql in the entrypoint: mysql as root over the socket, extra args appended.
    const shim = `docker_process_sql() { mysql --user=root --socket="$MYSQL_SOCKET" "$@"; }\nset -eo pipefail\n. ${JSON.stringify(initdb)}\n`;
    const res = spawnSync('bash', ['-c', shim], { env, encoding: 'utf8', timeout: 20000 });
    return { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr, log: this.log() };
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

  /** Makes a peer reachable; `answer` is what it returns to a query. */
  public peer(host: string, answer: string): void {
    fs.writeFileSync(path.join(this.state, 'peers', host), answer);
  }

  public failCloneFrom(host: string): void {
    fs.writeFileSync(path.join(this.state, 'clone-fail', host), '');
  }

  public answerLocal(answer: string): void {
    fs.writeFileSync(path.join(this.state, 'answer', ), answer);
  }

  public dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  private log(): string {
    const file = path.join(this.root, 'fake.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split(this.root).join('$ROOT') : '';
  }
}
