#!/usr/bin/env bash
# `npm run bench:cluster` and `npm run bench:classroom`: the bench script given
# (tools/bench-cluster.ts, tools/bench-classroom.ts) on a fresh local cluster with the
# offline engine environment; prints figures, asserts nothing.
#   bash sandbox/cluster/bench.sh tools/bench-classroom.ts
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export LABS_CLUSTER_NAME="${LABS_CLUSTER_NAME:-state-labs-bench}"
# shellcheck disable=SC2034  # read by preflight.sh
PREFLIGHT_TOOL=bench
# shellcheck source=../preflight.sh
source "$ROOT/sandbox/preflight.sh"
[[ -f "$ROOT/${1:-}" ]] || preflight_fail "usage: bash sandbox/cluster/bench.sh <bench script> (tools/bench-cluster.ts, tools/bench-classroom.ts, tools/bench-status.ts)"
preflight_no_cluster ""
preflight_build kwok   # the control plane and engine only: no real node here
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
