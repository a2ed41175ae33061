#!/usr/bin/env bash
# The agent container of ReplicatedMySql: decides, for every start of this pod's mysqld, what the
# member may do, and keeps checking it. mysqld always starts read-only and without replication
# (its configuration: super_read_only, skip_replica_start), under a new server_uuid
# (run-mysqld.sh); only this agent opens it.
#
#   the member the StatefulSet names the primary (asked of the API server)
#     -> takes writes only when it has no replication channel (a promotion happens at pod
#        start, bootstrap.sh), no other member accepts writes, and no member holds a
#        transaction it lacks (every member that holds data is asked; one that does not answer
#        counts as down only after PEER_ATTEMPTS tries and while its pod is not Ready). Then it
#        creates the accounts the manifest adds, and opens writes;
#     -> demotes itself as soon as the StatefulSet names another member, and when the API server
#        has not confirmed for ROLE_LEASE seconds that it is still the primary (a primary cut off
#        from the control plane stops taking writes before a promotion elsewhere can count it
#        down: that takes PEER_ATTEMPTS unanswered tries and its pod marked not Ready). The role
#        is asked again right before writes open.
#   every other member
#     -> never takes writes (a writable one is demoted at once);
#     -> starts replication only when it holds nothing its source lacks (a source that went back
#        in time would otherwise be followed silently: divergent rows under equal GTID sets),
#        and stops it when that changes, when the source cannot be reached, and when the source
#        restarted (a new server_uuid): it starts again only after the check;
#     -> measures its lag against the primary: it is Ready when it has applied everything the
#        primary had MAX_REPLICA_LAG_SECONDS ago (and has caught up once since mysqld started).
#   every member restores its evidence entry (ConfigMap <name>-members) and reloads the TLS
#   certificate when cert-manager renews it.
#   with binary log archiving (BINLOG_FLUSH_INTERVAL), the member that takes writes rotates its
#   binary log every BINLOG_FLUSH_INTERVAL seconds when it has new transactions: the archiver uploads
#   a file once it is closed, so this bounds what a lost cluster loses (archiver.sh).
#
# The verdict goes to $AGENT_STATE (`ready ...` or `not-ready <reason>`, with the server_uuid it
# is about), which the readiness probe reads; refusals are logged when they change and then
# every REFUSAL_LOG_INTERVAL seconds.
set -uo pipefail
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

: "${REPLICATION_USER:?REPLICATION_USER is not set}"
: "${AGENT_INTERVAL:=2}"             # seconds between two looks
: "${ROLE_REFRESH:=10}"              # seconds between two questions to the API server about the primary
: "${ROLE_LEASE:=20}"                # seconds a primary keeps writes open without the API server confirming its role
: "${EVIDENCE_REFRESH:=60}"          # seconds between two checks of this member's evidence entry
: "${MAX_REPLICA_LAG_SECONDS:=60}"
: "${HOLE_SECONDS:=10}"               # a group secondary this far behind with nothing left to apply missed transactions
: "${REFUSAL_LOG_INTERVAL:=60}"
: "${BINLOG_FLUSH_INTERVAL:=0}"      # seconds between two rotations of a writable member's binary log (0: never)

SELF_ORDINAL=$(pod_ordinal) || exit 1
self=$(pod_host "$SELF_ORDINAL")
samples="$RUN_DIR/agent.samples"
trap 'exit 0' TERM INT
# shellcheck source=group.sh
[ "$REPLICATION_MODE" != group ] || . "$CDK8S_MYSQL_DIR/group.sh"
labeled='' labeled_at=-100000 view_primary=''

incarnation=''      # the server_uuid of the mysqld judged (a new one at every start)
opened=''           # primary: writes opened by this agent for this incarnation
refused=''          # primary: the last check of the other members refused writes
replicating=''      # replica: replication started by this agent for this incarnation
caught_up=''        # replica: has applied a sample of the primary's set since it started
primary=''          # the ordinal the StatefulSet names the primary, as last read
flushed_at=$SECONDS flushed_gtids=''
role_read_at=-100000 role_confirmed_at=-100000 source_uuid='' evidence_at=-100000 tls_sum='' last_logged='' last_logged_at=0

