#!/usr/bin/env bash
# npm run test:e2e [-- --manifests DIR]: the pods of ReplicatedMySql run from synthesized YAML
# against real MySQL 9.7 servers in a chroot (scripts/e2e/mysql-chroot.sh builds it once).
#
#   (no options)      the library's own scenarios (test/e2e/*.e2e.ts but manifests.e2e.ts)
#   --manifests DIR   the fresh-cluster, restart, replica-volume-loss and primary-volume-loss
#                     scenarios on every ReplicatedMySql found in DIR (your own dist/)
#
# Needs root (mount namespaces, chroot); every server it starts is stopped, also on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
manifests=''
while [ $# -gt 0 ]; do
  case "$1" in
    --manifests) manifests=${2:?--manifests needs a directory}; shift 2 ;;
    --manifests=*) manifests=${1#*=}; shift ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "test:e2e: unknown option $1 (use --manifests DIR)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "test:e2e: needs root (mount namespaces and chroot for the MySQL pods)" >&2; exit 2; }
started=$SECONDS
printf '=== chroot with MySQL 9.7 (build or reuse)\n'
scripts/e2e/mysql-chroot.sh >/dev/null
printf '    ready after %ss\n' "$((SECONDS - started))"
if [ -n "$manifests" ]; then
  [ -d "$manifests" ] || { echo "test:e2e: $manifests is not a directory" >&2; exit 2; }
  E2E_MANIFESTS=$(cd "$manifests" && pwd) npx jest -c jest.e2e.config.js --runInBand test/e2e/manifests.e2e.ts
else
  npx jest -c jest.e2e.config.js --runInBand --testPathIgnorePatterns manifests.e2e.ts
fi
printf '=== e2e done in %ss\n' "$((SECONDS - started))"
