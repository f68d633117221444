# shellcheck shell=bash
# Offline Pulumi environment on the binaries built by sandbox/engine/toolchain.sh.
# Sourced, not executed:
#
#   source sandbox/engine/env.sh [WORK_DIR]
#   pulumi stack select --create dev && pulumi up --yes
#
# WORK_DIR (or $LABS_PULUMI_DIR) holds everything Pulumi writes: PULUMI_HOME
# (plugins, credentials, logs) in WORK_DIR/home and the file ("DIY") state
# backend in WORK_DIR/state. Without either, a fresh temp dir is used (new,
# empty state each time you source it). Nothing of ~/.pulumi is read.
#
# Offline by construction:
#   - toolchain bin first on PATH; the CLI finds pulumi-language-nodejs next to
#     itself (a "bundled" plugin);
#   - each provider is installed into PULUMI_HOME/plugins under the version
#     the toolchain built it as, which is the version the npm package requests
#     (`pulumi plugin install --file`: a local copy, ~200 MB per PULUMI_HOME, no
#     download; a mismatch with node_modules is reported), and PATH lookup of providers
#     ("ambient" plugins) is switched off, so the engine uses exactly those and
#     prints no "using pulumi-resource-X from $PATH" warning on every run;
#   - PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: a missing plugin (e.g. after
#     an npm bump without a toolchain bump) is an error, never a download; no
#     update check, no registry lookups;
#   - HTTP(S)_PROXY points at a port that refuses connections, so any code path
#     we missed that would reach the internet fails at once instead of hanging.
#     Loopback (the kwok cluster's API server) bypasses it via NO_PROXY.
#     Consequence: run `npm ci` before sourcing this, not after.
#
# Env read: LABS_TOOLCHAIN_DIR (as toolchain.sh), LABS_PULUMI_DIR,
# PULUMI_CONFIG_PASSPHRASE / PULUMI_CONFIG_PASSPHRASE_FILE (kept if set; otherwise a
# passphrase is generated into WORK_DIR/passphrase).

_labs_engine_env() {
  local toolchain_dir="${LABS_TOOLCHAIN_DIR:-$HOME/.cache/state-labs/toolchain}"
  local bin_dir="$toolchain_dir/bin" work="${1:-${LABS_PULUMI_DIR:-}}" b

  for b in pulumi pulumi-language-nodejs pulumi-language-nodejs-host pulumi-resource-kubernetes pulumi-resource-random pulumi-resource-pulumi-nodejs; do
    if [[ ! -x "$bin_dir/$b" ]]; then
      echo "engine-env: $bin_dir/$b is missing; run: bash sandbox/engine/toolchain.sh" >&2
      return 1
    fi
  done
  if [[ -z "$work" ]]; then
    work="$(mktemp -d "${TMPDIR:-/tmp}/state-labs-pulumi.XXXXXX")" || return 1
  fi
  mkdir -p "$work/home" "$work/state" || return 1
  work="$(cd "$work" && pwd)"

  case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) export PATH="$bin_dir:$PATH" ;;
  esac
  export LABS_PULUMI_DIR="$work"
  export PULUMI_HOME="$work/home"
  export PULUMI_BACKEND_URL="file://$work/state"
  # Passphrase of the local state's secrets (the generated DB passwords): generated once per
  # work dir and kept beside the state it unlocks, never written in a script.
  if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
    if [[ ! -s "$work/passphrase" ]]; then
      (umask 077 && head -c 32 /dev/urandom | base64 >"$work/passphrase") || return 1
    fi
    export PULUMI_CONFIG_PASSPHRASE_FILE="$work/passphrase"
  fi
  export PULUMI_SKIP_UPDATE_CHECK=1
  export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=1
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_DISABLE_REGISTRY_RESOLVE=true
  export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
  export PULUMI_SUPPRESS_NEO_LINK=true
  export PULUMI_IGNORE_AMBIENT_PLUGINS=true
  unset PULUMI_ACCESS_TOKEN
  # Refusing proxy as a backstop (same as sandbox/cluster/lib.sh).
  export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
  export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9
  export NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1

  # Install each provider under the version it was built to answer as
  # (engine-plugins.txt, written by toolchain.sh), and say so when the npm
  # package in node_modules requests another one: the engine would then stop
  # with "no resource plugin ... found" (it never downloads here).
  local plugins="$toolchain_dir/engine-plugins.txt" name ver want pkgjson
  local modules="$PWD/node_modules"
  [[ -d "$modules" ]] || modules="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/node_modules"
  if [[ ! -f "$plugins" ]]; then
    echo "engine-env: $plugins is missing; run: bash sandbox/engine/toolchain.sh" >&2
    return 1
  fi
  while IFS='=' read -r name ver; do
    [[ -n "$name" && -n "$ver" ]] || continue
    pkgjson="$modules/@pulumi/$name/package.json"
    if [[ -f "$pkgjson" ]]; then
      want="$(node -e 'const p=require(process.argv[1]); process.stdout.write((p.pulumi&&p.pulumi.version)||p.version)' "$pkgjson" 2>/dev/null)" || want=""
      if [[ -n "$want" && "$want" != "$ver" ]]; then
        echo "engine-env: WARNING: @pulumi/$name $want requests plugin v$want, the toolchain built v$ver (see sandbox/engine/toolchain.sh)" >&2
      fi
    fi
    # Up to date when it is a byte-for-byte copy of the toolchain's binary
    # (a toolchain rebuild makes every older PULUMI_HOME copy stale).
    cmp -s "$bin_dir/pulumi-resource-$name" "$PULUMI_HOME/plugins/resource-$name-v$ver/pulumi-resource-$name" && continue
    if ! pulumi plugin install resource "$name" "$ver" --reinstall --file "$bin_dir/pulumi-resource-$name" >/dev/null 2>&1; then
      echo "engine-env: could not install resource-$name v$ver into $PULUMI_HOME/plugins" >&2
      return 1
    fi
  done <"$plugins"
  echo "engine-env: pulumi $(pulumi version) from $bin_dir; state in $PULUMI_BACKEND_URL; PULUMI_HOME=$PULUMI_HOME" >&2
}

_labs_engine_env "$@"
