#!/bin/sh
# The `sync-credentials` init container, at every start of a member whose volume holds data:
# its root user follows the Secret, so kept data stays reachable after a destroy and a
# rotation. MongoDB keeps users in the data, and a user's password can only be changed by
# someone logged in; so, as MongoDB's own maintenance procedure does, the member first runs
# standalone: no --replSet, no --keyFile (hence no auth), on loopback and another port
# (27018), where nothing outside the pod can reach it, and runs sync-root.js. Each member does
# this itself (a standalone write is not replicated).
# Inlined into the pod spec (sh -c) without these leading comment lines. Literals: /data/db is
# the data mount and /scripts the ConfigMap's (mongo-replica-set.ts; the spec checks both).
set -eu
if [ ! -e /data/db/WiredTiger ]; then echo "no database in /data/db yet: its first start takes the Secret's password"; exit 0; fi
mongod --dbpath /data/db --bind_ip 127.0.0.1 --port 27018 --wiredTigerCacheSizeGB 0.25 --quiet >/dev/null &
pid=$!
until mongosh --quiet --port 27018 --eval "db.adminCommand('ping').ok" >/dev/null 2>&1; do
  kill -0 "$pid" 2>/dev/null || { echo "mongod did not start standalone on /data/db"; exit 1; }
  sleep 1
done
status=0
mongosh --quiet --port 27018 --file /scripts/sync-root.js || status=$?
mongosh --quiet --port 27018 admin --eval "db.shutdownServer()" >/dev/null 2>&1 || true
wait "$pid" || true
exit "$status"
