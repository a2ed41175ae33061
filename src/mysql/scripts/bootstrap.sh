#!/usr/bin/env bash
# Init container 2 of ReplicatedMySql: makes sure mysqld starts on the right data, following the
# right member, on every pod start. Which member is the primary is what the StatefulSet says now
# (asked of the API server), not what this pod's template says: a pod re-created from an older
# revision (below a rollout's partition) must not act on an old primaryOrdinal.
#
#   primary, no data   -> initialize a new data directory (root password, accounts, database,
#                         initSql), or with `restore` restore a backup (restore.sh) -- only when no
#                         other member holds data (EMPTY_PRIMARY=when-new: no evidence entry in
#                         ConfigMap <name>-members whose claim still exists). Otherwise the primary's
#                         volume was lost, and an empty primary would fork the cluster: fail closed
#                         and say what to do.
#   replica, no data   -> CLONE a donor into a scratch directory (the previous member when it is
#                         Ready and holds nothing the primary lacks, else the primary), then point
#                         replication at the primary (GTID auto-position, TLS).
#   data present       -> on a temporary, network-less mysqld: a replica gets its channel pointed
#                         at the primary with the Secret's credentials and the TLS settings --
#                         after checking that the primary holds every transaction this member has
#                         when the channel pointed elsewhere; a member the StatefulSet now names
#                         the primary promotes itself, after applying everything it received, and
#                         only while its old source takes no writes and no member is ahead of it.
#   every member with data records (or restores) its evidence entry.
#
# Nothing here makes a server writable: every mysqld starts read-only, and the agent container
# decides, on every start of mysqld, whether this member may take writes (agent.sh).
#
# Work happens in a scratch directory on the volume that is renamed into place as the last
# step: if the container dies at any point, the next run starts over, and a half-initialized
# or half-cloned directory is never mistaken for data.
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

: "${REPLICATION_USER:?REPLICATION_USER is not set}"
: "${EMPTY_PRIMARY:=when-new}"   # when-new | refuse | always
: "${CATCH_UP_TIMEOUT:=600}"       # seconds a promoted member may take to apply what it received
: "${DONOR_WAIT_TIMEOUT:=900}"     # seconds a new replica waits for a donor to answer
: "${PREVIOUS_DONOR_WAIT:=120}"    # ... of which it waits for the previous member alone
: "${DONOR_RETRY_INTERVAL:=5}"
: "${EVIDENCE_SETTLE:=10}"         # seconds an empty primary waits for members starting with it to record their data
: "${DEMOTE_WAIT:=120}"            # seconds a promotion waits for the old primary to stop taking writes

SELF_ORDINAL=$(pod_ordinal)
self=$(pod_host "$SELF_ORDINAL")
socket="$BOOTSTRAP_TMP/mysqld.sock"
trap stop_temp_mysqld EXIT

# The primary the StatefulSet names now (asynchronous replication).
read_manifest_primary() {
  primary_ordinal=$(manifest_primary) \
    || die "cannot learn from the API server which member the StatefulSet names the primary; nothing was changed, the pod restarts and retries"
  if [ "$primary_ordinal" != "$PRIMARY_ORDINAL" ]; then
    log "$POD_NAME: this pod was created from another revision of the StatefulSet (its template names member $PRIMARY_ORDINAL the primary, the StatefulSet now names $primary_ordinal): following the StatefulSet"
  fi
  primary_host=$(pod_host "$primary_ordinal")
}
primary_ordinal='' primary_host=''
is_primary() { [ "$1" = "$primary_ordinal" ]; }
# (Learned first: nothing on the volume is touched when the API server cannot say.)
[ "$REPLICATION_MODE" = group ] || read_manifest_primary

# mysqld's tmpdir and secure_file_priv live on the volume: a large ALTER or sort must not fill
# an emptyDir and get the pod evicted. Leftovers of a previous run are removed.
mkdir -p "$DATA_ROOT/tmp" "$DATA_ROOT/files"
chmod 0750 "$DATA_ROOT/tmp" "$DATA_ROOT/files"
find "$DATA_ROOT/tmp" -mindepth 1 -delete

fresh_scratch() {
  rm -rf "$BOOTSTRAP_TMP"
  mkdir -p "$BOOTSTRAP_TMP"
}

# --- a new cluster ----------------------------------------------------------------------------

