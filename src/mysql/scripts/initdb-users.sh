# shellcheck shell=bash
# Sourced by the mysql image's entrypoint (docker-entrypoint.sh) once, when it initializes the
# primary's empty data directory; docker_process_sql runs SQL as root on the temporary server.
# Replicas get these users with the cloned data.
# shellcheck source=lib.sh
. "${CDK8S_MYSQL_DIR:-/etc/cdk8s-mysql}/lib.sh"

: "${REPLICATION_USER:?REPLICATION_USER is not set}"
: "${REPLICATION_PASSWORD:?REPLICATION_PASSWORD is not set}"

# One account replicates and donates clones: REPLICATION SLAVE is still the privilege's name
# in 8.4; BACKUP_ADMIN lets CLONE INSTANCE read from this server. TLS is required.
sql="CREATE USER '$REPLICATION_USER'@'%' IDENTIFIED BY $(sql_string "$REPLICATION_PASSWORD") REQUIRE SSL;
GRANT REPLICATION SLAVE, BACKUP_ADMIN ON *.* TO '$REPLICATION_USER'@'%';"
if [ -n "${EXPORTER_USER:-}" ]; then
  : "${EXPORTER_PASSWORD:?EXPORTER_PASSWORD is not set}"
  # The metrics sidecar connects over loopback TCP.
  sql="$sql
CREATE USER '$EXPORTER_USER'@'127.0.0.1' IDENTIFIED BY $(sql_string "$EXPORTER_PASSWORD") WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO '$EXPORTER_USER'@'127.0.0.1';"
fi
docker_process_sql --database=mysql <<<"$sql"
unset sql
