#!/bin/sh
# shellcheck disable=SC3028 # HOSTNAME: the kubelet sets it in every container (the pod's name)
# The `clone-primary` init container of every standby, on its first start: clone the primary
# (pg_basebackup -R writes standby.signal and primary_conninfo) into a temporary directory,
# then move it into place, so a failed clone never leaves a half data directory. Data already
# there is kept: a restart changes nothing.
# Inlined into the pod spec (sh -c) without these leading comment lines. Literals: 5432 is
# POSTGRES_PORT, replicator REPLICATION_USER (postgres.ts; test/postgres.spec.ts checks both).
set -eu
ordinal="${HOSTNAME##*-}"
if [ "$ordinal" = "0" ]; then echo "ordinal 0 is the primary: nothing to clone"; exit 0; fi
if [ -s "$PGDATA/PG_VERSION" ]; then echo "$PGDATA holds data: keeping it"; exit 0; fi
until pg_isready -h "$PRIMARY_HOST" -p 5432; do echo "waiting for $PRIMARY_HOST"; sleep 2; done
rm -rf "$PGDATA.clone"
PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -p 5432 -U replicator -D "$PGDATA.clone" -R -X stream
chmod 0700 "$PGDATA.clone"
mv "$PGDATA.clone" "$PGDATA"
echo "cloned $PRIMARY_HOST into $PGDATA as a hot standby"
