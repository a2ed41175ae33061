#!/usr/bin/env bash
# Init container 2 of ReplicatedMySql: makes sure mysqld starts on the right data.
#
#   data directory present  -> nothing to do (every restart after the first start).
#   primary, no data        -> refuse if a replica already holds data (the primary's volume was
#                              lost: initializing an empty primary would fork the cluster);
#                              otherwise let the image's entrypoint initialize it.
#   replica, no data        -> CLONE a peer into a scratch directory, point replication at the
#                              primary (GTID auto-position), then rename it into place.
#
# The clone goes to a separate DATA DIRECTORY, so mysqld never needs the restart a local clone
# does, and the final rename is atomic: if the container dies at any step, the next run starts
# the bootstrap again from scratch, and a half-cloned directory is never mistaken for data.
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

: "${REPLICAS:?REPLICAS is not set}"
: "${REPLICATION_USER:?REPLICATION_USER is not set}"
: "${REPLICATION_PASSWORD:?REPLICATION_PASSWORD is not set}"

ordinal=$(pod_ordinal)
primary_host=$(pod_host "$PRIMARY_ORDINAL")
clone_dir="$BOOTSTRAP_TMP/clone"
recipient_dir="$BOOTSTRAP_TMP/recipient"
socket="$BOOTSTRAP_TMP/mysqld.sock"
trap stop_temp_mysqld EXIT

if [ -d "$DATA_DIR/mysql" ]; then
  log "$POD_NAME: data directory $DATA_DIR is initialized; nothing to do"
  exit 0
fi
if [ -d "$DATA_DIR" ] && [ -n "$(ls -A "$DATA_DIR")" ]; then
  die "$DATA_DIR is not empty but holds no MySQL data directory (no mysql/ inside); move it aside and restart the pod"
fi

# SQL on a peer as the replication user, over TLS; prints the result rows.
peer_query() {
  mysql --defaults-extra-file=<(client_cnf "$REPLICATION_USER" "$REPLICATION_PASSWORD") \
    --host="$1" --port="$MYSQL_PORT" --ssl-mode=REQUIRED --connect-timeout=5 --batch --skip-column-names <<<"$2"
}

# SQL on the temporary server as root over its socket.
local_sql() {
  mysql --defaults-extra-file=<(client_cnf root "$1") --socket="$socket" <<<"$2"
}

if is_primary "$ordinal"; then
  last=$((START_ORDINAL + REPLICAS - 1))
  for ((peer = START_ORDINAL; peer <= last; peer++)); do
    is_primary "$peer" && continue
    host=$(pod_host "$peer")
    if gtids=$(peer_query "$host" 'SELECT @@GLOBAL.gtid_executed;' 2>/dev/null) && [ -n "$gtids" ]; then
      die "the primary's data directory is empty, but $host has data (gtid_executed $gtids).
Initializing an empty primary would fork the cluster. If the primary's volume was lost, promote
a replica (README: 'Promoting a replica'), then restart this pod to re-clone it as a replica."
    fi
  done
  log "$POD_NAME: primary with an empty data directory; the mysql entrypoint initializes it"
  exit 0
fi

# Donors: the previous ordinal (spreads the load of scaling out), then the primary.
donors=()
previous=$((ordinal - 1))
if [ "$previous" -ge "$START_ORDINAL" ] && ! is_primary "$previous"; then
  donors+=("$(pod_host "$previous")")
fi
donors+=("$primary_host")

rm -rf "$BOOTSTRAP_TMP"
mkdir -p "$BOOTSTRAP_TMP"
log "$POD_NAME: empty data directory; cloning from ${donors[*]}"

# A throw-away recipient instance runs CLONE INSTANCE; it needs its own (empty) data directory.
mysqld --initialize-insecure --datadir="$recipient_dir" --log-error-verbosity=1 >"$BOOTSTRAP_TMP/initialize.log" 2>&1 \
  || { cat "$BOOTSTRAP_TMP/initialize.log" >&2; die "mysqld --initialize-insecure failed"; }
start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/recipient.log" --datadir="$recipient_dir" --skip-log-bin \
  --super-read-only=OFF --read-only=OFF
cloned=
for donor in "${donors[@]}"; do
  log "$POD_NAME: CLONE INSTANCE FROM $donor"
  if mysql --no-defaults --user=root --socket="$socket" <<SQL
SET GLOBAL clone_valid_donor_list = '$donor:$MYSQL_PORT';
CLONE INSTANCE FROM '$REPLICATION_USER'@'$donor':$MYSQL_PORT IDENTIFIED BY $(sql_string "$REPLICATION_PASSWORD")
  DATA DIRECTORY = '$clone_dir' REQUIRE SSL;
SQL
  then
    cloned=$donor
    break
  fi
  log "$POD_NAME: clone from $donor failed; trying the next donor"
  rm -rf "$clone_dir"
done
stop_temp_mysqld
[ -n "$cloned" ] || die "no donor could be cloned (${donors[*]}); the pod restarts and retries"

# Start the cloned data without replication or network, point it at the primary, stop it.
# The clone carries the donor's accounts, so root's password is the cluster's.
start_temp_mysqld "$socket" "$BOOTSTRAP_TMP/replica.log" --datadir="$clone_dir" --skip-replica-start
local_sql "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD is not set}" "RESET REPLICA ALL;
CHANGE REPLICATION SOURCE TO
  SOURCE_HOST = '$primary_host',
  SOURCE_PORT = $MYSQL_PORT,
  SOURCE_USER = '$REPLICATION_USER',
  SOURCE_PASSWORD = $(sql_string "$REPLICATION_PASSWORD"),
  SOURCE_AUTO_POSITION = 1,
  SOURCE_SSL = 1,
  GET_SOURCE_PUBLIC_KEY = 1,
  SOURCE_CONNECT_RETRY = 10,
  SOURCE_RETRY_COUNT = 0;" || die "could not configure replication on the cloned data"
stop_temp_mysqld

# The atomic step: from here on the pod has data, and mysqld starts replicating on its own.
if [ -d "$DATA_DIR" ]; then rmdir "$DATA_DIR"; fi
mv "$clone_dir" "$DATA_DIR"
rm -rf "$BOOTSTRAP_TMP"
log "$POD_NAME: cloned from $cloned; replicating from $primary_host"
