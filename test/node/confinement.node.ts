/**
 * The node itself, before any library object: a pod runs on a locally built image under Pod Security
 * 'restricted', cluster names resolve through CoreDNS and the kube-dns Service (kube-proxy), other names do not
 * (NXDOMAIN: there is no forward plugin), and a pod has no default route -- nothing leaves the node's network
 * namespace.
 */
import { Kube } from '../cluster/kube';
import { deleteNamespace, exec, images, nodeKube, note, readyPod, restrictedNamespace } from './node-env';

let kube: Kube;
let ns: string;

beforeAll(async () => {
  kube = nodeKube();
  ns = await restrictedNamespace(kube, 'confined');
  await kube.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probe', namespace: ns },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 1,
      containers: [{
        name: 'probe',
        image: images().busybox,
        command: ['sleep', '3600'],
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '16Mi' } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
      }],
    },
  });
  await readyPod(kube, ns, 'probe', { timeoutMs: 60000 });
});
afterAll(async () => {
  await deleteNamespace(kube, ns);
  kube.close();
});

test('GIVEN a pod WHEN it looks up the API server\'s Service name THEN CoreDNS answers with the Service address 10.96.0.1', () => {
  const res = exec(ns, 'probe', ['nslookup', 'kubernetes.default.svc.cluster.local']);
  note(`nslookup kubernetes.default.svc.cluster.local:\n${res.stdout.trim()}`);
  expect(res.status).toBe(0);
  expect(res.stdout).toMatch(/Address:\s+10\.96\.0\.1\b/);
  expect(res.stdout).toMatch(/Server:\s+10\.96\.0\.10\b/);
});

test('GIVEN a pod WHEN it looks up a name outside cluster.local THEN the answer is NXDOMAIN (no forward plugin)', () => {
  const res = exec(ns, 'probe', ['nslookup', 'example.com']);
  expect(res.status).not.toBe(0);
  expect(`${res.stdout}${res.stderr}`).toMatch(/NXDOMAIN/);
});

test('GIVEN a pod WHEN its routes are listed THEN there is no default route, only the Service and pod ranges', () => {
  const routes = exec(ns, 'probe', ['ip', 'route']).stdout.trim().split('\n').sort();
  note(`routes of a pod:\n${routes.join('\n')}`);
  expect(routes.some((r) => r.startsWith('default'))).toBe(false);
  expect(routes.map((r) => r.split(' ')[0])).toEqual(['10.244.0.0/16', '10.244.0.0/24', '10.96.0.0/16']);
  // An address outside the cluster is unreachable from the pod itself.
  const outside = exec(ns, 'probe', ['nc', '-w', '3', '192.0.2.1', '80'], { input: '' });
  expect(outside.status).not.toBe(0);
  expect(outside.stderr).toMatch(/unreachable/i);
});
