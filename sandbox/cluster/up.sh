#!/usr/bin/env bash
# Start a local Kubernetes control plane for the labs: real etcd,
# kube-apiserver (default admission plugins incl. Pod Security Admission,
# RBAC), kube-controller-manager (PV binder, StatefulSet controller, ...),
# kube-scheduler, plus the kwok controller which plays the kubelet for fake
# nodes (marks scheduled pods Running/Ready). All processes run from the
# binaries built by toolchain.sh, listen on 127.0.0.1 only, and nothing is
# downloaded.
#
# Env (see lib.sh): LABS_TOOLCHAIN_DIR, LABS_CLUSTER_NAME, LABS_KUBECONFIG, plus
#   LABS_NODES           number of fake nodes (default 1; 0 when a real node joins, see
#                        sandbox/node/up.sh)
#   LABS_WAIT_SECONDS    how long to wait for readiness (default 180)
#
# Prints the kubeconfig path on stdout as its last line (for scripting:
# KUBECONFIG=$(sandbox/cluster/up.sh | tail -n1)); everything else on stderr.
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

NODES="${LABS_NODES:-1}"
WAIT_SECONDS="${LABS_WAIT_SECONDS:-180}"
[[ "$NODES" =~ ^[0-9]+$ ]] || die "LABS_NODES must be a whole number, got '$NODES'"

# Make sure the toolchain is there (a no-op that prints 'cached' when warm), unless the caller
# has just done so (sandbox/cluster/test.sh, whose node build may hold the toolchain lock).
[[ "${LABS_CLUSTER_TOOLCHAIN_READY:-}" == 1 ]] || "$HERE/toolchain.sh" >&2 || die "toolchain build failed"

# A leftover cluster of the same name (failed run, killed terminal, reboot
# with stale pid files) would make kwokctl "continue" it; start clean.
if [[ -e "$KWOK_CLUSTER_DIR" || -n "$(cluster_pids)" ]]; then
  log "cluster '$CLUSTER_NAME' already exists; tearing it down first"
  "$HERE/down.sh" >&2
fi

mkdir -p "$CLUSTER_DIR" "$(dirname "$KUBECONFIG_PATH")"
# kwokctl has no flag for the listen address and defaults to 0.0.0.0:
# pin every component to loopback through a config file.
KWOKCTL_CONFIG="$CLUSTER_DIR/kwokctl.yaml"
# For a real node beside the fake ones (sandbox/node/up.sh): kwok acts only for the nodes that
# kwokctl scales (annotated fake), never for a real kubelet's; the API server reaches kubelets
# by their InternalIP and presents kwokctl's admin certificate, which a real kubelet
# authenticates (x509) and authorizes (webhook), never anonymously.
cat >"$KWOKCTL_CONFIG" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  bindAddress: 127.0.0.1
componentsPatches:
  - name: kube-apiserver
    extraArgs:
      - {key: kubelet-client-certificate, value: "$KWOK_CLUSTER_DIR/pki/admin.crt"}
      - {key: kubelet-client-key, value: "$KWOK_CLUSTER_DIR/pki/admin.key"}
      - {key: kubelet-preferred-address-types, value: "InternalIP,Hostname"}
  # The quota controller recounts a namespace when its quota changes, from a pod cache that
  # may lag on a busy machine, and can so undo the count admission just added; it recounts all
  # at this period (default 5m), so a test waiting for the count would time out first.
  - name: kube-controller-manager
    extraArgs:
      - {key: resource-quota-sync-period, value: "30s"}
  - name: kwok-controller
    extraArgs:
      - {key: manage-all-nodes, value: "false"}
      - {key: manage-nodes-with-annotation-selector, value: "kwok.x-k8s.io/node=fake"}
EOF

KUBECTL=("$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_PATH")

on_failure() {
  log "start failed; last lines of the component logs:"
  tail_logs "$KWOK_CLUSTER_DIR/logs" 15
  log "cleaning up the half-created cluster"
  "$HERE/down.sh" >&2 || true
}
trap on_failure ERR

