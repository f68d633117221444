#!/usr/bin/env bash
# Build what a real worker node of the local cluster runs, into the same cache as the control
# plane ("$LABS_TOOLCHAIN_DIR/bin", default ~/.cache/state-labs/toolchain/bin):
#   kubelet kube-proxy                  k8s.io/kubernetes at the control plane's pin (k8s-build.sh)
#   containerd containerd-shim-runc-v2  github.com/containerd/containerd/v2
#   ctr
#   coredns                             github.com/coredns/coredns (cluster DNS, run as a process)
#   traefik                             github.com/traefik/traefik/v3 (the ingress controller: Ingress
#                                       of class nginx and Gateway API, run as a process)
#   cni/bridge host-local loopback      github.com/containernetworking/plugins
#   cni/portmap
#   state-labs-csi-loop                 sandbox/node/csi-loop, ours: the CSI driver of the node's
#                                       dynamic claims (a module of its own, stamped by its sources)
#   csi-provisioner csi-resizer         github.com/kubernetes-csi/external-{provisioner,resizer}: the
#                                       upstream sidecars that make and grow the driver's volumes
# and installs from Debian what it does not build: runc (the OCI runtime; Debian's runs
# containers on this machine kind), iptables (kube-proxy's rules), socat (the node's only
# path to the API server, see sandbox/node/up.sh), and e2fsprogs and mount (the CSI driver's
# mkfs.ext4, e2fsck, resize2fs, `mount -o loop` and losetup; both are in a standard Debian install).
#
# Why containerd 2.x from the proxy and not Debian's containerd 1.6.20: kubelet 1.36 still
# accepts a runtime without the RuntimeConfig CRI call, but only through a fallback it
# counts as "losing support in 1.37.0" (cmd/kubelet/app/server.go), and containerd 1.6 is
# out of upstream support. containerd 2.3 keeps cgroup v1, which this machine kind runs
# (its RELEASES.md: cgroup v1 is deprecated, kept on a maintained branch until May 2029).
#
# Same conventions as sandbox/cluster/toolchain.sh: stamps, one lock, LABS_TOOLCHAIN_FORCE.
set -euo pipefail

# ---------------------------------------------------------------------------
# Pinned versions (Kubernetes: sandbox/cluster/k8s-build.sh).
# ---------------------------------------------------------------------------
CONTAINERD_VERSION="v2.3.7"
CNI_PLUGINS_VERSION="v1.9.1"
COREDNS_VERSION="v1.14.7"
# The newest Traefik whose whole module graph the proxy serves (v3.7 pulls modules it refuses);
# it implements Gateway API v1.4's standard channel, whose CRDs sandbox/cluster/toolchain.sh fetches.
TRAEFIK_VERSION="v3.6.12"
TRAEFIK_CODENAME="ramequin"   # upstream's release workflow sets it per minor (.github/workflows/release.yaml)
# The CSI sidecars on Kubernetes 1.36's client libraries (v0.36.1): external-provisioner v6.4.0
# pins them by replace; external-resizer v2.3 moved to 1.37's, so its 1.36 release, v2.2.0.
CSI_PROVISIONER_VERSION="v6.4.0"
CSI_RESIZER_VERSION="v2.2.0"
CNI_PLUGINS=(main/bridge ipam/host-local main/loopback meta/portmap)   # under plugins/
DEBIAN_PACKAGES=(runc iptables socat e2fsprogs mount)
RECIPE_REV="1"

TOOL=node-toolchain
GO_MIN_MINOR=26
GO_NEEDED_BY="Kubernetes 1.36 and containerd 2.3"
REPORT_FORMAT='%-26s %-44s %s'
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../toolchain-lib.sh
source "$HERE/../toolchain-lib.sh"
# shellcheck source=../cluster/k8s-build.sh
source "$HERE/../cluster/k8s-build.sh"
CNI_BIN_DIR="$TOOLCHAIN_DIR/cni/bin"
mkdir -p "$CNI_BIN_DIR"

