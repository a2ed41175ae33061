#!/usr/bin/env bash
# The binary log archiver of ReplicatedMySql (Deployment <name>-binlog-archiver, with backup.binlogArchive;
# docs/backup.md: Point-in-time recovery). It streams the binary log of the member that takes writes
# (through the write Service, as the backup account) with
#   mysqlbinlog --read-from-remote-source=BINLOG-DUMP-GTIDS --exclude-gtids=<archived> --raw --stop-never
# into a spool, and uploads each file once it is closed (the primary's agent rotates it every
# BINLOG_FLUSH_INTERVAL seconds) to <prefix>/<namespace>/<name>/binlog/:
#   <seq:012d>-<pod uid>.binlog.gz and then <seq:012d>-<pod uid>.meta (the commit marker: kind=file,
#   the GTID set the file holds and what of it is new, commit times, size, sha256).
# What is archived is a GTID set, never a file name or position: it resumes after any restart or failover
# from that set alone (the server sends exactly what is not in it), and every check is set arithmetic
# done by mysqld's own functions.
#
# The continuity proof: before each stream, the transactions the source executed that are neither
# archived nor known lost must still be in its binary log (not in gtid_purged). Those that are not are
# a HOLE: recorded as a meta of kind=hole (kind=start when the archive is empty: what came before is the
# backups' part), logged, and the archiver turns not Ready until a full backup holds them. Transactions
# archived that the new source lacks (an asynchronous primary lost before its replicas had them) are
# recorded as kind=orphan: a restore never applies them past that point. A restore across a hole is
# refused (restore.sh).
#
# The last file of a stream that ended (killed, failover) is never uploaded: it may end inside a
# transaction. Its transactions are not in the archived set, so the next stream sends them again.
set -uo pipefail
umask 077
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"
# shellcheck source=s3.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/s3.sh"

: "${MYSQL_NAMESPACE:?MYSQL_NAMESPACE is not set}"
: "${MYSQL_SET_NAME:?MYSQL_SET_NAME is not set}"
: "${POD_UID:?POD_UID is not set}"
: "${BACKUP_USER:?BACKUP_USER is not set}"
: "${ARCHIVER_SERVER_ID:?ARCHIVER_SERVER_ID is not set}"  # the dump connection's server_id (no member's)
: "${PRIMARY_HOST:=$MYSQL_SET_NAME-primary.$MYSQL_NAMESPACE.svc.$CLUSTER_DOMAIN}"
: "${ARCHIVE_SPOOL:=/var/lib/mysql-archive}"    # an emptyDir: the files being received
: "${ARCHIVE_INTERVAL:=2}"                       # seconds between two looks at the spool and the source
: "${ARCHIVE_LAG_LIMIT:=300}"                    # not Ready while the archive lags more than this many seconds
: "${BACKUP_CHECK_INTERVAL:=300}"                # seconds between two looks for a backup that closes open holes
: "${ARCHIVER_STATUS:=/tmp/archiver.status}"     # the verdict the readiness probe reads
# shellcheck disable=SC2034 # read by lib.sh peer_query
PEER_USER=$BACKUP_USER PEER_PASSWORD_FILE=backup-password

BACKUP_BASE="${S3_PREFIX:+$S3_PREFIX/}$MYSQL_NAMESPACE/$MYSQL_SET_NAME"
ARCHIVE="$BACKUP_BASE/binlog"
S3_WORK="$ARCHIVE_SPOOL/s3"
SEQ=0              # the last sequence number used in the archive
ARCHIVED=''        # the GTIDs of every uploaded file
LOST=''            # the GTIDs recorded as holes (or before the start), or pruned: never streamed
OPEN_HOLES=''      # holes no full backup holds yet
ORPHANS=''         # archived GTIDs recorded as missing on a later source
STREAM_PID='' STREAM_UUID='' STREAM_DIR='' SESSION=0
SAMPLES="$ARCHIVE_SPOOL/samples"   # "<epoch> <source gtid_executed>": what the archive must catch up with
backup_checked_at=-100000
answered_at=$SECONDS   # the last look at which the write Service answered

# --- GTID sets (the source's mysqld computes) -------------------------------------------------------

