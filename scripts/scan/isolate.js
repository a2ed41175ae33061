#!/usr/bin/env node
// Copies manifests for ONE checkov run over all of them, keeping each file's NetworkPolicies to that file's pods.
//
// checkov's graph check CKV2_K8S_6 (a NetworkPolicy for each pod) ignores namespaces: in one run, a policy of
// one file would count for the pods of every other file. Scanning each file alone is right but slow (checkov
// takes ~6 s to start, and every case has a NetworkPolicy now). So each copy gets one more label,
// `scan.cdk8s-stateful.io/unit: <n>`, on every pod template (and Pod) AND in every NetworkPolicy's podSelector:
// within a file the same pods match as before, across files none do. Nothing else changes.
//
// Usage: node isolate.js OUT_DIR FILE...   (writes OUT_DIR/<basename of FILE>)
'use strict';
const fs = require('fs');
const path = require('path');
const { parseAllDocuments, stringify } = require('yaml');

const KEY = 'scan.cdk8s-stateful.io/unit';
const [out, ...files] = process.argv.slice(2);
if (!out || files.length === 0) {
  console.error('usage: node isolate.js OUT_DIR FILE...');
  process.exit(2);
}
fs.mkdirSync(out, { recursive: true });

function label(meta, unit) {
  meta.labels = { ...(meta.labels || {}), [KEY]: unit };
}

files.forEach((file, i) => {
  const unit = String(i);
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => d.toJSON()).filter(Boolean);
  for (const o of docs) {
    if (o.kind === 'NetworkPolicy' && o.spec) {
      const sel = o.spec.podSelector || {};
      o.spec.podSelector = { ...sel, matchLabels: { ...(sel.matchLabels || {}), [KEY]: unit } };
    } else if (o.kind === 'Pod') {
      o.metadata = o.metadata || {};
      label(o.metadata, unit);
    } else if (o.spec && o.spec.template) {
      o.spec.template.metadata = o.spec.template.metadata || {};
      label(o.spec.template.metadata, unit);
    } else if (o.kind === 'CronJob' && o.spec && o.spec.jobTemplate && o.spec.jobTemplate.spec && o.spec.jobTemplate.spec.template) {
      const t = o.spec.jobTemplate.spec.template;
      t.metadata = t.metadata || {};
      label(t.metadata, unit);
    }
  }
  const target = path.join(out, path.basename(file));
  if (fs.existsSync(target)) {
    console.error(`isolate: two files named ${path.basename(file)}`);
    process.exit(1);
  }
  fs.writeFileSync(target, docs.map(d => stringify(d)).join('---\n'));
});
