#!/usr/bin/env bash
# `npm run test:cluster`: a real Kubernetes control plane on loopback, with no Docker.
#
#   bash scripts/cluster/run.sh                    build/reuse the binaries, start the control plane, run the
#                                                  cluster suite (test/**/*.cluster.ts), stop everything
#   bash scripts/cluster/run.sh --manifests DIR    the same control plane, then server-side dry-run and
#                                                  server-side apply of every object under DIR, one result
#                                                  line per object; exit 1 when any object is refused
#   bash scripts/cluster/run.sh -- ARGS            extra jest arguments (e.g. -t 'OrderedReady')
#
# etcd, kube-apiserver (an openssl CA, a serving certificate for 127.0.0.1, an admin client certificate in
# system:masters, --authorization-mode=Node,RBAC, a service-account key pair, --endpoint-reconciler-type=none),
# kube-controller-manager, kube-scheduler and kwok with three fake Nodes in three zones run from a temporary
# folder and listen on 127.0.0.1 only. Every process started here is stopped by its PID when the script ends,
# whether it passes, fails or is interrupted. Each phase prints its duration.
#
# Environment: CDK8S_STATEFUL_CACHE (cache root, default ~/.cache/cdk8s-stateful), CLUSTER_KEEP_LOGS=1 (keep
# the temporary folder, also after a pass).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

manifests=""
jest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --manifests)
      [ $# -ge 2 ] || { echo "run.sh: --manifests needs a directory" >&2; exit 2; }
      manifests=$2; shift 2 ;;
    --manifests=*) manifests=${1#--manifests=}; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; jest_args+=("$@"); break ;;
    *) jest_args+=("$1"); shift ;;
  esac
done
if [ -n "$manifests" ]; then
  [ -d "$manifests" ] || [ -f "$manifests" ] || { echo "run.sh: --manifests $manifests: no such file or directory" >&2; exit 2; }
  manifests=$(cd "$(dirname "$manifests")" && pwd)/$(basename "$manifests")
fi

# --- timing -------------------------------------------------------------------------------------------
started=$EPOCHREALTIME
phase_name=""
phase_start=""
timings=()
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
phase_end() {
  if [ -n "$phase_name" ]; then
    local took
    took=$(elapsed "$phase_start" "$EPOCHREALTIME")
    timings+=("$(printf '%-32s %7ss' "$phase_name" "$took")")
    printf 'cluster: %s done in %ss\n' "$phase_name" "$took"
  fi
  phase_name=""
}
phase() {
  phase_end
  phase_name=$1
  phase_start=$EPOCHREALTIME
  printf '\ncluster: === %s\n' "$phase_name"
}

