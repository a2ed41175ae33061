#!/usr/bin/env bash
# Installs (once) or reuses the third-party scanners that scripts/scan/run.sh runs, pinned, in a cache outside
# the clone keyed by their versions: checkov in its own Python venv (pip), kube-score and kubeconform built with
# `go install` from the Go module proxy. Prints three lines: the paths of checkov, kube-score and kubeconform.
set -euo pipefail

CHECKOV_VERSION=3.3.30
KUBE_SCORE_VERSION=v1.20.0
KUBECONFORM_VERSION=v0.7.0
CACHE=${CDK8S_STATEFUL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-stateful}
log() { printf 'scan-tools: %s\n' "$*" >&2; }

# checkov: a venv per version (its scripts carry the venv's path, so it is built in place; .complete marks a
# finished install, and an interrupted one is redone).
venv="$CACHE/checkov-$CHECKOV_VERSION"
if [ ! -x "$venv/bin/checkov" ] || [ ! -f "$venv/.complete" ]; then
  command -v python3 >/dev/null 2>&1 || { log "ERROR: python3 is needed for checkov"; exit 1; }
  mkdir -p "$CACHE"
  log "installing checkov $CHECKOV_VERSION (pip, into $venv)"
  started=$SECONDS
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" >&2
  "$venv/bin/checkov" --version >/dev/null
  touch "$venv/.complete"
  log "checkov ready in $((SECONDS - started))s"
fi

# kube-score and kubeconform: `go install` into a bin folder per version pair.
gobin="$CACHE/scan-go-kube-score-$KUBE_SCORE_VERSION-kubeconform-$KUBECONFORM_VERSION/bin"
if [ ! -x "$gobin/kube-score" ] || [ ! -x "$gobin/kubeconform" ]; then
  command -v go >/dev/null 2>&1 || { log "ERROR: Go is needed to build kube-score and kubeconform"; exit 1; }
  log "building kube-score $KUBE_SCORE_VERSION and kubeconform $KUBECONFORM_VERSION (go install)"
  started=$SECONDS
  mkdir -p "$gobin"
  GOBIN="$gobin" CGO_ENABLED=0 go install -trimpath -ldflags="-s -w" "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION"
  GOBIN="$gobin" CGO_ENABLED=0 go install -trimpath -ldflags="-s -w" "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  log "built in $((SECONDS - started))s"
fi

printf '%s\n' "$venv/bin/checkov" "$gobin/kube-score" "$gobin/kubeconform"
