#!/usr/bin/env bash
# Builds (once) or reuses the Debian sid chroot with MySQL 9.7 that `npm run test:e2e` runs real
# servers in. Cached outside the clone, keyed by what it contains; prints the chroot's path.
#
#   scripts/e2e/mysql-chroot.sh            build if missing, print the path
#   scripts/e2e/mysql-chroot.sh --check    exit 0 when the cached chroot is complete
#
# Why a chroot: Debian bookworm (this machine) has no MySQL; sid has mysql-server-core 9.7.
# The build happens in a temporary directory that is renamed into place only when complete, so
# an interrupted build never leaves a half chroot that a later run would trust.
set -euo pipefail

MYSQL_SERIES=9.7
KEY="sid-mysql-${MYSQL_SERIES}-v2"
CACHE=${CDK8S_STATEFUL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-stateful}
DIR="$CACHE/$KEY"
log() { printf 'mysql-chroot: %s\n' "$*" >&2; }
fail() { log "ERROR: $*"; exit 1; }

complete() {
  [ -f "$1/.complete" ] && [ -x "$1/usr/sbin/mysqld" ] && [ -x "$1/usr/bin/mysql" ]
}

if [ "${1:-}" = --check ]; then complete "$DIR"; exit; fi
if complete "$DIR"; then printf '%s\n' "$DIR"; exit 0; fi

[ "$(id -u)" = 0 ] || fail "building the chroot needs root (debootstrap, chroot); run as root or build it once with sudo $0"
[ "$(uname -m)" = x86_64 ] || fail "only x86_64 is supported (Debian sid amd64)"
if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap (apt)"
  apt-get install -y -qq debootstrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; } \
    || fail "cannot install debootstrap with apt-get; install it and run again"
fi

# The mirror this machine's apt uses (deb822 or one-line format), so the build needs no other network.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1 || true)
if [ -z "$mirror" ]; then
  mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -n 1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$CACHE"
build=$(mktemp -d "$CACHE/.build-$KEY.XXXXXX")
chmod 0755 "$build"   # the chroot's / must be traversable by the mysql user
cleanup() { umount "$build/proc" 2>/dev/null || true; rm -rf "$build"; }
trap cleanup EXIT
log "debootstrap sid from $mirror into $build (about 2 minutes)"
debootstrap --variant=minbase sid "$build" "$mirror" >"$build.log" 2>&1 \
  || { tail -n 30 "$build.log" >&2; rm -f "$build.log"; fail "debootstrap failed (log above)"; }
rm -f "$build.log"
# The sid Release file served here is past its Valid-Until date.
echo 'Acquire::Check-Valid-Until "false";' >"$build/etc/apt/apt.conf.d/99no-check-valid-until"
log "installing mysql-server-core and mysql-client-core (about 30 s)"
chroot "$build" apt-get update -qq >/dev/null 2>&1 || fail "apt-get update in the chroot failed"
chroot "$build" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  mysql-server-core mysql-client-core openssl curl ca-certificates >/dev/null 2>&1 || fail "apt-get install mysql-server-core in the chroot failed"
chroot "$build" apt-get clean
version=$(chroot "$build" mysqld --version)
case "$version" in *" $MYSQL_SERIES."*) ;; *) fail "expected MySQL $MYSQL_SERIES, got: $version" ;; esac
# The official image's mysql user (999); minbase has no groupadd.
grep -q '^mysql:' "$build/etc/group" || echo 'mysql:x:999:' >>"$build/etc/group"
grep -q '^mysql:' "$build/etc/passwd" || echo 'mysql:x:999:999:MySQL Server:/nonexistent:/usr/sbin/nologin' >>"$build/etc/passwd"
printf '%s\n' "$version" >"$build/.complete"
rm -rf "$DIR"
mv "$build" "$DIR"
trap - EXIT
log "ready: $version"
printf '%s\n' "$DIR"
