#!/usr/bin/env bash
# Start the local cluster with a REAL worker node: the control plane of sandbox/cluster/up.sh
# (LABS_NODES kwok fake nodes beside it, default none) plus a kubelet with containerd + runc,
# the bridge CNI, kube-proxy (iptables), CoreDNS, Traefik (the ingress controller: Ingresses
# of class nginx and Gateway API, on http://<node IP>:8000) and a CSI driver with the
# provisioner and resizer sidecars (dynamic claims that grow), in a network namespace of their
# own, with the images built by sandbox/node/images.sh imported (pods never pull: there is no
# registry).
#
# Needs root (namespaces, cgroups, iptables). Prints the kubeconfig path as its last line on
# stdout; everything else on stderr. sandbox/node/down.sh removes all of it, even half-made.
#
# Env: those of sandbox/cluster/lib.sh, LABS_NODES (fake nodes, default 0), LABS_WAIT_SECONDS.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../cluster/lib.sh
source "$HERE/../cluster/lib.sh"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
WAIT_SECONDS="${LABS_WAIT_SECONDS:-180}"
(( EUID == 0 )) || die "a real node needs root (network namespaces, cgroups, iptables)"

"$HERE/toolchain.sh" >&2 || die "node toolchain build failed"
"$HERE/images.sh" >&2 || die "image build failed"

# A leftover node of this cluster (killed run) is removed first, like the control plane.
if [[ -e "$NODE_DIR" ]] || ip netns list | grep -qw "$NETNS"; then
  log "node '$NODE_NAME' already exists; tearing it down first"
  "$HERE/down.sh" >&2
fi

on_failure() {
  log "node start failed; last lines of the node's logs:"
  tail_logs "$NODE_DIR/logs" 20
  "$HERE/down.sh" >&2 || true
}
trap on_failure ERR

t0=$(date +%s)
KUBECONFIG_PATH="$(LABS_NODES="${LABS_NODES:-0}" "$HERE/../cluster/up.sh" | tail -n1)"
KUBECTL=("$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_PATH")
SERVER="$("${KUBECTL[@]}" config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
API_PORT="${SERVER##*:}"
PKI="$KWOK_CLUSTER_DIR/pki"
[[ -f "$PKI/ca.crt" && -f "$PKI/ca.key" ]] || die "no cluster CA in $PKI"
# The Services' range: Traefik dials ClusterIPs (and pod IPs) past the proxy backstop (node-init.sh).
SERVICE_CIDR="$("${KUBECTL[@]}" get servicecidr kubernetes -o jsonpath='{.spec.cidrs[0]}')"
[[ -n "$SERVICE_CIDR" ]] || die "no Service range (servicecidr/kubernetes)"

mkdir -p "$NODE_DIR"/{etc,pki,run,logs,cni/net.d,certs.d/_default,var-lib,var-log}
# Record the host's sysctls once, before anything of the node can change them (the kubelet
# sets some kernel and vm keys that are not per namespace); down.sh puts them back.
host_sysctls >"$NODE_DIR/sysctl.before"

# --- identities: client certificates signed by the cluster CA ------------------------
client_cert() { # name CN O
  local name="$1" cn="$2" org="${3:-}" subj="/CN=$2"
  [[ -n "$org" ]] && subj="/O=$org/CN=$cn"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$NODE_DIR/pki/$name.key" -subj "$subj" -out "$NODE_DIR/pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$NODE_DIR/pki/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 30 -out "$NODE_DIR/pki/$name.crt" 2>/dev/null
  cat >"$NODE_DIR/etc/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "$SERVER", certificate-authority: "$NODE_DIR/pki/ca.crt"}}]
users: [{name: $name, user: {client-certificate: "$NODE_DIR/pki/$name.crt", client-key: "$NODE_DIR/pki/$name.key"}}]
contexts: [{name: local, context: {cluster: local, user: $name}}]
current-context: local
EOF
}
# The CA the API server's certificate is checked against (and the kubelet's client CA).
"${KUBECTL[@]}" config view --raw --minify --flatten -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' |
  base64 -d >"$NODE_DIR/pki/ca.crt"
