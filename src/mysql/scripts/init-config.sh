#!/usr/bin/env bash
# Init container 1 of ReplicatedMySql: writes this pod's mysqld.cnf into conf.d (an emptyDir)
# before anything starts mysqld. Runs on every pod start, so a changed ConfigMap or a new
# primary ordinal takes effect on the next restart. mysqld runs with --defaults-file=mysqld.cnf:
# the image's own option files are never read, so the same configuration runs in every image.
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

: "${POD_IP:?POD_IP is not set}"
ordinal=$(pod_ordinal)
host=$(pod_host "$ordinal")
server_id=$((SERVER_ID_BASE + ordinal))
if is_primary "$ordinal"; then role=primary; else role=replica; fi

tmp="$MYSQLD_CNF.tmp"
{
  cat "$CDK8S_MYSQL_DIR/common.cnf"
  echo
  cat "$CDK8S_MYSQL_DIR/$role.cnf"
  echo
  # The per-pod identity: server_id must differ on every member; report_host is what
  # SHOW REPLICAS and tools show. mysqld listens on the pod's own address only (clients,
  # replicas and donors come through the Services); the probes and the metrics sidecar use
  # the socket.
  echo "# Written by init-config.sh for $POD_NAME ($role)."
  echo "[mysqld]"
  echo "server_id = $server_id"
  echo "report_host = $host"
  echo "report_port = $MYSQL_PORT"
  echo "bind_address = $POD_IP"
} >"$tmp"
mv "$tmp" "$MYSQLD_CNF"
log "$POD_NAME: role $role, server_id $server_id, report_host $host"
