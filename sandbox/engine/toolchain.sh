#!/usr/bin/env bash
# Build the Pulumi engine and the plugins our program needs from the Go module
# proxy, so `pulumi up` runs on a machine that reaches package registries only
# (no get.pulumi.com, no GitHub releases: `pulumi plugin install` and the npm
# packages' install scripts cannot fetch anything there).
#
# Produces, in "$LABS_TOOLCHAIN_DIR/bin" (default ~/.cache/state-labs/toolchain/bin,
# the same cache as sandbox/cluster/toolchain.sh):
#   pulumi                      CLI + engine     github.com/pulumi/pulumi/pkg/v3 (cmd/pulumi)
#   pulumi-language-nodejs      options shim     sandbox/engine/nodejs-host-options (see below)
#   pulumi-language-nodejs-host language host    github.com/pulumi/pulumi/sdk/v3 (nodejs/cmd/pulumi-language-nodejs)
#   pulumi-resource-kubernetes  provider         github.com/pulumi/pulumi-kubernetes/provider/v4
#   pulumi-resource-random      provider         STAND-IN built from sandbox/engine/random-standin
#                                                (see below: the real one is not on the proxy)
#   pulumi-resource-pulumi-nodejs  launcher of the dynamic-resource provider (a script of ours,
#                                  sandbox/engine/pulumi-resource-pulumi-nodejs)
#
# What the Go module proxy serves here (checked, see the version notes below)
# decides the versions; it does NOT serve the versions package.json pins:
#   - pkg/v3 (the CLI): .info/.mod up to v3.260.0 but the module zip only up to
#     v3.259.0; v3.261.0+ (incl. v3.270.0) are refused ("not available").
#   - the Node.js language host lives in its own untagged module since ~v3.69;
#     no version of that module is served. v3.68.0 is the last sdk/v3 release
#     that still contains it, so that is what we build.
#   - pulumi-kubernetes/provider/v4: untagged (pseudo-versions only); the one
#     pseudo-version the proxy serves is a 2026-01-15 master commit (after
#     v4.24.0; v4.34.2's commit is not served). It is missing from the checksum
#     database, so it is fetched with GONOSUMDB for that one module and checked
#     against the hash pinned below; its dependencies (some also missing from
#     sum.golang.org, e.g. pkg/v3 v3.215.0, cloud-ready-checks v1.3.0) are
#     checked against upstream's own go.sum, copied into the wrapper.
#   - pulumi-random/provider/v4 and pulumi-terraform-bridge: nothing served.
#
# Idempotent: every binary has a stamp file recording what it was built from;
# a binary whose stamp matches is reported as 'cached'.
#
# Env:
#   LABS_TOOLCHAIN_DIR    cache root (default ~/.cache/state-labs/toolchain)
#   LABS_TOOLCHAIN_FORCE  =1 to rebuild everything regardless of stamps
#   GOPROXY/GOMODCACHE/GOCACHE are honoured as usual.
set -euo pipefail

# ---------------------------------------------------------------------------
# Pinned versions. Bump here; stamps make the next run rebuild what changed.
# ---------------------------------------------------------------------------
# CLI/engine: the newest the proxy serves. npm @pulumi/pulumi (3.270.0) is newer;
# the SDK negotiates features with the engine, and the engine suite runs the pair.
PULUMI_VERSION="v3.259.0"
# Node.js language host: sdk/v3 release that still carries it (see above).
NODEJS_HOST_SDK_VERSION="v3.68.0"
# Kubernetes provider: module pseudo-version, its go.sum hash (pinned because
# the checksum database does not know it), the sdk/v4 release its go.mod
# requires (upstream replaces it with ../sdk), and the plugin version it
# reports to the engine (must be the version the npm package requests, or the
# engine looks for / tries to download another plugin).
K8S_PROVIDER_VERSION="v4.0.0-20260115033456-f47bc2d6f199"
K8S_PROVIDER_SUM="h1:j2bphCf7c2YhnBrhwht2f3TNRRgcMImltUlAgzxr9H4="
K8S_SDK_VERSION="v4.24.0"
# The proxy serves no tagged provider release; this commit of 2026-01-15 lies
# between v4.24.0 and v4.24.1, so package.json pins @pulumi/kubernetes 4.24.1
# (npm has no 4.24.0) and the plugin answers as the same version.
K8S_PLUGIN_VERSION="4.24.1"
# Random provider stand-in: reports the version @pulumi/random requests.
RANDOM_PLUGIN_VERSION="4.21.2"
# Bump when the build recipe below changes in a way that must invalidate stamps.
RECIPE_REV="1"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOL=engine-toolchain
GO_MIN_MINOR=25
GO_NEEDED_BY="pulumi $PULUMI_VERSION"
REPORT_FORMAT='%-28s %-70s %s'
# shellcheck source=../toolchain-lib.sh
source "$HERE/../toolchain-lib.sh"

