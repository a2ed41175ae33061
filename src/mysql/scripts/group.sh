# shellcheck shell=bash
# Group Replication (REPLICATION_MODE=group), sourced by bootstrap.sh and agent.sh after lib.sh.
#
# The group elects its primary; a transaction commits once a majority of the members has it. What
# the scripts add is what the group cannot do alone:
#
#   bootstrap (no data)  -> a new cluster's first member (startOrdinal, while no member holds data)
#                           initializes; every other member CLONEs an ONLINE member, then joins.
#   agent, every look    -> ONLINE with a majority: labels its pod with its role (the write Service
#                           selects role=primary, the read Service role=secondary) and is Ready;
#                           a secondary only while it has applied what the primary had
#                           MAX_REPLICA_LAG_SECONDS ago. Anything else: no label, not Ready.
#                        -> not in a group: joins when any member is ONLINE. When none is (every
#                           member stopped), it starts a new group only with proof that it holds
#                           every transaction any member could have acknowledged: every member
#                           that holds data (ConfigMap <name>-members) and is not declared lost
#                           answers, this member's executed plus received set
#                           contains each of theirs, and no member with the same set has a lower
#                           ordinal. Otherwise it waits and says why. A quorum is never forced.
#
# Why every member must answer, not just a majority: a transaction the group acknowledged is held
# by a majority, so any majority would show it -- but two members that each see a different
# majority (a partition during a full restart) could each start a group. Members that all see
# everyone pick the same member. A member lost for good is declared in the manifest
# (replication.lostMembers): the rest then decide without it.

: "${LABEL_REFRESH:=60}"           # seconds between two writes of an unchanged role label
: "${HAND_OVER_TIMEOUT:=5}"        # seconds a hand-over lets the primary's running transactions finish

# The group_replication_applier channel's received set: queued, not yet applied.
GROUP_RECEIVED="IFNULL((SELECT REPLACE(RECEIVED_TRANSACTION_SET, '\\n', '') FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = 'group_replication_applier'), '')"
GROUP_SELF_STATE="IFNULL((SELECT MEMBER_STATE FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid), 'OFFLINE')"
# What a member tells its peers: state|role|executed|received ("|": a GTID set may be empty).
GROUP_PEER_SQL="SELECT CONCAT_WS('|', $GROUP_SELF_STATE, IFNULL((SELECT MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid), ''), $GTID_EXECUTED, $GROUP_RECEIVED);"

