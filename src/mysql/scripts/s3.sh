# shellcheck shell=bash
# The S3 requests of the backup scripts (backup.sh, verify-backup.sh, and restore.sh in the bootstrap),
# signed by curl (--aws-sigv4, curl 7.87 or later: s3_check_tools), and the reading of a backup. Sourced after lib.sh, never executed. The access key is read
# from files and reaches curl only through a config on a pipe, never a command line or the
# environment. A script sets S3_WORK (where the answers go) before its first request.

: "${S3_PREFIX:=}"
: "${S3_CREDENTIALS_SOURCE:=files}"              # files (S3_CREDENTIALS_DIR) or service-account (the pod's IAM role, IRSA)
: "${S3_CREDENTIALS_DIR:=/etc/mysql-backup/s3}"  # access-key-id, secret-access-key (a Secret volume)
: "${S3_STS_ENDPOINT:=}"                         # service-account: STS (default https://sts.<AWS_REGION or S3_REGION>.amazonaws.com)
: "${S3_CA_FILE:=}"                              # a CA bundle for the endpoint (default: the image's)
: "${S3_MAX_TIME:=900}"                          # seconds one S3 request may take
: "${S3_STALL_TIME:=300}"                        # a download fails after this many seconds below 1 KiB/s
: "${S3_LIST_MAX_KEYS:=1000}"                    # keys per ListObjectsV2 page
: "${S3_RETRIES:=3}"                             # curl's retries of a request that timed out or got 408/429/5xx
S3_FAILURE=''
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

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
  if ! [[ $S3_LIST_MAX_KEYS =~ ^[1-9][0-9]{0,3}$ ]] || [ "$S3_LIST_MAX_KEYS" -gt 1000 ]; then
    die "S3_LIST_MAX_KEYS '$S3_LIST_MAX_KEYS' is not a number from 1 to 1000"
  fi
  case "$S3_CREDENTIALS_SOURCE" in
    files) s3_key access-key-id >/dev/null && s3_key secret-access-key >/dev/null ;;
    service-account)
      # (injected by the pod identity webhook for a ServiceAccount annotated with eks.amazonaws.com/role-arn)
      [[ -n ${AWS_ROLE_ARN:-} && -r ${AWS_WEB_IDENTITY_TOKEN_FILE:-} ]] \
        || die "S3Credentials.fromServiceAccount: this pod has no IAM role (AWS_ROLE_ARN '${AWS_ROLE_ARN:-}', token file '${AWS_WEB_IDENTITY_TOKEN_FILE:-}'): annotate the ServiceAccount with the role (eks.amazonaws.com/role-arn) on a cluster that runs the EKS pod identity webhook, or use S3Credentials.fromSecret"
      ;;
    *) die "S3_CREDENTIALS_SOURCE '$S3_CREDENTIALS_SOURCE' is not files or service-account" ;;
  esac
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

