/**
 * The harness's reading of a cluster's backup manifests, and its `withRestore`, against what the library synthesizes:
 * the manifests with the restore env added by the harness must be what `restore: ...` in the same construct gives
 * (so that `--manifests DIR` restores a user's cluster the way its own manifests would), and the store and the key
 * must be read from where the backup CronJob names them.
 */
import { Chart, Testing } from 'cdk8s';
import { MySqlBackupStorage, MySqlRestore, MySqlTls, ReplicatedMySql, ReplicatedMySqlProps, S3Credentials } from '../../../src';
import { s3SecretOf, storeFactsOf, withRestore } from './backup-manifests';
import { Manifest } from './manifests';
import { DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY } from './s3';

const STORAGE = MySqlBackupStorage.s3({
  bucket: 'acme-db', prefix: 'prod/eu', region: 'eu-central-1', endpoint: 'https://store.example:9000',
  credentials: S3Credentials.fromSecret('db-s3', { accessKeyId: 'AK', secretAccessKey: 'SK' }),
});
const GTID = '3e11fa47-71ca-11e1-9e33-c80aa9429562:1234';

function synth(props: ReplicatedMySqlProps): Manifest[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
  new ReplicatedMySql(chart, 'orders', { image: 'registry.example/mysql-debian:9.7.4', replicas: 3, startOrdinal: 2, tls: MySqlTls.fromSecret('orders-tls'), ...props });
  return Testing.synth(chart) as Manifest[];
}

/** Without the pod template's checksum of the ConfigMap (the harness does not read it). */
function comparable(objects: Manifest[]): Manifest[] {
  return objects.map((o) => {
    if (o.kind !== 'StatefulSet') return o;
    const copy = JSON.parse(JSON.stringify(o));
    delete copy.spec.template.metadata.annotations['checksum/config'];
    return copy;
  });
}

describe('backup-manifests: the store the manifests name, and withRestore', () => {
  test('storeFactsOf reads the bucket, prefix, Secret and keys from the backup CronJob; the archiver and verification when present', () => {
    const objects = synth({ backup: { storage: STORAGE, verifySchedule: '0 5 * * *' } });
    expect(storeFactsOf(objects, 'orders', 'shop')).toEqual({
      bucket: 'acme-db', prefix: 'prod/eu', secretName: 'db-s3', accessKeyIdKey: 'AK', secretAccessKeyKey: 'SK', base: 'prod/eu/shop/orders', archiver: true, verify: true,
    });
    expect(s3SecretOf(storeFactsOf(objects, 'orders', 'shop')!)).toEqual({ 'db-s3': { AK: DEFAULT_ACCESS_KEY, SK: DEFAULT_SECRET_KEY } });
    expect(storeFactsOf(synth({ backup: { storage: STORAGE, binlogArchive: false } }), 'orders', 'shop')).toMatchObject({ archiver: false, verify: false });
    expect(storeFactsOf(synth({}), 'orders', 'shop')).toBeUndefined();
  });

  test.each([
    ['before-gtid', MySqlRestore.fromBackup({ storage: STORAGE }).beforeGtid(GTID), { target: 'before-gtid', value: GTID }],
    ['time, holes allowed', MySqlRestore.fromBackup({ storage: STORAGE }).toTime('2026-12-07T10:15:00.5Z', { allowArchiveHoles: true }),
      { target: 'time', value: '2026-12-07T10:15:00.5Z', allowHoles: true }],
    ['one backup', MySqlRestore.fromBackup({ storage: STORAGE }).toBackup('20261207T030000Z-abc'), { target: 'backup', backupId: '20261207T030000Z-abc' }],
    ['latest', MySqlRestore.fromBackup({ storage: STORAGE }).toLatest(), { target: 'latest' }],
  ] as const)('withRestore (%s) gives what restore in the construct synthesizes', (_what, restore, point) => {
    const plain = synth({});
    const store = storeFactsOf(synth({ backup: { storage: STORAGE } }), 'orders', 'shop')!;
    const from = { store, endpoint: 'https://store.example:9000', region: 'eu-central-1', sourceNamespace: 'shop', sourceName: 'orders' };
    const restored = withRestore(plain, 'orders', from, point);
    expect(comparable(restored)).toEqual(comparable(synth({ restore })));
    // The manifests given are not changed.
    expect(plain).toEqual(synth({}));
  });
});
