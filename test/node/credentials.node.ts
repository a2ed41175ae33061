/**
 * The first apply on the real node, without a Secret made by hand: kubelet names the missing Secret in the
 * member's events; then MySqlCredentials.fromGeneratedSecret's Job fills the Secret the manifest emits empty,
 * the member starts with those passwords, and the Job run again changes none of them.
 */
import { Chart, Size } from 'cdk8s';
import { MySqlCredentials, ReplicatedMySql } from '../../src';
import { synthesize } from '../cluster/fixtures';
import { eventually, Kube, KubeObject } from '../cluster/kube';
import { deleteNamespace, exec, images, kubectl, nodeKube, note, readyPod, restrictedNamespace } from './node-env';

let kube: Kube;
let ns: string;
let objects: KubeObject[];

beforeAll(async () => {
  kube = nodeKube();
  ns = await restrictedNamespace(kube, 'credentials');
  objects = synthesize(ns, (chart: Chart) => {
    new ReplicatedMySql(chart, 'db', {
      image: images().mysql,
      replicas: 1,
      storage: { size: Size.gibibytes(1) },
      database: { name: 'shop', user: 'shop' },
      credentials: MySqlCredentials.fromGeneratedSecret(),
    });
  });
});
afterAll(async () => {
  if (ns) await deleteNamespace(kube, ns);
  kube.close();
});

const isGenerator = (o: KubeObject) => (o.kind === 'Secret' || o.kind === 'Job') && o.metadata.name === 'db-credentials';

/** The Secret's values, decoded. */
async function secretData(): Promise<Record<string, string>> {
  const secret = await kube.get('v1', 'Secret', ns, 'db-credentials');
  return Object.fromEntries(Object.entries<string>(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

async function jobSucceeded(): Promise<KubeObject> {
  return eventually('the Job db-credentials to succeed', async () => {
    const job = await kube.get('batch/v1', 'Job', ns, 'db-credentials');
    return (job?.status?.succeeded ?? 0) >= 1 ? job : undefined;
  }, 180000, 1000);
}

test('without the Secret the member waits and its events name the Secret; the generator fills it, the member starts, a second run changes nothing', async () => {
  // 1. The manifest without the generator's objects: what a user who forgot the Secret sees.
  await kube.applyAll(objects.filter((o) => !isGenerator(o)));
  const event = await eventually('an event of db-0 naming the missing Secret', async () => {
    const events = await kube.list('v1', 'Event', ns, undefined, 'involvedObject.name=db-0');
    return events.find((e) => e.reason === 'FailedMount' && /secret "db-credentials" not found/.test(e.message));
  }, 180000, 1000);
  const set = await kube.get('apps/v1', 'StatefulSet', ns, 'db');
  expect(set?.metadata.annotations?.['mysql.cdk8s-stateful.io/credentials']).toBe('Secret db-credentials, keys root-password, replication-password, password');
  expect(kubectl(['-n', ns, 'describe', 'pod', 'db-0']).stdout).toMatch(/FailedMount.*secret "db-credentials" not found/);

  // 2. The generator's Secret (empty) and Job.
  const t0 = Date.now();
  await kube.applyAll(objects.filter(isGenerator));
  await jobSucceeded();
  const filled = await secretData();
  expect(Object.keys(filled).sort()).toEqual(['password', 'replication-password', 'root-password']);
  for (const v of Object.values(filled)) expect(v).toMatch(/^[A-Za-z0-9]{32}$/);
  await readyPod(kube, ns, 'db-0', { timeoutMs: 300000 });
  const readyAfter = Math.round((Date.now() - t0) / 1000);
  // The app user logs in with the generated password, through the write Service, into its database.
  const login = exec(ns, 'db-0', ['bash', '-c', 'IFS= read -r pw; mysql --defaults-file=<(printf \'[client]\\nuser=shop\\npassword="%s"\\n\' "$pw") -h db-primary -N -B -e "SELECT DATABASE(), CURRENT_USER()" shop'],
    { container: 'mysql', input: `${filled.password}\n` });
  expect(`${login.stdout.trim()}${login.stderr.trim()}`).toBe('shop\tshop@%');
  const jobLog = kubectl(['-n', ns, 'logs', 'job/db-credentials']).stdout;
  expect(jobLog).toContain('wrote a random password into root-password replication-password password of the Secret db-credentials');
  for (const v of Object.values(filled)) expect(jobLog).not.toContain(v);

  // 3. The Job again (as Argo CD's hook or Flux's force re-creates it): nothing changes.
  await kube.delete('batch/v1', 'Job', ns, 'db-credentials', { propagationPolicy: 'Foreground' });
  await eventually('the Job gone', async () => ((await kube.get('batch/v1', 'Job', ns, 'db-credentials')) ? undefined : true), 120000, 1000);
  await kube.applyAll(objects.filter((o) => o.kind === 'Job'));
  await jobSucceeded();
  expect(await secretData()).toEqual(filled);
  expect(kubectl(['-n', ns, 'logs', 'job/db-credentials']).stdout).toContain('every key of the Secret db-credentials has a value');
  note(`credentials: ${JSON.stringify({ event: event.message, ready_after_generator_s: readyAfter })}`);
});
