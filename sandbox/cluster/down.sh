#!/usr/bin/env bash
# Delete the local cluster started by up.sh. Safe to run at any time: works on
# a healthy, half-created or already-deleted cluster and exits 0 in all those
# cases. Leaves the toolchain (binaries, Go caches) alone.
#
# Env (see lib.sh): LABS_TOOLCHAIN_DIR, LABS_CLUSTER_NAME, LABS_KUBECONFIG.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

# 1. Ask kwokctl first: it stops the components it started (via its pid
#    files) and removes the cluster's context from the kubeconfig. It fails
#    on half-written state; that is fine, steps 2-3 clean up regardless.
if [[ -x "$BIN_DIR/kwokctl" && -e "$KWOK_CLUSTER_DIR" ]]; then
  log "deleting cluster '$CLUSTER_NAME'"
  kwokctl_offline delete cluster --kubeconfig "$KUBECONFIG_PATH" >&2 ||
    log "kwokctl delete failed (half-created cluster?); cleaning up by hand"
fi

# 2. Kill whatever is left: components recorded in kwokctl's pid files, and
#    any process of ours still pointing at this cluster's state dir.
pids=()
if [[ -d "$KWOK_CLUSTER_DIR/pids" ]]; then
  for f in "$KWOK_CLUSTER_DIR"/pids/*.pid; do
    [[ -f "$f" ]] || continue
    pid="$(tr -dc '0-9' <"$f")"
    # Only if that pid still runs one of our binaries (pids get reused).
    [[ -n "$pid" ]] && [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$(realpath -m "$BIN_DIR")/"* ]] &&
      pids+=("$pid")
  done
fi
mapfile -t -O "${#pids[@]}" pids < <(cluster_pids)

# TERM, wait up to 10s, then KILL. Returns once all given pids are gone.
stop_pids() {
  (( $# )) || return 0
  log "stopping leftover processes: $*"
  kill -TERM "$@" 2>/dev/null || true
  local alive=("$@") pid
  for _ in $(seq 1 20); do
    alive=()
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    (( ${#alive[@]} )) || return 0
    sleep 0.5
  done
  log "force-killing: ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

if (( ${#pids[@]} )); then
  mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -un)
  # etcd last: a kube-apiserver whose etcd is gone stalls its graceful
  # shutdown retrying storage and would only die on SIGKILL.
  others=() etcds=()
  for pid in "${pids[@]}"; do
    if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */etcd ]]; then etcds+=("$pid"); else others+=("$pid"); fi
  done
  stop_pids "${others[@]}"
  stop_pids "${etcds[@]}"
fi

# 3. Remove state so the next up.sh starts from scratch (etcd data, pki).
rm -rf "$KWOK_CLUSTER_DIR" "$CLUSTER_DIR"
# A kubeconfig outside our cluster dir (LABS_KUBECONFIG) may hold other
# contexts: kwokctl removed ours from it above; leave the file itself alone.

log "cluster '$CLUSTER_NAME' is down"
exit 0
