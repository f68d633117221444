#!/bin/sh
# The initiation Job: wait until every member answers, then run initiate.js (mounted from a
# ConfigMap at /scripts, see mongo-replica-set.ts).
# Inlined into the pod spec (sh -c) without these leading comment lines.
set -eu
for host in $MEMBERS; do
  until mongosh --quiet "mongodb://$host/admin?directConnection=true" --eval "db.adminCommand('ping').ok" >/dev/null 2>&1; do
    echo "waiting for $host"; sleep 3
  done
done
exec mongosh --quiet --nodb --file /scripts/initiate.js
