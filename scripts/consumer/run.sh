#!/usr/bin/env bash
# A new user's first hour, in CI: packs the library and the guard (npm pack), creates a fresh cdk8s
# app the way the README's "Start a new cdk8s app" says (package registry only, no project template),
# synthesizes every whole program of README.md and docs/ (and the guard's README) in it with `cdk8s synth`, and
# runs the installed `cdk8s-stateful` command. Proves the tarballs install and work outside this
# repository: the files lists, the peer dependencies, the bin entry, the pod scripts shipped beside lib/.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$SECONDS
phase() { printf '=== consumer: %s (at %ss)\n' "$*" "$((SECONDS - started))"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT

phase "npm pack: the library and the guard"
pack() { npm pack --silent --pack-destination "$work" "$@" | tail -1; }
tarball=$work/$(pack)
guard_tarball=$work/$(pack --workspace packages/guard)
for t in "$tarball" "$guard_tarball"; do
  # What a user must never receive: sources of tests, the bench, other packages, build leftovers.
  if tar -tzf "$t" | grep -E '^package/(test/|bench/|examples/|packages/|src/|lib/bench/|jsii-out/|node_modules/)'; then
    echo "consumer: $(basename "$t") carries files users should not get (above)" >&2; exit 1
  fi
  echo "consumer: $(basename "$t"), $(tar -tzf "$t" | wc -l) files, $(du -k "$t" | cut -f1) KiB"
done
if tar -tzf "$tarball" | grep -E '^package/lib/(cli|guard/)'; then
  echo "consumer: the library's tarball still carries the guard (above)" >&2; exit 1
fi
# npm pack rebuilds lib/ and rewrites package.json for a moment (prepack/postpack): whoever runs beside this script
# and reads them (.ci/run) waits for this file.
if [ -n "${CONSUMER_PACKED:-}" ]; then : >"$CONSUMER_PACKED"; fi

phase "a new cdk8s app (README: Start a new cdk8s app)"
app=$work/shop-infra
mkdir -p "$app"
cd "$app"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent cdk8s@2 constructs@10 cdk8s-plus-28@2 "$tarball"
npm install --no-audit --no-fund --silent --save-dev "$guard_tarball"
npm install --no-audit --no-fund --silent --save-dev cdk8s-cli@2 ts-node typescript@5 @types/node@20
printf 'language: typescript\napp: npx ts-node main.ts\nimports: []\n' > cdk8s.yaml
echo '{"compilerOptions":{"target":"ES2022","module":"commonjs","strict":true,"skipLibCheck":true}}' > tsconfig.json
node -e 'const l=require("./package-lock.json").packages;console.log("consumer: installed " + ["cdk8s","constructs","cdk8s-plus-28","cdk8s-cli","typescript"].map(n=>n+"@"+l["node_modules/"+n].version).join(" "))'

phase "every TypeScript block of README.md and docs/: whole programs through cdk8s synth, fragments with the prelude"
# Read by the conventions test/docs.test.ts uses (scripts/docs/blocks.js); the prelude's library
# names come from the installed package.
node - "$root" "$app/programs" "$app/fragments" <<'JS'
const fs = require('fs');
const [root, programs, fragments] = process.argv.slice(2);
const { readBlocks, prelude } = require(`${root}/scripts/docs/blocks.js`);
fs.mkdirSync(programs, { recursive: true });
fs.mkdirSync(fragments, { recursive: true });
const lib = Object.keys(require(require.resolve('cdk8s-stateful', { paths: [process.cwd()] })));
let p = 0, f = 0;
const blocks = ['README.md', ...fs.readdirSync(`${root}/docs`).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`), 'packages/guard/README.md'].flatMap((f) => readBlocks(`${root}/${f}`, f));
for (const b of blocks) {
  if (!b.fragment) { fs.writeFileSync(`${programs}/${String(p++).padStart(2, '0')}.ts`, b.code); continue; }
  if (b.throws) continue; // an error example: test/docs.test.ts checks the message
  fs.writeFileSync(`${fragments}/${String(f++).padStart(2, '0')}.ts`, `${prelude(lib, b.code)}\n${b.code}\napp.synth();\n`);
}
if (p < 2 || f < 10) { console.error(`consumer: only ${p} programs and ${f} fragments in README.md and docs/`); process.exit(1); }
console.log(`consumer: ${p} whole programs, ${f} fragments`);
JS
run_programs() {
  for program in programs/*.ts; do
    cp "$program" main.ts
    rm -rf dist
    if ! npx cdk8s synth --no-check-upgrade >"$work/synth.log" 2>&1; then
      cat "$work/synth.log" >&2
      echo "consumer: README program $(basename "$program") failed in a fresh app (above); it is:" >&2
      cat "$program" >&2
      exit 1
    fi
    files=$(find dist -name '*.yaml' | wc -l)
    if [ "$files" -eq 0 ]; then echo "consumer: README program $(basename "$program") wrote no YAML" >&2; exit 1; fi
    echo "consumer: README program $(basename "$program"): $files YAML file(s)"
  done
}
# The fragments in one ts-node process (type-checked file by file); the guard's fragment reads
# dist/ and old-dist/ as the README's commands would find them.
cat > run-fragments.js <<'JS'
const fs = require('fs');
const path = require('path');
for (const f of fs.readdirSync('fragments').filter(x => x.endsWith('.ts')).sort()) {
  const out = fs.mkdtempSync(path.join(require('os').tmpdir(), 'fragment-'));
  process.env.CDK8S_OUTDIR = out;
  try {
    require(path.resolve('fragments', f));
  } catch (e) {
    console.error(`consumer: README fragment ${f} failed in a fresh app:\n${e.stack || e}\n--- it is:\n${fs.readFileSync(path.join('fragments', f), 'utf8')}`);
    process.exit(1);
  }
  const files = fs.readdirSync(out).filter(x => x.endsWith('.yaml'));
  if (files.length === 0) { console.error(`consumer: README fragment ${f} wrote no YAML`); process.exit(1); }
  console.log(`consumer: README fragment ${f}: ${files.length} YAML file(s)`);
  fs.rmSync(out, { recursive: true, force: true });
}
process.exitCode = 0; // a fragment may set it, as a CLI program would
JS
run_fragments() { node -r ts-node/register run-fragments.js; }
run_programs
rm -rf dist old-dist && cp -R "$root/dist" dist && cp -R "$root/dist" old-dist
run_fragments
count=$(find programs fragments -name '*.ts' | wc -l)

phase "the same blocks on the lowest peer versions package.json allows (cdk8s-plus-28 2.5.6's own minimums)"
# The registry serves cdk8s 2.68.12 as the lowest of ^2.68.11.
npm install --no-audit --no-fund --silent cdk8s@2.68.12 constructs@10.3.0 cdk8s-plus-28@2.5.6
node -e 'const l=require("./package-lock.json").packages;console.log("consumer: installed " + ["cdk8s","constructs","cdk8s-plus-28"].map(n=>n+"@"+l["node_modules/"+n].version).join(" "))'
run_programs
rm -rf dist old-dist && cp -R "$root/dist" dist && cp -R "$root/dist" old-dist
run_fragments

phase "the installed CLI"
npx cdk8s-stateful --version
rm -rf old-dist && cp -R dist old-dist
npx cdk8s-stateful check --base old-dist dist
rc=0; npx cdk8s-stateful check --base old-dist no-such-dir 2>"$work/err.log" || rc=$?
if [ "$rc" -ne 2 ] || ! grep -q '^cdk8s-stateful: error:' "$work/err.log"; then
  echo "consumer: a missing path must exit 2 with one error line (got $rc)" >&2; cat "$work/err.log" >&2; exit 1
fi
phase "done: $count README blocks synthesized in a fresh app"