# --- processes ----------------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-cluster.XXXXXX")
pids=()
names=()
stop_all() {
  local i pid waited
  # Reverse start order: kwok and the controllers first, etcd last.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[$i]}
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
      echo "cluster: ${names[$i]} (pid $pid) ignored SIGTERM for 10s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
on_exit() {
  local rc=$?
  # A second signal (npm forwards one, a process group gets several) must not cut the cleanup short.
  trap - EXIT
  trap '' INT TERM
  if [ -n "$phase_name" ] && [ "$rc" != 0 ]; then
    printf 'cluster: %s FAILED after %ss\n' "$phase_name" "$(elapsed "$phase_start" "$EPOCHREALTIME")" >&2
    phase_name=""
  fi
  phase "stop"
  stop_all
  phase_end
  printf '\ncluster: phase times\n'
  printf '  %s\n' "${timings[@]}"
  printf '  %-32s %7ss\n' "total" "$(elapsed "$started" "$EPOCHREALTIME")"
  if [ "$rc" != 0 ] || [ "${CLUSTER_KEEP_LOGS:-}" = 1 ]; then
    printf 'cluster: logs kept in %s/logs\n' "$work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME CMD ARGS...: runs CMD in the background with its output in logs/NAME.log and remembers its PID.
start() {
  local name=$1; shift
  "$@" >"$work/logs/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
}
# alive NAME: fails with the end of NAME's log when its process has exited.
alive() {
  local i
  for i in "${!names[@]}"; do
    if [ "${names[$i]}" = "$1" ] && ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "cluster: $1 exited; the end of its log:" >&2
      tail -n 30 "$work/logs/$1.log" >&2
      return 1
    fi
  done
}
# wait_for NAME SECONDS CMD...: polls CMD every 0.2s until it succeeds, NAME dies or SECONDS pass.
wait_for() {
  local name=$1 limit=$2 deadline
  shift 2
  deadline=$(awk -v now="$EPOCHREALTIME" -v s="$limit" 'BEGIN { printf "%d", now + s }')
  until "$@" >/dev/null 2>&1; do
    alive "$name"
    if [ "${EPOCHREALTIME%.*}" -ge "$deadline" ]; then
      echo "cluster: $name not ready after ${limit}s; the end of its log:" >&2
      tail -n 30 "$work/logs/$name.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

mkdir -p "$work/logs" "$work/pki"

# --- tools --------------------------------------------------------------------------------------------
phase "tools (build or reuse)"
bin=$(bash "$here/build-tools.sh" | tail -n 1)
stages_dir=$(dirname "$bin")/stages
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
  [ -x "$bin/$b" ] || { echo "cluster: $bin/$b missing" >&2; exit 1; }
done
# openssl (certificates) and curl (health checks) come with Debian images; install them when missing.
for tool in openssl curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "cluster: $tool is needed (apt-get install $tool)" >&2; exit 1; }
    apt-get install -y -qq "$tool" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
  fi
done

# --- certificates -------------------------------------------------------------------------------------
phase "certificates (openssl)"
pki=$work/pki
(
  cd "$pki"
  openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 2 -keyout ca.key -out ca.crt \
    -subj "/CN=cdk8s-stateful-test-ca" 2>/dev/null
  cat >server.ext <<'EOF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:10.96.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
EOF
  cat >client.ext <<'EOF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
EOF
  openssl req -new -nodes -newkey rsa:2048 -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 \
    -extfile server.ext -out apiserver.crt 2>/dev/null
  openssl req -new -nodes -newkey rsa:2048 -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=cluster-admin" 2>/dev/null
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 \
    -extfile client.ext -out admin.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)

# Free loopback ports, chosen by the kernel (another cluster, or a second run, may be up at the same time).
read -r etcd_port peer_port api_port kcm_port sched_port kwok_port < <(node -e '
  const net = require("net");
  const servers = [];
  const take = () => new Promise((ok) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { servers.push(s); ok(s.address().port); }); });
  (async () => { const ports = []; for (let i = 0; i < 6; i++) ports.push(await take()); servers.forEach((s) => s.close()); console.log(ports.join(" ")); })();
')
server=https://127.0.0.1:$api_port
kubeconfig=$work/kubeconfig
cat >"$kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: $server
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
EOF
kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" --cache-dir "$work/kube-cache" "$@"; }
curl_api() { curl -sf --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$server$1"; }

# --- etcd ---------------------------------------------------------------------------------------------
phase "etcd"
start etcd "$bin/etcd" --name default --data-dir "$work/etcd" --log-level warn \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "default=http://127.0.0.1:$peer_port" --unsafe-no-fsync
wait_for etcd 30 curl -sf "http://127.0.0.1:$etcd_port/health"

# --- kube-apiserver -----------------------------------------------------------------------------------
phase "kube-apiserver (/readyz)"
start kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --authorization-mode Node,RBAC --service-cluster-ip-range 10.96.0.0/16 --endpoint-reconciler-type none \
  --cert-dir "$work/apiserver" --profiling=false
wait_for kube-apiserver 90 curl_api /readyz

# --- controllers --------------------------------------------------------------------------------------
phase "controller-manager + scheduler"
start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$kubeconfig" --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$kcm_port" --cert-dir "$work/kcm" --leader-elect=false \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" --profiling=false
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$kubeconfig" --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$sched_port" --cert-dir "$work/scheduler" --leader-elect=false --profiling=false
wait_for kube-controller-manager 60 curl -skf "https://127.0.0.1:$kcm_port/healthz"
wait_for kube-scheduler 60 curl -skf "https://127.0.0.1:$sched_port/healthz"
# The service-account controller runs: namespaces get their default ServiceAccount (pods need it).
wait_for kube-controller-manager 60 kubectl -n default get serviceaccount default

# --- kwok and the nodes -------------------------------------------------------------------------------
phase "kwok + 3 nodes Ready"
{
  cat <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  cidr: 10.244.0.0/16
  nodeLeaseDurationSeconds: 40
  nodeLeaseParallelism: 4
  nodePlayStageParallelism: 4
  podPlayStageParallelism: 8
  podsOnNodeSyncParallelism: 4
  manageAllNodes: false
  manageNodesWithAnnotationSelector: kwok.x-k8s.io/node=fake
  serverAddress: 127.0.0.1:$kwok_port
EOF
  for f in "$stages_dir/node/fast/node-initialize.yaml" "$stages_dir/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" "$here"/stages/*.yaml; do
    printf -- '---\n'
    cat "$f"
  done
} >"$work/kwok.yaml"
start kwok "$bin/kwok" --kubeconfig "$kubeconfig" --config "$work/kwok.yaml"
kubectl apply -f "$here/nodes.yaml" >/dev/null
nodes_ready() { [ "$(kubectl get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')" = 3 ]; }
wait_for kwok 60 nodes_ready
kubectl apply -f "$here/crds" >/dev/null
wait_for kube-apiserver 30 kubectl wait --for condition=Established --timeout 5s -f "$here/crds"

export CLUSTER_SERVER=$server CLUSTER_CA=$pki/ca.crt CLUSTER_CERT=$pki/admin.crt CLUSTER_KEY=$pki/admin.key
export CLUSTER_KUBECONFIG=$kubeconfig CLUSTER_BIN=$bin CLUSTER_WORK=$work KUBECONFIG=$kubeconfig

# --- the suite or the manifests -----------------------------------------------------------------------
cd "$root"
if [ -n "$manifests" ]; then
  phase "apply $manifests"
  node "$here/manifests.js" "$manifests"
else
  phase "cluster suite (jest)"
  suite=0
  node "$root/node_modules/jest/bin/jest.js" -c "$root/jest.cluster.config.js" "${jest_args[@]}" || suite=$?
  if [ -f "$work/guard-agreement.md" ]; then
    printf '\ncluster: the upgrade guard against this API server (test/cluster/guard.cluster.ts)\n'
    cat "$work/guard-agreement.md"
  fi
  [ "$suite" = 0 ] || exit "$suite"
fi
