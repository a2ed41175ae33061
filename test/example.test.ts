import { Testing } from 'cdk8s';
import { buildExample } from '../src/example';
import { checkAll } from './policy';
import { Manifest, validateWithKubernetesModels } from './util';

function exampleObjects(): { chart: string; objects: Manifest[] }[] {
  const app = Testing.app();
  buildExample(app);
  return app.charts.map(chart => ({ chart: chart.node.id, objects: Testing.synth(chart) as Manifest[] }));
}

describe('the example app (dist/)', () => {
  test('snapshot of every chart', () => {
    const app = Testing.app();
    buildExample(app);
    expect(app.synthYaml()).toMatchSnapshot();
  });

  test('every object passes kubernetes-models validation', () => {
    const all = exampleObjects().flatMap(c => c.objects);
    expect(all.length).toBeGreaterThan(0);
    all.forEach(validateWithKubernetesModels);
  });

  test('is policy-clean', () => {
    for (const { objects } of exampleObjects()) expect(checkAll(objects)).toEqual([]);
  });

  test('the seeds\' scenarios: nginx web with www volumes, and a partitioned rollout', () => {
    const byChart = Object.fromEntries(exampleObjects().map(c => [c.chart, c.objects]));
    const web = byChart.web.find(o => o.kind === 'StatefulSet')!;
    expect(web.spec.replicas).toBe(3);
    expect(web.spec.volumeClaimTemplates[0].metadata.name).toBe('www');
    expect(web.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Gi');
    const canary = byChart.staged.find(o => o.kind === 'StatefulSet')!;
    expect(canary.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 3 } });
  });
});
