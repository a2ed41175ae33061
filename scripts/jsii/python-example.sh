#!/usr/bin/env bash
# Builds the Python package (npm run build:jsii -- python), installs it with its dependencies from
# PyPI into a virtualenv, runs examples/python/main.py and checks that the YAML it writes is
# byte-identical to dist/ (the TypeScript example's). Proves the jsii API works from Python as
# the README shows it, not only that it compiles.
#
# The virtualenv lives under ~/.cache/cdk8s-stateful/ keyed by the requirements' hash; the wheel
# is reinstalled every run.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
cache=${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}
export PIP_CACHE_DIR=$cache/pip PIP_DISABLE_PIP_VERSION_CHECK=1
# (the end-of-life one takes the Node majors to silence, not a flag)
JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=$(node -p 'process.versions.node.split(".")[0]')
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1
started=$SECONDS
phase() { printf '=== python-example: %s (at %ss)\n' "$*" "$((SECONDS - started))"; }

phase "build the wheel"
bash scripts/jsii/build.sh python >"${TMPDIR:-/tmp}/cdk8s-stateful-jsii.log" 2>&1 || {
  cat "${TMPDIR:-/tmp}/cdk8s-stateful-jsii.log" >&2; exit 1; }
wheel=$(ls "$root"/jsii-out/packages/python/cdk8s_stateful-*.whl)

# The key: the pinned requirements, the interpreter, and the dependencies the wheel declares (a newer
# jsii-pacmak may require a newer jsii runtime), so an upgrade of any of them gets a new virtualenv.
requires=$(python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print("\n".join(l for n in z.namelist() if n.endswith("/METADATA") for l in z.read(n).decode().splitlines() if l.startswith("Requires-")))' "$wheel")
key=$( { cat examples/python/requirements.txt; python3 --version; readlink -f "$(command -v python3)"; echo "$requires"; } | sha256sum | cut -c1-12)
venv=$cache/python-example-$key
# A virtualenv cannot move (its scripts name their own path), so completeness is a marker file.
if [ ! -e "$venv/.complete" ]; then
  phase "create $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r examples/python/requirements.txt
  touch "$venv/.complete"
fi
phase "install $(basename "$wheel")"
"$venv/bin/pip" install --quiet --no-deps --force-reinstall "$wheel"
"$venv/bin/pip" install --quiet "$wheel"   # its own dependencies (jsii runtime, ...), if not there yet
"$venv/bin/pip" check

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
phase "run examples/python/main.py"
(cd "$out" && CDK8S_OUTDIR="$out/dist" "$venv/bin/python" "$root/examples/python/main.py") >"$out/run.log" 2>&1 \
  || { cat "$out/run.log" >&2; exit 1; }
# What a user sees: nothing (the jsii runtime's Node-version banner is silenced as the README says).
if [ -s "$out/run.log" ]; then
  echo "python-example: the run printed (a user would see it):" >&2
  cat "$out/run.log" >&2
  exit 1
fi
phase "compare with dist/"
if ! diff -r "$root/dist" "$out/dist"; then
  echo "python-example: the Python example's YAML differs from dist/ (above: < dist, > Python)." >&2
  echo "Fix: keep examples/python/main.py in step with examples/typescript/example.ts." >&2
  exit 1
fi
echo "python-example: $(find "$out/dist" -type f | wc -l) files, byte-identical to dist/"
phase "done"
