#!/usr/bin/env bash
# Builds (once) or reuses what `npm run test:node` runs on its real node, and prints where it is:
#
#   bin=DIR      kubelet and kube-proxy (k8s.io/kubernetes, the same module version as the control plane of
#                scripts/cluster/build-tools.sh, whose binaries the node reuses), CoreDNS v1.15.0 (only the
#                plugins the node's DNS uses, scripts/node/tools/coredns/main.go), rancher local-path-provisioner
#                v0.0.30, and pause (compiled from build/pause/linux/pause.c of the kubernetes module)
#   images=DIR   OCI image layouts for `ctr images import` (no registry is reachable): pause, busybox (Debian's
#                busybox-static), nginx (Debian's nginx package, for the `web` example), MySQL 9.7.4 (packed from
#                the chroot of scripts/e2e/mysql-chroot.sh), CoreDNS and local-path-provisioner (the binaries
#                above); DIR/images.txt lists "ROLE REFERENCE LAYOUT-DIR" per image
#   cluster=DIR  the control-plane binaries (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#                kubectl)
#
#   scripts/node/build.sh            build what is missing, print the three lines
#   scripts/node/build.sh --check    exit 0 when everything is cached (nothing would be built)
#
# Cached outside the clone (~/.cache/cdk8s-stateful, or $CDK8S_STATEFUL_CACHE), keyed by every version that goes
# in; each directory is built under a temporary name and renamed into place when complete, so an interrupted
# build is never mistaken for a cache. Go builds and image packing run under `flock $CDK8S_HEAVY_LOCK`
# (/tmp/cdk8s-heavy.lock) so they never share the two cores with another heavy job of the project.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tools=$here/tools

COREDNS_VERSION=v1.15.0
LOCAL_PATH_VERSION=v0.0.30
PAUSE_VERSION=3.10.1
CACHE=${CDK8S_STATEFUL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-stateful}
LOCK=${CDK8S_HEAVY_LOCK:-/tmp/cdk8s-heavy.lock}
log() { printf 'node-build: %s\n' "$*" >&2; }
fail() { log "ERROR: $*"; exit 1; }
heavy() { flock "$LOCK" "$@"; }

# kubelet and kube-proxy must be the version of the control plane they join.
module_version() { awk -v m="$2" '$1 == "require" && $2 == m { print $3 } $1 == m { print $2 }' "$1" | head -n 1; }
K8S_VERSION=$(module_version "$tools/kube/go.mod" k8s.io/kubernetes)
cluster_k8s=$(module_version "$root/scripts/cluster/tools/kube/go.mod" k8s.io/kubernetes)
[ "$K8S_VERSION" = "$cluster_k8s" ] || fail "scripts/node/tools/kube/go.mod has k8s.io/kubernetes $K8S_VERSION, the control plane (scripts/cluster/tools/kube/go.mod) $cluster_k8s: make them equal"
[ "$(module_version "$tools/coredns/go.mod" github.com/coredns/coredns)" = "$COREDNS_VERSION" ] || fail "tools/coredns/go.mod is not CoreDNS $COREDNS_VERSION"
[ "$(module_version "$tools/local-path/go.mod" github.com/rancher/local-path-provisioner)" = "$LOCAL_PATH_VERSION" ] || fail "tools/local-path/go.mod is not local-path-provisioner $LOCAL_PATH_VERSION"

BIN_KEY="node-bin-k8s-$K8S_VERSION-coredns-$COREDNS_VERSION-localpath-$LOCAL_PATH_VERSION-pause-$PAUSE_VERSION-v1"
BIN_DIR=$CACHE/$BIN_KEY
BINS=(kubelet kube-proxy coredns local-path-provisioner pause)

bin_complete() {
  [ -f "$1/.complete" ] || return 1
  local b
  for b in "${BINS[@]}"; do [ -x "$1/bin/$b" ] || return 1; done
}