t0=$(date +%s)
log "creating cluster '$CLUSTER_NAME' (state: $KWOK_CLUSTER_DIR)"
# Explicit component binaries (also set as KWOK_* env in kwokctl_offline) so
# kwokctl never resolves a download URL. KWOK_KUBE_VERSION (there is no flag)
# only names the release for defaults; the version that picks component flags
# is read from each binary's --version.
KWOK_KUBE_VERSION="$("$BIN_DIR/kube-apiserver" --version | awk '{print $2}')" \
kwokctl_offline create cluster \
  --runtime binary \
  --config "$KWOKCTL_CONFIG" \
  --kubeconfig "$KUBECONFIG_PATH" \
  --secure-port=true \
  --kube-authorization=true \
  --kube-admission=true \
  --quiet-pull \
  --etcd-binary "$BIN_DIR/etcd" \
  --kube-apiserver-binary "$BIN_DIR/kube-apiserver" \
  --kube-controller-manager-binary "$BIN_DIR/kube-controller-manager" \
  --kube-scheduler-binary "$BIN_DIR/kube-scheduler" \
  --kwok-controller-binary "$BIN_DIR/kwok" \
  --wait "${WAIT_SECONDS}s" >&2

# Fake node(s) from kwok's built-in template (32 CPU, 256Gi, 110 pods, no
# taints), so ordinary workloads schedule without tolerations.
if (( NODES > 0 )); then kwokctl_offline scale node --replicas "$NODES" >&2; fi

wait_until() { # description, command...
  local what="$1"; shift
  local deadline=$(( $(date +%s) + WAIT_SECONDS ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || { log "timed out after ${WAIT_SECONDS}s waiting for $what"; return 1; }
    sleep 1
  done
}

wait_until "the API server (/readyz)" "${KUBECTL[@]}" get --raw /readyz
nodes_registered() { (( $("${KUBECTL[@]}" get nodes -o name | wc -l) >= NODES )); }
wait_until "$NODES node(s) to register" nodes_registered
if (( NODES > 0 )); then "${KUBECTL[@]}" wait --for=condition=Ready node --all --timeout="${WAIT_SECONDS}s" >&2; fi
# Pods are rejected until the controller-manager has created the 'default'
# ServiceAccount; labs applying right after up.sh would otherwise race it.
wait_until "the default ServiceAccount" "${KUBECTL[@]}" -n default get serviceaccount default
# Gateway API's standard CRDs (toolchain.sh), as a cluster with a Gateway controller has them:
# a stack's Gateway and HTTPRoute are accepted on fake nodes as on the real one, which also runs
# the controller (sandbox/node/up.sh). Server-side: the HTTPRoute CRD is too large for the
# last-applied annotation of a client-side apply.
GATEWAY_API_CRDS="$(realpath -e "$TOOLCHAIN_DIR/gateway-api/current")" || die "no Gateway API CRDs: run $HERE/toolchain.sh"
"${KUBECTL[@]}" apply --server-side --field-manager=state-labs-sandbox -f "$GATEWAY_API_CRDS" >/dev/null
"${KUBECTL[@]}" wait --for=condition=Established --timeout="${WAIT_SECONDS}s" -f "$GATEWAY_API_CRDS" >/dev/null

trap - ERR
elapsed=$(( $(date +%s) - t0 ))
log "cluster '$CLUSTER_NAME' is up in ${elapsed}s ($("$BIN_DIR/kube-apiserver" --version))"
log "  server:     $("${KUBECTL[@]}" config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
log "  nodes:      $("${KUBECTL[@]}" get nodes -o name | tr '\n' ' ')"
log "  CRDs:       Gateway API ${GATEWAY_API_CRDS##*/}, standard channel"
log "  kubeconfig: $KUBECONFIG_PATH"
log "  use:        export KUBECONFIG=$KUBECONFIG_PATH PATH=$BIN_DIR:\$PATH"
echo "$KUBECONFIG_PATH"
