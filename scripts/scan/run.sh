#!/usr/bin/env bash
# Third-party scanners on what the library emits: checkov (--framework kubernetes), kube-score and kubeconform
# (-strict, against Kubernetes 1.28 schemas generated per kind from the OpenAPI definitions), on dist/ and on
# the props matrix (test/cluster/matrix.ts, written to a temporary folder). Every finding must be listed in
# scripts/scan/exceptions.yaml (a deliberate choice, with its reason) or in scripts/scan/pending-fixes.txt (a
# real defect awaiting its fix in src/); anything else fails, and so do entries that match nothing (stale).
#
#   bash scripts/scan/run.sh                 dist/ and the matrix
#   bash scripts/scan/run.sh DIR...          other folders (each is one source; exceptions still apply)
#   bash scripts/scan/run.sh --no-pending    also fail on the pending real defects (to check the fixes)
#
# scripts/scan/own-checks.js adds two checks no scanner here makes (emptyDir sizeLimit, PDB unhealthyPodEvictionPolicy).
#
# K8S_DEFINITIONS: the Kubernetes 1.28 OpenAPI definitions (default ../shared/k8s-schemas/v1.28.0/_definitions.json).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
definitions=${K8S_DEFINITIONS:-$root/../shared/k8s-schemas/v1.28.0/_definitions.json}

report_args=()
dirs=()
for arg in "$@"; do
  case "$arg" in
    --no-pending) report_args+=(--no-pending) ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) dirs+=("$arg") ;;
  esac
done

started=$EPOCHREALTIME
took() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-stateful-scan.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The inputs first: a missing one fails in a second, not after minutes of tool builds.
[ -f "$definitions" ] || { echo "scan: Kubernetes 1.28 OpenAPI definitions not found at $definitions (set K8S_DEFINITIONS)" >&2; exit 1; }
for d in "${dirs[@]}"; do
  [ -d "$d" ] || { echo "scan: $d is not a directory (pass folders of synthesized manifests)" >&2; exit 1; }
  [ -n "$(find "$d" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -print -quit)" ] || { echo "scan: no manifests in $d" >&2; exit 1; }
done
[ "${#dirs[@]}" -gt 0 ] || [ -d "$root/dist" ] || { echo "scan: $root/dist does not exist (run npm run synth first)" >&2; exit 1; }

t=$EPOCHREALTIME
mapfile -t tools < <(bash "$here/tools.sh")
checkov=${tools[0]}
kube_score=${tools[1]}
kubeconform=${tools[2]}
printf 'scan: tools ready in %ss\n' "$(took "$t")"

t=$EPOCHREALTIME
node "$here/schemas.js" "$definitions" "$work/schemas"
sources=()
if [ "${#dirs[@]}" -eq 0 ]; then
  node "$here/matrix.js" "$work/matrix"
  sources=("dist=$root/dist" "matrix=$work/matrix")
else
  # Entries made for dist/ and the matrix say nothing about other folders: do not call them stale there.
  report_args+=(--no-stale)
  for d in "${dirs[@]}"; do sources+=("$(basename "$d")=$(cd "$d" && pwd)"); done
fi
printf 'scan: schemas and matrix in %ss\n' "$(took "$t")"

reports=()
for source in "${sources[@]}"; do
  name=${source%%=*}
  dir=${source#*=}
  mapfile -t files < <(find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | sort)
  [ "${#files[@]}" -gt 0 ] || { echo "scan: no manifests in $dir" >&2; exit 1; }
  t=$EPOCHREALTIME
  # Each scanner exits non-zero when it finds something: the findings are judged below, from the JSON.
  # One checkov run over copies in which each file's NetworkPolicies select only that file's pods (isolate.js
  # says why: checkov's CKV2_K8S_6 ignores namespaces).
  mkdir -p "$work/checkov-$name"
  node "$here/isolate.js" "$work/isolated-$name" "${files[@]}"
  "$checkov" -d "$work/isolated-$name" --framework kubernetes --skip-download --quiet -o json \
    >"$work/checkov-$name/report.json" 2>"$work/checkov-$name/report.err" || true
  [ -s "$work/checkov-$name/report.json" ] || { echo "scan: checkov wrote no report for $name:" >&2; cat "$work/checkov-$name/report.err" >&2; exit 1; }
  for f in "$work/checkov-$name"/*.json; do reports+=("checkov@$name=$f"); done
  "$kube_score" score -o json --kubernetes-version v1.28 "${files[@]}" >"$work/kube-score-$name.json" 2>"$work/kube-score-$name.err" || true
  [ -s "$work/kube-score-$name.json" ] || { echo "scan: kube-score wrote no report for $name:" >&2; cat "$work/kube-score-$name.err" >&2; exit 1; }
  "$kubeconform" -strict -summary -output json -schema-location "$work/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$dir" \
    >"$work/kubeconform-$name.json" 2>"$work/kubeconform-$name.err" || true
  [ -s "$work/kubeconform-$name.json" ] || { echo "scan: kubeconform wrote no report for $name:" >&2; cat "$work/kubeconform-$name.err" >&2; exit 1; }
  node "$here/own-checks.js" "$dir" >"$work/own-$name.json"
  printf 'scan: %s (%s files) scanned in %ss\n' "$name" "${#files[@]}" "$(took "$t")"
  reports+=("own@$name=$work/own-$name.json" "kube-score@$name=$work/kube-score-$name.json" "kubeconform@$name=$work/kubeconform-$name.json")
done

rc=0
node "$here/report.js" "${report_args[@]}" --exceptions "$here/exceptions.yaml" --pending "$here/pending-fixes.txt" "${reports[@]}" || rc=$?
printf 'scan: done in %ss\n' "$(took "$started")"
exit "$rc"
