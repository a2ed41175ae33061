#!/usr/bin/env bash
# The retention of ReplicatedMySql's backups (the CronJob <name>-backup-prune, with backup.retention;
# docs/backup.md: Retention). It never connects to the members and holds no MySQL password. It deletes
# only what no supported restore point needs:
#
#   1. the backups kept: the newest KEEP_BACKUPS, and with KEEP_SECONDS every backup that finished within
#      the period plus the newest one that finished before it (so that the period's first second can still
#      be restored). The oldest of them is the oldest restore point, B_old. No backup: nothing is deleted.
#   2. the archive records deleted: in sequence order, those archived before B_old started (less
#      PRUNE_CLOCK_SKEW, as a restore reads them) whose transactions B_old holds (transactions that a failover
#      orphaned aside: no later backup has them); the first that is not ends it. Orphan records and the last record
#      (the archiver numbers on from it) are always kept.
#   3. before anything is deleted, a pruning record <prefix>/<namespace>/<name>/pruned/<UTC>-<pod uid>.meta: every
#      transaction of the records deleted so far (this run's and the earlier records'), and the first sequence
#      number kept. Each run writes its own (two runs at once never overwrite each other's) and then deletes the
#      earlier ones it includes. The archiver counts those transactions as archived (neither streamed again nor a
#      hole); a point-in-time restore refuses a backup that lacks any of them but orphans.
#   4. then the backups older than B_old (backup.meta first: from then on it is no backup), the records (the meta
#      first, then its file), and what was abandoned: a backup directory without backup.meta older than B_old and
#      than ABANDONED_AFTER seconds (a backup still running is never touched), and a file without its meta below the
#      first sequence number kept.
#
# The last line of the log is "PRUNED: ..." (what was kept and deleted); a failure exits non-zero, and
# the next run (idempotent) finishes the work.
set -euo pipefail
umask 077
export LC_ALL=C
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

# epoch_of RFC3339: seconds since the epoch (an empty or unreadable time fails: nothing is deleted).
epoch_of() {
  [ -n "$1" ] || die "a record or backup.meta has no time; nothing was deleted"
  date -u -d "$1" +%s 2>/dev/null || die "'$1' is not a time; nothing was deleted"
}

# The awk functions that read GTID sets in text ("uuid:1-5:7,uuid2:tag:3"): ranges per server (and tag).
GTID_AWK='
  function load(s, pre,   m, i, c, q, j, cur, r, x, parts) {
    gsub(/[ \n]/, "", s); m = split(s, parts, ",")
    for (i = 1; i <= m; i++) {
      c = split(parts[i], q, ":"); cur = q[1]
      for (j = 2; j <= c; j++) {
        if (q[j] !~ /^[0-9]/) { cur = q[1] ":" q[j]; continue }
        r = split(q[j], x, "-"); n[pre]++; id[pre, n[pre]] = cur; lo[pre, n[pre]] = x[1] + 0; hi[pre, n[pre]] = (r > 1 ? x[2] : x[1]) + 0
      }
    }
  }'

# gtid_subset A B: whether every transaction of GTID set A is in B. Each range of A is walked through B's ranges
# of the same server (and tag).
gtid_subset() {
  awk -v a="$1" -v b="$2" "$GTID_AWK"'
    BEGIN {
      load(a, "a"); load(b, "b")
      for (i = 1; i <= n["a"]; i++) {
        pos = lo["a", i]; covered = 0
        while (!covered) {
          found = 0
          for (j = 1; j <= n["b"] && !covered; j++) if (id["b", j] == id["a", i] && lo["b", j] <= pos && hi["b", j] >= pos) {
            found = 1
            if (hi["b", j] >= hi["a", i]) covered = 1
            # (beyond 2^53 awk cannot count on: not known to be covered)
            else if (hi["b", j] + 1 <= pos) exit 1
            else pos = hi["b", j] + 1
          }
          if (!found) exit 1
        }
      }
      exit 0
    }'
}

