#!/usr/bin/env bash
# Build the container images of the local test node from Debian bookworm packages and save
# each as an OCI image-layout archive that `ctr -n k8s.io images import <tar>` (containerd
# 2.x) imports under its reference. No Docker and no registry: this machine (and CI) reach
# Debian's archive, npm, PyPI and the Go module proxy only.
#
#   postgres  Debian's postgresql-15, uid/gid 999, the official image's entrypoint contract
#             (sandbox/node/images/postgres/)
#   busybox   /bin/busybox of busybox-static and its applets (sandbox/node/images/busybox/)
#   todo      the lab 001 Flask todo app on Debian's python3-flask* (sandbox/node/images/todo/)
#   workshop  the lab 000 FastAPI backend on Debian's python3-fastapi, -uvicorn, -sqlalchemy,
#             -psycopg2 (sandbox/node/images/workshop/)
#   customer  the lab 003 Java backend on Debian's openjdk-17-jre-headless and
#             libpostgresql-jdbc-java, compiled by the machine's javac (sandbox/node/images/customer/)
#   catalog   the lab 002 movie catalog on Debian's python3-flask and python3-pymongo
#             (sandbox/node/images/catalog/)
#   pause     the pod sandbox: Kubernetes' build/pause/linux/pause.c compiled statically
#
# The three course apps run their own unit tests inside their root filesystem (the image's
# packages, no network) before they are archived: a failing test fails the build. They run as
# uid/gid 10001 (user `app`).
#
# Produces, in $LABS_TOOLCHAIN_DIR/images (default ~/.cache/state-labs/toolchain/images):
#   <key>.tar   one OCI archive per image, named by annotations io.containerd.image.name
#               (the full reference) and org.opencontainers.image.ref.name (the tag)
#   refs.json   {"<key>": ref, ...} for every key above
#   logs/       the full log of each build;  stamps/  what each archive was built from
#
# Usage: sandbox/node/images.sh [KEY...]     (default: every image; must run as root)
# Env:
#   LABS_TOOLCHAIN_DIR        cache root (default ~/.cache/state-labs/toolchain)
#   LABS_TOOLCHAIN_FORCE=1    rebuild even where the archive's stamp matches its recipe
#   LABS_IMAGES_APT_SOURCES   apt sources for mmdebstrap: a sources.list/.sources file or a
#                             mirror URL (default: the host's Debian sources)
#
# An archive is 'cached' when it exists and its stamp (a hash of this script, the files of its
# directory under sandbox/node/images/ and its reference) matches. Debian security updates do
# not change the recipe: LABS_TOOLCHAIN_FORCE=1 picks them up.
set -euo pipefail

# ---------------------------------------------------------------------------
# Image references: decided here, once. Our own names, never an upstream's.
# Bump a version here; the stamps make the next run rebuild what changed.
# ---------------------------------------------------------------------------
REGISTRY="state-labs.local"
SUITE="bookworm"
PG_MAJOR="15"               # Debian's postgresql-$PG_MAJOR
BUSYBOX_VERSION="1.35"      # checked against the busybox-static .deb
TODO_VERSION="1"            # bump when sandbox/node/images/todo/app.py changes its API
APPS_VERSION="1"            # the same for workshop, customer and catalog (their API)
APP_UID="10001"             # the course apps' user and group, not root
PAUSE_VERSION="3.10.2"      # checked against TAG in build/pause/Makefile of the module below
PAUSE_SOURCE="k8s.io/kubernetes@v1.36.3"   # as K8S_VERSION in sandbox/cluster/toolchain.sh
declare -A IMAGE_REF=(
  [postgres]="$REGISTRY/postgres:$PG_MAJOR-$SUITE"
  [busybox]="$REGISTRY/busybox:$BUSYBOX_VERSION-$SUITE"
  [todo]="$REGISTRY/todo-flask:$TODO_VERSION-$SUITE"
  [workshop]="$REGISTRY/workshop-backend:$APPS_VERSION-$SUITE"
  [customer]="$REGISTRY/customer-backend:$APPS_VERSION-$SUITE"
  [catalog]="$REGISTRY/movie-catalog:$APPS_VERSION-$SUITE"
  [pause]="$REGISTRY/pause:$PAUSE_VERSION"
)
IMAGE_KEYS=(postgres busybox todo workshop customer catalog pause)   # build order
# Bump when the build recipe changes in a way the hashed files do not show.
RECIPE_REV="1"

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
RECIPE_DIR="$(dirname "$SELF")/images"
TOOLCHAIN_DIR="${LABS_TOOLCHAIN_DIR:-$HOME/.cache/state-labs/toolchain}"
IMAGES_DIR="$TOOLCHAIN_DIR/images"
LOG_DIR="$IMAGES_DIR/logs"
STAMP_DIR="$IMAGES_DIR/stamps"
FORCE="${LABS_TOOLCHAIN_FORCE:-0}"
TOOL=images
PATH_DEFAULT="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# What every Python app image (todo, workshop, catalog) runs with: its code in /app, UTF-8,
# output unbuffered for the pod's log, no .pyc written (the apps run as a user who may not).
PYTHON_APP=(--config.workingdir /app --config.env "PATH=$PATH_DEFAULT" --config.env "LANG=C.UTF-8"
  --config.env "PYTHONUNBUFFERED=1" --config.env "PYTHONDONTWRITEBYTECODE=1")
