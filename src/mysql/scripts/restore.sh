# shellcheck shell=bash
# The restore of ReplicatedMySql's `restore` (docs/backup.md: Restore), sourced by bootstrap.sh after
# lib.sh and s3.sh, never executed. It runs only where bootstrap.sh would initialize a new cluster's
# first member, after the same checks that no other member holds data: the others clone this one.
#
#   1. picks the backup (RESTORE_BACKUP_ID, or the newest with a backup.meta) under
#      <prefix>/<RESTORE_NAMESPACE>/<RESTORE_NAME>/backups/, reads its backup.meta;
#   2. streams data.tar.gz through sha256sum into tar on the scratch directory of the volume: its size
#      and SHA-256 must be the meta's;
#   3. on a temporary mysqld without grant checks or network: the accounts this cluster's Secret names
#      get its passwords (not the source cluster's), the replication settings and persisted variables
#      that came with the copy are removed, none of it in the binary log; gtid_executed must be the
#      meta's set, exactly;
#   4. restarted with the members' configuration: the accounts and database the manifest asks for that
#      the backup lacks are created (lib.sh apply_accounts);
#   5. with a point in time (RESTORE_TARGET latest, time, gtid or before-gtid): the archived binary log
#      (archiver.sh) after the backup is replayed up to it (replay_archive below), and proven applied;
#   6. the atomic rename into place, a RESTORED line in the log and under key `restored` of ConfigMap
#      <name>-members.
# Any failure leaves no data directory: the pod restarts and the restore starts over.

: "${RESTORE_NAMESPACE:?RESTORE_NAMESPACE is not set}"
: "${RESTORE_NAME:?RESTORE_NAME is not set}"
: "${RESTORE_BACKUP_ID:=}"            # '' restores the newest backup
: "${RESTORE_TARGET:=backup}"          # backup (a full backup only) | latest | time | gtid | before-gtid
: "${RESTORE_TARGET_VALUE:=}"          # the time (RFC 3339, UTC) or the GTID
: "${RESTORE_ALLOW_HOLES:=}"           # 1: a hole in the archive stops the replay instead of failing it
: "${socket:?bootstrap.sh sets the temporary server socket}"

