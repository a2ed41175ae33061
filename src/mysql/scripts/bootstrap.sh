#!/usr/bin/env bash
# Init container 2 of ReplicatedMySql: makes sure mysqld starts on the right data, in the right
# role, on every pod start.
#
#   primary, no data   -> initialize a new data directory (root password, replication user,
#                         application database and user, metrics user, initSql) -- but only
#                         when no other member's volume claim is labelled as holding data
#                         (EMPTY_PRIMARY=when-new, asked of the API server): otherwise the
#                         primary's volume was lost, and an empty primary would fork the
#                         cluster. Fail closed.
#   replica, no data   -> CLONE a peer into a scratch directory (the previous member, so
#                         replicas clone in order, else the primary), point replication at the
#                         primary (GTID auto-position, TLS).
#   every member, once it holds data, labels its own claim (HOLDS_DATA_LABEL): that label is
#   the evidence the primary looks for.
#   data present       -> reconcile on a temporary, network-less mysqld: the primary gets the
#                         accounts and database the manifest asks for (day-2 changes); a
#                         replica gets its replication channel pointed at the primary named
#                         in the manifest, with the Secret's credentials -- after checking
#                         that the primary holds every transaction this member has; a replica
#                         the manifest now names as the primary promotes itself -- after
#                         applying everything it received, and only while its old source
#                         accepts no writes and no reachable member is ahead of it.
#
# Work happens in a scratch directory on the volume that is renamed into place as the last
# step: if the container dies at any point, the next run starts over, and a half-initialized
# or half-cloned directory is never mistaken for data.
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

: "${REPLICATION_USER:?REPLICATION_USER is not set}"
: "${REPLICATION_PASSWORD:?REPLICATION_PASSWORD is not set}"
: "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD is not set}"
: "${EMPTY_PRIMARY:=when-new}"   # when-new | refuse | always
: "${REPLICAS:=1}"
: "${CATCH_UP_TIMEOUT:=600}"       # seconds a promoted member may take to apply what it received
: "${DONOR_WAIT_TIMEOUT:=900}"     # seconds a new replica waits for a donor to answer
: "${PREVIOUS_DONOR_WAIT:=120}"    # ... of which it waits for the previous member alone
: "${DONOR_RETRY_INTERVAL:=5}"
HOLDS_DATA_LABEL=mysql.cdk8s-stateful.io/holds-data
labelled_marker="$DATA_ROOT/.holds-data-labelled"

ordinal=$(pod_ordinal)
self=$(pod_host "$ordinal")
primary_host=$(pod_host "$PRIMARY_ORDINAL")
socket="$BOOTSTRAP_TMP/mysqld.sock"
trap stop_temp_mysqld EXIT

# mysqld's tmpdir and secure_file_priv live on the volume: a large ALTER or sort must not fill
# an emptyDir and get the pod evicted. Leftovers of a previous run are removed.
mkdir -p "$DATA_ROOT/tmp" "$DATA_ROOT/files"
chmod 0750 "$DATA_ROOT/tmp" "$DATA_ROOT/files"
find "$DATA_ROOT/tmp" -mindepth 1 -delete

# --- the accounts and database the manifest asks for --------------------------------------

