#!/usr/bin/env bash
# The mysql container of ReplicatedMySql: mysqld with the configuration init-config.sh wrote,
# started under a NEW server_uuid every time. A member's transactions are named <server_uuid>:N,
# so a member that went back in time (a volume restored from an older copy, commits lost in a
# crash) and now takes writes can never reuse a GTID that another member holds for other rows:
# whatever it writes is new to every member, and a member ahead of it shows its extra
# transactions as errant instead of silently diverging under an equal GTID set. (mysqld starts
# read-only without replication; the agent container opens it, agent.sh.)
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

if [ -f "$DATA_DIR/auto.cnf" ]; then
  previous=$(sed -n 's/^server-uuid=//p' "$DATA_DIR/auto.cnf")
  rm -f "$DATA_DIR/auto.cnf"
  log "${POD_NAME:-mysqld}: starting mysqld under a new server_uuid (the previous one was ${previous:-unknown})"
fi
# Settings someone persisted (SET PERSIST) are not loaded: mysqld reads them after its options,
# so a persisted super_read_only = OFF would start it writable, and a persisted sync_binlog would
# bypass the manifest's durability. The manifest's `config` is the one place for settings.
exec mysqld --defaults-file="$MYSQLD_CNF" --persisted-globals-load=OFF "$@"
