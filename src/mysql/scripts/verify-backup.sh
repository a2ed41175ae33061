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
: "${VERIFY_SCRATCH:=/var/lib/mysql-backup}"     # the scratch volume: the whole extracted backup
: "${VERIFY_BUFFER_POOL:=128M}"                  # innodb_buffer_pool_size of the throw-away mysqld

WORK="$VERIFY_SCRATCH/work"
RESTORE_DIR="$WORK/data"
socket="$WORK/mysqld.sock"
S3_WORK=''
BACKUP_BASE="${S3_PREFIX:+$S3_PREFIX/}$MYSQL_NAMESPACE/$MYSQL_SET_NAME"

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
    key="$BACKUP_BASE/verify/$VERIFY_ID.result"
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
s3_check_settings
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
log "verify $VERIFY_ID: the newest backup of $MYSQL_NAMESPACE/$MYSQL_SET_NAME under s3://$S3_BUCKET/$BACKUP_BASE/backups/ at $S3_ENDPOINT"
find_backup ""
[ -n "$BACKUP_ID" ] || die "no backup to verify under s3://$S3_BUCKET/$BACKUP_BASE/backups/ (no <id>/backup.meta there)"
log "backup $BACKUP_ID"
STEP="reading backup.meta of $BACKUP_ID"
read_meta
STEP="downloading and extracting data.tar.gz of $BACKUP_ID"
download_started=$SECONDS
fetch_backup "$RESTORE_DIR"
log "downloaded and extracted data.tar.gz in $((SECONDS - download_started))s: $GOT_SIZE bytes, sha256 $GOT_SHA256 as in backup.meta ($(du -sk "$RESTORE_DIR" | cut -f1) KiB extracted)"
check_started=$SECONDS
check_restored
log "started the restored data and checked it in $((SECONDS - check_started))s: gtid_executed $RESTORED_GTIDS as in backup.meta, $TABLES tables sound"
STEP='cleaning up'
VERIFIED=1