# SQL creating every account and database that is missing (none exist on a new directory).
# Existing accounts keep their passwords: rotation is explicit (README: rotating passwords).
missing_accounts_sql() {
  local existing
  existing=$(local_sql "$socket" <<<"SELECT CONCAT(user, '@', host) FROM mysql.user;
SELECT CONCAT('schema:', schema_name) FROM information_schema.schemata;") || die "could not read the existing accounts and databases"
  has() { grep -qxF -- "$1" <<<"$existing"; }
  # One account replicates and donates clones: REPLICATION SLAVE is still the privilege's
  # name in 8.4 and 9.7; BACKUP_ADMIN lets CLONE INSTANCE read from this server. TLS only.
  if ! has "$REPLICATION_USER@%"; then
    echo "CREATE USER '$REPLICATION_USER'@'%' IDENTIFIED BY $(sql_string "$REPLICATION_PASSWORD") REQUIRE SSL;"
    echo "GRANT REPLICATION SLAVE, BACKUP_ADMIN ON *.* TO '$REPLICATION_USER'@'%';"
  fi
  if [ -n "${APP_DATABASE:-}" ] && ! has "schema:$APP_DATABASE"; then
    echo "CREATE DATABASE $(sql_ident "$APP_DATABASE");"
  fi
  if [ -n "${APP_USER:-}" ] && ! has "$APP_USER@%"; then
    echo "CREATE USER '$APP_USER'@'%' IDENTIFIED BY $(sql_string "${APP_PASSWORD:?APP_PASSWORD is not set}");"
    echo "GRANT ALL PRIVILEGES ON $(sql_ident "${APP_DATABASE:?APP_DATABASE is not set}").* TO '$APP_USER'@'%';"
  fi
  # The metrics sidecar connects over the pod-local socket.
  if [ -n "${EXPORTER_USER:-}" ] && ! has "$EXPORTER_USER@localhost"; then
    echo "CREATE USER '$EXPORTER_USER'@'localhost' IDENTIFIED BY $(sql_string "${EXPORTER_PASSWORD:?EXPORTER_PASSWORD is not set}") WITH MAX_USER_CONNECTIONS 3;"
    echo "GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO '$EXPORTER_USER'@'localhost';"
  fi
}

apply_accounts() {
  local sql
  sql=$(missing_accounts_sql) || exit 1
  if [ -n "$sql" ]; then
    # Logged with the statements' first words only: passwords never reach the log.
    log "$POD_NAME: creating: $(sed -E 's/ IDENTIFIED BY .*//; s/;$//' <<<"$sql" | grep -v '^GRANT' | tr '\n' ';')"
    local_sql "$socket" <<<"$sql" || die "could not create the accounts and database"
  fi
}

# --- the evidence that this is a new cluster ---------------------------------------------

# A request to the API server with the pod's projected token: api METHOD PATH [BODY]; prints
# the body; fails unless it answered 2xx.
api() {
  local host=${KUBERNETES_SERVICE_HOST:?KUBERNETES_SERVICE_HOST is not set: cannot reach the API server}
  [[ $host == *:* ]] && host="[$host]"
  [ -r "$SA_DIR/token" ] || die "no service account token at $SA_DIR: cannot reach the API server"
  local response code body args=(--silent --show-error --max-time 10 --cacert "$SA_DIR/ca.crt" -X "$1" --write-out '\n%{http_code}')
  [ -n "${3:-}" ] && args+=(--header 'Content-Type: application/merge-patch+json' --data "$3")
  # The token is read from a pipe, never put on a command line.
  response=$(curl "${args[@]}" --header @<(printf 'Authorization: Bearer %s\n' "$(<"$SA_DIR/token")") \
    "https://$host:${KUBERNETES_SERVICE_PORT:-443}$2") || { log "cannot reach the API server at $host"; return 1; }
  code=${response##*$'\n'}
  body=${response%$'\n'*}
  case "$code" in
    2??) printf '%s\n' "$body" ;;
    401) log "the API server rejected the pod's service account token for $1 $2 (HTTP 401)"; return 1 ;;
    403) log "the API server refused $1 $2 (HTTP 403): the Role and RoleBinding '$MYSQL_SET_NAME-bootstrap' (emitted by ReplicatedMySql) must exist for service account '${SERVICE_ACCOUNT:-default}'"; return 1 ;;
    *) log "the API server answered HTTP $code to $1 $2: $(head -c 300 <<<"$body")"; return 1 ;;
  esac
}

claims_path() {
  printf '/api/v1/namespaces/%s/persistentvolumeclaims%s' "$MYSQL_NAMESPACE" "$1"
}

