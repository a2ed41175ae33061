// The README's code-block conventions, in one place for the two readers: test/docs.test.ts
// (type-checks and runs every block against the built library) and scripts/consumer/run.sh (runs
// them in a fresh app that installed the packed tarball). See README, "Docs are tests".
'use strict';
const fs = require('fs');

/**
 * The ```ts / ```typescript blocks of a Markdown file, in order: a block starting with
 * `// (continued)` is appended to the one before it; `// throws: <regex>` marks an error example;
 * a block that creates its own App (`new App(`) is a whole program, any other a fragment.
 */
function readBlocks(file, label = file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blocks = [];
  let open;
  let fence = '';
  lines.forEach((text, i) => {
    if (open === undefined) {
      const m = /^(\s*)(```+)\s*(ts|typescript)\s*$/.exec(text);
      if (m) {
        open = { line: i + 1, body: [] };
        fence = m[2];
      } else if (/^\s*```/.test(text)) {
        // another language's block: skip to its end
        fence = `skip:${/^(\s*)(```+)/.exec(text)[2]}`;
        open = { line: -1, body: [] };
      }
      return;
    }
    const closing = fence.startsWith('skip:') ? fence.slice(5) : fence;
    if (text.trim() === closing) {
      if (open.line > 0) {
        const code = open.body.join('\n');
        const first = open.body[0]?.trim() ?? '';
        const throws = /^\/\/ throws: (.+)$/.exec(first);
        if (first === '// (continued)') {
          const prev = blocks.pop();
          if (!prev) throw new Error(`${label}:${open.line}: "// (continued)" but no block before it`);
          blocks.push({ ...prev, code: `${prev.code}\n${code}`, line: open.line });
        } else {
          blocks.push({ file: label, line: open.line, code, fragment: !/\bnew App\(/.test(code), throws: throws ? new RegExp(throws[1]) : undefined });
        }
      }
      open = undefined;
      return;
    }
    open.body.push(text);
  });
  if (open !== undefined) throw new Error(`${label}: a code block is not closed`);
  return blocks;
}

/** Local names a block's own import lines bind. */
function importedNames(code) {
  const names = new Set();
  for (const m of code.matchAll(/^\s*import\s+(?:\*\s+as\s+(\w+)|\{([^}]*)\})\s+from\s/gm)) {
    if (m[1]) names.add(m[1]);
    for (const part of (m[2] ?? '').split(',')) {
      const local = part.trim().split(/\s+as\s+/).pop();
      if (local) names.add(local.replace(/^type\s+/, ''));
    }
  }
  return names;
}

/**
 * The prelude a fragment runs after: cdk8s, cdk8s-plus-28 (also as `kplus`) and `libraryNames` from
 * cdk8s-stateful, then `app` and `chart` (namespace `shop`). Names the fragment imports itself are
 * left out, so its own import lines stay and are checked.
 */
function prelude(libraryNames, code) {
  const own = importedNames(code);
  const list = (xs) => xs.filter((x) => !own.has(x)).join(', ');
  return [
    `import { ${list(['ApiObject', 'App', 'Chart', 'Cron', 'Duration', 'JsonPatch', 'Size', 'Testing', 'YamlOutputType'])} } from 'cdk8s';`,
    own.has('kplus') ? '' : "import * as kplus from 'cdk8s-plus-28';",
    `import { ${list(['Cpu', 'ImagePullPolicy', 'k8s', 'PodManagementPolicy', 'Protocol', 'ServiceType'])} } from 'cdk8s-plus-28';`,
    `import { ${list(libraryNames)} } from 'cdk8s-stateful';`,
    'const app = new App();',
    "const chart = new Chart(app, 'docs', { namespace: 'shop' });",
    'export {};',
  ].join('\n');
}

module.exports = { readBlocks, importedNames, prelude };