# gtid_eval SQL_EXPR: the value of a GTID expression, computed on the source; fails when it does not answer.
gtid_eval() {
  peer_query "$PRIMARY_HOST" "SELECT REPLACE($1, '\\n', '');" || return 1
  printf '%s' "$PEER_OUT"
}
union() { gtid_eval "GTID_SUBTRACT($(gtid_union "$(sql_string "$1")" "$(sql_string "$2")"), '')"; }
minus() { gtid_eval "GTID_SUBTRACT($(sql_string "$1"), $(sql_string "$2"))"; }
is_subset() { [ "$(gtid_eval "GTID_SUBSET($(sql_string "$1"), $(sql_string "$2"))")" = 1 ]; }
# grow NAME SET: the variable NAME becomes NAME ∪ SET; unchanged (status 1) when the source cannot compute it
# (an assignment from a failed substitution would empty it: everything archived forgotten).
grow() {
  local u
  u=$(union "${!1}" "$2") || return 1
  printf -v "$1" '%s' "$u"
}

# --- the archive's state ----------------------------------------------------------------------------

# Reads every meta of the archive in order (the archive is its own state: nothing else is trusted)
# and sets SEQ, ARCHIVED, LOST and ORPHANS. OPEN_HOLES: the holes no backup holds (checked later).
load_archive() {
  local key kind gtids
  s3_list "$ARCHIVE/" "$S3_WORK/keys" || die "cannot list s3://$S3_BUCKET/$ARCHIVE/: $S3_FAILURE"
  grep -E "^$ARCHIVE/[0-9]{12}-[A-Za-z0-9-]+\\.meta\$" "$S3_WORK/keys" | LC_ALL=C sort >"$S3_WORK/metas" || true
  while IFS= read -r key; do
    s3_get "$key" || die "cannot read s3://$S3_BUCKET/$key: $S3_FAILURE"
    kind=$(meta_of "$S3_BODY" kind) gtids=$(meta_of "$S3_BODY" gtids)
    SEQ=$((10#$(meta_of "$S3_BODY" seq)))
    case "$kind" in
      file) grow ARCHIVED "$gtids" ;;
      hole) grow LOST "$gtids" && grow OPEN_HOLES "$gtids" ;;
      start) grow LOST "$gtids" ;;
      orphan) grow ORPHANS "$gtids" ;;
      *) die "${key##*/} is of kind '$kind', which this archiver does not know" ;;
    esac || die "the source cannot compute GTID sets; the archiver restarts"
  done <"$S3_WORK/metas"
  # (read after the records: a pruning record is written before any record is deleted)
  read_pruned || die "cannot read the pruning records: $S3_FAILURE"
  if [ -n "$PRUNED_GTIDS" ]; then
    # What was pruned is never streamed again, and is no hole: every supported restore starts from a backup that holds it.
    grow LOST "$PRUNED_GTIDS" || die "the source cannot compute GTID sets; the archiver restarts"
    [ "$SEQ" -ge "$PRUNED_BELOW" ] || SEQ=$((PRUNED_BELOW - 1))
    log "archive pruned (the oldest backup kept: $PRUNED_BACKUP; records before seq $PRUNED_BELOW): its transactions $PRUNED_GTIDS count as archived"
  fi
  log "archive s3://$S3_BUCKET/$ARCHIVE/: $(wc -l <"$S3_WORK/metas") records up to seq $SEQ; archived ${ARCHIVED:-nothing}; lost or pruned ${LOST:-nothing}"
}

# record KIND GTIDS [key=value...]: a meta of an event (hole, start, orphan) with the next seq.
record() {
  local kind=$1 gtids=$2 seq=$((SEQ + 1)) key
  shift 2
  key="$ARCHIVE/$(printf '%012d' "$seq")-$POD_UID.meta"
  printf 'seq=%d\nkind=%s\ngtids=%s\nwriter=%s\nsource_host=%s\nsource_uuid=%s\nrecorded_at=%s\n' \
    "$seq" "$kind" "$gtids" "$POD_UID" "$PRIMARY_HOST" "$SOURCE_UUID" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$S3_WORK/event.meta"
  [ "$#" = 0 ] || printf '%s\n' "$@" >>"$S3_WORK/event.meta"
  s3_put "$key" "$S3_WORK/event.meta" || return 1
  SEQ=$seq
}

# --- the source -------------------------------------------------------------------------------------

# Asks the write Service's member: SOURCE_UUID, SOURCE_EXECUTED, SOURCE_PURGED, SOURCE_WRITABLE.
ask_source() {
  peer_query "$PRIMARY_HOST" "SELECT CONCAT_WS('|', @@server_uuid, @@GLOBAL.super_read_only = 0, $GTID_EXECUTED, REPLACE(@@GLOBAL.gtid_purged, '\\n', ''));" \
    || return 1
  IFS='|' read -r SOURCE_UUID SOURCE_WRITABLE SOURCE_EXECUTED SOURCE_PURGED <<<"$PEER_OUT"
}