# ...and a Flask app's command, its port given after it.
FLASK_RUN=(--config.env "FLASK_APP=app.py" --config.cmd flask --config.cmd run --config.cmd --host=0.0.0.0)

die() { echo "$TOOL: ERROR: $*" >&2; exit 1; }
log() { echo "$TOOL: $*" >&2; }

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$SELF"; }

# --- arguments ---------------------------------------------------------------
SELECTED=()
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    -*) die "unknown option $arg (see --help)" ;;
    *) [[ -n "${IMAGE_REF[$arg]:-}" ]] || die "unknown image '$arg' (one of: ${IMAGE_KEYS[*]})"
       SELECTED+=("$arg") ;;
  esac
done
((${#SELECTED[@]})) || SELECTED=("${IMAGE_KEYS[@]}")

[[ "$(id -u)" == 0 ]] || die "run as root: mmdebstrap builds the root filesystems in root mode, and apt-get installs the tools"

# --- Debian tools ---------------------------------------------------------------
mkdir -p "$LOG_DIR" "$STAMP_DIR"
ensure_debs() {
  local -a missing=()
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v umoci >/dev/null || missing+=(umoci)
  command -v jq >/dev/null || missing+=(jq)
  command -v gcc >/dev/null || missing+=(gcc)
  [[ -f /usr/include/stdio.h ]] && compgen -G '/usr/lib/*/libc.a' >/dev/null || missing+=(libc6-dev)
  command -v flock >/dev/null && command -v findmnt >/dev/null || missing+=(util-linux)
  command -v gzip >/dev/null || missing+=(gzip)
  command -v tar >/dev/null || missing+=(tar)
  command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)   # compiles the customer backend
  ((${#missing[@]})) || return 0
  log "installing Debian packages: ${missing[*]} (log: $LOG_DIR/apt.log)"
  export DEBIAN_FRONTEND=noninteractive
  # a fresh machine may not have fetched the package lists yet: update once and retry
  # The node's toolchain may run apt beside this (sandbox/cluster/test.sh): wait for its lock.
  if ! apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1; then
    if ! { apt-get update && apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"; } >>"$LOG_DIR/apt.log" 2>&1; then
      tail -n 20 "$LOG_DIR/apt.log" >&2
      die "cannot install ${missing[*]} with apt-get"
    fi
  fi
}
ensure_debs

# Where mmdebstrap fetches packages: the host's own Debian sources, so it works exactly as
# apt-get does here (same mirror, same security suite).
apt_sources() {
  if [[ -n "${LABS_IMAGES_APT_SOURCES:-}" ]]; then
    echo "$LABS_IMAGES_APT_SOURCES"
  elif [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    echo /etc/apt/sources.list.d/debian.sources
  elif [[ -f /etc/apt/sources.list ]] && grep -qE '^deb[[:space:]].*debian' /etc/apt/sources.list; then
    echo /etc/apt/sources.list
  else
    echo "http://deb.debian.org/debian"
  fi
}
APT_SOURCES="$(apt_sources)"

# --- one build at a time: our own lock, not the toolchain's ----------------------
exec 9>"$IMAGES_DIR/.lock"
if ! flock -n 9; then
  log "waiting for another images.sh ($IMAGES_DIR/.lock) ..."
  flock 9
fi

WORK="$(mktemp -d "$IMAGES_DIR/.work.XXXXXX")"
cleanup() {
  [[ -n "${WORK:-}" && -d "$WORK" ]] || return 0
  # an mmdebstrap killed halfway can leave /proc, /sys or /dev mounted in a root filesystem
  local m
  { findmnt -rn -o TARGET | grep -F "$WORK/" | sort -r || true; } | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- recipe stamps -----------------------------------------------------------------
recipe_hash() { # key
  local key="$1"
  {
    printf 'rev %s\nref %s\nsuite %s\n' "$RECIPE_REV" "${IMAGE_REF[$key]}" "$SUITE"
    sha256sum <"$SELF"
    if [[ -d "$RECIPE_DIR/$key" ]]; then
      (cd "$RECIPE_DIR/$key" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    fi
  } | sha256sum | cut -d' ' -f1
}

is_fresh() { # key hash
  [[ "$FORCE" != 1 && -s "$IMAGES_DIR/$1.tar" && -f "$STAMP_DIR/$1" ]] &&
    [[ "$(cat "$STAMP_DIR/$1")" == "$2" ]]
}

# --- building blocks ------------------------------------------------------------------
# A root filesystem of Debian $SUITE (minbase: Priority required + apt) plus packages, without
# documentation, manual pages or translations (copyright files stay), apt lists or a copy of
# the host's resolv.conf/hostname (the runtime provides those). /run is emptied by our own hook
# (mmdebstrap's would also remove the postgres socket directory, /var/run/postgresql).
# shellcheck disable=SC2016  # the hooks' $1 is mmdebstrap's (the root directory)
debian_rootfs() { # rootdir mmdebstrap-options...
  local root="$1"; shift
  local -a speed=()
  # dpkg without fsync (mmdebstrap's own hook, removed again at the end): ~15% faster here
  if [[ -d /usr/share/mmdebstrap/hooks/eatmydata ]] && command -v dpkg-architecture >/dev/null; then
    speed=(--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata)
  fi
  mmdebstrap --mode=root --format=directory --variant=minbase "${speed[@]}" \
    --aptopt='APT::Install-Recommends "false"' \
    --aptopt='APT::Install-Suggests "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --dpkgopt='path-exclude=/usr/share/linda/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    "$@" \
    --customize-hook='rm -f "$1/etc/resolv.conf"; : >"$1/etc/hostname"' \
    --customize-hook='rm -rf "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old "$1"/var/log/apt/* "$1"/var/cache/apt/*.bin' \
    --skip=cleanup/run \
    --customize-hook='find "$1/run" -mindepth 1 -maxdepth 1 ! -name lock ! -name postgresql -exec rm -rf {} +' \
    "$SUITE" "$root" "$APT_SOURCES"
}

# An uncompressed layer of a directory; ./dev stays empty (the runtime mounts its own).
layer_of() { # rootdir out.tar
  tar --sort=name --numeric-owner --one-file-system --format=pax \
    --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' \
    --xattrs --xattrs-include='security.capability' \
    --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -C "$1" -cf "$2" .
}

# Fetch a .deb of the host's apt sources into the current directory.
apt_download() { # package
  # root downloads itself: the directory is under root's own (0700) home, out of _apt's reach
  local -a opts=(-o APT::Sandbox::User=root)
  apt-get "${opts[@]}" download "$1" || { apt-get update && apt-get "${opts[@]}" download "$1"; }
}

# The OCI layout of one single-layer image, tagged with the reference's tag, then archived
# atomically as $IMAGES_DIR/<key>.tar.
oci_archive() { # key layer.tar history umoci-config-options...
  local key="$1" layer="$2" history="$3"; shift 3
  local ref="${IMAGE_REF[$key]}" tag="${IMAGE_REF[$key]##*:}" layout="$WORK/$key/oci" out="$IMAGES_DIR/$key.tar"
  rm -rf "$layout"
  umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  umoci raw add-layer --image "$layout:$tag" --history.created_by "$history" "$layer"
  umoci config --image "$layout:$tag" --no-history \
    --config.label "org.opencontainers.image.title=$key" \
    --config.label "org.opencontainers.image.version=$tag" \
    --config.label "org.opencontainers.image.vendor=state-labs" \
    "$@"
  umoci gc --layout "$layout"

  # containerd names an imported manifest by io.containerd.image.name (the full reference);
  # org.opencontainers.image.ref.name stays the tag, as the OCI spec and umoci expect.
  local cfg_digest arch os
  cfg_digest="$(jq -r --arg tag "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag) | .digest' "$layout/index.json")"
  [[ "$cfg_digest" == sha256:* ]] || die "$key: no manifest tagged $tag in $layout/index.json"
  cfg_digest="$(jq -r '.config.digest' "$layout/blobs/sha256/${cfg_digest#sha256:}")"
  arch="$(jq -r '.architecture' "$layout/blobs/sha256/${cfg_digest#sha256:}")"
  os="$(jq -r '.os' "$layout/blobs/sha256/${cfg_digest#sha256:}")"
  jq --arg tag "$tag" --arg ref "$ref" --arg arch "$arch" --arg os "$os" '
    .manifests |= map(
      if .annotations["org.opencontainers.image.ref.name"] == $tag
      then .annotations["io.containerd.image.name"] = $ref | .platform = {architecture: $arch, os: $os}
      else . end)' "$layout/index.json" >"$layout/index.json.new"
  mv "$layout/index.json.new" "$layout/index.json"
  [[ "$(jq '.manifests | length' "$layout/index.json")" == 1 ]] || die "$key: expected one manifest in $layout/index.json"

  rm -f "$STAMP_DIR/$key"
  tar --sort=name --owner=0 --group=0 --numeric-owner -C "$layout" -cf "$out.tmp" oci-layout index.json blobs
  mv -f "$out.tmp" "$out"
}

# --- the images ---------------------------------------------------------------------------
build_postgres() {
  local dir="$WORK/postgres" root hook ep pg_version
  root="$dir/rootfs" hook="$RECIPE_DIR/postgres/rootfs-hook.sh" ep="$RECIPE_DIR/postgres/docker-entrypoint.sh"
  mkdir -p "$dir"
  debian_rootfs "$root" \
    --include="postgresql-$PG_MAJOR" \
    --essential-hook="PG_MAJOR=$PG_MAJOR bash $(printf %q "$hook") essential \"\$1\" $(printf %q "$ep")" \
    --customize-hook="PG_MAJOR=$PG_MAJOR bash $(printf %q "$hook") customize \"\$1\" $(printf %q "$ep")"
  # shellcheck disable=SC2016
  pg_version="$(chroot "$root" dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR")"
  chroot "$root" "/usr/lib/postgresql/$PG_MAJOR/bin/postgres" --version
  layer_of "$root" "$dir/layer.tar"
  oci_archive postgres "$dir/layer.tar" "mmdebstrap --variant=minbase $SUITE + postgresql-$PG_MAJOR $pg_version (sandbox/node/images.sh)" \
    --config.user 999 \
    --config.entrypoint /usr/local/bin/docker-entrypoint.sh \
    --config.cmd postgres \
    --config.env "PATH=/usr/lib/postgresql/$PG_MAJOR/bin:$PATH_DEFAULT" \
    --config.env "PG_MAJOR=$PG_MAJOR" \
    --config.env "PG_VERSION=$pg_version" \
    --config.env "PGDATA=/var/lib/postgresql/data" \
    --config.env "LANG=C.UTF-8" \
    --config.exposedports 5432/tcp \
    --config.stopsignal SIGINT \
    --config.label "org.opencontainers.image.description=PostgreSQL $PG_MAJOR from Debian $SUITE (postgresql-$PG_MAJOR $pg_version), uid/gid 999, the official postgres image's entrypoint contract"
}

build_busybox() {
  local dir="$WORK/busybox" root deb version bin applet
  root="$dir/rootfs"
  mkdir -p "$dir/deb" "$dir/x"
  chmod 0755 "$WORK" "$dir" "$dir/deb"   # lets apt's _apt user write the download
  (cd "$dir/deb" && apt_download busybox-static)
  deb="$(compgen -G "$dir/deb/busybox-static_*.deb" | head -n1)"
  [[ -n "$deb" ]] || die "busybox-static was not downloaded"
  version="$(dpkg-deb -f "$deb" Version)"
  [[ "$version" == "1:$BUSYBOX_VERSION."* || "$version" == "$BUSYBOX_VERSION."* ]] ||
    die "busybox-static is $version, the tag says $BUSYBOX_VERSION: bump BUSYBOX_VERSION"
  dpkg-deb -x "$deb" "$dir/x"
  bin="$(find "$dir/x" -type f -name busybox -perm -u+x | head -n1)"
  [[ -n "$bin" ]] || die "no busybox binary in $deb"

  install -d -m 0755 "$root" "$root/bin" "$root/etc" "$root/dev" "$root/proc" "$root/sys" \
    "$root/home" "$root/var" "$root/var/www" "$root/usr/share/doc/busybox-static"
  install -d -m 0700 "$root/root"
  install -d -m 1777 "$root/tmp"
  install -m 0755 "$bin" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [[ "$applet" == busybox || -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
  done
  install -m 0644 "$RECIPE_DIR/busybox/passwd" "$root/etc/passwd"
  install -m 0644 "$RECIPE_DIR/busybox/group" "$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  install -m 0644 "$dir/x/usr/share/doc/busybox-static/copyright" "$root/usr/share/doc/busybox-static/copyright"
  for applet in sh chown chmod mkdir ls echo sleep cat id wget nc nslookup ps df du; do
    [[ -L "$root/bin/$applet" ]] || die "busybox-static $version has no applet $applet"
  done
  "$root/bin/busybox" 2>&1 | sed -n 1p || true
  layer_of "$root" "$dir/layer.tar"
  oci_archive busybox "$dir/layer.tar" "busybox-static $version from Debian $SUITE (sandbox/node/images.sh)" \
    --config.cmd sh \
    --config.env "PATH=$PATH_DEFAULT" \
    --config.label "org.opencontainers.image.description=BusyBox $version (Debian $SUITE busybox-static), /bin/busybox and its applets"
}

build_todo() {
  local dir="$WORK/todo" root app
  root="$dir/rootfs" app="$RECIPE_DIR/todo/app.py"
  mkdir -p "$dir"
  debian_rootfs "$root" \
    --include=python3-flask,python3-flask-sqlalchemy,python3-flask-migrate,python3-psycopg2 \
    --customize-hook="install -d -m 0755 \"\$1/app\" && install -m 0644 $(printf %q "$app") \"\$1/app/app.py\""
  # the app imports, and `flask` finds it from the working directory (no database needed)
  chroot "$root" env -i PATH="$PATH_DEFAULT" FLASK_APP=app.py PYTHONDONTWRITEBYTECODE=1 sh -c 'cd /app && flask routes'
  [[ ! -e "$root/app/migrations" ]] || die "the todo image must ship no migrations directory"
  layer_of "$root" "$dir/layer.tar"
  oci_archive todo "$dir/layer.tar" "mmdebstrap --variant=minbase $SUITE + python3-flask* + app.py (sandbox/node/images.sh)" \
    "${PYTHON_APP[@]}" "${FLASK_RUN[@]}" --config.cmd --port=5000 \
    --config.exposedports 5000/tcp \
    --config.label "org.opencontainers.image.description=Lab 001 Flask todo app (Flask, Flask-SQLAlchemy, Flask-Migrate from Debian $SUITE); no migrations shipped"
}

# The course apps: a Debian root filesystem with the app's packages, /app holding its source
# (root-owned, read-only to the app) and the user `app` (uid/gid $APP_UID) it runs as.
# shellcheck disable=SC2016  # the hooks' $1 is mmdebstrap's (the root directory)
app_rootfs() { # rootdir packages [mmdebstrap-options...]
  local root="$1" packages="$2"; shift 2
  debian_rootfs "$root" --include="$packages" "$@" \
    --customize-hook="chroot \"\$1\" groupadd --gid $APP_UID app && chroot \"\$1\" useradd --uid $APP_UID --gid $APP_UID --no-create-home --home-dir /app --shell /usr/sbin/nologin app" \
    --customize-hook='install -d -m 0755 "$1/app"'
}

# Runs an app's unit tests in its root filesystem as its user, from a copy of the recipe that is
# removed again, so that no test file ships.
app_tests() { # key rootdir command...
  local key="$1" root="$2"; shift 2
  rm -rf "$root/tmp/tests" && cp -r "$RECIPE_DIR/$key" "$root/tmp/tests" && chown -R "$APP_UID:$APP_UID" "$root/tmp/tests"
  chroot --userspec="$APP_UID:$APP_UID" "$root" env -i PATH="$PATH_DEFAULT" HOME=/tmp/tests LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 sh -c 'cd /tmp/tests && exec "$@"' sh "$@"
  rm -rf "$root/tmp/tests"
}

build_workshop() {
  local dir="$WORK/workshop" root
  root="$dir/rootfs"
  mkdir -p "$dir"
  app_rootfs "$root" python3-fastapi,python3-uvicorn,python3-sqlalchemy,python3-psycopg2
  install -m 0644 "$RECIPE_DIR/workshop/app.py" "$root/app/app.py"
  app_tests workshop "$root" python3 -m unittest -v test_app
  layer_of "$root" "$dir/layer.tar"
  oci_archive workshop "$dir/layer.tar" "mmdebstrap --variant=minbase $SUITE + python3-fastapi, -uvicorn, -sqlalchemy, -psycopg2 + app.py (sandbox/node/images.sh)" \
    --config.user "$APP_UID:$APP_UID" \
    "${PYTHON_APP[@]}" \
    --config.cmd python3 --config.cmd -m --config.cmd uvicorn --config.cmd app:app \
    --config.cmd --host=0.0.0.0 --config.cmd --port=8000 \
    --config.exposedports 8000/tcp \
    --config.label "org.opencontainers.image.description=Lab 000 workshop backend: FastAPI items in PostgreSQL (FastAPI, uvicorn, SQLAlchemy, psycopg2 from Debian $SUITE)"
}

build_customer() {
  local dir="$WORK/customer" root classes
  root="$dir/rootfs" classes="$dir/classes"
  mkdir -p "$dir" "$classes"
  # the JRE's postinst links its manual pages into man1, which path-exclude never creates
  # shellcheck disable=SC2016  # the hook's $1 is mmdebstrap's (the root directory)
  app_rootfs "$root" openjdk-17-jre-headless,libpostgresql-jdbc-java \
    --essential-hook='mkdir -p "$1/usr/share/man/man1"'
  # compiled here, for the image's Java 17; the tests only to the side, never into /app
  javac --release 17 -Xlint:all -Werror -d "$root/app" "$RECIPE_DIR/customer/CustomerBackend.java"
  javac --release 17 -cp "$root/app" -d "$classes" "$RECIPE_DIR/customer/CustomerBackendTest.java"
  cp "$classes"/*.class "$root/tmp/"
  chmod 0644 "$root"/app/*.class "$root"/tmp/*.class
  # the image's JRE and class path, the driver included (--driver). The JVM needs /proc (the
  # loader finds libjli.so from /proc/self/exe); the cleanup trap unmounts it if this fails.
  mount -t proc proc "$root/proc"
  chroot --userspec="$APP_UID:$APP_UID" "$root" env -i PATH="$PATH_DEFAULT" \
    java -cp /app:/tmp:/usr/share/java/postgresql.jar CustomerBackendTest --driver
  umount "$root/proc"
  rm -f "$root"/tmp/*.class
  layer_of "$root" "$dir/layer.tar"
  oci_archive customer "$dir/layer.tar" "mmdebstrap --variant=minbase $SUITE + openjdk-17-jre-headless, libpostgresql-jdbc-java + CustomerBackend.java (sandbox/node/images.sh)" \
    --config.user "$APP_UID:$APP_UID" \
    --config.workingdir /app \
    --config.cmd java \
    --config.cmd -XX:+UseSerialGC --config.cmd -XX:MaxRAMPercentage=50 --config.cmd -XX:TieredStopAtLevel=1 \
    --config.cmd -cp --config.cmd /app:/usr/share/java/postgresql.jar --config.cmd CustomerBackend \
    --config.env "PATH=$PATH_DEFAULT" \
    --config.env "LANG=C.UTF-8" \
    --config.exposedports 8080/tcp \
    --config.label "org.opencontainers.image.description=Lab 003 customer backend: Java 17 (com.sun.net.httpserver, PostgreSQL JDBC), customers in PostgreSQL (openjdk-17-jre-headless, libpostgresql-jdbc-java from Debian $SUITE)"
}

build_catalog() {
  local dir="$WORK/catalog" root
  root="$dir/rootfs"
  mkdir -p "$dir"
  app_rootfs "$root" python3-flask,python3-pymongo
  install -m 0644 "$RECIPE_DIR/catalog/app.py" "$root/app/app.py"
  app_tests catalog "$root" python3 -m unittest -v test_app
  chroot "$root" python3 -c 'import pymongo; print("pymongo", pymongo.version)'
  layer_of "$root" "$dir/layer.tar"
  oci_archive catalog "$dir/layer.tar" "mmdebstrap --variant=minbase $SUITE + python3-flask, python3-pymongo + app.py (sandbox/node/images.sh)" \
    --config.user "$APP_UID:$APP_UID" \
    "${PYTHON_APP[@]}" "${FLASK_RUN[@]}" --config.cmd --port=8080 \
    --config.exposedports 8080/tcp \
    --config.label "org.opencontainers.image.description=Lab 002 movie catalog: Flask, movies in MongoDB through MONGO_URI (Flask, PyMongo from Debian $SUITE)"
}

build_pause() {
  local dir="$WORK/pause" root moddir src makefile tag
  root="$dir/rootfs"
  command -v go >/dev/null || die "Go is needed to fetch $PAUSE_SOURCE (build/pause) from the module proxy"
  mkdir -p "$dir/gomod" "$root"
  moddir="$(cd "$dir/gomod" && GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off go mod download -json "$PAUSE_SOURCE" | jq -r '.Dir // empty')"
  src="$moddir/build/pause/linux/pause.c" makefile="$moddir/build/pause/Makefile"
  [[ -f "$src" && -f "$makefile" ]] || die "no build/pause/linux/pause.c in $PAUSE_SOURCE ($moddir)"
  tag="$(sed -nE 's/^TAG[[:space:]]*\?=[[:space:]]*([^[:space:]]+).*/\1/p' "$makefile")"
  [[ "$tag" == "$PAUSE_VERSION" ]] || die "$makefile declares TAG $tag, images.sh pins $PAUSE_VERSION: bump PAUSE_VERSION"
  chmod 0755 "$root"
  # the Makefile's CFLAGS; its VERSION is v$(TAG)-$(git describe), here the module version
  gcc -Os -Wall -Werror -static "-DVERSION=v$PAUSE_VERSION-${PAUSE_SOURCE##*@}" -o "$root/pause" "$src"
  "$root/pause" -v
  layer_of "$root" "$dir/layer.tar"
  oci_archive pause "$dir/layer.tar" "gcc -Os -static build/pause/linux/pause.c of $PAUSE_SOURCE (sandbox/node/images.sh)" \
    --config.entrypoint /pause \
    --config.user 65535:65535 \
    --config.env "PATH=$PATH_DEFAULT" \
    --config.label "org.opencontainers.image.description=Kubernetes pause $PAUSE_VERSION (build/pause/linux/pause.c of $PAUSE_SOURCE), static"
}

# --- main -------------------------------------------------------------------------------------
SUMMARY=()
for key in "${SELECTED[@]}"; do
  hash="$(recipe_hash "$key")"
  if is_fresh "$key" "$hash"; then
    SUMMARY+=("$key ${IMAGE_REF[$key]} cached")
    continue
  fi
  logf="$LOG_DIR/$key.log"
  log "building $key (${IMAGE_REF[$key]}) ... (log: $logf)"
  t0=$SECONDS
  set +e
  (set -e; "build_$key") >"$logf" 2>&1
  rc=$?
  set -e
  if ((rc != 0)); then
    tail -n 30 "$logf" >&2
    die "build of $key (${IMAGE_REF[$key]}) failed (exit $rc); full log: $logf"
  fi
  echo "$hash" >"$STAMP_DIR/$key"
  rm -rf --one-file-system "${WORK:?}/$key"
  SUMMARY+=("$key ${IMAGE_REF[$key]} $((SECONDS - t0))s")
  log "built $key in $((SECONDS - t0))s"
done

for key in "${IMAGE_KEYS[@]}"; do printf '%s\t%s\n' "$key" "${IMAGE_REF[$key]}"; done |
  jq -R -n '[inputs | split("\t") | {key: .[0], value: .[1]}] | from_entries' >"$IMAGES_DIR/refs.json.tmp"
mv -f "$IMAGES_DIR/refs.json.tmp" "$IMAGES_DIR/refs.json"

echo
echo "images ready in $IMAGES_DIR (refs.json; import with: ctr -n k8s.io images import <key>.tar):"
printf '  %-9s %-42s %8s  %s\n' IMAGE REFERENCE SIZE BUILD
for line in "${SUMMARY[@]}"; do
  read -r key ref took <<<"$line"
  size="$(numfmt --to=iec --suffix=B "$(stat -c %s "$IMAGES_DIR/$key.tar")")"
  printf '  %-9s %-42s %8s  %s\n' "$key" "$ref" "$size" "$took"
done
