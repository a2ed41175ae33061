#!/usr/bin/env node
// Runs the example app (src/main.ts) for `cdk8s synth`. It transpiles TypeScript in memory
// (no type check: `npm test` type-checks), so a synth always reflects the current sources
// and needs no build step or extra dependency.
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: false,
  sourceMap: false,
  inlineSourceMap: true,
};

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const out = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(out.outputText, filename);
};

require(path.join(__dirname, '..', 'src', 'main.ts'));
