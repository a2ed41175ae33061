#!/usr/bin/env node
// Writes an OCI image layout (oci-layout, index.json, blobs/sha256/...) of one single-layer image from a
// root file system directory, for `ctr -n k8s.io images import` on the test node (no registry is reachable,
// so every image the node runs is built here). The layer is `tar` of the directory (numeric owners, one file
// system), gzip level 1; the config carries the entrypoint, user, environment and working directory given.
// A fixed creation date keeps the config digest stable for the same content.
//
//   node oci-image.js --rootfs DIR --out DIR --name REF [--exclude PATTERN]... [--entrypoint JSON]
//                     [--cmd JSON] [--user UID[:GID]] [--env K=V]... [--workdir DIR]
//
// REF is a full reference (localhost/cdk8s-node/busybox:1.35.0); it goes into the index as both
// io.containerd.image.name (what ctr import names the image) and org.opencontainers.image.ref.name.
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

function parse(argv) {
  const opts = { exclude: [], env: [] };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${key} needs a value`);
    i++;
    switch (key) {
      case '--rootfs': opts.rootfs = value; break;
      case '--out': opts.out = value; break;
      case '--name': opts.name = value; break;
      case '--exclude': opts.exclude.push(value); break;
      case '--entrypoint': opts.entrypoint = JSON.parse(value); break;
      case '--cmd': opts.cmd = JSON.parse(value); break;
      case '--user': opts.user = value; break;
      case '--env': opts.env.push(value); break;
      case '--workdir': opts.workdir = value; break;
      default: throw new Error(`unknown option ${key}`);
    }
  }
  for (const required of ['rootfs', 'out', 'name']) {
    if (!opts[required]) throw new Error(`--${required} is required`);
  }
  return opts;
}

function sha256(buffer) {
  return crypto.createHash('sha256').update(buffer).digest('hex');
}

function writeBlob(blobs, content) {
  const buffer = Buffer.from(typeof content === 'string' ? content : JSON.stringify(content));
  const digest = sha256(buffer);
  fs.writeFileSync(path.join(blobs, digest), buffer);
  return { digest: `sha256:${digest}`, size: buffer.length };
}

/** tar | (sha256 of the tar) | gzip | (sha256 of the gzip) > blob: the layer's diff id, digest and size. */
function writeLayer(opts, blobs) {
  return new Promise((resolve, reject) => {
    const args = ['--numeric-owner', '--one-file-system', '--sort=name', '-C', opts.rootfs];
    for (const pattern of opts.exclude) args.push(`--exclude=${pattern}`);
    args.push('-cf', '-', '.');
    const tar = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const diffHash = crypto.createHash('sha256');
    const blobHash = crypto.createHash('sha256');
    const gzip = zlib.createGzip({ level: 1 });
    const tmp = path.join(blobs, `.layer-${process.pid}`);
    const out = fs.createWriteStream(tmp);
    let size = 0;
    let stderr = '';
    tar.stderr.on('data', (chunk) => { stderr += chunk; });
    tar.stdout.on('data', (chunk) => diffHash.update(chunk));
    gzip.on('data', (chunk) => { blobHash.update(chunk); size += chunk.length; });
    tar.stdout.pipe(gzip).pipe(out);
    let tarCode;
    tar.on('close', (code) => { tarCode = code; });
    out.on('error', reject);
    out.on('finish', () => {
      // GNU tar exits 1 when a file changed while it was read (a live log, say): the layer is still whole.
      if (tarCode !== 0 && tarCode !== 1) {
        reject(new Error(`tar exited ${tarCode}: ${stderr.trim()}`));
        return;
      }
      const digest = blobHash.digest('hex');
      fs.renameSync(tmp, path.join(blobs, digest));
      resolve({ diffId: `sha256:${diffHash.digest('hex')}`, digest: `sha256:${digest}`, size });
    });
  });
}

async function main() {
  const opts = parse(process.argv.slice(2));
  const blobs = path.join(opts.out, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const layer = await writeLayer(opts, blobs);
  const created = '2026-01-01T00:00:00Z';
  const config = {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env],
      ...(opts.entrypoint ? { Entrypoint: opts.entrypoint } : {}),
      ...(opts.cmd ? { Cmd: opts.cmd } : {}),
      ...(opts.user ? { User: opts.user } : {}),
      ...(opts.workdir ? { WorkingDir: opts.workdir } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created, created_by: `scripts/node/oci-image.js from ${path.basename(opts.rootfs)}` }],
  };
  const configBlob = writeBlob(blobs, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.size }],
  };
  const manifestBlob = writeBlob(blobs, manifest);
  const tag = opts.name.slice(opts.name.lastIndexOf(':') + 1);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifestBlob,
      platform: { architecture: 'amd64', os: 'linux' },
      annotations: { 'io.containerd.image.name': opts.name, 'org.opencontainers.image.ref.name': tag },
    }],
  };
  fs.writeFileSync(path.join(opts.out, 'index.json'), JSON.stringify(index));
  fs.writeFileSync(path.join(opts.out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  process.stdout.write(`${opts.name} ${layer.digest} ${(layer.size / 1048576).toFixed(1)} MiB\n`);
}

main().catch((e) => {
  process.stderr.write(`oci-image: ${e.message}\n`);
  process.exit(1);
});