# restore_accounts_sql: ALTER USER of every account this cluster's Secret has a password for, with it.
restore_accounts_sql() {
  local user file password
  for user in "root@localhost:root-password" "$REPLICATION_USER@%:replication-password" "${APP_USER:+$APP_USER@%:password}" \
    "${EXPORTER_USER:+$EXPORTER_USER@%:exporter-password}" "${BACKUP_USER:+$BACKUP_USER@%:backup-password}"; do
    [ -n "$user" ] || continue
    file=${user##*:} user=${user%:*}
    password=$(secret "$file") || exit 1
    echo "ALTER USER IF EXISTS '${user%@*}'@'${user#*@}' IDENTIFIED BY $(sql_string "$password");"
  done
}

# The copy's own settings made this cluster's, on a server that checks no grants (so that root's old
# password is not needed): none of it is written to the binary log, so gtid_executed stays the backup's.
reset_restored() {
  local dir=$1 equal accounts root sql
  # (its server_uuid is its own: the copy's auto.cnf, written when backup.sh started it, is not)
  rm -f "$dir/auto.cnf"
  accounts=$(restore_accounts_sql) || die "could not read this cluster's passwords from the credentials Secret"
  start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/restore-accounts.log" --defaults-file="$MYSQLD_CNF" --datadir="$dir" \
    --skip-grant-tables --read-only=OFF --super-read-only=OFF
  # (FLUSH PRIVILEGES, itself written to the binary log unless sql_log_bin is off, loads the grant tables,
  # which ALTER USER needs; this session keeps every privilege)
  sql="SET SESSION sql_log_bin = 0;
FLUSH PRIVILEGES;
SELECT COUNT(*) FROM mysql.user WHERE user = 'root' AND host = 'localhost';
$accounts
RESET REPLICA ALL;
RESET PERSIST;"
  root=$(mysql --defaults-file=<(client_cnf root '') --socket="$socket" --batch --skip-column-names <<<"$sql") \
    || die "could not give the restored accounts this cluster's passwords"
  [ "$root" = 1 ] || die "the backup $BACKUP_ID has no account root@localhost, which the members sign in as: it is not a backup of a ReplicatedMySql; nothing was changed"
  # (from here on grants are checked: root signs in with this cluster's password)
  RESTORED_GTIDS=$(local_sql "$socket" <<<"SELECT $GTID_EXECUTED;") || die "could not read gtid_executed of the restored data"
  equal=$(local_sql "$socket" \
    <<<"SELECT GTID_SUBSET($(sql_string "$META_GTIDS"), @@GLOBAL.gtid_executed) AND GTID_SUBSET(@@GLOBAL.gtid_executed, $(sql_string "$META_GTIDS"));") \
    || die "could not compare gtid_executed of the restored data with backup.meta"
  [ "$equal" = 1 ] || die "gtid_executed of the restored data is '$RESTORED_GTIDS', backup.meta of $BACKUP_ID says '$META_GTIDS': the backup is not what it claims; nothing was changed"
  stop_temp_mysqld
}

# Writes the RESTORED line under key `restored` of the evidence ConfigMap (it holds nothing but GTIDs,
# ids, names and digits: no JSON escaping needed, checked).
record_restore() {
  local safe='^[A-Za-z0-9 .,:;/_@()+-]*$'
  [[ $1 =~ $safe ]] || { log "$POD_NAME: the restore line is not recorded in ConfigMap $EVIDENCE_CONFIGMAP (unexpected characters)"; return 0; }
  if ! api_request PATCH "$(api_path configmaps "$EVIDENCE_CONFIGMAP")" "{\"data\":{\"restored\":\"$1\"}}" || [ "$API_STATUS" != 200 ]; then
    log "$POD_NAME: WARNING: could not record the restore in ConfigMap $EVIDENCE_CONFIGMAP (the log above has it)"
  fi
}

# --- choosing the backup ----------------------------------------------------------------------------

target_text() {
  case "$RESTORE_TARGET" in
    backup) echo "${RESTORE_BACKUP_ID:-the newest backup} (no binary logs)" ;;
    latest) echo 'the newest backup and every archived transaction after it' ;;
    time) echo "the archive up to $RESTORE_TARGET_VALUE" ;;
    gtid) echo "the archive up to $RESTORE_TARGET_VALUE (included)" ;;
    before-gtid) echo "the archive up to just before $RESTORE_TARGET_VALUE" ;;
    *) die "RESTORE_TARGET must be backup, latest, time, gtid or before-gtid (is '$RESTORE_TARGET')" ;;
  esac
}

# gtid_in_set GTID SET: whether a GTID ("uuid[:tag]:n") is in a GTID set in text (no mysqld at hand yet).
gtid_in_set() {
  awk -v g="$1" -v s="$2" 'BEGIN {
    k = split(g, p, ":"); n = p[k] + 0; id = substr(g, 1, length(g) - length(p[k]) - 1)
    m = split(s, parts, ",")
    for (i = 1; i <= m; i++) {
      c = split(parts[i], q, ":"); cur = q[1]
      for (j = 2; j <= c; j++) {
        if (q[j] !~ /^[0-9]/) { cur = q[1] ":" q[j]; continue }
        r = split(q[j], b, "-"); lo = b[1] + 0; hi = (r > 1 ? b[2] : b[1]) + 0
        if (cur == id && n >= lo && n <= hi) { found = 1; exit }
      }
    }
  } END { exit !found }'
}

