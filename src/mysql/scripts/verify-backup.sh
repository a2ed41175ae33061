#!/usr/bin/env bash
# The restore check of ReplicatedMySql's full backups (the CronJob <name>-backup-verify;
# docs/design/backups.md, section 7). It never connects to the members and holds no MySQL password:
#
#   1. lists <prefix>/<namespace>/<name>/backups/ (ListObjectsV2, every page) and picks the newest
#      backup that has a backup.meta (the ids sort by their UTC time);
#   2. reads its backup.meta, then streams data.tar.gz through sha256sum and a byte count into
#      gzip -d | tar -x on the scratch volume: the size and SHA-256 must be the meta's;
#   3. starts a throw-away mysqld on the extracted data (no network, no grants, no binary log, no
#      replication, read-only): its @@gtid_executed must be the meta's, and mysqlcheck --check
#      --quick must find every table sound; then stops it by PID;
#   4. writes <prefix>/<namespace>/<name>/verify/<UTC>-<pod uid>.result (key=value lines: backup_id,
#      result=ok|failed, reason, checked_at, seconds, tables) whatever the outcome, when S3 answers.
#
# The last line of the log is "VERIFIED <id>: ..." or "VERIFY FAILED <id>: <reason>", and a failure
# exits non-zero. The scratch data is removed in any case. The S3 keys are read from files and reach
# curl only through a config on a pipe, never a command line or the environment.
#
# Its S3 answers go to a directory in /tmp (S3_WORK), so that the result can be written even when the
# scratch volume cannot.
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"
# shellcheck source=s3.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/s3.sh"

: "${MYSQL_NAMESPACE:?MYSQL_NAMESPACE is not set}"
: "${MYSQL_SET_NAME:?MYSQL_SET_NAME is not set}"
: "${POD_UID:?POD_UID is not set}"
: "${S3_STALL_TIME:=300}"                        # the download of the data fails after this many seconds below 1 KiB/s
: "${S3_LIST_MAX_KEYS:=1000}"                    # keys per ListObjectsV2 page
: "${VERIFY_SCRATCH:=/var/lib/mysql-backup}"     # the scratch volume: the whole extracted backup
: "${VERIFY_BUFFER_POOL:=128M}"                  # innodb_buffer_pool_size of the throw-away mysqld

WORK="$VERIFY_SCRATCH/work"
RESTORE_DIR="$WORK/data"
socket="$WORK/mysqld.sock"
S3_WORK=''
BASE="${S3_PREFIX:+$S3_PREFIX/}$MYSQL_NAMESPACE/$MYSQL_SET_NAME"

# What the EXIT trap reports: the backup (once chosen), what was being done, why it failed.
BACKUP_ID=''
STEP='starting'
FAILURE=''
VERIFIED=''
TABLES=''
S3_USABLE=''

# lib.sh's die, keeping the first reason for the result (a die in a command substitution's subshell
# cannot: the EXIT trap then names the step instead).
die() {
  log "ERROR: $*"
  [ -n "$FAILURE" ] || FAILURE=$*
  exit 1
}

# --- settings ---------------------------------------------------------------------------------

# The S3 settings (s3.sh), and the page size of the listing.
check_settings() {
  s3_check_settings
  if ! [[ $S3_LIST_MAX_KEYS =~ ^[1-9][0-9]{0,3}$ ]] || [ "$S3_LIST_MAX_KEYS" -gt 1000 ]; then
    die "S3_LIST_MAX_KEYS '$S3_LIST_MAX_KEYS' is not a number from 1 to 1000"
  fi
}

