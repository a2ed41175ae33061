#!/usr/bin/env node
// Reads the scanners' JSON reports, turns them into one list of findings (tool, check, object, source), and
// sorts each finding into:
//   excepted  - matches an entry of scripts/scan/exceptions.yaml (a deliberate choice, with its reason);
//   pending   - matches a line of scripts/scan/pending-fixes.txt (a real defect of our output, to be fixed in src/);
//   new       - anything else: the scan fails.
// Entries of either file that match no finding are stale: the scan fails too (remove them, e.g. after a fix).
// With --no-pending, pending findings fail the scan as well (to check that the fixes landed); with --no-stale
// (other folders than dist/ and the matrix), unused entries are not reported.
//
// Usage: node scripts/scan/report.js [--no-pending] [--no-stale] --exceptions FILE --pending FILE REPORT...
//   REPORT: <tool>@<source>=<file>, tool one of checkov, kube-score, kubeconform; source e.g. dist or matrix.
'use strict';
const fs = require('fs');
const { parse } = require('yaml');

const args = process.argv.slice(2);
let exceptionsFile;
let pendingFile;
let failOnPending = false;
let checkStale = true;
const reports = [];
while (args.length > 0) {
  const a = args.shift();
  if (a === '--exceptions') exceptionsFile = args.shift();
  else if (a === '--pending') pendingFile = args.shift();
  else if (a === '--no-pending') failOnPending = true;
  else if (a === '--no-stale') checkStale = false;
  else reports.push(a);
}
if (!exceptionsFile || !pendingFile || reports.length === 0) {
  console.error('usage: report.js [--no-pending] --exceptions FILE --pending FILE TOOL@SOURCE=REPORT...');
  process.exit(2);
}