# What the source can no longer send (purged) that is neither archived nor known lost: a hole (or,
# in an empty archive, the start); what is archived but the source never executed: orphans.
check_continuity() {
  local missing orphans known
  known=$(union "$ARCHIVED" "$LOST") || return 1
  missing=$(gtid_eval "GTID_SUBTRACT(GTID_SUBTRACT($(sql_string "$SOURCE_EXECUTED"), $(sql_string "$known")), GTID_SUBTRACT($(sql_string "$SOURCE_EXECUTED"), $(sql_string "$SOURCE_PURGED")))") \
    || return 1
  if [ -n "$missing" ] && [ -z "$known" ]; then
    record start "$missing" || return 1
    log "start: the archive begins after $missing (already purged on $PRIMARY_HOST): a restore needs a full backup that holds them"
    LOST=$missing
  elif [ -n "$missing" ]; then
    record hole "$missing" "reason=purged from the binary log of $PRIMARY_HOST ($SOURCE_UUID) before they were archived" || return 1
    grow LOST "$missing" && grow OPEN_HOLES "$missing" || return 1
    log "HOLE: transactions $missing are in no binary log the archiver can read and not in the archive (purged before upload; source $PRIMARY_HOST). Point-in-time restores across them are refused; take a full backup now (kubectl -n $MYSQL_NAMESPACE create job --from=cronjob/$MYSQL_SET_NAME-backup $MYSQL_SET_NAME-backup-now)"
  fi
  orphans=$(gtid_eval "GTID_SUBTRACT(GTID_SUBTRACT($(sql_string "$ARCHIVED"), $(sql_string "$SOURCE_EXECUTED")), $(sql_string "$ORPHANS"))") || return 1
  if [ -n "$orphans" ]; then
    record orphan "$orphans" || return 1
    grow ORPHANS "$orphans" || return 1
    log "ORPHANS: archived transactions $orphans are not on the new source $PRIMARY_HOST ($SOURCE_UUID): they were lost with the old primary; restores after this point leave them out"
  fi
}

# Starts mysqlbinlog on the source in a new spool directory, excluding everything archived or lost.
start_stream() {
  local exclude password options
  exclude=$(union "$ARCHIVED" "$LOST") || return 1
  password=$(secret backup-password) || exit 1
  mapfile -t options < <(peer_ssl_options)
  if [ -n "$STREAM_UUID" ] && [ "$SOURCE_UUID" != "$STREAM_UUID" ] && [ -s "$SAMPLES" ]; then
    # What the old source executed and the archive lacks is gone with it (an asynchronous failover loses it).
    log "a new source: $(wc -l <"$SAMPLES") samples of the old one not covered by the archive are dropped; the first: $(head -n 1 "$SAMPLES" | cut -d' ' -f2)"
    : >"$SAMPLES"
  fi
  SESSION=$((SESSION + 1))
  STREAM_DIR="$ARCHIVE_SPOOL/stream-$SESSION"
  mkdir -p "$STREAM_DIR"
  client_cnf "$BACKUP_USER" "$password" server-sql-mode >"$ARCHIVE_SPOOL/client.cnf"
  # (the empty log name: the source starts at the first file holding a transaction not excluded)
  mysqlbinlog --defaults-extra-file="$ARCHIVE_SPOOL/client.cnf" --host="$PRIMARY_HOST" --port="$MYSQL_PORT" "${options[@]}" \
    --read-from-remote-source=BINLOG-DUMP-GTIDS --exclude-gtids="$exclude" --raw --stop-never \
    --connection-server-id="$ARCHIVER_SERVER_ID" --result-file="$STREAM_DIR/" "" 2>"$STREAM_DIR.err" &
  STREAM_PID=$! STREAM_UUID=$SOURCE_UUID
  log "streaming from $PRIMARY_HOST ($SOURCE_UUID), excluding ${exclude:-nothing}"
}

# Ends the stream (if it runs), uploads its closed files and drops the last one (sent again). With
# `discard`, nothing of it is uploaded (a file that cannot be read: everything not archived is sent again).
end_stream() {
  local why=$1 discard=${2:-}
  if [ -n "$STREAM_PID" ]; then
    kill "$STREAM_PID" 2>/dev/null
    wait "$STREAM_PID" 2>/dev/null
    log "stream from $PRIMARY_HOST ($STREAM_UUID) ended: $why$(grep -v 'Using a password' "$STREAM_DIR.err" 2>/dev/null | head -n 2 | tr '\n' ' ' | sed 's/^/: /')"
  fi
  STREAM_PID=''
  [ -n "$STREAM_DIR" ] || return 0
  if [ -n "$discard" ] || upload_closed; then
    rm -rf "$STREAM_DIR" "$STREAM_DIR.err"
    STREAM_DIR=''
  fi
}

