#!/usr/bin/env bash
# npm run test:e2e [-- --manifests DIR [--scenarios LIST]] [-- JEST ARGS]: the pods of ReplicatedMySql run from
# synthesized YAML against real MySQL 9.7 servers in a chroot (scripts/e2e/mysql-chroot.sh builds
# it once), inside a network namespace of their own (docs/e2e-harness.md).
#
#   (no options)      the library's own scenarios (test/e2e/*.e2e.ts but manifests.e2e.ts)
#   --manifests DIR   the scenarios of test/e2e/manifests.e2e.ts on every ReplicatedMySql found
#                     in DIR (your own dist/), one line each: SCENARIO <id> PASS|FAIL <ns>/<name>
#   --scenarios LIST  with --manifests: only these scenarios (ids, comma-separated, run in the order of
#                     manifests.e2e.ts; "backups" for the backup scenarios); an unknown id is refused
#   anything else     passed to jest (e.g. -t 'fresh cluster', or a test file path)
#
# Needs root (network and mount namespaces, chroot, iptables inside the namespace). Every server
# it starts is stopped and the namespace deleted, also on failure; the machine's own network
# configuration (routes, iptables, sysctls) is never touched.
set -euo pipefail
cd "$(dirname "$0")/../.."
manifests=''
scenarios=''
jest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --manifests) manifests=${2:?--manifests needs a directory}; shift 2 ;;
    --manifests=*) manifests=${1#*=}; shift ;;
    --scenarios) scenarios=${2:?--scenarios needs a comma-separated list of scenario ids}; shift 2 ;;
    --scenarios=*) scenarios=${1#*=}; shift ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) jest_args+=("$1"); shift ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "test:e2e: needs root (network and mount namespaces, chroot for the MySQL pods)" >&2; exit 2; }
if [ -n "$scenarios" ] && [ -z "$manifests" ]; then
  echo "test:e2e: --scenarios selects among the scenarios of --manifests DIR; give --manifests too" >&2; exit 2
fi
if [ -n "$manifests" ]; then
  [ -d "$manifests" ] || { echo "test:e2e: $manifests is not a directory" >&2; exit 2; }
  manifests=$(cd "$manifests" && pwd)
fi
# aws: the host's AWS CLI, the S3 tests' independent client (Debian's awscli).
for tool in ip iptables aws; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    printf '=== installing %s (apt)\n' "$tool"
    pkg=$tool; [ "$tool" = ip ] && pkg=iproute2; [ "$tool" = aws ] && pkg=awscli
    apt-get install -y -qq "$pkg" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$pkg" >/dev/null; } \
      || { echo "test:e2e: cannot install $pkg with apt-get; install it and run again" >&2; exit 2; }
  fi
done
started=$SECONDS
printf '=== chroot with MySQL 9.7 (build or reuse)\n'
chroot_dir=$(scripts/e2e/mysql-chroot.sh | tail -n 1)
printf '    ready after %ss\n' "$((SECONDS - started))"
started=$SECONDS
printf '=== S3 servers gofakes3, versitygw and moto (build or reuse)\n'
scripts/e2e/s3-servers.sh >/dev/null
# (here, outside the network namespace the tests run in: PyPI is out of its reach). Only the ServiceAccount
# backup tests need moto: without it they fail, saying so, and the rest run.
scripts/e2e/moto.sh >/dev/null || echo "test:e2e: moto could not be installed (above): the ServiceAccount backup tests will fail" >&2
printf '    ready after %ss\n' "$((SECONDS - started))"

ns="cdk8s-e2e-$$"
# The clusters' work directories (claims, logs, /etc copies) of this run, removed at the end
# unless E2E_KEEP is set.
work_root="$chroot_dir/e2e/$ns"
results=$(mktemp /tmp/cdk8s-e2e-results.XXXXXX)
cleanup() {
  local rc=$?
  # A second signal (npm forwards one, a process group gets several) must not cut the cleanup short.
  trap - EXIT
  trap '' INT TERM
  if ip netns list 2>/dev/null | grep -qx "$ns\( .*\)\?"; then
    # Whatever this run left behind in its namespace (only this run's processes live there):
    # jest itself when interrupted, servers a failed dispose missed.
    local pids _
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
      printf 'test:e2e: stopping the processes left in %s: %s\n' "$ns" "$(tr '\n' ' ' <<<"$pids")" >&2
      # shellcheck disable=SC2086 # one pid per word
      kill -9 $pids 2>/dev/null || true
      for _ in $(seq 50); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
    fi
    ip netns delete "$ns" || echo "test:e2e: could not delete network namespace $ns" >&2
  fi
  # `ip netns add` makes /run/netns a mount point (a bind mount of itself): leave it as found.
  if [ "$netns_dir_was" != mounted ] && [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
    umount /run/netns 2>/dev/null || true
    if [ "$netns_dir_was" = absent ]; then rmdir /run/netns 2>/dev/null || true; fi
  fi
  if [ -z "${E2E_KEEP:-}" ]; then rm -rf "$work_root"; else printf 'test:e2e: kept %s\n' "$work_root" >&2; fi
  rm -f "$results"
  exit "$rc"
}
if mountpoint -q /run/netns 2>/dev/null; then netns_dir_was=mounted; elif [ -d /run/netns ]; then netns_dir_was=directory; else netns_dir_was=absent; fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
printf '=== network namespace %s (loopback only)\n' "$ns"

env_args=(E2E_NETNS="$ns" E2E_RESULTS="$results" E2E_WORK_ROOT="$work_root")
if [ -n "$manifests" ]; then
  env_args+=(E2E_MANIFESTS="$manifests" E2E_SCENARIOS="$scenarios")
  jest_args=(test/e2e/manifests.e2e.ts "${jest_args[@]}")
else
  # Last: the option takes every word after it.
  jest_args+=(--testPathIgnorePatterns manifests.e2e.ts)
fi
jest_rc=0
# In the background, so that INT and TERM are handled at once (bash runs traps only between
# foreground commands); the EXIT trap then stops whatever runs in the namespace.
ip netns exec "$ns" env "${env_args[@]}" npx jest -c jest.e2e.config.js --runInBand "${jest_args[@]}" &
wait "$!" || jest_rc=$?

failed=0
if [ -s "$results" ]; then
  printf '=== scenarios\n'
  cat "$results"
  grep -q '^SCENARIO [^ ]* FAIL ' "$results" && failed=1
fi
printf '=== e2e done in %ss\n' "$((SECONDS - started))"
if [ "$jest_rc" != 0 ] || [ "$failed" != 0 ]; then
  echo "test:e2e: FAILED (jest exit $jest_rc$([ "$failed" = 1 ] && printf ', a scenario failed'))" >&2
  exit 1
fi
