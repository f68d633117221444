#!/usr/bin/env bash
# `npm run test:cluster`: the toolchains and images (built once, then cached), then three suites,
# each on a fresh local cluster, torn down whatever happens (the real node's toolchain and images
# build beside the first two):
#   1. acceptance: the rendered stacks applied with kubectl (test/cluster/acceptance.spec.ts),
#      then kube-score over them (test/cluster/kube-score.spec.ts);
#   2. engine: `pulumi up` of every stack with the engine built here (test/cluster/engine.spec.ts),
#      then a class of three through `npm run classroom` (test/cluster/classroom.spec.ts), on
#      kwok's fake nodes;
#   3. real node: our CSI driver's tests (go test), then the dev stack's labs running on a kubelet
#      + containerd node and the dynamic stack's claims grown there (test/cluster/node.spec.ts),
#      the classroom (node-classroom.spec.ts), then `npm run local` end to end
#      (test/cluster/local.spec.ts), then a check that teardown left the host as it was.
#
# Env: LABS_CLUSTER_NAME (default state-labs-suite), LABS_WAIT_SECONDS (per wait, default
# 180), and those of sandbox/cluster/lib.sh and sandbox/engine/env.sh.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
NODE="$ROOT/sandbox/node"
export LABS_CLUSTER_NAME="${LABS_CLUSTER_NAME:-state-labs-suite}"
# Exit 2 before any build when this machine cannot run the suites (sandbox/preflight.sh).
# shellcheck disable=SC2034  # read by preflight.sh
PREFLIGHT_TOOL=cluster
# shellcheck source=../preflight.sh
source "$ROOT/sandbox/preflight.sh"
preflight_root "the real node suite uses network namespaces, cgroups and iptables"
preflight_no_cluster ""
preflight_build node

t0=$(date +%s)
ENGINE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/state-labs-engine.XXXXXX")"
# Cold, the builds are most of the run (about 32 min of both cores on a fresh machine): each suite starts as soon as
# what it needs is built, and the rest builds beside it at a lower priority than the suites.
# The real node's images come from Debian (downloads, unpacking): they build from the start.
IMAGES_LOG="$ENGINE_DIR/images.log"
(renice -n 15 -p "$BASHPID" >/dev/null && "$NODE/images.sh") >"$IMAGES_LOG" 2>&1 &
images_build=$!
# A background build and everything it started (go, its compilers): killing the subshell alone
# left them building after a failed suite. The tree is listed first, then signalled.
kill_tree() {
  local -a pids=("$@")
  local i=0
  while ((i < ${#pids[@]})); do
    mapfile -t -O "${#pids[@]}" pids < <(pgrep -P "${pids[i]}" || true)
    i=$((i + 1))
  done
  kill "${pids[@]}" 2>/dev/null || true
}
trap 'kill_tree "$images_build"' EXIT
"$HERE/toolchain.sh"
echo "cluster: control plane ready in $(($(date +%s) - t0)) s"
# The engine, then the real node's binaries (one toolchain lock: one build at a time).
ENGINE_BUILD_LOG="$ENGINE_DIR/engine-build.log"
NODE_BUILD_LOG="$ENGINE_DIR/node-build.log"
(renice -n 10 -p "$BASHPID" >/dev/null
 "$ROOT/sandbox/engine/toolchain.sh" >"$ENGINE_BUILD_LOG" 2>&1; echo $? >"$ENGINE_DIR/engine-build.rc"
 [[ "$(cat "$ENGINE_DIR/engine-build.rc")" == 0 ]] && "$NODE/toolchain.sh" >"$NODE_BUILD_LOG" 2>&1) &
go_build=$!
trap 'kill_tree "$images_build" "$go_build"; "$NODE/down.sh" >/dev/null 2>&1 || true; rm -rf "$ENGINE_DIR"' EXIT
# The control plane's toolchain is checked above; up.sh need not wait for the lock the builds hold.
export LABS_CLUSTER_TOOLCHAIN_READY=1

suite() { # up-script spec file...
  local up="$1" t1 t2
  shift
  t1=$(date +%s)
  KUBECONFIG="$("$up" | tail -n1)"
  export KUBECONFIG
  t2=$(date +%s)
  echo "cluster: up in $((t2 - t1)) s for $*"
  (cd "$ROOT" && npx mocha --config .mocharc.cluster.json "$@")
  echo "cluster: $* finished in $(($(date +%s) - t2)) s"
  "$NODE/down.sh" >/dev/null 2>&1   # also removes a control plane without a real node
}
built() { # what log: say it is ready, with its build report
  echo "cluster: $1 ready $(($(date +%s) - t0)) s after the start:"
  grep -E '^  ' "$2" || true
}
failed() { # what log
  tail -n 40 "$2" >&2
  echo "cluster: FAILED: $1 did not build (log: $2)" >&2
  exit 1
}

suite "$HERE/up.sh" test/cluster/acceptance.spec.ts test/cluster/kube-score.spec.ts
while [[ ! -f "$ENGINE_DIR/engine-build.rc" ]] && kill -0 "$go_build" 2>/dev/null; do sleep 5; done
[[ "$(cat "$ENGINE_DIR/engine-build.rc" 2>/dev/null)" == 0 ]] || failed "the Pulumi engine" "$ENGINE_BUILD_LOG"
built "the engine" "$ENGINE_BUILD_LOG"
# The engine runs offline: file backend and PULUMI_HOME in a temp dir, no plugin downloads.
# shellcheck source=../engine/env.sh
(cd "$ROOT" && source sandbox/engine/env.sh "$ENGINE_DIR/kwok" && suite "$HERE/up.sh" test/cluster/engine.spec.ts test/cluster/classroom.spec.ts)

wait "$go_build" || failed "the real node's toolchain" "$NODE_BUILD_LOG"
built "the node's toolchain" "$NODE_BUILD_LOG"
wait "$images_build" || failed "the real node's images" "$IMAGES_LOG"
built "the node's images" "$IMAGES_LOG"

# The real node changes the host (a network namespace, cgroups, mounts in its own namespace,
# kernel sysctls the kubelet sets); its teardown must undo all of it.
before="$(bash "$NODE/host-state.sh")"
# Our CSI driver's own tests first, as root: a real loop device, mount, growth and remount, in a
# mount namespace of their own (the host check below covers what they could leave behind).
(cd "$NODE/csi-loop" && GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false go test ./...) ||
  { echo "cluster: FAILED: the CSI driver's tests (sandbox/node/csi-loop: go test ./...)" >&2; exit 1; }
export LABS_NODE_DATA="$ENGINE_DIR/node-data"
(cd "$ROOT" && source sandbox/engine/env.sh "$ENGINE_DIR/node" && suite "$NODE/up.sh" test/cluster/node.spec.ts test/cluster/node-classroom.spec.ts)
# npm run local as a newcomer runs it (it starts and removes its own cluster): up, the classroom
# on it, down, up again, a plain preview of dev, and the repository's git status untouched.
(cd "$ROOT" && npx mocha --config .mocharc.cluster.json test/cluster/local.spec.ts)
rm -rf "$LABS_NODE_DATA"
after="$(bash "$NODE/host-state.sh")"
if ! diff <(echo "$before") <(echo "$after") >"$ENGINE_DIR/host-state.diff"; then
  echo "cluster: FAILED: the real node's teardown left the host changed:" >&2
  cat "$ENGINE_DIR/host-state.diff" >&2
  exit 1
fi
echo "cluster: teardown left the host as it was (interfaces, netns, iptables, mounts, cgroups, processes, sysctls)"
