import * as fs from 'fs';
import { k8s } from 'cdk8s-plus-28';
import { l1PropsToJson, MAP_FIELDS, RENAMED_FIELDS } from '../src/l1';

// The one-pass serializer must give exactly what cdk8s-plus-28's generated converters give.
// Its two tables are checked against the generated code actually installed, so an upgrade of
// cdk8s-plus-28 that adds a renamed field or a map field fails here, not in users' YAML.
const generated = fs.readFileSync(require.resolve('cdk8s-plus-28/lib/imports/k8s.js'), 'utf8');

/** Removes undefined fields, as YAML output does. */
const json = (x: unknown) => JSON.parse(JSON.stringify(x));

describe('one-pass L1 serialization', () => {
  test('RENAMED_FIELDS is the generated converters\' rename table', () => {
    const renames: { [ts: string]: string } = {};
    for (const m of generated.matchAll(/'([^']+)': obj\.([A-Za-z0-9_]+)[,?\n ]/g)) {
      if (m[1] !== m[2]) renames[m[2]] = m[1];
    }
    expect(Object.keys(renames).length).toBeGreaterThan(20);
    expect(RENAMED_FIELDS).toEqual(renames);
  });

  test('a renamed name is never also kept as is somewhere else (the table is global)', () => {
    for (const [ts, name] of Object.entries(RENAMED_FIELDS)) {
      expect(generated.includes(`'${ts}': obj.${ts}`)).toBe(false);
      expect(name).not.toBe(ts);
    }
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
      spec: { clusterIp: 'None', loadBalancerIp: '1.2.3.4', selector: { ...tricky }, ports: [{ port: 80, targetPort: k8s.IntOrString.fromNumber(8080) }] },
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

  test('other class instances (tokens) are left to the cdk8s resolver', () => {
    class Token { public resolve() { return 'x'; } public readonly other = 1; }
    const token = new Token();
    expect(l1PropsToJson({ a: token }).a).toBe(token);
  });
});
