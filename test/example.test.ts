import { Testing } from 'cdk8s';
import { buildExample } from '../examples/typescript/example';
import { checkAll } from './policy';
import { Manifest, validateWithKubernetesModels } from './util';

function exampleObjects(): { chart: string; objects: Manifest[] }[] {
  const app = Testing.app();
  buildExample(app);
  return app.charts.map((chart) => ({ chart: chart.node.id, objects: Testing.synth(chart) as Manifest[] }));
}

describe('the example app (dist/)', () => {
  test('snapshot of every chart', () => {
    const app = Testing.app();
    buildExample(app);
    expect(app.synthYaml()).toMatchSnapshot();
  });

  test('every object passes kubernetes-models validation', () => {
    const all = exampleObjects().flatMap((c) => c.objects);
    expect(all.length).toBeGreaterThan(0);
    all.forEach(validateWithKubernetesModels);
  });

  test('is policy-clean and self-contained: the MySQL credentials Secret is emitted (filled in the cluster)', () => {
    for (const { objects } of exampleObjects()) expect(checkAll(objects)).toEqual([]);
  });

  test('the seeds\' scenarios: nginx web with www volumes, and a partitioned rollout', () => {
    const byChart = Object.fromEntries(exampleObjects().map((c) => [c.chart, c.objects]));
    const web = byChart.web.find((o) => o.kind === 'StatefulSet')!;
    expect(web.spec.replicas).toBe(3);
    expect(web.spec.volumeClaimTemplates[0].metadata.name).toBe('www');
    expect(web.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Gi');
    const canary = byChart.staged.find((o) => o.kind === 'StatefulSet')!;
    expect(canary.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 3 } });
    // the replicated MySQL scenario: namespace mysql, EBS gp3, 3 x 10Gi, and a client Deployment
    const mysql = byChart.mysql.find((o) => o.kind === 'StatefulSet')!;
    expect([mysql.metadata.namespace, mysql.spec.replicas, mysql.spec.volumeClaimTemplates[0].spec]).toEqual(['mysql', 3, {
      accessModes: ['ReadWriteOnce'], storageClassName: 'mysql-gp3', resources: { requests: { storage: '10Gi' } },
    }]);
    expect(byChart.mysql.find((o) => o.kind === 'StorageClass')!.parameters).toEqual({ type: 'gp3', encrypted: 'true' });
    const client = byChart.mysql.find((o) => o.kind === 'Deployment')!;
    expect(client.metadata.name).toBe('mysql-client');
    expect(client.spec.template.spec.containers[0].env.map((e: any) => e.name)).toContain('MYSQL_READ_HOST');
  });
});
