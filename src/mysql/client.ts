/**
 * Where `ReplicatedMySql.connectClient` puts a client's settings: any workload a user has, typed
 * structurally (a cdk8s-plus workload of any major version, this library's StatefulApp, or a raw
 * ApiObject with a pod template), so neither a second copy nor another major of cdk8s-plus gets
 * in the way.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment,
   @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument --
   duck typing of objects from any cdk8s-plus major and raw pod-template JSON: each shape is checked before use */
import { Chart, JsonPatch } from 'cdk8s';
import { IConstruct } from 'constructs';
import { StatefulApp } from '../app/stateful-app';
import { EnvSource } from '../container';
import { Validator } from '../errors';

/** An env value: a literal, or a key of a Secret in the client's namespace. */
export type ClientEnv = { readonly value: string } | { readonly secret: { readonly name: string; readonly key: string } };

export interface ClientTarget {
  /** The client's namespace, if known. */
  readonly namespace?: string;
  /** What errors call it. */
  readonly describe: string;
  /** The container the env goes to, by name (or index where it has none). */
  readonly container: string;
  setEnv(name: string, value: ClientEnv): void;
  addPodLabel(key: string, value: string): void;
}

/** The kinds whose `spec.template` is a pod template (the CronJob's is one level deeper). */
const POD_TEMPLATE_PATHS: { [kind: string]: string[] } = {
  Deployment: ['spec', 'template'], StatefulSet: ['spec', 'template'], DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'], Job: ['spec', 'template'], CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** Finds out what `client` is and how to configure it; refuses anything else with the fix. */
export function clientTarget(v: Validator, prop: string, client: unknown, containerName: string | undefined): ClientTarget {
  const c = client as { [key: string]: any };
  if (client instanceof StatefulApp) return statefulAppTarget(v, prop, client, containerName);
  if (c && Array.isArray(c.containers) && c.podMetadata && typeof c.podMetadata.addLabel === 'function') return plusTarget(v, prop, c, containerName);
  if (c && typeof c.addJsonPatch === 'function' && typeof c.toJson === 'function' && typeof c.kind === 'string') return apiObjectTarget(v, prop, c, containerName);
  return v.fail(prop, typeof client === 'object' && client !== null ? (c.node?.path ?? '(an object)') : client,
    'is not a workload: pass a cdk8s-plus workload (Deployment, StatefulSet, Job, ... of any cdk8s-plus version), a StatefulApp, or an ApiObject with a pod template (a k8s.KubeDeployment, ...)',
    'pass the workload construct itself');
}

function namespaceOf(scope: IConstruct, own: string | undefined): string | undefined {
  if (own !== undefined) return own;
  try {
    return Chart.of(scope).namespace;
  } catch {
    return undefined;
  }
}

function statefulAppTarget(v: Validator, prop: string, app: StatefulApp, containerName: string | undefined): ClientTarget {
  if (containerName !== undefined && !app.containerNames.includes(containerName)) {
    v.fail(`${prop} options.container`, containerName, `is not a container of ${app.node.path}`, `use ${app.containerName} or a sidecar's name`);
  }
  return {
    namespace: app.namespace,
    describe: app.node.path,
    container: containerName ?? app.containerName,
    setEnv: (name, value) => app.addEnv(name, 'value' in value ? EnvSource.fromValue(value.value) : EnvSource.fromSecretKey(value.secret.name, value.secret.key),
      { container: containerName }),
    addPodLabel: (key, value) => app.addPodLabel(key, value),
  };
}

/**
 * A cdk8s-plus workload. Its `Env.addVariable` stores the value and renders its `value` and
 * `valueFrom`, the same in every cdk8s-plus major, so plain objects of that shape work with all.
 */
function plusTarget(v: Validator, prop: string, workload: { [key: string]: any }, containerName: string | undefined): ClientTarget {
  const containers: Array<{ name?: string; env?: { addVariable?: (n: string, val: unknown) => void } }> = workload.containers;
  const container = containerName === undefined ? containers[0] : containers.find((x) => x.name === containerName);
  const path = workload.node?.path ?? '(a workload)';
  if (!container) {
    v.fail(`${prop} options.container`, containerName ?? path, containerName === undefined ? 'has no container to configure' : `is not a container of ${path} (containers: ${containers.map((x) => x.name).join(', ')})`,
      containerName === undefined ? 'add a container first' : 'name one of its containers');
  }
  if (typeof container.env?.addVariable !== 'function') v.fail(prop, path, 'has a container without an env to add variables to', 'pass a cdk8s-plus workload');
  return {
    namespace: namespaceOf(workload as IConstruct, workload.metadata?.namespace),
    describe: path,
    container: container.name ?? `#${containers.indexOf(container)}`,
    setEnv: (name, value) => container.env!.addVariable!(name, 'value' in value
      ? { value: value.value }
      : { valueFrom: { secretKeyRef: { name: value.secret.name, key: value.secret.key } } }),
    addPodLabel: (key, value) => workload.podMetadata.addLabel(key, value),
  };
}

/** A raw ApiObject: JSON patches of its pod template, as it is when connectClient is called. */
function apiObjectTarget(v: Validator, prop: string, obj: { [key: string]: any }, containerName: string | undefined): ClientTarget {
  const path = POD_TEMPLATE_PATHS[obj.kind];
  const where = obj.node?.path ?? obj.name;
  if (!path) v.fail(prop, where, `is a ${obj.kind}, which has no pod template`, `pass one of ${Object.keys(POD_TEMPLATE_PATHS).join(', ')}`);
  const json = obj.toJson();
  let template: any = json;
  for (const key of path) template = template?.[key];
  const containers: any[] = template?.spec?.containers ?? [];
  const index = containerName === undefined ? 0 : containers.findIndex((x) => x.name === containerName);
  if (containers.length === 0 || index < 0) {
    v.fail(`${prop} options.container`, containerName ?? where, containers.length === 0 ? 'has no container in its pod template' : `is not a container of ${where}`, 'name one of its containers');
  }
  const base = `/${path.join('/')}`;
  const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
  let hasEnv = Array.isArray(containers[index].env);
  let hasLabels = template?.metadata?.labels !== undefined;
  let hasMetadata = template?.metadata !== undefined;
  const add = (p: string, value: unknown) => obj.addJsonPatch(JsonPatch.add(p, value));
  return {
    namespace: namespaceOf(obj as IConstruct, json.metadata?.namespace),
    describe: where,
    container: containers[index].name ?? `#${index}`,
    setEnv: (name, value) => {
      const env = { name, ...('value' in value ? { value: value.value } : { valueFrom: { secretKeyRef: { name: value.secret.name, key: value.secret.key } } }) };
      if (hasEnv) add(`${base}/spec/containers/${index}/env/-`, env);
      else add(`${base}/spec/containers/${index}/env`, [env]);
      hasEnv = true;
    },
    addPodLabel: (key, value) => {
      if (hasLabels) add(`${base}/metadata/labels/${escape(key)}`, value);
      else if (hasMetadata) add(`${base}/metadata/labels`, { [key]: value });
      else add(`${base}/metadata`, { labels: { [key]: value } });
      hasLabels = hasMetadata = true;
    },
  };
}

/** What one connectClient call wires into a client. */
export interface ClientWiring {
  /** The database (by identity: two databases may share a name in different namespaces) and its name. */
  readonly database: object;
  readonly name: string;
  readonly prefix: string;
  /** The env names it sets, in `target.container`. */
  readonly envNames: readonly string[];
  /** The value of the client label it sets, when the database's NetworkPolicy selects clients by it. */
  readonly label?: string;
}

type Wired = ClientWiring & { readonly container: string };
/** The wiring of every client so far, by the object passed: a second database must never overwrite the first's. */
const WIRED = new WeakMap<object, Wired[]>();

/**
 * Fails, changing nothing, when `wiring` would overwrite what an earlier call wired into `client`: the same database
 * in the same container again, an env name another call set in that container, or another value of the client label.
 */
export function checkClientWiring(v: Validator, prop: string, target: ClientTarget, client: object, wiring: ClientWiring, labelKey: string): void {
  for (const w of WIRED.get(client) ?? []) {
    const sameContainer = w.container === target.container;
    if (w.database === wiring.database && sameContainer) {
      v.fail(prop, target.describe, `is already a client of ReplicatedMySql '${w.name}' in container ${w.container}`, 'call connectClient once per container and database');
    }
    const clash = sameContainer ? wiring.envNames.find((n) => w.envNames.includes(n)) : undefined;
    if (clash !== undefined) {
      v.fail(prop, target.describe, `already has ${clash} in container ${w.container}, set for ReplicatedMySql '${w.name}': the second value would replace it`,
        `pass { envPrefix: '${otherPrefix(wiring.name, w.prefix)}' } (a prefix whose names the first call does not use)`);
    }
    if (w.label !== undefined && wiring.label !== undefined && w.label !== wiring.label) {
      v.fail(prop, target.describe, `is already labelled ${labelKey}=${w.label}: a pod has one value per label key, so labelling it a client of '${wiring.name}' would shut it out of the NetworkPolicy of '${w.name}'`,
        `give ReplicatedMySql '${wiring.name}' networkPolicy.clientPodLabels of its own, a label the client's pods carry (e.g. { 'app.kubernetes.io/name': 'shop' }): connectClient then leaves ${labelKey} alone`);
    }
  }
}

/** Records a call checkClientWiring let through, once it has wired the client. */
export function recordClientWiring(target: ClientTarget, client: object, wiring: ClientWiring): void {
  WIRED.set(client, [...(WIRED.get(client) ?? []), { ...wiring, container: target.container }]);
}

/** An env prefix from the database's name that is valid and differs from `taken`. */
function otherPrefix(name: string, taken: string): string {
  const base = name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  const prefix = /^[A-Z_]/.test(base) ? `${base}_` : `DB_${base}_`;
  return prefix === taken ? `${prefix.slice(0, -1)}2_` : prefix;
}
