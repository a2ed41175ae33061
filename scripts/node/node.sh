#!/usr/bin/env bash
# The inside half of `npm run test:node`: scripts/node/run.sh starts it with `ip netns exec NETNS`, so it and
# every process it starts live in the node's own network namespace and in one private mount namespace (the one
# `ip netns exec` makes: containerd must see the volumes kubelet mounts, and none of those mounts reaches the
# machine). It starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd, kubelet,
# kube-proxy (iptables), CoreDNS and local-path-provisioner, runs the suite (or the --manifests scenarios), and
# stops every process it started by its PID -- also on failure or a signal. run.sh does what must happen outside:
# the namespace, the cgroups, the host check, the sysctls, and a last sweep of anything left.
#
# Environment (from run.sh): NODE_WORK, NODE_BIN, NODE_IMAGES, NODE_CLUSTER_BIN, NODE_CGROUP_ROOT, NODE_ROOT,
# NODE_IP, NODE_SYSCTLS (file of "name value" to restore once the node is Ready), NODE_MANIFESTS (optional).
# Arguments: extra jest arguments.
set -euo pipefail

work=${NODE_WORK:?} bin=${NODE_BIN:?} images=${NODE_IMAGES:?} cbin=${NODE_CLUSTER_BIN:?}
root=${NODE_ROOT:?} node_ip=${NODE_IP:?} cgroup_root=${NODE_CGROUP_ROOT:?}
here=$root/scripts/node
NODE_NAME=node0
SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.244.0.0/24
CLUSTER_CIDR=10.244.0.0/16
DNS_IP=10.96.0.10
API_PORT=6443

