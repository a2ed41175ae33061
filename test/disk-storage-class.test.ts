import { Chart, Size, Testing } from 'cdk8s';
import {
  DiskProvider, DiskStorageClass, DiskStorageClassProps, FileSystemType, ReclaimPolicy, StatefulApp, StatefulValidationError, VolumeBindingMode,
} from '../src';
import { find, newChart, synth, toYaml } from './util';

function storageClass(props: DiskStorageClassProps, namespace: string | null = 'shop') {
  const chart = newChart(namespace);
  const sc = new DiskStorageClass(chart, 'fast', props);
  return { sc, obj: find(synth(chart), 'StorageClass', sc.storageClassName) };
}

describe('DiskStorageClass', () => {
  test('defaults snapshot (AWS EBS gp3)', () => {
    const chart = newChart();
    new DiskStorageClass(chart, 'fast', { provider: DiskProvider.AWS_EBS_GP3 });
    expect(toYaml(synth(chart))).toMatchSnapshot();
  });

  test.each([
    ['AWS_EBS_GP3', DiskProvider.AWS_EBS_GP3, 'ebs.csi.aws.com', { type: 'gp3', encrypted: 'true' }, 'WaitForFirstConsumer'],
    ['AWS_EBS_GP2', DiskProvider.AWS_EBS_GP2, 'ebs.csi.aws.com', { type: 'gp2', encrypted: 'true' }, 'WaitForFirstConsumer'],
    ['AWS_EBS_IO2', DiskProvider.AWS_EBS_IO2, 'ebs.csi.aws.com', { type: 'io2', encrypted: 'true', iops: '3000' }, 'WaitForFirstConsumer'],
    ['GCE_PD_BALANCED', DiskProvider.GCE_PD_BALANCED, 'pd.csi.storage.gke.io', { type: 'pd-balanced' }, 'WaitForFirstConsumer'],
    ['GCE_PD_SSD', DiskProvider.GCE_PD_SSD, 'pd.csi.storage.gke.io', { type: 'pd-ssd' }, 'WaitForFirstConsumer'],
    ['AZURE_DISK_PREMIUM', DiskProvider.AZURE_DISK_PREMIUM, 'disk.csi.azure.com', { skuName: 'Premium_LRS' }, 'WaitForFirstConsumer'],
    ['AZURE_DISK_STANDARD_SSD', DiskProvider.AZURE_DISK_STANDARD_SSD, 'disk.csi.azure.com', { skuName: 'StandardSSD_LRS' }, 'WaitForFirstConsumer'],
    ['MINIKUBE', DiskProvider.MINIKUBE, 'k8s.io/minikube-hostpath', undefined, 'Immediate'],
    ['LOCAL_PATH', DiskProvider.LOCAL_PATH, 'rancher.io/local-path', undefined, 'WaitForFirstConsumer'],
  ])('preset %s', (_name, provider, provisioner, parameters, binding) => {
    const { obj } = storageClass({ provider });
    expect(obj.provisioner).toBe(provisioner);
    expect(obj.parameters).toEqual(parameters);
    expect(obj.volumeBindingMode).toBe(binding);
    // data-keeping defaults for every preset
    expect(obj.reclaimPolicy).toBe('Retain');
    expect(obj.allowVolumeExpansion).toBe(true);
    expect(obj.metadata.annotations).toBeUndefined();
  });

  test('is cluster-scoped: no namespace even in a namespaced chart', () => {
    const { obj } = storageClass({ provider: DiskProvider.AWS_EBS_GP3 });
    expect(obj.metadata.namespace).toBeUndefined();
    expect(storageClass({ provider: DiskProvider.AWS_EBS_GP3 }, null).obj.metadata.namespace).toBeUndefined();
  });

  test('options: name, Delete, Immediate, no expansion, default class, KMS, xfs, gp3 performance, zones, mount options, extra parameters', () => {
    const { sc, obj } = storageClass({
      provider: DiskProvider.AWS_EBS_GP3, name: 'db-disks', reclaimPolicy: ReclaimPolicy.DELETE, volumeBindingMode: VolumeBindingMode.IMMEDIATE,
      allowVolumeExpansion: false, isDefault: true, kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/abc', fsType: FileSystemType.XFS,
      iops: 6000, throughputMiBps: 250, zones: ['eu-west-1a', 'eu-west-1b'], mountOptions: ['noatime'], parameters: { tagSpecification_1: 'team=db' },
      labels: { team: 'db' },
    });
    expect(sc.storageClassName).toBe('db-disks');
    expect(obj).toMatchObject({
      metadata: { name: 'db-disks', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' }, labels: { team: 'db' } },
      reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate', allowVolumeExpansion: false, mountOptions: ['noatime'],
      parameters: {
        'type': 'gp3', 'encrypted': 'true', 'kmsKeyId': 'arn:aws:kms:eu-west-1:111122223333:key/abc', 'csi.storage.k8s.io/fstype': 'xfs',
        'iops': '6000', 'throughput': '250', 'tagSpecification_1': 'team=db',
      },
      allowedTopologies: [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['eu-west-1a', 'eu-west-1b'] }] }],
    });
  });

  test('customer-managed keys map to each cloud\'s parameter', () => {
    expect(storageClass({ provider: DiskProvider.GCE_PD_SSD, kmsKeyId: 'projects/p/locations/l/keyRings/r/cryptoKeys/k' }).obj.parameters)
      .toEqual({ 'type': 'pd-ssd', 'disk-encryption-kms-key': 'projects/p/locations/l/keyRings/r/cryptoKeys/k' });
    expect(storageClass({ provider: DiskProvider.AZURE_DISK_PREMIUM, kmsKeyId: '/subscriptions/s/des' }).obj.parameters)
      .toEqual({ skuName: 'Premium_LRS', diskEncryptionSetID: '/subscriptions/s/des' });
  });

  test('unencrypted EBS is an explicit choice', () => {
    expect(storageClass({ provider: DiskProvider.AWS_EBS_GP2, encrypted: false }).obj.parameters).toEqual({ type: 'gp2', encrypted: 'false' });
  });

  test('a custom provisioner', () => {
    const { obj } = storageClass({ provider: DiskProvider.custom('csi.vsphere.vmware.com', { parameters: { storagepolicyname: 'gold' }, zonal: false }) });
    expect(obj).toMatchObject({ provisioner: 'csi.vsphere.vmware.com', parameters: { storagepolicyname: 'gold' }, volumeBindingMode: 'Immediate', reclaimPolicy: 'Retain' });
  });

  test('claims reference it by name', () => {
    const chart = newChart();
    const disks = new DiskStorageClass(chart, 'fast', { provider: DiskProvider.AWS_EBS_GP3 });
    new StatefulApp(chart, 'web', { image: 'nginx:1.25.3', ports: [{ name: 'http', port: 8080 }], volumes: [{ name: 'www', mountPath: '/w', size: Size.gibibytes(1), storageClass: disks }] });
    expect(find(synth(chart), 'StatefulSet', 'web').spec.volumeClaimTemplates[0].spec.storageClassName).toBe('fast');
  });

  test('fromStorageClassName', () => {
    expect(DiskStorageClass.fromStorageClassName('standard-rwo').storageClassName).toBe('standard-rwo');
    expect(() => DiskStorageClass.fromStorageClassName('Standard RWO'))
      .toThrow(/DiskStorageClass\.fromStorageClassName: name "Standard RWO" is invalid: .*Fix: pass the name of an existing StorageClass/);
  });

  test.each<[string, Partial<DiskStorageClassProps>, RegExp]>([
    ['bad name', { name: 'Fast_SSD' }, /name "Fast_SSD" is invalid: must consist of lower case/],
    ['encrypted on GCE', { provider: DiskProvider.GCE_PD_SSD, encrypted: true }, /encrypted true is invalid: only applies to AWS EBS; pd-ssd volumes are always encrypted at rest\. Fix: remove encrypted/],
    ['kms with unencrypted EBS', { encrypted: false, kmsKeyId: 'k' }, /kmsKeyId "k" is invalid: needs encrypted volumes/],
    ['kms on minikube', { provider: DiskProvider.MINIKUBE, kmsKeyId: 'k' }, /kmsKeyId "k" is invalid: does not apply to minikube-hostpath/],
    ['gp3 iops too low', { iops: 2000 }, /iops 2000 is invalid: must be an integer between 3000 and 16000\. Fix: gp3 supports 3000 to 16000 IOPS/],
    ['io2 iops too high', { provider: DiskProvider.AWS_EBS_IO2, iops: 300000 }, /iops 300000 is invalid: must be an integer between 100 and 256000/],
    ['iops on gp2', { provider: DiskProvider.AWS_EBS_GP2, iops: 3000 }, /iops 3000 is invalid: only applies to AWS EBS gp3 and io2, not gp2/],
    ['throughput on io2', { provider: DiskProvider.AWS_EBS_IO2, throughputMiBps: 200 }, /throughputMiBps 200 is invalid: only applies to AWS EBS gp3, not io2/],
    ['throughput too high', { throughputMiBps: 2000 }, /throughputMiBps 2000 is invalid: must be an integer between 125 and 1000/],
    ['bad reclaim policy', { reclaimPolicy: 'Recycle' as ReclaimPolicy }, /reclaimPolicy "Recycle" is invalid: is not a ReclaimPolicy/],
    ['bad binding mode', { volumeBindingMode: 'Later' as VolumeBindingMode }, /volumeBindingMode "Later" is invalid/],
    ['bad fsType', { fsType: 'btrfs' as FileSystemType }, /fsType "btrfs" is invalid: is not a FileSystemType/],
    ['bad zone', { zones: ['EU West'] }, /zones\[0\] "EU West" is invalid: is not a zone name/],
    ['duplicate zone', { zones: ['a1', 'a1'] }, /zones \["a1","a1"\] is invalid: lists a zone twice/],
    ['non-string parameter', { parameters: { iopsPerGB: 50 as unknown as string } }, /parameters\.iopsPerGB 50 is invalid: must be a string \(received a number\)\. Fix: quote it: "50"/],
    ['not a provider', { provider: 'gp3' as unknown as DiskProvider }, /provider "gp3" is invalid: must be a DiskProvider/],
  ])('refuses %s', (_what, override, message) => {
    const build = () => new DiskStorageClass(newChart(), 'fast', { provider: DiskProvider.AWS_EBS_GP3, ...override });
    expect(build).toThrow(StatefulValidationError);
    expect(build).toThrow(/^DiskStorageClass 'test\/fast': /);
    expect(build).toThrow(message);
  });

  test('names come from the construct id, not the path', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'deep');
    const sc = new DiskStorageClass(chart, 'fast', { provider: DiskProvider.GCE_PD_BALANCED });
    expect(sc.storageClassName).toBe('fast');
  });
});
