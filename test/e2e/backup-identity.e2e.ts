/**
 * `S3Credentials.fromServiceAccount` on real servers: no key anywhere; each backup pod exchanges the projected token the
 * EKS pod identity webhook gives it (the harness injects what the webhook would: AWS_ROLE_ARN, the token file,
 * AWS_REGION) for temporary credentials with STS AssumeRoleWithWebIdentity, and signs every S3 request with them and
 * their session token. moto plays AWS: its STS hands out the credentials and, with its access control on, its S3
 * checks each request's signature, session token and the role's policy. A backup, the verification and the prune
 * job sign in so; a role without s3:PutObject is refused with S3's answer, and a pod without a role fails saying so.
 */
import { execFileSync } from 'child_process';
import { MySqlBackupStorage, MySqlTls, ReplicatedMySql, S3Credentials } from '../../src';
import { InjectedIdentity, runBackup, runPrune, runVerify } from './backup-pods';
import { clusterFor, scenarioLine, synthObjects } from './env';
import { MySqlCluster } from './harness/cluster';
import { S3_SERVER_REGION, S3Server, s3ServerBinaries, startS3Server } from './harness/s3';
import * as s from './scenarios';

const BUCKET = 'db-backups-irsa';
const ACCOUNT = '123456789012';
const WRITER = `arn:aws:iam::${ACCOUNT}:role/mysql-backups`;
const READER = `arn:aws:iam::${ACCOUNT}:role/mysql-backups-read-only`;

let server: S3Server;
beforeAll(async () => {
  s3ServerBinaries();
  server = await startS3Server({ kind: 'moto', bucket: BUCKET });
  // The roles, made while moto still lets requests through unsigned (IAM through the AWS CLI).
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.example` }, Action: 'sts:AssumeRoleWithWebIdentity' }] });
  const policy = (actions: string[]) => JSON.stringify({ Version: '2012-10-17', Statement: [
    { Effect: 'Allow', Action: actions, Resource: [`arn:aws:s3:::${BUCKET}/*`] },
    { Effect: 'Allow', Action: actions.includes('s3:*') ? actions : ['s3:ListBucket'], Resource: [`arn:aws:s3:::${BUCKET}`] },
  ] });
  const aws = (...args: string[]) => execFileSync('aws', ['--endpoint-url', server.endpoint, '--region', S3_SERVER_REGION, ...args], {
    env: { PATH: process.env.PATH, HOME: server.workDir, AWS_ACCESS_KEY_ID: 'set-up', AWS_SECRET_ACCESS_KEY: 'set-up' }, encoding: 'utf8',
  });
  // (the writer may do anything in the bucket: moto maps some requests to other actions than AWS, ListObjectsV2 among them)
  for (const [arn, actions] of [[WRITER, ['s3:*']], [READER, ['s3:GetObject']]] as const) {
    const name = arn.split('/').pop()!;
    aws('iam', 'create-role', '--role-name', name, '--assume-role-policy-document', trust);
    aws('iam', 'put-role-policy', '--role-name', name, '--policy-name', 'backups', '--policy-document', policy([...actions]));
  }
}, 900_000);
afterAll(async () => { await server?.dispose(); });

/** The role injected, and moto told to let through exactly the sign-in (AssumeRoleWithWebIdentity is unsigned). */
async function signIn(roleArn: string): Promise<InjectedIdentity> {
  await server.allowUnsignedRequests(1);
  return { roleArn, stsEndpoint: server.endpoint };
}

describe('a cluster whose backups sign in with the ServiceAccount\'s role', () => {
  const objects = () => synthObjects((chart) => new ReplicatedMySql(chart, 'mysql', {
    image: 'registry.example/mysql-debian:9.7.4', replicas: 1, tls: MySqlTls.fromSecret('mysql-tls'),
    backup: {
      storage: MySqlBackupStorage.s3({
        bucket: BUCKET, prefix: 'irsa', region: S3_SERVER_REGION,
        credentials: S3Credentials.fromServiceAccount({ annotations: { 'eks.amazonaws.com/role-arn': WRITER } }),
      }),
      binlogArchive: false, verifySchedule: '0 5 * * *', retention: { keepBackups: 1 },
    },
  }));
  const cluster = clusterFor(objects);
  let c: MySqlCluster;
  beforeAll(() => { c = cluster(); });

  test('two backups, the verification and the prune job, each signed in with temporary credentials', () => scenarioLine('backup-service-account', c, async () => {
    await c.start();
    s.createTestTable(c, 0);
    s.insert(c, 0, 'signed in with a role');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await runBackup(c, server, { identity: await signIn(WRITER) });
      expect(run.code).toBe(0);
      expect(run.log).toContain(`signed in to S3 as ${WRITER} (temporary credentials until `);
      ids.push(/^backup\.sh: BACKUP (\S+): /m.exec(run.log)![1]);
    }
    const verify = await runVerify(c, server, { identity: await signIn(WRITER) });
    expect(verify.code).toBe(0);
    expect(verify.log).toMatch(new RegExp(`VERIFIED ${ids[1]}: `));
    const prune = await runPrune(c, server, {}, { identity: await signIn(WRITER) });
    expect(prune.code).toBe(0);
    expect(prune.log).toMatch(new RegExp(`PRUNED: kept 1 backups, the oldest ${ids[1]} .*; deleted 1 older backups`));
    return { backups: ids.length };
  }));

  test('a role without s3:PutObject: refused by S3, and the backup fails saying so', () => scenarioLine('backup-service-account-denied', c, async () => {
    const run = await runBackup(c, server, { identity: await signIn(READER) });
    expect(run.code).not.toBe(0);
    expect(run.log).toContain(`signed in to S3 as ${READER}`);
    expect(run.log).toMatch(/answered HTTP 403 AccessDenied/);
  }));

  test('no role injected (no pod identity webhook): the backup fails at once, naming what is missing', () => scenarioLine('backup-service-account-missing', c, async () => {
    const run = await runBackup(c, server);
    expect(run.code).not.toBe(0);
    expect(run.log).toMatch(/S3Credentials\.fromServiceAccount: this pod has no IAM role \(AWS_ROLE_ARN '', token file ''\)/);
  }));
});
