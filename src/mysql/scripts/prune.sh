#!/usr/bin/env bash
# The retention of ReplicatedMySql's backups (the CronJob <name>-backup-prune, with backup.retention;
# docs/backup.md: Retention). It never connects to the members and holds no MySQL password. It deletes
# only what no supported restore point needs:
#
#   1. the backups kept: the newest KEEP_BACKUPS, and with KEEP_SECONDS every backup that finished within
#      the period plus the newest one that finished before it (so that the period's first second can still
#      be restored). The oldest of them is the oldest restore point, B_old. No backup: nothing is deleted.
#   2. the archive records deleted: in sequence order, those archived before B_old started (less
#      PRUNE_CLOCK_SKEW, as a restore reads them) whose transactions B_old holds; the first that is not
#      (or an orphan record, always kept, or the last record, which the archiver numbers on from) ends it.
#   3. <prefix>/<namespace>/<name>/pruned.meta is written before anything is deleted: B_old's GTID set and
#      the first sequence number kept. The archiver counts that set as archived (neither streamed again nor
#      a hole); a point-in-time restore refuses a backup that does not hold it. It never moves back: when
#      B_old is older than the last pruning point (more backups kept than before), the archive is left.
#   4. then the backups older than B_old (backup.meta first: from then on it is no backup), the records
#      (the meta first, then its file), and what was abandoned: a backup directory without backup.meta older
#      than B_old and than ABANDONED_AFTER seconds (a backup still running is never touched), and a file
#      without its meta below the first sequence number kept.
#
# The last line of the log is "PRUNED: ..." (what was kept and deleted); a failure exits non-zero, and
# the next run (idempotent) finishes the work.
set -euo pipefail
umask 077
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"
# shellcheck source=s3.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/s3.sh"

: "${MYSQL_NAMESPACE:?MYSQL_NAMESPACE is not set}"
: "${MYSQL_SET_NAME:?MYSQL_SET_NAME is not set}"
: "${POD_UID:?POD_UID is not set}"
: "${KEEP_BACKUPS:=0}"          # the newest this many backups are kept (0: by age alone)
: "${KEEP_SECONDS:=0}"          # every point of the last this many seconds stays restorable (0: by count alone)
: "${ABANDONED_AFTER:=90000}"   # seconds after which a backup without backup.meta is abandoned (the backup's timeout and more)
: "${PRUNE_CLOCK_SKEW:=600}"    # as restore.sh: the records archived this long before B_old started are kept

BACKUP_BASE="${S3_PREFIX:+$S3_PREFIX/}$MYSQL_NAMESPACE/$MYSQL_SET_NAME"
S3_WORK=''

# epoch_of RFC3339: seconds since the epoch.
epoch_of() {
  date -u -d "$1" +%s 2>/dev/null || die "'$1' is not a time"
}

# gtid_subset A B: whether every transaction of GTID set A (text, tags included) is in B. Each range of A
# is walked through B's ranges of the same server (and tag).
gtid_subset() {
  awk -v a="$1" -v b="$2" '
    function load(s, pre,   m, i, c, q, j, cur, r, x) {
      gsub(/[ \n]/, "", s); m = split(s, parts, ",")
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
      for (i = 1; i <= n["a"]; i++) {
        pos = lo["a", i]; moved = 1
        while (pos <= hi["a", i] && moved) {
          moved = 0
          for (j = 1; j <= n["b"]; j++) if (id["b", j] == id["a", i] && lo["b", j] <= pos && hi["b", j] >= pos) { pos = hi["b", j] + 1; moved = 1 }
        }
        if (pos <= hi["a", i]) exit 1
      }
      exit 0
    }'
}

# Chooses the backups kept (KEPT: how many) and B_old (OLD_ID, OLD_GTIDS, OLD_STARTED, OLD_FINISHED); the
# ids of the complete backups, newest first, are in $S3_WORK/ids and every key under backups/ in $S3_WORK/keys.
choose_kept() {
  local id n=0 finished cutoff=$((NOW - KEEP_SECONDS)) before_kept=''
  KEPT=0 OLD_ID=''
  find_backup ""
  while IFS= read -r id; do
    n=$((n + 1))
    BACKUP_ID=$id
    read_meta
    finished=$(epoch_of "$(meta_value finished_at)")
    if [ "$n" -gt "$KEEP_BACKUPS" ] && { [ "$KEEP_SECONDS" = 0 ] || { [ "$finished" -lt "$cutoff" ] && [ -n "$before_kept" ]; }; }; then break; fi
    [ "$finished" -ge "$cutoff" ] || before_kept=1
    KEPT=$n OLD_ID=$id OLD_GTIDS=$META_GTIDS OLD_FINISHED=$(meta_value finished_at)
    OLD_STARTED=$(epoch_of "$(meta_value started_at)")
  done <"$S3_WORK/ids"
}