# Sets BACKUP_ID (and reads its meta) for the target: the given one or the newest (backup, latest); the
# newest that finished before the time; the newest that does not hold the GTID. With a point in time, a
# backup that holds transactions the archive records as orphaned (a history discarded at a failover) is
# passed over: replaying the archive on it would merge two histories. Fails saying why.
choose_backup() {
  local id target_us done_us orphans=''
  find_backup "$RESTORE_BACKUP_ID"
  [ -n "$BACKUP_ID" ] || die "there is no backup of $RESTORE_NAMESPACE/$RESTORE_NAME under s3://$S3_BUCKET/$BACKUP_BASE/backups/ (no <id>/backup.meta): check restore's storage, sourceNamespace and sourceName; nothing was changed, the pod restarts and retries"
  [ "$RESTORE_TARGET" != backup ] || { read_meta; return; }
  orphans=$(archive_orphans)
  [ "$RESTORE_TARGET" != time ] || target_us=$(to_us "$RESTORE_TARGET_VALUE")
  while IFS= read -r id; do
    BACKUP_ID=$id
    read_meta
    if [ -n "$orphans" ] && gtid_sets_overlap "$META_GTIDS" "$orphans"; then
      log "$POD_NAME: backup $id holds transactions the archive records as orphaned ($orphans): passed over"
      continue
    fi
    case "$RESTORE_TARGET" in
      latest) return 0 ;;
      time)
        done_us=$(to_us "$(meta_value finished_at)")
        [ "$done_us" -gt "$target_us" ] || return 0
        ;;
      *) gtid_in_set "$RESTORE_TARGET_VALUE" "$META_GTIDS" || return 0 ;;
    esac
  done <"$S3_WORK/ids"
  die "no backup of $RESTORE_NAMESPACE/$RESTORE_NAME fits $(target_text): a point in time is reached from a backup taken before it, on the history the archive continues; nothing was changed"
}

# to_us RFC3339: microseconds since the epoch (fractions of a second kept).
to_us() {
  local t=$1 frac=000000
  [[ $t =~ ^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(\.([0-9]{1,6}))?Z$ ]] || die "'$t' is not a UTC time in RFC 3339 (2026-12-07T10:00:00Z)"
  [ -z "${BASH_REMATCH[3]}" ] || frac=$(printf '%-6s' "${BASH_REMATCH[3]}" | tr ' ' 0)
  local seconds
  seconds=$(date -u -d "${BASH_REMATCH[1]}Z" +%s 2>/dev/null) || die "'$t' is not a time that exists"
  printf '%d%s\n' "$seconds" "$frac"
}

# --- the archive ------------------------------------------------------------------------------------



# gtid_sets_overlap A B: whether two GTID sets in text share a transaction.
gtid_sets_overlap() {
  awk -v a="$1" -v b="$2" '
    function load(s, pre,   m, i, c, q, j, cur, r, x) {
      m = split(s, parts, ",")
      for (i = 1; i <= m; i++) {
        c = split(parts[i], q, ":"); cur = q[1]
        for (j = 2; j <= c; j++) {
          if (q[j] !~ /^[0-9]/) { cur = q[1] ":" q[j]; continue }
          r = split(q[j], x, "-"); n[pre]++; id[pre, n[pre]] = cur; lo[pre, n[pre]] = x[1] + 0; hi[pre, n[pre]] = (r > 1 ? x[2] : x[1]) + 0
        }
      }
    }
    BEGIN {
      load(a, "a"); load(b, "b")
      for (i = 1; i <= n["a"]; i++) for (j = 1; j <= n["b"]; j++)
        if (id["a", i] == id["b", j] && lo["a", i] <= hi["b", j] && lo["b", j] <= hi["a", i]) exit 0
      exit 1
    }'
}

# fetch_binlog META: downloads the file of a record, checks its size and SHA-256 against the record, and
# unpacks it; prints its path.
fetch_binlog() {
  local meta=$1 key out sha size
  key="$BACKUP_BASE/binlog/${meta##*/}" key="${key%.meta}.binlog.gz" out="$S3_WORK/archive/$(basename "$meta" .meta).binlog"
  s3_get "$key" || die "cannot read s3://$S3_BUCKET/$key: $S3_FAILURE"
  sha=$(sha256sum <"$S3_BODY") && sha=${sha%% *} size=$(wc -c <"$S3_BODY")
  if [ "$sha" != "$(meta_of "$meta" sha256)" ] || [ "$size" != "$(meta_of "$meta" size)" ]; then
    die "s3://$S3_BUCKET/$key is damaged: sha256 $sha ($size bytes), its record says $(meta_of "$meta" sha256) ($(meta_of "$meta" size) bytes); nothing was changed"
  fi
  gzip -dc "$S3_BODY" >"$out" || die "s3://$S3_BUCKET/$key matches its record but cannot be unpacked"
  printf '%s\n' "$out"
}

