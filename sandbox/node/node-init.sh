#!/usr/bin/env bash
# The node's supervisor: started by sandbox/node/up.sh inside the node's network namespace and
# a private mount namespace (nsenter --net + unshare --mount), already in the node's cgroup.
# It gives the node its own /run, /var/lib, /var/log and resolver, starts containerd, imports
# the images built here, then the kubelet, kube-proxy, CoreDNS, Traefik, the CSI driver with its
# two sidecars and the relay to the API server, and stays to report any of them that exits.
# Everything it starts is stopped by down.sh.
#
# Args: the environment file written by up.sh (paths, addresses, ports).
set -Eeuo pipefail
# shellcheck disable=SC1090
source "$1"
log() { echo "node-init: $*" >&2; }
# A healthy supervisor never exits: whenever it does, up.sh stops waiting and reports it.
trap 'echo failed >"$NODE_DIR/run/init.state"' EXIT

# --- the node's own filesystem view ----------------------------------------------
# Mounts made here stay in this namespace (propagation is slave) and vanish with it.
mount -t tmpfs -o mode=0755 node-run /run
mkdir -p "$NODE_DIR/var-lib" "$NODE_DIR/var-log"
mount --bind "$NODE_DIR/var-lib" /var/lib
mount --bind "$NODE_DIR/var-log" /var/log
mkdir -p /run/containerd /var/lib/kubelet /var/log/pods
# The node's resolver: cluster DNS only (up.sh's node-resolv.conf), for Traefik, a Go program
# without cgo that reads /etc/resolv.conf to resolve an ExternalName Service's target. Nothing
# else here resolves through it: the kubelet gives pods its own resolvConf, and the other
# components dial addresses and sockets. A link into /run (systemd-resolved's) points into the
# node's own /run now: its target is made there.
resolv="$(readlink -f /etc/resolv.conf)"
if [[ ! -e "$resolv" && "$resolv" == /run/* ]]; then mkdir -p "${resolv%/*}" && : >"$resolv"; fi
mount --bind "$NODE_DIR/etc/node-resolv.conf" "$resolv"

export PATH="$BIN_DIR:$PATH"
# A backstop: no component may reach a proxy or registry (the namespace has no route out).
export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY="127.0.0.1,localhost,$NODE_IP,.svc,.$CLUSTER_DOMAIN"

start() { # name command... (logs to $NODE_DIR/logs/<name>.log)
  local name="$1"; shift
  "$@" >>"$NODE_DIR/logs/$name.log" 2>&1 &
  echo "$!" >"$NODE_DIR/run/$name.pid"
  log "started $name (pid $!)"
}
wait_for() { # what seconds command...
  local what="$1" secs="$2"; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || { log "timed out waiting for $what"; return 1; }
    sleep 0.5
  done
}

# --- the API server, through the host's relay socket --------------------------------
# The API server listens on the host's loopback only; inside the namespace the same address
# (127.0.0.1:<port>) is a relay to a unix socket that the host side forwards. So every
# kubeconfig names the server exactly as the host's does, and its certificate matches.
start api-relay socat "TCP-LISTEN:$API_PORT,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$NODE_DIR/run/apiserver.sock"

# --- containerd ------------------------------------------------------------------------
start containerd containerd --config "$NODE_DIR/etc/containerd.toml"
CTR=(ctr --address /run/containerd/containerd.sock --namespace k8s.io)
wait_for "containerd" 60 "${CTR[@]}" version
for ref_tar in "${IMAGES[@]}"; do
  ref="${ref_tar%%=*}" tar="${ref_tar#*=}"
  "${CTR[@]}" images import "$tar" >>"$NODE_DIR/logs/images.log" 2>&1 ||
    { log "import of $tar failed (see $NODE_DIR/logs/images.log)"; exit 1; }
  # Pinned: the kubelet's image garbage collection never removes it (it could not pull it back).
  "${CTR[@]}" images label "$ref" io.cri-containerd.pinned=pinned >/dev/null
  log "imported $ref"
done

# --- kubelet, kube-proxy, CoreDNS ------------------------------------------------------
start kubelet kubelet --config "$NODE_DIR/etc/kubelet.yaml" --kubeconfig "$NODE_DIR/etc/kubelet.kubeconfig" \
  --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --node-labels "state-labs.local/node=real"
start kube-proxy kube-proxy --config "$NODE_DIR/etc/kube-proxy.yaml"
start coredns coredns -conf "$NODE_DIR/etc/Corefile"
# Traefik, the ingress controller, a process like CoreDNS and not a pod: the API server is
# reached only through the namespace's loopback relay. Outside a pod its Kubernetes providers
# read KUBECONFIG (its own certificate, up.sh). Its backends (pods, ClusterIPs, cluster names)
# bypass the proxy backstop, which still catches any other address.
start traefik env KUBECONFIG="$NODE_DIR/etc/traefik.kubeconfig" NO_PROXY="$NO_PROXY,$POD_CIDR,$SERVICE_CIDR" \
  traefik --configFile="$NODE_DIR/etc/traefik.yaml"

# --- the CSI driver and its sidecars ------------------------------------------------------
# The driver mounts in this mount namespace, the kubelet's, and registers with the kubelet
# through its plugins_registry socket (no node-driver-registrar). The sidecars reach it over its
# socket and the API server with their own certificates (up.sh), one replica each: no election.
start csi-loop state-labs-csi-loop --node-id "$NODE_NAME" --csi-endpoint "$CSI_SOCKET" --state-dir "$CSI_STATE_DIR"
for sidecar in csi-provisioner csi-resizer; do
  start "$sidecar" "$sidecar" --kubeconfig "$NODE_DIR/etc/$sidecar.kubeconfig" --csi-address "$CSI_SOCKET" \
    --leader-election=false --timeout 60s --v=2   # v2: each volume made or grown is logged
done

echo ready >"$NODE_DIR/run/init.state"
# Report the first component that stops; down.sh tears the node down.
set +e
wait -n
log "a node component exited (status $?); see $NODE_DIR/logs"
exit 1