# --- timing (the same lines as run.sh) ----------------------------------------------------------------------
phase_name=""
phase_start=""
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
phase_end() {
  if [ -n "$phase_name" ]; then
    local took
    took=$(elapsed "$phase_start" "$EPOCHREALTIME")
    printf '%-40s %7ss\n' "$phase_name" "$took" >>"$work/timings"
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

# --- processes ----------------------------------------------------------------------------------------------
pids=()
names=()
logs=$work/logs
mkdir -p "$logs"
# Each process runs in a session of its own (setsid execs it: the PID stays), so a Ctrl-C at the terminal reaches
# the suite and this script, not the node: stop_all then stops the node in order.
start() {
  local name=$1; shift
  setsid "$@" >"$logs/$name.log" 2>&1 9>&- &
  pids+=("$!")
  names+=("$name")
}
alive() {
  local i
  for i in "${!names[@]}"; do
    if [ "${names[$i]}" = "$1" ] && ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "node: $1 exited; the end of its log:" >&2
      tail -n 40 "$logs/$1.log" >&2
      return 1
    fi
  done
}
wait_for() {
  local name=$1 limit=$2 deadline
  shift 2
  deadline=$(awk -v now="$EPOCHREALTIME" -v s="$limit" 'BEGIN { printf "%d", now + s }')
  until "$@" >/dev/null 2>&1; do
    alive "$name"
    if [ "${EPOCHREALTIME%.*}" -ge "$deadline" ]; then
      echo "node: $name not ready after ${limit}s; the end of its log:" >&2
      tail -n 40 "$logs/$name.log" >&2
      return 1
    fi
    sleep 0.5
  done
}
stop_pid() {
  local name=$1 pid=$2 grace=${3:-100} waited=0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$grace" ]; do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    echo "node: $name (pid $pid) ignored SIGTERM: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
index_of() { local i; for i in "${!names[@]}"; do [ "${names[$i]}" = "$1" ] && { echo "$i"; return 0; }; done; return 1; }
ctr_() { /usr/bin/ctr --address "$work/containerd/containerd.sock" -n k8s.io "$@"; }
stop_all() {
  local i
  # kubelet first, so it restarts nothing; then every container through containerd (their shims exit with
  # them); then containerd and the rest in reverse start order, etcd last.
  if i=$(index_of kubelet); then stop_pid kubelet "${pids[$i]}"; fi
  if index_of containerd >/dev/null && ctr_ version >/dev/null 2>&1; then
    local task tasks
    tasks=$(ctr_ tasks ls -q 2>&1) || echo "node: ctr tasks ls: $tasks" >&2
    for task in $tasks; do ctr_ tasks kill -a -s SIGKILL "$task" >/dev/null 2>&1 || true; done
    for task in $tasks; do
      for _ in 1 2 3 4 5 6 7 8 9 10; do ctr_ tasks delete -f "$task" >/dev/null 2>&1 && break; sleep 0.2; done
    done
    printf 'node: %s containers stopped through containerd\n' "$(wc -w <<<"$tasks")"
    ctr_ containers ls -q 2>/dev/null | xargs -r /usr/bin/ctr --address "$work/containerd/containerd.sock" -n k8s.io containers rm >/dev/null 2>&1 || true
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    stop_pid "${names[$i]}" "${pids[$i]}"
  done
  pids=()
  names=()
}
on_exit() {
  local rc=$?
  # A second signal (npm forwards one, a process group gets several) must not cut the cleanup short.
  trap - EXIT
  trap '' INT TERM
  if [ -n "$phase_name" ] && [ "$rc" != 0 ]; then
    printf 'node: %s FAILED after %ss\n' "$phase_name" "$(elapsed "$phase_start" "$EPOCHREALTIME")" >&2
    phase_name=""
  fi
  phase "stop the node (by PID)"
  stop_all
  phase_end
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- cgroups: `ip netns exec` mounted a fresh /sys, without the cgroup file systems; mount the machine's
# hierarchies again (the same hierarchies, not new ones), here only. ----------------------------------------
phase "cgroup hierarchies in the node's mount namespace"
mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
while read -r fstype options target; do
  mkdir -p "$target"
  if [ "$fstype" = cgroup2 ]; then
    mount -t cgroup2 cgroup2 "$target"
  else
    mount -t cgroup -o "$options" cgroup "$target"
  fi
done <"$work/cgroup-mounts"

# --- certificates -------------------------------------------------------------------------------------------
phase "certificates (openssl)"
pki=$work/pki
mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 2 -keyout ca.key -out ca.crt -subj "/CN=cdk8s-stateful-node-ca" 2>/dev/null
  printf 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = clientAuth\n' >client.ext
  cat >server.ext <<EOF
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:$node_ip, IP:10.96.0.1, IP:127.0.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
EOF
  cert() { # cert NAME SUBJECT EXTFILE
    openssl req -new -nodes -newkey rsa:2048 -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 -extfile "$3" -out "$1.crt" 2>/dev/null
  }
  cert apiserver "/CN=kube-apiserver" server.ext
  cert admin "/O=system:masters/CN=cluster-admin" client.ext
  cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" client.ext
  cert kube-proxy "/CN=system:kube-proxy" client.ext
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
server=https://$node_ip:$API_PORT
kubeconfig() { # kubeconfig USER FILE
  cat >"$2" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: node
  cluster: {server: "$server", certificate-authority: "$pki/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$pki/$1.crt", client-key: "$pki/$1.key"}
contexts:
- name: node
  context: {cluster: node, user: $1}
current-context: node
EOF
}
kubeconfig admin "$work/admin.kubeconfig"
kubeconfig kubelet "$work/kubelet.kubeconfig"
kubeconfig kube-proxy "$work/kube-proxy.kubeconfig"
kubectl() { "$cbin/kubectl" --kubeconfig "$work/admin.kubeconfig" --cache-dir "$work/kube-cache" "$@"; }
curl_api() { curl -sf --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$server$1"; }

# --- control plane ------------------------------------------------------------------------------------------
phase "etcd + kube-apiserver (/readyz)"
start etcd "$cbin/etcd" --name default --data-dir "$work/etcd" --log-level warn \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster default=http://127.0.0.1:2380 --unsafe-no-fsync
wait_for etcd 30 curl -sf http://127.0.0.1:2379/health
start kube-apiserver "$cbin/kube-apiserver" \
  --etcd-servers http://127.0.0.1:2379 \
  --bind-address "$node_ip" --advertise-address "$node_ip" --secure-port "$API_PORT" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
  --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --kubelet-preferred-address-types InternalIP \
  --service-cluster-ip-range "$SERVICE_CIDR" --cert-dir "$work/apiserver" --profiling=false
wait_for kube-apiserver 90 curl_api /readyz

phase "controller-manager + scheduler"
start kube-controller-manager "$cbin/kube-controller-manager" \
  --kubeconfig "$work/admin.kubeconfig" --authentication-kubeconfig "$work/admin.kubeconfig" --authorization-kubeconfig "$work/admin.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 10257 --cert-dir "$work/kcm" --leader-elect=false \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" --use-service-account-credentials \
  --service-cluster-ip-range "$SERVICE_CIDR" --cluster-cidr "$CLUSTER_CIDR" --profiling=false
start kube-scheduler "$cbin/kube-scheduler" \
  --kubeconfig "$work/admin.kubeconfig" --authentication-kubeconfig "$work/admin.kubeconfig" --authorization-kubeconfig "$work/admin.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 10259 --cert-dir "$work/scheduler" --leader-elect=false --profiling=false
wait_for kube-controller-manager 60 curl -skf https://127.0.0.1:10257/healthz
wait_for kube-scheduler 60 curl -skf https://127.0.0.1:10259/healthz
wait_for kube-controller-manager 60 kubectl -n default get serviceaccount default

# --- containerd and the images ------------------------------------------------------------------------------
phase "containerd + image import"
cd=$work/containerd
mkdir -p "$cd" "$work/cni/net.d" "$work/cni/ipam" "$work/local-path"
# restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE, and runc fails every sandbox without it.
# netns_mounts_under_state_dir: pod network namespaces are pinned under the state dir, not /run/netns.
pause_ref=$(awk '$1 == "pause" { print $2 }' "$images/images.txt")
cat >"$cd/config.toml" <<EOF
version = 2
root = "$cd/root"
state = "$cd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$cd/containerd.sock"
[ttrpc]
  address = "$cd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$cd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_ref"
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$work/cni/net.d"
EOF
# The pods' network: the bridge run.sh made (cbr0, $node_ip/24), host-local addresses, and routes to the
# Service and pod ranges only -- no default route, so nothing leaves the cluster.
cat >"$work/cni/net.d/10-node.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "cdk8s-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cbr0",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$work/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$node_ip" }]],
        "routes": [{ "dst": "$SERVICE_CIDR", "gw": "$node_ip" }, { "dst": "$CLUSTER_CIDR", "gw": "$node_ip" }]
      }
    },
    { "type": "loopback" }
  ]
}
EOF
start containerd /usr/bin/containerd --config "$cd/config.toml"
wait_for containerd 30 ctr_ version
while read -r role ref dir; do
  tar -C "$images/$dir" -cf - . | ctr_ images import - >"$logs/import-$role.log" 2>&1 \
    || { cat "$logs/import-$role.log" >&2; echo "node: importing $ref failed" >&2; exit 1; }
  printf 'node: image %s\n' "$ref"
