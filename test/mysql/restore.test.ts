/**
 * ReplicatedMySql's `restore`: what the bootstrap is told and given (the store, the source cluster, the backup,
 * the S3 key as files), the script only with it, and a clear refusal of every choice that could not restore.
 */
import {
  EmptyPrimaryPolicy, MySqlBackupStorage, MySqlReplication, MySqlRestore, MySqlRestoreSourceOptions, ReplicatedMySql, ReplicatedMySqlProps,
  S3Credentials, S3StorageOptions,
} from '../../src';
import { checkAll } from '../policy';
import { find, newChart, synth } from '../util';

const STORAGE: S3StorageOptions = { bucket: 'db-backups', region: 'eu-central-1', prefix: 'mysql', credentials: S3Credentials.fromSecret('backup-s3') };
const SOURCE: MySqlRestoreSourceOptions = { storage: MySqlBackupStorage.s3(STORAGE) };
const IMAGE = 'registry.example/mysql-debian:9.7.4';
const ID = '20261207T030000Z-6f1c2b9e-0d6b-4a57-9d3f-2a8c1e5b7f00';

function build(props: ReplicatedMySqlProps = {}) {
  const chart = newChart('shop');
  new ReplicatedMySql(chart, 'mysql', { replicas: 3, image: IMAGE, restore: MySqlRestore.fromBackup(SOURCE).toLatestBackup(), ...props });
  const objects = synth(chart);
  const pod = find(objects, 'StatefulSet', 'mysql').spec.template.spec;
  const bootstrap = pod.initContainers.find((c: { name: string }) => c.name === 'bootstrap');
  return { objects, pod, bootstrap };
}
const envOf = (container: { env: Array<{ name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }> }) =>
  Object.fromEntries(container.env.map((e) => [e.name, e.value ?? `<${e.valueFrom?.fieldRef.fieldPath}>`]));
const RESTORE_ENV = ['RESTORE_NAME', 'RESTORE_NAMESPACE', 'RESTORE_BACKUP_ID', 'POD_UID', 'S3_ENDPOINT', 'S3_REGION', 'S3_BUCKET', 'S3_PREFIX', 'S3_CREDENTIALS_DIR', 'DONOR_WAIT_TIMEOUT'];

