#!/usr/bin/env bash
# The Job of MySqlCredentials.fromGeneratedSecret: writes a random password into every key of the
# credentials Secret that has none. A key with a value is never changed -- a second run, or a run after
# someone set a password by hand, changes nothing -- and no password is ever written to the log.
# The Secret is emitted empty by the manifest; this Job may read and patch that one Secret only.
set -euo pipefail
# shellcheck source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

: "${CREDENTIALS_NAME:?CREDENTIALS_NAME: the credentials Secret}"
: "${CREDENTIALS_FIELDS:?CREDENTIALS_FIELDS: its keys, separated by spaces}"
: "${GENERATE_ATTEMPTS:=60}"     # tries (a missing Secret, a conflicting writer) ...
: "${GENERATE_INTERVAL:=5}"      # ... this many seconds apart

# 32 letters and digits (190 bits): nothing a shell, an option file or a connection URL must escape.
random_password() {
  local out=''
  while [ ${#out} -lt 32 ]; do out+=$(head -c 64 /dev/urandom | base64 -w 0 | tr -dc 'A-Za-z0-9'); done
  printf '%s' "${out:0:32}"
}

# The Secret as the API server sends it (compact JSON: the User-Agent is not curl's), read with bash's own
# regular expressions: no subprocess, no temporary file (the root file system is read-only), nothing that can
# fail silently. metadata.resourceVersion is the first resourceVersion of the body (managedFields carry none);
# "data":{ occurs once unescaped (the last-applied annotation escapes its quotes, managedFields say "f:data").
SECRET_VERSION='' SECRET_DATA=''
read_secret() {
  SECRET_VERSION='' SECRET_DATA=''
  [[ $1 =~ \"kind\":\"Secret\" ]] || return 1
  [[ $1 =~ \"resourceVersion\":\"([0-9]+)\" ]] || return 1
  SECRET_VERSION=${BASH_REMATCH[1]}
  if [[ $1 =~ \"data\":\{([^}]*)\} ]]; then SECRET_DATA=${BASH_REMATCH[1]}; fi
}

# Whether key $1 has a non-empty value in SECRET_DATA (Secret keys are letters, digits, "-", "_" and ".").
has_value() {
  local pattern="(^|,)\"${1//./\\.}\":\"[^\"]+\""
  [[ $SECRET_DATA =~ $pattern ]]
}

# One attempt: 0 when every key has a value (now or already), 1 to try again.
fill_missing() {
  api_get secrets "$CREDENTIALS_NAME" "the Secret $CREDENTIALS_NAME does not exist (yet): the manifest of $MYSQL_SET_NAME emits it, empty; waiting for it" || return 1
  local key missing=() entries=''
  # Fail closed: without the Secret's version the write could not be conditional, and without its data
  # every key would look missing.
  if ! read_secret "$API_BODY"; then
    log "the API server's answer for the Secret $CREDENTIALS_NAME is not one this script can read (no kind Secret with a resourceVersion): writing nothing"
    return 1
  fi
  for key in $CREDENTIALS_FIELDS; do
    has_value "$key" && continue
    missing+=("$key")
    entries+="${entries:+,}\"$key\":\"$(random_password | base64 -w 0)\""
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "every key of the Secret $CREDENTIALS_NAME has a value ($CREDENTIALS_FIELDS): nothing to do"
    return 0
  fi
  # The resourceVersion makes the patch conditional: if anyone wrote the Secret since it was read, the
  # API server refuses (409) and the next attempt reads it again, so a value is never overwritten.
  api_request PATCH "$(api_path secrets "$CREDENTIALS_NAME")" "{\"metadata\":{\"resourceVersion\":\"$SECRET_VERSION\"},\"data\":{$entries}}" || return 1
  case "$API_STATUS" in
    200) log "wrote a random password into ${missing[*]} of the Secret $CREDENTIALS_NAME (the other keys had values)"; return 0 ;;
    409) log "the Secret $CREDENTIALS_NAME changed while being filled: reading it again"; return 1 ;;
    *) api_explain; return 1 ;;
  esac
}

main() {
  local attempt
  for ((attempt = 1; attempt <= GENERATE_ATTEMPTS; attempt++)); do
    fill_missing && return 0
    sleep "$GENERATE_INTERVAL"
  done
  die "gave up after $GENERATE_ATTEMPTS attempts: the Secret $CREDENTIALS_NAME still lacks a value (the Job retries)"
}

main "$@"
