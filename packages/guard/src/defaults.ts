/**
 * Values the API server fills in when a manifest leaves a field out, for fields whose changes matter
 * (immutable ones). Comparing with these filled in means that a manifest spelling out a default is not
 * reported as a change.
 */
import { JsonMap, get, isEmpty, isRecord } from './objects';

/** A copy of `value` as a mapping ({} when it is not one) with `defaults` set where absent or empty. */
function withDefaults(value: unknown, defaults: JsonMap): JsonMap {
  const result: JsonMap = { ...(isRecord(value) ? value : {}) };
  for (const [key, fallback] of Object.entries(defaults)) {
    if (isEmpty(result[key])) {
      result[key] = fallback;
    }
  }
  return result;
}

/** Applies `fill` to each item of the list under `key`, when there is one. */
function mapList(object: JsonMap, key: string, fill: (item: unknown) => unknown): void {
  const list = object[key];
  if (Array.isArray(list)) {
    object[key] = list.map(fill);
  }
}

/** `Always` for `:latest` or untagged images (no digest), `IfNotPresent` otherwise, as the API server decides. */
function defaultPullPolicy(image: unknown): string | undefined {
  if (typeof image !== 'string' || image === '') {
    return undefined;
  }
  if (image.includes('@')) {
    return 'IfNotPresent';
  }
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.lastIndexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

const PROBE_DEFAULTS: JsonMap = { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };

function probe(value: unknown): unknown {
  if (!isRecord(value)) {
    return value;
  }
  const result = withDefaults(value, PROBE_DEFAULTS);
  if (isRecord(result.httpGet)) {
    result.httpGet = withDefaults(result.httpGet, { scheme: 'HTTP' });
  }
  return result;
}

function container(value: unknown): unknown {
  if (!isRecord(value)) {
    return value;
  }
  const pullPolicy = defaultPullPolicy(value.image);
  const result = withDefaults(value, {
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    ...(pullPolicy !== undefined ? { imagePullPolicy: pullPolicy } : {}),
  });
  mapList(result, 'ports', (port) => (isRecord(port) ? withDefaults(port, { protocol: 'TCP' }) : port));
  for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    if (result[key] !== undefined) {
      result[key] = probe(result[key]);
    }
  }
  return result;
}

function volume(value: unknown): unknown {
  if (!isRecord(value)) {
    return value;
  }
  const result: JsonMap = { ...value };
  for (const key of ['configMap', 'secret', 'projected', 'downwardAPI']) {
    if (isRecord(result[key])) {
      result[key] = withDefaults(result[key], { defaultMode: 420 });
    }
  }
  return result;
}

/**
 * A pod template with the API server's pod spec and container defaults filled in (restartPolicy Always,
 * dnsPolicy ClusterFirst, schedulerName default-scheduler, terminationGracePeriodSeconds 30, container
 * termination message settings and imagePullPolicy, port protocol TCP, probe timings, volume defaultMode 420).
 */
export function withPodTemplateDefaults(template: unknown): unknown {
  if (!isRecord(template)) {
    return template;
  }
  const spec = withDefaults(get(template, 'spec'), {
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    terminationGracePeriodSeconds: 30,
  });
  mapList(spec, 'containers', container);
  mapList(spec, 'initContainers', container);
  mapList(spec, 'volumes', volume);
  return { ...template, spec };
}

/**
 * A Job spec with the API server defaults of its immutable fields filled in: completions 1 when neither
 * completions nor parallelism is set, completionMode NonIndexed, manualSelector false, and pod template defaults.
 */
export function withJobSpecDefaults(spec: unknown): unknown {
  const source = isRecord(spec) ? spec : {};
  const bothUnset = isEmpty(source.completions) && isEmpty(source.parallelism);
  const result = withDefaults(source, {
    ...(bothUnset ? { completions: 1, parallelism: 1 } : {}),
    parallelism: 1,
    backoffLimit: 6,
    completionMode: 'NonIndexed',
    suspend: false,
    manualSelector: false,
  });
  if (result.template !== undefined) {
    result.template = withPodTemplateDefaults(result.template);
  }
  return result;
}
