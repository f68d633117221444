# shellcheck shell=bash
# What the sandbox needs from this machine, checked before anything is built, started or
# written: each problem is one line on stderr and exit 2 (a bad environment; nothing touched).
# Sourced by sandbox/local.sh, sandbox/cluster/test.sh and sandbox/cluster/bench.sh, which set
# PREFLIGHT_TOOL (the log prefix) first. Why up front: the build takes about 30 minutes, and
# a missing tool or a full disk found at minute 25 wastes all of it.
#
# Env read: LABS_TOOLCHAIN_DIR, LABS_MIN_FREE_GB (free space asked for a build, default 10;
# 0 skips the check), and LABS_TEST_EUID, which only the unit tests set (they run without
# root: test/sandbox-preflight.spec.ts) and which stands for $EUID.

PREFLIGHT_TOOLCHAIN_DIR="${LABS_TOOLCHAIN_DIR:-$HOME/.cache/state-labs/toolchain}"

preflight_fail() {
  echo "${PREFLIGHT_TOOL:-sandbox}: $*" >&2
  exit 2
}

# Root: the real node uses network namespaces, cgroups and iptables; the images are built by
# mmdebstrap in root mode.
preflight_root() { # what needs it
  (( ${LABS_TEST_EUID:-$EUID} == 0 )) ||
    preflight_fail "needs root: $1. Run it as root (sudo -E npm run ...); nothing was started"
}

# Whether the control plane's and the engine's toolchains (and with `node`, the real node's
# and its images) are built already: then no Go, no apt and no build space are needed.
preflight_built() { # [node]
  local b bins=(kube-apiserver kubectl etcd kwokctl pulumi)
  [[ "${1:-}" == node ]] && bins+=(kubelet containerd)
  for b in "${bins[@]}"; do
    [[ -x "$PREFLIGHT_TOOLCHAIN_DIR/bin/$b" ]] || return 1
  done
  [[ "${1:-}" != node || -f "$PREFLIGHT_TOOLCHAIN_DIR/images/refs.json" ]]
}

# Go, at the version the toolchains build with (sandbox/{cluster,node}/toolchain.sh: 1.26).
preflight_go() {
  local version minor
  command -v go >/dev/null 2>&1 ||
    preflight_fail "Go is not on PATH: the first run builds Kubernetes, containerd and the Pulumi engine from the Go module proxy with Go >= 1.26 (https://go.dev/dl/; then export PATH=/usr/local/go/bin:\$PATH)"
  version="$(go env GOVERSION 2>/dev/null)"
  minor="$(sed -nE 's/^go1\.([0-9]+).*/\1/p' <<<"$version")"
  [[ -n "$minor" ]] && (( minor >= 26 )) && return 0
  preflight_fail "Go ${version:-of unknown version} is too old: the toolchains need Go >= 1.26 (https://go.dev/dl/)"
}

# Debian's tools: apt-get installs the rest (runc, iptables, socat, mmdebstrap, umoci...); these
# are used before or beside it.
preflight_debian() {
  local cmd missing=()
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    preflight_fail "apt-get and dpkg-query are not on PATH: the sandbox installs its packages with Debian's apt (Debian 12 or later)"
  fi
  for cmd in ip:iproute2 openssl:openssl unshare:util-linux nsenter:util-linux flock:util-linux sysctl:procps tar:tar; do
    command -v "${cmd%%:*}" >/dev/null 2>&1 || missing+=("${cmd%%:*} (${cmd#*:})")
  done
  (( ${#missing[@]} == 0 )) ||
    preflight_fail "missing Debian tools: ${missing[*]}; install them: apt-get install $(printf '%s\n' "${missing[@]}" | sed -E 's/.*\((.*)\)/\1/' | sort -u | tr '\n' ' ' | sed 's/ $//')"
}

# Free space where the toolchain lives. A cold build fills about 8 GB: Go's module cache
# (Kubernetes, containerd, the Pulumi engine and providers) and build cache, the binaries,
# the images' root filesystems; the default asks for 10 GB, LABS_MIN_FREE_GB changes it.
preflight_disk() {
  local want="${LABS_MIN_FREE_GB:-10}" dir="$PREFLIGHT_TOOLCHAIN_DIR" free_kb
  (( want > 0 )) || return 0
  while [[ ! -d "$dir" ]]; do dir="$(dirname "$dir")"; done
  free_kb="$(df -Pk "$dir" | awk 'NR == 2 {print $4}')"
  (( free_kb / 1024 / 1024 >= want )) ||
    preflight_fail "too little free disk for the build: $(( free_kb / 1024 / 1024 )) GB free on $dir$([[ "$dir" == "$PREFLIGHT_TOOLCHAIN_DIR" ]] || echo " (for $PREFLIGHT_TOOLCHAIN_DIR)"), $want GB wanted (Go's caches, the binaries and the images: about 8 GB). Free some, or point LABS_TOOLCHAIN_DIR, GOMODCACHE and GOCACHE at a larger disk"
}

# The toolchains: built already, or what building them needs.
preflight_build() { # [node]
  preflight_built "${1:-}" && return 0
  preflight_go
  preflight_debian
  preflight_disk
}

# A cluster of an earlier run still up: one local cluster at a time on a machine (the real
# node's network and cgroups, the machine's two cores). Its components are the toolchain's
# binaries with its kwok state dir on their command line (sandbox/cluster/lib.sh).
preflight_no_cluster() { # allowed cluster name (the one this run would take over), or ""
  local dir name
  for dir in "$PREFLIGHT_TOOLCHAIN_DIR"/clusters/*/; do
    [[ -d "$dir" ]] || continue
    name="$(basename "$dir")"
    [[ "$name" == "${1:-}" ]] && continue
    pgrep -f -- "$PREFLIGHT_TOOLCHAIN_DIR/kwok/clusters/$name/" >/dev/null 2>&1 || continue
    preflight_fail "a local cluster of an earlier run is still up: '$name' ($dir). One runs at a time here; remove it first: LABS_CLUSTER_NAME=$name npm run cluster:down$([[ "$name" == state-labs-local ]] && echo ' (or npm run local -- down)')"
  done
}
