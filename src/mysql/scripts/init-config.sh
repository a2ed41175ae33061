#!/usr/bin/env bash
# Init container 1 of ReplicatedMySql: writes this pod's mysqld.cnf into conf.d (an emptyDir)
# before anything starts mysqld. Runs on every pod start, so a changed ConfigMap takes effect on
# the next restart. mysqld runs with --defaults-file=mysqld.cnf: the image's own option files are
# never read, so the same configuration runs in every image. Every member gets the same
# configuration, read-only and without replication: which member takes writes is decided on every
# start of mysqld by the agent (agent.sh), never by a file.
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

: "${POD_IP:?POD_IP is not set}"
ordinal=$(pod_ordinal)
host=$(pod_host "$ordinal")
server_id=$((SERVER_ID_BASE + ordinal))

tmp="$MYSQLD_CNF.tmp"
{
  cat "$CDK8S_MYSQL_DIR/common.cnf"
  echo
  # The per-pod identity: server_id must differ on every member; report_host is what
  # SHOW REPLICAS and tools show. mysqld listens on the pod's own address only (clients,
  # replicas and donors come through the Services); the probes and the agent use the socket.
  echo "# Written by init-config.sh for $POD_NAME."
  echo "[mysqld]"
  echo "server_id = $server_id"
  echo "report_host = $host"
  echo "report_port = $MYSQL_PORT"
  echo "bind_address = $POD_IP"
  if [ "${REPLICATION_MODE:-async}" = group ]; then
    # The group talks over the MySQL port; a member is known to the others by its stable DNS name.
    seeds=''
    for o in $(member_ordinals); do seeds="${seeds:+$seeds,}$(pod_host "$o"):$MYSQL_PORT"; done
    echo "loose_group_replication_local_address = $host:$MYSQL_PORT"
    echo "loose_group_replication_group_seeds = $seeds"
    # Elections prefer the highest ordinal: the one a rolling update (highest ordinal first) has
    # already restarted, so an update moves the primary once (twice when it is the highest).
    echo "loose_group_replication_member_weight = $((50 + ordinal - START_ORDINAL > 100 ? 100 : 50 + ordinal - START_ORDINAL))"
  fi
} >"$tmp"
mv "$tmp" "$MYSQLD_CNF"
log "$POD_NAME: server_id $server_id, report_host $host"
