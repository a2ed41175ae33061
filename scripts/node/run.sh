#!/usr/bin/env bash
# shellcheck disable=SC2317 # the teardown functions run from the EXIT trap, which shellcheck 0.9 does not follow
# `npm run test:node`: the synthesized StatefulSets on a real node -- kubelet, containerd, kube-proxy
# (iptables), CoreDNS and local-path-provisioner, with the control plane of scripts/cluster -- confined to one
# network namespace that this script creates and deletes.
#
#   bash scripts/node/run.sh                    build/reuse binaries and images, start the node, run the node
#                                               suites (test/node/*.node.ts), stop everything
#   bash scripts/node/run.sh --manifests DIR    the same node, then the scenarios of every StatefulSet and every
#                                               ReplicatedMySql in DIR: one "SCENARIO <id> PASS|FAIL <ns>/<name>"
#                                               line each; exit 1 on any FAIL
#   bash scripts/node/run.sh -- ARGS            extra jest arguments (e.g. -t 'OnDelete', or a test file)
#
# Needs root (network and mount namespaces, cgroups, containerd). Confinement: the bridge, the pod and Service
# addresses, routes, iptables rules, ip_forward and the API server's address exist only inside the namespace;
# every node process and the tests run in it (`ip netns exec`). Before the node starts this script records the
# machine's `ip netns list`, `ip link`, addresses, routes, iptables/ip6tables rules, the sysctls kubelet and
# kube-proxy touch, the paths kubelet and containerd write outside their directories, and the cgroups; after
# the node is gone it compares them and fails loudly on any difference. kubelet's changes to vm.overcommit_memory,
# kernel.panic and kernel.panic_on_oops (and vm.panic_on_oom, kernel.keys.*) are undone as soon as the node is
# Ready and again at the end. Each phase prints its duration.
#
# Environment: CDK8S_STATEFUL_CACHE (cache root), CDK8S_HEAVY_LOCK (default /tmp/cdk8s-heavy.lock: held while
# the node runs), NODE_KEEP_LOGS=1 (keep the work directory, also after a pass).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
LOCK=${CDK8S_HEAVY_LOCK:-/tmp/cdk8s-heavy.lock}
NODE_IP=10.244.0.1
SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops vm.panic_on_oom kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# What kubelet and containerd write outside --root-dir and their configured directories, whatever they are told.
GLOBAL_PATHS=(/var/lib/kubelet /var/log/pods /var/log/containers /run/containerd /var/lib/containerd /opt/containerd /var/lib/cni /etc/cni /run/netns /var/run/netns)

manifests=""
jest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --manifests)
      [ $# -ge 2 ] || { echo "test:node: --manifests needs a directory" >&2; exit 2; }
      manifests=$2; shift 2 ;;
    --manifests=*) manifests=${1#--manifests=}; shift ;;
    -h | --help) sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; jest_args+=("$@"); break ;;
    *) jest_args+=("$1"); shift ;;
  esac
done
if [ -n "$manifests" ]; then
  [ -d "$manifests" ] || [ -f "$manifests" ] || { echo "test:node: --manifests $manifests: no such file or directory" >&2; exit 2; }
  manifests=$(cd "$(dirname "$manifests")" && pwd)/$(basename "$manifests")
fi
[ "$(id -u)" = 0 ] || { echo "test:node: needs root (network and mount namespaces, cgroups, containerd)" >&2; exit 2; }

# --- timing -------------------------------------------------------------------------------------------------
started=$EPOCHREALTIME
phase_name=""
phase_start=""
work=""
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
phase_end() {
  if [ -n "$phase_name" ]; then
    local took
    took=$(elapsed "$phase_start" "$EPOCHREALTIME")
    [ -z "$work" ] || printf '%-40s %7ss\n' "$phase_name" "$took" >>"$work/timings"
    printf 'node: %s done in %ss\n' "$phase_name" "$took"
  fi
  phase_name=""
}
phase() {
  phase_end
  phase_name=$1
  phase_start=$EPOCHREALTIME
  printf '\nnode: === %s\n' "$phase_name"
}

