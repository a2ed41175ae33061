import * as fs from 'fs';
import { Chart, JsonPatch, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { l1PropsToJson, MAP_FIELDS, OnePassKubeService, RENAMED_FIELDS } from '../src/l1';

// The one-pass serializer must give exactly what cdk8s-plus-28's generated converters give.
// Its two tables are checked against the generated code actually installed, so an upgrade of
// cdk8s-plus-28 that adds a renamed field or a map field fails here, not in users' YAML.
const generated = fs.readFileSync(require.resolve('cdk8s-plus-28/lib/imports/k8s.js'), 'utf8');

/** Removes undefined fields, as YAML output does. */
const json = (x: unknown) => JSON.parse(JSON.stringify(x));

describe('one-pass L1 serialization', () => {
  test('RENAMED_FIELDS is the generated converters\' rename table, minus names renamed only in some types', () => {
    // Every form: 'x': obj.y, 'x': toJson_T(obj.y), 'x': obj.y?.map(...), 'x': ((obj.y) === undefined) ...
    const renames: { [ts: string]: string } = {};
    const keptAsIs = new Set<string>();
    for (const m of generated.matchAll(/'([^']+)': [^,\n]*?obj\.([A-Za-z0-9_]+)/g)) {
      if (m[1] !== m[2]) renames[m[2]] = m[1];
      else keptAsIs.add(m[2]);
    }
    const ambiguous = Object.keys(renames).filter(ts => keptAsIs.has(ts));
    // only the CRD-schema field, which this library never emits
    expect(ambiguous).toEqual(['schema']);
    for (const ts of ambiguous) delete renames[ts];
    expect(Object.keys(renames).length).toBeGreaterThan(20);
    expect(RENAMED_FIELDS).toEqual(renames);
  });

  test('MAP_FIELDS are the fields the generated converters copy as free-form maps', () => {
    const maps = new Set<string>();
    for (const m of generated.matchAll(/'([^']+)': \(\(obj\.([A-Za-z0-9_]+)\) === undefined\) \? undefined : \(Object\.entries/g)) {
      maps.add(m[2]);
    }
    expect([...MAP_FIELDS].sort()).toEqual([...maps].sort());
  });

  // GIVEN props that use renamed fields, quantities, int-or-strings, and map keys that look like
  // renamed fields (which must stay as written)
  const tricky = { clusterIp: 'a', schema: 'b', ref: 'c', hostIp: 'd', volumeId: 'e' };
  const podSpec: k8s.PodSpec = {
    hostPid: true,
    hostIpc: false,
    setHostnameAsFqdn: true,
    nodeSelector: { ...tricky },
    containers: [{
      name: 'c',
      image: 'x:1',
      ports: [{ containerPort: 80, hostIp: '10.0.0.1', name: 'http' }],
      resources: { requests: { cpu: k8s.Quantity.fromString('250m'), memory: k8s.Quantity.fromNumber(1024) }, limits: { memory: k8s.Quantity.fromString('1Gi') } },
      readinessProbe: { httpGet: { port: k8s.IntOrString.fromString('http'), path: '/' }, periodSeconds: undefined },
      env: [{ name: 'A', value: 'b' }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
    }],
    volumes: [
      { name: 'down', downwardApi: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'proj', projected: { sources: [{ downwardApi: { items: [] } }, { configMap: { name: 'c' } }] } },
      { name: 'ebs', awsElasticBlockStore: { volumeId: 'vol-1', fsType: 'ext4' } },
      { name: 'pd', gcePersistentDisk: { pdName: 'disk' } },
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
    ],
  };
  const metadata: k8s.ObjectMeta = { name: 'n', labels: { ...tricky }, annotations: { ...tricky } };

  test.each([
    ['StatefulSet', () => [k8s.toJson_KubeStatefulSetProps, {
      metadata,
      spec: {
        serviceName: 'n',
        selector: { matchLabels: { ...tricky } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1, maxUnavailable: k8s.IntOrString.fromString('50%') } },
        template: { metadata: { labels: { ...tricky } }, spec: podSpec },
        volumeClaimTemplates: [{ metadata: { name: 'data', labels: { ...tricky } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString('10Gi') } } } }],
      },
    }]],
    ['Service', () => [k8s.toJson_KubeServiceProps, {
      metadata,
      spec: {
        clusterIp: 'None', loadBalancerIp: '1.2.3.4', selector: { ...tricky }, ports: [{ port: 80, targetPort: k8s.IntOrString.fromNumber(8080) }],
        sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIp: { timeoutSeconds: 10 } },
      },
    }]],
    ['ConfigMap', () => [k8s.toJson_KubeConfigMapProps, { metadata, data: { ...tricky }, binaryData: { schema: 'eA==' } }]],
    ['PodDisruptionBudget', () => [k8s.toJson_KubePodDisruptionBudgetProps, {
      metadata, spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...tricky } } },
    }]],
    ['NetworkPolicy', () => [k8s.toJson_KubeNetworkPolicyProps, {
      metadata,
      spec: {
        podSelector: { matchLabels: { ...tricky } },
        ingress: [{ from: [{ podSelector: { matchLabels: { a: 'b' } }, namespaceSelector: { matchLabels: { ...tricky } } }], ports: [{ port: k8s.IntOrString.fromNumber(3306), protocol: 'TCP' }] }],
      },
    }]],
  ] as Array<[string, () => [(p: any) => unknown, object]]>)('%s: same JSON as the generated converter', (_kind, get) => {
    const [converter, props] = get();
    // WHEN both convert the same props  THEN the JSON is identical
    expect(json(l1PropsToJson(props))).toEqual(json(converter(props)));
    // and the map keys kept their spelling
    expect(json(l1PropsToJson(props)).metadata.labels).toEqual(tricky);
  });

  test('other class instances (tokens, even with a value) are left to the cdk8s resolver', () => {
    class Token { public readonly value = 'v'; public resolve() { return 'x'; } }
    const token = new Token();
    expect(l1PropsToJson({ a: token }).a).toBe(token);
  });

  test('a map whose only key is "value" stays a map', () => {
    expect(l1PropsToJson({ metadata: { labels: { value: 'x' } }, data: { value: 'y' } })).toEqual({ metadata: { labels: { value: 'x' } }, data: { value: 'y' } });
  });

  test('synthesized through cdk8s: same object as the generated L1, and patches use the YAML names', () => {
    // GIVEN the same props through the generated L1 and the one-pass L1
    const props: k8s.KubeServiceProps = {
      metadata: { name: 's', labels: { ...tricky } },
      spec: { clusterIp: 'None', ports: [{ port: 80, targetPort: k8s.IntOrString.fromString('http') }], sessionAffinityConfig: { clientIp: { timeoutSeconds: 5 } } },
    };
    const chart = new Chart(Testing.app(), 'c');
    const generatedObj = new k8s.KubeService(chart, 'generated', props).toJson();
    const onePass = new OnePassKubeService(chart, 'one-pass', props);
    expect(onePass.toJson()).toEqual(generatedObj);
    // WHEN a user patches a field by its Kubernetes name THEN it lands as written (the generated
    // L1 applies patches before renaming, so there it had to be /spec/clusterIp)
    onePass.addJsonPatch(JsonPatch.replace('/spec/clusterIP', '10.0.0.10'));
    expect(onePass.toJson().spec.clusterIP).toBe('10.0.0.10');
    expect(onePass.toJson().spec.clusterIp).toBeUndefined();
  });
});