done <"$images/images.txt"

# --- kubelet ------------------------------------------------------------------------------------------------
phase "kubelet (node Ready)"
: >"$work/resolv.conf"   # pods with dnsPolicy Default, and CoreDNS, inherit no name server of the machine
cat >"$work/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: "$cgroup_root"
failSwapOn: false
failCgroupV1: false
containerRuntimeEndpoint: "unix://$cd/containerd.sock"
clusterDNS: ["$DNS_IP"]
clusterDomain: cluster.local
resolvConf: "$work/resolv.conf"
podLogsDir: "$work/pod-logs"
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
evictionPressureTransitionPeriod: 10s
protectKernelDefaults: false
rotateCertificates: false
shutdownGracePeriod: 0s
localStorageCapacityIsolation: true
volumeStatsAggPeriod: 10s
EOF
start kubelet "$bin/kubelet" --config "$work/kubelet.yaml" --kubeconfig "$work/kubelet.kubeconfig" \
  --root-dir "$work/kubelet" --cert-dir "$work/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$node_ip" \
  --node-labels topology.kubernetes.io/zone=zone-a --v 1
node_ready() { [ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
wait_for kubelet 90 node_ready
# kubelet set vm.overcommit_memory, kernel.panic, kernel.panic_on_oops (and friends) for the whole machine
# when it started: put back what the machine had.
if [ -n "${NODE_SYSCTLS:-}" ]; then
  while read -r key value; do
    [ "$(sysctl -n "$key" 2>/dev/null)" = "$value" ] && continue
    printf 'node: kubelet changed %s to %s: restored %s\n' "$key" "$(sysctl -n "$key")" "$value"
    sysctl -qw "$key=$value"
  done <"$NODE_SYSCTLS"
fi

# --- kube-proxy ---------------------------------------------------------------------------------------------
phase "kube-proxy (iptables)"
cat >"$work/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: "$work/kube-proxy.kubeconfig"}
hostnameOverride: $NODE_NAME
bindAddress: $node_ip
clusterCIDR: $CLUSTER_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Zero: kube-proxy leaves the conntrack table size and timeouts (global or per namespace) as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s, udpTimeout: 0s, udpStreamTimeout: 0s}
iptables: {localhostNodePorts: false, masqueradeAll: false, syncPeriod: 10s, minSyncPeriod: 0s}
nodePortAddresses: ["$node_ip/32"]
EOF
start kube-proxy "$bin/kube-proxy" --config "$work/kube-proxy.yaml" --v 1
wait_for kube-proxy 60 sh -c "iptables-save -t nat | grep -q 'default/kubernetes:https'"

# --- cluster DNS and volumes --------------------------------------------------------------------------------
phase "CoreDNS + local-path-provisioner"
image() { awk -v r="$1" '$1 == r { print $2 }' "$images/images.txt"; }
sed -e "s#__COREDNS_IMAGE__#$(image coredns)#" "$here/addons/coredns.yaml" | kubectl apply -f - >/dev/null
sed -e "s#__LOCAL_PATH_IMAGE__#$(image local-path)#" -e "s#__BUSYBOX_IMAGE__#$(image busybox)#" -e "s#__LOCAL_PATH_DIR__#$work/local-path#" \
  "$here/addons/local-path.yaml" | kubectl apply -f - >/dev/null
wait_for kubelet 120 kubectl -n kube-system wait --for condition=Available --timeout 5s deployment/coredns
wait_for kubelet 120 kubectl -n local-path-storage wait --for condition=Available --timeout 5s deployment/local-path-provisioner
# The node's own check of its DNS: a cluster name resolves through the Service address, any other does not.
wait_for kube-proxy 30 busybox nslookup kubernetes.default.svc.cluster.local "$DNS_IP"
if busybox nslookup example.com "$DNS_IP" >"$logs/nslookup-outside.log" 2>&1; then
  echo "node: example.com resolved through the cluster DNS; it must not:" >&2
  cat "$logs/nslookup-outside.log" >&2
  exit 1
fi

export NODE_SERVER=$server NODE_CA=$pki/ca.crt NODE_CERT=$pki/admin.crt NODE_KEY=$pki/admin.key
export NODE_KUBECONFIG=$work/admin.kubeconfig NODE_KUBECTL=$cbin/kubectl NODE_IMAGES_LIST=$images/images.txt
export KUBECONFIG=$work/admin.kubeconfig
cd "$root"
if [ -n "${NODE_MANIFESTS:-}" ]; then
  phase "scenarios on $NODE_MANIFESTS"
  node "$root/node_modules/jest/bin/jest.js" -c "$root/jest.node.config.js" --runInBand test/node/manifests.node.ts "$@"
else
  phase "node suites (jest)"
  node "$root/node_modules/jest/bin/jest.js" -c "$root/jest.node.config.js" --runInBand "$@" --testPathIgnorePatterns manifests.node.ts
fi