# --- packages -----------------------------------------------------------------------------------------------
phase "packages (apt) and binaries, images (build or reuse)"
need=()
for pair in containerd:/usr/bin/containerd runc:/usr/sbin/runc containernetworking-plugins:/usr/lib/cni/bridge \
  iptables:/usr/sbin/iptables-save conntrack:/usr/sbin/conntrack busybox-static:/bin/busybox openssl:/usr/bin/openssl curl:/usr/bin/curl; do
  [ -x "${pair#*:}" ] || need+=("${pair%%:*}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "node: installing ${need[*]} (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi
built=$(bash "$here/build.sh")
# The backup suite's S3 server (built under the heavy lock, which the suites below hold: so before them).
bash "$here/../e2e/s3-servers.sh" >/dev/null
bin=$(sed -n 's/^bin=//p' <<<"$built")
images=$(sed -n 's/^images=//p' <<<"$built")
cluster=$(sed -n 's/^cluster=//p' <<<"$built")
if ! [ -x "$bin/kubelet" ] || ! [ -f "$images/images.txt" ] || ! [ -x "$cluster/kube-apiserver" ]; then
  echo "node: build.sh printed no usable directories: $built" >&2
  exit 1
fi

# --- the machine as found -----------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-node.XXXXXX")
id=${work##*.}
id=${id,,}
netns=cdk8s-node-$id
cgroup_name=cdk8s-node-$id
: >"$work/timings"

# "fstype options mountpoint" of the machine's cgroup hierarchies (node.sh mounts them again in the namespace).
awk '$3 == "cgroup" || $3 == "cgroup2" { n = split($4, o, ","); s = ""; named = 0; sub_ = 0
    for (i = 1; i <= n; i++) { if (o[i] ~ /^(rw|ro|relatime|noatime|nosuid|nodev|noexec|nsdelegate|memory_recursiveprot)$/) continue
      if (o[i] ~ /^name=/) named = 1; else sub_ = 1; s = s (s == "" ? "" : ",") o[i] }
    if (named && !sub_) s = "none," s
    print $3, (s == "" ? "none" : s), $2 }' /proc/self/mounts >"$work/cgroup-mounts"
cgroup_dirs() { awk '{ print $3 }' "$work/cgroup-mounts"; }

snapshot() {
  local p
  echo "## ip netns list"; ip netns list
  echo "## ip link"; ip link
  echo "## ip -br addr"; ip -br addr
  echo "## ip route show table all"; ip route show table all
  echo "## ip -6 route show table all"; ip -6 route show table all 2>/dev/null | sed '/ expires /d'
  echo "## ip rule"; ip rule
  # Rules only: no comment lines (dates) and no packet counters.
  echo "## iptables-save"; iptables-save | sed '/^#/d' | sed 's/\[[0-9]*:[0-9]*\]//'
  echo "## ip6tables-save"; ip6tables-save | sed '/^#/d' | sed 's/\[[0-9]*:[0-9]*\]//'
  if command -v iptables-legacy-save >/dev/null 2>&1; then
    echo "## iptables-legacy-save"; iptables-legacy-save | sed '/^#/d' | sed 's/\[[0-9]*:[0-9]*\]//'
  fi
  if command -v nft >/dev/null 2>&1; then echo "## nft list ruleset"; nft list ruleset; fi
  echo "## sysctl"
  for p in "${SYSCTLS[@]}" net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.bridge.bridge-nf-call-iptables net.netfilter.nf_conntrack_max \
    net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait net.ipv4.conf.all.route_localnet; do
    printf '%s = %s\n' "$p" "$(sysctl -n "$p" 2>/dev/null || echo '(none)')"
  done
  echo "## paths kubelet and containerd may write"
  for p in "${GLOBAL_PATHS[@]}"; do
    if [ -e "$p" ]; then printf '%s exists%s\n' "$p" "$(mountpoint -q "$p" && echo ', a mount point')"; else printf '%s absent\n' "$p"; fi
  done
  echo "## cgroups (top level)"
  for p in $(cgroup_dirs); do printf '%s: %s\n' "$p" "$(find "$p" -mindepth 1 -maxdepth 1 -type d -printf '%f ' | tr ' ' '\n' | sort | tr '\n' ' ')"; done
}

absent_paths=()
have_lock=""
# --- teardown, whatever happens -----------------------------------------------------------------------------
inner_pid=""
restore_sysctls() {
  local key value
  while read -r key value; do
    [ "$(sysctl -n "$key" 2>/dev/null)" = "$value" ] || { printf 'node: %s is %s: restored %s\n' "$key" "$(sysctl -n "$key")" "$value"; sysctl -qw "$key=$value"; }
  done <"$work/sysctls"
}
# PIDs in a cgroup subtree (every hierarchy), then SIGKILL each, until none is left.
cgroup_pids() { local d; for d in $(cgroup_dirs); do [ -d "$d/$cgroup_name" ] && find "$d/$cgroup_name" -name cgroup.procs -exec cat {} + 2>/dev/null; done | sort -u; }
sweep() {
  local round pid left
  for round in $(seq 1 50); do
    left=$( { cgroup_pids; ip netns pids "$netns" 2>/dev/null; } | sort -u)
    [ -z "$left" ] && return 0
    [ "$round" = 1 ] && printf 'node: stopping %s process(es) left by the node: %s\n' "$(wc -w <<<"$left")" "$(tr '\n' ' ' <<<"$left")"
    for pid in $left; do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.2
  done
  echo "node: processes still alive after SIGKILL: $left" >&2
  return 1
}
on_exit() {
  local rc=$? p d
  # A second signal (npm forwards one, a process group gets several) must not cut the cleanup short.
  trap - EXIT
  trap '' INT TERM
  if [ -n "$phase_name" ] && [ "$rc" != 0 ]; then
    printf 'node: %s FAILED after %ss\n' "$phase_name" "$(elapsed "$phase_start" "$EPOCHREALTIME")" >&2
    phase_name=""
  fi
  if [ ! -f "$work/sysctls" ]; then
    # Interrupted before the machine was recorded (waiting for the lock): nothing was started.
    phase_end
    rm -rf "$work"
    exit "$rc"
  fi
  phase "teardown: processes, namespace, cgroups, sysctls, paths"
  if [ -n "$inner_pid" ] && kill -0 "$inner_pid" 2>/dev/null; then
    kill -TERM "$inner_pid" 2>/dev/null || true   # node.sh stops its processes by PID
    for _ in $(seq 1 600); do kill -0 "$inner_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$inner_pid" 2>/dev/null || true
    wait "$inner_pid" 2>/dev/null || true
  fi
  sweep || rc=1
  if ip netns list | grep -qw "$netns"; then ip netns del "$netns" || rc=1; fi
  # `ip netns add` made /run/netns (a bind mount of itself); leave it as it was found.
  if [[ " ${absent_paths[*]} " == *" /run/netns "* ]] && [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
    umount /run/netns 2>/dev/null || true
    rmdir /run/netns 2>/dev/null || true
  fi
  for d in $(cgroup_dirs); do
    [ -d "$d/$cgroup_name" ] && find "$d/$cgroup_name" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ -d "$d/$cgroup_name" ] && { echo "node: could not remove cgroup $d/$cgroup_name" >&2; rc=1; }
  done
  restore_sysctls
  for p in "${absent_paths[@]}"; do
    [ -e "$p" ] || [ -L "$p" ] || continue
    [ "$p" = /run/netns ] && continue
    if mountpoint -q "$p" || [ -n "$(findmnt -rn -o TARGET | awk -v p="$p/" 'index($0, p) == 1')" ]; then
      echo "node: $p holds mounts; not removed" >&2; rc=1; continue
    fi
    printf 'node: removing %s (written by the node, absent before)\n' "$p"
    rm -rf --one-file-system "$p"
  done
  phase "host check: the machine as before the run"
  snapshot >"$work/host-after.txt"
  if diff -u "$work/host-before.txt" "$work/host-after.txt" >"$work/host-diff.txt"; then
    printf 'node: host check PASSED: %s lines (ip netns list, ip link, addresses, routes, rules, iptables, ip6tables, sysctls, paths, cgroups) as before\n' "$(wc -l <"$work/host-after.txt")"
  else
    echo "node: HOST CHECK FAILED: the machine differs from before the run:" >&2
    cat "$work/host-diff.txt" >&2
    rc=1
  fi
  phase_end
  if [ -n "$have_lock" ]; then flock -u 9; fi
  printf '\nnode: phase times\n'
  sed 's/^/  /' "$work/timings"
  printf '  %-40s %7ss\n' "total" "$(elapsed "$started" "$EPOCHREALTIME")"
  if [ "$rc" != 0 ] || [ "${NODE_KEEP_LOGS:-}" = 1 ]; then
    printf 'node: logs kept in %s/logs\n' "$work" >&2
    # The node's data (images, volumes) is large and of no use after the run: keep the logs only.
    rm -rf --one-file-system "$work/containerd" "$work/local-path" "$work/kubelet" "$work/etcd" 2>/dev/null || true
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

phase "wait for $LOCK"
exec 9>"$LOCK"
flock 9
have_lock=1

phase "record the machine's network, sysctls, paths, cgroups"
snapshot >"$work/host-before.txt"
for p in "${SYSCTLS[@]}"; do printf '%s %s\n' "$p" "$(sysctl -n "$p")"; done >"$work/sysctls"
for p in "${GLOBAL_PATHS[@]}"; do [ -e "$p" ] || [ -L "$p" ] || absent_paths+=("$p"); done
printf 'node: %s lines recorded (%s)\n' "$(wc -l <"$work/host-before.txt")" "$work/host-before.txt"

# --- the lock, the namespace, the cgroups -------------------------------------------------------------------
phase "network namespace $netns"
ip netns add "$netns"
ip -n "$netns" link set lo up
ip -n "$netns" link add cbr0 type bridge
ip -n "$netns" addr add "$NODE_IP/24" dev cbr0
ip -n "$netns" link set cbr0 up
# The Service range is reached over the bridge (kube-proxy's DNAT then picks a pod): inside the namespace only.
ip -n "$netns" route add 10.96.0.0/16 dev cbr0 src "$NODE_IP"
# Per-namespace settings: forwarding between pods and Services, and bridged traffic through iptables (so a pod
# reaching a Service backed by a pod on the same bridge gets its replies un-NATed).
ip netns exec "$netns" sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
for d in $(cgroup_dirs); do
  mkdir -p "$d/$cgroup_name/node"
  if [ -f "$d/cpuset.cpus" ]; then
    cat "$d/cpuset.cpus" >"$d/$cgroup_name/cpuset.cpus"; cat "$d/cpuset.mems" >"$d/$cgroup_name/cpuset.mems"
    cat "$d/cpuset.cpus" >"$d/$cgroup_name/node/cpuset.cpus"; cat "$d/cpuset.mems" >"$d/$cgroup_name/node/cpuset.mems"
  fi
done
# Every node process starts in <hierarchy>/$cgroup_name/node and containers in kubelet's kubepods below it: the
# teardown finds each one by PID there.

phase "node (node.sh inside $netns)"
phase_end
export NODE_WORK=$work NODE_BIN=$bin NODE_IMAGES=$images NODE_CLUSTER_BIN=$cluster NODE_CGROUP_ROOT=/$cgroup_name
export NODE_ROOT=$root NODE_IP NODE_NETNS=$netns NODE_SYSCTLS=$work/sysctls NODE_MANIFESTS=$manifests
(
  for d in $(cgroup_dirs); do echo "$BASHPID" >"$d/$cgroup_name/node/cgroup.procs"; done
  exec ip netns exec "$netns" bash "$here/node.sh" "${jest_args[@]}" 9>&-
) &
inner_pid=$!
inner_rc=0
wait "$inner_pid" || inner_rc=$?
inner_pid=""
exit "$inner_rc"