if [ "$REPLICATION_MODE" = group ]; then
  rm -f "$HAND_OVER_REPORT" "$HAND_OVER_REPORT.started"
  trap 'stop_member; exit 0' TERM INT
  # However the agent ends, the mysql container's preStop stops waiting for it.
  trap 'echo stopped >"$HAND_OVER_REPORT"' EXIT
fi

# report ready|not-ready WORDS...: the verdict the readiness probe reads.
report() {
  printf '%s %s %s\n' "$1" "${incarnation:-none}" "${*:2}" >"$AGENT_STATE.tmp" && mv -f "$AGENT_STATE.tmp" "$AGENT_STATE"
  if [ "$1" = not-ready ]; then
    if [ "${*:2}" != "$last_logged" ] || [ $((SECONDS - last_logged_at)) -ge "$REFUSAL_LOG_INTERVAL" ]; then
      log "$POD_NAME: not ready: ${*:2}"
      last_logged=${*:2} last_logged_at=$SECONDS
    fi
  elif [ -n "$last_logged" ]; then
    log "$POD_NAME: ready (${*:2})"
    last_logged=''
  fi
}

sql() {
  local_sql "$MYSQL_SOCKET" --connect-timeout=3
}

# The primary the StatefulSet names, read again every ROLE_REFRESH seconds (a failed question
# too); the last answer is kept while the API server does not answer. `refresh_role now` asks
# at once and fails when there is no answer.
refresh_role() {
  [ "${1:-}" = now ] || [ $((SECONDS - role_read_at)) -ge "$ROLE_REFRESH" ] || return 0
  local now
  role_read_at=$SECONDS
  if ! now=$(manifest_primary); then
    [ "${1:-}" != now ]
    return
  fi
  role_confirmed_at=$SECONDS
  if [ "$now" != "$primary" ]; then
    [ -n "$primary" ] && log "$POD_NAME: the StatefulSet now names member $now the primary (was $primary)"
    primary=$now
  fi
}

refresh_evidence() {
  [ $((SECONDS - evidence_at)) -ge "$EVIDENCE_REFRESH" ] || return 0
  evidence_at=$SECONDS
  record_evidence || true
}

# cert-manager renews the certificate in the Secret; the kubelet updates the mounted files.
reload_tls() {
  [ "$MYSQL_TLS" != self-signed ] || return 0
  local sum
  sum=$(cat "$TLS_DIR/ca.crt" "$TLS_DIR/tls.crt" "$TLS_DIR/tls.key" 2>/dev/null | cksum) || return 0
  if [ -n "$tls_sum" ] && [ "$sum" != "$tls_sum" ]; then
    if sql <<<"ALTER INSTANCE RELOAD TLS;" >/dev/null; then log "$POD_NAME: reloaded the TLS certificate"; else return 0; fi
  fi
  tls_sum=$sum
}

# --- the primary --------------------------------------------------------------------------------

# Sets REASON and fails unless this member may take writes (see the header).
gate() {
  local mine with_data peer attempts executed received read_only super_read_only ahead host
  mine=$(sql <<<"SELECT $GTID_EXECUTED;") || { REASON="cannot read this member's GTID set"; return 1; }
  # (What the API server said goes into REASON, which is logged once, not at every look.)
  if ! with_data=$(members_with_data 2>"$RUN_DIR/agent.api-log"); then
    REASON="cannot ask the API server which members hold data ($(paste -sd ' ' "$RUN_DIR/agent.api-log")); writes stay closed"
    return 1
  fi
  cat "$RUN_DIR/agent.api-log" >&2
  for peer in $(member_ordinals); do
    [ "$peer" -eq "$SELF_ORDINAL" ] && continue
    host=$(pod_host "$peer")
    attempts=1
    grep -qx "$peer" <<<"$with_data" && attempts=$PEER_ATTEMPTS
    check_member "$peer" "$attempts"
    case "$MEMBER_STATE" in
      down)
        [ "$attempts" -gt 1 ] && log "$POD_NAME: counted member $peer down: $MEMBER_WHY (it checks itself against this primary when it returns: this start writes under a new server_uuid)"
        continue ;;
      unknown) REASON="whether $host is ahead of this member or takes writes cannot be known: $MEMBER_WHY; writes stay closed"; return 1 ;;
    esac
    IFS='|' read -r read_only super_read_only executed received <<<"$MEMBER_ROW"
    if [ "$super_read_only" != 1 ]; then
      REASON="$host accepts writes (read_only=$read_only, super_read_only=$super_read_only): two writable members would fork the data. The StatefulSet names this member the primary; $host demotes itself when its agent sees that, or stop writes on it (SET GLOBAL super_read_only = ON)"
      return 1
    fi
    ahead=$(sql <<<"SELECT REPLACE(GTID_SUBTRACT($(sql_string "$(join_gtid_sets "$executed" "$received")"), $(sql_string "$mine")), '\\n', '');") \
      || { REASON="cannot compare GTID sets"; return 1; }
    if [ -n "$ahead" ]; then
      REASON="$host has transactions this primary lacks ($ahead): this member's data is older than the cluster's (its volume was restored from an older copy, or it lost commits in a crash). Nothing was written. Make the most advanced member the primary (primaryOrdinal: $peer, docs/mysql.md: Failover); this member then follows it, or re-clones if it holds transactions that member lacks"
      return 1
    fi
  done
}

