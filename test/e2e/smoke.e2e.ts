import { ReplicatedMySql } from '../../src';
import { newCluster, scenario, synthObjects } from './env';

test('fresh cluster', async () => {
  const objects = synthObjects(chart => new ReplicatedMySql(chart, 'mysql', { replicas: 2, database: { name: 'shop', user: 'shop' }, image: 'mysql:9.7.4' }));
  const cluster = newCluster(objects);
  await scenario(cluster, async () => {
    await cluster.start().catch(e => { throw e; });
    console.log(cluster.describe(0), cluster.describe(1));
    console.log(cluster.query('SELECT @@server_id, @@super_read_only', { pod: 1 }));
  });
});
