# shellcheck shell=bash
# Shared helpers of the scripts that run in ReplicatedMySql pods. Sourced, never executed.
# Every path and tunable has a default for the pod and can be overridden by tests.

: "${CDK8S_MYSQL_DIR:=/etc/cdk8s-mysql}"       # the ConfigMap: these scripts and the .cnf parts
: "${CONF_DIR:=/etc/mysql/conf.d}"             # emptyDir: this pod's generated mysqld.cnf
: "${MYSQLD_CNF:=$CONF_DIR/mysqld.cnf}"        # what mysqld runs with (--defaults-file)
: "${DATA_ROOT:=/var/lib/mysql}"               # the PVC mount
: "${DATA_DIR:=$DATA_ROOT/data}"               # the data directory (a sub-directory: a fresh disk has lost+found)
: "${BOOTSTRAP_TMP:=$DATA_ROOT/.bootstrap}"    # scratch space of the bootstrap, on the PVC (renames are atomic)
: "${MYSQL_SOCKET:=/var/run/mysqld/mysqld.sock}"
: "${MYSQL_PORT:=3306}"
: "${CLUSTER_DOMAIN:=cluster.local}"
: "${START_ORDINAL:=0}"
: "${PRIMARY_ORDINAL:=0}"
: "${SERVER_ID_BASE:=100}"
: "${MYSQLD_START_TIMEOUT:=900}"               # seconds a temporary mysqld may take to start (crash recovery)
: "${POLL_INTERVAL:=1}"
: "${SA_DIR:=/var/run/secrets/kubernetes.io/serviceaccount}"

log() {
  printf '%s: %s\n' "${0##*/}" "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

# The pod's ordinal, from its name (<statefulset>-<ordinal>).
pod_ordinal() {
  local name=${POD_NAME:?POD_NAME is not set}
  local ordinal=${name##*-}
  [[ $ordinal =~ ^[0-9]+$ ]] || die "cannot read an ordinal from pod name '$name'"
  printf '%d\n' "$((10#$ordinal))"
}

# Stable DNS name of pod <ordinal> through the headless Service.
pod_host() {
  printf '%s-%s.%s.%s.svc.%s\n' "${MYSQL_SET_NAME:?}" "$1" "${MYSQL_SERVICE:?}" "${MYSQL_NAMESPACE:?}" "$CLUSTER_DOMAIN"
}

is_primary() {
  [ "$1" -eq "$PRIMARY_ORDINAL" ]
}

# A SQL string literal: backslashes and single quotes escaped.
sql_string() {
  local s=${1//\\/\\\\}
  s=${s//\'/\'\'}
  printf "'%s'" "$s"
}

# A SQL identifier (database names are checked by the construct: letters, digits, "_").
sql_ident() {
  # shellcheck disable=SC2016 # the backquotes are SQL's identifier quotes, not a command
  printf '`%s`' "${1//\`/\`\`}"
}

# A [client] option file body with one user's credentials (for --defaults-file=<(...)),
# so passwords never appear on a command line. --defaults-file (not -extra-) ignores the
# image's global option files, so the scripts behave the same in every image.
client_cnf() {
  local password=${2//\\/\\\\}
  password=${password//\"/\\\"}
  printf '[client]\nuser="%s"\npassword="%s"\n' "$1" "$password"
}

# mysql as root over a socket: local_sql SOCKET [mysql options...] <<<SQL
local_sql() {
  local socket=$1
  shift
  mysql --defaults-file=<(client_cnf root "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD is not set}") \
    --socket="$socket" --batch --skip-column-names "$@"
}

# mysql on a peer as the replication user, over TLS: peer_sql HOST <<<SQL; prints result rows.
peer_sql() {
  mysql --defaults-file=<(client_cnf "${REPLICATION_USER:?}" "${REPLICATION_PASSWORD:?}") \
    --host="$1" --port="$MYSQL_PORT" --ssl-mode=REQUIRED --connect-timeout=5 --batch --skip-column-names
}

# GTID sets in SQL, on one line: mysql --batch prints the newlines MySQL puts between server
# UUIDs as a literal "\n", which no GTID function accepts back.
# shellcheck disable=SC2034 # used by the scripts that source this file
GTID_EXECUTED="REPLACE(@@GLOBAL.gtid_executed, '\\n', '')"

# Tells a peer that is down or unknown (client errors 2002, 2003, 2005) from one that answered
# with an error: only the first may be treated as "cannot be reached".
unreachable() {
  grep -qE '^ERROR (2002|2003|2005) ' <<<"$1"
}

# Starts a temporary mysqld in the background and waits until it answers on its socket.
# start_temp_mysqld SOCKET LOGFILE [mysqld options...]; the first options may be
# --defaults-file=... (it must come first). Sets TEMP_MYSQLD_PID.
# A temporary server never listens on the network, never starts replication, and leaves the
# buffer pool dump of the real server alone.
start_temp_mysqld() {
  local socket=$1 logfile=$2
  shift 2
  mysqld "$@" --socket="$socket" --pid-file="$socket.pid" --skip-networking --mysqlx=OFF --skip-replica-start \
    --innodb-buffer-pool-dump-at-shutdown=OFF --innodb-buffer-pool-load-at-startup=OFF >"$logfile" 2>&1 &
  TEMP_MYSQLD_PID=$!
  local deadline=$((SECONDS + MYSQLD_START_TIMEOUT))
  until mysqladmin --no-defaults --socket="$socket" --connect-timeout=2 ping >/dev/null 2>&1; do
    if ! kill -0 "$TEMP_MYSQLD_PID" 2>/dev/null; then
      cat "$logfile" >&2 || true
      TEMP_MYSQLD_PID=
      die "temporary mysqld ($*) exited before it was ready"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      cat "$logfile" >&2 || true
      die "temporary mysqld did not start within ${MYSQLD_START_TIMEOUT}s"
    fi
    sleep "$POLL_INTERVAL"
  done
}

# Stops the temporary mysqld cleanly (SIGTERM is a normal shutdown) and waits for it.
stop_temp_mysqld() {
  if [ -n "${TEMP_MYSQLD_PID:-}" ]; then
    kill -TERM "$TEMP_MYSQLD_PID" 2>/dev/null || true
    wait "$TEMP_MYSQLD_PID" 2>/dev/null || true
    TEMP_MYSQLD_PID=
  fi
}
