#!/usr/bin/env node
// npm pack's manifest without the install-time script: `prepare` builds lib/ for installs from git,
// but a tarball ships lib/ built, and npm warns about install scripts a user's install would run.
//   node scripts/pack-manifest.js strip     (prepack: package.json without scripts.prepare, the original kept aside)
//   node scripts/pack-manifest.js restore   (postpack: the original back)
'use strict';
const fs = require('fs');
const path = require('path');

const root = process.env.PACK_ROOT ?? path.join(__dirname, '..');
const file = path.join(root, 'package.json');
const kept = path.join(root, '.package.json.packing');

if (process.argv[2] === 'strip') {
  // A copy left by a pack that died before postpack is the original: put it back first, never overwrite it.
  if (fs.existsSync(kept)) fs.renameSync(kept, file);
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(kept, text);
  const pkg = JSON.parse(text);
  delete pkg.scripts.prepare;
  fs.writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (process.argv[2] === 'restore') {
  if (fs.existsSync(kept)) fs.renameSync(kept, file);
} else {
  console.error('usage: node scripts/pack-manifest.js strip|restore');
  process.exit(2);
}
