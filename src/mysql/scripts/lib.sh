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
: "${RUN_DIR:=${MYSQL_SOCKET%/*}}"             # emptyDir shared by mysqld, the agent and the probes
: "${AGENT_STATE:=$RUN_DIR/agent.state}"       # the agent's verdict, read by the readiness probe
: "${HAND_OVER_REPORT:=$RUN_DIR/hand-over}"    # a group member's agent, stopping, is done (the preStop waits for it)
: "${CREDENTIALS_DIR:=/etc/mysql/credentials}" # the credentials Secret, one file per password
: "${TLS_DIR:=/etc/mysql/tls}"                 # ca.crt, tls.crt, tls.key when the cluster has a tls choice
: "${MYSQL_TLS:=self-signed}"                  # verify | serve (the cluster's certificate, not checked yet) | self-signed
: "${MYSQL_PORT:=3306}"
: "${CLUSTER_DOMAIN:=cluster.local}"
: "${START_ORDINAL:=0}"
: "${PRIMARY_ORDINAL:=0}"
: "${REPLICAS:=1}"
: "${REPLICATION_MODE:=async}"                # async | group
: "${SERVER_ID_BASE:=100}"
: "${MYSQLD_START_TIMEOUT:=900}"               # seconds a temporary mysqld may take to start (crash recovery)
: "${POLL_INTERVAL:=1}"
: "${SA_DIR:=/var/run/secrets/kubernetes.io/serviceaccount}"
: "${PEER_TIMEOUT:=10}"                        # seconds one query to a peer may take, connection included
: "${PEER_ATTEMPTS:=6}"                        # a member that holds data counts as down only after this many
: "${PEER_RETRY_INTERVAL:=5}"                  # ... unanswered attempts this many seconds apart, and a pod that is not Ready

PRIMARY_ANNOTATION=mysql.cdk8s-stateful.io/primary-ordinal
# shellcheck disable=SC2034 # used by agent.sh
ROLE_LABEL=mysql.cdk8s-stateful.io/role
# shellcheck disable=SC2034 # used by group.sh
LOST_ANNOTATION=mysql.cdk8s-stateful.io/lost-members
EVIDENCE_VALUE=holds-data
# The session settings every script connection uses, whatever the server's global sql_mode says:
# the scripts quote strings with backslash escapes (sql_string), which NO_BACKSLASH_ESCAPES or
# ANSI_QUOTES would change.
SESSION_SQL_MODE=STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION

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

# The ordinals of the members the manifest declares.
member_ordinals() {
  seq "$START_ORDINAL" "$((START_ORDINAL + (REPLICAS > 0 ? REPLICAS : 1) - 1))"
}

# A password from the credentials volume (one file per key, mounted from the Secret). A trailing
# newline, as `kubectl create secret --from-file` leaves it, is dropped; any other control
# character is refused with the key's name, never its value.
secret() {
  local file="$CREDENTIALS_DIR/$1" value
  [ -r "$file" ] || die "no readable $1 in $CREDENTIALS_DIR: the credentials Secret lacks that key (docs/mysql.md: Credentials)"
  value=$(<"$file")
  [ -n "$value" ] || die "$1 in the credentials Secret is empty"
  if [[ $value == *[[:cntrl:]]* ]]; then
    die "$1 in the credentials Secret contains a control character (a newline inside it, a carriage return or a tab), which a MySQL password here cannot hold; write it again without one, e.g. kubectl create secret generic ... --from-literal=$1='...'"
  fi
  printf '%s' "$value"
}

# A SQL string literal: backslashes and single quotes escaped (the session's sql_mode makes
# backslashes escapes, see client_cnf).
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

