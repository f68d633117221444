#!/bin/sh
# The `sync-credentials` init container, at every start of a pod whose volume holds a
# database: the database follows its Secret, so kept data stays reachable after a destroy
# and re-create (new Secret) and after a rotation.
# - A primary or single server sets its users' passwords in single-user mode: no network,
#   no login needed, before the server accepts connections. The SQL goes on stdin; with
#   log_min_error_statement=panic a failing statement (its password) is never logged, and
#   exit_on_error makes any error fail the container.
# - A standby's roles are the primary's (replayed from WAL); what it holds itself is the
#   password of its own connection to the primary: primary_conninfo is rewritten with the
#   Secret's. (Generated passwords are letters and digits: nothing to quote inside it.)
# Inlined into the pod spec (sh -c) without these leading comment lines. Literals: 5432 is
# POSTGRES_PORT, replicator REPLICATION_USER (postgres.ts; test/postgres.spec.ts checks both).
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then echo "no database in $PGDATA yet: its first start takes the Secret's passwords"; exit 0; fi
if [ -f "$PGDATA/standby.signal" ]; then
  conf="$PGDATA/postgresql.auto.conf"
  { grep -v '^primary_conninfo' "$conf" || true
    printf "primary_conninfo = 'host=%s port=%s user=%s password=%s'
" "$PRIMARY_HOST" 5432 replicator "$REPLICATION_PASSWORD"
  } > "$conf.sync"
  chmod 0600 "$conf.sync"
  mv "$conf.sync" "$conf"
  echo "standby: its connection to $PRIMARY_HOST uses the Secret's replication password"
  exit 0
fi
literal() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }
identifier() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
{
  printf '%s
' "ALTER ROLE $(identifier "$POSTGRES_USER") PASSWORD $(literal "$POSTGRES_PASSWORD");"
  if [ -n "${REPLICATION_PASSWORD:-}" ]; then printf '%s
' "ALTER ROLE replicator PASSWORD $(literal "$REPLICATION_PASSWORD");"; fi
} | postgres --single -D "$PGDATA" -c exit_on_error=on -c log_min_error_statement=panic template1 >/dev/null
echo "$POSTGRES_USER${REPLICATION_PASSWORD:+ and replicator}: passwords set from the Secret"