# Ordinals of the other members whose data claim is labelled as holding data. The label
# outlives the pods (a full outage) and stays on claims left by a scale-in. Fails unless the API
# server answered.
members_with_data() {
  local selector="${CLAIM_SELECTOR:?CLAIM_SELECTOR is not set},$HOLDS_DATA_LABEL=true" body
  selector=${selector//\//%2F}
  selector=${selector//=/%3D}
  selector=${selector//,/%2C}
  body=$(api GET "$(claims_path "?labelSelector=$selector")") || die "cannot ask the API server which members hold data; the pod restarts and retries"
  # (No match is an empty list, not a failure: pipefail would make it one.)
  { grep -oE "\"name\" *: *\"data-$MYSQL_SET_NAME-[0-9]+\"" <<<"$body" || true; } | sed -E 's/.*-([0-9]+)"$/\1/' | sort -nu | { grep -vx "$ordinal" || true; }
}

# Labels this member's claim as holding data (once; a marker on the volume remembers it).
label_own_claim() {
  [ "$EMPTY_PRIMARY" = when-new ] || return 0
  [ -f "$labelled_marker" ] && return 0
  api PATCH "$(claims_path "/data-$POD_NAME")" "{\"metadata\":{\"labels\":{\"$HOLDS_DATA_LABEL\":\"true\"}}}" >/dev/null \
    || die "could not label claim data-$POD_NAME as holding data (the Role '$MYSQL_SET_NAME-bootstrap' lists the claims of the members the manifest declares: scale by changing replicas in the manifest, not with kubectl scale); the pod restarts and retries"
  touch "$labelled_marker"
  log "$POD_NAME: labelled claim data-$POD_NAME $HOLDS_DATA_LABEL=true"
}

refuse_empty_primary() {
  die "the primary's data directory ($DATA_DIR) is empty, but $1.
Initializing an empty primary now would fork the cluster: clients would write into an empty
database while the other members hold the data. Nothing was changed. To recover:
  - promote the most advanced replica (README: 'Failover'): set primaryOrdinal
    to it and apply; this member then re-clones from it as a replica;
  - or restore this volume from a backup and restart the pod;
  - or, to discard the other members' data and start a NEW, EMPTY cluster on purpose, delete their
    PersistentVolumeClaims (kubectl -n $MYSQL_NAMESPACE get pvc -l ${CLAIM_SELECTOR:-app.kubernetes.io/instance=$MYSQL_SET_NAME,app.kubernetes.io/name=mysql}
    lists them; delete every one but data-$POD_NAME), or set emptyPrimary: EmptyPrimaryPolicy.INITIALIZE_ANYWAY"
}

initialize_primary() {
  case "$EMPTY_PRIMARY" in
    refuse) refuse_empty_primary "emptyPrimary is EmptyPrimaryPolicy.REFUSE" ;;
    always) log "$POD_NAME: WARNING: emptyPrimary is INITIALIZE_ANYWAY: initializing without checking for other members' data" ;;
    when-new)
      local others
      others=$(members_with_data)
      if [ -n "$others" ]; then
        refuse_empty_primary "other members hold data (their claims data-$MYSQL_SET_NAME-N are labelled $HOLDS_DATA_LABEL=true, ordinals $(tr '\n' ' ' <<<"$others" | sed 's/ $//'))"
      fi
      log "$POD_NAME: no other member holds data: this is a new cluster"
      ;;
    *) die "EMPTY_PRIMARY must be when-new, refuse or always (is '$EMPTY_PRIMARY')" ;;
  esac

  rm -rf "$BOOTSTRAP_TMP"
  mkdir -p "$BOOTSTRAP_TMP"
  local dir="$BOOTSTRAP_TMP/data"
  log "$POD_NAME: initializing a new data directory"
  mysqld --defaults-file="$MYSQLD_CNF" --datadir="$dir" --initialize-insecure >"$BOOTSTRAP_TMP/initialize.log" 2>&1 \
    || { cat "$BOOTSTRAP_TMP/initialize.log" >&2; die "mysqld --initialize-insecure failed"; }
  start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/init.log" --defaults-file="$MYSQLD_CNF" --datadir="$dir"
  mysql --defaults-file=<(client_cnf root '') --socket="$socket" <<<"ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "$MYSQL_ROOT_PASSWORD");" \
    || die "could not set root's password"
  apply_accounts
  if [ -f "$CDK8S_MYSQL_DIR/init.sql" ]; then
    log "$POD_NAME: running initSql"
    local_sql "$socket" <"$CDK8S_MYSQL_DIR/init.sql" || die "initSql failed (the data directory is discarded; fix initSql and the pod retries)"
  fi
  stop_temp_mysqld
  # The atomic step: from here on the pod has data.
  mv "$dir" "$DATA_DIR"
  rm -rf "$BOOTSTRAP_TMP"
  rm -f "$labelled_marker"
  log "$POD_NAME: initialized a new cluster; $self is its primary"
  label_own_claim
}