# A [client] option file body with one user's credentials (for --defaults-file=<(...)), so
# passwords never appear on a command line: client_cnf USER PASSWORD [server-sql-mode].
# --defaults-file (not -extra-) ignores the image's global option files, so the scripts behave
# the same in every image. The session's sql_mode is fixed, so the scripts' SQL parses the same
# whatever the server's global sql_mode is -- except for the user's own SQL (server-sql-mode).
client_cnf() {
  local password=${2//\\/\\\\}
  password=${password//\"/\\\"}
  printf '[client]\nuser="%s"\npassword="%s"\n' "$1" "$password"
  [ "${3:-}" = server-sql-mode ] || printf 'init-command="SET SESSION sql_mode = '\''%s'\''"\n' "$SESSION_SQL_MODE"
}

# join_gtid_sets SET SET: the union of two GTID sets as text (either may be empty).
join_gtid_sets() {
  if [ -n "$1" ] && [ -n "$2" ]; then printf '%s,%s\n' "$1" "$2"; else printf '%s\n' "$1$2"; fi
}

# mysql as root over a socket: local_sql SOCKET [mysql options...] <<<SQL
local_sql() {
  local socket=$1 password
  shift
  password=$(secret root-password) || exit 1
  mysql --defaults-file=<(client_cnf root "$password") --socket="$socket" --batch --skip-column-names "$@"
}

tls_verified() {
  [ "$MYSQL_TLS" = verify ]
}

# How this member connects to its peers: the server's identity verified against the cluster's
# CA when the cluster has a tls choice; otherwise encrypted, but anyone can answer (docs/mysql.md: TLS).
peer_ssl_options() {
  if tls_verified; then
    printf '%s\n' --ssl-mode=VERIFY_IDENTITY "--ssl-ca=$TLS_DIR/ca.crt"
  else
    printf '%s\n' --ssl-mode=REQUIRED
  fi
}

# peer_query HOST SQL: the SQL on a peer as the replication user (or PEER_USER, whose password is the
# credentials file PEER_PASSWORD_FILE), within PEER_TIMEOUT seconds. Sets PEER_OUT (the rows) and
# PEER_ERR, and returns 0 when it answered, 1 when it did not (down, unknown name, no route, timed
# out: it may be dead), 2 when it answered with an error (it is alive: access denied, too many
# connections, ...).
peer_query() {
  local err password options
  password=$(secret "${PEER_PASSWORD_FILE:-replication-password}") || exit 1
  mapfile -t options < <(peer_ssl_options)
  err=$(mktemp)
  if PEER_OUT=$(timeout "$PEER_TIMEOUT" mysql --defaults-file=<(client_cnf "${PEER_USER:-${REPLICATION_USER:?}}" "$password") \
    --host="$1" --port="$MYSQL_PORT" "${options[@]}" --connect-timeout=3 --batch --skip-column-names <<<"$2" 2>"$err"); then
    PEER_ERR=''
    rm -f "$err"
    return 0
  fi
  PEER_ERR=$(grep -v 'Using a password' "$err" | head -n 3 | tr '\n' ' ' | sed 's/ $//')
  rm -f "$err"
  [ -n "$PEER_ERR" ] || PEER_ERR="no answer within ${PEER_TIMEOUT}s"
  if grep -qE '^ERROR (2002|2003|2005|2013)|no answer within' <<<"$PEER_ERR"; then return 1; fi
  return 2
}

# GTID sets in SQL, on one line: mysql --batch prints the newlines MySQL puts between server
# UUIDs as a literal "\n", which no GTID function accepts back.
# shellcheck disable=SC2034 # used by the scripts that source this file
GTID_EXECUTED="REPLACE(@@GLOBAL.gtid_executed, '\\n', '')"
# shellcheck disable=SC2034
GTID_RECEIVED="IFNULL((SELECT REPLACE(RECEIVED_TRANSACTION_SET, '\\n', '') FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = ''), '')"
# What a member tells its peers: read_only|super_read_only|executed|received ("|": a GTID set
# may be empty, and tabs would collapse in `read`).
MEMBER_STATE_SQL="SELECT CONCAT_WS('|', @@GLOBAL.read_only, @@GLOBAL.super_read_only, $GTID_EXECUTED, $GTID_RECEIVED);"

# A GTID set union in SQL text: gtid_union SQL_EXPR SQL_EXPR (either may be empty).
gtid_union() {
  printf "TRIM(BOTH ',' FROM CONCAT(%s, ',', %s))" "$1" "$2"
}

# with_timeout SECONDS COMMAND...: COMMAND (a function too), killed after SECONDS (status 143 then).
with_timeout() {
  local seconds=$1 pid killer rc
  shift
  # (<&0: a command sent to the background would read /dev/null, not the caller's input)
  "$@" <&0 &
  pid=$!
  (sleep "$seconds" && kill "$pid") >/dev/null 2>&1 &
  killer=$!
  wait "$pid"
  rc=$?
  kill "$killer" 2>/dev/null
  return "$rc"
}

# --- the API server -------------------------------------------------------------------------

# api_request METHOD PATH [BODY]: a request with the pod's projected token, within API_MAX_TIME
# seconds. Sets API_STATUS (the HTTP status) and API_BODY; returns 1 only when the API server could
# not be reached. The User-Agent is not curl's: the API server pretty-prints JSON for a client whose
# User-Agent starts with "curl", and the scripts read the answers one line at a time.
api_request() {
  local host=${KUBERNETES_SERVICE_HOST:-}
  API_STATUS=0 API_BODY=''
  [ -n "$host" ] || { log "KUBERNETES_SERVICE_HOST is not set: cannot reach the API server"; return 1; }
  [[ $host == *:* ]] && host="[$host]"
  [ -r "$SA_DIR/token" ] || { log "no service account token at $SA_DIR: cannot reach the API server"; return 1; }
  local response args=(--silent --show-error --max-time "${API_MAX_TIME:-10}" --user-agent cdk8s-stateful-mysql --cacert "$SA_DIR/ca.crt" -X "$1" --write-out '\n%{http_code}')
  # The token and the body are read from pipes, never put on a command line (/proc/<pid>/cmdline).
  [ -n "${3:-}" ] && args+=(--header 'Content-Type: application/merge-patch+json' --data-binary @-)
  response=$(printf '%s' "${3:-}" | curl "${args[@]}" --header @<(printf 'Authorization: Bearer %s\n' "$(<"$SA_DIR/token")") \
    "https://$host:${KUBERNETES_SERVICE_PORT:-443}$2" 2>&1) || { log "cannot reach the API server at $host: $(grep -m 1 '^curl: ' <<<"$response" || tail -n 1 <<<"$response")"; return 1; }
  API_STATUS=${response##*$'\n'}
  API_BODY=${response%$'\n'*}
}

# GET of one object (api_path RESOURCE NAME): 0 with its body in API_BODY; otherwise logs why -- MESSAGE when
# it does not exist, the API server's answer else -- and fails.
api_get() {
  api_request GET "$(api_path "$1" "$2")" || return 1
  case "$API_STATUS" in
    200) return 0 ;;
    404) log "$3" ;;
    *) api_explain ;;
  esac
  return 1
}