describe('restore: the bootstrap', () => {
  test('told the store, the source (this cluster by default) and the newest backup; the members wait for it as long as it may take', () => {
    const env = envOf(build().bootstrap);
    expect(env).toMatchObject({
      RESTORE_NAME: 'mysql', RESTORE_NAMESPACE: 'shop', POD_UID: '<metadata.uid>', S3_ENDPOINT: 'https://s3.eu-central-1.amazonaws.com',
      S3_REGION: 'eu-central-1', S3_BUCKET: 'db-backups', S3_PREFIX: 'mysql', S3_CREDENTIALS_DIR: '/etc/mysql-restore/s3', DONOR_WAIT_TIMEOUT: '21600',
    });
    expect(env.RESTORE_BACKUP_ID).toBeUndefined();
  });

  test('one backup by id, of another cluster in another namespace', () => {
    const restore = MySqlRestore.fromBackup({ ...SOURCE, sourceNamespace: 'shop-old', sourceName: 'db' }).toBackup(ID);
    expect(envOf(build({ restore }).bootstrap)).toMatchObject({ RESTORE_NAME: 'db', RESTORE_NAMESPACE: 'shop-old', RESTORE_TARGET: 'backup', RESTORE_BACKUP_ID: ID });
  });

  const GTID = '3e11fa47-71ca-11e1-9e33-c80aa9429562:1234';
  test.each<[string, MySqlRestore, { [env: string]: string | undefined }]>([
    ['toLatestBackup: a full backup, no binary log', MySqlRestore.fromBackup(SOURCE).toLatestBackup(), { RESTORE_TARGET: 'backup', RESTORE_TARGET_VALUE: undefined }],
    ['toLatest: the newest backup and the whole archive', MySqlRestore.fromBackup(SOURCE).toLatest(), { RESTORE_TARGET: 'latest', RESTORE_TARGET_VALUE: undefined }],
    ['toTime, to the microsecond', MySqlRestore.fromBackup(SOURCE).toTime('2026-12-07T10:15:00.250Z'), { RESTORE_TARGET: 'time', RESTORE_TARGET_VALUE: '2026-12-07T10:15:00.250Z' }],
    ['toGtid (included)', MySqlRestore.fromBackup(SOURCE).toGtid(GTID), { RESTORE_TARGET: 'gtid', RESTORE_TARGET_VALUE: GTID }],
    ['beforeGtid', MySqlRestore.fromBackup(SOURCE).beforeGtid(GTID), { RESTORE_TARGET: 'before-gtid', RESTORE_TARGET_VALUE: GTID }],
    ['allowArchiveHoles, explicit', MySqlRestore.fromBackup(SOURCE).toLatest({ allowArchiveHoles: true }), { RESTORE_TARGET: 'latest', RESTORE_ALLOW_HOLES: '1' }],
  ])('the point: %s', (_what, restore, env) => {
    const got = envOf(build({ restore }).bootstrap);
    for (const [name, value] of Object.entries(env)) expect(got[name]).toBe(value);
    if (!('RESTORE_ALLOW_HOLES' in env)) expect(got.RESTORE_ALLOW_HOLES).toBeUndefined();
  });

  test('the S3 key as files of its own Secret, mounted into the bootstrap only; no secret in any environment', () => {
    const { pod, bootstrap } = build();
    expect(pod.volumes.find((v: { name: string }) => v.name === 'restore-s3')).toEqual({
      name: 'restore-s3',
      secret: { secretName: 'backup-s3', defaultMode: 0o440, items: [{ key: 'access-key-id', path: 'access-key-id' }, { key: 'secret-access-key', path: 'secret-access-key' }] },
    });
    expect(bootstrap.volumeMounts).toContainEqual({ name: 'restore-s3', mountPath: '/etc/mysql-restore/s3', readOnly: true });
    for (const c of [...pod.initContainers, ...pod.containers].filter((x: { name: string }) => x.name !== 'bootstrap')) {
      expect(JSON.stringify(c.volumeMounts)).not.toContain('restore-s3');
    }
    expect(JSON.stringify(pod)).not.toMatch(/secretKeyRef/);
  });

  test('restore.sh and s3.sh in the ConfigMap; an image of its own for the bootstrap only; restricted policy holds', () => {
    const { objects, pod, bootstrap } = build({ image: 'mysql:9.7.4', restore: MySqlRestore.fromBackup({ ...SOURCE, image: IMAGE }).toLatestBackup() });
    expect(Object.keys(find(objects, 'ConfigMap', 'mysql-config').data)).toEqual(expect.arrayContaining(['s3.sh', 'restore.sh']));
    expect(Object.keys(find(objects, 'ConfigMap', 'mysql-config').data)).not.toContain('backup.sh');
    expect(bootstrap.image).toBe(IMAGE);
    expect(pod.containers.find((c: { name: string }) => c.name === 'mysql').image).toBe('mysql:9.7.4');
    // (the S3 key's Secret is the user's, made out of band, as for backups)
    expect(checkAll(objects, ['external-ref'])).toEqual([]);
  });

  test('without restore: no script, no Secret, no RESTORE_ env; the bootstrap runs the members\' image', () => {
    const { objects, pod, bootstrap } = build({ restore: undefined });
    expect(Object.keys(find(objects, 'ConfigMap', 'mysql-config').data)).not.toContain('restore.sh');
    expect(Object.keys(envOf(bootstrap)).filter((e) => RESTORE_ENV.includes(e))).toEqual([]);
    expect(bootstrap.image).toBe(IMAGE);
    expect(pod.volumes.map((v: { name: string }) => v.name)).not.toContain('restore-s3');
  });

  test('Group Replication and emptyPrimary REFUSE: restored all the same (the script checks for data first)', () => {
    const { bootstrap } = build({ replication: MySqlReplication.groupReplication(), emptyPrimary: EmptyPrimaryPolicy.REFUSE });
    expect(envOf(bootstrap)).toMatchObject({ RESTORE_NAME: 'mysql', EMPTY_PRIMARY: 'refuse', REPLICATION_MODE: 'group' });
  });
});

describe('restore: backups of the new cluster', () => {
  test('to another prefix, or of another cluster\'s backups: allowed', () => {
    const other = MySqlBackupStorage.s3({ ...STORAGE, prefix: 'mysql-restored' });
    expect(() => build({ backup: { storage: other } })).not.toThrow();
    expect(() => build({ backup: { storage: SOURCE.storage }, restore: MySqlRestore.fromBackup({ ...SOURCE, sourceName: 'db' }).toLatest() })).not.toThrow();
  });
});