# --- replicas ------------------------------------------------------------------------------

# CHANGE REPLICATION SOURCE for the channel to the primary. With a new host the relay logs are
# discarded, which auto-positioning makes safe (the primary sends what was not applied).
point_at_primary() {
  local host_option=''
  [ "${1:-}" = new-host ] && host_option="SOURCE_HOST = '$primary_host', SOURCE_PORT = $MYSQL_PORT, SOURCE_AUTO_POSITION = 1,"
  local_sql "$socket" <<<"CHANGE REPLICATION SOURCE TO $host_option
  SOURCE_USER = '$REPLICATION_USER',
  SOURCE_PASSWORD = $(sql_string "$REPLICATION_PASSWORD"),
  SOURCE_SSL = 1,
  SOURCE_CONNECT_RETRY = 10,
  SOURCE_RETRY_COUNT = 0,
  SOURCE_HEARTBEAT_PERIOD = 5;" || die "could not configure replication from $primary_host"
}

clone_replica() {
  # Donors: the previous ordinal (spreads the load of scaling out), then the primary.
  local donors=() previous=$((ordinal - 1))
  if [ "$previous" -ge "$START_ORDINAL" ] && ! is_primary "$previous"; then
    donors+=("$(pod_host "$previous")")
  fi
  donors+=("$primary_host")
  rm -rf "$BOOTSTRAP_TMP"
  mkdir -p "$BOOTSTRAP_TMP"
  local clone_dir="$BOOTSTRAP_TMP/clone" recipient_dir="$BOOTSTRAP_TMP/recipient"
  log "$POD_NAME: empty data directory; cloning from ${donors[*]}"
  # A throw-away recipient instance runs CLONE INSTANCE; it needs its own (empty) data directory.
  mysqld --no-defaults --datadir="$recipient_dir" --initialize-insecure --innodb-buffer-pool-size=32M --innodb-redo-log-capacity=8M \
    >"$BOOTSTRAP_TMP/initialize.log" 2>&1 || { cat "$BOOTSTRAP_TMP/initialize.log" >&2; die "mysqld --initialize-insecure failed"; }
  start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/recipient.log" --no-defaults --datadir="$recipient_dir" --tmpdir="$DATA_ROOT/tmp" --secure-file-priv="$DATA_ROOT/files" \
    --plugin-load-add=mysql_clone.so --innodb-buffer-pool-size=32M --skip-log-bin
  # Members start together (podManagementPolicy Parallel): a donor may still be starting. The
  # previous member is waited for first, so replicas clone in order and spread the load.
  local cloned='' donor started=$SECONDS candidates
  while [ -z "$cloned" ]; do
    candidates=("${donors[@]}")
    if [ "${#donors[@]}" -gt 1 ] && [ $((SECONDS - started)) -lt "$PREVIOUS_DONOR_WAIT" ]; then candidates=("${donors[0]}"); fi
    for donor in "${candidates[@]}"; do
      if peer_sql "$donor" <<<"SELECT 1;" >/dev/null 2>&1; then
        log "$POD_NAME: CLONE INSTANCE FROM $donor"
        if mysql --defaults-file=<(client_cnf root '') --socket="$socket" <<SQL
SET GLOBAL clone_valid_donor_list = '$donor:$MYSQL_PORT';
CLONE INSTANCE FROM '$REPLICATION_USER'@'$donor':$MYSQL_PORT IDENTIFIED BY $(sql_string "$REPLICATION_PASSWORD")
  DATA DIRECTORY = '$clone_dir' REQUIRE SSL;
SQL
        then
          cloned=$donor
          break
        fi
        log "$POD_NAME: clone from $donor failed"
        rm -rf "$clone_dir"
      fi
    done
    [ -n "$cloned" ] && break
    [ $((SECONDS - started)) -lt "$DONOR_WAIT_TIMEOUT" ] || die "no donor could be cloned within ${DONOR_WAIT_TIMEOUT}s (${donors[*]}); the pod restarts and retries"
    log "$POD_NAME: waiting for a donor (${candidates[*]}) to answer"
    sleep "$DONOR_RETRY_INTERVAL"
  done
  stop_temp_mysqld

  # The cloned data, started without network or replication, is pointed at the primary. The
  # clone carries the donor's accounts, so root's password is the cluster's.
  start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/replica.log" --defaults-file="$MYSQLD_CNF" --datadir="$clone_dir"
  local_sql "$socket" <<<"RESET REPLICA ALL;" || die "could not reset the cloned replication configuration"
  point_at_primary new-host
  stop_temp_mysqld
  # The atomic step: from here on the pod has data, and mysqld starts replicating on its own.
  mv "$clone_dir" "$DATA_DIR"
  rm -rf "$BOOTSTRAP_TMP"
  rm -f "$labelled_marker"
  log "$POD_NAME: cloned from $cloned; replicating from $primary_host"
  label_own_claim
}

