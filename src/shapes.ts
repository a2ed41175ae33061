/**
 * The runtime shapes of the constructs' props, for callers the compiler does not check (plain
 * JavaScript, YAML turned into props, `as any`). Each is derived from its interface
 * (src/declarations.generated.ts); this file holds only what a declaration cannot say: how to
 * recognise an instance of a class, and the fix to suggest. Made on first use, once.
 */
import { declaredShape, S, Shape, TypeShapes } from './check';
import { DisruptionBudget, UpdateStrategy } from './app/options';
import { EnvSource, HealthProbe } from './container';
import { MySqlBackupStorage, MySqlRestore, MySqlRestoreSource, S3Credentials } from './mysql/backup-props';
import { MySqlCredentials } from './mysql/credentials';
import { MySqlReplication } from './mysql/replication';
import { MySqlTls } from './mysql/tls';
import { DiskProvider } from './storage/disk-storage-class';

const instance = (name: string, test: (v: unknown) => boolean, fix: string | ((v: unknown) => string)) => S.instance(name, test, fix);
const group = (name: string) => S.object(name, { request: name === 'cpu' ? S.cpu : S.size, limit: name === 'cpu' ? S.cpu : S.size });

const TYPES: TypeShapes = {
  'HealthProbe': instance('HealthProbe', (v) => v instanceof HealthProbe, 'use HealthProbe.tcpSocket(), HealthProbe.httpGet("/healthz") or HealthProbe.exec([...])'),
  'EnvSource': instance('EnvSource', (v) => v instanceof EnvSource,
    (v) => (typeof v === 'string' ? `use EnvSource.fromValue(${JSON.stringify(v)})` : 'use EnvSource.fromValue("...") or EnvSource.fromSecretKey("secret", "key")')),
  // An interface that constructs implement (DiskStorageClass), or fromStorageClassName's plain object: duck-typed.
  'IStorageClass': instance('IStorageClass', (v) => v !== null && typeof v === 'object' && typeof (v as { storageClassName?: unknown }).storageClassName === 'string',
    'pass a DiskStorageClass, or DiskStorageClass.fromStorageClassName("gp3") for a class that exists in the cluster'),
  'UpdateStrategy': instance('UpdateStrategy', (v) => v instanceof UpdateStrategy, 'use UpdateStrategy.rollingUpdate({ partition }) or UpdateStrategy.onDelete()'),
  'DisruptionBudget': instance('DisruptionBudget', (v) => v instanceof DisruptionBudget, 'use DisruptionBudget.maxUnavailable(1), .minAvailable(n) or .none()'),
  'MySqlCredentials': instance('MySqlCredentials', (v) => v instanceof MySqlCredentials, 'use MySqlCredentials.fromSecretName("mysql-credentials")'),
  'MySqlTls': instance('MySqlTls', (v) => v instanceof MySqlTls, 'use MySqlTls.fromSecret("mysql-tls") or MySqlTls.certManager({ issuerName: "ca-issuer" })'),
  'MySqlReplication': instance('MySqlReplication', (v) => v instanceof MySqlReplication, 'use MySqlReplication.groupReplication() or MySqlReplication.asynchronous()'),
  'MySqlBackupStorage': instance('MySqlBackupStorage', (v) => v instanceof MySqlBackupStorage, 'use MySqlBackupStorage.s3({ bucket, region, credentials })'),
  'MySqlRestore': instance('MySqlRestore', (v) => v instanceof MySqlRestore || v instanceof MySqlRestoreSource,
    'use MySqlRestore.fromBackup({ storage }).toLatestBackup() or .toBackup("<id>")'),
  'S3Credentials': instance('S3Credentials', (v) => v instanceof S3Credentials, 'use S3Credentials.fromSecret("backup-s3")'),
  'DiskProvider': instance('DiskProvider', (v) => v instanceof DiskProvider, 'use a preset such as DiskProvider.AWS_EBS_GP3, or DiskProvider.custom(provisioner)'),
  // cdk8s-plus-28's types, passed through.
  'ContainerResources': S.object('ContainerResources', { cpu: group('cpu'), memory: group('memory'), ephemeralStorage: group('ephemeralStorage') }),
  'k8s.Toleration': S.any,
  'k8s.Volume': instance('k8s.Volume', (v) => v !== null && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string',
    'pass a Kubernetes Volume: { name: "certs", secret: { secretName: "certs" } }'),
};

/** Required props whose absence the construct reports itself, with a fix more specific than "set it". */
const SELF_CHECKED: { readonly [iface: string]: readonly string[] } = { StatefulAppProps: ['image'], DiskStorageClassProps: ['provider'] };

const made = new Map<string, Shape & { t: 'object' }>();

/** The shape of an exported props or options interface, e.g. `shapeOf('StatefulAppProps')`. */
export function shapeOf(iface: string): Shape & { t: 'object' } {
  const shape = made.get(iface) ?? declaredShape(iface, TYPES, SELF_CHECKED[iface]);
  made.set(iface, shape);
  return shape;
}
