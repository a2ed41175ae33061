#!/usr/bin/env bash
# Probes of the mysql container of ReplicatedMySql: probe.sh startup|liveness|readiness.
#
#   startup, liveness  mysqld answers on its socket (mysqladmin ping exits 0 even when access
#                      is denied: the process is alive, which is all a restart could fix).
#   readiness          SQL works with the root credentials; on a replica the replication
#                      applier is running too, so a broken replica leaves the read Service
#                      instead of serving ever staler data.
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

case "${1:-}" in
  startup | liveness)
    exec mysqladmin --no-defaults --socket="$MYSQL_SOCKET" --connect-timeout=5 ping
    ;;
  readiness)
    query='SELECT 1;'
    if ! is_primary "$(pod_ordinal)"; then
      query="SELECT SERVICE_STATE FROM performance_schema.replication_applier_status WHERE CHANNEL_NAME = '';"
    fi
    result=$(mysql --defaults-extra-file=<(client_cnf root "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD is not set}") \
      --socket="$MYSQL_SOCKET" --connect-timeout=5 --batch --skip-column-names <<<"$query")
    case "$result" in
      1 | ON) exit 0 ;;
      *) log "not ready: ${result:-no replication channel}"; exit 1 ;;
    esac
    ;;
  *)
    die "usage: probe.sh startup|liveness|readiness"
    ;;
esac
