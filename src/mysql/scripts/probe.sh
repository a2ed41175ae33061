#!/usr/bin/env bash
# Probes of the mysql container of ReplicatedMySql: probe.sh startup|liveness|readiness.
#
#   startup, liveness  mysqld answers on its socket (mysqladmin ping exits 0 even when access
#                      is denied: the process is alive, which is all a restart could fix).
#   readiness          the agent's verdict about this start of mysqld (agent.sh): the primary
#                      is Ready once it takes writes, which the agent allows only when no other
#                      member is ahead of it or writable; a replica is Ready while it replicates,
#                      holds nothing its source lacks, and has applied what the primary had
#                      MAX_REPLICA_LAG_SECONDS ago. Checked here against the server itself
#                      (the same server_uuid, writable, or both replication threads running),
#                      and refused when the agent has not reported for AGENT_STALE_SECONDS.
#   agent              (the agent container's liveness) the agent reported within
#                      AGENT_LIVENESS_SECONDS: an agent stuck on a query is restarted.
#   pre-stop           (the mysql container's preStop, Group Replication) a stopping primary's
#                      mysqld stays up while its agent hands the primary role to a secondary
#                      (agent.sh: stop_member): until the agent reports it is done, at most
#                      HAND_OVER_WAIT seconds after the agent started (5 s for it to start).
#                      Any other member, or a primary whose agent is not stopping, stops at once.
set -euo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

: "${AGENT_STALE_SECONDS:=120}"
: "${AGENT_LIVENESS_SECONDS:=300}"
: "${HAND_OVER_WAIT:=20}"

not_ready() {
  echo "not ready: $*"
  exit 1
}

readiness() {
  [ -r "$AGENT_STATE" ] || not_ready "the agent has not reported yet"
  local age verdict about role detail state uuid super_read_only io applier member member_role
  age=$(($(date +%s) - $(stat -c %Y "$AGENT_STATE")))
  [ "$age" -le "$AGENT_STALE_SECONDS" ] || not_ready "the agent's last report is ${age}s old (is the agent container running?)"
  read -r verdict about role detail <"$AGENT_STATE"
  [ "$verdict" = ready ] || not_ready "$role${detail:+ $detail}"
  state=$(local_sql "$MYSQL_SOCKET" --connect-timeout=3 <<<"SELECT @@server_uuid, @@GLOBAL.super_read_only, IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = ''), '-'), IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_applier_status WHERE CHANNEL_NAME = ''), '-');") \
    || not_ready "mysqld does not answer on its socket"
  read -r uuid super_read_only io applier <<<"$state"
  [ "$uuid" = "$about" ] || not_ready "the agent's report is about an earlier start of mysqld"
  case "$role" in
    primary) [ "$super_read_only" = 0 ] || not_ready "read-only (super_read_only=$super_read_only)" ;;
    replica) if [ "$io" != ON ] || [ "$applier" != ON ]; then not_ready "replication is not running (receiver $io, applier $applier)"; fi ;;
    group-primary | group-secondary)
      # The server itself, now: ONLINE, and a pod the agent reported primary still the primary (one
      # labelled primary after its member became a secondary is not Ready, so the write Service drops
      # it). A secondary elected primary since the agent's last look stays Ready: failing it would keep
      # the new primary out of the write Service for a whole probe period after the agent relabels it.
      state=$(local_sql "$MYSQL_SOCKET" --connect-timeout=3 <<<"SELECT CONCAT_WS(' ', IFNULL((SELECT CONCAT(MEMBER_STATE, ' ', MEMBER_ROLE) FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid), 'OFFLINE -'), @@GLOBAL.super_read_only);") \
        || not_ready "mysqld does not answer on its socket"
      read -r member member_role super_read_only <<<"$state"
      [ "$member" = ONLINE ] || not_ready "not ONLINE in the group ($member)"
      if [ "$role" = group-primary ] && [ "$member_role" != PRIMARY ]; then not_ready "the agent reported $role, but the member is $member_role now"; fi
      if [ "$role" = group-primary ] && [ "$super_read_only" != 0 ]; then not_ready "the primary is read-only (super_read_only=$super_read_only)"; fi ;;
    *) not_ready "the agent's report names no role" ;;
  esac
}

pre_stop() {
  local role deadline
  role=$(group_self_role) || exit 0
  [ "$role" = PRIMARY ] || exit 0
  # (An agent that stopped reporting will not hand anything over.)
  [ -r "$AGENT_STATE" ] && [ $(($(date +%s) - $(stat -c %Y "$AGENT_STATE"))) -le 30 ] || exit 0
  # The agent marks the start of its stop at once: without the mark (mysqld alone is stopped, e.g. by its
  # liveness probe) nothing is handed over.
  deadline=$((SECONDS + 5))
  while [ ! -e "$HAND_OVER_REPORT.started" ] && [ ! -e "$HAND_OVER_REPORT" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  [ -e "$HAND_OVER_REPORT.started" ] || [ -e "$HAND_OVER_REPORT" ] || exit 0
  deadline=$((SECONDS + HAND_OVER_WAIT))
  while [ ! -e "$HAND_OVER_REPORT" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
}

case "${1:-}" in
  startup | liveness)
    exec mysqladmin --no-defaults --socket="$MYSQL_SOCKET" --connect-timeout=5 ping
    ;;
  readiness)
    readiness
    ;;
  agent)
    [ -r "$AGENT_STATE" ] || exit 0   # not reported yet: the agent writes at its first look
    age=$(($(date +%s) - $(stat -c %Y "$AGENT_STATE")))
    [ "$age" -le "$AGENT_LIVENESS_SECONDS" ] || { echo "the agent has not reported for ${age}s"; exit 1; }
    ;;
  pre-stop)
    pre_stop
    ;;
  *)
    die "usage: probe.sh startup|liveness|readiness|agent|pre-stop"
    ;;
esac
