# shellcheck shell=bash
# Shared by the toolchain scripts (sandbox/{cluster,engine,node}/toolchain.sh): the cache layout,
# Go settings, one lock, stamps, the build report and go install. Sourced, not executed. The sourcing
# script sets first:
#   TOOL          log prefix
#   GO_MIN_MINOR  the oldest Go 1.x minor its modules build with
#   GO_NEEDED_BY  what needs that Go (for the error message)
#   RECIPE_REV    bumped when a build recipe changes in a way that must invalidate stamps
#   REPORT_FORMAT printf format of a report row (name, what, seconds|cached)

TOOLCHAIN_DIR="${LABS_TOOLCHAIN_DIR:-$HOME/.cache/state-labs/toolchain}"
BIN_DIR="$TOOLCHAIN_DIR/bin"
STAMP_DIR="$TOOLCHAIN_DIR/stamps"
SRC_DIR="$TOOLCHAIN_DIR/src"   # generated wrapper modules live here, never in the repo
LOG_DIR="$TOOLCHAIN_DIR/logs"
FORCE="${LABS_TOOLCHAIN_FORCE:-0}"

die() { echo "$TOOL: ERROR: $*" >&2; exit 1; }
log() { echo "$TOOL: $*" >&2; }

command -v go >/dev/null 2>&1 || die "Go is not installed (need Go >= 1.$GO_MIN_MINOR on PATH)"
mkdir -p "$BIN_DIR" "$STAMP_DIR" "$SRC_DIR" "$LOG_DIR"

# Use exactly the local Go: with GOTOOLCHAIN=auto a go.mod 'toolchain' line
# would make go try to download another toolchain. GOWORK=off keeps any
# go.work in a parent directory out of our wrapper modules. CGO off gives
# static binaries and avoids needing a C toolchain (matches upstream builds).
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
# The environment may carry GOFLAGS (e.g. -mod=vendor) that break our builds.
export GOFLAGS="-buildvcs=false"

GO_VERSION="$(go env GOVERSION)"
go_minor="$(sed -nE 's/^go1\.([0-9]+).*/\1/p' <<<"$GO_VERSION")"
if [[ -z "$go_minor" ]] || (( go_minor < GO_MIN_MINOR )); then
  die "$GO_NEEDED_BY needs Go >= 1.$GO_MIN_MINOR, found $GO_VERSION"
fi

# One lock for the whole cache: two terminals, or both toolchains, never build at once.
exec 9>"$TOOLCHAIN_DIR/.lock"
flock 9

stamp_of() { echo "$1 rev$RECIPE_REV"; }   # $1 = what it was built from

is_fresh() { # name stamp-text [binary path, default $BIN_DIR/name]
  local name="$1" want bin="${3:-$BIN_DIR/$1}"
  want="$(stamp_of "$2")"
  [[ "$FORCE" != 1 && -x "$bin" && -f "$STAMP_DIR/$name" ]] &&
    [[ "$(cat "$STAMP_DIR/$name")" == "$want" ]]
}

SUMMARY=()
report() { # name what seconds|cached  (progress on stderr, table at the end)
  local line
  # shellcheck disable=SC2059  # the format is the caller's
  printf -v line "$REPORT_FORMAT" "$1" "$2" "$3"
  SUMMARY+=("$line")
  [[ "$3" == cached ]] || log "built $1 in $3"
}

# Print the directory of a module version downloaded into the module cache
# (and its go.sum hash on the second line).
mod_download() { # module@version
  local json
  json="$(cd "$SRC_DIR" && go mod download -json "$1")" ||
    die "cannot download $1 from GOPROXY ($(go env GOPROXY)): $(sed -n 's/^[[:space:]]*"Error": "\(.*\)"$/\1/p' <<<"$json")"
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$json"
  sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p' <<<"$json"
}
mod_dir() { local out; out="$(mod_download "$1")"; echo "${out%%$'\n'*}"; }

# A wrapper module's go.mod is generated as go.mod.new. 'go build -mod=mod' later adds
# requirements to go.mod, so compare with the pristine copy (go.mod.gen): unchanged pins keep
# go.mod + go.sum and nothing is re-resolved; changed pins start the wrapper afresh, with
# go.sum seeded from $2 when given (upstream's own checksums).
adopt_wrapper_gomod() { # wrapper-dir [go.sum to start from]
  local dir="$1" seed="${2:-}"
  if ! cmp -s "$dir/go.mod.new" "$dir/go.mod.gen" 2>/dev/null || [[ ! -f "$dir/go.mod" ]]; then
    cp "$dir/go.mod.new" "$dir/go.mod"
    mv "$dir/go.mod.new" "$dir/go.mod.gen"
    rm -f "$dir/go.sum"
    if [[ -n "$seed" && -f "$seed" ]]; then
      cp "$seed" "$dir/go.sum"; chmod u+w "$dir/go.sum"
    fi
  else
    rm -f "$dir/go.mod.new"
  fi
  [[ -f "$dir/doc.go" ]] || echo 'package wrapper' >"$dir/doc.go"
}

# go install of a module's package (no replace directives upstream), stamped and reported.
#   $1 binary name  $2 output dir  $3 package@version  $4 build tags  $5 ldflags (after -s -w)
#   $6 what the stamp records (default "$3 $4"; kwok and kube-score stamp their module@version)
go_install() {
  local name="$1" out="$2" pkgver="$3" tags="$4" ldflags="$5" t0 logf
  local what="${6:-$3 $4}"
  if is_fresh "$name" "$what" "$out/$name"; then report "$name" "${pkgver#github.com/}" cached; return; fi
  logf="$LOG_DIR/$name.log"
  log "building $name from $pkgver (log: $logf) ..."
  t0=$(date +%s)
  if ! (cd "$SRC_DIR" && GOBIN="$out" go install -trimpath -tags "$tags" -ldflags "-s -w $ldflags" "$pkgver") >"$logf" 2>&1; then
    tail -n 30 "$logf" >&2
    die "build of $name ($pkgver) failed; full log: $logf"
  fi
  stamp_of "$what" >"$STAMP_DIR/$name"
  report "$name" "${pkgver#github.com/}" "$(( $(date +%s) - t0 ))s"
}