# The ordinals the StatefulSet's annotation declares lost for good (replication.lostMembers), read from the API
# server at each decision: an annotation, not the pod template, so that it reaches pods that are not Ready.
manifest_lost_members() {
  api_request GET "$(api_path statefulsets "$MYSQL_SET_NAME")" || return 1
  [ "$API_STATUS" = 200 ] || { api_explain; return 1; }
  local found
  found=$(grep -oE "\"${LOST_ANNOTATION//./\\.}\" *: *\"[0-9 ]*\"" <<<"$API_BODY" | head -n 1) || true
  found=${found%\"}
  printf '%s\n' "${found##*\"}"
}

# group_start SOCKET [bootstrap]: START GROUP_REPLICATION with the replication user's credentials,
# given with the statement and never stored. bootstrap_group is ON only for a bootstrap and OFF again
# whatever happens; a join turns it OFF first (an agent killed between ON and OFF must not leave it set:
# the next START would start a second group).
group_start() {
  local socket=$1 password rc=0
  password=$(secret replication-password) || return 1
  local_sql "$socket" <<<"SET GLOBAL group_replication_bootstrap_group = $([ "${2:-}" = bootstrap ] && echo ON || echo OFF);" || return 1
  # A joining member discards what its group channel had queued but not applied: distributed recovery
  # then fetches everything it lacks. Kept, that queue hides transactions from recovery (measured: a
  # thawed old primary rejoined ONLINE without four of the group's transactions, for good). What the
  # group lacks was never committed by a primary (docs/mysql.md: the proof).
  if [ "${2:-}" != bootstrap ] && ! local_sql "$socket" <<<"RESET REPLICA ALL FOR CHANNEL 'group_replication_applier';" 2>"$RUN_DIR/group.reset-log"; then
    grep -q 'ERROR 3074' "$RUN_DIR/group.reset-log" || log "$POD_NAME: could not reset the group's applier channel: $(head -n 1 "$RUN_DIR/group.reset-log")"
  fi
  local_sql "$socket" <<<"START GROUP_REPLICATION USER = '$REPLICATION_USER', PASSWORD = $(sql_string "$password");" || rc=$?
  [ "${2:-}" != bootstrap ] || local_sql "$socket" <<<"SET GLOBAL group_replication_bootstrap_group = OFF;" || rc=1
  return "$rc"
}

# group_peer ORDINAL: asks member ORDINAL about itself (peer_query). Sets PEER_STATE, PEER_ROLE and
# PEER_SET (executed plus received).
group_peer() {
  peer_query "$(pod_host "$1")" "$GROUP_PEER_SQL" || return
  local executed received
  # shellcheck disable=SC2153 # PEER_OUT is set by peer_query (lib.sh)
  IFS='|' read -r PEER_STATE PEER_ROLE executed received <<<"$PEER_OUT"
  PEER_SET=$(join_gtid_sets "$executed" "$received")
}

# group_donors: the hosts of the ONLINE members, secondaries first (a clone loads its donor).
group_donors() {
  local peer primary=''
  for peer in $(member_ordinals); do
    [ "$peer" -eq "$SELF_ORDINAL" ] && continue
    group_peer "$peer" || continue
    [ "$PEER_STATE" = ONLINE ] || continue
    if [ "$PEER_ROLE" = PRIMARY ]; then primary=$(pod_host "$peer"); else pod_host "$peer"; fi
  done
  [ -z "$primary" ] || echo "$primary"
}

# shellcheck disable=SC2034 # GROUP_ACTION and REASON are read by agent.sh
# group_decide SOCKET: what this member, not in a group, does now. Sets GROUP_ACTION (join,
# bootstrap or wait) and REASON. Fails only when this member's own set cannot be read.
group_decide() {
  local socket=$1 mine peer host missing=() ahead=() lower=() verdict covered equal extra with_data lost
  mine=$(local_sql "$socket" <<<"SELECT $(gtid_union "$GTID_EXECUTED" "$GROUP_RECEIVED");") || { REASON="cannot read this member's GTID set"; return 1; }
  # Only a member that holds data can hold a transaction: one without an evidence entry need not answer.
  with_data=$(members_with_data 2>"$RUN_DIR/group.api-log") || { REASON="cannot ask the API server which members hold data ($(paste -sd ' ' "$RUN_DIR/group.api-log"))"; return 1; }
  lost=$(manifest_lost_members 2>"$RUN_DIR/group.api-log") || { REASON="cannot ask the API server which members are declared lost ($(paste -sd ' ' "$RUN_DIR/group.api-log"))"; return 1; }
  for peer in $(member_ordinals); do
    [ "$peer" -eq "$SELF_ORDINAL" ] && continue
    host=$(pod_host "$peer")
    # A member declared lost is not waited for; if it answers after all, it counts like any other.
    if ! group_peer "$peer"; then
      grep -qx "$peer" <<<"$with_data" && ! grep -qw -- "$peer" <<<"$lost" && missing+=("$host ($PEER_ERR)")
      continue
    fi
    if [ "$PEER_STATE" = ONLINE ]; then
      GROUP_ACTION=join REASON="$host is ONLINE in the group"
      return 0
    fi
    verdict=$(local_sql "$socket" <<<"SELECT GTID_SUBSET($(sql_string "$PEER_SET"), $(sql_string "$mine")), GTID_SUBSET($(sql_string "$mine"), $(sql_string "$PEER_SET")), REPLACE(GTID_SUBTRACT($(sql_string "$PEER_SET"), $(sql_string "$mine")), '\\n', '');") \
      || { REASON="cannot compare GTID sets"; return 1; }
    read -r covered equal extra <<<"$verdict"
    if [ "$covered" != 1 ]; then ahead+=("$host (it has $extra)"); elif [ "$equal" = 1 ] && [ "$peer" -lt "$SELF_ORDINAL" ]; then lower+=("$host"); fi
  done
  GROUP_ACTION='wait'
  if grep -qw -- "$SELF_ORDINAL" <<<"$lost"; then
    REASON="no member is ONLINE, and this member is declared lost (replication.lostMembers): it never starts the group; it joins one that another member starts"
  elif [ ${#missing[@]} -gt 0 ]; then
    REASON="no member is ONLINE and ${missing[*]} did not answer: a new group starts only from a member shown to hold every transaction any member has, so every member that holds data must answer. If a member is lost for good, declare it (replication.lostMembers, docs/mysql.md: Group Replication)"
  elif [ ${#ahead[@]} -gt 0 ]; then
    REASON="no member is ONLINE; ${ahead[*]} holds transactions this member lacks: that member starts the group, and this one joins it"
  elif [ ${#lower[@]} -gt 0 ]; then
    REASON="no member is ONLINE; ${lower[*]} holds the same transactions and has a lower ordinal: it starts the group, and this one joins it"
  else
    GROUP_ACTION=bootstrap REASON="no member is ONLINE and every member that answered holds a subset of this member's transactions ($mine)"
  fi
}

# --- a planned stop -----------------------------------------------------------------------------

# Whether this pod is being deleted (its deletionTimestamp is set), asked of the API server.
pod_terminating() {
  api_request GET "$(api_path pods "$POD_NAME")" && [ "$API_STATUS" = 200 ] && pod_body_deleting
}

# hand_over_target: "ORDINAL MEMBER_ID" of the secondary a stopping primary hands its role to: ONLINE
# in this member's view, a member the StatefulSet keeps (not scaled in), its pod Ready and not stopping;
# one the rolling update has already restarted first (it will not stop again), then the highest
# ordinal (the election's own preference). Fails when there is none.
hand_over_target() {
  local online update='' replicas host id peer rank best='' best_rank=-1
  online=$(with_timeout 5 local_sql "$MYSQL_SOCKET" --connect-timeout=3 <<<"SELECT MEMBER_HOST, MEMBER_ID FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = 'SECONDARY' AND MEMBER_STATE = 'ONLINE';") || return 1
  replicas=${REPLICAS:?}
  if api_request GET "$(api_path statefulsets "$MYSQL_SET_NAME")" && [ "$API_STATUS" = 200 ]; then
    update=$(grep -oE '"updateRevision" *: *"[^"]+"' <<<"$API_BODY" | head -n 1 | sed -E 's/.*"([^"]+)"$/\1/')
    replicas=$(grep -oE '"replicas" *: *[0-9]+' <<<"$API_BODY" | head -n 1 | grep -oE '[0-9]+$') || replicas=$REPLICAS
  fi
  while read -r host id; do
    # (the members' hosts are their pods' names under the headless Service: <set>-<ordinal>.<service>...)
    peer=${host%%.*}
    peer=${peer#"$MYSQL_SET_NAME"-}
    if ! [[ $peer =~ ^[0-9]+$ ]] || [ "$host" != "$(pod_host "$peer")" ]; then continue; fi
    [ "$peer" -lt "$((START_ORDINAL + replicas))" ] || continue
    if ! api_request GET "$(api_path pods "$MYSQL_SET_NAME-$peer")" || [ "$API_STATUS" != 200 ]; then continue; fi
    if pod_body_deleting || ! pod_body_ready; then continue; fi
    rank=$peer
    [ -n "$update" ] && grep -qE "\"controller-revision-hash\" *: *\"$update\"" <<<"$API_BODY" && rank=$((peer + 100000))
    [ "$rank" -gt "$best_rank" ] && best_rank=$rank best="$peer $id"
  done <<<"$online"
  [ -n "$best" ] && echo "$best"
}

# group_hand_over: a primary moves its role to hand_over_target before its mysqld stops, so the group
# switches at once instead of electing after mysqld left, and labels that pod primary (its own agent
# does too, at its next look: this spares the clients that wait). Anything else (a secondary, no
# target, a failure) leaves the election to the group when mysqld leaves it.
group_hand_over() {
  local role target ordinal id
  role=$(group_self_role) || return 0
  [ "$role" = PRIMARY ] || return 0
  if ! target=$(hand_over_target); then
    log "$POD_NAME: stopping as the primary, with no Ready secondary to hand the role to: the group elects one when mysqld leaves"
    return 0
  fi
  read -r ordinal id <<<"$target"
  # The group moves the role only once the chosen member can take it (consistency BEFORE_ON_PRIMARY_FAILOVER:
  # it applies what it had queued first); transactions still running here after HAND_OVER_TIMEOUT are rolled back.
  # (A group without a majority would block the move: it is given up after HAND_OVER_TIMEOUT + 5 s.)
  if ! with_timeout "$((HAND_OVER_TIMEOUT + 5))" local_sql "$MYSQL_SOCKET" --connect-timeout=3 <<<"SELECT group_replication_set_as_primary('$id', $HAND_OVER_TIMEOUT);" >/dev/null 2>"$RUN_DIR/group.hand-over-log"; then
    log "$POD_NAME: stopping as the primary: could not hand the role to $(pod_host "$ordinal") ($(head -n 1 "$RUN_DIR/group.hand-over-log")): the group elects a primary when mysqld leaves"
    return 0
  fi
  log "$POD_NAME: stopping: handed the primary role to $(pod_host "$ordinal")"
  if ! api_request PATCH "$(api_path pods "$MYSQL_SET_NAME-$ordinal")" "{\"metadata\":{\"labels\":{\"$ROLE_LABEL\":\"primary\"}}}" || [ "$API_STATUS" != 200 ]; then
    [ "$API_STATUS" = 0 ] || api_explain
  fi
}
