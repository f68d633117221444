#!/bin/sh
# Runs once, on the primary's first start (docker-entrypoint-initdb.d, mounted from a
# ConfigMap): the replication role, its password read from the env (the Secret), and the
# pg_hba line that lets it stream. replicator is REPLICATION_USER of postgres.ts
# (test/postgres.spec.ts runs this and checks it).
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$REPLICATION_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
