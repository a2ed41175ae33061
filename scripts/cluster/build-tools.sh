#!/usr/bin/env bash
# Builds (once) or reuses the control-plane binaries `npm run test:cluster` runs on loopback:
# kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (k8s.io/kubernetes), etcd and
# kwok, from the Go modules pinned in scripts/cluster/tools/*/go.mod. Prints the bin directory.
#
# The binaries are cached outside the clone, keyed by the versions, and the Go module and build
# caches are Go's own (~/go/pkg/mod, ~/.cache/go-build): a second run with warm caches is seconds.
# The build goes to a temporary directory renamed into place when complete.
set -euo pipefail
cd "$(dirname "$0")/tools"

K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
KEY="k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION-v1"
CACHE=${CDK8S_STATEFUL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-stateful}
DIR="$CACHE/$KEY"
BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok)
log() { printf 'cluster-tools: %s\n' "$*" >&2; }

complete() {
  [ -f "$1/.complete" ] || return 1
  for b in "${BINS[@]}"; do [ -x "$1/bin/$b" ] || return 1; done
}
if [ "${1:-}" = --check ]; then complete "$DIR"; exit; fi
if complete "$DIR"; then printf '%s\n' "$DIR/bin"; exit 0; fi

command -v go >/dev/null 2>&1 || { log "ERROR: Go is not installed (needed to build the control plane)"; exit 1; }
mkdir -p "$CACHE"
build=$(mktemp -d "$CACHE/.build-$KEY.XXXXXX")
trap 'rm -rf "$build"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod
# A fixed build date keeps the link step cacheable; the stamps make versions print as 1.34.4.
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
date=2026-01-01T00:00:00Z
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp="$stamp -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  stamp="$stamp -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date -X $pkg.gitCommit=0000000000000000000000000000000000000000"
done
started=$SECONDS
log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $K8S_VERSION (about 11 minutes on 2 cores from nothing)"
(cd kube && go build -trimpath -ldflags="-s -w $stamp" -o "$build/bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
log "building etcd $ETCD_VERSION"
(cd etcd && go build -trimpath -ldflags="-s -w" -o "$build/bin/etcd" go.etcd.io/etcd/server/v3)
log "building kwok $KWOK_VERSION"
(cd kwok && go build -trimpath -ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" -o "$build/bin/kwok" sigs.k8s.io/kwok/cmd/kwok)
# kwok exits with "no stages found" unless given stage files: they ship in its module.
stages=$(cd kwok && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage
cp -r "$stages" "$build/stages"
chmod -R u+w "$build/stages"
for b in "${BINS[@]}"; do [ -x "$build/bin/$b" ] || { log "ERROR: $b was not built"; exit 1; }; done
printf '%s built in %ss\n' "$KEY" "$((SECONDS - started))" >"$build/.complete"
rm -rf "$DIR"
mv "$build" "$DIR"
trap - EXIT
log "ready in $((SECONDS - started))s: $DIR/bin"
printf '%s\n' "$DIR/bin"
