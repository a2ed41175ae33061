#!/usr/bin/env bash
# npm run build:jsii [-- TARGET...]: compiles the library with jsii and packs it with jsii-pacmak
# for Python, Java and Go (or only the TARGETs given: python, java, go).
#
# jsii insists that its output directory is the one package.json's "types" points into (lib/),
# which is tsc's. So that `npm run build`, `npm test` and tsconfig.json stay exactly as they are,
# jsii runs in a staging copy of the package, jsii-out/ (git-ignored):
#   jsii-out/package.json         package.json with ".jsii" added to "files" (the jsii runtime
#                                 loads the assembly from the npm tarball pacmak embeds) and
#                                 without "scripts" (npm pack would run "prepare": tsc into lib/)
#   jsii-out/tsconfig.jsii.json   from scripts/jsii/ (compiles ../src; jsii needs stripInternal off)
#   jsii-out/lib/, jsii-out/.jsii jsii's output (JavaScript with jsii's type information)
#   jsii-out/packages/{python,java,go}/  what jsii-pacmak builds (package.json jsii.outdir,
#                                 relative to the staged package)
# Caches (outside the clone): pip and Maven under ~/.cache/cdk8s-stateful/{pip,m2}, Go's own module
# cache. .NET is not a target (no .NET SDK on the CI machines).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
stage=$root/jsii-out
cache=${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(python java go); fi

# (a list of Node majors to silence, not a flag)
JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=$(node -p 'process.versions.node.split(".")[0]')
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION
export PIP_CACHE_DIR=$cache/pip
export PIP_DISABLE_PIP_VERSION_CHECK=1

started=$SECONDS
phase() { printf '=== build:jsii: %s (at %ss)\n' "$*" "$((SECONDS - started))"; }

phase "stage the package in jsii-out/"
rm -rf "$stage"
mkdir -p "$stage/node_modules"
cp scripts/jsii/tsconfig.jsii.json README.md LICENSE "$stage/"
node -e '
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
  pkg.files = [...pkg.files, ".jsii"];
  delete pkg.scripts; // npm pack would run "prepare" (tsc into lib/)
  delete pkg.workspaces; // the guard (packages/guard) is not part of the jsii package
  fs.writeFileSync(process.argv[1], JSON.stringify(pkg, null, 2) + "\n");
' "$stage/package.json"

phase "jsii (compile, type-model checks, .jsii assembly)"
(cd "$stage" && "$root/node_modules/.bin/jsii" --fail-on-warnings=false)
# The pod scripts ship beside the module that reads them, as in `npm run build`.
(cd src && find . -name '*.sh' -print0) | while IFS= read -r -d '' script; do
  mkdir -p "$stage/lib/$(dirname "$script")"
  cp "src/$script" "$stage/lib/$script"
done

# The tarball pacmak embeds needs no devDependencies, and --recurse would build every jsii one.
node -e '
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  delete pkg.devDependencies;
  fs.writeFileSync(process.argv[1], JSON.stringify(pkg, null, 2) + "\n");
' "$stage/package.json"

pacmak=("$root/node_modules/.bin/jsii-pacmak" "$stage" --outdir "$stage/packages" --no-npmignore --no-fingerprint)
local_deps=()
for target in "${targets[@]}"; do
  case $target in
    python) phase "jsii-pacmak python (cdk8s, constructs, cdk8s-plus-28 come from PyPI)"
      "${pacmak[@]}" --targets python ;;
    # The registries do not serve these targets' dependencies at our versions: Maven Central has
    # org.cdk8s:cdk8s up to 2.70.47 and no cdk8s-plus-28, and the Go module proxy refuses
    # github.com/cdk8s-team/* (403). So --recurse generates and builds their bindings too, from
    # the .jsii assemblies in node_modules; the rest (jsii runtime, Jackson, constructs-go) is
    # downloaded.
    java|go) local_deps+=("$target") ;;
    *) echo "build:jsii: unknown target '$target' (python, java, go)" >&2; exit 2 ;;
  esac
done
if [ ${#local_deps[@]} -gt 0 ]; then
  phase "jsii-pacmak --recurse ${local_deps[*]} (also builds cdk8s, constructs and cdk8s-plus-28 for them)"
  "${pacmak[@]}" --recurse --targets "${local_deps[@]}" --maven-local-repository "$cache/m2"
fi

phase "done"
find "$stage/packages" -type f \( -name 'cdk8s_stateful-*' -o -name 'cdk8s-stateful-*.jar' \) -print | sort
if [ -d "$stage/packages/go/cdk8sstateful" ]; then echo "$stage/packages/go/cdk8sstateful (Go module)"; fi
