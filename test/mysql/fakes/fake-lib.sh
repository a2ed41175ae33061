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
#   rows      mysql: a result set, tab-separated, first line the column names; the values as
#             the server holds them, with \, newline and tab written \\, \n, \t (see
#             fake_print_rows for how the client prints them)
#   status    curl: the HTTP status (default 200)
#   hang      mysqld: runs, but never answers on its socket; mysql: never answers (until killed)
# What the cluster holds beyond the rules (written by the harness):
#   $FAKE_STATE/cluster/root-password, replication-password   the passwords the cluster's
#             accounts have (what a clone carries, what a peer accepts)
#   $FAKE_STATE/servers/<socket>.vars   the global variables a running server was SET to
#   $FAKE_STATE/api/...                 the API server (see curl)
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

# The body of a single-quoted SQL string literal as the server reads it: '' is a quote, \x an
# escape -- unless the session's sql_mode has NO_BACKSLASH_ESCAPES (FAKE_NO_BACKSLASH_ESCAPES=1),
# where a backslash is a character like any other.
fake_sql_unquote() {
  local v=$1 out='' c i
  for ((i = 0; i < ${#v}; i++)); do
    c=${v:i:1}
    if [ "$c" = "\\" ] && [ "${FAKE_NO_BACKSLASH_ESCAPES:-0}" != 1 ] && [ $((i + 1)) -lt ${#v} ]; then
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

# fake_select_columns SQL: sets FAKE_COLUMNS to the expressions of the select list of the first
# statement of SQL (none unless it is a SELECT): split at the commas outside parentheses and
# quotes, up to a FROM, a ";" or the end.
fake_select_columns() {
  local sql=$1 i c depth=0 quote='' current=''
  FAKE_COLUMNS=()
  [[ $sql =~ ^[[:space:]]*SELECT[[:space:]]+ ]] || return 0
  sql=${sql:${#BASH_REMATCH[0]}}
  for ((i = 0; i < ${#sql}; i++)); do
    c=${sql:i:1}
    if [ -n "$quote" ]; then
      current+=$c
      if [ "$c" = "\\" ]; then
        current+=${sql:i+1:1}
        i=$((i + 1))
      elif [ "$c" = "$quote" ]; then
        quote=''
      fi
      continue
    fi
    if [ "$depth" -eq 0 ] && [[ ${sql:i} =~ ^[[:space:]]+FROM[[:space:]] ]]; then break; fi
    case "$c" in
      "'" | '"' | '`') quote=$c ;;
      '(') depth=$((depth + 1)) ;;
      ')') depth=$((depth - 1)) ;;
      ',' | ';')
        if [ "$depth" -eq 0 ]; then
          FAKE_COLUMNS+=("$current")
          current=''
          [ "$c" = ';' ] && return 0
          continue
        fi
        ;;
    esac
    current+=$c
  done
  FAKE_COLUMNS+=("$current")
}

# fake_print_rows FILE SQL COLUMN_NAMES VERTICAL: prints the result set of a rules file as the
# server and the client would:
#   - a column selected as REPLACE(expr, 'from', 'to') holds the value of expr; the REPLACE is
#     applied here, as the server applies it (the scripts use it to put GTID sets on one line);
#   - --batch prints \, newline and tab in a value as \\, \n and \t (mysql.cc, print_tab_data:
#     a GTID set, which MySQL writes with a newline after each comma, comes out with a literal
#     "\n"); --vertical prints values as they are (print_table_data_vertically).
fake_print_rows() {
  local file=$1 sql=$2 names=$3 vertical=$4 i expr re from to
  local replaces=()
  re="^[[:space:]]*REPLACE\\((.+),[[:space:]]*$FAKE_SQL_STRING,[[:space:]]*$FAKE_SQL_STRING\\)[[:space:]]*\$"
  fake_select_columns "$sql"
  for i in "${!FAKE_COLUMNS[@]}"; do
    expr=${FAKE_COLUMNS[i]}
    if [[ $expr =~ $re ]]; then
      # (An "x" keeps the trailing newlines that $(...) would drop: '\n' is one.)
      from=$(fake_sql_unquote "${BASH_REMATCH[2]}" && printf x)
      to=$(fake_sql_unquote "${BASH_REMATCH[4]}" && printf x)
      replaces+=("FAKE_REPLACE_$((i + 1))=1" "FAKE_FROM_$((i + 1))=${from%x}" "FAKE_TO_$((i + 1))=${to%x}")
    fi
  done
  # shellcheck disable=SC2016 # an awk program: its $i are awk's fields
  env "${replaces[@]}" awk -F '\t' -v names="$names" -v vertical="$vertical" '
    function replace_all(s, from, to,   out, p) {
      if (from == "") return s
      out = ""
      while ((p = index(s, from)) > 0) {
        out = out substr(s, 1, p - 1) to
        s = substr(s, p + length(from))
      }
      return out s
    }
    function decode(s,   out, i, c) {
      out = ""
      for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\\" && i < length(s)) {
          c = substr(s, ++i, 1)
          if (c == "n") c = "\n"; else if (c == "t") c = "\t"
        }
        out = out c
      }
      return out
    }
    function encode(s) {
      return replace_all(replace_all(replace_all(s, "\\", "\\\\"), "\n", "\\n"), "\t", "\\t")
    }
    NR == 1 {
      n = split($0, header, "\t")
      for (i = 1; i <= n; i++) if (length(header[i]) > width) width = length(header[i])
      if (names && !vertical) print
      next
    }
    {
      for (i = 1; i <= n; i++) {
        v[i] = decode($i)
        if (ENVIRON["FAKE_REPLACE_" i] == "1") v[i] = replace_all(v[i], ENVIRON["FAKE_FROM_" i], ENVIRON["FAKE_TO_" i])
      }
    }
    !vertical {
      line = encode(v[1])
      for (i = 2; i <= n; i++) line = line "\t" encode(v[i])
      print line
      next
    }
    {
      printf "*************************** %d. row ***************************\n", NR - 1
      for (i = 1; i <= n; i++) if (names) printf "%*s: %s\n", width, header[i], v[i]; else print v[i]
    }
  ' "$file"
}

# fake_gtid_functions SQL: fails (as the server does, ERROR 1772) when a GTID_SUBSET or
# GTID_SUBTRACT is given a string literal that is no GTID set -- such as one with the literal
# "\n" that mysql --batch prints between the UUIDs of a set read without REPLACE. Whitespace,
# newlines included, is allowed between the parts of a set, as the server allows it.
fake_gtid_functions() {
  local rest=$1 literal set
  local uuid='[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
  local part=':([0-9]+(-[0-9]+)?|[A-Za-z_][A-Za-z0-9_]{0,31})'
  local valid="^($uuid($part)+(,$uuid($part)+)*)?\$"
  local call="GTID_(SUBSET|SUBTRACT)\\($FAKE_SQL_STRING(,[[:space:]]*$FAKE_SQL_STRING)?"
  while [[ $rest =~ $call ]]; do
    rest=${rest#*"${BASH_REMATCH[0]}"}
    for literal in "${BASH_REMATCH[2]}" "${BASH_REMATCH[5]}"; do
      [ -n "$literal" ] || continue
      set=$(fake_sql_unquote "$literal")
      if ! [[ ${set//[[:space:]]/} =~ $valid ]]; then
        printf "ERROR 1772 (HY000) at line 1: Malformed GTID set specification '%s'.\n" "$set"
        return 1
      fi
    done
  done
}

# The file with the global variables a server behind SOCKET was SET to since it started.
fake_vars_file() {
  local name=${1//\//_}
  printf '%s/servers/%s.vars\n' "${FAKE_STATE:?}" "$name"
}

# fake_server_var SOCKET NAME: ON or OFF, the value of a boolean global variable (read_only,
# super_read_only) of the server behind SOCKET: what it was SET to, else its startup options (the
# last --name=value wins, as mysqld reads them), else OFF.
fake_server_var() {
  local socket=$1 name=$2 file value='' option options
  file=$(fake_vars_file "$socket")
  [ -f "$file" ] && value=$(sed -n "s/^$name=//p" "$file" | tail -n 1)
  if [ -z "$value" ]; then
    options=$(sed -n 's/^options=//p' "$socket" 2>/dev/null)
    for option in $options; do
      case "$option" in --"${name//_/-}"=* | --"$name"=*) value=${option#*=} ;; esac
    done
  fi
  case "${value^^}" in ON | 1 | TRUE) echo ON ;; *) echo OFF ;; esac
}

# fake_set_server_var SOCKET NAME ON|OFF, with the server's coupling of the two: super_read_only
# ON turns read_only on; read_only OFF turns super_read_only off.
fake_set_server_var() {
  local socket=$1 name=$2 value=$3 file
  file=$(fake_vars_file "$socket")
  mkdir -p "${file%/*}"
  echo "$name=$value" >>"$file"
  if [ "$name" = super_read_only ] && [ "$value" = ON ]; then echo "read_only=ON" >>"$file"; fi
  if [ "$name" = read_only ] && [ "$value" = OFF ]; then echo "super_read_only=OFF" >>"$file"; fi
}
