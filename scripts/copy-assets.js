#!/usr/bin/env node
// tsc copies only .ts output; the shell scripts that run in pods ship beside the compiled
// modules that read them (src/mysql/scripts/*.sh -> lib/mysql/scripts/*.sh). Last step of the
// build: lib/.built records when it last succeeded (tsc leaves its outputs alone when a source's
// content did not change, e.g. after a git checkout, so their times cannot say it).
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
function copy(dir) {
  for (const entry of fs.readdirSync(path.join(root, 'src', dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      copy(rel);
    } else if (entry.name.endsWith('.sh')) {
      fs.mkdirSync(path.join(root, 'lib', dir), { recursive: true });
      fs.copyFileSync(path.join(root, 'src', rel), path.join(root, 'lib', rel));
    }
  }
}
copy('.');
fs.writeFileSync(path.join(root, 'lib', '.built'), '');