refuse_empty_primary() {
  die "the primary's data directory ($DATA_DIR) is empty, but $1.
Initializing an empty primary now would fork the cluster: clients would write into an empty
database while the other members hold the data. Nothing was changed. To recover:
  - promote the most advanced member (docs/mysql.md: 'Failover'): set primaryOrdinal to it and apply;
    this member then clones from it as a replica;
  - or restore this member's volume from a copy you keep (it is checked against the other members
    before it takes writes, docs/mysql.md: 'Safety: who may take writes');
  - or, to discard the other members' data and start a NEW, EMPTY cluster on purpose, delete their
    PersistentVolumeClaims (kubectl -n $MYSQL_NAMESPACE get pvc -l app.kubernetes.io/instance=$MYSQL_SET_NAME lists
    them; delete every one but data-$POD_NAME), or set emptyPrimary: EmptyPrimaryPolicy.INITIALIZE_ANYWAY;
  - or, when no member's data can be saved, create the cluster anew from a backup (docs/backup.md: 'Restore')"
}

# Fails closed unless no other member holds data, asked twice EVIDENCE_SETTLE seconds apart: the
# members that start together with this one record their data while it waits.
check_new_cluster() {
  local others attempt
  for attempt in 1 2; do
    others=$(members_with_data) || die "cannot ask the API server which members hold data; nothing was changed, the pod restarts and retries"
    if [ -n "$others" ]; then
      refuse_empty_primary "other members hold data (ConfigMap $EVIDENCE_CONFIGMAP records it for ordinals $(tr '\n' ' ' <<<"$others" | sed 's/ $//'), and their claims exist)"
    fi
    [ "$attempt" = 1 ] && sleep "$EVIDENCE_SETTLE"
  done
  log "$POD_NAME: no other member holds data: this is a new cluster"
}

# With `restore` (RESTORE_NAME set), the first member restores a backup instead (restore.sh); the
# same checks come first: a restore is refused beside members that hold data, as an empty primary is.
initialize_primary() {
  case "$EMPTY_PRIMARY" in
    refuse) [ -n "${RESTORE_NAME:-}" ] || refuse_empty_primary "emptyPrimary is EmptyPrimaryPolicy.REFUSE"; check_new_cluster ;;
    always) log "$POD_NAME: WARNING: emptyPrimary is INITIALIZE_ANYWAY: initializing without checking for other members' data" ;;
    when-new) check_new_cluster ;;
    *) die "EMPTY_PRIMARY must be when-new, refuse or always (is '$EMPTY_PRIMARY')" ;;
  esac
  if [ -n "${RESTORE_NAME:-}" ]; then
    # shellcheck source=s3.sh
    . "$CDK8S_MYSQL_DIR/s3.sh"
    # shellcheck source=restore.sh
    . "$CDK8S_MYSQL_DIR/restore.sh"
    restore_primary
    return
  fi
  fresh_scratch
  local dir="$BOOTSTRAP_TMP/data"
  log "$POD_NAME: initializing a new data directory"
  mysqld --defaults-file="$MYSQLD_CNF" --datadir="$dir" --initialize-insecure >"$BOOTSTRAP_TMP/initialize.log" 2>&1 \
    || { cat "$BOOTSTRAP_TMP/initialize.log" >&2; die "mysqld --initialize-insecure failed"; }
  # A new data directory is the only server the scripts ever write to while it is read-only in
  # the configuration: nobody can reach it, and its server_uuid is new.
  local root_password
  root_password=$(secret root-password) || exit 1
  start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/init.log" --defaults-file="$MYSQLD_CNF" --datadir="$dir" --read-only=OFF --super-read-only=OFF
  mysql --defaults-file=<(client_cnf root '') --socket="$socket" <<<"ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "$root_password");" \
    || die "could not set root's password"
  apply_accounts "$socket"
  if [ -f "$CDK8S_MYSQL_DIR/init.sql" ]; then
    log "$POD_NAME: running initSql"
    # The user's SQL runs under the server's own sql_mode, as the user wrote it for.
    mysql --defaults-file=<(client_cnf root "$root_password" server-sql-mode) --socket="$socket" \
      <"$CDK8S_MYSQL_DIR/init.sql" || die "initSql failed (the data directory is discarded; fix initSql and the pod retries)"
  fi
  stop_temp_mysqld
  # The atomic step: from here on the pod has data.
  mv "$dir" "$DATA_DIR"
  rm -rf "$BOOTSTRAP_TMP"
  log "$POD_NAME: initialized a new cluster; $self is its primary"
}

# --- replicas ---------------------------------------------------------------------------------

