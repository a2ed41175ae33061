// `node -r ./scripts/register-ts.js file.ts`: runs the example app (cdk8s synth) from its TypeScript
// without a build step. Each .ts file is transpiled in memory when loaded (no type check: `npm test`
// type-checks); compiled .js (lib/, node_modules) loads as usual. Not for the benchmark: the
// compiler it loads would add about 40 MB to every measured process (bench/tsconfig.json builds it).
'use strict';
const fs = require('fs');
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