# gtid_count SET: how many transactions a GTID set in text holds.
gtid_count() {
  awk -v s="$1" 'BEGIN { m = split(s, parts, ","); for (i = 1; i <= m; i++) { c = split(parts[i], q, ":")
    for (j = 2; j <= c; j++) if (q[j] ~ /^[0-9]/) { r = split(q[j], b, "-"); n += (r > 1 ? b[2] - b[1] + 1 : 1) } }; print n + 0 }'
}

# gtid SQL_EXPR: a GTID expression computed by the restored server (assign it: a failure then stops the restore).
gtid() { local_sql "$socket" <<<"SELECT REPLACE($1, '\n', '');"; }

# Walks the archive after the backup up to the target: the files with transactions the backup lacks are
# fetched and their transactions listed in order ($S3_WORK/timeline, "<gtid><TAB><µs><TAB><file>", and
# "orphan<TAB><set>" where the archiver found archived transactions a new primary lacks); a hole or an
# archive start the backup does not hold stops it (refused, unless RESTORE_ALLOW_HOLES). The records from
# the backup's start on (less 10 minutes of clock skew; older ones hold only what the backup holds) must
# have every sequence number: a missing one was deleted, and what it held is unknown. Sets FILES_USED and
# STOPPED_AT (why the walk stopped early, '' when it did not).
walk_archive() {
  local meta kind gtids file beyond seq expected='' since at at_us
  since=$(to_us "$(meta_value started_at)")
  since=$((since / 1000000 - 600))
  : >"$S3_WORK/timeline"
  FILES_USED=() STOPPED_AT=''
  for meta in "$S3_WORK"/archive/*.meta; do
    [ -e "$meta" ] || break
    kind=$(meta_of "$meta" kind) gtids=$(meta_of "$meta" gtids) seq=$((10#$(meta_of "$meta" seq)))
    at=$(meta_of "$meta" archived_at)
    [ -n "$at" ] || at=$(meta_of "$meta" recorded_at)
    at_us=$(to_us "$at")
    if [ -n "$expected" ] || [ $((at_us / 1000000)) -ge "$since" ]; then
      [ -z "$expected" ] || [ "$seq" -le "$expected" ] || die "the archive s3://$S3_BUCKET/$BACKUP_BASE/binlog/ has no record $expected (the next is $seq): objects were deleted, and what they held is unknown; restore to a point before it, or from a backup taken after it; nothing was changed"
      expected=$((seq + 1))
    fi
    # (an assignment, so that a failed query stops the restore: a file taken as covered would be lost)
    beyond=$(gtid "GTID_SUBTRACT($(sql_string "$gtids"), $(sql_string "$META_GTIDS"))")
    [ -n "$beyond" ] || continue
    case "$kind" in
      file)
        file=$(fetch_binlog "$meta")
        FILES_USED+=("$file")
        binlog_transactions "$file" | sed "s|\$|\t${#FILES_USED[@]}|" >>"$S3_WORK/timeline" || die "the archived file of ${meta##*/} cannot be read (checksums)"
        ;;
      hole | start)
        STOPPED_AT="$kind $beyond (record ${meta##*/}, $at)"
        return 0
        ;;
      # (in the timeline: orphans count only when the target lies after the failover that orphaned them)
      orphan) printf 'orphan\t%s\n' "$beyond" >>"$S3_WORK/timeline" ;;
      *) die "${meta##*/} in the archive is of kind '$kind', which this script does not know; nothing was changed" ;;
    esac
  done
}