# CHANGE REPLICATION SOURCE for the channel to the primary: credentials from the Secret and TLS as
# the manifest says. With a new host the relay logs are discarded, which auto-positioning makes
# safe (the primary sends what was not applied).
point_at_primary() {
  local host_option='' tls password
  password=$(secret replication-password) || exit 1
  [ "${1:-}" = new-host ] && host_option="SOURCE_HOST = '$primary_host', SOURCE_PORT = $MYSQL_PORT, SOURCE_AUTO_POSITION = 1,"
  if tls_verified; then
    tls="SOURCE_SSL_CA = '$TLS_DIR/ca.crt', SOURCE_SSL_VERIFY_SERVER_CERT = 1"
  else
    tls="SOURCE_SSL_CA = '', SOURCE_SSL_VERIFY_SERVER_CERT = 0"
  fi
  local_sql "$socket" <<<"CHANGE REPLICATION SOURCE TO $host_option
  SOURCE_USER = '$REPLICATION_USER',
  SOURCE_PASSWORD = $(sql_string "$password"),
  SOURCE_SSL = 1, $tls,
  SOURCE_CONNECT_RETRY = 10,
  SOURCE_RETRY_COUNT = 0,
  SOURCE_HEARTBEAT_PERIOD = 5;" || die "could not configure replication from $primary_host"
}

# The donors a new replica may clone from, best first: the previous member (spreads the load of
# scaling out) when its pod is Ready and it holds nothing the primary lacks, then the primary.
donor_candidates() {
  local previous=$((SELF_ORDINAL - 1)) primary_row previous_row
  if [ "$previous" -ge "$START_ORDINAL" ] && ! is_primary "$previous" && [ "$(member_pod "$previous")" = ready ] \
    && peer_query "$(pod_host "$previous")" "SELECT $GTID_EXECUTED;" && previous_row=$PEER_OUT \
    && peer_query "$primary_host" "SELECT GTID_SUBSET($(sql_string "$previous_row"), $GTID_EXECUTED);" && primary_row=$PEER_OUT \
    && [ "$primary_row" = 1 ]; then
    pod_host "$previous"
  fi
  echo "$primary_host"
}

# clone_from CANDIDATES_FUNCTION: CLONEs the first donor the function names that answers into
# $BOOTSTRAP_TMP/clone (retrying until DONOR_WAIT_TIMEOUT); sets `cloned` to the donor.
clone_from() {
  local candidates_of=$1
  fresh_scratch
  local clone_dir="$BOOTSTRAP_TMP/clone" recipient_dir="$BOOTSTRAP_TMP/recipient"
  log "$POD_NAME: empty data directory; cloning a donor"
  # A throw-away recipient instance runs CLONE INSTANCE; it needs its own (empty) data directory.
  mysqld --no-defaults --datadir="$recipient_dir" --initialize-insecure --innodb-buffer-pool-size=32M --innodb-redo-log-capacity=8M \
    >"$BOOTSTRAP_TMP/initialize.log" 2>&1 || { cat "$BOOTSTRAP_TMP/initialize.log" >&2; die "mysqld --initialize-insecure failed"; }
  start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/recipient.log" --no-defaults --datadir="$recipient_dir" --tmpdir="$DATA_ROOT/tmp" --secure-file-priv="$DATA_ROOT/files" \
    --plugin-load-add=mysql_clone.so --innodb-buffer-pool-size=32M --skip-log-bin
  # With a tls choice, the donor must present a certificate of the cluster's CA (the clone plugin
  # checks the CA, not the host name); without one, the clone is encrypted only.
  local ssl_ca=''
  tls_verified && ssl_ca="SET GLOBAL clone_ssl_ca = '$TLS_DIR/ca.crt';"
  # Members start together (podManagementPolicy Parallel): a donor may still be starting.
  local donor started=$SECONDS candidates password waiting_for='the previous member'
  [ "$candidates_of" = donor_candidates ] || waiting_for='a member ONLINE in the group'
  cloned=''
  while [ -z "$cloned" ]; do
    mapfile -t candidates < <("$candidates_of")
    # The previous member is waited for first, so replicas clone in order and spread the load.
    if [ "$candidates_of" = donor_candidates ] && [ $((SECONDS - started)) -lt "$PREVIOUS_DONOR_WAIT" ] && [ "$((SELF_ORDINAL - 1))" -ge "$START_ORDINAL" ] && ! is_primary "$((SELF_ORDINAL - 1))"; then
      candidates=("${candidates[@]:0:${#candidates[@]}-1}")
    fi
    for donor in "${candidates[@]}"; do
      password=$(secret replication-password) || exit 1
      peer_query "$donor" "SELECT 1;" || continue
      log "$POD_NAME: CLONE INSTANCE FROM $donor"
      if mysql --defaults-file=<(client_cnf root '') --socket="$socket" <<SQL
$ssl_ca
SET GLOBAL clone_valid_donor_list = '$donor:$MYSQL_PORT';
CLONE INSTANCE FROM '$REPLICATION_USER'@'$donor':$MYSQL_PORT IDENTIFIED BY $(sql_string "$password")
  DATA DIRECTORY = '$clone_dir' REQUIRE SSL;
SQL
      then
        cloned=$donor
        break
      fi
      log "$POD_NAME: clone from $donor failed"
      rm -rf "$clone_dir"
    done
    [ -n "$cloned" ] && break
    [ $((SECONDS - started)) -lt "$DONOR_WAIT_TIMEOUT" ] || die "no donor could be cloned within ${DONOR_WAIT_TIMEOUT}s; the pod restarts and retries"
    log "$POD_NAME: waiting for a donor (${candidates[*]:-$waiting_for}) to answer"
    sleep "$DONOR_RETRY_INTERVAL"
  done
  stop_temp_mysqld
}