describe('restore: refused choices', () => {
  const refuse = (props: ReplicatedMySqlProps, message: RegExp) => {
    expect(() => build(props)).toThrow(/^ReplicatedMySql 'test\/mysql': /);
    expect(() => build(props)).toThrow(message);
  };
  const from = (o: Partial<MySqlRestoreSourceOptions> | { [key: string]: unknown }) => MySqlRestore.fromBackup({ ...SOURCE, ...o });

  test.each<[string, ReplicatedMySqlProps, RegExp]>([
    ['a location without a point (plain JavaScript)', { restore: MySqlRestore.fromBackup(SOURCE) as never },
      /restore "MySqlRestore\.fromBackup\(\.\.\.\)" is invalid: says where the backups are, not which point to restore\. Fix: add the point: \.toLatest\(\) .*\.toLatestBackup\(\)/],
    ['something else', { restore: { backup: 'latest' } as never }, /restore \{"backup":"latest"\} is invalid: must be a MySqlRestore .*Fix: use MySqlRestore\.fromBackup\(\{ storage \}\)\.toLatestBackup\(\)/],
    ['a backup id that is not one', { restore: from({}).toBackup('latest') }, /restore \(toBackup\) "latest" is invalid: is not a backup id .*Fix: copy the id from the backup Job's log line/],
    ['a time without a zone', { restore: from({}).toTime('2026-12-07 10:15:00') }, /restore \(toTime\) "2026-12-07 10:15:00" is invalid: is not a time in RFC 3339 in UTC.*Fix: write e\.g\. "2026-12-07T10:15:00Z"/],
    ['a day that does not exist', { restore: from({}).toTime('2026-02-30T10:00:00Z') }, /restore \(toTime\) "2026-02-30T10:00:00Z" is invalid/],
    ['backups into the history it restores from', { backup: { storage: SOURCE.storage } },
      /backup\.storage "s3:\/\/db-backups\/mysql\/shop\/mysql\/" is invalid: is where restore reads from: .*Fix: give backup\.storage another prefix/],
    ['emptyPrimary INITIALIZE_ANYWAY, which skips the checks', { emptyPrimary: EmptyPrimaryPolicy.INITIALIZE_ANYWAY },
      /emptyPrimary "INITIALIZE_ANYWAY" is invalid: skips the checks that no member holds data, which a restore must run/],
    ['a time in another zone', { restore: from({}).toTime('2026-12-07T10:15:00+01:00') }, /restore \(toTime\) "2026-12-07T10:15:00\+01:00" is invalid/],
    ['a GTID set where one GTID is meant', { restore: from({}).beforeGtid('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5') }, /restore \(beforeGtid\) "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5" is invalid: is not one GTID/],
    ['a GTID without its number', { restore: from({}).toGtid('3e11fa47-71ca-11e1-9e33-c80aa9429562') }, /restore \(toGtid\) .* is invalid: is not one GTID/],
    ['a misspelt point option', { restore: from({}).toLatest({ allowArchivesHoles: true } as never) },
      /restore \(the point's options\)\.allowArchivesHoles true is invalid: is not a prop of MySqlRestorePointOptions .*Fix: did you mean allowArchiveHoles\?/],
    ['a misspelt option', { restore: from({ sourceNmae: 'db' }).toLatestBackup() },
      /restore \(MySqlRestore\.fromBackup\)\.sourceNmae "db" is invalid: is not a prop of MySqlRestoreSourceOptions .*Fix: did you mean sourceName\?/],
    ['a source name that is no cluster\'s', { restore: from({ sourceName: 'My_DB' }).toLatestBackup() }, /restore\.sourceName "My_DB" is invalid/],
    ['a source namespace Kubernetes refuses', { restore: from({ sourceNamespace: 'Shop' }).toLatestBackup() }, /restore\.sourceNamespace "Shop" is invalid/],
    ['a bucket S3 refuses', { restore: MySqlRestore.fromBackup({ storage: MySqlBackupStorage.s3({ ...STORAGE, bucket: 'DB' }) }).toLatestBackup() },
      /restore\.storage\.bucket "DB" is invalid: is not an S3 bucket name/],
    ['plain HTTP unless allowed', { restore: MySqlRestore.fromBackup({ storage: MySqlBackupStorage.s3({ ...STORAGE, endpoint: 'http://s3.store:9000' }) }).toLatestBackup() },
      /restore\.storage\.endpoint "http:\/\/s3\.store:9000" is invalid: is plain HTTP/],
    ['the official image the members run, without an image of its own', { image: 'mysql:9.7.4' },
      /restore\.image \(the members' image\) "mysql:9\.7\.4" is invalid: is an official mysql image: .*Fix: set restore\.image to an image of the same MySQL version with tar and curl 7\.87 or later/],
    ['an image without a tag', { restore: from({ image: 'mysql-tools' }).toLatestBackup() }, /restore\.image "mysql-tools" is invalid: is not an image reference pinned/],
  ])('%s', (_what, props, message) => refuse(props, message));
});
