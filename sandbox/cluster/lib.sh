# shellcheck shell=bash disable=SC2034  # variables are used by the sourcing scripts
# Shared settings for sandbox/cluster/{up,down}.sh. Sourced, not executed.
#
# Env (all optional):
#   LABS_TOOLCHAIN_DIR  toolchain cache root (default ~/.cache/state-labs/toolchain)
#   LABS_CLUSTER_NAME   cluster name (default state-labs)
#   LABS_KUBECONFIG     kubeconfig to write the cluster's context into
#                       (default $LABS_TOOLCHAIN_DIR/clusters/<name>/kubeconfig)

TOOLCHAIN_DIR="${LABS_TOOLCHAIN_DIR:-$HOME/.cache/state-labs/toolchain}"
BIN_DIR="$TOOLCHAIN_DIR/bin"
CLUSTER_NAME="${LABS_CLUSTER_NAME:-state-labs}"
# Our own per-cluster directory: kubeconfig + kwokctl config live here.
CLUSTER_DIR="$TOOLCHAIN_DIR/clusters/$CLUSTER_NAME"
KUBECONFIG_PATH="${LABS_KUBECONFIG:-$CLUSTER_DIR/kubeconfig}"

# kwokctl keeps its state (pki, etcd data, pid files, logs) under
# $KWOK_WORKDIR/clusters/<name>; keep it next to the toolchain instead of
# ~/.kwok so everything this project creates sits in one cache dir.
export KWOK_WORKDIR="$TOOLCHAIN_DIR/kwok"
KWOK_CLUSTER_DIR="$KWOK_WORKDIR/clusters/$CLUSTER_NAME"

# Built binaries first: kwokctl looks kubectl up on PATH before it would
# otherwise download one.
export PATH="$BIN_DIR:$PATH"

die() { echo "cluster: ERROR: $*" >&2; exit 1; }
log() { echo "cluster: $*" >&2; }

# After a failed start: the last lines of every component log in a directory, on stderr.
tail_logs() { # dir lines
  local f
  for f in "$1"/*.log; do
    [[ -f "$f" ]] || continue
    echo "----- $f" >&2
    tail -n "$2" "$f" >&2
  done
}

[[ "$CLUSTER_NAME" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] ||
  die "LABS_CLUSTER_NAME='$CLUSTER_NAME' must be a DNS label (lowercase, digits, '-')"

# Run kwokctl with every component/tool location pointed at the local build,
# and with a proxy that refuses all connections, so that any code path we
# missed that would fetch a release binary fails loudly instead of reaching
# the internet. Loopback traffic (the cluster itself) never uses a proxy.
# Loopback, and the links to real nodes (sandbox/node/lib.sh: 10.201.<n>.0/30), which the API
# server dials for logs, exec and port-forward.
LOCAL_NO_PROXY="127.0.0.1,localhost,::1,10.201.0.0/16"
kwokctl_offline() {
  HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
  http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
  NO_PROXY="$LOCAL_NO_PROXY" no_proxy="$LOCAL_NO_PROXY" \
  KWOK_KUBE_BINARY_PREFIX="$BIN_DIR" \
  KWOK_KUBECTL_BINARY="$BIN_DIR/kubectl" \
  KWOK_KUBE_APISERVER_BINARY="$BIN_DIR/kube-apiserver" \
  KWOK_KUBE_CONTROLLER_MANAGER_BINARY="$BIN_DIR/kube-controller-manager" \
  KWOK_KUBE_SCHEDULER_BINARY="$BIN_DIR/kube-scheduler" \
  KWOK_CONTROLLER_BINARY="$BIN_DIR/kwok" \
  KWOK_ETCD_BINARY="$BIN_DIR/etcd" \
    "$BIN_DIR/kwokctl" --name "$CLUSTER_NAME" "$@"
}

# PIDs of this cluster's component processes: a binary from our toolchain
# whose command line mentions this cluster's kwok state dir (kwokctl passes
# every component its config/pki paths from there). Matching on both keeps
# other clusters and unrelated processes (an editor, 'tail -f' on a log) safe.
cluster_pids() {
  local p exe cmd bin_real
  bin_real="$(realpath -m "$BIN_DIR")"   # /proc/<pid>/exe is fully resolved
  for p in /proc/[0-9]*; do
    exe="$(readlink "$p/exe" 2>/dev/null)" || continue
    [[ "$exe" == "$bin_real/"* ]] || continue
    cmd="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" || continue
    [[ "$cmd" == *"$KWOK_CLUSTER_DIR/"* ]] && echo "${p#/proc/}"
  done
  return 0
}