clone_replica() {
  local clone_dir="$BOOTSTRAP_TMP/clone"
  clone_from donor_candidates
  # The cloned data, started without network or replication, is pointed at the primary. The
  # clone carries the donor's accounts, so root's password is the cluster's.
  start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/replica.log" --defaults-file="$MYSQLD_CNF" --datadir="$clone_dir"
  local_sql "$socket" <<<"RESET REPLICA ALL;" || die "could not reset the cloned replication configuration"
  point_at_primary new-host
  stop_temp_mysqld
  # The atomic step: from here on the pod has data; the agent starts replication.
  mv "$clone_dir" "$DATA_DIR"
  rm -rf "$BOOTSTRAP_TMP"
  log "$POD_NAME: cloned from $cloned; replicating from $primary_host"
}

# A replica with data replicates from the primary the StatefulSet names. When its channel points
# elsewhere (a failover happened, or this was the primary), it may follow the new primary only
# if that primary holds every transaction this member has: otherwise following would lose them.
# (Whether the primary still holds everything this member has is checked by the agent on every
# start of mysqld, before replication starts.)
reconcile_replica() {
  local current
  current=$(local_sql "$socket" <<<"SELECT HOST FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = '';")
  if [ "$current" = "$primary_host" ]; then
    point_at_primary   # the credentials from the Secret (password rotation), TLS as the manifest says
    log "$POD_NAME: replicating from $primary_host"
    return
  fi
  local mine
  mine=$(local_sql "$socket" <<<"SELECT $(gtid_union "$GTID_EXECUTED" "$GTID_RECEIVED");") || die "could not read this member's GTID set"
  peer_query "$primary_host" "SELECT GTID_SUBSET($(sql_string "$mine"), $GTID_EXECUTED), REPLACE(GTID_SUBTRACT($(sql_string "$mine"), $GTID_EXECUTED), '\\n', '');" \
    || die "this member replicates from ${current:-nothing}, but the StatefulSet names $primary_host the primary, and $primary_host cannot be asked whether it holds this member's transactions ($PEER_ERR); the pod restarts and retries"
  if [ "${PEER_OUT%%$'\t'*}" != 1 ]; then
    die "this member holds transactions that the primary $primary_host does not have (${PEER_OUT#*$'\t'}).
Following $primary_host would lose them, so this member stays down. Either this member is the
most advanced one (then make it the primary: set primaryOrdinal: $SELF_ORDINAL), or its extra
transactions are to be discarded (then delete its data: kubectl -n $MYSQL_NAMESPACE delete pvc
data-$POD_NAME, then delete the pod, and it re-clones from $primary_host)"
  fi
  log "$POD_NAME: re-pointing replication from ${current:-nothing (this was a primary)} to $primary_host (it holds every transaction of this member)"
  local_sql "$socket" <<<"STOP REPLICA; RESET REPLICA ALL;" || die "could not reset replication"
  point_at_primary new-host
}