# Wrapper module (same idea as sandbox/cluster/toolchain.sh): 'go install
# mod@v' refuses modules with replace directives, and a dependency's replaces
# are ignored anyway, so a tiny generated main module requires the target and
# re-states upstream's replaces with published versions.
#   $1 wrapper dir  $2 go.mod of the module whose 'go'/'godebug' lines to keep
#   $3 'require' body lines (newline separated)  $4 'replace' body lines
#   $5 "shared" to require the shared version set (sandbox/go-version-set.txt) too, or
#      "shared-except <regexp>" to require it but for the modules the regexp matches
# The wrapper's go.sum starts as a copy of upstream's go.sum (next to $2), so
# dependencies are checked against the hashes upstream recorded; only modules
# missing from it are looked up in the checksum database (some Pulumi module
# versions this proxy serves are not in sum.golang.org).
write_wrapper() {
  local dir="$1" gomod="$2" requires="$3" replaces="$4" shared="${5:-}" set_block keep
  mkdir -p "$dir"
  {
    echo "// Generated by sandbox/engine/toolchain.sh; safe to delete."
    echo "module state-labs.local/toolchain/wrapper"
    echo
    go_lines "$gomod"
    echo
    echo "require ("
    indent <<<"$requires"
    echo ")"
    if [[ -n "$replaces" ]]; then
      echo
      echo "replace ("
      indent <<<"$replaces"
      echo ")"
    fi
  } >"$dir/go.mod.new"
  if [[ "$shared" == shared* ]]; then
    keep=""; [[ "$shared" != "shared-except "* ]] || keep="${shared#shared-except }"
    set_block="$(go_set_block "$dir" "$keep" <"$dir/go.mod.new")"
    printf '\n%s\n' "$set_block" >>"$dir/go.mod.new"
  fi
  adopt_wrapper_gomod "$dir" "$(dirname "$gomod")/go.sum"
}

indent() { local l; while IFS= read -r l; do [[ -z "$l" ]] || printf '\t%s\n' "$l"; done; }