# Explains an API answer that was not the one expected (after api_request).
api_explain() {
  case "$API_STATUS" in
    401) log "the API server rejected the pod's service account token (HTTP 401)" ;;
    403) log "the API server refused: $(grep -oE '"message":"([^"\\]|\\.)*"' <<<"$API_BODY" | head -n 1). The Role and RoleBinding '${API_ROLE:-$MYSQL_SET_NAME-member}' (emitted by ReplicatedMySql) must exist for service account '${SERVICE_ACCOUNT:-default}'" ;;
    *) log "the API server answered HTTP $API_STATUS: $(head -c 300 <<<"$API_BODY")" ;;
  esac
}

api_path() {
  case "$1" in
    statefulsets) printf '/apis/apps/v1/namespaces/%s/statefulsets/%s' "$MYSQL_NAMESPACE" "$2" ;;
    *) printf '/api/v1/namespaces/%s/%s/%s' "$MYSQL_NAMESPACE" "$1" "$2" ;;
  esac
}

# The ordinal the StatefulSet names the primary now (its annotation), asked of the API server:
# the manifest as applied, not this pod's template, which may be an older revision (a pod
# re-created below a rollout's partition). Fails when it cannot be known.
manifest_primary() {
  api_request GET "$(api_path statefulsets "$MYSQL_SET_NAME")" || return 1
  [ "$API_STATUS" = 200 ] || { api_explain; return 1; }
  local found
  # (Inside last-applied-configuration the same key is escaped, \"...\", and does not match.)
  found=$(grep -oE "\"${PRIMARY_ANNOTATION//./\\.}\" *: *\"[0-9]+\"" <<<"$API_BODY" | head -n 1) || true
  [ -n "$found" ] || { log "the StatefulSet $MYSQL_SET_NAME has no annotation $PRIMARY_ANNOTATION"; return 1; }
  found=${found%\"}
  printf '%d\n' "$((10#${found##*\"}))"
}

# Of the pod in API_BODY (after api_request GET of a pod): whether it is Ready, whether it is being deleted.
pod_body_ready() {
  grep -qE '"type" *: *"Ready"[^}]*"status" *: *"True"' <<<"$API_BODY"
}
pod_body_deleting() {
  grep -q '"deletionTimestamp"' <<<"$API_BODY"
}

# This member's role while it is ONLINE in its group (nothing otherwise), asked within 5 s; fails when
# mysqld does not answer.
group_self_role() {
  with_timeout 5 local_sql "$MYSQL_SOCKET" --connect-timeout=3 <<<"SELECT MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid AND MEMBER_STATE = 'ONLINE';"
}

# member_pod ORDINAL: absent | ready | not-ready | unknown (the API server did not say).
member_pod() {
  if ! api_request GET "$(api_path pods "$MYSQL_SET_NAME-$1")"; then
    echo unknown
    return
  fi
  case "$API_STATUS" in
    404) echo absent ;;
    200) if pod_body_ready; then echo ready; else echo not-ready; fi ;;
    *) api_explain; echo unknown ;;
  esac
}

