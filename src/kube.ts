/**
 * The typed L1 classes every object of this library is emitted through, and the one rule they
 * serialize by.
 *
 * cdk8s-plus-28's generated `toJson()` resolves the props (tokens, `Lazy` values, `Quantity`,
 * `IntOrString`), applies the JSON patches, and then copies the whole object again through one
 * generated converter per type that renames a few fields (`clusterIp` -> `clusterIP`). These
 * subclasses keep that order -- resolve, patch, convert -- but convert with one generic walk over
 * the generator's own rename table, which measured (npm run bench) as the largest cost our
 * constructs added over raw cdk8s. The output is byte-for-byte the generated converters' (tests
 * compare every snapshot and a matrix of props), with one deliberate difference: a field a JSON
 * patch adds that the typed props do not know is kept rather than silently dropped.
 *
 * The rule for JSON patches on every object this library emits: they address the fields by the
 * typed props' (TypeScript) names, as in cdk8s-plus -- `/spec/clusterIp`, not `/spec/clusterIP` --
 * because they apply before the conversion.
 *
 * The `k8s` module comes through cdk8s-plus-28's public index (which loads its L2 classes too, about
 * 14 ms more than the module alone), not a deep import path that a release of cdk8s-plus may move.
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { KubeServiceMonitor as ServiceMonitorL1, KubeServiceMonitorProps } from './imports/monitoring';
import { addScannerAnnotations } from './scanner-annotations';

export { k8s };

/**
 * Field names the generated converters rename (TypeScript name -> Kubernetes JSON name), where the
 * rename holds in every type. (`schema` is `$schema` in a JSON schema but `schema` in a CRD
 * version; neither occurs in the kinds serialized here.) Without a prototype: a field named `constructor`
 * or `__proto__` is no rename.
 */
export const RENAMED_FIELDS: { readonly [tsName: string]: string } = Object.assign(Object.create(null) as { [tsName: string]: string }, {
  clientIp: 'clientIP',
  clusterIp: 'clusterIP',
  datasetUuid: 'datasetUUID',
  diskUri: 'diskURI',
  downwardApi: 'downwardAPI',
  externalId: 'externalID',
  hostIp: 'hostIP',
  hostIpc: 'hostIPC',
  hostPid: 'hostPID',
  insecureSkipTlsVerify: 'insecureSkipTLSVerify',
  loadBalancerIp: 'loadBalancerIP',
  nodeId: 'nodeID',
  nonResourceUrLs: 'nonResourceURLs',
  openApiv3Schema: 'openAPIV3Schema',
  pdId: 'pdID',
  podCidRs: 'podCIDRs',
  podCidr: 'podCIDR',
  providerId: 'providerID',
  ref: '$ref',
  scaleIo: 'scaleIO',
  setHostnameAsFqdn: 'setHostnameAsFQDN',
  storagePolicyId: 'storagePolicyID',
  targetCpuUtilizationPercentage: 'targetCPUUtilizationPercentage',
  targetWwNs: 'targetWWNs',
  volumeId: 'volumeID',
  xKubernetesEmbeddedResource: 'x-kubernetes-embedded-resource',
  xKubernetesIntOrString: 'x-kubernetes-int-or-string',
  xKubernetesListMapKeys: 'x-kubernetes-list-map-keys',
  xKubernetesListType: 'x-kubernetes-list-type',
  xKubernetesMapType: 'x-kubernetes-map-type',
  xKubernetesPreserveUnknownFields: 'x-kubernetes-preserve-unknown-fields',
  xKubernetesValidations: 'x-kubernetes-validations',
});

/**
 * Fields whose value is a free-form map (labels, ConfigMap data, resource requests, ...): their
 * keys are the user's and are never renamed or re-sorted; their values are converted like any
 * other value.
 */
export const MAP_FIELDS: ReadonlySet<string> = new Set([
  'annotations', 'binaryData', 'capacity', 'data', 'default', 'defaultRequest', 'definitions', 'dependencies',
  'deprecatedTopology', 'extra', 'hard', 'labels', 'limits', 'matchLabels', 'max', 'maxLimitRequestRatio', 'min',
  'nodeSelector', 'options', 'overhead', 'parameters', 'patternProperties', 'podFixed', 'properties', 'requests',
  'selector', 'stringData', 'volumeAttributes',
]);

/**
 * Resolved props (TypeScript names, keys sorted) as Kubernetes JSON: fields renamed as the
 * generated converters do, `IntOrString` and `Quantity` unwrapped (cdk8s' resolver leaves them as
 * `{ value }` for the converters to read), in the order the converters emit them: `apiVersion`,
 * `kind`, `metadata` first, every other field sorted by its Kubernetes name, map keys as given.
 */
