#!/usr/bin/env bash
# Init container 1 of ReplicatedMySql: writes this pod's MySQL configuration into conf.d (an
# emptyDir) before mysqld starts. Runs on every pod start, so a changed ConfigMap or a new
# primary ordinal takes effect on the next restart.
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

ordinal=$(pod_ordinal)
host=$(pod_host "$ordinal")
server_id=$((SERVER_ID_BASE + ordinal))
if is_primary "$ordinal"; then role=primary; else role=replica; fi

install -m 0644 "$CDK8S_MYSQL_DIR/common.cnf" "$CONF_DIR/10-common.cnf"
install -m 0644 "$CDK8S_MYSQL_DIR/$role.cnf" "$CONF_DIR/20-role.cnf"
# The per-pod identity: server_id must differ on every member, report_host is what
# SHOW REPLICAS and tools show for this member.
cat >"$CONF_DIR/30-pod.cnf" <<CNF
# Written by init-config.sh for $POD_NAME ($role).
[mysqld]
server_id = $server_id
report_host = $host
report_port = $MYSQL_PORT
CNF

# The image's entrypoint runs these only when it initializes an empty data directory, which
# only the primary ever does: replicas clone theirs (bootstrap.sh).
if [ "$role" = primary ]; then
  install -m 0644 "$CDK8S_MYSQL_DIR/initdb-users.sh" "$INITDB_DIR/10-users.sh"
  if [ -f "$CDK8S_MYSQL_DIR/init.sql" ]; then
    install -m 0644 "$CDK8S_MYSQL_DIR/init.sql" "$INITDB_DIR/20-init.sql"
  fi
fi

log "$POD_NAME: role $role, server_id $server_id, report_host $host"