# Waits until this member has applied every transaction in the GTID set $1.
wait_applied() {
  local deadline=$((SECONDS + CATCH_UP_TIMEOUT)) applied
  until applied=$(local_sql "$socket" <<<"SELECT GTID_SUBSET($(sql_string "$1"), $GTID_EXECUTED);") && [ "$applied" = 1 ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "could not apply $1 within ${CATCH_UP_TIMEOUT}s; nothing was changed, the pod restarts and retries"
    sleep "$POLL_INTERVAL"
  done
}

# The old primary must take no writes before this member follows it to the end: its agent
# demotes it as soon as it sees the StatefulSet name another primary. Sets SOURCE_GTIDS when it
# answered; empty when it is down (checked over a bounded time, and its pod not Ready).
wait_source_demoted() {
  local source_ordinal=$1 deadline=$((SECONDS + DEMOTE_WAIT)) read_only super_read_only received
  SOURCE_GTIDS=''
  for (( ; ; )); do
    check_member "$source_ordinal"
    case "$MEMBER_STATE" in
      down) return 0 ;;
      unknown) die "whether the old primary $(pod_host "$source_ordinal") still takes writes cannot be known: $MEMBER_WHY. Nothing was changed; the pod restarts and retries" ;;
    esac
    IFS='|' read -r read_only super_read_only SOURCE_GTIDS received <<<"$MEMBER_ROW"
    [ "$super_read_only" = 1 ] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      die "the old primary $(pod_host "$source_ordinal") still accepts writes (read_only=$read_only, super_read_only=$super_read_only) ${DEMOTE_WAIT}s after the StatefulSet named this member the primary: its agent should have demoted it. Stop writes on it (kubectl exec it: SET GLOBAL super_read_only = ON), or stop its pod; this pod retries. Nothing was changed"
    fi
    log "$POD_NAME: waiting for the old primary $(pod_host "$source_ordinal") to stop taking writes"
    sleep "$PEER_RETRY_INTERVAL"
  done
}

# Refuses unless no member holds a transaction this one lacks (those that hold data are asked
# over a bounded time; a member that is down is checked when it follows this one).
check_none_ahead() {
  local mine=$1 skip=$2 peer with_data ahead executed received read_only super_read_only
  with_data=$(members_with_data) || die "cannot ask the API server which members hold data; the pod restarts and retries"
  for peer in $(member_ordinals); do
    [ "$peer" -eq "$SELF_ORDINAL" ] || [ "$peer" -eq "$skip" ] && continue
    check_member "$peer" "$(grep -qx "$peer" <<<"$with_data" && echo "$PEER_ATTEMPTS" || echo 1)"
    case "$MEMBER_STATE" in
      down) log "$POD_NAME: $MEMBER_WHY: it is checked when it follows this member"; continue ;;
      unknown) die "whether $(pod_host "$peer") is ahead of this member cannot be known: $MEMBER_WHY. Nothing was changed; the pod restarts and retries" ;;
    esac
    IFS='|' read -r read_only super_read_only executed received <<<"$MEMBER_ROW"
    ahead=$(local_sql "$socket" <<<"SELECT REPLACE(GTID_SUBTRACT($(sql_string "$(join_gtid_sets "$executed" "$received")"), $(sql_string "$mine")), '\\n', '');") \
      || die "could not compare GTID sets"
    if [ -n "$ahead" ]; then
      die "$(pod_host "$peer") has transactions this member lacks ($ahead). Promoting this member would lose them: make member $peer the primary instead (primaryOrdinal: $peer), or wait until this member has them. Nothing was changed"
    fi
  done
}

