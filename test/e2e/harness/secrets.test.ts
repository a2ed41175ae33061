/**
 * The e2e harness's Secrets: a Secret the manifests emit is used as it is, except the keys a credentials Job
 * of the manifests fills (it has none of them at first), which get passwords as that Job would write them.
 */
import { MySqlCredentials, ReplicatedMySql, ReplicatedMySqlProps } from '../../../src';
import { find, newChart, synth } from '../../util';
import { generateSecrets } from './secrets';

function objectsOf(props: ReplicatedMySqlProps) {
  const chart = newChart('db');
  new ReplicatedMySql(chart, 'mysql', { database: { name: 'shop', user: 'shop' }, ...props });
  const objects = synth(chart);
  return { objects, sts: find(objects, 'StatefulSet', 'mysql') };
}

test('a generated Secret (emitted empty, filled by its Job) gets a password for every key the pods read', () => {
  const { objects, sts } = objectsOf({ credentials: MySqlCredentials.fromGeneratedSecret() });
  const secrets = generateSecrets(sts, objects, 'db');
  expect(Object.keys(secrets['mysql-credentials']).sort()).toEqual(['password', 'replication-password', 'root-password']);
  for (const v of Object.values(secrets['mysql-credentials'])) expect(v.length).toBeGreaterThan(8);
});

test('a Secret the manifests hold with values is used as it is; no Job fills it', () => {
  const { objects, sts } = objectsOf({
    credentials: MySqlCredentials.fromInsecurePlaintextPasswords({ rootPassword: 'r', replicationPassword: 'p', userPassword: 'u' }),
  });
  expect(generateSecrets(sts, objects, 'db')['mysql-credentials']).toEqual({ 'root-password': 'r', 'replication-password': 'p', 'password': 'u' });
});
