import { Size } from 'cdk8s';
import {
  StatefulApp,
} from '../src';
import { check, checkAll, Rule, RULES } from './policy';
import { Manifest, newChart, synth } from './util';

/** Only image, replicas, ports and volumes: the bar for safe defaults. */
function minimalApp(): Manifest[] {
  const chart = newChart();
  new StatefulApp(chart, 'web', {
    image: 'nginxinc/nginx-unprivileged:1.25.3',
    replicas: 3,
    ports: [{ name: 'http', port: 8080 }],
    volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1) }],
  });
  return synth(chart);
}

/** Breaks the minimal app's output in the way each rule exists to catch. */
const BREAK: Record<Rule, (docs: Manifest[]) => void> = {
  'pss': (docs) => { delete sts(docs).spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation; },
  'resources': (docs) => { delete sts(docs).spec.template.spec.containers[0].resources.limits; },
  'probes': (docs) => { delete sts(docs).spec.template.spec.containers[0].readinessProbe; },
  'image-tag': (docs) => { sts(docs).spec.template.spec.containers[0].image = 'nginx:latest'; },
  'plaintext-secret': (docs) => { sts(docs).spec.template.spec.containers[0].env = [{ name: 'DB_PASSWORD', value: 'x' }]; },
  'links': (docs) => { sts(docs).spec.serviceName = 'nowhere'; },
  'external-ref': (docs) => { sts(docs).spec.template.spec.containers[0].env = [{ name: 'A', valueFrom: { secretKeyRef: { name: 'missing', key: 'a' } } }]; },
  'storage': (docs) => { delete sts(docs).spec.persistentVolumeClaimRetentionPolicy; },
  'ha': (docs) => { docs.splice(docs.findIndex((d) => d.kind === 'PodDisruptionBudget'), 1); },
};
function sts(docs: Manifest[]): Manifest {
  return docs.find((d) => d.kind === 'StatefulSet')!;
}

describe('a StatefulApp with only image, replicas, ports and volumes is policy-clean', () => {
  test.each(RULES)('rule %s: no finding', (rule) => {
    expect(check(rule, minimalApp())).toEqual([]);
  });

  test.each(RULES)('rule %s: the check does catch a broken manifest', (rule) => {
    // GIVEN the same output with the one property the rule guards removed
    const docs = minimalApp();
    BREAK[rule](docs);
    // THEN the rule reports it (so the clean result above means something)
    expect(check(rule, docs).length).toBeGreaterThan(0);
  });

  test('all rules together', () => {
    expect(checkAll(minimalApp())).toEqual([]);
  });
});
