#!/usr/bin/env bash
# The full backup of ReplicatedMySql (the CronJob <name>-backup; docs/design/backups.md, section 5):
#
#   1. picks a donor: a replica that holds everything the primary had a moment earlier (Group
#      Replication: an ONLINE SECONDARY), else the primary; never a member that does neither;
#   2. CLONEs it into a throw-away mysqld's DATA DIRECTORY on the scratch volume, then starts the
#      clone once (no network, no grants): that finishes it, proves it starts, and tells what it
#      holds (@@gtid_executed; the donor's binary log position from clone_status);
#   3. streams tar | gzip -1 of the clone into an S3 multipart upload (curl --aws-sigv4; each part
#      S3_PART_SIZE bytes held in the scratch volume, its SHA-256 signed so the store checks it),
#      computing the stream's size and SHA-256 on the way;
#   4. writes <prefix>/<namespace>/<name>/backups/<UTC>-<pod uid>/data.tar.gz, then backup.meta
#      beside it: the meta is written last and is the commit marker (no meta, no backup).
#
# A failure anywhere aborts the multipart upload (AbortMultipartUpload) and exits non-zero; the
# scratch data is removed in any case. Passwords and S3 keys are read from files and reach mysql and
# curl only through option files on pipes, never a command line or the environment.
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"
# shellcheck source=s3.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/s3.sh"

: "${BACKUP_USER:?BACKUP_USER is not set}"
: "${POD_UID:?POD_UID is not set}"
: "${S3_PART_SIZE:=64M}"                         # bytes per part (K, M, G: powers of 1024); S3 allows 5M..5G
: "${BACKUP_SCRATCH:=/var/lib/mysql-backup}"     # the scratch volume: the whole clone plus one part
: "${DONOR_CATCH_UP:=60}"                        # seconds a replica may take to hold what the primary had
: "${CLONE_MAX_CONCURRENCY:=2}"                  # clone threads, each a donor connection (the account allows 4)

WORK="$BACKUP_SCRATCH/work"
S3_WORK=$WORK
CLONE_DIR="$WORK/clone"
socket="$WORK/mysqld.sock"
UPLOAD_ID=''

# --- settings ---------------------------------------------------------------------------------

# S3_PART_SIZE in bytes; S3 takes parts of 5 MiB to 5 GiB (the last one may be smaller).
part_bytes() {
  [[ $S3_PART_SIZE =~ ^([0-9]+)([KMG]?)$ ]] || die "S3_PART_SIZE '$S3_PART_SIZE' is not a size such as 64M (K, M, G: powers of 1024)"
  local n=$((10#${BASH_REMATCH[1]})) unit=${BASH_REMATCH[2]}
  case "$unit" in K) n=$((n << 10)) ;; M) n=$((n << 20)) ;; G) n=$((n << 30)) ;; esac
  if [ "$n" -lt $((5 << 20)) ] || [ "$n" -gt $((5 << 30)) ]; then
    die "S3_PART_SIZE '$S3_PART_SIZE' is outside what S3 accepts for a part (5M to 5G)"
  fi
  printf '%d\n' "$n"
}

# The S3 settings (s3.sh), and the part size.
check_settings() {
  s3_check_settings
  PART_BYTES=$(part_bytes)
}

# --- S3 ---------------------------------------------------------------------------------------

# CreateMultipartUpload of KEY: sets UPLOAD_ID. Done before the clone, so that a wrong key, bucket
# or endpoint fails in seconds, not after the whole data directory was cloned.
s3_create_upload() {
  s3_request CreateMultipartUpload POST "$(s3_url "$1")?uploads" || return 1
  [ "$S3_STATUS" = 200 ] || { s3_explain CreateMultipartUpload "$1"; return 1; }
  UPLOAD_ID=$(sed -n 's:.*<UploadId>\([^<]*\)</UploadId>.*:\1:p' "$S3_BODY" | head -n 1)
  [[ $UPLOAD_ID =~ ^[A-Za-z0-9._~-]+$ ]] || { log "CreateMultipartUpload: no usable UploadId in the answer of $S3_ENDPOINT"; UPLOAD_ID=''; return 1; }
}

