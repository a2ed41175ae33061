#!/usr/bin/env node
// The checks no third-party scanner here makes, for defects of our output that the issue names (so they are
// tracked like any scanner finding): an emptyDir without sizeLimit (a pod writing to it is the first evicted
// under disk pressure, and can fill the node) and a PodDisruptionBudget without unhealthyPodEvictionPolicy
// AlwaysAllow (a drain stalls on crash-looping pods). Prints a JSON list of findings for report.js.
//
// Usage: node scripts/scan/own-checks.js DIR
'use strict';
const fs = require('fs');
const path = require('path');
const { parseAllDocuments } = require('yaml');

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? files(full) : /\.ya?ml$/.test(e.name) ? [full] : [];
  });
}

const findings = [];
for (const file of files(process.argv[2]).sort()) {
  for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const o = doc.toJS();
    if (!o || typeof o !== 'object' || !o.kind) continue;
    const at = { kind: o.kind, name: o.metadata?.name, file };
    const pod = o.kind === 'Pod' ? o.spec : o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template?.spec : o.spec?.template?.spec;
    for (const v of pod?.volumes ?? []) {
      if (v.emptyDir && v.emptyDir.sizeLimit === undefined) {
        findings.push({ ...at, check: 'emptydir-size-limit', title: 'emptyDir without sizeLimit', detail: `volume ${v.name}` });
      }
    }
    if (o.kind === 'PodDisruptionBudget' && o.spec?.unhealthyPodEvictionPolicy !== 'AlwaysAllow') {
      findings.push({ ...at, check: 'pdb-unhealthy-pod-eviction-policy', title: 'PodDisruptionBudget without unhealthyPodEvictionPolicy: AlwaysAllow', detail: `${o.spec?.unhealthyPodEvictionPolicy ?? 'unset (IfHealthyBudget)'}` });
    }
  }
}
console.log(JSON.stringify(findings));