open_writes() {
  sql <<<"SET GLOBAL super_read_only = OFF;" || { REASON="could not turn super_read_only off"; return 1; }
  # Only root can write while read_only is on: the accounts the manifest added are created first.
  if ! (apply_accounts "$MYSQL_SOCKET"); then
    sql <<<"SET GLOBAL super_read_only = ON;"
    REASON="could not create the accounts the manifest asks for (log above)"
    return 1
  fi
  sql <<<"SET GLOBAL read_only = OFF;" || { REASON="could not turn read_only off"; return 1; }
  log "$POD_NAME: primary: no other member is ahead or writable; open for writes"
}

role_still_mine() {
  refresh_role now || { REASON="cannot confirm with the API server that the StatefulSet still names this member the primary; writes stay closed"; return 1; }
  [ "$primary" = "$SELF_ORDINAL" ] || { REASON="the StatefulSet now names member $primary the primary"; return 1; }
}

as_primary() {
  local state channel super_read_only
  if [ $((SECONDS - role_confirmed_at)) -gt "$ROLE_LEASE" ]; then
    [ -n "$opened" ] && log "$POD_NAME: the API server has not confirmed for ${ROLE_LEASE}s that this member is the primary: closing writes (another member may be promoted meanwhile)"
    sql <<<"SET GLOBAL super_read_only = ON;" >/dev/null 2>&1
    opened=''
    report not-ready "cannot confirm with the API server that the StatefulSet still names this member the primary (for ${ROLE_LEASE}s); writes stay closed"
    return
  fi
  state=$(sql <<<"SELECT (SELECT COUNT(*) FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = ''), @@GLOBAL.super_read_only;") \
    || { report not-ready "mysqld does not answer"; return; }
  read -r channel super_read_only <<<"$state"
  if [ "$channel" != 0 ]; then
    report not-ready "the StatefulSet names this member the primary, but it still replicates: it promotes itself when its pod restarts (the rolling update does that)"
    return
  fi
  if [ -n "$opened" ]; then
    if [ "$super_read_only" = 1 ]; then
      log "$POD_NAME: super_read_only was turned on by someone else: checking the other members again before taking writes"
      opened=''
    else
      report ready primary
      return
    fi
  fi
  # (After a refusal the refusal stays the verdict while the members are checked again.)
  [ -n "$refused" ] || report not-ready "checking the other members before taking writes"
  # The check may take minutes: the role is confirmed again right before writes open.
  if gate && role_still_mine && open_writes; then
    opened=1 refused=''
    report ready primary
  else
    refused=1
    report not-ready "$REASON"
  fi
}

# --- the replicas -------------------------------------------------------------------------------

demote() {
  if sql <<<"SET GLOBAL super_read_only = ON;"; then
    log "$POD_NAME: demoted: the StatefulSet names member $1 the primary; this member takes no more writes"
  fi
  opened=''
}