/** A glob with `*` (any text) only, matched against the whole string. */
function glob(pattern) {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function readJson(file) {
  const text = fs.readFileSync(file, 'utf8').trim();
  return text === '' ? null : JSON.parse(text);
}

/** checkov: `results.failed_checks` of each framework report; resource ids are Kind.namespace.name. */
function checkov(json, source) {
  const list = Array.isArray(json) ? json : json ? [json] : [];
  return list.flatMap((report) =>
    (report.results?.failed_checks ?? []).map((c) => {
      // CKV2_K8S_6 names a pod by its labels, among them the one isolate.js added: drop it.
      const [kind, ...rest] = String(c.resource).replace(/\.scan\.cdk8s-stateful\.io\/unit-\d+/, '').split('.');
      const name = rest.length > 1 ? rest.slice(1).join('.') : rest.join('.');
      return { tool: 'checkov', check: c.check_id, title: c.check_name, kind, name, source, file: c.file_path, detail: '' };
    }),
  );
}

/** kube-score: every check graded below "all OK" (1 critical, 5 warning) that was not skipped. */
function kubeScore(json, source) {
  return (json ?? []).flatMap((object) =>
    (object.checks ?? [])
      .filter((c) => !c.skipped && c.grade < 10)
      .map((c) => ({
        tool: 'kube-score',
        check: c.check.id,
        title: `${c.check.name} (${c.grade <= 1 ? 'critical' : 'warning'})`,
        kind: object.type_meta?.kind,
        name: object.object_meta?.name,
        source,
        file: object.file_name,
        detail: (c.comments ?? []).map((m) => `${m.path ? `${m.path}: ` : ''}${m.summary}`).join('; '),
      })),
  );
}

/** kubeconform -output json: every resource that is not valid. */
function kubeconform(json, source) {
  return (json?.resources ?? [])
    .filter((r) => r.status !== 'statusValid' && r.status !== 'statusSkipped')
    .map((r) => ({ tool: 'kubeconform', check: r.status, title: 'strict schema (Kubernetes 1.28)', kind: r.kind, name: r.name, source, file: r.filename, detail: r.msg }));
}

/** own-checks.js: already a list of findings. */
function own(json, source) {
  return (json ?? []).map((f) => ({ tool: 'own', source, ...f }));
}

const parsers = { checkov, 'kube-score': kubeScore, kubeconform, own };
const findings = [];
for (const spec of reports) {
  const match = /^([^@]+)@([^=]+)=(.+)$/.exec(spec);
  if (!match || !parsers[match[1]]) {
    console.error(`report.js: bad report argument ${spec}`);
    process.exit(2);
  }
  findings.push(...parsers[match[1]](readJson(match[3]), match[2]));
}

// Both files select findings by tool and check, optionally narrowed by objects (`Kind/name` globs), sources
// (dist, matrix), files (base names of the scanned files, globs) and detail (a regular expression).
const list = (v) => (v === undefined ? ['*'] : Array.isArray(v) ? v : [v]);
function selector(e, where) {
  if (!e.tool || !e.check) {
    console.error(`${where}: needs tool and check`);
    process.exit(2);
  }
  return { ...e, objects: list(e.objects).map(glob), sources: list(e.sources).map(glob), files: list(e.files).map(glob), detail: e.detail ? new RegExp(e.detail) : undefined, used: 0 };
}
// exceptions.yaml: a list of { tool, check, objects?, sources?, files?, detail?, reason }.
const exceptions = (parse(fs.readFileSync(exceptionsFile, 'utf8')) ?? []).map((e, i) => {
  if (!e.reason) {
    console.error(`${exceptionsFile}: entry ${i + 1} needs a reason`);
    process.exit(2);
  }
  return selector(e, `${exceptionsFile}: entry ${i + 1}`);
});
// pending-fixes.txt: `tool check [objects=GLOB] [sources=GLOB] [files=GLOB] [detail=REGEX] -- note`, # comments.
const pending = fs
  .readFileSync(pendingFile, 'utf8')
  .split('\n')
  .map((line, i) => ({ line: line.replace(/(^|\s)#.*$/, '').trim(), n: i + 1 }))
  .filter((l) => l.line !== '')
  .map((l) => {
    const [spec, note = ''] = l.line.split(/\s+--\s+/);
    const [tool, check, ...rest] = spec.split(/\s+/);
    const fields = Object.fromEntries(rest.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    return { ...selector({ tool, check, ...fields }, `${pendingFile}:${l.n}`), note: note.trim(), text: `${pendingFile}:${l.n}: ${spec}` };
  });

const objectOf = (f) => `${f.kind}/${f.name}`;
const base = (file) => String(file ?? '').split('/').pop();
const matches = (e, f) =>
  e.tool === f.tool &&
  e.check === f.check &&
  e.objects.some((g) => g.test(objectOf(f))) &&
  e.sources.some((g) => g.test(f.source)) &&
  e.files.some((g) => g.test(base(f.file))) &&
  (e.detail === undefined || e.detail.test(f.detail));
const pendingMatches = matches;

const unexpected = [];
const pendingFound = [];
let excepted = 0;
for (const f of findings) {
  const p = pending.find((x) => pendingMatches(x, f));
  if (p) {
    p.used++;
    pendingFound.push({ f, p });
    continue;
  }
  const e = exceptions.find((x) => matches(x, f));
  if (e) {
    e.used++;
    excepted++;
    continue;
  }
  unexpected.push(f);
}

const short = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const line = (f) => `  ${f.tool} ${f.check} ${f.source}/${base(f.file)}:${short(objectOf(f), 60)}  ${f.title}${f.detail ? ` — ${short(f.detail, 160)}` : ''}`;
const byTool = {};
for (const f of findings) byTool[f.tool] = (byTool[f.tool] ?? 0) + 1;
console.log(`scan: ${findings.length} findings (${Object.entries(byTool).map(([t, n]) => `${t} ${n}`).join(', ') || 'none'}): ${excepted} excepted, ${pendingFound.length} pending fixes, ${unexpected.length} new`);
for (const e of exceptions.filter((x) => x.used > 0)) {
  console.log(`  excepted ${String(e.used).padStart(3)}  ${e.tool} ${e.check}: ${e.reason.replace(/\s+/g, ' ').trim()}`);
}
if (pendingFound.length > 0) {
  console.log(`\nscan: ${pendingFound.length} findings are real defects awaiting a fix in src/ (scripts/scan/pending-fixes.txt):`);
  for (const p of pending.filter((x) => x.used > 0)) {
    const mine = pendingFound.filter((x) => x.p === p).map((x) => x.f);
    const objects = [...new Set(mine.map((f) => `${f.source}/${base(f.file)}:${short(objectOf(f), 40)}`))];
    console.log(`  pending  ${String(p.used).padStart(3)}  ${p.tool} ${p.check}: ${p.note}`);
    console.log(`                e.g. ${objects.slice(0, 3).join(', ')}${objects.length > 3 ? `, and ${objects.length - 3} more` : ''}`);
    if (failOnPending) mine.forEach((f) => console.log(line(f)));
  }
}
const staleExceptions = checkStale ? exceptions.filter((x) => x.used === 0) : [];
const stalePending = checkStale ? pending.filter((x) => x.used === 0) : [];
if (unexpected.length > 0) {
  console.log(`\nscan: ${unexpected.length} NEW findings (fix the output, or add a reasoned entry to ${exceptionsFile}):`);
  unexpected.forEach((f) => console.log(line(f)));
}
if (staleExceptions.length > 0 || stalePending.length > 0) {
  console.log('\nscan: STALE entries (they match no finding any more: remove them):');
  staleExceptions.forEach((e) => console.log(`  ${exceptionsFile}: ${e.tool} ${e.check}: ${e.reason.replace(/\s+/g, ' ').trim().slice(0, 100)}`));
  stalePending.forEach((p) => console.log(`  ${p.text}`));
}
const failed = unexpected.length + staleExceptions.length + stalePending.length + (failOnPending ? pendingFound.length : 0);
process.exit(failed > 0 ? 1 : 0);