# --- uploads ----------------------------------------------------------------------------------------

# parse_file FILE: the file's transactions in $FILE.gtids (binlog_transactions); fails when mysqlbinlog
# cannot read it whole (checksums verified).
parse_file() {
  binlog_transactions "$1" >"$1.gtids" 2>"$1.parse-err"
}

# Uploads one closed file and its meta; ARCHIVED grows by its set.
archive_file() {
  local f=$1 gtids new first last count seq key size sha
  parse_file "$f" || { log "ERROR: $f cannot be read: $(head -n 2 "$f.parse-err" | tr '\n' ' ')"; return 2; }
  count=$(wc -l <"$f.gtids")
  if [ "$count" = 0 ]; then rm -f "$f" "$f.gtids" "$f.parse-err"; return 0; fi
  gtids=$(gtid_eval "GTID_SUBTRACT($(sql_string "$(gtid_set_of "$f.gtids")"), '')") && new=$(minus "$gtids" "$ARCHIVED") || return 1
  first=$(head -n 1 "$f.gtids" | cut -f2) last=$(tail -n 1 "$f.gtids" | cut -f2)
  gzip -c "$f" >"$f.gz" || return 1
  size=$(wc -c <"$f.gz") sha=$(sha256sum <"$f.gz") && sha=${sha%% *}
  seq=$((SEQ + 1))
  key="$ARCHIVE/$(printf '%012d' "$seq")-$POD_UID"
  s3_put "$key.binlog.gz" "$f.gz" || return 1
  printf 'seq=%d\nkind=file\ngtids=%s\nnew_gtids=%s\ntransactions=%d\nfirst_commit_us=%s\nlast_commit_us=%s\nsize=%d\nsha256=%s\nwriter=%s\nsource_host=%s\nsource_uuid=%s\nsource_file=%s\narchived_at=%s\n' \
    "$seq" "$gtids" "$new" "$count" "$first" "$last" "$size" "$sha" "$POD_UID" "$PRIMARY_HOST" "$STREAM_UUID" "${f##*/}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$f.meta"
  s3_put "$key.meta" "$f.meta" || return 1
  SEQ=$seq
  grow ARCHIVED "$gtids" || return 1
  [ "$new" = "$gtids" ] || log "file ${f##*/} repeats archived transactions (new: ${new:-none}); the restore applies each once"
  log "archived ${f##*/} as seq $seq: $count transactions $gtids"
  rm -f "$f" "$f.gz" "$f.gtids" "$f.meta" "$f.parse-err"
}

# Uploads the closed files of the stream's spool in order: every file but the newest while it
# streams; once the stream ended, the newest is dropped (it may end inside a transaction).
upload_closed() {
  local files f rc
  mapfile -t files < <(find "$STREAM_DIR" -maxdepth 1 -type f -name '*.[0-9]*' ! -name '*.*.*' | sort -V)
  [ "${#files[@]}" -gt 0 ] || return 0
  for f in "${files[@]:0:${#files[@]}-1}"; do
    archive_file "$f" || { rc=$?; return "$rc"; }
  done
  [ -n "$STREAM_PID" ] || rm -f "${files[-1]}"
}

# --- readiness: lag and holes ---------------------------------------------------------------------

# The archive's lag (LAG_SECONDS): the age of the oldest sample of the source's gtid_executed that is not
# archived yet (a sample is taken at every look). Samples of one source only grow, so the first one not
# covered ends the search.
measure_lag() {
  local now t set covered n=0
  now=$(date +%s)
  printf '%s %s\n' "$now" "$SOURCE_EXECUTED" >>"$SAMPLES"
  covered=$(union "$ARCHIVED" "$LOST") || return 0
  LAG_SECONDS=0
  while read -r t set; do
    if ! is_subset "$set" "$covered"; then
      LAG_SECONDS=$((now - t))
      break
    fi
    n=$((n + 1))
  done <"$SAMPLES"
  tail -n +$((n + 1)) "$SAMPLES" >"$SAMPLES.tmp" && mv "$SAMPLES.tmp" "$SAMPLES"
}