# Samples of the primary's GTID set over the last MAX_REPLICA_LAG_SECONDS: LAG is the age of the
# oldest one this member has not applied (0 when it has applied them all).
measure_lag() {
  local primary_set=$1 now=$SECONDS keep=() line t set query='' covered i oldest_uncovered=''
  [ -f "$samples" ] && while IFS=$'\t' read -r t set; do
    [ $((now - t)) -le $((MAX_REPLICA_LAG_SECONDS + 2 * AGENT_INTERVAL)) ] && keep+=("$t"$'\t'"$set")
  done <"$samples"
  keep+=("$now"$'\t'"$primary_set")
  for line in "${keep[@]}"; do query+="${query:+, }GTID_SUBSET($(sql_string "${line#*$'\t'}"), @@GLOBAL.gtid_executed)"; done
  covered=$(sql <<<"SELECT CONCAT_WS(' ', $query);") || return 1
  read -r -a covered <<<"$covered"
  for i in "${!keep[@]}"; do
    if [ "${covered[$i]}" = 1 ]; then caught_up=1; else oldest_uncovered=${oldest_uncovered:-${keep[$i]%%$'\t'*}}; fi
  done
  printf '%s\n' "${keep[@]}" >"$samples.tmp" && mv -f "$samples.tmp" "$samples"
  LAG=0
  [ -n "$oldest_uncovered" ] && LAG=$((now - oldest_uncovered))
  return 0
}

# Stops the receiver (the applier goes on with what was received) until the next check starts it.
stop_receiver() {
  [ -n "$replicating" ] || return 0
  sql <<<"STOP REPLICA IO_THREAD;" && log "$POD_NAME: $1: replication stopped until this member is checked against it again"
  replicating=''
}

as_replica() {
  local primary_host source_host state super_read_only io applier error mine errant source_set primary_set uuid
  primary_host=$(pod_host "$1")
  state=$(sql <<<"SELECT @@GLOBAL.super_read_only, IFNULL((SELECT HOST FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = ''), '-'), IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = ''), '-'), IFNULL((SELECT SERVICE_STATE FROM performance_schema.replication_applier_status WHERE CHANNEL_NAME = ''), '-');") \
    || { report not-ready "mysqld does not answer"; return; }
  read -r super_read_only source_host io applier <<<"$state"
  [ "$super_read_only" = 1 ] || demote "$1"
  if [ "$source_host" = - ]; then
    report not-ready "no replication channel: the StatefulSet names $primary_host the primary, and this member follows it once its pod restarts (the rolling update does that)"
    return
  fi
  # Errant transactions are judged against the source this member follows (its own set read
  # first: whatever it received, the source had sent) ...
  mine=$(sql <<<"SELECT $(gtid_union "$GTID_EXECUTED" "$GTID_RECEIVED");") || { report not-ready "mysqld does not answer"; return; }
  if ! peer_query "$source_host" "SELECT CONCAT(@@server_uuid, '|', $GTID_EXECUTED);"; then
    # Its receiver would reconnect by itself, unchecked, to whatever answers there next.
    stop_receiver "its source cannot be reached"
    report not-ready "its source $source_host cannot be reached ($PEER_ERR): this member cannot show it is up to date; replication waits for the check"
    return
  fi
  uuid=${PEER_OUT%%|*} source_set=${PEER_OUT#*|}
  if [ -n "$source_uuid" ] && [ "$uuid" != "$source_uuid" ]; then stop_receiver "its source restarted (server_uuid $uuid)"; fi
  source_uuid=$uuid
  errant=$(sql <<<"SELECT REPLACE(GTID_SUBTRACT($(sql_string "$mine"), $(sql_string "$source_set")), '\\n', '');") || { report not-ready "cannot compare GTID sets"; return; }
  # A transaction the source sent before its commit added it to its gtid_executed is not errant:
  # the source is asked once more about just those.
  if [ -n "$errant" ] && peer_query "$source_host" "SELECT REPLACE(GTID_SUBTRACT($(sql_string "$errant"), @@GLOBAL.gtid_executed), '\\n', '');"; then
    errant=$PEER_OUT
  fi
  if [ -n "$errant" ]; then
    if [ "$io" != OFF ] || [ "$applier" != OFF ]; then sql <<<"STOP REPLICA;"; fi
    replicating=''
    report not-ready "this member holds transactions its source $source_host lacks ($errant): replication is stopped so that nothing is applied on top of them. Either the source lost them (its data is older: make this member the primary, primaryOrdinal: $SELF_ORDINAL, docs/mysql.md: Failover) or they are to be discarded (delete this member's claim data-$POD_NAME, then its pod: it re-clones)"
    return
  fi
  if [ -z "$replicating" ]; then
    sql <<<"START REPLICA;" || { report not-ready "could not start replication"; return; }
    replicating=1
    log "$POD_NAME: started replication from $source_host (this member holds nothing it lacks)"
    report not-ready "replication starting"
    return
  fi
  if [ "$io" != ON ] || [ "$applier" != ON ]; then
    error=$(sql <<<"SELECT CONCAT_WS(' ', (SELECT LAST_ERROR_MESSAGE FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = '' AND LAST_ERROR_NUMBER <> 0), (SELECT LAST_ERROR_MESSAGE FROM performance_schema.replication_applier_status_by_worker WHERE CHANNEL_NAME = '' AND LAST_ERROR_NUMBER <> 0 LIMIT 1));")
    report not-ready "replication is not running (receiver $io, applier $applier)${error:+: $error}"
    return
  fi
  # ... and the lag against the primary: what clients write to.
  primary_set=$source_set
  if [ "$source_host" != "$primary_host" ]; then
    if ! peer_query "$primary_host" "SELECT $GTID_EXECUTED;"; then
      report not-ready "the primary $primary_host cannot be reached ($PEER_ERR): this member cannot show it is up to date"
      return
    fi
    primary_set=$PEER_OUT
  fi
  measure_lag "$primary_set" || { report not-ready "cannot measure the lag"; return; }
  if [ -z "$caught_up" ]; then
    report not-ready "catching up with the primary $primary_host (behind by ${LAG}s or more)"
  elif [ "$LAG" -gt "$MAX_REPLICA_LAG_SECONDS" ]; then
    report not-ready "replication lag ${LAG}s exceeds ${MAX_REPLICA_LAG_SECONDS}s (against the primary $primary_host)"
  else
    report ready "replica lag=${LAG}s"
  fi
}

# --- a Group Replication member (group.sh) ------------------------------------------------------

# label_role primary|secondary|none: this pod's role label, written when it changes (and every
# LABEL_REFRESH seconds, in case someone edited it); `none` removes it. Fails when the write failed.
label_role() {
  [ "$1" != "$labeled" ] || [ $((SECONDS - labeled_at)) -ge "$LABEL_REFRESH" ] || return 0
  local value=null
  [ "$1" = none ] || value="\"$1\""
  if api_request PATCH "$(api_path pods "$POD_NAME")" "{\"metadata\":{\"labels\":{\"$ROLE_LABEL\":$value}}}" && [ "$API_STATUS" = 200 ]; then
    [ "$1" = "$labeled" ] || log "$POD_NAME: role label $ROLE_LABEL: $1"
    labeled=$1 labeled_at=$SECONDS
  else
    [ "$API_STATUS" = 0 ] || api_explain
    labeled=''
    return 1
  fi
}

# A member is Ready only while its label says what it is: a label the API server did not take
# (a pod still labelled primary after its member became a secondary) must not be routed to.
LABEL_FAILED="its role label could not be written (see the log): the Services cannot be trusted to route to it"


# The agent is stopping. When the pod itself is stopping (deleted: a rolling update, a drain, a
# scale-in; its endpoints are already gone), a primary first hands its role to a secondary
# (group_hand_over), while the mysql container's preStop keeps mysqld up until HAND_OVER_REPORT says
# this is done (written on exit). Then its role label goes. The agent container restarting alone
# hands nothing over. API requests get 3 s each here: the kubelet's grace period covers it all.
stop_member() {
  : >"$HAND_OVER_REPORT.started"
  API_MAX_TIME=3
  if pod_terminating; then group_hand_over; fi
  label_role none
}

# Not in a group: join one, start one with proof, or wait (group_decide).
group_enter() {
  label_role none
  group_decide "$MYSQL_SOCKET" || { report not-ready "$REASON"; return; }
  case "$GROUP_ACTION" in
    wait) report not-ready "$REASON" ;;
    join | bootstrap)
      log "$POD_NAME: $GROUP_ACTION the group: $REASON"
      if group_start "$MYSQL_SOCKET" "$GROUP_ACTION"; then report not-ready "joining the group"; else report not-ready "START GROUP_REPLICATION failed (log above); retrying"; fi ;;
  esac
}

