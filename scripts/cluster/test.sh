#!/usr/bin/env bash
# `npm run test:cluster`: the toolchain (built once, then cached), a fresh local cluster, the
# acceptance suite against it, and teardown whatever happens.
#
# Env: LABS_CLUSTER_NAME (default state-labs-suite), LABS_WAIT_SECONDS (per wait, default
# 180), and those of lib.sh.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export LABS_CLUSTER_NAME="${LABS_CLUSTER_NAME:-state-labs-suite}"

t0=$(date +%s)
"$HERE/toolchain.sh"
t1=$(date +%s)
trap '"$HERE/down.sh" >/dev/null 2>&1 || true' EXIT
KUBECONFIG="$("$HERE/up.sh" | tail -n1)"
export KUBECONFIG
t2=$(date +%s)
echo "cluster: toolchain ready in $((t1 - t0)) s, cluster up in $((t2 - t1)) s"

cd "$HERE/../.."
npx mocha --config .mocharc.cluster.json
echo "cluster: suite finished in $(($(date +%s) - t2)) s"
