# The official image's start: on an empty data folder, a cluster whose
# superuser is POSTGRES_USER with POSTGRES_PASSWORD, and the database
# POSTGRES_DB; then the server, taking connections from anywhere with that
# password.
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required, as by the official image}"
user="${POSTGRES_USER:-postgres}"
database="${POSTGRES_DB:-$user}"
bin="$(dirname /usr/lib/postgresql/*/bin/postgres)"
as_postgres="setpriv --reuid=postgres --regid=postgres --init-groups"

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    password_file="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" > "$password_file"
    chown postgres "$password_file"
    # Under the C locale the cluster would be SQL_ASCII, and psycopg would
    # hand back bytes.
    $as_postgres "$bin/initdb" --pgdata="$PGDATA" --username="$user" \
        --pwfile="$password_file" --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8
    rm -f "$password_file"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    if [ "$database" != postgres ]; then
        echo "CREATE DATABASE \"$database\" OWNER \"$user\"" \
            | $as_postgres "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null
    fi
fi

exec $as_postgres "$bin/postgres" -D "$PGDATA"