# Fails (and sets REASON) unless a majority of the MEMBERS in this member's view, itself included,
# see it as the ONLINE primary.
primary_confirmed() {
  local members=$1 agree=1 peer seen
  for peer in $(member_ordinals); do
    [ "$peer" -eq "$SELF_ORDINAL" ] && continue
    peer_query "$(pod_host "$peer")" "SELECT MEMBER_HOST FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = 'PRIMARY' AND MEMBER_STATE = 'ONLINE';" || continue
    seen=$PEER_OUT
    [ "$seen" = "$self" ] && agree=$((agree + 1))
    # A majority is enough: a peer that is gone would only cost its connect timeout.
    [ $((2 * agree)) -gt "$members" ] && return 0
  done
  [ $((2 * agree)) -gt "$members" ] && return 0
  REASON="its own view says it is the primary, but only $agree of the $members members confirm it (a stale view, or a new primary elected meanwhile)"
  return 1
}

# Whether this member's group applier has nothing queued and nothing in progress.
group_idle() {
  [ "$(sql <<<"SELECT IFNULL((SELECT COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE FROM performance_schema.replication_group_member_stats WHERE MEMBER_ID = @@server_uuid), -1) + (SELECT COUNT(*) FROM performance_schema.replication_applier_status_by_worker WHERE CHANNEL_NAME = 'group_replication_applier' AND APPLYING_TRANSACTION <> '');")" = 0 ]
}