# Every BACKUP_CHECK_INTERVAL seconds: open holes that the newest full backup holds are closed. (In a
# subshell: the backup-reading functions exit on an S3 failure, which must not stop the archiver.)
close_holes() {
  local backup
  [ -n "$OPEN_HOLES" ] && [ $((SECONDS - backup_checked_at)) -ge "$BACKUP_CHECK_INTERVAL" ] || return 0
  backup_checked_at=$SECONDS
  if ! backup=$(find_backup "" && { [ -z "$BACKUP_ID" ] || { read_meta && printf '%s\t%s' "$BACKUP_ID" "$META_GTIDS"; }; }); then
    log "cannot read the newest backup to see whether it closes the holes (retried in ${BACKUP_CHECK_INTERVAL}s)"
    return 0
  fi
  if [ -n "$backup" ] && is_subset "$OPEN_HOLES" "${backup#*$'\t'}"; then
    log "backup ${backup%%$'\t'*} holds the transactions of every hole ($OPEN_HOLES): restores from it on are point-in-time again"
    OPEN_HOLES=''
  fi
}

status() {
  local verdict silent=$((SECONDS - answered_at))
  if [ -n "$OPEN_HOLES" ]; then verdict="not-ready hole: $OPEN_HOLES is in no binary log and no backup"
  elif [ "$silent" -gt "$ARCHIVE_LAG_LIMIT" ]; then verdict="not-ready the write Service has not answered for ${silent}s: $1"
  elif [ -z "$STREAM_PID" ]; then verdict="not-ready not streaming: $1"
  elif [ "$LAG_SECONDS" -gt "$ARCHIVE_LAG_LIMIT" ]; then verdict="not-ready the archive lags ${LAG_SECONDS}s"
  else verdict="ready lag ${LAG_SECONDS}s seq $SEQ"
  fi
  printf '%s\n' "$verdict" >"$ARCHIVER_STATUS.tmp" && mv "$ARCHIVER_STATUS.tmp" "$ARCHIVER_STATUS"
}

# --- the loop -----------------------------------------------------------------------------------

# One look: the source (a new one ends the stream), continuity before a new stream, the closed files.
look() {
  if ! ask_source; then
    status "the write Service $PRIMARY_HOST does not answer ($PEER_ERR)"
    return
  fi
  answered_at=$SECONDS
  if [ "$SOURCE_WRITABLE" != 1 ]; then
    # (between a failover's demotion and promotion, or before the primary opened)
    [ -z "$STREAM_PID" ] || [ "$SOURCE_UUID" = "$STREAM_UUID" ] || end_stream "the write Service now reaches $SOURCE_UUID"
    status "$PRIMARY_HOST ($SOURCE_UUID) does not take writes"
    return
  fi
  if [ -n "$STREAM_PID" ] && { [ "$SOURCE_UUID" != "$STREAM_UUID" ] || ! kill -0 "$STREAM_PID" 2>/dev/null; }; then
    end_stream "$([ "$SOURCE_UUID" != "$STREAM_UUID" ] && echo "the write Service now reaches $SOURCE_UUID" || echo 'mysqlbinlog exited')"
  fi
  if [ -z "$STREAM_PID" ]; then
    [ -z "$STREAM_DIR" ] || end_stream 'retrying the upload of its files' || { status 'uploads fail'; return; }
    if ! check_continuity || ! start_stream; then
      status 'cannot check continuity'
      return
    fi
  fi
  local rc=0
  upload_closed || rc=$?
  [ "$rc" != 2 ] || end_stream 'a received file cannot be read: its transactions are streamed again' discard
  measure_lag
  close_holes
  status "uploads fail"
}

started=$SECONDS
trap 'end_stream "the archiver stops" >/dev/null 2>&1; exit 0' TERM INT
s3_check_settings
s3_check_tools mysqlbinlog gzip sha256sum awk
mkdir -p "$ARCHIVE_SPOOL" "$S3_WORK"
# A previous container of this pod may have left a spool: its files are not trusted (sent again).
find "$ARCHIVE_SPOOL" -mindepth 1 -maxdepth 1 -name 'stream-*' -exec rm -rf {} +
: >"$SAMPLES"
log "binlog archiver $POD_UID for $MYSQL_NAMESPACE/$MYSQL_SET_NAME: $PRIMARY_HOST to s3://$S3_BUCKET/$ARCHIVE/ at $S3_ENDPOINT"
LAG_SECONDS=0
until ask_source; do
  status "waiting for $PRIMARY_HOST ($PEER_ERR)"
  sleep "$ARCHIVE_INTERVAL"
done
load_archive
log "ready to stream after $((SECONDS - started))s"
while :; do
  look
  sleep "$ARCHIVE_INTERVAL" &
  wait $!
done
