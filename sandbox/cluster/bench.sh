#!/usr/bin/env bash
# `npm run bench:cluster` and `npm run bench:classroom`: the bench script given
# (tools/bench-cluster.ts, tools/bench-classroom.ts) on a fresh local cluster with the
# offline engine environment; prints figures, asserts nothing.
#   bash sandbox/cluster/bench.sh tools/bench-classroom.ts
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export LABS_CLUSTER_NAME="${LABS_CLUSTER_NAME:-state-labs-bench}"
"$HERE/toolchain.sh"
"$ROOT/sandbox/engine/toolchain.sh"
ENGINE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/state-labs-bench.XXXXXX")"
trap '"$HERE/down.sh" >/dev/null 2>&1 || true; rm -rf "$ENGINE_DIR"' EXIT
KUBECONFIG="$("$HERE/up.sh" | tail -n1)"
export KUBECONFIG
cd "$ROOT"
# shellcheck source=../engine/env.sh
source sandbox/engine/env.sh "$ENGINE_DIR"
npx ts-node --transpile-only "${1:?usage: bench.sh <bench script>}"