# An ONLINE member: primary, or a secondary measured against the primary.
group_online() {
  local role=$1 online=$2 members=$3 unreachable=$4 primary_host seen
  if [ $((2 * unreachable)) -ge "$members" ]; then
    label_role none
    report not-ready "cut off from the majority: $unreachable of the $members members in its view are unreachable (it takes no writes; it leaves the group after unreachable_majority_timeout)"
    return
  fi
  # When the primary moved, the role label is written again even if this agent wrote the same value last:
  # a hand-over labels the new primary from the old one's pod (group_hand_over), which this agent did not see.
  seen=$self
  [ "$role" = PRIMARY ] || seen=$(sql <<<"SELECT MEMBER_HOST FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = 'PRIMARY';")
  [ "$seen" = "$view_primary" ] || labeled=''
  view_primary=$seen
  if [ "$role" = PRIMARY ]; then
    # Its own view may be stale (a primary frozen and thawed still sees itself ONLINE PRIMARY for a
    # few seconds): the label waits until a majority agrees.
    if ! primary_confirmed "$members"; then
      label_role none
      report not-ready "$REASON"
      return
    fi
    # The accounts the manifest added since: created once per start as the primary (they replicate).
    if [ -z "$opened" ]; then
      (apply_accounts "$MYSQL_SOCKET") || { report not-ready "could not create the accounts the manifest asks for (log above)"; return; }
      opened=1
    fi
    label_role primary || { report not-ready "$LABEL_FAILED"; return; }
    report ready group-primary "online=$online/$members"
    return
  fi
  primary_host=$seen
  if [ -z "$primary_host" ] || ! peer_query "$primary_host" "SELECT $GTID_EXECUTED;"; then
    label_role none
    report not-ready "the primary ${primary_host:-(none in the view)} cannot be asked for its GTID set${PEER_ERR:+ ($PEER_ERR)}: this member cannot show it is up to date"
    return
  fi
  measure_lag "$PEER_OUT" || { report not-ready "cannot measure the lag"; return; }
  if [ "$LAG" -ge "$HOLE_SECONDS" ] && group_idle; then
    # Measured on the real node: a frozen primary, thawed and rejoined, came back ONLINE without five of the new
    # primary's transactions, for good, while its applier had nothing left to do. Recovery fetches what it lacks.
    label_role none
    log "$POD_NAME: this member lacks transactions the primary $primary_host committed ${LAG}s ago and has none left to apply: leaving the group to fetch them again through recovery"
    sql <<<"STOP GROUP_REPLICATION;" >/dev/null
    report not-ready "missed transactions the group committed; rejoining to recover them"
    return
  fi
  if [ -z "$caught_up" ] || [ "$LAG" -gt "$MAX_REPLICA_LAG_SECONDS" ]; then
    label_role none
    report not-ready "applying the group's transactions: behind the primary $primary_host by ${LAG}s (at most ${MAX_REPLICA_LAG_SECONDS}s)"
    return
  fi
  label_role secondary || { report not-ready "$LABEL_FAILED"; return; }
  report ready group-secondary "lag=${LAG}s online=$online/$members"
}