# s3_upload_part KEY NUMBER FILE: UploadPart; appends the part's <Part> (its ETag) to $WORK/parts.xml.
s3_upload_part() {
  local sha etag
  sha=$(sha256sum <"$3") && sha=${sha%% *}
  s3_request "UploadPart $2" PUT "$(s3_url "$1")?partNumber=$2&uploadId=$UPLOAD_ID" --upload-file "$3" --header "x-amz-content-sha256: $sha" || return 1
  [ "$S3_STATUS" = 200 ] || { s3_explain "UploadPart $2" "$1"; return 1; }
  etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\([^[:space:]]*\).*/\1/p' "$S3_HEADERS" | tail -n 1)
  [ -n "$etag" ] || { log "UploadPart $2: $S3_ENDPOINT answered without an ETag"; return 1; }
  printf '<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>' "$2" "$etag" >>"$WORK/parts.xml"
}

# CompleteMultipartUpload of KEY with the parts uploaded. S3 may answer 200 with an <Error> body.
s3_complete_upload() {
  local sha
  { printf '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'; cat "$WORK/parts.xml"; printf '</CompleteMultipartUpload>'; } >"$WORK/complete.xml"
  sha=$(sha256sum <"$WORK/complete.xml") && sha=${sha%% *}
  s3_request CompleteMultipartUpload POST "$(s3_url "$1")?uploadId=$UPLOAD_ID" --header 'Content-Type: application/xml' \
    --header "x-amz-content-sha256: $sha" --data-binary "@$WORK/complete.xml" || return 1
  if [ "$S3_STATUS" != 200 ] || grep -q '<Error>' "$S3_BODY"; then s3_explain CompleteMultipartUpload "$1"; return 1; fi
  UPLOAD_ID=''
}

# AbortMultipartUpload of the open upload, if any (its parts are deleted; on failure, logged).
s3_abort_upload() {
  [ -n "$UPLOAD_ID" ] || return 0
  local id=$UPLOAD_ID
  UPLOAD_ID=''
  if s3_request AbortMultipartUpload DELETE "$(s3_url "$1")?uploadId=$id"; then
    case "$S3_STATUS" in
      204 | 200) log "aborted the multipart upload of $1" ; return 0 ;;
      *) s3_explain AbortMultipartUpload "$1" ;;
    esac
  fi
  log "the multipart upload $id of $1 could not be aborted: its parts stay billed until a lifecycle rule (AbortIncompleteMultipartUpload) removes them"
}

# --- the donor ----------------------------------------------------------------------------------

# backup_query HOST SQL: the SQL on a member as BACKUP_USER over TLS (peer_ssl_options), within
# PEER_TIMEOUT seconds. Sets PEER_OUT and PEER_ERR; returns 0 when it answered, non-zero otherwise.
backup_query() {
  PEER_USER=$BACKUP_USER PEER_PASSWORD_FILE=backup-password peer_query "$@"
}

# What a member says about itself: super_read_only|IO thread|SQL thread (of the asynchronous
# channel)|its ONLINE group role|server_uuid|version|gtid_executed (one line). "-": none.
DONOR_STATE_SQL="SELECT CONCAT_WS('|', @@GLOBAL.super_read_only,
  IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = ''), '-'),
  IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_applier_status WHERE CHANNEL_NAME = ''), '-'),
  IFNULL((SELECT MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid AND MEMBER_STATE = 'ONLINE'), '-'),
  @@server_uuid, @@version, $GTID_EXECUTED);"