# The archive's records to delete ($S3_WORK/records: their keys without .meta) and FIRST_KEPT, the lowest
# sequence number kept (0: the archive is empty).
choose_records() {
  local key last kind at seq
  : >"$S3_WORK/records"
  FIRST_KEPT=0
  s3_list "$BACKUP_BASE/binlog/" "$S3_WORK/archive.keys" || die "cannot list s3://$S3_BUCKET/$BACKUP_BASE/binlog/: $S3_FAILURE"
  grep -E '/[0-9]{12}-[A-Za-z0-9-]+\.meta$' "$S3_WORK/archive.keys" | LC_ALL=C sort >"$S3_WORK/archive.metas" || true
  last=$(tail -n 1 "$S3_WORK/archive.metas")
  while IFS= read -r key; do
    s3_get "$key" || die "cannot read s3://$S3_BUCKET/$key: $S3_FAILURE"
    kind=$(meta_of "$S3_BODY" kind) seq=$((10#$(meta_of "$S3_BODY" seq)))
    at=$(meta_of "$S3_BODY" archived_at)
    [ -n "$at" ] || at=$(meta_of "$S3_BODY" recorded_at)
    FIRST_KEPT=$seq
    [ "$key" != "$last" ] || break
    [ "$(epoch_of "$at")" -lt $((OLD_STARTED - PRUNE_CLOCK_SKEW)) ] || break
    case "$kind" in
      orphan) continue ;;
      file | hole | start)
        if ! gtid_subset "$(meta_of "$S3_BODY" gtids)" "$OLD_GTIDS"; then
          log "record ${key##*/} holds transactions backup $OLD_ID lacks: it and every later record are kept"
          break
        fi
        ;;
      *) die "${key##*/} in the archive is of kind '$kind', which this script does not know; nothing was deleted" ;;
    esac
    printf '%s\n' "${key%.meta}" >>"$S3_WORK/records"
  done <"$S3_WORK/archive.metas"
}

# Writes pruned.meta (B_old and FIRST_KEPT) unless the archive was pruned up to a later backup before:
# then no record is deleted (ARCHIVE_LEFT set).
record_pruning() {
  ARCHIVE_LEFT=''
  read_pruned || die "cannot read the pruning record: $S3_FAILURE"
  if [ -n "$PRUNED_GTIDS" ] && ! gtid_subset "$PRUNED_GTIDS" "$OLD_GTIDS"; then
    log "the archive was pruned up to backup $PRUNED_BACKUP, which is newer than the oldest backup kept now ($OLD_ID): the archive is left as it is"
    ARCHIVE_LEFT=1
    : >"$S3_WORK/records"
    return 0
  fi
  # (unchanged: nothing to write)
  if [ "$PRUNED_GTIDS" = "$OLD_GTIDS" ] && [ ! -s "$S3_WORK/records" ]; then return 0; fi
  printf 'gtids=%s\nbelow_seq=%d\nbackup=%s\npruned_at=%s\nwriter=%s\n' "$OLD_GTIDS" "$FIRST_KEPT" "$OLD_ID" "$(date -u -d "@$NOW" +%Y-%m-%dT%H:%M:%SZ)" "$POD_UID" >"$S3_WORK/pruned.meta"
  s3_put "$BACKUP_BASE/pruned.meta" "$S3_WORK/pruned.meta" || die "cannot write s3://$S3_BUCKET/$BACKUP_BASE/pruned.meta: $S3_FAILURE; nothing was deleted"
}

# delete KEY...: each key deleted in the order given; fails at the first that cannot be.
delete() {
  local key
  for key in "$@"; do
    s3_delete "$key" || die "cannot delete s3://$S3_BUCKET/$key: $S3_FAILURE (the next run goes on)"
    DELETED=$((DELETED + 1))
  done
}