# --- Debian packages ---------------------------------------------------------
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if (( ${#missing[@]} )); then
  (( EUID == 0 )) || die "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})"
  log "installing from Debian: ${missing[*]}"
  apt-get update -qq >"$LOG_DIR/apt-update.log" 2>&1 || { tail -n 20 "$LOG_DIR/apt-update.log" >&2; die "apt-get update failed"; }
  # images.sh may run apt beside this (sandbox/cluster/test.sh): wait for its lock.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >"$LOG_DIR/apt-install.log" 2>&1 ||
    { tail -n 20 "$LOG_DIR/apt-install.log" >&2; die "apt-get install ${missing[*]} failed"; }
fi
for p in "${DEBIAN_PACKAGES[@]}"; do
  report "$p" "debian $(dpkg-query -W -f='${Version}' "$p")" cached
done

# --- kubelet, kube-proxy ------------------------------------------------------
build_k8s kubelet kube-proxy

# --- containerd ------------------------------------------------------------------
# Upstream's static build tags (Makefile: STATIC=1), minus the cgo-only snapshotters; the
# shim adds no_grpc as upstream's Makefile does.
CTRD_TAGS="urfave_cli_no_docs osusergo netgo static_build no_btrfs no_devmapper no_zfs"
CTRD_LDFLAGS="-X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION -X github.com/containerd/containerd/v2/version.Package=github.com/containerd/containerd/v2"
for b in containerd ctr; do
  go_install "$b" "$BIN_DIR" "github.com/containerd/containerd/v2/cmd/$b@$CONTAINERD_VERSION" "$CTRD_TAGS" "$CTRD_LDFLAGS"
done
go_install containerd-shim-runc-v2 "$BIN_DIR" "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" "$CTRD_TAGS no_grpc" "$CTRD_LDFLAGS"

# --- CNI plugins -------------------------------------------------------------------
for p in "${CNI_PLUGINS[@]}"; do
  go_install "${p#*/}" "$CNI_BIN_DIR" "github.com/containernetworking/plugins/plugins/$p@$CNI_PLUGINS_VERSION" "" ""
done

# --- CoreDNS -----------------------------------------------------------------------
# In a wrapper module, for the shared version set (sandbox/go-version-set.txt), like Traefik.
if ! wrapper_fresh coredns "github.com/coredns/coredns@$COREDNS_VERSION"; then
  COREDNS_WRAPPER="$SRC_DIR/coredns-$COREDNS_VERSION"
  write_wrapper "$COREDNS_WRAPPER" github.com/coredns/coredns "$COREDNS_VERSION" "" '^$' seed-sum
fi
build_in_wrapper coredns "${COREDNS_WRAPPER:-}" github.com/coredns/coredns \
  "github.com/coredns/coredns@$COREDNS_VERSION" ""

# --- state-labs-csi-loop: our CSI driver ------------------------------------------------
# A module of ours, built in place from its committed go.mod and go.sum. Stamped by the hash of
# what goes into the binary (go.mod, go.sum, the sources but the tests), which is also the
# version it reports; the names are relative, so every checkout stamps alike.
build_own_module() { # name dir
  local name="$1" dir="$2" srchash what t0 logf
  srchash="$(cd "$dir" && find . -maxdepth 1 \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print0 |
    sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
  what="state-labs ${dir##*/} (src $srchash)"
  if is_fresh "$name" "$what"; then report "$name" "$what" cached; return; fi
  logf="$LOG_DIR/$name.log"
  log "building $name from $what (log: $logf) ..."
  t0=$(date +%s)
  if ! (cd "$dir" && go build -trimpath -ldflags "-s -w -X main.version=$srchash" -o "$BIN_DIR/.$name.tmp" .) >"$logf" 2>&1; then
    tail -n 30 "$logf" >&2
    die "build of $name failed; full log: $logf"
  fi
  mv -f "$BIN_DIR/.$name.tmp" "$BIN_DIR/$name"
  stamp_of "$what" >"$STAMP_DIR/$name"
  report "$name" "$what" "$(( $(date +%s) - t0 ))s"
}
build_own_module state-labs-csi-loop "$HERE/csi-loop"

# --- the CSI sidecars ----------------------------------------------------------------------
# external-provisioner's go.mod replaces (k8s.io/* held at v0.36.1), which 'go install' refuses:
# both are wrapper builds, with go.sum started from upstream's. Not on the shared version set
# yet: their Kubernetes libraries (v0.36.1) are theirs, and they share them with each other.
build_sidecar() { # binary module version
  local name="$1" mod="$2" ver="$3" wrapper
  wrapper="$SRC_DIR/$name-$ver"
  wrapper_fresh "$name" "$mod@$ver" || write_wrapper "$wrapper" "$mod" "$ver" "" '^$' seed-sum
  build_in_wrapper "$name" "$wrapper" "$mod/cmd/$name" "$mod@$ver" "-X main.version=$ver"
}
build_sidecar csi-provisioner github.com/kubernetes-csi/external-provisioner/v6 "$CSI_PROVISIONER_VERSION"
build_sidecar csi-resizer github.com/kubernetes-csi/external-resizer/v2 "$CSI_RESIZER_VERSION"

# --- Traefik ---------------------------------------------------------------------------
# Its go.mod has replace and exclude directives, which 'go install' refuses: a wrapper module
# restates them (k8s-build.sh's write_wrapper), with go.sum started from upstream's. The cold
# build is the longest of the node's (about 350 modules; 293 s on the shared version set, after
# the engine's builds, on a fresh machine). Version ldflags as upstream's release build (.goreleaser.yml.tmpl) sets them.
if ! wrapper_fresh traefik "github.com/traefik/traefik/v3@$TRAEFIK_VERSION"; then
  TRAEFIK_WRAPPER="$SRC_DIR/traefik-$TRAEFIK_VERSION"
  # Its OpenTelemetry modules stay at its own versions: its log bridges (otel/log v0.17) predate
  # the later log API the shared set would bring.
  write_wrapper "$TRAEFIK_WRAPPER" github.com/traefik/traefik/v3 "$TRAEFIK_VERSION" "" '^$' seed-sum '^go\.opentelemetry\.io/'
fi
build_in_wrapper traefik "${TRAEFIK_WRAPPER:-}" github.com/traefik/traefik/v3/cmd/traefik \
  "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" \
  "-X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION#v} -X github.com/traefik/traefik/v3/pkg/version.Codename=$TRAEFIK_CODENAME"

# --- sanity: every binary answers ------------------------------------------------
for b in kubelet kube-proxy containerd ctr coredns state-labs-csi-loop csi-provisioner csi-resizer; do
  "$BIN_DIR/$b" --version >/dev/null 2>&1 || die "$BIN_DIR/$b does not run ('$b --version' failed)"
done
[[ "$("$BIN_DIR/traefik" version 2>/dev/null)" == *"Version:"*" ${TRAEFIK_VERSION#v}"$'\n'* ]] || die "$BIN_DIR/traefik does not run or is not ${TRAEFIK_VERSION#v} ('traefik version')"
for b in runc iptables socat mkfs.ext4 e2fsck resize2fs mount losetup; do command -v "$b" >/dev/null || die "$b is not on PATH"; done

echo
echo "node toolchain ready in $BIN_DIR, CNI plugins in $CNI_BIN_DIR ($GO_VERSION):"
printf '  %s\n' "${SUMMARY[@]}"
