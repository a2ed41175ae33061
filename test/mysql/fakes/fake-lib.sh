# shellcheck shell=bash
# Shared by the stand-ins (mysql, mysqld, mysqladmin, curl) of the script tests; sourced.
#
# What a stand-in is asked is appended to $FAKE_LOG. What it answers comes from rules that the
# test writes under $FAKE_STATE/rules/<name>/ (test/mysql/harness.ts), tried in name order, the
# first that applies wins:
#   program   mysql | mysqld | curl
#   target    optional: mysql "local" (a socket) or a host; curl the method
#   match     optional: a POSIX ERE the request must match (mysql: the SQL; mysqld: its
#             arguments; curl: "METHOD URL")
#   times     optional: the rule applies to its first N matching requests only
#   exit      exit status (default 0); stdout, stderr: what to print
#   rows      mysql: a result set, tab-separated, first line the column names (printed the way
#             the client's --vertical / --skip-column-names options say)
#   status    curl: the HTTP status (default 200)
#   hang      mysqld: runs, but never answers on its socket
# Paths in option files are the pod's: $FAKE_ROOT is where the pod's file system is.

fake_record() {
  printf '%s\n' "$@" >>"${FAKE_LOG:?FAKE_LOG is not set}"
}

# fake_rule PROGRAM TARGET REQUEST: sets RULE to the directory of the first rule that applies.
fake_rule() {
  local program=$1 target=$2 request=$3 dir re used
  RULE=
  for dir in "${FAKE_STATE:?FAKE_STATE is not set}"/rules/*/; do
    [ -f "$dir/program" ] || continue
    [ "$(<"$dir/program")" = "$program" ] || continue
    if [ -f "$dir/target" ] && [ "$(<"$dir/target")" != "$target" ]; then continue; fi
    if [ -f "$dir/match" ]; then
      re=$(<"$dir/match")
      [[ $request =~ $re ]] || continue
    fi
    if [ -f "$dir/times" ]; then
      used=0
      [ -f "$dir/used" ] && used=$(wc -l <"$dir/used")
      [ "$used" -lt "$(<"$dir/times")" ] || continue
    fi
    echo >>"$dir/used"
    RULE=${dir%/}
    return 0
  done
  return 1
}

# fake_rule_value NAME DEFAULT: a field of $RULE.
fake_rule_value() {
  if [ -n "$RULE" ] && [ -f "$RULE/$1" ]; then cat "$RULE/$1"; else printf '%s' "$2"; fi
}

# An absolute path from an option file, in the sandbox.
fake_pod_path() {
  case "$1" in
    "$FAKE_ROOT"/*) printf '%s\n' "$1" ;;
    /*) printf '%s\n' "$FAKE_ROOT$1" ;;
    *) printf '%s\n' "$1" ;;
  esac
}

# A value of an option file as MySQL reads it (mysys my_default.cc): surrounding spaces dropped,
# a pair of enclosing quotes removed, then the escapes \b \t \n \r \\ \s \" \' decoded (any other
# backslash stays).
fake_option_value() {
  local v=$1 out='' c i
  v=${v#"${v%%[![:space:]]*}"}
  v=${v%"${v##*[![:space:]]}"}
  if [ "${#v}" -ge 2 ] && { [[ $v == \"*\" ]] || [[ $v == \'*\' ]]; }; then v=${v:1:${#v}-2}; fi
  for ((i = 0; i < ${#v}; i++)); do
    c=${v:i:1}
    if [ "$c" = "\\" ] && [ $((i + 1)) -lt ${#v} ]; then
      i=$((i + 1))
      case "${v:i:1}" in
        b) out+=$'\b' ;;
        t) out+=$'\t' ;;
        n) out+=$'\n' ;;
        r) out+=$'\r' ;;
        s) out+=' ' ;;
        '"' | "'" | "\\") out+=${v:i:1} ;;
        *) out+="\\${v:i:1}" ;;
      esac
    else
      out+=$c
    fi
  done
  printf '%s' "$out"
}

# The body of a single-quoted SQL string literal as the server reads it (default sql_mode):
# '' is a quote, \x an escape.
fake_sql_unquote() {
  local v=$1 out='' c i
  for ((i = 0; i < ${#v}; i++)); do
    c=${v:i:1}
    if [ "$c" = "\\" ] && [ $((i + 1)) -lt ${#v} ]; then
      i=$((i + 1))
      case "${v:i:1}" in
        n) out+=$'\n' ;;
        t) out+=$'\t' ;;
        r) out+=$'\r' ;;
        b) out+=$'\b' ;;
        0) out+='?' ;;
        %) out+='\%' ;;
        _) out+='\_' ;;
        *) out+=${v:i:1} ;;
      esac
    elif [ "$c" = "'" ] && [ "${v:i+1:1}" = "'" ]; then
      out+="'"
      i=$((i + 1))
    else
      out+=$c
    fi
  done
  printf '%s' "$out"
}

# An ERE for a single-quoted SQL string literal; its body is group 1.
# shellcheck disable=SC2034 # used by the stand-ins that source this file
FAKE_SQL_STRING="'((\\\\.|''|[^'\\\\])*)'"