# Cuts the timeline at the target: NEEDED (the GTIDs to apply: before the cut, not in the backup, and not
# orphaned by a failover the cut lies after), LAST_US (the commit time of the last one), REACHED (whether
# the target was seen).
cut_timeline() {
  local target_us='' g ts set='' orphans='' pending=''
  [ "$RESTORE_TARGET" != time ] || target_us=$(to_us "$RESTORE_TARGET_VALUE")
  REACHED='' LAST_US=''
  : >"$S3_WORK/needed"
  while IFS=$'\t' read -r g ts _; do
    if [ "$g" = orphan ]; then pending+=${pending:+,}$ts; continue; fi
    [[ $ts =~ ^[0-9]{16,}$ ]] || [ "$RESTORE_TARGET" != time ] || die "transaction $g has no commit time in the archive (a time target cannot be placed); restore to a GTID instead; nothing was changed"
    case "$RESTORE_TARGET" in
      time) [ "$ts" -le "$target_us" ] || { REACHED=1; break; } ;;
      before-gtid) [ "$g" != "$RESTORE_TARGET_VALUE" ] || { REACHED=1; break; } ;;
    esac
    # A transaction of the new primary is applied: the failover lies before the point.
    orphans+=${pending:+${orphans:+,}$pending} pending=''
    printf '%s\n' "$g" >>"$S3_WORK/needed"
    LAST_US=$ts
    if [ "$RESTORE_TARGET" = gtid ] && [ "$g" = "$RESTORE_TARGET_VALUE" ]; then REACHED=1; break; fi
  done <"$S3_WORK/timeline"
  [ ! -s "$S3_WORK/needed" ] || set=$(gtid_set_of "$S3_WORK/needed")
  NEEDED=$(gtid "GTID_SUBTRACT(GTID_SUBTRACT(GTID_SUBTRACT($(sql_string "$set"), ''), $(sql_string "$META_GTIDS")), $(sql_string "$orphans"))")
}