export function toKubernetesJson(value: unknown): unknown {
  const json = convert(value, false);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  const { apiVersion, kind, metadata, ...rest } = json as { [key: string]: unknown };
  return {
    ...(apiVersion !== undefined ? { apiVersion } : {}),
    ...(kind !== undefined ? { kind } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    ...rest,
  };
}

function convert(value: unknown, isMap: boolean): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => convert(v, false));
  const keys = Object.keys(value);
  const v0 = (value as { value?: unknown }).value;
  // No Kubernetes type is an object whose only field is `value`: that is a resolved union.
  if (!isMap && keys.length === 1 && keys[0] === 'value' && (typeof v0 === 'string' || typeof v0 === 'number')) return v0;
  // cdk8s' resolver sorted the keys already: re-sort only when a rename or a JSON patch broke the order.
  const out: { [key: string]: unknown } = {};
  let sorted = true;
  let previous = '';
  for (const key of keys) {
    const v = (value as { [key: string]: unknown })[key];
    if (v === undefined) continue;
    // Decided by the key even inside a map: `selector` is a map on Services but a LabelSelector
    // (holding the map `matchLabels`) elsewhere, and keeping a LabelSelector's keys is harmless.
    const name = isMap ? key : RENAMED_FIELDS[key] ?? key;
    if (name < previous) sorted = false;
    previous = name;
    out[name] = convert(v, MAP_FIELDS.has(key));
  }
  return isMap || sorted ? out : sortedKeys(out);
}

function sortedKeys(object: { [key: string]: unknown }): { [key: string]: unknown } {
  const out: { [key: string]: unknown } = {};
  for (const key of Object.keys(object).sort()) out[key] = object[key];
  return out;
}

// `never`: any generated L1 constructor fits, whatever its props type.
type L1Class = new (scope: Construct, id: string, props: never) => ApiObject;

/** A subclass of a generated L1 class that serializes by the rule above. Typed as the L1 class itself. */
function onePass<C extends L1Class>(l1: C, finish?: (json: { [key: string]: unknown }, object: ApiObject) => void): C {
  const Base: L1Class = l1;
  class OnePass extends Base {
    /** Renders the object to Kubernetes JSON: resolve, patch, convert (see the file comment). */
    public toJson(): { [key: string]: unknown } {
      const json = toKubernetesJson(ApiObject.prototype.toJson.call(this)) as { [key: string]: unknown };
      finish?.(json, this);
      return json;
    }
  }
  return OnePass as unknown as C;
}

/** Claim templates are PersistentVolumeClaims: without apiVersion/kind Argo CD shows the set out of sync forever. */
export function addClaimTemplateKinds(json: { [key: string]: unknown }): void {
  const spec = json.spec as { volumeClaimTemplates?: unknown } | undefined;
  const claims = spec?.volumeClaimTemplates;
  if (spec && Array.isArray(claims)) {
    spec.volumeClaimTemplates = claims.map((c: object) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...c }));
  }
}

export const KubeStatefulSet = onePass(k8s.KubeStatefulSet, (json, object) => {
  addClaimTemplateKinds(json);
  addScannerAnnotations(object, json);
});
export const KubeService = onePass(k8s.KubeService, (json, object) => addScannerAnnotations(object, json));
export const KubeConfigMap = onePass(k8s.KubeConfigMap);
export const KubeSecret = onePass(k8s.KubeSecret);
export const KubePodDisruptionBudget = onePass(k8s.KubePodDisruptionBudget);
export const KubeNetworkPolicy = onePass(k8s.KubeNetworkPolicy);
export const KubeStorageClass = onePass(k8s.KubeStorageClass);
export const KubeServiceAccount = onePass(k8s.KubeServiceAccount);
export const KubeRole = onePass(k8s.KubeRole);
export const KubeRoleBinding = onePass(k8s.KubeRoleBinding);
export const KubeJob = onePass(k8s.KubeJob, (json, object) => addScannerAnnotations(object, json));
export const KubeCronJob = onePass(k8s.KubeCronJob, (json, object) => addScannerAnnotations(object, json));
export const KubeDeployment = onePass(k8s.KubeDeployment, (json, object) => addScannerAnnotations(object, json));
/** The ServiceMonitor import is already plain JSON (no renames); it serializes like any ApiObject. */
export const KubeServiceMonitor: new (scope: Construct, id: string, props: KubeServiceMonitorProps) => ServiceMonitorL1 = ServiceMonitorL1;