# Upstream's non-local replaces of a go.mod, verbatim ("from => to version").
nonlocal_replaces() { # go.mod
  sed -n -E 's/^(replace[[:space:]]+)?[[:space:]]*([^[:space:]()]+)[[:space:]]*=>[[:space:]]*([^[:space:]]+)[[:space:]]*([^[:space:]]*)[[:space:]]*$/\2 \3 \4/p' "$1" |
    while read -r from to tover; do
      [[ "$to" == ./* || "$to" == ../* ]] || echo "$from => $to $tover"
    done
}

T0=0
start_build() { # name what
  log "building $1 from $2 (log: $LOG_DIR/$1.log) ..."
  T0=$(date +%s)
}
finish_build() { # name what stamp-text
  mv -f "$BIN_DIR/.$1.tmp" "$BIN_DIR/$1"
  stamp_of "$3" >"$STAMP_DIR/$1"
  report "$1" "$2" "$(( $(date +%s) - T0 ))s"
}
go_build() { # name wrapper-dir package ldflags  (output: $BIN_DIR/.name.tmp, log appended)
  local name="$1" dir="$2" pkg="$3" ldflags="$4" logf="$LOG_DIR/$1.log"
  if grep -q '^// go-version-set begin' "$dir/go.mod.gen"; then record_build "$dir" "" "$pkg"; fi
  if ! (cd "$dir" && go build -mod=mod -trimpath -ldflags "-s -w $ldflags" \
          -o "$BIN_DIR/.$name.tmp" "$pkg") >>"$logf" 2>&1; then
    tail -n 30 "$logf" >&2
    die "build of $name failed; full log: $logf"
  fi
}
# A small Go program of ours (sandbox/engine/<dir>/main.go), built on the sdk/v3 the CLI uses.
build_ours() { # name dir ldflags stamp-suffix
  local name="$1" dir="$2" ldflags="$3" srchash what stamp sdk_up wdir
  srchash="$(sha256sum <"$HERE/$dir/main.go" | cut -c1-12)"
  what="state-labs $dir (src $srchash) on sdk/v3@$PULUMI_VERSION"
  stamp="$what$4"
  if is_fresh "$name" "$stamp"; then report "$name" "$what" cached; return; fi
  start_build "$name" "$what"; : >"$LOG_DIR/$name.log"
  sdk_up="$(mod_dir "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION")"
  wdir="$SRC_DIR/pulumi-$dir"
  write_wrapper "$wdir" "$sdk_up/go.mod" "github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION" \
    "$(nonlocal_replaces "$sdk_up/go.mod")"
  mkdir -p "$wdir/cmd"; cp "$HERE/$dir/main.go" "$wdir/cmd/main.go"
  go_build "$name" "$wdir" ./cmd "$ldflags"
  finish_build "$name" "$what" "$stamp"
}

SDK_VERSION_PKG="github.com/pulumi/pulumi/sdk/v3/go/common/version"

# --- pulumi (CLI + engine) --------------------------------------------------
name=pulumi; what="github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION"
if wrapper_fresh "$name" "$what"; then report "$name" "$what" cached; else
  start_build "$name" "$what"; : >"$LOG_DIR/$name.log"
  up="$(mod_dir "$what")"; [[ -f "$up/go.mod" ]] || die "no go.mod for $what"
  # Upstream: sdk/v3 => ../sdk (same release), clipboard => a fork (kept).
  write_wrapper "$SRC_DIR/pulumi-$PULUMI_VERSION" "$up/go.mod" \
    "github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION" \
    "$(echo "github.com/pulumi/pulumi/sdk/v3 => github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION"; nonlocal_replaces "$up/go.mod")" shared
  go_build "$name" "$SRC_DIR/pulumi-$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X $SDK_VERSION_PKG.Version=$PULUMI_VERSION"
  finish_build "$name" "$what" "$what on $GO_SET_ID"
fi

# --- pulumi-language-nodejs-host --------------------------------------------
name=pulumi-language-nodejs-host; what="github.com/pulumi/pulumi/sdk/v3@$NODEJS_HOST_SDK_VERSION"
if is_fresh "$name" "$what"; then report "$name" "$what" cached; else
  start_build "$name" "$what"; : >"$LOG_DIR/$name.log"
  up="$(mod_dir "$what")"; [[ -f "$up/go.mod" ]] || die "no go.mod for $what"
  [[ -d "$up/nodejs/cmd/pulumi-language-nodejs" ]] ||
    die "$what does not contain nodejs/cmd/pulumi-language-nodejs (it moved to its own module after v3.68)"
  write_wrapper "$SRC_DIR/pulumi-language-nodejs-$NODEJS_HOST_SDK_VERSION" "$up/go.mod" \
    "github.com/pulumi/pulumi/sdk/v3 $NODEJS_HOST_SDK_VERSION" "$(nonlocal_replaces "$up/go.mod")"
  go_build "$name" "$SRC_DIR/pulumi-language-nodejs-$NODEJS_HOST_SDK_VERSION" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
    "-X $SDK_VERSION_PKG.Version=$NODEJS_HOST_SDK_VERSION"
  finish_build "$name" "$what" "$what"
fi

# --- pulumi-language-nodejs (options shim) ----------------------------------
# The v3.68 host reads Pulumi.yaml's runtime options (typescript, tsconfig,
# nodeargs) as flags; CLI v3.259 sends them over RPC only. The shim is what the
# CLI starts: it reads the project's options and execs the host with them.
build_ours pulumi-language-nodejs nodejs-host-options "" ""

# --- pulumi-resource-pulumi-nodejs (launcher) -------------------------------
# The dynamic-resource provider is JavaScript in @pulumi/pulumi; the engine starts it through
# this launcher, which upstream ships as a script beside the CLI (nothing to build).
install -m 0755 "$HERE/pulumi-resource-pulumi-nodejs" "$BIN_DIR/pulumi-resource-pulumi-nodejs"
report pulumi-resource-pulumi-nodejs "state-labs sandbox/engine/pulumi-resource-pulumi-nodejs" cached

# --- pulumi-resource-kubernetes ---------------------------------------------
name=pulumi-resource-kubernetes; what="github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_VERSION"
stamp="$what as $K8S_PLUGIN_VERSION (sdk/v4 $K8S_SDK_VERSION)"
if wrapper_fresh "$name" "$stamp"; then report "$name" "$what" cached; else
  start_build "$name" "$what"; : >"$LOG_DIR/$name.log"
  # Not in sum.golang.org: skip the checksum database for this module only and
  # check the zip hash against our pin instead.
  dl="$(GONOSUMDB=github.com/pulumi/pulumi-kubernetes/provider mod_download "$what")"
  up="$(sed -n 1p <<<"$dl")"; sum="$(sed -n 2p <<<"$dl")"
  [[ "$sum" == "$K8S_PROVIDER_SUM" ]] || die "$what has hash '$sum', expected $K8S_PROVIDER_SUM"
  wdir="$SRC_DIR/pulumi-kubernetes-$K8S_PROVIDER_VERSION"
  # main.go embeds schema-embed.json / terraform-mapping-embed.json, which
  # upstream's 'go generate' (generate.go) writes next to it: work on a
  # writable copy of the module, wired in with a local replace.
  if [[ ! -f "$wdir/provider/.copied" ]]; then
    rm -rf "$wdir/provider"; mkdir -p "$wdir"
    cp -r "$up" "$wdir/provider"; chmod -R u+w "$wdir/provider"
    touch "$wdir/provider/.copied"
  fi
  # Its Kubernetes libraries stay at its own versions (v0.33), with the modules their API is built
  # on (OpenAPI, CEL): fluxcd/pkg/ssa v0.46 still reads autoscaling/v2beta2, which k8s.io/api
  # left at v0.36. So do Pulumi's (v3.215): its schema generator predates pkg/v3's later
  # codegen types. The rest takes the shared set.
  write_wrapper "$wdir" "$up/go.mod" \
    "github.com/pulumi/pulumi-kubernetes/provider/v4 $K8S_PROVIDER_VERSION" \
    "$(echo "github.com/pulumi/pulumi-kubernetes/provider/v4 => ./provider"
       echo "github.com/pulumi/pulumi-kubernetes/sdk/v4 => github.com/pulumi/pulumi-kubernetes/sdk/v4 $K8S_SDK_VERSION"
       nonlocal_replaces "$up/go.mod")" \
    'shared-except ^(k8s\.io/|sigs\.k8s\.io/|github\.com/google/(gnostic-models|cel-go)$|cel\.dev/|github\.com/(go-openapi|antlr4-go|pulumi)/)'
  # Run upstream's generate.go (build-tag 'ignore' dropped) inside the wrapper.
  mkdir -p "$wdir/gen"
  sed -e '/^\/\/go:build ignore/d' -e '/^\/\/ +build ignore/d' \
    "$wdir/provider/cmd/pulumi-resource-kubernetes/generate.go" >"$wdir/gen/main.go"
  go_build "$name" "$wdir" ./gen ""
  mv -f "$BIN_DIR/.$name.tmp" "$BIN_DIR/.$name-gen.tmp"
  (cd "$wdir/provider/cmd/pulumi-resource-kubernetes" && VERSION="$K8S_PLUGIN_VERSION" "$BIN_DIR/.$name-gen.tmp") \
    >>"$LOG_DIR/$name.log" 2>&1 || die "generate.go failed; log: $LOG_DIR/$name.log"
  rm -f "$BIN_DIR/.$name-gen.tmp"
  go_build "$name" "$wdir" github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes \
    "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PLUGIN_VERSION"
  finish_build "$name" "$what" "$stamp on $GO_SET_ID"
fi

# --- pulumi-resource-random (stand-in) --------------------------------------
# pulumi-random is a Terraform-bridged provider; neither it nor
# pulumi-terraform-bridge is served by the proxy here. random-standin/ is a
# small provider of ours (RandomPassword, RandomString) built on the sdk/v3
# the CLI uses, answering as random $RANDOM_PLUGIN_VERSION.
build_ours pulumi-resource-random random-standin "-X main.version=$RANDOM_PLUGIN_VERSION" " as $RANDOM_PLUGIN_VERSION"

# --- sanity -----------------------------------------------------------------
"$BIN_DIR/pulumi" version >/dev/null 2>&1 || die "$BIN_DIR/pulumi does not run ('pulumi version' failed)"
got="$("$BIN_DIR/pulumi" version)"
[[ "$got" == "$PULUMI_VERSION" ]] || die "pulumi version says '$got', expected $PULUMI_VERSION"
for b in pulumi-language-nodejs pulumi-language-nodejs-host pulumi-resource-kubernetes pulumi-resource-random pulumi-resource-pulumi-nodejs; do
  [[ -x "$BIN_DIR/$b" ]] || die "$BIN_DIR/$b is missing"
done
"$BIN_DIR/pulumi-resource-random" --version >/dev/null 2>&1 || die "$BIN_DIR/pulumi-resource-random does not run"

# Which plugin version each provider binary answers as; env.sh installs them
# under exactly these versions.
printf 'kubernetes=%s\nrandom=%s\n' "$K8S_PLUGIN_VERSION" "$RANDOM_PLUGIN_VERSION" >"$TOOLCHAIN_DIR/engine-plugins.txt"

echo
echo "engine toolchain ready in $BIN_DIR ($GO_VERSION):"
printf '  %s\n' "${SUMMARY[@]}"
