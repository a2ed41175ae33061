#!/usr/bin/env bash
# Builds (once) or reuses the two S3 servers the backup tests run on loopback, and prints where they are:
#
#   gofakes3=PATH    github.com/johannesboyne/gofakes3 (MIT), its own cmd/gofakes3: no authentication at all
#   versitygw=PATH   github.com/versity/versitygw (Apache-2.0), cmd/versitygw: checks AWS SigV4
#
#   scripts/e2e/s3-servers.sh            build what is missing, print the two lines
#   scripts/e2e/s3-servers.sh --check    exit 0 when both are cached (nothing would be built)
#
# The versions are pinned by the Go modules in scripts/e2e/tools/{gofakes3,versitygw}/go.mod (go.sum
# checks what the module proxy serves). Never MinIO: it is AGPL-3.0 (docs/e2e-harness.md).
#
# Cached outside the clone (~/.cache/cdk8s-stateful, or $CDK8S_STATEFUL_CACHE), keyed by the server's version
# and the Go toolchain's; each directory is built under a temporary name and renamed into place with its
# .complete marker, so an interrupted build is never mistaken for a cache. The Go builds run under
# `flock $CDK8S_HEAVY_LOCK` (/tmp/cdk8s-heavy.lock) so they never share the two cores with another heavy job
# of the project. versitygw takes about a minute on two cores when the Go build cache already holds its common
# dependencies, up to about 6 minutes fully cold; gofakes3 takes seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tools=$here/tools

GOFAKES3_VERSION=v1.2.0
VERSITYGW_VERSION=v1.8.0
CACHE=${CDK8S_STATEFUL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-stateful}
LOCK=${CDK8S_HEAVY_LOCK:-/tmp/cdk8s-heavy.lock}
log() { printf 's3-servers: %s\n' "$*" >&2; }
fail() { log "ERROR: $*"; exit 1; }
heavy() { flock "$LOCK" "$@"; }

module_version() { awk -v m="$2" '$1 == "require" && $2 == m { print $3 } $1 == m { print $2 }' "$1" | head -n 1; }
[ "$(module_version "$tools/gofakes3/go.mod" github.com/johannesboyne/gofakes3)" = "$GOFAKES3_VERSION" ] \
  || fail "scripts/e2e/tools/gofakes3/go.mod is not gofakes3 $GOFAKES3_VERSION"
[ "$(module_version "$tools/versitygw/go.mod" github.com/versity/versitygw)" = "$VERSITYGW_VERSION" ] \
  || fail "scripts/e2e/tools/versitygw/go.mod is not versitygw $VERSITYGW_VERSION"

# The toolchain is part of the key: a new Go rebuilds (the binaries are static, CGO_ENABLED=0).
if command -v go >/dev/null 2>&1; then GO_VERSION=$(go env GOVERSION); else GO_VERSION=''; fi

# NAME VERSION -> the cache directory
dir_of() { printf '%s/s3-%s-%s-%s-v1\n' "$CACHE" "$1" "$2" "$GO_VERSION"; }
complete() { [ -f "$1/.complete" ] && [ -x "$1/bin/$2" ]; }

SERVERS=("gofakes3 $GOFAKES3_VERSION github.com/johannesboyne/gofakes3/cmd/gofakes3"
  "versitygw $VERSITYGW_VERSION github.com/versity/versitygw/cmd/versitygw")

if [ "${1:-}" = --check ]; then
  [ -n "$GO_VERSION" ] || exit 1
  for s in "${SERVERS[@]}"; do
    read -r name version _ <<<"$s"
    complete "$(dir_of "$name" "$version")" "$name" || exit 1
  done
  exit 0
fi

[ -n "$GO_VERSION" ] || fail "Go is not installed (needed to build gofakes3 and versitygw)"
mkdir -p "$CACHE"
build=''
# An interrupted build leaves no temporary directory (a signal runs the EXIT trap through `exit`).
trap '[ -z "$build" ] || rm -rf "$build"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
out=''
for s in "${SERVERS[@]}"; do
  read -r name version pkg <<<"$s"
  dir=$(dir_of "$name" "$version")
  if ! complete "$dir" "$name"; then
    started=$SECONDS
    key=${dir##*/}
    build=$(mktemp -d "$CACHE/.build-$key.XXXXXX")
    ldflags='-s -w' note=''
    if [ "$name" = versitygw ]; then
      # What `versitygw --version` prints (its Makefile stamps the same variables); a fixed date keeps the link cacheable.
      ldflags="$ldflags -X main.Version=$version -X main.Build=$version -X main.BuildTime=2026-01-01T00:00:00Z"
      note=' (a minute to about 6 minutes on two cores, depending on the Go build cache)'
    fi
    log "building $name $version with $GO_VERSION$note"
    (cd "$tools/$name" && CGO_ENABLED=0 GOFLAGS=-mod=readonly heavy go build -trimpath -ldflags="$ldflags" -o "$build/bin/$name" "$pkg") \
      || fail "building $name $version failed"
    [ -x "$build/bin/$name" ] || fail "$name was not built"
    printf '%s built in %ss\n' "$key" "$((SECONDS - started))" >"$build/.complete"
    rm -rf "$dir"
    mv "$build" "$dir"
    build=''
    log "$name ready in $((SECONDS - started))s: $dir/bin/$name"
  fi
  out="$out$name=$dir/bin/$name"$'\n'
done
printf '%s' "$out"