# The archive after the backup, replayed up to the target into the restored server, and proven applied:
# every needed GTID is there, and nothing but the backup's and the needed ones.
replay_archive() {
  local missing extra desc
  read_pruned || die "cannot read the archive's pruning records: $S3_FAILURE"
  if [ -n "$PRUNED_GTIDS" ]; then
    # (what a failover orphaned is no part of the history a later backup continues)
    missing=$(gtid "GTID_SUBTRACT(GTID_SUBTRACT($(sql_string "$PRUNED_GTIDS"), $(sql_string "$(archive_orphans)")), $(sql_string "$META_GTIDS"))")
    [ -z "$missing" ] || die "backup $BACKUP_ID is older than the oldest point the archive keeps: backup.retention deleted archived binary logs with transactions it lacks ($missing; the oldest backup kept: $PRUNED_BACKUP), so what followed backup $BACKUP_ID is gone. Restore to a point after backup $PRUNED_BACKUP finished, or backup $BACKUP_ID alone with toBackup('$BACKUP_ID'); nothing was changed"
  fi
  walk_archive
  cut_timeline
  # A hole after the point does not matter; one before it (or where the point is not seen before it) does.
  [ -z "$REACHED" ] || STOPPED_AT=''
  if [ -n "$STOPPED_AT" ] && [ "$RESTORE_ALLOW_HOLES" != 1 ]; then
    die "the archive has a $STOPPED_AT that backup $BACKUP_ID does not hold: those transactions are in no archived file, so no point after it can be restored. Restore to a point before it, from a backup taken after it, or set allowArchiveHoles to restore up to it and lose what follows; nothing was changed"
  fi
  if [ -z "$STOPPED_AT" ] && [ -z "$REACHED" ] && { [ "$RESTORE_TARGET" = gtid ] || [ "$RESTORE_TARGET" = before-gtid ]; }; then
    die "$RESTORE_TARGET_VALUE is in no archived file after backup $BACKUP_ID (the archive may not have reached it yet, or it is not a transaction of $RESTORE_NAMESPACE/$RESTORE_NAME); nothing was changed"
  fi
  if [ -n "$NEEDED" ]; then
    # One mysqlbinlog over every file in order: GTID_NEXT makes the server skip what it already has.
    mysqlbinlog --include-gtids="$NEEDED" "${FILES_USED[@]}" \
      | mysql --defaults-file=<(client_cnf root "$(secret root-password)" server-sql-mode) --socket="$socket" --binary-mode \
      || die "replaying the archived binary log failed (the error above); nothing was changed, the pod restarts and retries"
  fi
  RESTORED_GTIDS=$(gtid "@@GLOBAL.gtid_executed")
  missing=$(gtid "GTID_SUBTRACT($(sql_string "$NEEDED"), @@GLOBAL.gtid_executed)")
  extra=$(gtid "GTID_SUBTRACT(@@GLOBAL.gtid_executed, $(gtid_union "$(sql_string "$META_GTIDS")" "$(sql_string "$NEEDED")"))")
  [ -z "$missing" ] || die "after the replay, $missing are still missing: the archived files do not hold what their records say; nothing was changed"
  [ -z "$extra" ] || die "after the replay, the server holds $extra, which it was not to apply; nothing was changed"
  desc="$(gtid_count "$NEEDED") archived transactions replayed from ${#FILES_USED[@]} files (${NEEDED:-none})"
  [[ ! $LAST_US =~ ^[0-9]{7,}$ ]] || desc+=", the last committed at $(date -u -d "@${LAST_US:0:-6}" +%Y-%m-%dT%H:%M:%S).${LAST_US: -6}Z"
  if [ "$RESTORE_TARGET" = time ] && [ -z "$REACHED" ] && [ -z "$STOPPED_AT" ]; then
    desc+="; the archive ends before $RESTORE_TARGET_VALUE: restored up to its end (the archiver may lag)"
  fi
  [ -z "$STOPPED_AT" ] || desc+="; STOPPED at the $STOPPED_AT (allowArchiveHoles): nothing after it was applied"
  APPLIED=$desc
}

# The first member of a new cluster, from a backup instead of an empty directory.
restore_primary() {
  local dir="$BOOTSTRAP_TMP/data" started=$SECONDS line
  fresh_scratch
  S3_WORK="$BOOTSTRAP_TMP/s3"
  mkdir -m 0700 "$S3_WORK"
  s3_check_settings
  s3_check_tools tar gzip sha256sum tee
  BACKUP_BASE="${S3_PREFIX:+$S3_PREFIX/}$RESTORE_NAMESPACE/$RESTORE_NAME"
  log "$POD_NAME: restoring $(target_text) of $RESTORE_NAMESPACE/$RESTORE_NAME from s3://$S3_BUCKET/$BACKUP_BASE/ at $S3_ENDPOINT"
  [ "$RESTORE_TARGET" = backup ] || read_archive
  choose_backup
  fetch_backup "$dir"
  log "$POD_NAME: downloaded and extracted backup $BACKUP_ID in $((SECONDS - started))s: $GOT_SIZE bytes, sha256 as in backup.meta"
  reset_restored "$dir"
  start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/restore.log" --defaults-file="$MYSQLD_CNF" --datadir="$dir" --read-only=OFF --super-read-only=OFF
  APPLIED='no binary logs applied'
  [ "$RESTORE_TARGET" = backup ] || replay_archive
  apply_accounts "$socket"
  stop_temp_mysqld
  line="restored backup $BACKUP_ID of $RESTORE_NAMESPACE/$RESTORE_NAME (taken $(meta_value finished_at) from $(meta_value donor_host)): gtid_executed $RESTORED_GTIDS; $APPLIED"
  # The atomic step: from here on the pod has data.
  mv "$dir" "$DATA_DIR"
  rm -rf "$BOOTSTRAP_TMP"
  log "$POD_NAME: RESTORED: $line, in $((SECONDS - started))s; this member is the new cluster's first"
  record_restore "$line"
}