# --- S3: listing and reading --------------------------------------------------------------------

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
  local key=$1 dir=$2 url tls=() err="$WORK/get.err" status sum_pid count_pid
  local -a codes
  url=$(s3_url "$key")
  [ -z "$S3_CA_FILE" ] || tls=(--cacert "$S3_CA_FILE")
  mkfifo "$WORK/sum.fifo" "$WORK/count.fifo"
  sha256sum <"$WORK/sum.fifo" >"$WORK/sha256" &
  sum_pid=$!
  wc -c <"$WORK/count.fifo" >"$WORK/count" &
  count_pid=$!
  # tee -p: when gzip or tar stop early (a damaged archive), the whole object is still summed and counted.
  if curl --silent --show-error --connect-timeout 30 --speed-limit 1024 --speed-time "$S3_STALL_TIME" "${tls[@]}" \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" -K <(s3_curl_config) --write-out '%{stderr}HTTP %{http_code}\n' --output - "$url" 2>"$err" \
    | tee -p "$WORK/sum.fifo" "$WORK/count.fifo" \
    | gzip -d 2>"$WORK/gzip.err" \
    | tar -x --no-same-owner -C "$dir" -f - 2>"$WORK/tar.err"; then
    codes=(0 0 0 0)
  else
    codes=("${PIPESTATUS[@]}")
  fi
  wait "$sum_pid" || true
  wait "$count_pid" || true
  read -r GOT_SHA256 _ <"$WORK/sha256" || GOT_SHA256=''
  read -r GOT_SIZE <"$WORK/count" || GOT_SIZE=0
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
    EXTRACT_ERROR=$(grep -m 1 . "$WORK/gzip.err" || echo "gzip -d exited with ${codes[2]}")
  elif [ "${codes[3]}" != 0 ] || [ "${codes[1]}" != 0 ]; then
    EXTRACT_ERROR=$(grep -m 1 . "$WORK/tar.err" || echo "tar -x exited with ${codes[3]} (tee with ${codes[1]})")
  fi
}

# --- the backup ---------------------------------------------------------------------------------

