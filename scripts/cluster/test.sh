#!/usr/bin/env bash
# `npm run test:cluster`: the toolchains (built once, then cached), then two suites, each on a
# fresh local cluster, torn down whatever happens:
#   1. acceptance: the rendered stacks applied with kubectl (test/cluster/acceptance.spec.ts);
#   2. engine: `pulumi up` of every stack with the engine built here (test/cluster/engine.spec.ts),
#      then a class of three through `npm run classroom` (test/cluster/classroom.spec.ts).
#
# Env: LABS_CLUSTER_NAME (default state-labs-suite), LABS_WAIT_SECONDS (per wait, default
# 180), and those of scripts/cluster/lib.sh and scripts/engine/env.sh.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export LABS_CLUSTER_NAME="${LABS_CLUSTER_NAME:-state-labs-suite}"

t0=$(date +%s)
"$HERE/toolchain.sh"
"$ROOT/scripts/engine/toolchain.sh"
echo "cluster: toolchains ready in $(($(date +%s) - t0)) s"
trap '"$HERE/down.sh" >/dev/null 2>&1 || true' EXIT

suite() { # spec file...
  local t1 t2
  t1=$(date +%s)
  KUBECONFIG="$("$HERE/up.sh" | tail -n1)"
  export KUBECONFIG
  t2=$(date +%s)
  echo "cluster: up in $((t2 - t1)) s for $*"
  (cd "$ROOT" && npx mocha --config .mocharc.cluster.json "$@")
  echo "cluster: $* finished in $(($(date +%s) - t2)) s"
  "$HERE/down.sh" >/dev/null 2>&1
}

suite test/cluster/acceptance.spec.ts
# The engine runs offline: file backend and PULUMI_HOME in a temp dir, no plugin downloads.
ENGINE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/state-labs-engine.XXXXXX")"
trap '"$HERE/down.sh" >/dev/null 2>&1 || true; rm -rf "$ENGINE_DIR"' EXIT
# shellcheck source=../engine/env.sh
(cd "$ROOT" && source scripts/engine/env.sh "$ENGINE_DIR" && suite test/cluster/engine.spec.ts test/cluster/classroom.spec.ts)