# curl's config (-K) with the access key (and with a role's temporary credentials, its session token, which curl
# signs): read from a pipe, so the secret is on no command line.
s3_curl_config() {
  local id secret token=''
  if [ "$S3_CREDENTIALS_SOURCE" = service-account ]; then
    { read -r _ && read -r id && read -r secret && read -r token; } <"$S3_WORK/identity" || exit 1
  else
    id=$(s3_key access-key-id) && secret=$(s3_key secret-access-key) || exit 1
  fi
  id=${id//\\/\\\\} secret=${secret//\\/\\\\}
  printf 'user = "%s:%s"\n' "${id//\"/\\\"}" "${secret//\"/\\\"}"
  [ -z "$token" ] || printf 'header = "x-amz-security-token: %s"\n' "$token"
}

# service-account: the role's temporary credentials in $S3_WORK/identity (0600: expiry, key id, secret, session
# token), asked of STS (AssumeRoleWithWebIdentity with the pod's projected token) when missing or within 5 minutes
# of their expiry. Returns 1 (S3_FAILURE set) when STS refused or did not answer.
s3_identity() {
  [ "$S3_CREDENTIALS_SOURCE" = service-account ] || return 0
  local file="$S3_WORK/identity" expires=0 sts status id secret token expiration
  [ ! -s "$file" ] || read -r expires <"$file"
  [ "$expires" -le $(($(date +%s) + 300)) ] || return 0
  sts=${S3_STS_ENDPOINT:-https://sts.${AWS_REGION:-$S3_REGION}.amazonaws.com}
  # (the token through a pipe, URL-encoded by curl: never on a command line)
  status=$(printf '%s' "$(<"$AWS_WEB_IDENTITY_TOKEN_FILE")" | curl --silent --show-error --max-time 60 --retry "$S3_RETRIES" -X POST \
    --data "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&DurationSeconds=3600&RoleArn=$(uri_encode "$AWS_ROLE_ARN")&RoleSessionName=$(uri_encode "cdk8s-mysql-$POD_UID")" \
    --data-urlencode 'WebIdentityToken@-' --output "$S3_WORK/sts.body" --write-out '%{http_code}' "${sts%/}/" 2>"$S3_WORK/sts.err") || true
  if [ "${status:-000}" != 200 ]; then
    S3_FAILURE="STS $sts did not give role $AWS_ROLE_ARN temporary credentials (HTTP ${status:-000}: $(sed -n 's:.*<Code>\([^<]*\)</Code>.*:\1:p; s:.*<Message>\([^<]*\)</Message>.*:\1:p' "$S3_WORK/sts.body" 2>/dev/null | paste -sd ' ')$(grep -m 1 . "$S3_WORK/sts.err" 2>/dev/null))"
    log "AssumeRoleWithWebIdentity: $S3_FAILURE"
    return 1
  fi
  id=$(sed -n 's:.*<AccessKeyId>\([^<]*\)</AccessKeyId>.*:\1:p' "$S3_WORK/sts.body")
  secret=$(sed -n 's:.*<SecretAccessKey>\([^<]*\)</SecretAccessKey>.*:\1:p' "$S3_WORK/sts.body" | xml_text)
  token=$(sed -n 's:.*<SessionToken>\([^<]*\)</SessionToken>.*:\1:p' "$S3_WORK/sts.body" | xml_text)
  expiration=$(sed -n 's:.*<Expiration>\([^<]*\)</Expiration>.*:\1:p' "$S3_WORK/sts.body")
  if [ -z "$id" ] || [ -z "$secret" ] || [ -z "$token" ] || ! expires=$(date -u -d "$expiration" +%s 2>/dev/null); then
    S3_FAILURE="STS $sts answered AssumeRoleWithWebIdentity without credentials and their expiry"
    log "AssumeRoleWithWebIdentity: $S3_FAILURE"
    return 1
  fi
  printf '%s\n%s\n%s\n%s\n' "$expires" "$id" "$secret" "$token" >"$file.tmp" && mv "$file.tmp" "$file"
  rm -f "$S3_WORK/sts.body"
  log "signed in to S3 as $AWS_ROLE_ARN (temporary credentials until $expiration)"
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
  s3_identity || { S3_STATUS=000; return 1; }
  [ -z "$S3_CA_FILE" ] || tls=(--cacert "$S3_CA_FILE")
  # Every request says its payload's SHA-256 (S3 requires the header; curl before 8.x sends it only with a body): a
  # request without a body, the empty string's.
  [[ " $* " == *' x-amz-content-sha256: '* ]] || set -- "$@" --header "x-amz-content-sha256: $EMPTY_SHA256"
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

# s3_get KEY: GetObject of a small object into S3_BODY; returns 1 (S3_FAILURE set) unless S3 answered 200.
s3_get() {
  s3_request GetObject GET "$(s3_url "$1")" || return 1
  [ "$S3_STATUS" = 200 ] || { s3_explain GetObject "$1"; return 1; }
}

# s3_put KEY FILE: PutObject of a small file, its SHA-256 signed.
s3_put() {
  local sha
  sha=$(sha256sum <"$2") && sha=${sha%% *}
  s3_request PutObject PUT "$(s3_url "$1")" --upload-file "$2" --header "x-amz-content-sha256: $sha" || return 1
  [ "$S3_STATUS" = 200 ] || { s3_explain PutObject "$1"; return 1; }
}

# s3_delete KEY: DeleteObject (204, or 200 from some servers; a missing key is no error).
s3_delete() {
  s3_request DeleteObject DELETE "$(s3_url "$1")" || return 1
  # (404: some S3-compatible stores answer so for a key already gone, another run's delete)
  case "$S3_STATUS" in 200 | 204 | 404) ;; *) s3_explain DeleteObject "$1"; return 1 ;; esac
}

# --- listing and reading ---------------------------------------------------------------------

# A query string value, percent-encoded as SigV4 canonicalises it (curl signs the query as given:
# already encoded, its parameters sorted by name, it is the same for every curl version).
uri_encode() {
  local LC_ALL=C s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c" && out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

# The text of an XML element's content (the five predefined entities decoded).
xml_text() {
  sed 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&apos;/'\''/g; s/&#39;/'\''/g; s/&amp;/\&/g'
}

# s3_list PREFIX FILE: every key under PREFIX into FILE, one a line (ListObjectsV2, S3_LIST_MAX_KEYS
# a page, following NextContinuationToken; LIST_PAGES: how many pages). Returns 1 (S3_FAILURE set) when S3 refused or did not answer.
s3_list() {
  local prefix=$1 keys=$2 token='' query truncated next
  : >"$keys"
  LIST_PAGES=0
  while :; do
    LIST_PAGES=$((LIST_PAGES + 1))
    [ "$LIST_PAGES" -le 100000 ] || { S3_FAILURE="ListObjectsV2 of $prefix: more than 100000 pages"; return 1; }
    query="list-type=2&max-keys=$S3_LIST_MAX_KEYS&prefix=$(uri_encode "$prefix")"
    [ -z "$token" ] || query="continuation-token=$(uri_encode "$token")&$query"
    s3_request ListObjectsV2 GET "${S3_ENDPOINT%/}/$S3_BUCKET?$query" || return 1
    [ "$S3_STATUS" = 200 ] || { s3_explain ListObjectsV2 "$prefix"; return 1; }
    grep -o '<Key>[^<]*</Key>' "$S3_BODY" | sed 's:^<Key>::; s:</Key>$::' | xml_text >>"$keys" || true
    truncated=$(grep -o '<IsTruncated>[^<]*</IsTruncated>' "$S3_BODY" | head -n 1 | sed 's:<[^>]*>::g') || true
    [ "$truncated" = true ] || break
    next=$(grep -o '<NextContinuationToken>[^<]*</NextContinuationToken>' "$S3_BODY" | head -n 1 | sed 's:<[^>]*>::g' | xml_text) || true
    if [ -z "$next" ] || [ "$next" = "$token" ]; then
      S3_FAILURE="ListObjectsV2 of $prefix: $S3_ENDPOINT answered a truncated page without a new NextContinuationToken"
      return 1
    fi
    token=$next
  done
}

# s3_get_extract KEY DIR: GetObject of KEY streamed through sha256sum and a byte count into
# gzip -d | tar -x in DIR (no retry: a stream cannot be rewound). Sets GOT_SIZE, GOT_SHA256 and
# EXTRACT_ERROR (why gzip or tar failed, '' when they did not); returns 1 (S3_FAILURE set) when the
# object could not be read whole.
s3_get_extract() {
  local key=$1 dir=$2 url tls=() err="$S3_WORK/get.err" status sum_pid count_pid
  local -a codes
  url=$(s3_url "$key")
  s3_identity || return 1
  [ -z "$S3_CA_FILE" ] || tls=(--cacert "$S3_CA_FILE")
  mkfifo "$S3_WORK/sum.fifo" "$S3_WORK/count.fifo"
  sha256sum <"$S3_WORK/sum.fifo" >"$S3_WORK/sha256" &
  sum_pid=$!
  wc -c <"$S3_WORK/count.fifo" >"$S3_WORK/count" &
  count_pid=$!
  # tee -p: when gzip or tar stop early (a damaged archive), the whole object is still summed and counted.
  if curl --silent --show-error --connect-timeout 30 --speed-limit 1024 --speed-time "$S3_STALL_TIME" "${tls[@]}" \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" -K <(s3_curl_config) --header "x-amz-content-sha256: $EMPTY_SHA256" \
    --write-out '%{stderr}HTTP %{http_code}\n' --output - "$url" 2>"$err" \
    | tee -p "$S3_WORK/sum.fifo" "$S3_WORK/count.fifo" \
    | gzip -d 2>"$S3_WORK/gzip.err" \
    | tar -x --no-same-owner -C "$dir" -f - 2>"$S3_WORK/tar.err"; then
    codes=(0 0 0 0)
  else
    codes=("${PIPESTATUS[@]}")
  fi
  wait "$sum_pid" || true
  wait "$count_pid" || true
  read -r GOT_SHA256 _ <"$S3_WORK/sha256" || GOT_SHA256=''
  read -r GOT_SIZE <"$S3_WORK/count" || GOT_SIZE=0
  status=$(sed -n 's/^HTTP \([0-9][0-9][0-9]\)$/\1/p' "$err" | tail -n 1)
  if [ "${status:-000}" = 000 ]; then
    S3_FAILURE="the S3 endpoint $S3_ENDPOINT did not answer: $(grep -v '^HTTP ' "$err" | grep -m 1 . || echo 'no error from curl')"
    log "GetObject: $S3_FAILURE"
    return 1
  fi
  if [ "$status" != 200 ]; then
    # The error's text went down the pipe: asked again for a byte of it, to explain.
    if s3_request GetObject GET "$url" --range 0-0 && [ "$S3_STATUS" != 206 ] && [ "$S3_STATUS" != 200 ]; then
      s3_explain GetObject "$key"
    else
      S3_FAILURE="the S3 endpoint $S3_ENDPOINT answered HTTP $status (bucket $S3_BUCKET, key $key)"
      log "GetObject: $S3_FAILURE"
    fi
    return 1
  fi
  if [ "${codes[0]}" != 0 ]; then
    S3_FAILURE="the download of s3://$S3_BUCKET/$key broke off after $GOT_SIZE bytes: $(grep -v '^HTTP ' "$err" | grep -m 1 . || echo "curl exit ${codes[0]}")"
    log "GetObject: $S3_FAILURE"
    return 1
  fi
  EXTRACT_ERROR=''
  if [ "${codes[2]}" != 0 ]; then
    EXTRACT_ERROR=$(grep -m 1 . "$S3_WORK/gzip.err" || echo "gzip -d exited with ${codes[2]}")
  elif [ "${codes[3]}" != 0 ] || [ "${codes[1]}" != 0 ]; then
    EXTRACT_ERROR=$(grep -m 1 . "$S3_WORK/tar.err" || echo "tar -x exited with ${codes[3]} (tee with ${codes[1]})")
  fi
}

# --- a backup (verify-backup.sh, restore.sh) ---------------------------------------------------------------------------------

# find_backup [ID]: sets BACKUP_ID to backup ID, or without one to the newest backup, under
# BACKUP_BASE/backups/: only a backup with a backup.meta is one (the meta is written last). BACKUP_ID is
# '' when there is none; an ID without a meta fails, naming the newest ones there are.
find_backup() {
  local wanted=${1:-} key rest
  s3_list "$BACKUP_BASE/backups/" "$S3_WORK/keys" || die "cannot list s3://$S3_BUCKET/$BACKUP_BASE/backups/: $S3_FAILURE"
  while IFS= read -r key; do
    rest=${key#"$BACKUP_BASE/backups/"}
    if [[ $rest =~ ^([0-9]{8}T[0-9]{6}Z-[A-Za-z0-9-]+)/backup\.meta$ ]]; then printf '%s\n' "${BASH_REMATCH[1]}"; fi
  done <"$S3_WORK/keys" | LC_ALL=C sort -r >"$S3_WORK/ids"
  log "listed $(wc -l <"$S3_WORK/keys") objects in $LIST_PAGES pages under s3://$S3_BUCKET/$BACKUP_BASE/backups/: $(wc -l <"$S3_WORK/ids") backups with a backup.meta"
  if [ -z "$wanted" ]; then
    BACKUP_ID=$(head -n 1 "$S3_WORK/ids")
  elif grep -qxF -- "$wanted" "$S3_WORK/ids"; then
    BACKUP_ID=$wanted
  else
    die "there is no backup $wanted under s3://$S3_BUCKET/$BACKUP_BASE/backups/ (no $wanted/backup.meta: a backup without one never finished); the newest there are: $(head -n 5 "$S3_WORK/ids" | paste -sd ' ')"
  fi
}

# meta_of FILE KEY: a value of a key=value record ('' when absent).
meta_of() {
  sed -n "s/^$2=//p" "$1" | head -n 1
}

# meta_value KEY: a value of $S3_WORK/backup.meta.
meta_value() {
  meta_of "$S3_WORK/backup.meta" "$1"
}

# shellcheck disable=SC2034 # META_GTIDS is read by the scripts that source this file
# read_meta: reads backup.meta of BACKUP_ID into $S3_WORK/backup.meta; sets META_SIZE, META_SHA256, META_GTIDS.
read_meta() {
  local key="$BACKUP_BASE/backups/$BACKUP_ID/backup.meta" format id
  s3_get "$key" || die "cannot read $key: $S3_FAILURE"
  cp "$S3_BODY" "$S3_WORK/backup.meta"
  format=$(meta_value format) id=$(meta_value id)
  META_SIZE=$(meta_value size) META_SHA256=$(meta_value sha256) META_GTIDS=$(meta_value gtid_executed)
  [ "$format" = clone-tar-gzip-v1 ] || die "$key has format '$format', which this script cannot check (it knows clone-tar-gzip-v1)"
  [ "$id" = "$BACKUP_ID" ] || die "$key names the backup '$id', not $BACKUP_ID"
  [[ $META_SIZE =~ ^[0-9]+$ ]] || die "$key has no size (size='$META_SIZE')"
  [[ $META_SHA256 =~ ^[0-9a-f]{64}$ ]] || die "$key has no SHA-256 (sha256='$META_SHA256')"
  grep -q '^gtid_executed=' "$S3_WORK/backup.meta" || die "$key has no gtid_executed"
}

# fetch_backup DIR: downloads data.tar.gz of BACKUP_ID and extracts it into DIR (made here, 0700), which
# must be what backup.meta says, and a data directory.
fetch_backup() {
  local key="$BACKUP_BASE/backups/$BACKUP_ID/data.tar.gz" dir=$1
  mkdir -m 0700 "$dir"
  s3_get_extract "$key" "$dir" || die "cannot read s3://$S3_BUCKET/$key: $S3_FAILURE"
  if [ "$GOT_SHA256" != "$META_SHA256" ] || [ "$GOT_SIZE" != "$META_SIZE" ]; then
    die "s3://$S3_BUCKET/$key is damaged: sha256 $GOT_SHA256 ($GOT_SIZE bytes), backup.meta says sha256 $META_SHA256 ($META_SIZE bytes)"
  fi
  [ -z "$EXTRACT_ERROR" ] || die "s3://$S3_BUCKET/$key matches its backup.meta but cannot be extracted: $EXTRACT_ERROR"
  [ -f "$dir/mysql.ibd" ] || die "s3://$S3_BUCKET/$key holds no MySQL data directory (no mysql.ibd at its top)"
}

# --- the binary log archive (archiver.sh, restore.sh, prune.sh) ------------------------------------

# shellcheck disable=SC2034 # read by the scripts that source this file
# read_pruned: what prune.sh deleted from the archive, from its records BACKUP_BASE/pruned/<UTC>-<pod uid>.meta (each
# written before its run deleted anything, each with every transaction of the records deleted until then; a run
# deletes the ones it includes): PRUNED_GTIDS (their union; '' when nothing was ever pruned), PRUNED_BELOW (the
# highest first sequence number kept), PRUNED_BACKUP (the oldest backup the newest run kept), their keys in
# $S3_WORK/pruned.keys. The archiver counts PRUNED_GTIDS as archived; a point-in-time restore refuses a backup that
# lacks any of them but orphans. Returns 1 (S3_FAILURE set) when they cannot be read.
read_pruned() {
  local key gtids below
  PRUNED_GTIDS='' PRUNED_BELOW=0 PRUNED_BACKUP=''
  s3_list "$BACKUP_BASE/pruned/" "$S3_WORK/pruned.all" || return 1
  grep -E "^$BACKUP_BASE/pruned/[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9-]+\.meta\$" "$S3_WORK/pruned.all" | LC_ALL=C sort >"$S3_WORK/pruned.keys" || true
  while IFS= read -r key; do
    s3_get "$key" || return 1
    gtids=$(meta_of "$S3_BODY" gtids) below=$(meta_of "$S3_BODY" below_seq)
    if [ -z "$gtids" ] || ! [[ $below =~ ^[0-9]+$ ]]; then
      S3_FAILURE="s3://$S3_BUCKET/$key is not a pruning record (gtids '$gtids', below_seq '$below')"
      return 1
    fi
    PRUNED_GTIDS+=${PRUNED_GTIDS:+,}$gtids
    [ "$below" -le "$PRUNED_BELOW" ] || PRUNED_BELOW=$below
    PRUNED_BACKUP=$(meta_of "$S3_BODY" backup)
  done <"$S3_WORK/pruned.keys"
}

# read_archive: every record of the archive (archiver.sh) in order, read into $S3_WORK/archive/: <seq>-<writer>.meta.
read_archive() {
  local key
  mkdir -p "$S3_WORK/archive"
  s3_list "$BACKUP_BASE/binlog/" "$S3_WORK/archive.keys" || die "cannot list s3://$S3_BUCKET/$BACKUP_BASE/binlog/: $S3_FAILURE"
  grep -E "^$BACKUP_BASE/binlog/[0-9]{12}-[A-Za-z0-9-]+\\.meta\$" "$S3_WORK/archive.keys" | LC_ALL=C sort >"$S3_WORK/archive.metas" || true
  while IFS= read -r key; do
    s3_get "$key" || die "cannot read s3://$S3_BUCKET/$key: $S3_FAILURE"
    cp "$S3_BODY" "$S3_WORK/archive/${key##*/}"
  done <"$S3_WORK/archive.metas"
  log "${POD_NAME:+$POD_NAME: }the archive s3://$S3_BUCKET/$BACKUP_BASE/binlog/ has $(wc -l <"$S3_WORK/archive.metas") records"
}

# The GTIDs the archive records as orphaned (archived from a primary lost before its replicas had them).
archive_orphans() {
  local meta out=''
  for meta in "$S3_WORK"/archive/*.meta; do
    if [ ! -e "$meta" ] || [ "$(meta_of "$meta" kind)" != orphan ]; then continue; fi
    out+=${out:+,}$(meta_of "$meta" gtids)
  done
  printf '%s' "$out"
}

# binlog_transactions FILE: the transactions of a binary log file in order, "<gtid><TAB><original commit
# time in µs>" a line (the commit time on the member that first committed it, which orders a time
# target); fails when mysqlbinlog cannot read it whole, checksums verified.
binlog_transactions() {
  mysqlbinlog --verify-binlog-checksum "$1" | awk -F"'" '
    /\tGTID\t/ { ts = ""; if (match($0, /original_committed_timestamp=[0-9]+/)) ts = substr($0, RSTART + 29, RLENGTH - 29) }
    /^SET @@SESSION\.GTID_NEXT= '\''/ && $2 != "AUTOMATIC" { print $2 "\t" ts; ts = "" }'
  [ "${PIPESTATUS[0]}" = 0 ]
}

# gtid_set_of FILE: the GTIDs of FILE (the first field of each line, "uuid[:tag]:n") as a set in ranges
# ("uuid:1:2:5,uuid2:3": each number a range), short enough for mysqld to normalize.
gtid_set_of() {
  awk -F'\t' '{ n = split($1, p, ":"); id = p[1]; for (i = 2; i < n; i++) id = id ":" p[i]; s[id] = s[id] ":" p[n]; if (!(id in o)) order[++k] = id; o[id] = 1 }
    END { for (i = 1; i <= k; i++) { out = out (i > 1 ? "," : "") order[i] s[order[i]] }; print out }' "$1"
}