# The backups older than B_old (backup.meta first), and abandoned backup directories.
delete_backups() {
  local id dir keys abandoned_before
  abandoned_before=$(date -u -d "@$((NOW - ABANDONED_AFTER))" +%Y%m%dT%H%M%SZ)
  OLD_BACKUPS=0
  while IFS= read -r id; do
    [[ $id < $OLD_ID ]] || continue
    dir="$BACKUP_BASE/backups/$id/"
    mapfile -t keys < <(grep -F -- "$dir" "$S3_WORK/keys" | grep -vxF -- "${dir}backup.meta" || true)
    delete "${dir}backup.meta" "${keys[@]}"
    OLD_BACKUPS=$((OLD_BACKUPS + 1))
    log "deleted backup $id (older than the oldest kept, $OLD_ID)"
  done <"$S3_WORK/ids"
  # Directories without a backup.meta: a backup that failed or was killed, long before.
  while IFS= read -r id; do
    if grep -qxF -- "$id" "$S3_WORK/ids" || ! [[ $id < $OLD_ID ]] || ! [[ ${id%%-*} < $abandoned_before ]]; then continue; fi
    mapfile -t keys < <(grep -F -- "$BACKUP_BASE/backups/$id/" "$S3_WORK/keys")
    delete "${keys[@]}"
    log "deleted the abandoned backup directory $id (no backup.meta): ${#keys[@]} objects"
  done < <(sed -n "s|^$BACKUP_BASE/backups/\([0-9]\{8\}T[0-9]\{6\}Z-[A-Za-z0-9-]*\)/.*|\1|p" "$S3_WORK/keys" | sort -u)
}

# The records chosen (meta first), and files without a meta below FIRST_KEPT.
delete_records() {
  local stem key seq
  while IFS= read -r stem; do
    delete "$stem.meta"
    grep -qxF -- "$stem.binlog.gz" "$S3_WORK/archive.keys" && delete "$stem.binlog.gz"
  done <"$S3_WORK/records"
  [ -z "$ARCHIVE_LEFT" ] || return 0
  while IFS= read -r key; do
    seq=${key##*/} seq=$((10#${seq%%-*}))
    if [ "$seq" -lt "$FIRST_KEPT" ] && ! grep -qxF -- "${key%.binlog.gz}.meta" "$S3_WORK/archive.keys"; then
      delete "$key"
      log "deleted ${key##*/}: a file without its record below seq $FIRST_KEPT"
    fi
  done < <(grep -E '/[0-9]{12}-[A-Za-z0-9-]+\.binlog\.gz$' "$S3_WORK/archive.keys" || true)
}

# --- main ---------------------------------------------------------------------------------------

[[ $KEEP_BACKUPS =~ ^[0-9]+$ && $KEEP_SECONDS =~ ^[0-9]+$ ]] || die "KEEP_BACKUPS '$KEEP_BACKUPS' and KEEP_SECONDS '$KEEP_SECONDS' must be whole numbers"
[ "$KEEP_BACKUPS" -gt 0 ] || [ "$KEEP_SECONDS" -gt 0 ] || die "KEEP_BACKUPS and KEEP_SECONDS are both 0: everything would go; nothing was deleted"
s3_check_settings
s3_check_tools awk sort
S3_WORK=$(mktemp -d "${TMPDIR:-/tmp}/prune.XXXXXX") || die "cannot make a directory in ${TMPDIR:-/tmp}"
trap 'rm -rf "$S3_WORK"' EXIT
NOW=$(date -u +%s) DELETED=0
log "prune $MYSQL_NAMESPACE/$MYSQL_SET_NAME under s3://$S3_BUCKET/$BACKUP_BASE/ at $S3_ENDPOINT: keep the newest $KEEP_BACKUPS backups and every point of the last ${KEEP_SECONDS}s"
choose_kept
if [ -z "$OLD_ID" ]; then
  log "PRUNED: nothing: there is no backup (no <id>/backup.meta), so everything may be needed"
  exit 0
fi
log "the oldest restore point: backup $OLD_ID (finished $OLD_FINISHED), the oldest of $KEPT kept"
choose_records
record_pruning
delete_backups
records_deleted=$(wc -l <"$S3_WORK/records")
delete_records
log "PRUNED: kept $KEPT backups, the oldest $OLD_ID (finished $OLD_FINISHED: the oldest restore point); deleted $OLD_BACKUPS older backups and $records_deleted archive records (the first kept: seq $FIRST_KEPT); $DELETED objects in all"
