#!/usr/bin/env node
// Writes the YAML of every case of the props matrix (test/cluster/matrix.ts) into OUT_DIR, one file per case
// (<case>.yaml, in namespace m-<case>), for the scanners. TypeScript is transpiled in memory, as scripts/synth.js
// does, so the matrix always reflects the current sources without a build step.
//
// Usage: node scripts/scan/matrix.js OUT_DIR
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

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: matrix.js OUT_DIR');
  process.exit(2);
}
const { Yaml } = require('cdk8s');
const { MATRIX, synthesizeCase } = require(path.join(__dirname, '..', '..', 'test', 'cluster', 'matrix.ts'));

fs.mkdirSync(outDir, { recursive: true });
let objects = 0;
for (const matrixCase of MATRIX) {
  const manifests = synthesizeCase(matrixCase, `m-${matrixCase.name}`.slice(0, 63));
  fs.writeFileSync(path.join(outDir, `${matrixCase.name}.yaml`), Yaml.stringify(...manifests));
  objects += manifests.length;
}
console.error(`matrix: ${MATRIX.length} cases, ${objects} objects written to ${outDir}`);