# --- what the images are made of ----------------------------------------------------------------------------
# Debian versions (from dpkg and apt) and the MySQL version of the chroot key the image cache.
deb_installed() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || true; }
deb_candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)' || true; }
upstream() { local v=${1#*:}; printf '%s\n' "${v%%-*}"; }

ensure_debs() {
  local missing=() p
  for p in busybox-static gcc libc6-dev; do [ -n "$(deb_installed "$p")" ] || missing+=("$p"); done
  [ ${#missing[@]} = 0 ] && return 0
  log "installing ${missing[*]} (apt)"
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }
}

image_key() {
  local busybox nginx mysql
  busybox=$(deb_installed busybox-static)
  nginx=$(deb_candidate nginx)
  if [ -z "$nginx" ]; then apt-get update -qq >/dev/null 2>&1 || true; nginx=$(deb_candidate nginx); fi
  [ -n "$busybox" ] || fail "busybox-static is not installed"
  [ -n "$nginx" ] || fail "apt knows no nginx package (apt-get update?)"
  MYSQL_CHROOT=$(mysql_chroot | tail -n 1)
  mysql=$(sed -n 's/.*Ver \([0-9][0-9.]*\).*/\1/p' "$MYSQL_CHROOT/.complete" | head -n 1)
  [ -n "$mysql" ] || fail "cannot read the MySQL version from $MYSQL_CHROOT/.complete"
  BUSYBOX_VERSION=$(upstream "$busybox")
  NGINX_DEB=$nginx
  NGINX_VERSION=$(upstream "$nginx")
  MYSQL_VERSION=$mysql
  IMG_KEY="node-images-busybox-${busybox//[:+~]/_}-nginx-${nginx//[:+~]/_}-mysql-$mysql-coredns-$COREDNS_VERSION-localpath-$LOCAL_PATH_VERSION-pause-$PAUSE_VERSION-v1"
  IMG_DIR=$CACHE/$IMG_KEY
}

# The MySQL version of the e2e chroot (built on demand, under the heavy lock: debootstrap and apt).
mysql_chroot() {
  if bash "$root/scripts/e2e/mysql-chroot.sh" --check; then
    bash "$root/scripts/e2e/mysql-chroot.sh"
  else
    heavy bash "$root/scripts/e2e/mysql-chroot.sh"
  fi
}

IMAGES=(pause busybox nginx mysql coredns local-path)
img_complete() {
  [ -f "$1/.complete" ] && [ -f "$1/images.txt" ] || return 1
  local i
  for i in "${IMAGES[@]}"; do [ -f "$1/$i/index.json" ] || return 1; done
}

cluster_bin() {
  bash "$root/scripts/cluster/build-tools.sh" --check || return 1
  bash "$root/scripts/cluster/build-tools.sh" 2>/dev/null | tail -n 1
}

if [ "${1:-}" = --check ]; then
  bin_complete "$BIN_DIR" || exit 1
  bash "$root/scripts/cluster/build-tools.sh" --check || exit 1
  bash "$root/scripts/e2e/mysql-chroot.sh" --check || exit 1
  image_key
  img_complete "$IMG_DIR"
  exit
fi

command -v go >/dev/null 2>&1 || fail "Go is not installed (needed to build kubelet, kube-proxy, CoreDNS, local-path-provisioner)"
mkdir -p "$CACHE"

# --- control plane (scripts/cluster/build-tools.sh) ---------------------------------------------------------
if ! cluster=$(cluster_bin); then
  log "building the control plane (scripts/cluster/build-tools.sh)"
  heavy bash "$root/scripts/cluster/build-tools.sh" >/dev/null
  cluster=$(cluster_bin) || fail "scripts/cluster/build-tools.sh did not complete"
fi

# --- binaries -----------------------------------------------------------------------------------------------
ensure_debs
if ! bin_complete "$BIN_DIR"; then
  started=$SECONDS
  build=$(mktemp -d "$CACHE/.build-$BIN_KEY.XXXXXX")
  trap 'rm -rf "$build"' EXIT
  export CGO_ENABLED=0 GOFLAGS=-mod=mod
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  stamp=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp="$stamp -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    stamp="$stamp -X $pkg.gitTreeState=clean -X $pkg.buildDate=2026-01-01T00:00:00Z -X $pkg.gitCommit=0000000000000000000000000000000000000000"
  done
  log "building kubelet and kube-proxy $K8S_VERSION (seconds when the control plane's Go build cache is warm)"
  (cd "$tools/kube" && heavy go build -trimpath -ldflags="-s -w $stamp" -o "$build/bin/" k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy)
  log "building CoreDNS $COREDNS_VERSION (errors, log, health, ready, template, kubernetes)"
  (cd "$tools/coredns" && heavy go build -trimpath -ldflags="-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" -o "$build/bin/coredns" .)
  log "building local-path-provisioner $LOCAL_PATH_VERSION"
  (cd "$tools/local-path" && heavy go build -trimpath -ldflags="-s -w -X main.VERSION=$LOCAL_PATH_VERSION" -o "$build/bin/local-path-provisioner" github.com/rancher/local-path-provisioner)
  log "compiling pause $PAUSE_VERSION from the kubernetes module's build/pause/linux/pause.c"
  pause_src=$(cd "$tools/kube" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
  [ -f "$pause_src" ] || fail "no $pause_src"
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION" -o "$build/bin/pause" "$pause_src"
  strip "$build/bin/pause" 2>/dev/null || true
  for b in "${BINS[@]}"; do [ -x "$build/bin/$b" ] || fail "$b was not built"; done
  printf '%s built in %ss\n' "$BIN_KEY" "$((SECONDS - started))" >"$build/.complete"
  rm -rf "$BIN_DIR"
  mv "$build" "$BIN_DIR"
  trap - EXIT
  log "binaries ready in $((SECONDS - started))s: $BIN_DIR/bin"
fi

# --- images -------------------------------------------------------------------------------------------------
image_key
if ! img_complete "$IMG_DIR"; then
  started=$SECONDS
  build=$(mktemp -d "$CACHE/.build-$IMG_KEY.XXXXXX")
  trap 'rm -rf "$build"' EXIT
  rootfs=$build/rootfs
  oci() { local name=$1; shift; heavy node "$here/oci-image.js" --out "$build/$name" "$@" >&2; }
  passwd() { # passwd ROOTFS USER:UID... : a minimal /etc/passwd and /etc/group
    local r=$1 u; shift
    mkdir -p "$r/etc"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
    printf 'root:x:0:\n' >"$r/etc/group"
    for u in "$@"; do
      printf '%s:x:%s:%s::/nonexistent:/sbin/nologin\n' "${u%%:*}" "${u#*:}" "${u#*:}" >>"$r/etc/passwd"
      printf '%s:x:%s:\n' "${u%%:*}" "${u#*:}" >>"$r/etc/group"
    done
  }
  : >"$build/images.txt"
  add() { printf '%s %s %s\n' "$1" "$2" "$1" >>"$build/images.txt"; }

  log "image pause:$PAUSE_VERSION"
  mkdir -p "$rootfs/pause"
  cp "$BIN_DIR/bin/pause" "$rootfs/pause/pause"
  ref=localhost/cdk8s-node/pause:$PAUSE_VERSION
  oci pause --rootfs "$rootfs/pause" --name "$ref" --entrypoint '["/pause"]' --user 65535:65535
  add pause "$ref"

  log "image busybox:$BUSYBOX_VERSION (Debian busybox-static)"
  r=$rootfs/busybox
  mkdir -p "$r/bin" "$r/tmp" "$r/root"
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/busybox"
  for applet in $("$r/bin/busybox" --list); do [ "$applet" = busybox ] || ln -s busybox "$r/bin/$applet"; done
  passwd "$r" nobody:65534
  ref=localhost/cdk8s-node/busybox:$BUSYBOX_VERSION
  oci busybox --rootfs "$r" --name "$ref" --cmd '["sh"]'
  add busybox "$ref"

  log "image nginx:$NGINX_VERSION (Debian nginx $NGINX_DEB, unprivileged on 8080 as nginx-unprivileged is)"
  r=$rootfs/nginx
  debs=$build/debs
  mkdir -p "$debs" "$r"
  (cd "$debs" && apt-get download "nginx=$NGINX_DEB" "nginx-common=$NGINX_DEB" >/dev/null 2>&1) \
    || { apt-get update -qq >/dev/null 2>&1; (cd "$debs" && apt-get download "nginx=$NGINX_DEB" "nginx-common=$NGINX_DEB" >/dev/null); }
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$r"; done
  # The shared libraries nginx links, from this (the same Debian) system.
  ldd "$r/usr/sbin/nginx" | awk '/=> \//{ print $3 } /^\t\/lib/{ print $1 }' | while read -r lib; do
    cp -L --parents "$lib" "$r/"
  done
  rm -rf "$r/etc/nginx/sites-available" "$r/etc/nginx/sites-enabled" "$r/etc/nginx/modules-enabled" "$r/etc/logrotate.d" "$r/etc/init.d" "$r/etc/ufw" "$r/usr/share/doc" "$r/usr/share/man" "$r/lib/systemd"
  mkdir -p "$r/tmp" "$r/var/log/nginx"
  chmod 1777 "$r/tmp"
  ln -sf /dev/stderr "$r/var/log/nginx/error.log"
  ln -sf /dev/stdout "$r/var/log/nginx/access.log"
  cat >"$r/etc/nginx/nginx.conf" <<'EOF'
# As the nginx-unprivileged image: no root, port 8080, everything writable under /tmp (read-only root).
worker_processes 1;
error_log /dev/stderr notice;
pid /tmp/nginx.pid;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /dev/stdout;
    client_body_temp_path /tmp/client_temp;
    proxy_temp_path /tmp/proxy_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;
    server {
        listen 8080;
        server_name localhost;
        location / {
            root /usr/share/nginx/html;
            index index.html index.htm;
        }
    }
}
EOF
  passwd "$r" nginx:101
  ref=localhost/cdk8s-node/nginx:$NGINX_VERSION
  oci nginx --rootfs "$r" --name "$ref" --entrypoint '["/usr/sbin/nginx", "-e", "/dev/stderr"]' --cmd '["-g", "daemon off;"]' --user 101:101
  add nginx "$ref"

  log "image mysql:$MYSQL_VERSION (the e2e chroot $MYSQL_CHROOT, about 40 s)"
  ref=localhost/cdk8s-node/mysql:$MYSQL_VERSION
  oci mysql --rootfs "$MYSQL_CHROOT" --name "$ref" --cmd '["mysqld"]' \
    --exclude ./e2e --exclude './proc/*' --exclude './sys/*' --exclude './dev/*' --exclude './tmp/*' --exclude './run/*' \
    --exclude './var/cache/apt/*' --exclude './var/lib/apt/lists/*' --exclude './usr/share/doc/*' --exclude './usr/share/man/*' \
    --exclude './usr/share/locale/*' --exclude ./.complete
  add mysql "$ref"

  log "image coredns:$COREDNS_VERSION"
  r=$rootfs/coredns
  mkdir -p "$r"
  cp "$BIN_DIR/bin/coredns" "$r/coredns"
  passwd "$r" nonroot:65532
  ref=localhost/cdk8s-node/coredns:${COREDNS_VERSION#v}
  oci coredns --rootfs "$r" --name "$ref" --entrypoint '["/coredns"]'
  add coredns "$ref"

  log "image local-path-provisioner:$LOCAL_PATH_VERSION"
  r=$rootfs/local-path
  mkdir -p "$r/usr/bin" "$r/tmp"
  chmod 1777 "$r/tmp"
  cp "$BIN_DIR/bin/local-path-provisioner" "$r/usr/bin/local-path-provisioner"
  passwd "$r"
  ref=localhost/cdk8s-node/local-path-provisioner:$LOCAL_PATH_VERSION
  oci local-path --rootfs "$r" --name "$ref" --entrypoint '["local-path-provisioner"]'
  add local-path "$ref"

  rm -rf "$rootfs" "$debs"
  for i in "${IMAGES[@]}"; do [ -f "$build/$i/index.json" ] || fail "image $i was not written"; done
  printf '%s built in %ss\n' "$IMG_KEY" "$((SECONDS - started))" >"$build/.complete"
  rm -rf "$IMG_DIR"
  mv "$build" "$IMG_DIR"
  trap - EXIT
  log "images ready in $((SECONDS - started))s: $IMG_DIR"
fi

printf 'bin=%s\nimages=%s\ncluster=%s\n' "$BIN_DIR/bin" "$IMG_DIR" "$cluster"
