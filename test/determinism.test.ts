import { App, Chart, Size, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  DiskProvider, DiskStorageClass, StatefulApp, StatefulAppProps,
} from '../src';
import { buildExample } from '../examples/typescript/example';

const PROPS: StatefulAppProps = {
  image: 'nginxinc/nginx-unprivileged:1.25.3',
  replicas: 3,
  ports: [{ name: 'http', port: 8080 }],
  volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1) }],
  config: { files: { 'default.conf': 'server { listen 8080; }' }, mountPath: '/etc/nginx/conf.d' },
  readService: {},
};

function yamlOf(place: (chart: Chart) => Construct): string {
  const app = Testing.app();
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  const scope = place(chart);
  const disks = new DiskStorageClass(scope, 'fast', { provider: DiskProvider.AWS_EBS_GP3 });
  new StatefulApp(scope, 'web', { ...PROPS, volumes: [{ ...PROPS.volumes![0], storageClass: disks }] });
  return app.synthYaml();
}

describe('stable, deterministic output', () => {
  test('the same app one construct deeper synthesizes byte-identical YAML', () => {
    const flat = yamlOf((chart) => chart);
    const deeper = yamlOf((chart) => new Construct(new Construct(chart, 'Platform'), 'Storefront'));
    expect(deeper).toBe(flat);
  });

  test('two synths of the example app are byte-identical', () => {
    const once = () => {
      const app = new App({ outdir: '/dev/null' });
      buildExample(app);
      return app.synthYaml();
    };
    expect(once()).toBe(once());
  });

  test('no name carries a hash or the construct path', () => {
    const app = Testing.app();
    buildExample(app);
    const yaml = app.synthYaml();
    const names = [...yaml.matchAll(/^ {2}name: (\S+)$/gm)].map((m) => m[1]).sort();
    expect(names).toEqual([
      // each app: StatefulSet, Service, PDB and NetworkPolicy; mysql-member: the Role, the RoleBinding
      // and its roleRef; mysql-members: the evidence ConfigMap; mysql-credentials: the generated Secret, and the
      // ServiceAccount, Role, RoleBinding (and its roleRef), Job and NetworkPolicy that fill it
      'canary-web', 'canary-web', 'canary-web', 'canary-web', 'gp3', 'mysql', 'mysql', 'mysql', 'mysql', 'mysql',
      'mysql-client', 'mysql-config', ...Array(7).fill('mysql-credentials'), 'mysql-gp3', 'mysql-member', 'mysql-member', 'mysql-member', 'mysql-members',
      'mysql-primary', 'mysql-read', 'web', 'web', 'web', 'web', 'web-read',
    ]);
    // cdk8s' generated names end in an 8-character hex hash; none of ours do
    expect(yaml).not.toMatch(/name: \S*-[0-9a-f]{8}\s/);
    expect(yaml).not.toMatch(/cdk8s\.io\/|construct-path|Resource/);
  });

  test('no timestamps or random values: a fixed clock or seed does not matter', () => {
    const realNow = Date.now;
    const realRandom = Math.random;
    try {
      const a = yamlOf((chart) => chart);
      Date.now = () => 0;
      Math.random = () => 0.5;
      expect(yamlOf((chart) => chart)).toBe(a);
    } finally {
      Date.now = realNow;
      Math.random = realRandom;
    }
  });
});
