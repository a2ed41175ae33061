/**
 * The S3 servers of the backup tests (s3.ts) on their own, both of them: started on 127.0.0.1 in
 * the run's network namespace and nowhere else, a 6 MiB object written in parts, listed, read back
 * byte for byte and deleted, credentials checked (versitygw) or not (gofakes3), the host's aws CLI
 * as an independent client when it is installed, and every server stopped by PID, also when it
 * fails to start.
 */
import { spawnSync } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { listeningAddresses, S3_KINDS, S3Kind, S3Server, s3ServerBinaries, startS3Server } from './s3';

const MIB = 1024 * 1024;
const md5 = (b: Buffer) => createHash('md5').update(b).digest();
const quoted = (b: Buffer) => `"${b.toString('hex')}"`;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const awsCli = spawnSync('bash', ['-c', 'command -v aws'], { encoding: 'utf8' }).stdout.trim();

beforeAll(() => {
  // Built (or found in the cache) once, outside any test's time budget.
  s3ServerBinaries();
}, 900_000);

describe.each(S3_KINDS)('%s', (kind: S3Kind) => {
  const bucket = 'e2e-backups';
  const data = randomBytes(6 * MIB);
  let server: S3Server | undefined;
  const s3 = () => server!.client();
  afterAll(async () => { await server?.dispose(); });

  test('starts on 127.0.0.1 only; a signed GET / answers 200 and lists the bucket', async () => {
    server = await startS3Server({ kind, bucket });
    expect(server.running()).toBe(true);
    expect(listeningAddresses(server.pid)).toEqual([`127.0.0.1:${server.port}`]);
    expect(await s3().listBuckets()).toEqual([bucket]);
    expect(await s3().listObjects(bucket)).toEqual([]);
  });

  test('6 MiB in a multipart upload (5 MiB + 1 MiB): listed, read back byte-identical, deleted', async () => {
    const key = 'binlog/mysql-bin.000001';
    const parts = [data.subarray(0, 5 * MIB), data.subarray(5 * MIB)];
    const up = await s3().multipartUpload(bucket, key, data);
    expect(up.partEtags).toEqual(parts.map((p) => quoted(md5(p))));
    // The S3 convention: MD5 of the parts' MD5s, dash, the number of parts.
    expect(up.etag).toBe(`"${md5(Buffer.concat(parts.map(md5))).toString('hex')}-2"`);
    // What the object reads as afterwards: versitygw keeps the multipart ETag; gofakes3 stores the assembled
    // object as if PUT whole, so its listing and HEAD give the MD5 of all 6 MiB, not what Complete answered.
    const stored = kind === 'versitygw' ? up.etag : quoted(md5(data));
    expect(await s3().listObjects(bucket, 'binlog/')).toMatchObject([{ key, size: data.length, etag: stored }]);
    expect(await s3().headObject(bucket, key)).toEqual({ size: data.length, etag: stored });
    const got = await s3().getObject(bucket, key);
    expect(got.body.length).toBe(data.length);
    expect(got.body.equals(data)).toBe(true);
    await s3().deleteObject(bucket, key);
    expect(await s3().listObjects(bucket)).toEqual([]);
    expect(await s3().headObject(bucket, key)).toBeUndefined();
    await expect(s3().getObject(bucket, key)).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
  });

  test('6 MiB in one PUT: the ETag is its MD5; read back byte-identical; deleted', async () => {
    const key = 'full/backup 2026-12-07T00:00:00Z.tar.zst';
    expect(await s3().putObject(bucket, key, data)).toBe(quoted(md5(data)));
    expect(await s3().listObjects(bucket, 'full/')).toMatchObject([{ key, size: data.length, etag: quoted(md5(data)) }]);
    expect((await s3().getObject(bucket, key)).body.equals(data)).toBe(true);
    await s3().deleteObject(bucket, key);
    expect(await s3().listObjects(bucket)).toEqual([]);
  });

  if (kind === 'versitygw') {
    test('refuses a wrong secret, an unknown access key, another region and an unsigned request; nothing is written', async () => {
      const key = 'refused';
      const wrong = server!.client({ secretKey: `${server!.secretKey}x` });
      await expect(wrong.putObject(bucket, key, data.subarray(0, MIB))).rejects.toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
      await expect(wrong.listObjects(bucket)).rejects.toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
      // Single-account mode (no IAM configured): an unknown key is 404 XAdminUserNotFound, not AWS's 403 InvalidAccessKeyId.
      const unknown = server!.client({ accessKey: 'nobody' });
      await expect(unknown.listBuckets()).rejects.toMatchObject({ status: 404, code: 'XAdminUserNotFound' });
      // A signature scoped to another region than the gateway's (--region us-east-1).
      await expect(server!.client({ region: 'eu-west-1' }).listBuckets()).rejects.toMatchObject({ status: 400, code: 'AuthorizationHeaderMalformed' });
      const unsigned = await s3().request('PUT', `/${bucket}/${key}`, { body: data.subarray(0, MIB), unsigned: true });
      expect(unsigned.status).toBe(403);
      expect(unsigned.body.toString('utf8')).toContain('<Code>AccessDenied</Code>');
      expect(await s3().headObject(bucket, key)).toBeUndefined();
      expect(await s3().listObjects(bucket)).toEqual([]);
    });
  } else {
    test('checks no credentials at all: a wrong secret and an unsigned request are accepted', async () => {
      const wrong = server!.client({ secretKey: 'wrong' });
      expect(await wrong.putObject(bucket, 'any', Buffer.from('x'))).toBe(quoted(md5(Buffer.from('x'))));
      expect((await s3().request('GET', `/${bucket}/any`, { unsigned: true })).status).toBe(200);
      await s3().deleteObject(bucket, 'any');
      expect(await s3().listObjects(bucket)).toEqual([]);
    });
  }

  test('the host aws CLI, an independent SigV4 client: reads what this client wrote, writes in parts what it reads', async () => {
    if (!awsCli) throw new Error('no aws CLI on the PATH: scripts/e2e/run.sh installs it (apt-get install awscli)');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3-awscli-'));
    try {
      // Its own config only (5 MiB parts, so 6 MiB goes in two parts); nothing from ~/.aws, no instance metadata.
      fs.writeFileSync(path.join(dir, 'config'), '[default]\nregion = us-east-1\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n');
      const env: { [k: string]: string } = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
      Object.assign(env, {
        HOME: dir, AWS_CONFIG_FILE: path.join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ACCESS_KEY_ID: server!.accessKey, AWS_SECRET_ACCESS_KEY: server!.secretKey,
      });
      const aws = (...args: string[]) => {
        const res = spawnSync(awsCli, ['--endpoint-url', server!.endpoint, ...args], { env, encoding: 'utf8', timeout: 120_000 });
        if (res.status !== 0) throw new Error(`aws ${args.join(' ')}: exit ${res.status}\n${res.stderr}${res.error ? String(res.error) : ''}`);
        return res.stdout;
      };
      await s3().putObject(bucket, 'cli/from-client', data);
      const listed = JSON.parse(aws('s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', 'cli/', '--output', 'json'));
      expect(listed.Contents.map((o: any) => [o.Key, o.Size, o.ETag])).toEqual([['cli/from-client', data.length, quoted(md5(data))]]);
      aws('s3api', 'get-object', '--bucket', bucket, '--key', 'cli/from-client', path.join(dir, 'got'));
      expect(fs.readFileSync(path.join(dir, 'got')).equals(data)).toBe(true);
      fs.writeFileSync(path.join(dir, 'put'), data);
      aws('s3', 'cp', '--only-show-errors', path.join(dir, 'put'), `s3://${bucket}/cli/from-aws`);
      // In two parts: versitygw's ETag says so (the MD5 of the parts' MD5s, "-2"); gofakes3's is the whole MD5.
      const parts = [data.subarray(0, 5 * MIB), data.subarray(5 * MIB)];
      const etag = kind === 'versitygw' ? `"${md5(Buffer.concat(parts.map(md5))).toString('hex')}-2"` : quoted(md5(data));
      expect(await s3().headObject(bucket, 'cli/from-aws')).toEqual({ size: data.length, etag });
      expect((await s3().getObject(bucket, 'cli/from-aws')).body.equals(data)).toBe(true);
      aws('s3', 'rm', '--only-show-errors', '--recursive', `s3://${bucket}/cli/`);
      expect(await s3().listObjects(bucket)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('dispose() stops it by PID (SIGTERM) and closes its port', async () => {
    const pid = server!.pid;
    expect(alive(pid)).toBe(true);
    const t0 = Date.now();
    await server!.dispose();
    expect(alive(pid)).toBe(false);
    // SIGTERM was enough (the SIGKILL comes after 5 s).
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(server!.running()).toBe(false);
    await expect(s3().request('GET', '/', { timeoutMs: 2000 })).rejects.toThrow(/ECONNREFUSED/);
    expect(fs.existsSync(server!.workDir)).toBe(!!process.env.E2E_KEEP);
  });
});

describe('a server that cannot start', () => {
  test.each(S3_KINDS)('%s on a port already taken: the error carries its log, and it is stopped', async (kind) => {
    // Another listener on the port (it hangs up on whoever connects: the server's readiness probe, before its exit is seen).
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      let error: Error | undefined;
      await startS3Server({ kind, bucket: 'e2e-backups', port }).catch((e: Error) => { error = e; });
      expect(error?.message).toMatch(new RegExp(`^${kind} \\(pid \\d+, http://127.0.0.1:${port}\\) did not start: it exited`));
      expect(error?.message).toMatch(/address already in use/);
      const pid = Number(/\(pid (\d+),/.exec(error!.message)![1]);
      expect(alive(pid)).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('only 127.0.0.0/8: another address is refused before anything starts', async () => {
    await expect(startS3Server({ kind: 'gofakes3', bucket: 'e2e-backups', host: '0.0.0.0' })).rejects.toThrow(/only on 127\.0\.0\.0\/8/);
    await expect(startS3Server({ kind: 'versitygw', bucket: 'e2e-backups', host: '::1' })).rejects.toThrow(/only on 127\.0\.0\.0\/8/);
  });
});