# The evidence that a member holds data: an entry <pod>: holds-data in the ConfigMap
# <name>-members, written by each member once it holds data and restored on every start. It
# outlives the pods; it counts while the member's claim exists (deleting a claim discards its
# data, and with it its evidence).
EVIDENCE_CONFIGMAP="${MYSQL_SET_NAME:-mysql}-members"

# Ordinals with an evidence entry, one per line (fails when the API server does not tell).
evidence_entries() {
  api_get configmaps "$EVIDENCE_CONFIGMAP" \
    "the ConfigMap $EVIDENCE_CONFIGMAP does not exist: it is part of the manifests (apply them all); without it no member can tell whether the cluster holds data" || return 1
  { grep -oE "\"${MYSQL_SET_NAME}-[0-9]+\" *: *\"$EVIDENCE_VALUE\"" <<<"$API_BODY" || true; } | sed -E 's/^"[^"]*-([0-9]+)".*/\1/' | sort -nu
}

# Ordinals of the OTHER members that hold data: an evidence entry and a claim that still exists.
members_with_data() {
  local entries ordinal
  entries=$(evidence_entries) || return 1
  for ordinal in $entries; do
    [ "$ordinal" = "${SELF_ORDINAL:?}" ] && continue
    api_request GET "$(api_path persistentvolumeclaims "data-$MYSQL_SET_NAME-$ordinal")" || return 1
    case "$API_STATUS" in
      200) echo "$ordinal" ;;
      404) log "member $ordinal has an evidence entry, but its claim data-$MYSQL_SET_NAME-$ordinal no longer exists: its data is gone" ;;
      *) api_explain; return 1 ;;
    esac
  done
}

# Records (or restores) this member's evidence entry; logs when it had to be restored.
record_evidence() {
  local entries
  entries=$(evidence_entries) || return 1
  grep -qx "${SELF_ORDINAL:?}" <<<"$entries" && return 0
  api_request PATCH "$(api_path configmaps "$EVIDENCE_CONFIGMAP")" "{\"data\":{\"$POD_NAME\":\"$EVIDENCE_VALUE\"}}" || return 1
  [ "$API_STATUS" = 200 ] || { api_explain; return 1; }
  log "$POD_NAME: recorded in ConfigMap $EVIDENCE_CONFIGMAP that this member holds data"
}

# --- the other members ----------------------------------------------------------------------

# check_member ORDINAL [ATTEMPTS]: what member ORDINAL is. Sets MEMBER_STATE to
#   answered  MEMBER_ROW holds its read_only|super_read_only|executed|received
#   down      it did not answer ATTEMPTS times, PEER_RETRY_INTERVAL seconds apart, and its pod is
#             not Ready (or it has no pod): nothing can be running there
#   unknown   it answered with an error, or its pod is Ready (or the API server cannot tell)
#             although it does not answer: whether it is ahead or writable cannot be known
# and MEMBER_WHY to a sentence for the log.
# shellcheck disable=SC2034 # MEMBER_* are read by the scripts that source this file
check_member() {
  local ordinal=$1 attempts=${2:-$PEER_ATTEMPTS} host pod=unknown i rc
  host=$(pod_host "$ordinal")
  MEMBER_ROW='' MEMBER_WHY=''
  for ((i = 1; i <= attempts; i++)); do
    rc=0
    peer_query "$host" "$MEMBER_STATE_SQL" || rc=$?
    if [ "$rc" = 0 ]; then
      MEMBER_STATE=answered MEMBER_ROW=$PEER_OUT
      return 0
    fi
    if [ "$rc" = 2 ]; then
      MEMBER_STATE=unknown MEMBER_WHY="$host answered with an error ($PEER_ERR)"
      return 0
    fi
    pod=$(member_pod "$ordinal")
    if [ "$pod" = absent ]; then
      MEMBER_STATE=down MEMBER_WHY="$host does not answer ($PEER_ERR) and pod $MYSQL_SET_NAME-$ordinal does not exist"
      return 0
    fi
    [ "$i" -lt "$attempts" ] && sleep "$PEER_RETRY_INTERVAL"
  done
  case "$pod" in
    not-ready) MEMBER_STATE=down MEMBER_WHY="$host did not answer $attempts times over $(((attempts - 1) * PEER_RETRY_INTERVAL))s ($PEER_ERR) and pod $MYSQL_SET_NAME-$ordinal is not Ready" ;;
    ready) MEMBER_STATE=unknown MEMBER_WHY="$host does not answer ($PEER_ERR), yet pod $MYSQL_SET_NAME-$ordinal is Ready" ;;
    *) MEMBER_STATE=unknown MEMBER_WHY="$host does not answer ($PEER_ERR) and the API server cannot say whether pod $MYSQL_SET_NAME-$ordinal runs" ;;
  esac
}

