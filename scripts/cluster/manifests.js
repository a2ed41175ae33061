#!/usr/bin/env node
// `npm run test:cluster -- --manifests DIR` (run by scripts/cluster/run.sh once the control plane is up):
// server-side dry-run, then server-side apply, of every object under DIR into namespaces labelled Pod
// Security 'restricted' (as written; objects without a namespace go to cdk8s-stateful-manifests), one
// result line per object, then a check that each workload's pods are admitted. Exit 1 if any object fails.
//
// The logic lives in test/cluster/apply.ts (type-checked by `npm test`); TypeScript is transpiled in
// memory here, as scripts/synth.js does, so no build step is needed.
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: false, inlineSourceMap: true },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};

const { applySource, formatReports, loadObjects } = require(path.join(__dirname, '..', '..', 'test', 'cluster', 'apply.ts'));
const { Kube } = require(path.join(__dirname, '..', '..', 'test', 'cluster', 'kube.ts'));

async function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: manifests.js DIR');
    process.exit(2);
  }
  let objects;
  try {
    objects = loadObjects(dir);
  } catch (e) {
    console.error(`manifests: ${e.message}`);
    process.exit(2);
  }
  if (objects.length === 0) {
    console.error(`manifests: no Kubernetes objects under ${dir}`);
    process.exit(1);
  }
  const kube = Kube.fromEnv();
  try {
    const reports = await applySource(kube, { name: dir, objects });
    console.log(formatReports(reports));
    const failed = reports.filter((r) => !r.ok).length;
    console.log(`\n${reports.length - failed} passed, ${failed} failed`);
    process.exitCode = failed > 0 ? 1 : 0;
  } finally {
    kube.close();
  }
}

main().catch((e) => {
  console.error(`manifests: ${e.stack || e}`);
  process.exit(1);
});
