#!/usr/bin/env bash
# Probes of the mysql container of ReplicatedMySql: probe.sh startup|liveness|readiness.
#
#   startup, liveness  mysqld answers on its socket (mysqladmin ping exits 0 even when access
#                      is denied: the process is alive, which is all a restart could fix).
#   readiness          judged by what the server IS, not by the ordinal the manifest calls
#                      primary, so a member promoted by hand is Ready as soon as it accepts
#                      writes:
#                        no replication channel  Ready when it accepts writes (read_only and
#                                                super_read_only OFF); a demoted old primary
#                                                (super_read_only ON) is not;
#                        a replica               Ready when both replication threads run and
#                                                it lags at most MAX_REPLICA_LAG_SECONDS: a
#                                                replica whose source is gone, whose password
#                                                is wrong or that lags leaves the read Service
#                                                instead of serving ever staler data.
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

: "${MAX_REPLICA_LAG_SECONDS:=60}"

sql() {
  local_sql "$MYSQL_SOCKET" --connect-timeout=5 "$@"
}

readiness() {
  local state channel read_only super_read_only
  state=$(sql <<<"SELECT (SELECT COUNT(*) FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = ''), @@GLOBAL.read_only, @@GLOBAL.super_read_only;")
  read -r channel read_only super_read_only <<<"$state"
  if [ "$channel" = 0 ]; then
    if [ "$read_only" = 0 ] && [ "$super_read_only" = 0 ]; then exit 0; fi
    echo "not ready: no replication channel, and read-only (read_only=$read_only, super_read_only=$super_read_only): a demoted primary or a replica whose replication was reset"
    exit 1
  fi
  local status io sql_thread lag error
  status=$(sql --vertical --column-names <<<"SHOW REPLICA STATUS;")
  field() { sed -n "s/^ *$1: //p" <<<"$status" | head -n 1; }
  io=$(field Replica_IO_Running)
  sql_thread=$(field Replica_SQL_Running)
  lag=$(field Seconds_Behind_Source)
  if [ "$io" != Yes ]; then
    error=$(field Last_IO_Error)
    echo "not ready: the replication receiver is ${io:-not running}${error:+: $error}"
    exit 1
  fi
  if [ "$sql_thread" != Yes ]; then
    error=$(field Last_SQL_Error)
    echo "not ready: the replication applier is ${sql_thread:-not running}${error:+: $error}"
    exit 1
  fi
  if ! [[ $lag =~ ^[0-9]+$ ]]; then
    echo "not ready: replication lag unknown (Seconds_Behind_Source ${lag:-empty})"
    exit 1
  fi
  if [ "$lag" -gt "$MAX_REPLICA_LAG_SECONDS" ]; then
    echo "not ready: replication lag ${lag}s exceeds ${MAX_REPLICA_LAG_SECONDS}s"
    exit 1
  fi
}

case "${1:-}" in
  startup | liveness)
    exec mysqladmin --no-defaults --socket="$MYSQL_SOCKET" --connect-timeout=5 ping
    ;;
  readiness)
    readiness
    ;;
  *)
    die "usage: probe.sh startup|liveness|readiness"
    ;;
esac