# The StatefulSet names this member the primary, but it replicates from $1: the failover that
# primaryOrdinal asks for. It promotes itself only when that loses nothing and forks nothing.
promote() {
  local source=$1 source_ordinal received mine
  source_ordinal=${source%%.*}
  source_ordinal=${source_ordinal##*-}
  log "$POD_NAME: the StatefulSet names this member the primary; it replicates from $source: promoting"
  wait_source_demoted "$source_ordinal"
  if [ -n "$SOURCE_GTIDS" ]; then
    log "$POD_NAME: catching up with $source ($SOURCE_GTIDS)"
    local_sql "$socket" <<<"START REPLICA;" || die "could not start replication to catch up with $source"
    wait_applied "$SOURCE_GTIDS"
  else
    log "$POD_NAME: WARNING: the old source $source is down ($MEMBER_WHY); promoting with every transaction this member received from it"
    received=$(local_sql "$socket" <<<"SELECT $GTID_RECEIVED;") || die "could not read the transactions received from $source"
    local_sql "$socket" <<<"START REPLICA SQL_THREAD;" || die "could not apply the relay log"
    wait_applied "$received"
  fi
  local_sql "$socket" <<<"STOP REPLICA;" || die "could not stop replication"
  mine=$(local_sql "$socket" <<<"SELECT $GTID_EXECUTED;") || die "could not read this member's GTID set"
  check_none_ahead "$mine" "$source_ordinal"
  local_sql "$socket" <<<"RESET REPLICA ALL;" || die "could not reset replication"
  log "$POD_NAME: promoted: no longer replicating from $source ($mine)"
}

reconcile() {
  fresh_scratch
  start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/reconcile.log" --defaults-file="$MYSQLD_CNF"
  # Read-only is the configuration's, always: a value someone persisted would outlive restarts.
  local_sql "$socket" <<<"RESET PERSIST IF EXISTS read_only; RESET PERSIST IF EXISTS super_read_only;" || die "could not reset persisted read_only settings"
  if is_primary "$SELF_ORDINAL"; then
    local current
    current=$(local_sql "$socket" <<<"SELECT HOST FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = '';")
    [ -z "$current" ] || promote "$current"
    log "$POD_NAME: primary; the agent opens it for writes once no member is ahead of it or writable"
  else
    reconcile_replica
  fi
  stop_temp_mysqld
  rm -rf "$BOOTSTRAP_TMP"
}

# --- a Group Replication member (group.sh) ----------------------------------------------------

# No data: the first member of a new cluster initializes; any other clones an ONLINE member (and the
# agent joins the group). Data: mysqld's persisted read-only settings are reset; the agent decides.
group_bootstrap() {
  if [ -d "$DATA_DIR" ]; then
    fresh_scratch
    start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/reconcile.log" --defaults-file="$MYSQLD_CNF"
    local_sql "$socket" <<<"RESET PERSIST IF EXISTS read_only; RESET PERSIST IF EXISTS super_read_only;" || die "could not reset persisted read_only settings"
    stop_temp_mysqld
    rm -rf "$BOOTSTRAP_TMP"
    log "$POD_NAME: holds data; the agent joins the group, or starts it with proof that no member is ahead"
    return
  fi
  local others
  others=$(members_with_data) || die "cannot ask the API server which members hold data; nothing was changed, the pod restarts and retries"
  if [ -z "$others" ] && [ "$SELF_ORDINAL" = "$START_ORDINAL" ]; then
    initialize_primary
    return
  fi
  [ -z "$others" ] || log "$POD_NAME: members $(tr '\n' ' ' <<<"$others")hold data: cloning one that is ONLINE in the group"
  clone_from group_donors
  start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/member.log" --defaults-file="$MYSQLD_CNF" --datadir="$BOOTSTRAP_TMP/clone"
  # The donor's group channels came with the clone; the agent's START GROUP_REPLICATION makes new ones.
  local_sql "$socket" <<<"RESET REPLICA ALL;" || die "could not reset the cloned replication configuration"
  stop_temp_mysqld
  mv "$BOOTSTRAP_TMP/clone" "$DATA_DIR"
  rm -rf "$BOOTSTRAP_TMP"
  log "$POD_NAME: cloned from $cloned; the agent joins the group"
}

# --- main -------------------------------------------------------------------------------------

if [ -d "$DATA_DIR" ] && [ -z "$(ls -A "$DATA_DIR")" ]; then
  rmdir "$DATA_DIR"
fi
not_mysql_data() {
  die "$DATA_DIR is not empty but holds no MySQL data directory (no mysql.ibd); move it aside and restart the pod"
}
if [ "$REPLICATION_MODE" = group ]; then
  [ ! -d "$DATA_DIR" ] || [ -f "$DATA_DIR/mysql.ibd" ] || not_mysql_data
  # shellcheck source=group.sh
  . "$CDK8S_MYSQL_DIR/group.sh"
  group_bootstrap
  record_evidence || die "could not record in ConfigMap $EVIDENCE_CONFIGMAP that this member holds data; the pod restarts and retries"
  exit 0
fi
if [ -d "$DATA_DIR" ]; then
  [ -f "$DATA_DIR/mysql.ibd" ] || not_mysql_data
  reconcile
elif is_primary "$SELF_ORDINAL"; then
  initialize_primary
else
  clone_replica
fi
record_evidence || die "could not record in ConfigMap $EVIDENCE_CONFIGMAP that this member holds data; the pod restarts and retries"