# Asks every member what it is. Sets REPLICAS_FOUND (hosts), PRIMARY_FOUND (a host or ''),
# OTHERS_FOUND (members that answered as neither), MEMBER_INFO[host]=uuid|version, PRIMARY_GTIDS,
# and UNANSWERED (why each silent member did not answer, for the log).
survey_members() {
  local ordinal host read_only io sql role uuid version executed
  REPLICAS_FOUND=() OTHERS_FOUND=() PRIMARY_FOUND='' PRIMARY_GTIDS='' UNANSWERED=()
  declare -gA MEMBER_INFO=()
  for ordinal in $(member_ordinals); do
    host=$(pod_host "$ordinal")
    if ! backup_query "$host" "$DONOR_STATE_SQL"; then
      UNANSWERED+=("$host: $PEER_ERR")
      continue
    fi
    IFS='|' read -r read_only io sql role uuid version executed <<<"$PEER_OUT"
    MEMBER_INFO[$host]="$uuid|$version"
    if [ "$REPLICATION_MODE" = group ]; then
      case "$role" in
        SECONDARY) REPLICAS_FOUND+=("$host") ;;
        PRIMARY) PRIMARY_FOUND=$host PRIMARY_GTIDS=$executed ;;
        *) OTHERS_FOUND+=("$host") ;;
      esac
    elif [ "$read_only" = 0 ]; then
      PRIMARY_FOUND=$host PRIMARY_GTIDS=$executed
    elif [ "$io" = ON ] && [ "$sql" = ON ]; then
      REPLICAS_FOUND+=("$host")
    else
      OTHERS_FOUND+=("$host")
    fi
  done
}

# The first replica that holds the GTID set $1 (the primary's, sampled before), asked again
# until DONOR_CATCH_UP seconds have passed; fails when none does by then.
caught_up_replica() {
  local deadline=$((SECONDS + DONOR_CATCH_UP)) host
  while :; do
    for host in "${REPLICAS_FOUND[@]}"; do
      if backup_query "$host" "SELECT GTID_SUBSET($(sql_string "$1"), @@GLOBAL.gtid_executed);" && [ "$PEER_OUT" = 1 ]; then
        printf '%s\n' "$host"
        return 0
      fi
    done
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep "$POLL_INTERVAL"
  done
}

# Picks the donor (DONOR, DONOR_ROLE, DONOR_UUID, DONOR_VERSION): a caught-up replica, else the
# primary, else any member that answered; dies naming every member's answer when none did.
choose_donor() {
  survey_members
  DONOR='' DONOR_ROLE=replica
  if [ -n "$PRIMARY_FOUND" ] && [ "${#REPLICAS_FOUND[@]}" -gt 0 ]; then
    DONOR=$(caught_up_replica "$PRIMARY_GTIDS") \
      || log "no replica (${REPLICAS_FOUND[*]}) held the primary's transactions within ${DONOR_CATCH_UP}s: cloning the primary"
  elif [ "${#REPLICAS_FOUND[@]}" -gt 0 ]; then
    DONOR=${REPLICAS_FOUND[0]}
    log "the primary did not answer (${UNANSWERED[*]:-}): cloning the replica $DONOR, which may lag behind it"
  fi
  if [ -z "$DONOR" ] && [ -n "$PRIMARY_FOUND" ]; then DONOR=$PRIMARY_FOUND DONOR_ROLE=primary; fi
  # A member that neither replicates nor takes writes may be one its agent stopped (errant transactions, a
  # fork): a backup of it would look valid and hold the wrong data. No backup is better.
  if [ -z "$DONOR" ] && [ "${#OTHERS_FOUND[@]}" -gt 0 ]; then
    die "no member answered as a replica or the primary (${OTHERS_FOUND[*]} neither replicate nor take writes): nothing is backed up until the cluster has a primary or a replicating member"
  fi
  [ -n "$DONOR" ] || die "no member answered as $BACKUP_USER, so there is nothing to back up: $(IFS=';'; echo "${UNANSWERED[*]}")"
  IFS='|' read -r DONOR_UUID DONOR_VERSION <<<"${MEMBER_INFO[$DONOR]}"
  log "donor: $DONOR ($DONOR_ROLE, server_uuid $DONOR_UUID, MySQL $DONOR_VERSION)"
}