# Sets BACKUP_ID: the newest backup under BASE/backups/ that has a backup.meta ('' when none).
newest_backup() {
  local key rest
  s3_list "$BASE/backups/" "$WORK/keys" || die "cannot list s3://$S3_BUCKET/$BASE/backups/: $S3_FAILURE"
  while IFS= read -r key; do
    rest=${key#"$BASE/backups/"}
    if [[ $rest =~ ^([0-9]{8}T[0-9]{6}Z-[A-Za-z0-9-]+)/backup\.meta$ ]]; then printf '%s\n' "${BASH_REMATCH[1]}"; fi
  done <"$WORK/keys" >"$WORK/ids"
  BACKUP_ID=$(LC_ALL=C sort -r "$WORK/ids" | head -n 1)
  log "listed $(wc -l <"$WORK/keys") objects in $LIST_PAGES pages: $(wc -l <"$WORK/ids") backups with a backup.meta"
}

# meta_value KEY: a value of $WORK/backup.meta ('' when absent).
meta_value() {
  sed -n "s/^$1=//p" "$WORK/backup.meta" | head -n 1
}

# Reads the chosen backup's backup.meta: META_SIZE, META_SHA256, META_GTIDS.
read_meta() {
  local key="$BASE/backups/$BACKUP_ID/backup.meta" format id
  s3_request GetObject GET "$(s3_url "$key")" || die "cannot read $key: $S3_FAILURE"
  [ "$S3_STATUS" = 200 ] || { s3_explain GetObject "$key"; die "cannot read $key: $S3_FAILURE"; }
  cp "$S3_BODY" "$WORK/backup.meta"
  format=$(meta_value format) id=$(meta_value id)
  META_SIZE=$(meta_value size) META_SHA256=$(meta_value sha256) META_GTIDS=$(meta_value gtid_executed)
  [ "$format" = clone-tar-gzip-v1 ] || die "$key has format '$format', which this script cannot check (it knows clone-tar-gzip-v1)"
  [ "$id" = "$BACKUP_ID" ] || die "$key names the backup '$id', not $BACKUP_ID"
  [[ $META_SIZE =~ ^[0-9]+$ ]] || die "$key has no size (size='$META_SIZE')"
  [[ $META_SHA256 =~ ^[0-9a-f]{64}$ ]] || die "$key has no SHA-256 (sha256='$META_SHA256')"
  grep -q '^gtid_executed=' "$WORK/backup.meta" || die "$key has no gtid_executed"
}

# Downloads and extracts data.tar.gz, which must be what backup.meta says.
fetch_data() {
  local key="$BASE/backups/$BACKUP_ID/data.tar.gz"
  mkdir -m 0700 "$RESTORE_DIR"
  s3_get_extract "$key" "$RESTORE_DIR" || die "cannot read s3://$S3_BUCKET/$key: $S3_FAILURE"
  if [ "$GOT_SHA256" != "$META_SHA256" ] || [ "$GOT_SIZE" != "$META_SIZE" ]; then
    die "s3://$S3_BUCKET/$key is damaged: sha256 $GOT_SHA256 ($GOT_SIZE bytes), backup.meta says sha256 $META_SHA256 ($META_SIZE bytes)"
  fi
  [ -z "$EXTRACT_ERROR" ] || die "s3://$S3_BUCKET/$key matches its backup.meta but cannot be extracted: $EXTRACT_ERROR"
  [ -f "$RESTORE_DIR/mysql.ibd" ] || die "s3://$S3_BUCKET/$key holds no MySQL data directory (no mysql.ibd at its top)"
}

# mysql as root on the throw-away server (no grant checks, no network: only this user reaches its socket).
restored_sql() {
  mysql --defaults-file=<(client_cnf root '') --socket="$socket" --batch --skip-column-names
}

# Starts mysqld on the extracted data, compares its gtid_executed with the meta's, runs mysqlcheck
# on every table, and stops it. Sets RESTORED_GTIDS and TABLES.
check_restored() {
  local equal checked report rc=0
  mkdir -p "$WORK/tmp" "$WORK/files"
  STEP='starting mysqld on the restored data'
  start_temp_mysqld "$socket" "$WORK/mysqld.log" --no-defaults --datadir="$RESTORE_DIR" --tmpdir="$WORK/tmp" --secure-file-priv="$WORK/files" \
    --innodb-buffer-pool-size="$VERIFY_BUFFER_POOL" --skip-log-bin --skip-grant-tables --gtid-mode=ON --enforce-gtid-consistency=ON \
    --read-only --super-read-only
  STEP='reading gtid_executed of the restored data'
  RESTORED_GTIDS=$(restored_sql <<<"SELECT $GTID_EXECUTED;") || die "could not read gtid_executed of the restored data"
  if [ "$RESTORED_GTIDS" != "$META_GTIDS" ]; then
    # The same set written otherwise (an order, a range split) is the same set.
    equal=$(restored_sql <<<"SELECT GTID_SUBSET($(sql_string "$META_GTIDS"), @@GLOBAL.gtid_executed) AND GTID_SUBSET(@@GLOBAL.gtid_executed, $(sql_string "$META_GTIDS"));" 2>/dev/null) || equal=0
    [ "$equal" = 1 ] || die "gtid_executed of the restored data is '$RESTORED_GTIDS', backup.meta says '$META_GTIDS'"
  fi
  STEP='checking the tables (mysqlcheck)'
  # (no init-command in its option file: mysqlcheck has no such option)
  checked=$(mysqlcheck --defaults-file=<(client_cnf root '' server-sql-mode) --socket="$socket" --all-databases --check --quick 2>&1) || rc=$?
  # One table a line ("db.table  OK"), or its name alone followed by "<type> : <text>" lines.
  report=$(awk '
    /^[A-Za-z]+ *: / {
      type = $0; sub(/ *:.*/, "", type); text = $0; sub(/^[A-Za-z]+ *: */, "", text)
      if (type ~ /^[Ee]rror$/ || (type == "status" && text != "OK")) bad[++n] = table ": " type ": " text
      next
    }
    $1 ~ /\./ {
      table = $1; tables++; rest = substr($0, length($1) + 1); sub(/^ +/, "", rest)
      if (rest != "" && rest != "OK" && rest != "Table is already up to date") bad[++n] = table ": " rest
    }
    END { print tables + 0; for (i = 1; i <= n && i <= 5; i++) print bad[i] }' <<<"$checked")
  TABLES=$(head -n 1 <<<"$report")
  if [ "$(wc -l <<<"$report")" -gt 1 ]; then
    die "mysqlcheck found damaged tables: $(tail -n +2 <<<"$report" | paste -sd ';' | sed 's/;/; /g')"
  fi
  [ "$rc" = 0 ] || die "mysqlcheck --all-databases --check --quick failed (exit $rc): $(grep -m 3 . <<<"$checked" | paste -sd ' ')"
  [ "$TABLES" -gt 0 ] || die "mysqlcheck checked no table: $(grep -m 1 . <<<"$checked" || echo 'it printed nothing')"
  STEP='stopping mysqld'
  stop_temp_mysqld
}

# --- the result -----------------------------------------------------------------------------------

write_result() {
  cat <<RESULT
backup_id=$BACKUP_ID
result=$1
reason=$2
checked_at=$CHECKED_AT
seconds=$3
tables=$TABLES
RESULT
}

# On any exit: mysqld stopped, the result written (when S3 can be asked), the final line logged,
# the scratch data removed. A failure exits non-zero.
finish() {
  local rc=$? result reason key seconds
  set +e
  trap - EXIT
  trap '' TERM INT
  stop_temp_mysqld
  seconds=$((SECONDS - started))
  if [ "$rc" = 0 ] && [ -n "$VERIFIED" ]; then
    result=ok reason=''
  else
    result=failed
    reason=${FAILURE:-"exit $rc while $STEP (the log above says why)"}
    [ "$rc" != 143 ] || reason="stopped by a signal while $STEP"
    [ "$rc" != 0 ] || rc=1
  fi
  reason=$(tr '\n\r\t' '   ' <<<"$reason" | sed 's/ *$//')
  if [ -n "$S3_USABLE" ] && [ -n "$S3_WORK" ]; then
    key="$BASE/verify/$VERIFY_ID.result"
    write_result "$result" "$reason" "$seconds" >"$S3_WORK/result"
    if s3_put "$key" "$S3_WORK/result"; then
      log "wrote s3://$S3_BUCKET/$key (result=$result)"
    else
      log "ERROR: the result could not be written to s3://$S3_BUCKET/$key: $S3_FAILURE"
      if [ "$result" = ok ]; then
        result=failed reason="the backup verified, but its result could not be written to s3://$S3_BUCKET/$key"
        rc=1
      fi
    fi
  fi
  rm -rf "$WORK"
  [ -z "$S3_WORK" ] || rm -rf "$S3_WORK"
  if [ "$result" = ok ]; then
    log "VERIFIED $BACKUP_ID: $META_SIZE bytes, sha256 ok, gtid_executed $RESTORED_GTIDS, $TABLES tables checked"
  else
    log "VERIFY FAILED ${BACKUP_ID:--}: $reason"
  fi
  exit "$rc"
}

# --- main ---------------------------------------------------------------------------------------

started=$SECONDS
now=$(date -u +%s)
CHECKED_AT=$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)
VERIFY_ID="$(date -u -d "@$now" +%Y%m%dT%H%M%SZ)-$POD_UID"
trap finish EXIT
trap 'exit 143' TERM INT
STEP='checking the settings'
check_settings
S3_WORK=$(mktemp -d "${TMPDIR:-/tmp}/verify-backup.XXXXXX") || die "cannot make a directory in ${TMPDIR:-/tmp}"
S3_USABLE=1
s3_check_tools tar gzip sha256sum tee mysqld mysql mysqlcheck mysqladmin
STEP='preparing the scratch volume'
if [ ! -d "$VERIFY_SCRATCH" ] || [ ! -w "$VERIFY_SCRATCH" ]; then
  die "the scratch volume $VERIFY_SCRATCH is not a writable directory"
fi
# A previous attempt in the same pod (a restarted container) may have left its scratch data.
rm -rf "$WORK"
# (Only this user may reach the socket of the temporary server, which runs without grant checks.)
mkdir -m 0700 "$WORK"

STEP='listing the backups'
log "verify $VERIFY_ID: the newest backup of $MYSQL_NAMESPACE/$MYSQL_SET_NAME under s3://$S3_BUCKET/$BASE/backups/ at $S3_ENDPOINT"
newest_backup
[ -n "$BACKUP_ID" ] || die "no backup to verify under s3://$S3_BUCKET/$BASE/backups/ (no <id>/backup.meta there)"
log "backup $BACKUP_ID"
STEP="reading backup.meta of $BACKUP_ID"
read_meta
STEP="downloading and extracting data.tar.gz of $BACKUP_ID"
download_started=$SECONDS
fetch_data
log "downloaded and extracted data.tar.gz in $((SECONDS - download_started))s: $GOT_SIZE bytes, sha256 $GOT_SHA256 as in backup.meta ($(du -sk "$RESTORE_DIR" | cut -f1) KiB extracted)"
check_started=$SECONDS
check_restored
log "started the restored data and checked it in $((SECONDS - check_started))s: gtid_executed $RESTORED_GTIDS as in backup.meta, $TABLES tables sound"
STEP='cleaning up'
VERIFIED=1