# --- accounts -------------------------------------------------------------------------------

# SQL creating the accounts and database the manifest asks for that are missing, and setting the
# grants of the accounts the library owns (none exist on a new directory). Existing accounts keep
# their passwords: rotation is explicit (docs/mysql.md: rotating passwords). Prints nothing when all is
# as asked, so a restart writes nothing to the binary log.
account_statements() {
  local socket=$1 facts
  facts=$(local_sql "$socket" <<SQL
SELECT CONCAT('user:', user, '@', host) FROM mysql.user;
SELECT CONCAT('schema:', schema_name) FROM information_schema.schemata;
SELECT CONCAT('grant:', GRANTEE, ':', TABLE_SCHEMA, '.', TABLE_NAME, ':', PRIVILEGE_TYPE) FROM information_schema.TABLE_PRIVILEGES
  WHERE TABLE_SCHEMA = 'performance_schema';
SELECT CONCAT('grant:', GRANTEE, ':', TABLE_SCHEMA, '.*:', PRIVILEGE_TYPE) FROM information_schema.SCHEMA_PRIVILEGES
  WHERE TABLE_SCHEMA = 'performance_schema';
SELECT CONCAT('grant:', GRANTEE, ':*.*:', PRIVILEGE_TYPE) FROM information_schema.USER_PRIVILEGES;
SQL
  ) || die "could not read the existing accounts and databases"
  has() { grep -qxF -- "$1" <<<"$facts"; }
  local repl="'$REPLICATION_USER'@'%'"
  # One account replicates, donates clones and answers the peers' checks: REPLICATION SLAVE is
  # still the privilege's name in 8.4 and 9.7; BACKUP_ADMIN lets CLONE read from this server;
  # the received set tells a peer what this member has queued. TLS only.
  local password
  if ! has "user:$REPLICATION_USER@%"; then
    password=$(secret replication-password) || exit 1
    echo "CREATE USER $repl IDENTIFIED BY $(sql_string "$password") REQUIRE SSL;"
    echo "GRANT REPLICATION SLAVE, BACKUP_ADMIN ON *.* TO $repl;"
  fi
  if ! has "grant:$repl:performance_schema.replication_connection_status:SELECT"; then
    echo "GRANT SELECT ON performance_schema.replication_connection_status TO $repl;"
  fi
  # A group's members authenticate to each other as this account (GROUP_REPLICATION_STREAM) and
  # tell each other their state.
  if [ "$REPLICATION_MODE" = group ]; then
    has "grant:$repl:*.*:GROUP_REPLICATION_STREAM" || echo "GRANT GROUP_REPLICATION_STREAM ON *.* TO $repl;"
    has "grant:$repl:performance_schema.replication_group_members:SELECT" || echo "GRANT SELECT ON performance_schema.replication_group_members TO $repl;"
  fi
  if [ -n "${APP_DATABASE:-}" ] && ! has "schema:$APP_DATABASE"; then
    echo "CREATE DATABASE $(sql_ident "$APP_DATABASE");"
  fi
  if [ -n "${APP_USER:-}" ] && ! has "user:$APP_USER@%"; then
    password=$(secret password) || exit 1
    echo "CREATE USER '$APP_USER'@'%' IDENTIFIED BY $(sql_string "$password");"
    echo "GRANT ALL PRIVILEGES ON $(sql_ident "${APP_DATABASE:?APP_DATABASE is not set}").* TO '$APP_USER'@'%';"
  fi
  if [ -n "${EXPORTER_USER:-}" ]; then exporter_statements; fi
  if [ -n "${BACKUP_USER:-}" ]; then backup_statements; fi
}

