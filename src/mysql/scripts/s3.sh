# shellcheck shell=bash
# The S3 requests of the backup scripts (backup.sh, verify-backup.sh), signed by curl (--aws-sigv4,
# curl 7.87 or later: s3_check_tools). Sourced after lib.sh, never executed. The access key is read
# from files and reaches curl only through a config on a pipe, never a command line or the
# environment. A script sets S3_WORK (where the answers go) before its first request.

: "${S3_PREFIX:=}"
: "${S3_CREDENTIALS_DIR:=/etc/mysql-backup/s3}"  # access-key-id, secret-access-key (a Secret volume)
: "${S3_CA_FILE:=}"                              # a CA bundle for the endpoint (default: the image's)
: "${S3_MAX_TIME:=900}"                          # seconds one S3 request may take
: "${S3_RETRIES:=3}"                             # curl's retries of a request that timed out or got 408/429/5xx
S3_FAILURE=''

# Refuses settings that would make a wrong key or URL (the construct checks them too).
s3_check_settings() {
  : "${S3_ENDPOINT:?S3_ENDPOINT is not set}" "${S3_REGION:?S3_REGION is not set}" "${S3_BUCKET:?S3_BUCKET is not set}"
  [[ $S3_ENDPOINT =~ ^https?://[^/?#]+/?$ ]] || die "S3_ENDPOINT '$S3_ENDPOINT' is not http(s)://host[:port]"
  [[ $S3_BUCKET =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "S3_BUCKET '$S3_BUCKET' is not an S3 bucket name"
  # (only characters that need no percent-encoding: curl signs the path as it sends it)
  [[ $S3_PREFIX =~ ^([A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)?$ ]] \
    || die "S3_PREFIX '$S3_PREFIX' must be path segments of letters, digits and ._- joined by '/'"
  [[ ${POD_UID:-} =~ ^[A-Za-z0-9-]+$ ]] || die "POD_UID '${POD_UID:-}' is not a pod uid"
  [ -z "$S3_CA_FILE" ] || [ -r "$S3_CA_FILE" ] || die "S3_CA_FILE $S3_CA_FILE cannot be read"
  s3_key access-key-id >/dev/null && s3_key secret-access-key >/dev/null
}

# s3_check_tools TOOL...: the tools a script needs, and curl 7.87 or later (before it, curl signs an
# upload's body as empty, curl#8810, and every upload is refused). The official mysql images (Oracle
# Linux slim) have no tar and an older curl: backup.image names one that has them.
s3_check_tools() {
  local tool version major minor missing=()
  for tool in curl "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  [ "${#missing[@]}" = 0 ] \
    || die "this image has no ${missing[*]}: give backup.image an image of the members' MySQL version with tar and curl 7.87 or later (docs/backup.md: The image)"
  version=$(curl --version 2>/dev/null | sed -n '1s/^curl \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  read -r major minor <<<"${version:-0 0}"
  if [ "$major" -lt 7 ] || { [ "$major" = 7 ] && [ "$minor" -lt 87 ]; }; then
    die "this image's curl is $(curl --version 2>/dev/null | head -n 1 | cut -d' ' -f2): before 7.87 it cannot sign S3 uploads; give backup.image an image with tar and curl 7.87 or later (docs/backup.md: The image)"
  fi
}

# One key of the S3 credentials volume (a trailing newline dropped), never printed.
s3_key() {
  local file="$S3_CREDENTIALS_DIR/$1" value
  [ -r "$file" ] || die "no readable $1 in $S3_CREDENTIALS_DIR: the S3 credentials Secret lacks that key"
  value=$(<"$file")
  [ -n "$value" ] || die "$1 in the S3 credentials Secret is empty"
  [[ $value != *[[:cntrl:]]* ]] || die "$1 in the S3 credentials Secret contains a control character"
  printf '%s' "$value"
}

# curl's config (-K) with the access key: read from a pipe, so the secret is on no command line.
s3_curl_config() {
  local id secret
  id=$(s3_key access-key-id) && secret=$(s3_key secret-access-key) || exit 1
  id=${id//\\/\\\\} secret=${secret//\\/\\\\}
  printf 'user = "%s:%s"\n' "${id//\"/\\\"}" "${secret//\"/\\\"}"
}

# The URL of KEY (path-style: <endpoint>/<bucket>/<key>); keys hold no character that needs encoding.
s3_url() {
  printf '%s/%s/%s' "${S3_ENDPOINT%/}" "$S3_BUCKET" "$1"
}

# s3_request OPERATION METHOD URL [curl options...]: one signed request, within S3_MAX_TIME seconds.
# Sets S3_STATUS (the HTTP status), S3_HEADERS and S3_BODY (files); returns 1 when the endpoint did
# not answer (S3_STATUS 000), after logging why.
s3_request() {
  local operation=$1 method=$2 url=$3 err tls=()
  shift 3
  S3_HEADERS="$S3_WORK/s3.headers" S3_BODY="$S3_WORK/s3.body" err="$S3_WORK/s3.err"
  [ -z "$S3_CA_FILE" ] || tls=(--cacert "$S3_CA_FILE")
  S3_STATUS=$(curl --silent --show-error --max-time "$S3_MAX_TIME" --retry "$S3_RETRIES" "${tls[@]}" \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" -K <(s3_curl_config) -X "$method" \
    --dump-header "$S3_HEADERS" --output "$S3_BODY" --write-out '%{http_code}' "$@" "$url" 2>"$err") || true
  if [ "${S3_STATUS:-000}" = 000 ]; then
    S3_FAILURE="the S3 endpoint $S3_ENDPOINT did not answer: $(grep -m 1 . "$err" || echo 'no error from curl')"
    log "$operation: $S3_FAILURE"
    return 1
  fi
}

# Logs an S3 answer that was not the one expected (after s3_request): the endpoint, the HTTP
# status and S3's error code and message. Sets S3_FAILURE to the same text.
s3_explain() {
  local code message
  code=$(sed -n 's:.*<Code>\([^<]*\)</Code>.*:\1:p' "$S3_BODY" | head -n 1)
  message=$(sed -n 's:.*<Message>\([^<]*\)</Message>.*:\1:p' "$S3_BODY" | head -n 1 | sed "s/&#39;/'/g; s/&quot;/\"/g; s/&amp;/\\&/g")
  S3_FAILURE="the S3 endpoint $S3_ENDPOINT answered HTTP $S3_STATUS${code:+ $code}${message:+: $message} (bucket $S3_BUCKET, key $2)"
  log "$1: $S3_FAILURE"
}

# s3_put KEY FILE: PutObject of a small file, its SHA-256 signed.
s3_put() {
  local sha
  sha=$(sha256sum <"$2") && sha=${sha%% *}
  s3_request PutObject PUT "$(s3_url "$1")" --upload-file "$2" --header "x-amz-content-sha256: $sha" || return 1
  [ "$S3_STATUS" = 200 ] || { s3_explain PutObject "$1"; return 1; }
}
