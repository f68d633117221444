# shellcheck shell=bash disable=SC2034  # variables are used by the sourcing scripts
# Shared settings of the real worker node (sandbox/node/{up,down,node-init}.sh). Sourced after
# sandbox/cluster/lib.sh, not executed.
#
# The node lives in a network namespace of its own, `labs-<cluster>`, joined to the host by one
# veth pair on a /30 that exists only between the two ends. Inside: the pod bridge, kube-proxy's
# iptables rules, CoreDNS and every pod. The namespace has no default route and nothing
# masquerades, so no packet of a pod can leave the machine. Its processes also share one
# private mount namespace (their /run, /var/lib and /var/log are the node's own directories)
# and one cgroup, `/<cgroup root>` in every hierarchy, which is how teardown finds them all.

NODE_NAME="${LABS_NODE_NAME:-$CLUSTER_NAME-node}"
NODE_DIR="$TOOLCHAIN_DIR/nodes/$CLUSTER_NAME"
NETNS="labs-$CLUSTER_NAME"
CGROUP_NAME="state-labs-$CLUSTER_NAME"
CNI_BIN_DIR="$TOOLCHAIN_DIR/cni/bin"
IMAGES_DIR="$TOOLCHAIN_DIR/images"
# Interface names are at most 15 characters: derive short ones from the cluster name.
NODE_ID="$(printf '%s' "$CLUSTER_NAME" | cksum | awk '{print $1 % 200 + 20}')"
VETH_HOST="lh$NODE_ID-$(printf '%s' "$CLUSTER_NAME" | md5sum | cut -c1-6)"
VETH_NODE="eth0"
# Private ranges that exist only on this veth pair and inside the namespace.
LINK_NET="10.201.$NODE_ID"
HOST_IP="$LINK_NET.1"
NODE_IP="$LINK_NET.2"
POD_CIDR="10.244.0.0/24"
POD_BRIDGE="labs0"
POD_GATEWAY="10.244.0.1"    # also where CoreDNS answers: the kubelet's clusterDNS
CLUSTER_DOMAIN="cluster.local"
# The ingress controller, Traefik, a process of the node: what it serves and where. 8000 is the
# `web` port of Traefik's Helm chart; a Gateway's listener port must equal it.
INGRESS_CLASS="nginx"          # IngressClass, controller k8s.io/ingress-nginx (as minikube's addon)
GATEWAY_CLASS="traefik"        # GatewayClass, controller traefik.io/gateway-controller
TRAEFIK_WEB_PORT=8000          # on NODE_IP: what the host reaches
TRAEFIK_PING_PORT=8080         # on the namespace's loopback: its ping, for up.sh
# Dynamic claims: our CSI driver (sandbox/node/csi-loop) and the upstream sidecars that make and
# grow its volumes, processes of the node too. Its volumes are image files in the node's /var/lib.
CSI_DRIVER="loop.csi.state-labs.io"
CSI_SOCKET="/var/lib/kubelet/plugins/$CSI_DRIVER/csi.sock"   # inside the node's mount namespace
CSI_STATE_DIR="/var/lib/state-labs-csi-loop"                 # ditto: $NODE_DIR/var-lib/... on the host

[[ ${#VETH_HOST} -le 15 ]] || die "interface name $VETH_HOST is too long"

# Every cgroup v1 hierarchy mounted under /sys/fs/cgroup (and the hybrid unified one).
cgroup_hierarchies() {
  local d
  for d in /sys/fs/cgroup/*/; do
    [[ -f "$d/cgroup.procs" ]] && echo "${d%/}"
  done
}

# PIDs of every process in the node's cgroup tree (node components, shims, containers).
node_pids() {
  local h
  for h in $(cgroup_hierarchies); do
    [[ -d "$h/$CGROUP_NAME" ]] || continue
    find "$h/$CGROUP_NAME" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

# The host's sysctls that a node could change, as `key = value` lines: all but the per-namespace
# net.* keys and counters that move by themselves. up.sh records them, down.sh restores them.
host_sysctls() {
  sysctl -a 2>/dev/null |
    grep -Ev '^(net\.|fs\.dentry-state|fs\.inode-|fs\.file-nr|fs\.quota|kernel\.random\.|kernel\.ns_last_pid|kernel\.pty\.nr|kernel\.tainted)' | sort
}