# The kubelet as a node (Node authorizer + NodeRestriction), kube-proxy with its built-in role.
client_cert kubelet "system:node:$NODE_NAME" system:nodes
client_cert kube-proxy system:kube-proxy
client_cert coredns system:coredns
client_cert traefik system:traefik
client_cert csi-provisioner system:csi-provisioner
client_cert csi-resizer system:csi-resizer
# Traefik's rights are what its two providers list, watch and update in v3.6
# (pkg/provider/kubernetes/{ingress-nginx,gateway}/client.go): informers on the kinds below in
# every namespace (Secrets too: the informers start whether or not a TLS section names one),
# and the status of what they serve (an Ingress's address, the conditions of a GatewayClass, a
# Gateway and its routes). No TCPRoute or TLSRoute: the experimental channel is not enabled.
# The two classes are what minikube's addons create. A class promises a controller, so they
# exist where Traefik runs, on the real node's cluster only. Traefik's NGINX provider serves an
# Ingress whose ingressClassName names an IngressClass of controller k8s.io/ingress-nginx.
"${KUBECTL[@]}" apply -f - >&2 <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:traefik"}
rules:
  - apiGroups: [""]
    resources: [services, secrets, configmaps, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
  - apiGroups: [networking.k8s.io]
    resources: [ingresses, ingressclasses]
    verbs: [list, watch]
  - apiGroups: [networking.k8s.io]
    resources: [ingresses/status]
    verbs: [update]
  - apiGroups: [gateway.networking.k8s.io]
    resources: [gatewayclasses, gateways, httproutes, grpcroutes, referencegrants, backendtlspolicies]
    verbs: [list, watch]
  - apiGroups: [gateway.networking.k8s.io]
    resources: [gatewayclasses/status, gateways/status, httproutes/status, grpcroutes/status, backendtlspolicies/status]
    verbs: [update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:traefik"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:traefik"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:traefik"}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: "$INGRESS_CLASS"}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: "$GATEWAY_CLASS"}
spec: {controllerName: traefik.io/gateway-controller}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:coredns"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "state-labs:node-proxier"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:node-proxier"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:kube-proxy"}]
EOF
# The CSI driver's object and the sidecars' rights: upstream's deploy/kubernetes/rbac.yaml of each,
# minus snapshots (the driver makes none) and leases (one replica, no leader election). No
# attacher runs: attachRequired false, or pods would wait for a VolumeAttachment for ever; the
# kubelet applies fsGroup to these volumes (File), as to hostPath's.
"${KUBECTL[@]}" apply -f - >&2 <<EOF
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: "$CSI_DRIVER"}
spec: {attachRequired: false, podInfoOnMount: false, fsGroupPolicy: File, volumeLifecycleModes: [Persistent]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:csi-provisioner"}
rules:
  - apiGroups: [""]
    resources: [persistentvolumes]
    verbs: [get, list, watch, create, patch, delete]
  - apiGroups: [""]
    resources: [persistentvolumeclaims]
    verbs: [get, list, watch, update]
  - apiGroups: [storage.k8s.io]
    resources: [storageclasses, csinodes, volumeattachments]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [nodes]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [events]
    verbs: [list, watch, create, update, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:csi-provisioner"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:csi-provisioner"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:csi-provisioner"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:csi-resizer"}
rules:
  - apiGroups: [""]
    resources: [persistentvolumes]
    verbs: [get, list, watch, patch]
  - apiGroups: [""]
    resources: [persistentvolumeclaims, pods]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [persistentvolumeclaims/status]
    verbs: [patch]
  - apiGroups: [storage.k8s.io]
    resources: [volumeattributesclasses]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [events]
    verbs: [list, watch, create, update, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:csi-resizer"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:csi-resizer"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:csi-resizer"}]
EOF

# --- configuration files ----------------------------------------------------------------
# Every registry resolves to a refusing loopback address: a pull can only fail.
cat >"$NODE_DIR/certs.d/_default/hosts.toml" <<'EOF'
server = "https://127.0.0.1:1"
[host."https://127.0.0.1:1"]
  capabilities = ["pull", "resolve"]
EOF
# shellcheck disable=SC2016  # the ${...} are the JavaScript's own template literals
mapfile -t IMAGE_ENTRIES < <(node -e '
  const refs = require(process.argv[1]);
  for (const [k, ref] of Object.entries(refs)) console.log(`${ref}=${process.argv[2]}/${k}.tar`);
' "$IMAGES_DIR/refs.json" "$IMAGES_DIR")
PAUSE_IMAGE="$(node -p 'require(process.argv[1]).pause' "$IMAGES_DIR/refs.json")"
cat >"$NODE_DIR/etc/containerd.toml" <<EOF
version = 3
root = "/var/lib/containerd"
state = "/run/containerd"
[grpc]
  address = "/run/containerd/containerd.sock"
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$PAUSE_IMAGE"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "$NODE_DIR/certs.d"
[plugins.'io.containerd.cri.v1.runtime']
  # This machine kind gives even root no CAP_SYS_RESOURCE, so no process may lower its
  # oom_score_adj: the pod sandbox's -998 made runc fail ("failed to update
  # /proc/self/oom_score_adj: Permission denied"). Containers keep at least containerd's own.
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      BinaryName = "$(command -v runc)"
      SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["$CNI_BIN_DIR"]
    conf_dir = "$NODE_DIR/cni/net.d"
EOF
# Pods on one bridge inside the namespace; no masquerade (nothing is routed out anyway).
cat >"$NODE_DIR/cni/net.d/10-labs.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "labs",
  "plugins": [
    {
      "type": "bridge", "bridge": "$POD_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
: >"$NODE_DIR/etc/resolv.conf"   # pods learn no name server of the host: cluster DNS only
cat >"$NODE_DIR/etc/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine kind runs cgroup v1, which kubelet 1.35+ refuses unless told.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_NAME
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $NODE_DIR/pki/ca.crt}
authorization: {mode: Webhook}
clusterDNS: [$POD_GATEWAY]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $NODE_DIR/etc/resolv.conf
serializeImagePulls: false
failSwapOn: false
# The node shares the host's disk, and its images are imported, never pulled. By default the
# kubelet taints the node (disk pressure) when less than 15 % of that disk is free, which a
# well-used build machine reaches (the node then ran nothing), and deletes unused images past
# 85 % use, which nothing could pull back. Eviction only when the disk is really full; no image GC.
evictionHard: {"memory.available": "100Mi", "nodefs.available": "1Gi", "imagefs.available": "1Gi", "nodefs.inodesFree": "5%", "imagefs.inodesFree": "5%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
cat >"$NODE_DIR/etc/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $NODE_DIR/etc/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# conntrack limits are not per namespace: leave the host's alone
conntrack: {maxPerCore: 0}
EOF
# The node's own resolver, mounted over /etc/resolv.conf in the node's mount namespace
# (node-init.sh): CoreDNS only, for Traefik, which resolves an ExternalName Service's target.
printf 'nameserver %s\nsearch svc.%s %s\n' "$POD_GATEWAY" "$CLUSTER_DOMAIN" "$CLUSTER_DOMAIN" >"$NODE_DIR/etc/node-resolv.conf"
# Traefik's static configuration. A Gateway's listener port must equal an entry point's: stacks
# use TRAEFIK_WEB_PORT for theirs. Ping on the namespace's loopback only, for the check below.
# The statuses name the node's address, as minikube's ingress addon reports its node's. Nothing
# leaves the machine: no version check, no usage report. A short grace period on stop, so
# down.sh does not wait for it.
cat >"$NODE_DIR/etc/traefik.yaml" <<EOF
global: {checkNewVersion: false, sendAnonymousUsage: false}
entryPoints:
  web:
    address: "$NODE_IP:$TRAEFIK_WEB_PORT"
    asDefault: true
    transport: {lifeCycle: {graceTimeOut: 1s}}
  traefik:
    address: "127.0.0.1:$TRAEFIK_PING_PORT"
    transport: {lifeCycle: {graceTimeOut: 1s}}
ping: {entryPoint: traefik}
providers:
  kubernetesIngressNGINX:
    ingressClass: "$INGRESS_CLASS"
    controllerClass: k8s.io/ingress-nginx
    publishStatusAddress: ["$NODE_IP"]
  kubernetesGateway:
    statusAddress: {ip: "$NODE_IP"}
log: {level: INFO, noColor: true}
accessLog: {filePath: "$NODE_DIR/logs/traefik-access.log"}
EOF
# cluster.local from the API server; every other name is NXDOMAIN (no forward).
cat >"$NODE_DIR/etc/Corefile" <<EOF
$CLUSTER_DOMAIN:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $POD_GATEWAY
    errors
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $NODE_DIR/etc/coredns.kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    cache 5
}
.:53 {
    bind $POD_GATEWAY
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
}
EOF
{
  printf '%s=%q\n' NODE_DIR "$NODE_DIR" BIN_DIR "$BIN_DIR" NODE_NAME "$NODE_NAME" NODE_IP "$NODE_IP" \
    API_PORT "$API_PORT" CLUSTER_DOMAIN "$CLUSTER_DOMAIN" POD_CIDR "$POD_CIDR" SERVICE_CIDR "$SERVICE_CIDR" \
    TRAEFIK_WEB_PORT "$TRAEFIK_WEB_PORT" CSI_DRIVER "$CSI_DRIVER" CSI_SOCKET "$CSI_SOCKET" CSI_STATE_DIR "$CSI_STATE_DIR"
  printf 'IMAGES=('; printf '%q ' "${IMAGE_ENTRIES[@]}"; printf ')\n'
} >"$NODE_DIR/etc/node.env"

# --- cgroup: one tree in every hierarchy, the kubelet's cgroupRoot ----------------------
for h in $(cgroup_hierarchies); do
  mkdir -p "$h/$CGROUP_NAME/node"
  if [[ -f "$h/cpuset.cpus" ]]; then   # a cpuset cgroup takes no task until it has cpus and mems
    for c in "$CGROUP_NAME" "$CGROUP_NAME/node"; do
      cat "$h/cpuset.cpus" >"$h/$c/cpuset.cpus"; cat "$h/cpuset.mems" >"$h/$c/cpuset.mems"
    done
  fi
done
in_node_cgroup() { # command... : run it with every process it starts inside the node's cgroup
  local h
  for h in $(cgroup_hierarchies); do echo "$BASHPID" >"$h/$CGROUP_NAME/node/cgroup.procs"; done
  exec "$@"
}

# --- network: the namespace, the veth pair to the host, the pod bridge --------------------
# `ip netns add` makes /run/netns a mount point the first time; down.sh undoes that if it was us.
mountpoint -q /run/netns || touch "$NODE_DIR/run-netns-was-ours"
ip netns add "$NETNS"
ip link add "$VETH_HOST" type veth peer name "$VETH_NODE" netns "$NETNS"
ip addr add "$HOST_IP/30" dev "$VETH_HOST"
ip link set "$VETH_HOST" up
ip -n "$NETNS" link set lo up
ip -n "$NETNS" addr add "$NODE_IP/30" dev "$VETH_NODE"
ip -n "$NETNS" link set "$VETH_NODE" up
# The bridge exists before the first pod so CoreDNS can bind the gateway address.
ip -n "$NETNS" link add "$POD_BRIDGE" type bridge
ip -n "$NETNS" addr add "$POD_GATEWAY/${POD_CIDR#*/}" dev "$POD_BRIDGE"
ip -n "$NETNS" link set "$POD_BRIDGE" up
# The Services' range through the bridge: with no default route, a process of the node (Traefik,
# to an ExternalName Service's ClusterIP) got "network unreachable" before kube-proxy's DNAT
# could send it to a pod. Pods have their default route to the bridge already.
ip -n "$NETNS" route add "$SERVICE_CIDR" dev "$POD_BRIDGE" src "$POD_GATEWAY"
# Per-namespace sysctls: Service traffic between pods of one bridge passes iptables.
nsenter --net="/run/netns/$NETNS" sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1

# --- start: the host end of the API relay, then the node's supervisor --------------------
(in_node_cgroup socat "UNIX-LISTEN:$NODE_DIR/run/apiserver.sock,fork,mode=600" "TCP:127.0.0.1:$API_PORT") \
  >>"$NODE_DIR/logs/api-relay-host.log" 2>&1 &
(in_node_cgroup nsenter --net="/run/netns/$NETNS" -- unshare --mount --propagation slave -- \
  bash "$HERE/node-init.sh" "$NODE_DIR/etc/node.env") >>"$NODE_DIR/logs/node-init.log" 2>&1 &
echo "$!" >"$NODE_DIR/run/supervisor.pid"

wait_until() { # description, command...
  local what="$1"; shift
  local deadline=$(( $(date +%s) + WAIT_SECONDS ))
  until "$@" >/dev/null 2>&1; do
    [[ "$(cat "$NODE_DIR/run/init.state" 2>/dev/null)" != failed ]] || { log "the node's supervisor reports a failure"; return 1; }
    (( $(date +%s) < deadline )) || { log "timed out after ${WAIT_SECONDS}s waiting for $what"; return 1; }
    sleep 1
  done
}
wait_until "node $NODE_NAME to register" "${KUBECTL[@]}" get node "$NODE_NAME"
"${KUBECTL[@]}" wait --for=condition=Ready "node/$NODE_NAME" --timeout="${WAIT_SECONDS}s" >&2
# Traefik is up when its ping answers and its Gateway provider, connected with its own
# certificate, has accepted the class (its NGINX provider uses the same kind of client).
traefik_pings() { # 200 from /ping inside the node's namespace (bash's /dev/tcp: no curl needed)
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout 5 nsenter --net="/run/netns/$NETNS" bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
    printf "GET /ping HTTP/1.0\r\n\r\n" >&3 && IFS= read -r status <&3 && [[ "$status" == "HTTP/1."?" 200 "* ]]' _ "$TRAEFIK_PING_PORT"
}
wait_until "Traefik to answer its ping" traefik_pings
"${KUBECTL[@]}" wait --for=condition=Accepted "gatewayclass/$GATEWAY_CLASS" --timeout="${WAIT_SECONDS}s" >/dev/null
# The CSI driver is usable once the kubelet has registered it (the node's CSINode lists it) and
# the provisioner has connected to it (its log names the driver, at --v=2).
csi_registered() { [[ " $("${KUBECTL[@]}" get csinode "$NODE_NAME" -o jsonpath='{.spec.drivers[*].name}') " == *" $CSI_DRIVER "* ]]; }
wait_until "the kubelet to register CSI driver $CSI_DRIVER" csi_registered
wait_until "the CSI provisioner to reach the driver" grep -q "Detected CSI driver" "$NODE_DIR/logs/csi-provisioner.log"

trap - ERR
log "real node '$NODE_NAME' is Ready in $(( $(date +%s) - t0 ))s (netns $NETNS, node IP $NODE_IP, logs $NODE_DIR/logs)"
log "  ingress: Traefik on http://$NODE_IP:$TRAEFIK_WEB_PORT, by the Host header (Ingress class $INGRESS_CLASS, GatewayClass $GATEWAY_CLASS)"
log "  dynamic claims: CSI driver $CSI_DRIVER, with its provisioner and resizer (a volume grows when its pod restarts)"
echo "$KUBECONFIG_PATH"
