#!/bin/sh
# The `sync-credentials` init container, at every start: Grafana keeps its admin password in
# its own database, set from the env only when that database is created. Reset it from the
# Secret (on stdin, never argv), so a kept volume stays reachable after a destroy and a
# rotation. `--password-from-stdin`: Grafana 9.1+.
# Inlined into the pod spec (sh -c) without these leading comment lines.
set -eu
if [ ! -s "$GF_PATHS_DATA/grafana.db" ]; then echo "no Grafana database yet: its first start takes the Secret's admin password"; exit 0; fi
printf '%s' "$GF_SECURITY_ADMIN_PASSWORD" | grafana cli --homepath "${GF_PATHS_HOME:-/usr/share/grafana}" --config "${GF_PATHS_CONFIG:-/etc/grafana/grafana.ini}" admin reset-admin-password --password-from-stdin >/dev/null
echo "$GF_SECURITY_ADMIN_USER: password set from the Secret"
