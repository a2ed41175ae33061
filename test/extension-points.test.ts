/**
 * The public extension points of StatefulApp that ReplicatedMySql builds on: `protectPod` (the budgets)
 * and `allowIngress` (the NetworkPolicy). One owner each: the app.
 */
import { Conventions, DisruptionBudget, StatefulApp, StatefulAppProps } from '../src';
import { find, newChart, ofKind, synth, WEB } from './util';

const SELECTOR = { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web' };

function app(props: Partial<StatefulAppProps> = {}) {
  const chart = newChart('shop');
  return { chart, web: new StatefulApp(chart, 'web', { ...WEB, ...props }) };
}

describe('StatefulApp.protectPod', () => {
  test('the pod gets its own budget (maxUnavailable 0) and leaves the app\'s, which keeps its limit', () => {
    const { chart, web } = app();
    const budget = web.protectPod(1, { name: 'web-leader' });
    const objects = synth(chart);
    expect(budget.name).toBe('web-leader');
    expect(find(objects, 'PodDisruptionBudget', 'web-leader').spec).toEqual({
      selector: { matchLabels: { ...SELECTOR, 'statefulset.kubernetes.io/pod-name': 'web-1' } },
      maxUnavailable: 0,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    expect(find(objects, 'PodDisruptionBudget', 'web').spec).toEqual({
      selector: { matchLabels: SELECTOR, matchExpressions: [{ key: 'statefulset.kubernetes.io/pod-name', operator: 'NotIn', values: ['web-1'] }] },
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
  });

  test('the budget is named after the pod by default; without an app budget only the pod\'s exists', () => {
    const { chart, web } = app({ disruptionBudget: DisruptionBudget.none() });
    web.protectPod(0);
    expect(ofKind(synth(chart), 'PodDisruptionBudget').map((o) => o.metadata.name)).toEqual(['web-0']);
  });

  test.each([
    ['a second pod', (w: StatefulApp) => { w.protectPod(0); w.protectPod(1); }, /protectPod\(ordinal\) "web-1" is invalid: cannot be protected: web-0 already is \(one pod per app\)/],
    ['an ordinal past the last pod', (w: StatefulApp) => w.protectPod(3), /protectPod\(ordinal\) 3 is invalid: is not a pod of the app \(ordinals 0\.\.2\)/],
    ['a negative ordinal', (w: StatefulApp) => w.protectPod(-1), /ordinal -1 is invalid: must be an integer >= 0/],
    ['a bad name', (w: StatefulApp) => w.protectPod(0, { name: 'Web_0' }), /protectPod options\.name "Web_0" is invalid/],
    ['a misspelt option (plain JavaScript)', (w: StatefulApp) => w.protectPod(0, { nmae: 'x' } as never), /nmae.*did you mean name/],
    ['the name of the app\'s own budget', (w: StatefulApp) => w.protectPod(0, { name: 'web' }), /options\.name "web" is invalid: is the name of the app's own budget/],
  ])('refuses %s', (_what, call, message) => {
    const { web } = app();
    expect(() => call(web)).toThrow(message);
  });

  test('refuses the only pod of an app: a budget of 0 would block every drain of its node', () => {
    const { chart, web } = app({ replicas: 1 });
    expect(() => web.protectPod(0)).toThrow(/protectPod\(ordinal\) 0 is invalid: is the app's only pod: a budget of 0 for it would block every drain/);
    expect(ofKind(synth(chart), 'PodDisruptionBudget')).toEqual([]);
  });

  test('refuses when the app\'s minAvailable could not be met by the other pods, and leaves nothing behind', () => {
    const { chart, web } = app({ disruptionBudget: DisruptionBudget.minAvailable(2) });
    expect(() => web.protectPod(0)).toThrow(/disruptionBudget\.minAvailable 2 is invalid: is not below replicas \(2\).*Fix: use at most 1/);
    const objects = synth(chart);
    expect(ofKind(objects, 'PodDisruptionBudget').map((o) => o.metadata.name)).toEqual(['web']);
    expect(find(objects, 'PodDisruptionBudget', 'web').spec.selector).toEqual({ matchLabels: SELECTOR });
  });
});

describe('StatefulApp.allowIngress', () => {
  test('each call adds one rule, on the named ports (a sidecar\'s added later too) or every main port', () => {
    const { chart, web } = app({ networkPolicy: { clientPodLabels: { role: 'api' } } });
    web.allowIngress({ podLabels: { app: 'prometheus' }, namespaceLabels: { name: 'monitoring' }, ports: ['metrics'] });
    web.allowIngress({ podLabels: { role: 'batch' } });
    web.addContainer({ name: 'exporter', image: 'prom/exporter:1.0.0', ports: [{ name: 'metrics', port: 9100 }] });
    const ingress = find(synth(chart), 'NetworkPolicy', 'web').spec.ingress;
    expect(ingress.slice(1)).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } }, podSelector: { matchLabels: { app: 'prometheus' } } }], ports: [{ protocol: 'TCP', port: 9100 }] },
      { from: [{ podSelector: { matchLabels: { role: 'batch' } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
    ]);
  });

  test('a port that never appears is refused at synth, naming the call', () => {
    const { chart, web } = app();
    web.allowIngress({ podLabels: { role: 'api' }, ports: ['grpc'] });
    expect(() => synth(chart)).toThrow(/allowIngress #1 ports\[0\] "grpc" is invalid: is not a port of the app \(ports: http\)/);
  });

  test.each([
    ['without a NetworkPolicy', { networkPolicy: { enabled: false } }, { podLabels: { a: 'b' } }, /has no NetworkPolicy to extend.*Fix: enable the NetworkPolicy/],
    ['a bad label value', {}, { podLabels: { role: 'a b' } }, /allowIngress podLabels\.role "a b" is invalid/],
    ['empty namespace labels', {}, { podLabels: {}, namespaceLabels: {} }, /allowIngress namespaceLabels \{\} is invalid: is empty and would match everything/],
    ['an empty port list', {}, { podLabels: {}, ports: [] }, /allowIngress ports \[\] is invalid: is empty/],
    ['a misspelt option (plain JavaScript)', {}, { podLabel: { a: 'b' } }, /podLabel.*did you mean podLabels/],
  ])('refuses %s', (_what, props, options, message) => {
    const { web } = app(props);
    expect(() => web.allowIngress(options as never)).toThrow(message);
  });
});

describe('Conventions', () => {
  test('the cluster-scoped kinds cannot be changed at run time', () => {
    expect(Conventions.isClusterScoped('storage.k8s.io', 'StorageClass')).toBe(true);
    expect(Conventions.isClusterScoped('', 'ConfigMap')).toBe(false);
    expect(() => Conventions.CLUSTER_SCOPED_KINDS.push('ConfigMap')).toThrow(TypeError);
  });
});
