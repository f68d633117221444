#!/usr/bin/env bash
# Build the local Kubernetes control-plane toolchain from the Go module proxy.
#
# Produces, in "$LABS_TOOLCHAIN_DIR/bin" (default ~/.cache/state-labs/toolchain/bin):
#   kube-apiserver kube-controller-manager kube-scheduler kubectl  (k8s.io/kubernetes)
#   etcd                                                            (go.etcd.io/etcd/server/v3)
#   kwok kwokctl                                                    (sigs.k8s.io/kwok)
#   kube-score                                                      (github.com/zegl/kube-score)
# and Gateway API's standard-channel CRDs, from the module zip of sigs.k8s.io/gateway-api, into
# "$LABS_TOOLCHAIN_DIR/gateway-api/<version>/" ("current" links to the pinned one; up.sh applies it).
#
# Why build from source: this machine (and CI) can reach package registries
# only (Go module proxy, Debian, npm, ...), never dl.k8s.io / GitHub releases /
# container registries, so prebuilt release binaries and images are out.
#
# Idempotent: every binary has a stamp file recording what it was built from;
# a binary whose stamp matches the pinned version is reported as 'cached'.
#
# Env:
#   LABS_TOOLCHAIN_DIR    cache root (default ~/.cache/state-labs/toolchain)
#   LABS_TOOLCHAIN_FORCE  =1 to rebuild everything regardless of stamps
#   GOPROXY/GOMODCACHE/GOCACHE are honoured as usual.
set -euo pipefail

# ---------------------------------------------------------------------------
# Pinned versions (Kubernetes: k8s-build.sh). Bump here; stamps rebuild what changed.
# ---------------------------------------------------------------------------
# etcd 3.6 is what kubeadm/kwok pair with Kubernetes 1.34-1.36 (Debian's 3.4
# is too old for recent kube-apiserver releases).
ETCD_VERSION="v3.6.16"
KWOK_VERSION="v0.8.0"
# The manifest checker of the acceptance suite (test/cluster/kube-score.spec.ts).
KUBE_SCORE_VERSION="v1.20.0"
# Gateway API's CRDs in every local cluster (the standard channel, as Traefik v3.6 implements it:
# sandbox/node/toolchain.sh).
GATEWAY_API_VERSION="v1.4.1"
# Bump when the build recipe below changes in a way that must invalidate stamps.
RECIPE_REV="1"

TOOL=toolchain
GO_MIN_MINOR=26
GO_NEEDED_BY="Kubernetes 1.36"
REPORT_FORMAT='%-24s %-34s %s'
# shellcheck source=../toolchain-lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../toolchain-lib.sh"
# shellcheck source=k8s-build.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/k8s-build.sh"

# --- Kubernetes -------------------------------------------------------------
build_k8s kube-apiserver kube-controller-manager kube-scheduler kubectl

# --- etcd -------------------------------------------------------------------
if ! wrapper_fresh etcd "go.etcd.io/etcd/server/v3@$ETCD_VERSION"; then
  ETCD_WRAPPER="$SRC_DIR/etcd-$ETCD_VERSION"
  # server/v3 replaces api/v3, client/..., pkg/v3 with ../x: pin them to the
  # same release. etcd's version string is a constant in api/v3, no ldflags.
  write_wrapper "$ETCD_WRAPPER" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$ETCD_VERSION" '^\.\./(api|client|pkg)'
fi
build_in_wrapper etcd "${ETCD_WRAPPER:-}" go.etcd.io/etcd/server/v3 "go.etcd.io/etcd/server/v3@$ETCD_VERSION" ""

