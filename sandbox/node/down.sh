#!/usr/bin/env bash
# Remove the real node of sandbox/node/up.sh and its control plane, leaving the host as it
# was: every process of the node's cgroup (components, shims, containers) stopped, the
# cgroups removed, the network namespace deleted (with it the veth pair, the pod bridge and
# every iptables rule of kube-proxy), the node's mount namespace gone with its last process,
# the host's sysctls put back. Safe on a healthy, half-created or absent node; exits 0.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../cluster/lib.sh
source "$HERE/../cluster/lib.sh"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

# 1. Processes: TERM, then KILL what is left, until the cgroup tree is empty. Containers
#    first would be tidier but is not needed: nothing of theirs outlives the node.
for attempt in $(seq 1 30); do
  mapfile -t pids < <(node_pids)
  (( ${#pids[@]} )) || break
  if (( attempt == 1 )); then
    log "stopping ${#pids[@]} process(es) of node '$NODE_NAME'"
    kill -TERM "${pids[@]}" 2>/dev/null
  elif (( attempt > 10 )); then
    kill -KILL "${pids[@]}" 2>/dev/null
  fi
  sleep 0.5
done
mapfile -t pids < <(node_pids)
(( ${#pids[@]} == 0 )) || log "WARNING: processes still in the node's cgroup: ${pids[*]}"

# 1b. Loop devices under the CSI driver's volumes: each clears itself once its file system is
#    unmounted, which the end of the node's mount namespace (its last process) does, a moment
#    later. One still there then (a mount that escaped) is detached, and named.
csi_loops() { # loop devices backed by an image file of this node's CSI driver (by device and inode)
  local dir="$NODE_DIR/var-lib${CSI_STATE_DIR#/var/lib}" files
  [[ -d "$dir" ]] || return 0
  files=" $(find "$dir" -maxdepth 1 -name '*.img' -printf '%D:%i ' 2>/dev/null) "
  losetup -l -n -O NAME,BACK-MAJ:MIN,BACK-INO 2>/dev/null | while read -r dev majmin ino; do
    local maj="${majmin%%:*}" min="${majmin#*:}"   # as find's %D numbers a device (Linux's new_encode_dev)
    [[ "$files" == *" $(( (min & 0xff) | (maj << 8) | ((min & ~0xff) << 12) )):$ino "* ]] && echo "$dev"
  done
}
for _ in $(seq 1 20); do [[ -z "$(csi_loops)" ]] && break; sleep 0.5; done
for dev in $(csi_loops); do
  log "WARNING: detaching $dev, still backed by a CSI volume of node '$NODE_NAME'"
  losetup -d "$dev"
done

# 2. Cgroups, deepest first, in every hierarchy.
for h in $(cgroup_hierarchies); do
  [[ -d "$h/$CGROUP_NAME" ]] || continue
  find "$h/$CGROUP_NAME" -depth -type d -exec rmdir {} \; 2>/dev/null ||
    log "WARNING: could not remove every cgroup under $h/$CGROUP_NAME"
done

# 3. Network: deleting the namespace deletes its interfaces, the veth's host end with them.
if ip netns list | grep -qw "$NETNS"; then
  ip netns delete "$NETNS" || log "WARNING: could not delete network namespace $NETNS"
fi
ip link show "$VETH_HOST" >/dev/null 2>&1 && ip link delete "$VETH_HOST"
if [[ -f "$NODE_DIR/run-netns-was-ours" && -z "$(ip netns list)" ]] && mountpoint -q /run/netns; then
  umount /run/netns && rmdir /run/netns 2>/dev/null
fi

# 4. Sysctls the node changed (the kubelet sets some kernel and vm keys): back as they were.
if [[ -f "$NODE_DIR/sysctl.before" ]]; then
  while IFS= read -r line; do
    key="${line%% = *}" want="${line#* = }"
    now="$(sysctl -n "$key" 2>/dev/null | tr '\t' ' ')" || continue
    [[ "$now" == "$(tr '\t' ' ' <<<"$want")" ]] && continue
    sysctl -q -w "$key=$want" >/dev/null 2>&1 && log "restored sysctl $key = $want"
  done <"$NODE_DIR/sysctl.before"
fi

# 5. The node's files (its /var/lib, certificates), then the control plane. The logs are kept
#    for a post-mortem, as the last run's, beside the toolchain's build logs.
if [[ -d "$NODE_DIR/logs" ]]; then
  rm -rf "$TOOLCHAIN_DIR/logs/node-$CLUSTER_NAME"
  mkdir -p "$TOOLCHAIN_DIR/logs" && mv "$NODE_DIR/logs" "$TOOLCHAIN_DIR/logs/node-$CLUSTER_NAME"
fi
rm -rf "$NODE_DIR"
"$HERE/../cluster/down.sh"
log "node '$NODE_NAME' is down"
exit 0