group_tick() {
  local state
  state=$(sql <<<"SELECT $GROUP_SELF_STATE, IFNULL((SELECT MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid), '-'), (SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_STATE = 'ONLINE'), (SELECT COUNT(*) FROM performance_schema.replication_group_members), (SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_STATE = 'UNREACHABLE');") \
    || { label_role none; report not-ready "mysqld does not answer"; return; }
  read -r state role online members unreachable <<<"$state"
  case "$state" in
    ONLINE) group_online "$role" "$online" "$members" "$unreachable" ;;
    RECOVERING) label_role none; report not-ready "recovering: receiving the group's transactions from a donor" ;;
    ERROR)
      # It left the group (expelled, or cut off too long) and is read-only: leave cleanly, then rejoin.
      label_role none
      log "$POD_NAME: this member left the group in ERROR; stopping Group Replication to rejoin"
      sql <<<"STOP GROUP_REPLICATION;" >/dev/null
      report not-ready "left the group (ERROR); rejoining" ;;
    *) group_enter ;;
  esac
}

# --- binary log archiving -------------------------------------------------------------------------

# FLUSH BINARY LOGS on a member that takes writes, every BINLOG_FLUSH_INTERVAL seconds, when its
# gtid_executed changed since the last rotation (a closed file is what the archiver uploads). FLUSH
# BINARY LOGS is not written to the binary log: it makes no transaction.
flush_binlog() {
  local row writable gtids
  [ "$BINLOG_FLUSH_INTERVAL" -gt 0 ] && [ $((SECONDS - flushed_at)) -ge "$BINLOG_FLUSH_INTERVAL" ] || return 0
  flushed_at=$SECONDS
  row=$(sql <<<"SELECT @@GLOBAL.super_read_only = 0, $GTID_EXECUTED;" 2>/dev/null) || return 0
  read -r writable gtids <<<"$row"
  [ "$writable" = 1 ] && [ "$gtids" != "$flushed_gtids" ] || return 0
  sql <<<"FLUSH BINARY LOGS;" >/dev/null && flushed_gtids=$gtids
}

# --- the loop -----------------------------------------------------------------------------------

tick() {
  local uuid why
  # (sql below fails on a bad root-password too; this names the key instead of "does not answer")
  if ! why=$( (secret root-password >/dev/null) 2>&1); then
    incarnation=''
    report not-ready "${why#*ERROR: }"
    return
  fi
  if ! uuid=$(sql <<<"SELECT @@server_uuid;" 2>/dev/null) || [ -z "$uuid" ]; then
    # A group member that does not answer gives up its role label (the Services stop sending it clients).
    [ "$REPLICATION_MODE" != group ] || label_role none
    incarnation=''
    report not-ready "mysqld does not answer on its socket yet"
    return
  fi
  if [ "$uuid" != "$incarnation" ]; then
    incarnation=$uuid opened='' refused='' replicating='' caught_up=''
    rm -f "$samples"
    log "$POD_NAME: mysqld started (server_uuid $uuid)"
  fi
  [ "$REPLICATION_MODE" = group ] || refresh_role
  refresh_evidence
  reload_tls
  if [ "$REPLICATION_MODE" = group ]; then
    group_tick
    return
  fi
  if [ -n "$primary" ] && [ "$primary" = "$SELF_ORDINAL" ]; then
    as_primary
  elif [ -n "$primary" ]; then
    as_replica "$primary"
  elif [ "$PRIMARY_ORDINAL" != "$SELF_ORDINAL" ]; then
    # The API server has not answered yet: following the template's primary is safe (a replica
    # checks before it replicates); taking writes is not.
    as_replica "$PRIMARY_ORDINAL"
  else
    report not-ready "cannot confirm with the API server that the StatefulSet names this member the primary; writes stay closed"
  fi
}

log "$POD_NAME: agent for $self (every ${AGENT_INTERVAL}s; maximum replica lag ${MAX_REPLICA_LAG_SECONDS}s)"
while :; do
  tick
  flush_binlog
  sleep "$AGENT_INTERVAL" &
  wait $!
done