# --- the clone ----------------------------------------------------------------------------------

# mysql as root on the recipient (root has no password there: --initialize-insecure, no network).
recipient_sql() {
  mysql --defaults-file=<(client_cnf root '') --socket="$socket" --batch --skip-column-names
}

# CLONEs DONOR into $CLONE_DIR with a throw-away recipient mysqld (as bootstrap.sh clone_from
# does), checks in clone_status that it completed from DONOR (sets CLONE_SOURCE), and stops it.
clone_donor() {
  local password recipient_dir="$WORK/recipient" ssl_ca='' state
  mkdir -p "$WORK/tmp" "$WORK/files"
  mysqld --no-defaults --datadir="$recipient_dir" --initialize-insecure --innodb-buffer-pool-size=32M --innodb-redo-log-capacity=8M \
    >"$WORK/initialize.log" 2>&1 || { cat "$WORK/initialize.log" >&2; die "mysqld --initialize-insecure failed"; }
  start_temp_mysqld "$socket" "$WORK/recipient.log" --no-defaults --datadir="$recipient_dir" --tmpdir="$WORK/tmp" --secure-file-priv="$WORK/files" \
    --plugin-load-add=mysql_clone.so --innodb-buffer-pool-size=32M --skip-log-bin
  # With a tls choice the donor must present a certificate of the cluster's CA (the plugin checks the CA).
  tls_verified && ssl_ca="SET GLOBAL clone_ssl_ca = $(sql_string "$TLS_DIR/ca.crt");"
  password=$(secret backup-password) || exit 1
  log "CLONE INSTANCE FROM $DONOR"
  recipient_sql <<SQL || die "the clone from $DONOR failed (the error above is the recipient's)"
$ssl_ca
SET GLOBAL clone_max_concurrency = $((CLONE_MAX_CONCURRENCY));
SET GLOBAL clone_valid_donor_list = $(sql_string "$DONOR:$MYSQL_PORT");
CLONE INSTANCE FROM $(sql_string "$BACKUP_USER")@$(sql_string "$DONOR"):$MYSQL_PORT IDENTIFIED BY $(sql_string "$password")
  DATA DIRECTORY = $(sql_string "$CLONE_DIR") REQUIRE SSL;
SQL
  state=$(recipient_sql <<<"SELECT CONCAT_WS('|', STATE, SOURCE) FROM performance_schema.clone_status;") \
    || die "could not read performance_schema.clone_status on the recipient"
  stop_temp_mysqld
  IFS='|' read -r state CLONE_SOURCE <<<"$state"
  [ "$state" = Completed ] || die "the clone from $DONOR did not complete: clone_status says '$state'"
  rm -rf "$recipient_dir"
}