# A replica with data replicates from the primary the manifest names. When its channel points
# elsewhere (a failover happened, or this was the primary), it may follow the new primary only
# if that primary holds every transaction this member has: otherwise following would lose them.
reconcile_replica() {
  local current
  current=$(local_sql "$socket" <<<"SELECT HOST FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = '';")
  if [ "$current" = "$primary_host" ]; then
    point_at_primary   # refreshes the credentials from the Secret (password rotation)
    log "$POD_NAME: replicating from $primary_host"
    return
  fi
  local mine verdict
  mine=$(local_sql "$socket" <<<"SELECT $GTID_EXECUTED;") || die "could not read this member's GTID set"
  verdict=$(peer_sql "$primary_host" <<<"SELECT GTID_SUBSET($(sql_string "$mine"), $GTID_EXECUTED), REPLACE(GTID_SUBTRACT($(sql_string "$mine"), $GTID_EXECUTED), '\\n', '');") \
    || die "this member replicates from ${current:-nothing}, but the manifest names $primary_host as the primary, and $primary_host cannot be asked whether it holds this member's transactions; the pod restarts and retries"
  local errant=${verdict#*$'\t'}
  if [ "${verdict%%$'\t'*}" != 1 ]; then
    die "this member holds transactions that the primary $primary_host does not have ($errant).
Following $primary_host would lose them, so this member stays down. Either this member is the
most advanced one (then make it the primary: set primaryOrdinal: $ordinal), or its extra
transactions are to be discarded (then delete its data: kubectl -n $MYSQL_NAMESPACE delete pvc
data-$POD_NAME, then delete the pod, and it re-clones from $primary_host)"
  fi
  log "$POD_NAME: re-pointing replication from ${current:-nothing (this was a primary)} to $primary_host (it holds every transaction of this member)"
  local_sql "$socket" <<<"STOP REPLICA; RESET REPLICA ALL;" || die "could not reset replication"
  point_at_primary new-host
}

# Waits until this member has applied every transaction in the GTID set $1.
wait_applied() {
  local deadline=$((SECONDS + CATCH_UP_TIMEOUT))
  local applied
  until applied=$(local_sql "$socket" <<<"SELECT GTID_SUBSET($(sql_string "$1"), $GTID_EXECUTED);") && [ "$applied" = 1 ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "could not apply $1 within ${CATCH_UP_TIMEOUT}s; nothing was changed, the pod restarts and retries"
    sleep "$POLL_INTERVAL"
  done
}

# The manifest names this member the primary, but it replicates from $1: the failover that
# primaryOrdinal asks for. It promotes itself only when that loses nothing and forks nothing.
promote() {
  local source=$1 state errors read_only super_read_only source_gtids received mine peer host peer_gtids
  log "$POD_NAME: the manifest names this member the primary; it replicates from $source: promoting"
  errors="$BOOTSTRAP_TMP/source.err"
  if state=$(peer_sql "$source" <<<"SELECT @@GLOBAL.read_only, @@GLOBAL.super_read_only, $GTID_EXECUTED;" 2>"$errors"); then
    read -r read_only super_read_only source_gtids <<<"$state"
    # Only a source that provably takes no writes (even from root) may be followed by a promotion.
    if [ "$read_only" != 1 ] || [ "$super_read_only" != 1 ]; then
      die "the old primary $source still accepts writes (read_only=$read_only, super_read_only=$super_read_only). Stop writes on it first (on $source: SET GLOBAL super_read_only = ON;), then this pod promotes on its next start. Nothing was changed"
    fi
    # Fetch and apply everything the old primary has.
    log "$POD_NAME: catching up with $source ($source_gtids)"
    local_sql "$socket" <<<"START REPLICA;" || die "could not start replication to catch up with $source"
    wait_applied "$source_gtids"
  elif state=$(<"$errors") && unreachable "$state"; then
    log "$POD_NAME: WARNING: the old source $source cannot be reached ($state); promoting with every transaction this member received from it"
    received=$(local_sql "$socket" <<<"SELECT REPLACE(RECEIVED_TRANSACTION_SET, '\\n', '') FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = '';") \
      || die "could not read the transactions received from $source"
    local_sql "$socket" <<<"START REPLICA SQL_THREAD;" || die "could not apply the relay log"
    wait_applied "$received"
  else
    # It answered, but not as asked (too many connections, access denied): it may be taking writes.
    die "the old primary $source answered with an error, so whether it still accepts writes is unknown: $state. Nothing was changed; the pod restarts and retries"
  fi
  local_sql "$socket" <<<"STOP REPLICA;" || die "could not stop replication"
  mine=$(local_sql "$socket" <<<"SELECT $GTID_EXECUTED;") || die "could not read this member's GTID set"
  # No other member may be ahead: promoting a member that lacks transactions would lose them.
  for ((peer = START_ORDINAL; peer < START_ORDINAL + REPLICAS; peer++)); do
    [ "$peer" -eq "$ordinal" ] && continue
    host=$(pod_host "$peer")
    [ "$host" = "$source" ] && continue
    if ! peer_gtids=$(peer_sql "$host" <<<"SELECT $GTID_EXECUTED;" 2>&1); then
      unreachable "$peer_gtids" || die "$host answered with an error, so whether it is ahead of this member is unknown: $peer_gtids. Nothing was changed; the pod restarts and retries"
      log "$POD_NAME: $host cannot be reached (it is checked when it follows this member)"
      continue
    fi
    local ahead
    ahead=$(local_sql "$socket" <<<"SELECT GTID_SUBSET($(sql_string "$peer_gtids"), $(sql_string "$mine"));") || die "could not compare GTID sets"
    if [ "$ahead" != 1 ]; then
      die "$host has transactions this member lacks ($(local_sql "$socket" <<<"SELECT REPLACE(GTID_SUBTRACT($(sql_string "$peer_gtids"), $(sql_string "$mine")), '\\n', '');" || true)). Promoting this member would lose them: make $host the primary instead (primaryOrdinal), or wait until this member has them. Nothing was changed"
    fi
  done
  local_sql "$socket" <<<"RESET REPLICA ALL;" || die "could not reset replication"
  log "$POD_NAME: promoted: no longer replicating from $source ($mine)"
}

reconcile() {
  rm -rf "$BOOTSTRAP_TMP"
  mkdir -p "$BOOTSTRAP_TMP"
  start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/reconcile.log" --defaults-file="$MYSQLD_CNF"
  if is_primary "$ordinal"; then
    local current
    current=$(local_sql "$socket" <<<"SELECT HOST FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = '';")
    [ -z "$current" ] || promote "$current"
    apply_accounts
    log "$POD_NAME: primary; accounts and database as the manifest asks"
  else
    reconcile_replica
  fi
  stop_temp_mysqld
  rm -rf "$BOOTSTRAP_TMP"
  label_own_claim
}

# --- main ----------------------------------------------------------------------------------

if [ -d "$DATA_DIR" ] && [ -z "$(ls -A "$DATA_DIR")" ]; then
  rmdir "$DATA_DIR"
fi
if [ -d "$DATA_DIR" ]; then
  [ -f "$DATA_DIR/mysql.ibd" ] || die "$DATA_DIR is not empty but holds no MySQL data directory (no mysql.ibd); move it aside and restart the pod"
  reconcile
elif is_primary "$ordinal"; then
  initialize_primary
else
  clone_replica
fi
