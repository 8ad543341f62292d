#!/bin/sh
# The entrypoint of the test suite's PostgreSQL image (tests/docker.sh builds it from Debian's
# postgresql binaries and busybox): it starts PostgreSQL the way the official image does, so a compose
# file written for `postgres:16-alpine` runs unchanged. POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB
# make the first user and database of an empty data directory; local connections are trusted (as
# `pg_isready` needs), network ones need the password.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\n' "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" > /tmp/pwfile
  chown postgres /tmp/pwfile
  su postgres -c "initdb -D '$PGDATA' -U '$user' --pwfile=/tmp/pwfile -A scram-sha-256 --auth-local=trust --no-locale -E UTF8" > /dev/null
  rm -f /tmp/pwfile
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\" OWNER \"$user\";" | su postgres -c "postgres --single -D '$PGDATA' -j postgres" > /dev/null
  fi
fi
exec su postgres -c "exec postgres -D '$PGDATA' -c listen_addresses='*'"
