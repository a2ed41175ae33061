import { App, Chart, Size, Testing, Yaml } from 'cdk8s';
import type { StatefulAppProps } from '../src';
import { Construct } from 'constructs';

/** A synthesized Kubernetes object, loosely typed for assertions. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };

/**
 * Validates one object with the kubernetes-models schema for its apiVersion and kind; throws
 * with the object's identity when the schema rejects it or no model exists.
 */
export function validateWithKubernetesModels(obj: Manifest): void {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : [undefined, obj.apiVersion];
  const modulePath = group === 'monitoring.coreos.com'
    ? `@kubernetes-models/prometheus-operator/${group}/${version}`
    : group === 'cert-manager.io'
      ? `@kubernetes-models/cert-manager/${group}/${version}`
      : group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is chosen by apiVersion at run time
  const models = require(modulePath);
  const Model = models[obj.kind];
  if (!Model) throw new Error(`no kubernetes-models class for ${obj.apiVersion} ${obj.kind}`);
  try {
    new Model(obj).validate();
  } catch (e) {
    throw new Error(`${obj.kind}/${obj.metadata?.name} fails kubernetes-models validation: ${(e as Error).message}`, { cause: e });
  }
}

/** The seeds' nginx `web`: the smallest StatefulApp the tests build on. */
export const WEB: StatefulAppProps = {
  image: 'nginxinc/nginx-unprivileged:1.25.3',
  replicas: 3,
  ports: [{ name: 'http', port: 8080 }],
  volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1) }],
};

/** What `app.synth()` reports, as cdk8s does: validation errors of every construct. */
export function synthError(chart: Chart): string {
  try {
    App.of(chart).synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('synth succeeded');
}

/** Synthesizes a chart and validates every object with kubernetes-models. */
export function synth(chart: Chart): Manifest[] {
  const objects = Testing.synth(chart) as Manifest[];
  objects.forEach(validateWithKubernetesModels);
  return objects;
}

/** A fresh app and chart (namespace `shop` unless given). */
export function newChart(namespace: string | null = 'shop'): Chart {
  const app = Testing.app();
  return new Chart(app, 'test', namespace ? { namespace } : {});
}

/** Finds exactly one object by kind and name. */
export function find(objects: Manifest[], kind: string, name: string): Manifest {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}/${name}, found ${found.length} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  }
  return found[0];
}

/** All objects of a kind. */
export function ofKind(objects: Manifest[], kind: string): Manifest[] {
  return objects.filter((o) => o.kind === kind);
}

/** The YAML text an app synthesizes (all charts). */
export function appYaml(app: App): string {
  return app.synthYaml();
}

/** YAML of a list of objects, as cdk8s writes it. */
export function toYaml(objects: Manifest[]): string {
  return Yaml.stringify(...objects);
}

/** A scope one construct deeper than the chart, for refactoring tests. */
export function nested(chart: Chart, id = 'Nested'): Construct {
  return new Construct(chart, id);
}
