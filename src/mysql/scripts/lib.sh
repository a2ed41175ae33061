# shellcheck shell=bash
# Shared helpers of the scripts that run in ReplicatedMySql pods. Sourced, never executed.
# Every path and tunable has a default for the pod and can be overridden by tests.

: "${CDK8S_MYSQL_DIR:=/etc/cdk8s-mysql}"       # the ConfigMap: these scripts and the .cnf files
: "${CONF_DIR:=/etc/mysql/conf.d}"             # emptyDir the mysql image's my.cnf includes
: "${INITDB_DIR:=/docker-entrypoint-initdb.d}" # emptyDir the image's entrypoint runs once, on first init
: "${DATA_ROOT:=/var/lib/mysql}"               # the PVC mount
: "${DATA_DIR:=$DATA_ROOT/data}"               # the data directory (a sub-directory: a fresh disk has lost+found)
: "${BOOTSTRAP_TMP:=$DATA_ROOT/.bootstrap}"    # scratch space of the replica bootstrap, on the PVC
: "${MYSQL_SOCKET:=/var/run/mysqld/mysqld.sock}"
: "${MYSQL_PORT:=3306}"
: "${CLUSTER_DOMAIN:=cluster.local}"
: "${START_ORDINAL:=0}"
: "${PRIMARY_ORDINAL:=0}"
: "${SERVER_ID_BASE:=100}"
: "${MYSQLD_START_TIMEOUT:=900}"               # seconds a temporary mysqld may take to start (crash recovery)
: "${POLL_INTERVAL:=1}"

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

# A [client] option file body with one user's credentials (for --defaults-extra-file=<(...)),
# so passwords never appear on a command line.
client_cnf() {
  local password=${2//\\/\\\\}
  password=${password//\"/\\\"}
  printf '[client]\nuser="%s"\npassword="%s"\n' "$1" "$password"
}

# Starts a temporary mysqld with the given options in the background and waits until it
# answers on its socket. Sets TEMP_MYSQLD_PID. The server log goes to $2.
start_temp_mysqld() {
  local socket=$1 logfile=$2
  shift 2
  mysqld "$@" --socket="$socket" --pid-file="$socket.pid" --skip-networking --mysqlx=OFF >"$logfile" 2>&1 &
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