# The backups' account (backup.sh): BACKUP_ADMIN to donate a clone, and the replication status
# tables that tell a replica from the primary, over TLS from the backup pod; no SELECT on any data;
# with binary log archiving, REPLICATION SLAVE.
# At most 4 connections: one asks the members, the clone opens a few (backup.sh: CLONE_MAX_CONCURRENCY);
# 8 with binary log archiving, whose archiver keeps a dump connection and asks the primary beside a backup.
backup_statements() {
  local backup="'$BACKUP_USER'@'%'" password table limit=4
  [ "${BINLOG_FLUSH_INTERVAL:-0}" -gt 0 ] && limit=8
  if ! has "user:$BACKUP_USER@%"; then
    password=$(secret backup-password) || exit 1
    echo "CREATE USER $backup IDENTIFIED BY $(sql_string "$password") REQUIRE SSL WITH MAX_USER_CONNECTIONS $limit;"
    echo "GRANT BACKUP_ADMIN ON *.* TO $backup;"
  fi
  for table in replication_connection_status replication_applier_status replication_group_members; do
    has "grant:$backup:performance_schema.$table:SELECT" || echo "GRANT SELECT ON performance_schema.$table TO $backup;"
  done
  # The binary log archiver (archiver.sh) reads the binary log as a replica would.
  if [ "${BINLOG_FLUSH_INTERVAL:-0}" -gt 0 ] && ! has "grant:$backup:*.*:REPLICATION SLAVE"; then
    echo "GRANT REPLICATION SLAVE ON *.* TO $backup;"
  fi
}

# The metrics account: what mysqld_exporter documents (PROCESS, REPLICATION CLIENT, SELECT on
# performance_schema), over TLS from the exporter's pod; never SELECT on *.* (application data,
# password hashes, the replication password in mysql.slave_master_info).
exporter_statements() {
  local exporter="'$EXPORTER_USER'@'%'" password
  if has "user:$EXPORTER_USER@localhost"; then echo "DROP USER '$EXPORTER_USER'@'localhost';"; fi
  if ! has "user:$EXPORTER_USER@%"; then
    password=$(secret exporter-password) || exit 1
    echo "CREATE USER $exporter IDENTIFIED BY $(sql_string "$password") REQUIRE SSL WITH MAX_USER_CONNECTIONS 3;"
  fi
  if has "grant:$exporter:*.*:SELECT"; then echo "REVOKE SELECT ON *.* FROM $exporter;"; fi
  if ! has "grant:$exporter:*.*:PROCESS" || ! has "grant:$exporter:*.*:REPLICATION CLIENT" || ! has "grant:$exporter:performance_schema.*:SELECT"; then
    echo "GRANT PROCESS, REPLICATION CLIENT ON *.* TO $exporter;"
    echo "GRANT SELECT ON performance_schema.* TO $exporter;"
  fi
}

# Applies account_statements on the server at SOCKET; logs the statements' first words only.
apply_accounts() {
  local socket=$1 sql
  sql=$(account_statements "$socket") || exit 1
  [ -n "$sql" ] || return 0
  log "$POD_NAME: $(sed -E 's/ IDENTIFIED BY .*//; s/ (ON|FROM|TO) .*//; s/;$//' <<<"$sql" | tr '\n' ';')"
  local_sql "$socket" <<<"$sql" || die "could not create the accounts and database"
}

# --- temporary servers ----------------------------------------------------------------------

# Starts a temporary mysqld in the background and waits until it answers on its socket.
# start_temp_mysqld SOCKET LOGFILE [mysqld options...]; the first options may be
# --defaults-file=... (it must come first). Sets TEMP_MYSQLD_PID.
# A temporary server never listens on the network, never starts replication, and leaves the
# buffer pool dump of the real server alone.
start_temp_mysqld() {
  local socket=$1 logfile=$2
  shift 2
  mysqld "$@" --socket="$socket" --pid-file="$socket.pid" --skip-networking --mysqlx=OFF --skip-replica-start --persisted-globals-load=OFF \
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
