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

# One version of each module that two or more of our Go builds compile (sandbox/go-version-set.txt,
# written by sandbox/go-version-set.ts), with the builds that compile it. Each of those wrapper
# modules requires it, so a package such as k8s.io/client-go is compiled at one version with one
# set of dependencies, and Go's build cache compiles it once for all the binaries instead of once
# per binary (most of a cold build). A build's stamp names the set: a new set rebuilds it.
GO_SET_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/go-version-set.txt"
[[ -f "$GO_SET_FILE" ]] || die "missing $GO_SET_FILE"
GO_SET_ID="go-version-set $(grep -Ev '^(#|$)' "$GO_SET_FILE" | sha256sum | cut -c1-12)"

# A wrapper build's stamp check: what it is built from, on the current set.
wrapper_fresh() { is_fresh "$1" "$2 on $GO_SET_ID"; }   # name module@version

# The set as a go.mod block for one build (its wrapper's directory name without the version, as
# go-version-set.ts names it): the modules it compiles, but those the wrapper already names (its
# target, its replaces) and those it keeps at its own versions; between markers the generator strips.
go_set_block() { # wrapper-dir [regexp of modules the build keeps at its own versions]  (stdin: its go.mod so far)
  local own build keep="${2:-^$}"
  build="$(basename "$1" | sed -E 's/-v[0-9].*$//')"
  own="$(awk '$1 == "require" && NF >= 3 { print $2 } $1 !~ /^(require|replace|module|go|godebug|exclude|\/\/|\)|$)/ { print $1 }' | sort -u)"
  echo "// go-version-set begin (sandbox/go-version-set.txt)"
  echo "require ("
  # (The regexp through the environment: awk -v would read its backslashes as escapes.)
  grep -Ev '^(#|$)' "$GO_SET_FILE" | KEEP="$keep" awk -v own="$own" -v build="$build" '
    BEGIN { n = split(own, o, "\n"); for (i = 1; i <= n; i++) skip[o[i]] = 1 }
    { uses = 0; n = split($3, b, ","); for (i = 1; i <= n; i++) if (b[i] == build) uses = 1 }
    uses && !($1 in skip) && $1 !~ ENVIRON["KEEP"] { print "\t" $1 " " $2 }'
  echo ")"
  echo "// go-version-set end"
}

# A wrapper's 'go' and 'godebug' lines: upstream's, because the main module (now ours) decides the
# language version and the GODEBUG defaults of the whole binary. The set may need a newer 'go'
# line (go build raises it), so upstream's defaults are pinned by a 'godebug default' line.
go_lines() { # upstream go.mod
  local v
  grep -E '^go [0-9]' "$1"
  grep -E '^godebug ' "$1" || true
  if ! grep -qE '^godebug[[:space:]]+(\(|default=)' "$1" && ! grep -qE '^[[:space:]]+default=' "$1"; then
    v="$(sed -nE 's/^go ([0-9]+\.[0-9]+).*/\1/p' "$1")"
    [[ -z "$v" ]] || echo "godebug default=go$v"
  fi
}

# What a wrapper builds (tags, package), for go-version-set.ts to list its dependencies.
record_build() { # wrapper-dir tags package
  local line
  line="$(printf '%s\t%s' "$2" "$3")"
  grep -qxF "$line" "$1/.labs-build" 2>/dev/null || echo "$line" >>"$1/.labs-build"
}

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
