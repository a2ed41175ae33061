// The example app that `cdk8s synth` renders into dist/: the scenarios of the seed documents.
import { App, Chart, Size } from 'cdk8s';
import { DiskProvider, DiskStorageClass, StatefulApp, UpdateStrategy } from './index';

/** Adds the example charts to an app (used by src/main.ts and by the snapshot tests). */
export function buildExample(app: App): void {
  // nginx `web`: 3 replicas, each with its own 1Gi `www` volume (PVCs www-web-0..2), on an
  // encrypted EBS gp3 class that keeps volumes when claims are deleted.
  const web = new Chart(app, 'web', { namespace: 'web' });
  const disks = new DiskStorageClass(web, 'gp3', { provider: DiskProvider.AWS_EBS_GP3 });
  new StatefulApp(web, 'web', {
    image: 'nginxinc/nginx-unprivileged:1.25.3',
    replicas: 3,
    ports: [{ name: 'http', port: 8080 }],
    volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1), storageClass: disks }],
    // nginx-unprivileged runs as uid/gid 101.
    runAsUser: 101,
    runAsGroup: 101,
    fsGroup: 101,
    readService: {},
  });

  // A staged rollout: 5 replicas, and a template change only reaches ordinals >= 3 until the
  // partition is lowered (the seeds' RollingUpdate with partition).
  const staged = new Chart(app, 'staged', { namespace: 'web' });
  new StatefulApp(staged, 'canary-web', {
    image: 'nginxinc/nginx-unprivileged:1.25.3',
    replicas: 5,
    ports: [{ name: 'http', port: 8080 }],
    volumes: [{ name: 'www', mountPath: '/usr/share/nginx/html', size: Size.gibibytes(1), storageClass: DiskStorageClass.fromStorageClassName('gp3') }],
    runAsUser: 101,
    runAsGroup: 101,
    fsGroup: 101,
    updateStrategy: UpdateStrategy.rollingUpdate({ partition: 3 }),
  });
}