# Starts mysqld once on the clone (no network, no grant checks, no binary log, no replication):
# the start finishes the clone (InnoDB recovery of the copied redo) and proves that it starts; then
# reads what it holds: CLONE_GTIDS (@@gtid_executed, one line) and, from clone_status, the donor's
# binary log position (CLONE_BINLOG_FILE, CLONE_BINLOG_POSITION). On the recipient, clone_status has
# neither GTID_EXECUTED nor a binary log position after a clone into a DATA DIRECTORY: they are
# filled in by this first start.
finish_clone() {
  local row others
  start_temp_mysqld "$socket" "$WORK/clone-start.log" --no-defaults --datadir="$CLONE_DIR" --tmpdir="$WORK/tmp" --secure-file-priv="$WORK/files" \
    --plugin-load-add=mysql_clone.so --innodb-buffer-pool-size=32M --skip-log-bin --skip-grant-tables --gtid-mode=ON --enforce-gtid-consistency=ON
  # CLONE copies the rows of InnoDB tables only (MyISAM, CSV, ... come out empty), while their
  # transactions are in gtid_executed: such a backup would claim rows it lacks.
  others=$(recipient_sql <<<"SELECT GROUP_CONCAT(CONCAT(TABLE_SCHEMA, '.', TABLE_NAME, ' (', ENGINE, ')') SEPARATOR ', ') FROM information_schema.TABLES
  WHERE ENGINE IS NOT NULL AND ENGINE <> 'InnoDB' AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys');") \
    || die "could not list the clone's tables"
  [ "$others" = NULL ] || [ -z "$others" ] \
    || die "these tables are not InnoDB, and CLONE copies none of their rows: $others; convert them (ALTER TABLE ... ENGINE=InnoDB) so that a backup holds them"
  # The donor's replication channel holds the replication user's password: not into the bucket.
  recipient_sql <<<"RESET REPLICA ALL;" || die "could not remove the donor's replication settings from the clone"
  row=$(recipient_sql <<<"SELECT CONCAT_WS('|', $GTID_EXECUTED, IFNULL((SELECT CONCAT_WS('|', BINLOG_FILE, BINLOG_POSITION) FROM performance_schema.clone_status), '|'));") \
    || die "could not read gtid_executed of the clone"
  # A replica chosen because it held what the primary had: its copy holds it too.
  if [ "$DONOR_ROLE" = replica ] && [ -n "${PRIMARY_GTIDS:-}" ]; then
    [ "$(recipient_sql <<<"SELECT GTID_SUBSET($(sql_string "$PRIMARY_GTIDS"), @@GLOBAL.gtid_executed);")" = 1 ] \
      || die "the clone of $DONOR lacks transactions the primary had before the backup started: not a backup of the cluster"
  fi
  stop_temp_mysqld
  IFS='|' read -r CLONE_GTIDS CLONE_BINLOG_FILE CLONE_BINLOG_POSITION <<<"$row"
  [ -n "$CLONE_GTIDS" ] || die "the clone of $DONOR has an empty gtid_executed"
  rm -rf "$WORK/tmp" "$WORK/files"
}

# --- the upload ---------------------------------------------------------------------------------

# upload_parts KEY: reads the stream on stdin PART_BYTES at a time into $WORK/part and uploads each
# as the next part; writes the stream's size to $WORK/size. (head -c reads no byte beyond its count.)
upload_parts() {
  local key=$1 part="$WORK/part" n=0 size=0 bytes
  while :; do
    head -c "$PART_BYTES" >"$part" || return 1
    bytes=$(stat -c %s "$part")
    [ "$bytes" -gt 0 ] || break
    n=$((n + 1))
    [ "$n" -le 10000 ] || { log "the backup is larger than S3's 10000 parts of S3_PART_SIZE=$S3_PART_SIZE: raise S3_PART_SIZE"; return 1; }
    s3_upload_part "$key" "$n" "$part" || return 1
    size=$((size + bytes))
    [ "$bytes" -eq "$PART_BYTES" ] || break
  done
  rm -f "$part"
  [ "$n" -gt 0 ] || { log "the tar stream of the clone was empty"; return 1; }
  printf '%d %d\n' "$size" "$n" >"$WORK/size"
}

# Streams tar | gzip -1 of the clone into the open multipart upload of KEY and completes it. Sets
# SIZE, SHA256 and PARTS; the stream's SHA-256 is computed on the way (tee into a fifo).
upload_clone() {
  local key=$1 fifo="$WORK/sha256.fifo" sum_pid
  : >"$WORK/parts.xml"
  mkfifo "$fifo"
  sha256sum <"$fifo" >"$WORK/sha256" &
  sum_pid=$!
  if ! tar -C "$CLONE_DIR" -cf - . | gzip -1 | tee "$fifo" | upload_parts "$key"; then
    kill "$sum_pid" 2>/dev/null || true
    wait "$sum_pid" || true
    die "the upload of $key failed"
  fi
  wait "$sum_pid" || die "sha256sum of the stream failed"
  read -r SIZE PARTS <"$WORK/size"
  read -r SHA256 _ <"$WORK/sha256"
  s3_complete_upload "$key" || die "the upload of $key could not be completed"
}

# backup.meta: key=value lines (the image has no jq; a normalised GTID set holds no "=" or newline).
write_meta() {
  cat <<META
id=$BACKUP_ID
format=clone-tar-gzip-v1
gtid_executed=$CLONE_GTIDS
donor_host=$CLONE_HOST
donor_role=$DONOR_ROLE
donor_uuid=$DONOR_UUID
binlog_file=$CLONE_BINLOG_FILE
binlog_position=$CLONE_BINLOG_POSITION
mysql_version=$DONOR_VERSION
started_at=$STARTED_AT
finished_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
size=$SIZE
sha256=$SHA256
META
}

# --- main ---------------------------------------------------------------------------------------

# On any exit: the recipient stopped, an open upload aborted, the scratch data removed.
cleanup() {
  local rc=$?
  stop_temp_mysqld
  [ -z "$UPLOAD_ID" ] || s3_abort_upload "$DATA_KEY"
  rm -rf "$WORK"
  exit "$rc"
}

s3_check_tools tar gzip sha256sum tee head stat mkfifo
check_settings
started=$(date -u +%s)
STARTED_AT=$(date -u -d "@$started" +%Y-%m-%dT%H:%M:%SZ)
BACKUP_ID="$(date -u -d "@$started" +%Y%m%dT%H%M%SZ)-$POD_UID"
BACKUP_DIR="${S3_PREFIX:+$S3_PREFIX/}$MYSQL_NAMESPACE/$MYSQL_SET_NAME/backups/$BACKUP_ID"
DATA_KEY="$BACKUP_DIR/data.tar.gz"
trap cleanup EXIT
trap 'exit 143' TERM INT
# A previous attempt in the same pod (a restarted container) may have left its scratch data.
if [ ! -d "$BACKUP_SCRATCH" ] || [ ! -w "$BACKUP_SCRATCH" ]; then
  die "the scratch volume $BACKUP_SCRATCH is not a writable directory"
fi
rm -rf "$WORK"
# (Only this user may reach the sockets of the temporary servers; the clone's runs without grant checks.)
mkdir -m 0700 "$WORK"
log "backup $BACKUP_ID of $MYSQL_NAMESPACE/$MYSQL_SET_NAME to $S3_ENDPOINT, bucket $S3_BUCKET, key $DATA_KEY"

choose_donor
s3_create_upload "$DATA_KEY" || die "cannot start the upload to $S3_ENDPOINT (bucket $S3_BUCKET); nothing was cloned"
clone_started=$SECONDS
clone_donor
CLONE_HOST=${CLONE_SOURCE%:*}
[ "$CLONE_HOST" = "$DONOR" ] || log "clone_status names the donor $CLONE_SOURCE, not $DONOR:$MYSQL_PORT"
log "cloned $DONOR in $((SECONDS - clone_started))s ($(du -sk "$CLONE_DIR" | cut -f1) KiB)"
finish_started=$SECONDS
finish_clone
log "started the clone once in $((SECONDS - finish_started))s: gtid_executed $CLONE_GTIDS, donor binlog $CLONE_BINLOG_FILE:$CLONE_BINLOG_POSITION"
upload_started=$SECONDS
upload_clone "$DATA_KEY"
rm -rf "$CLONE_DIR"
log "uploaded $DATA_KEY in $((SECONDS - upload_started))s: $SIZE bytes in $PARTS parts"
write_meta >"$WORK/backup.meta"
s3_put "$BACKUP_DIR/backup.meta" "$WORK/backup.meta" \
  || die "the data of backup $BACKUP_ID is uploaded, but its backup.meta could not be written: without it $DATA_KEY is not a backup"
log "BACKUP $BACKUP_ID: $SIZE bytes sha256 $SHA256 from $DONOR, gtid_executed $CLONE_GTIDS"
