#!/usr/bin/env bash
# A new user's first hour, in CI: packs the library (npm pack), creates a fresh cdk8s app the way the
# README's "Start a new cdk8s app" says (package registry only, no project template), synthesizes
# every whole program of README.md in it with `cdk8s synth`, and runs the installed
# `cdk8s-stateful` command. Proves the tarball installs and works outside this repository: the
# files list, the peer dependencies, the bin entry, the pod scripts shipped beside lib/.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$SECONDS
phase() { printf '=== consumer: %s (at %ss)\n' "$*" "$((SECONDS - started))"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT

phase "npm pack"
npm pack --silent --pack-destination "$work" >/dev/null
tarball=$(find "$work" -maxdepth 1 -name 'cdk8s-stateful-*.tgz' | head -1)
# What a user must never receive: sources of tests, the bench, build leftovers.
if tar -tzf "$tarball" | grep -E '^package/(test/|lib/bench/|jsii-out/|node_modules/)' | grep -v '^package/node_modules/yaml/'; then
  echo "consumer: the tarball carries files users should not get (above)" >&2; exit 1
fi
echo "consumer: $(basename "$tarball"), $(tar -tzf "$tarball" | wc -l) files, $(du -k "$tarball" | cut -f1) KiB"

phase "a new cdk8s app (README: Start a new cdk8s app)"
app=$work/shop-infra
mkdir -p "$app"
cd "$app"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent cdk8s@2 constructs@10 cdk8s-plus-28@2 "$tarball"
npm install --no-audit --no-fund --silent --save-dev cdk8s-cli@2 ts-node typescript@5 @types/node@20
printf 'language: typescript\napp: npx ts-node main.ts\nimports: []\n' > cdk8s.yaml
echo '{"compilerOptions":{"target":"ES2022","module":"commonjs","strict":true,"skipLibCheck":true}}' > tsconfig.json
node -e 'const l=require("./package-lock.json").packages;console.log("consumer: installed " + ["cdk8s","constructs","cdk8s-plus-28","cdk8s-cli","typescript"].map(n=>n+"@"+l["node_modules/"+n].version).join(" "))'

phase "every whole program of README.md, through cdk8s synth"
# The whole programs (a block that creates its own App), as test/docs.test.ts finds them.
node - "$root/README.md" "$app/programs" <<'JS'
const fs = require('fs');
const [readme, out] = process.argv.slice(2);
fs.mkdirSync(out, { recursive: true });
const blocks = [...fs.readFileSync(readme, 'utf8').matchAll(/^```(?:ts|typescript)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm)].map(m => m[1]).filter(b => /\bnew App\(/.test(b));
if (blocks.length < 2) { console.error(`consumer: only ${blocks.length} whole programs in README.md`); process.exit(1); }
blocks.forEach((b, i) => fs.writeFileSync(`${out}/${String(i).padStart(2, '0')}.ts`, b));
JS
count=0
for program in programs/*.ts; do
  cp "$program" main.ts
  rm -rf dist
  # A program that reads files (the guard's example) runs where the README's commands would.
  if ! npx cdk8s synth --no-check-upgrade >"$work/synth.log" 2>&1; then
    cat "$work/synth.log" >&2
    echo "consumer: README program $(basename "$program") failed in a fresh app (above); it is:" >&2
    cat "$program" >&2
    exit 1
  fi
  files=$(find dist -name '*.yaml' | wc -l)
  if [ "$files" -eq 0 ] && grep -q 'app.synth()' main.ts; then
    echo "consumer: README program $(basename "$program") wrote no YAML" >&2; exit 1
  fi
  echo "consumer: README program $(basename "$program"): $files YAML file(s)"
  count=$((count + 1))
done

phase "the installed CLI"
npx cdk8s-stateful --version
cp -R dist old-dist
npx cdk8s-stateful check --base old-dist dist
rc=0; npx cdk8s-stateful check --base old-dist no-such-dir 2>"$work/err.log" || rc=$?
if [ "$rc" -ne 2 ] || ! grep -q '^cdk8s-stateful: error:' "$work/err.log"; then
  echo "consumer: a missing path must exit 2 with one error line (got $rc)" >&2; cat "$work/err.log" >&2; exit 1
fi
phase "done: $count README programs synthesized in a fresh app"