# --- kwok / kwokctl, kube-score --------------------------------------------------
# No replace directives upstream; kwok builds in a wrapper module all the same, so that it
# compiles its Kubernetes libraries at the shared set's versions. kube-score v1.20.0 still reads
# autoscaling/v2beta1 and v2beta2, which k8s.io/api left at v0.36: it builds on its own versions
# (go install); its version is a main-package variable.
if ! wrapper_fresh kwok "sigs.k8s.io/kwok@$KWOK_VERSION" || ! wrapper_fresh kwokctl "sigs.k8s.io/kwok@$KWOK_VERSION"; then
  KWOK_WRAPPER="$SRC_DIR/kwok-$KWOK_VERSION"
  write_wrapper "$KWOK_WRAPPER" sigs.k8s.io/kwok "$KWOK_VERSION" "" '^$' seed-sum
fi
for b in kwok kwokctl; do
  build_in_wrapper "$b" "${KWOK_WRAPPER:-}" "sigs.k8s.io/kwok/cmd/$b" "sigs.k8s.io/kwok@$KWOK_VERSION" ""
done
go_install kube-score "$BIN_DIR" "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION" "" \
  "-X main.version=$KUBE_SCORE_VERSION" "github.com/zegl/kube-score@$KUBE_SCORE_VERSION"

# --- Gateway API CRDs ---------------------------------------------------------
# Released as YAML on GitHub (unreachable here), and shipped in the module zip too, at
# config/crd/standard/. Copied out of the module cache (which 'go clean -modcache' empties),
# each version in a directory of its own, written aside and moved into place.
GATEWAY_API_DIR="$TOOLCHAIN_DIR/gateway-api"
modver="sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION"
if is_fresh gateway-api-crds "$modver config/crd/standard" "$GATEWAY_API_DIR/$GATEWAY_API_VERSION"; then
  report gateway-api-crds "$modver" cached
else
  t0=$(date +%s)
  up="$(mod_dir "$modver")"
  compgen -G "$up/config/crd/standard/*.yaml" >/dev/null || die "no CRDs in $modver (config/crd/standard/)"
  rm -rf "${GATEWAY_API_DIR:?}/.$GATEWAY_API_VERSION.tmp" "${GATEWAY_API_DIR:?}/$GATEWAY_API_VERSION"
  mkdir -p "$GATEWAY_API_DIR/.$GATEWAY_API_VERSION.tmp"
  install -m 0644 "$up"/config/crd/standard/*.yaml "$GATEWAY_API_DIR/.$GATEWAY_API_VERSION.tmp/"
  mv "$GATEWAY_API_DIR/.$GATEWAY_API_VERSION.tmp" "$GATEWAY_API_DIR/$GATEWAY_API_VERSION"
  stamp_of "$modver config/crd/standard" >"$STAMP_DIR/gateway-api-crds"
  report gateway-api-crds "$modver" "$(( $(date +%s) - t0 ))s"
fi
# up.sh applies "current": the pinned version, also when another checkout's pin moved it.
if [[ "$(readlink "$GATEWAY_API_DIR/current" 2>/dev/null)" != "$GATEWAY_API_VERSION" ]]; then
  ln -sfn "$GATEWAY_API_VERSION" "$GATEWAY_API_DIR/.current.tmp" && mv -T "$GATEWAY_API_DIR/.current.tmp" "$GATEWAY_API_DIR/current"
fi

# --- sanity: every binary answers --version --------------------------------
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl kube-score; do
  case "$b" in
    kubectl) args=(version --client) ;;
    kube-score) args=(version) ;;
    *) args=(--version) ;;
  esac
  "$BIN_DIR/$b" "${args[@]}" >/dev/null 2>&1 || die "$BIN_DIR/$b does not run ('$b ${args[*]}' failed)"
done
if [[ "$(readlink "$GATEWAY_API_DIR/current")" != "$GATEWAY_API_VERSION" ]] || ! compgen -G "$GATEWAY_API_DIR/current/*.yaml" >/dev/null; then
  die "no Gateway API CRDs in $GATEWAY_API_DIR/current (want $GATEWAY_API_VERSION)"
fi

echo
echo "toolchain ready in $BIN_DIR ($GO_VERSION):"
printf '  %s\n' "${SUMMARY[@]}"
