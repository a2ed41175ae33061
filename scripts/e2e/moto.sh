#!/usr/bin/env bash
# Installs (once) or reuses moto (Apache-2.0), the AWS stand-in whose STS and IAM the backup tests sign in with a
# ServiceAccount's role (S3Credentials.fromServiceAccount): AssumeRoleWithWebIdentity hands out temporary
# credentials, and with its access control on, S3 checks their signature, their session token and the role's
# policy. Prints `moto=PATH` (its moto_server).
#
#   scripts/e2e/moto.sh            install what is missing, print the line
#   scripts/e2e/moto.sh --check    exit 0 when it is cached
#
# From PyPI into a virtual environment under ~/.cache/cdk8s-stateful (or $CDK8S_STATEFUL_CACHE), keyed by moto's
# version and Python's, every package pinned by scripts/e2e/tools/moto/constraints.txt; complete only with its
# .complete marker, written last. About 30 seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
MOTO_VERSION=5.2.6
CACHE=${CDK8S_STATEFUL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-stateful}
log() { printf 'moto: %s\n' "$*" >&2; }
fail() { log "ERROR: $*"; exit 1; }
grep -qx "moto==$MOTO_VERSION" "$here/tools/moto/constraints.txt" || fail "scripts/e2e/tools/moto/constraints.txt does not pin moto $MOTO_VERSION"
command -v python3 >/dev/null 2>&1 || fail "python3 is not installed"
PY=$(python3 -c 'import sys; print("py%d.%d" % sys.version_info[:2])')
DIR="$CACHE/moto-$MOTO_VERSION-$PY-v1"
complete() { [ -f "$DIR/.complete" ] && [ -x "$DIR/venv/bin/moto_server" ]; }
if [ "${1:-}" = --check ]; then complete; exit; fi
if ! complete; then
  # (a virtual environment cannot move: it is made in place, and only the .complete marker, written last, makes it
  # the cache; an interrupted install is removed by the next run)
  mkdir -p "$CACHE"
  rm -rf "$DIR"
  trap '[ -f "$DIR/.complete" ] || rm -rf "$DIR"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  log "installing moto $MOTO_VERSION ($PY) from PyPI"
  python3 -m venv "$DIR/venv" >/dev/null 2>&1 || { apt-get install -y -qq python3-venv >/dev/null 2>&1 && python3 -m venv "$DIR/venv"; } \
    || fail "python3 -m venv failed (apt install python3-venv)"
  "$DIR/venv/bin/pip" install --quiet --disable-pip-version-check -c "$here/tools/moto/constraints.txt" "moto[server]==$MOTO_VERSION" \
    || fail "pip install moto[server]==$MOTO_VERSION failed"
  touch "$DIR/.complete"
fi
printf 'moto=%s\n' "$DIR/venv/bin/moto_server"
