/**
 * The typed L1 classes we emit, serialized in one pass.
 *
 * cdk8s-plus-28's generated `toJson()` resolves the props and then copies the whole object again
 * through one generated converter per type, rebuilding each object with a spread per field
 * (quadratic in its field count), to rename a few fields (`clusterIp` → `clusterIP`), unwrap
 * `Quantity`/`IntOrString` and drop undefined fields. Measured with `npm run bench`, that second
 * copy was the largest cost our constructs added on top of raw cdk8s (about 0.15 ms per app).
 *
 * These subclasses do the same conversion once, at construction, with one generic walk and the
 * generator's own rename table, then serialize like a plain `ApiObject` (resolve, sanitize with
 * sorted keys, JSON patches). Props stay the typed L1 props, so unknown fields are still compile
 * errors; tests check the result against the generated converters and the tables against the
 * installed cdk8s-plus-28.
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

/**
 * Field names the generated converters rename (TypeScript name → Kubernetes JSON name), where the
 * rename holds in every type. (`schema` is `$schema` in a JSON schema but `schema` in a CRD
 * version; neither occurs in the kinds serialized here.)
 */
export const RENAMED_FIELDS: { readonly [tsName: string]: string } = {
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
};

/**
 * Fields whose value is a free-form map (labels, ConfigMap data, resource requests, ...): their
 * keys are the user's and are never renamed; their values are converted like any other value.
 */
export const MAP_FIELDS: ReadonlySet<string> = new Set([
  'annotations', 'binaryData', 'capacity', 'data', 'default', 'defaultRequest', 'definitions', 'dependencies',
  'deprecatedTopology', 'extra', 'hard', 'labels', 'limits', 'matchLabels', 'max', 'maxLimitRequestRatio', 'min',
  'nodeSelector', 'options', 'overhead', 'parameters', 'patternProperties', 'podFixed', 'properties', 'requests',
  'selector', 'stringData', 'volumeAttributes',
]);

/**
 * Typed L1 props as Kubernetes JSON: fields renamed as the generated converters do, `Quantity` and
 * `IntOrString` unwrapped, undefined fields dropped. Meant for the kinds below (workloads, Services,
 * ConfigMaps, policies); not for CRD schemas, whose maps of sub-schemas it would not rename inside.
 * Duck-typed rather than `instanceof`, so a second copy of cdk8s-plus-28 cannot slip through.
 * JSON patches then apply to the Kubernetes field names, as they appear in the YAML.
 */
export function l1PropsToJson(props: object): { [key: string]: any } {
  return convert(props, false) as { [key: string]: any };
}

function convert(value: unknown, userKeys: boolean): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(v => convert(v, false));
  if (!isPlainObject(value)) {
    // Quantity and IntOrString, by the rule of cdk8s' NumberStringUnionResolver: a class instance
    // with a string or number `value` (and no resolve(): that is a token).
    const v = (value as { value?: unknown; resolve?: unknown });
    if ((typeof v.value === 'string' || typeof v.value === 'number') && typeof v.resolve !== 'function') return v.value;
    // Other class instances (tokens, Lazy values) are left for cdk8s' resolver, as the L1 does.
    return value;
  }
  const out: { [key: string]: unknown } = {};
  for (const key of Object.keys(value)) {
    const v = (value as { [key: string]: unknown })[key];
    if (v === undefined) continue;
    const name = userKeys ? key : RENAMED_FIELDS[key] ?? key;
    // Decided by the key even inside a map: `selector` is a map on Services but a LabelSelector
    // (holding the map `matchLabels`) elsewhere, and keeping a LabelSelector's keys is harmless.
    out[name] = convert(v, MAP_FIELDS.has(key));
  }
  return out;
}

/** Plain data, by the test cdk8s' sanitizer uses (the constructor's name, so it works across realms). */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === null || (value as { constructor?: { name?: string } }).constructor?.name === 'Object';
}

type L1Class = new (scope: Construct, id: string, props: any) => ApiObject;

/**
 * A subclass of a generated L1 class that converts its props once, at construction, and
 * serializes like a plain ApiObject. Typed as the L1 class itself: same props, same instances.
 */
function onePass<C extends L1Class>(l1: C, finish?: (json: { [key: string]: any }) => void): C {
  const Base: L1Class = l1;
  class OnePass extends Base {
    constructor(scope: Construct, id: string, props: object) {
      const json = l1PropsToJson(props);
      finish?.(json);
      super(scope, id, json);
    }

    /** Renders the object to Kubernetes JSON (one pass; see the file comment). */
    public toJson(): any {
      return ApiObject.prototype.toJson.call(this);
    }
  }
  return OnePass as unknown as C;
}

/** `k8s.KubeStatefulSet`, serialized in one pass, claim templates with `apiVersion`/`kind`. */
export const OnePassKubeStatefulSet = onePass(k8s.KubeStatefulSet, json => {
  // Claim templates are PersistentVolumeClaims: without apiVersion/kind (which the generated
  // converter drops) Argo CD shows the set as out of sync forever.
  const claims = json.spec?.volumeClaimTemplates;
  if (Array.isArray(claims)) {
    json.spec.volumeClaimTemplates = claims.map((c: object) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...c }));
  }
});
/** `k8s.KubeService`, serialized in one pass. */
export const OnePassKubeService = onePass(k8s.KubeService);
/** `k8s.KubeConfigMap`, serialized in one pass. */
export const OnePassKubeConfigMap = onePass(k8s.KubeConfigMap);
/** `k8s.KubePodDisruptionBudget`, serialized in one pass. */
export const OnePassKubePodDisruptionBudget = onePass(k8s.KubePodDisruptionBudget);
/** `k8s.KubeNetworkPolicy`, serialized in one pass. */
export const OnePassKubeNetworkPolicy = onePass(k8s.KubeNetworkPolicy);
