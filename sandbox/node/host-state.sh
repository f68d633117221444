#!/usr/bin/env bash
# Print what a real node could leave behind on the host, in a stable order, so that a snapshot
# taken before sandbox/node/up.sh and one taken after sandbox/node/down.sh can be diffed:
# interfaces, network namespaces, iptables rules, mounts, loop devices, the project's cgroups, processes
# of the node's binaries, and the sysctls (the same keys up.sh records).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../cluster/lib.sh
source "$HERE/../cluster/lib.sh"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

echo "## interfaces"
ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
echo "## network namespaces"
ip netns list 2>/dev/null | sort
echo "## iptables"
for t in filter nat mangle raw; do iptables-save -t "$t" 2>/dev/null | grep -Ev '^(#|:)' | sed "s/^/$t /"; done
echo "## mounts"
awk '{print $5, $9}' /proc/self/mountinfo | sort
echo "## loop devices"
losetup -l -n -O NAME,BACK-FILE 2>/dev/null | sort
echo "## cgroups"
find /sys/fs/cgroup -maxdepth 2 -type d -name 'state-labs-*' 2>/dev/null | sort
echo "## processes"
for p in /proc/[0-9]*; do
  exe="$(readlink "$p/exe" 2>/dev/null)" || continue
  case "${exe##*/}" in
    kubelet|kube-proxy|containerd|containerd-shim-runc-v2|coredns|traefik|state-labs-csi-loop|csi-provisioner|csi-resizer|runc|socat|kube-apiserver|kube-controller-manager|kube-scheduler|etcd|kwok) echo "${exe##*/}" ;;
  esac
done | sort | uniq -c
echo "## sysctls"
host_sysctls