# gtid_normalize SET: the set with each server's ranges sorted and merged ("uuid:1-9,uuid:tag:1-2"), so that the
# union of many records stays short.
gtid_normalize() {
  awk -v a="$1" "$GTID_AWK"'
    BEGIN {
      load(a, "a")
      for (i = 1; i <= n["a"]; i++) { k = id["a", i]; if (!(k in cnt)) order[++ids] = k; c = ++cnt[k]; L[k, c] = lo["a", i]; H[k, c] = hi["a", i] }
      for (t = 1; t <= ids; t++) {
        k = order[t]
        for (x = 2; x <= cnt[k]; x++) { l = L[k, x]; h = H[k, x]; y = x - 1
          while (y >= 1 && L[k, y] > l) { L[k, y + 1] = L[k, y]; H[k, y + 1] = H[k, y]; y-- }
          L[k, y + 1] = l; H[k, y + 1] = h }
        text = k; cl = L[k, 1]; ch = H[k, 1]
        for (x = 2; x <= cnt[k]; x++) {
          if (L[k, x] <= ch + 1) { if (H[k, x] > ch) ch = H[k, x] }
          else { text = text ":" (cl == ch ? cl : cl "-" ch); cl = L[k, x]; ch = H[k, x] }
        }
        out = out (t > 1 ? "," : "") text ":" (cl == ch ? cl : cl "-" ch)
      }
      print out
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


# The archive's records to delete ($S3_WORK/records: their keys without .meta; DELETING: their transactions) and
# FIRST_KEPT, the lowest sequence number kept (0: the archive is empty).
choose_records() {
  local key last kind at seq meta
  : >"$S3_WORK/records"
  FIRST_KEPT=0 DELETING=''
  read_archive
  ORPHANS=$(archive_orphans)
  last=$(tail -n 1 "$S3_WORK/archive.metas")
  while IFS= read -r key; do
    meta="$S3_WORK/archive/${key##*/}"
    kind=$(meta_of "$meta" kind) seq=$((10#$(meta_of "$meta" seq)))
    at=$(meta_of "$meta" archived_at)
    [ -n "$at" ] || at=$(meta_of "$meta" recorded_at)
    FIRST_KEPT=$seq
    [ "$key" != "$last" ] || break
    [ "$(epoch_of "$at")" -lt $((OLD_STARTED - PRUNE_CLOCK_SKEW)) ] || break
    case "$kind" in
      orphan) continue ;;
      file | hole | start)
        if ! gtid_subset "$(meta_of "$meta" gtids)" "$OLD_GTIDS${ORPHANS:+,$ORPHANS}"; then
          log "record ${key##*/} holds transactions backup $OLD_ID lacks: it and every later record are kept"
          break
        fi
        ;;
      *) die "${key##*/} in the archive is of kind '$kind', which this script does not know; nothing was deleted" ;;
    esac
    printf '%s\n' "${key%.meta}" >>"$S3_WORK/records"
    DELETING+=${DELETING:+,}$(meta_of "$meta" gtids)
  done <"$S3_WORK/archive.metas"
}

# Writes this run's pruning record (every transaction deleted until now, with this run's) before anything is
# deleted from the archive, then deletes the earlier records it includes. Nothing to delete: nothing written.
record_pruning() {
  local key set earlier
  [ -s "$S3_WORK/records" ] || return 0
  read_pruned || die "cannot read the pruning records: $S3_FAILURE; nothing was deleted"
  set=$(gtid_normalize "$PRUNED_GTIDS${PRUNED_GTIDS:+,}$DELETING")
  [ -n "$set" ] || die "the transactions of the records to delete cannot be read; nothing was deleted"
  key="$BACKUP_BASE/pruned/$(date -u -d "@$NOW" +%Y%m%dT%H%M%SZ)-$POD_UID.meta"
  printf 'gtids=%s\nbelow_seq=%d\nbackup=%s\npruned_at=%s\nwriter=%s\n' "$set" "$FIRST_KEPT" "$OLD_ID" "$(date -u -d "@$NOW" +%Y-%m-%dT%H:%M:%SZ)" "$POD_UID" >"$S3_WORK/pruned.meta"
  s3_put "$key" "$S3_WORK/pruned.meta" || die "cannot write s3://$S3_BUCKET/$key: $S3_FAILURE; nothing was deleted"
  log "wrote ${key#"$BACKUP_BASE/"}: every transaction deleted from the archive ($set)"
  mapfile -t earlier < <(grep -vxF -- "$key" "$S3_WORK/pruned.keys" || true)
  delete "${earlier[@]}"
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
