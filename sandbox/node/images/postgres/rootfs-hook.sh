#!/usr/bin/env bash
# mmdebstrap hooks of state-labs.local/postgres, run on the host by sandbox/node/images.sh:
#   rootfs-hook.sh essential <rootfs> <entrypoint>  before postgresql-common is installed
#   rootfs-hook.sh customize <rootfs> <entrypoint>  after every package is installed
set -euo pipefail
stage="$1" root="$2" entrypoint="$3"
PG_MAJOR="${PG_MAJOR:?}"
UID_GID=999   # the official image's postgres uid/gid; the manifests run the pod as 999

case "$stage" in
essential)
	# postgresql-common's postinst runs `adduser --system postgres`, which keeps an existing
	# system user: creating it first pins uid/gid 999, as the official image does. passwd's
	# postinst (shadowconfig) adds the shadow entries if /etc/shadow does not exist yet.
	grep -q '^postgres:' "$root/etc/group" ||
		echo "postgres:x:$UID_GID:" >>"$root/etc/group"
	grep -q '^postgres:' "$root/etc/passwd" ||
		echo "postgres:x:$UID_GID:$UID_GID:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash" >>"$root/etc/passwd"
	if [[ -f "$root/etc/shadow" ]] && ! grep -q '^postgres:' "$root/etc/shadow"; then
		echo 'postgres:*:19000:0:99999:7:::' >>"$root/etc/shadow"
	fi
	if [[ -f "$root/etc/gshadow" ]] && ! grep -q '^postgres:' "$root/etc/gshadow"; then
		echo 'postgres:!::' >>"$root/etc/gshadow"
	fi
	;;
customize)
	[[ "$(chroot "$root" id -u postgres)" == "$UID_GID" && "$(chroot "$root" id -g postgres)" == "$UID_GID" ]] ||
		{ echo "postgres is not uid/gid $UID_GID in the image" >&2; exit 1; }
	# Debian's postinst created a 'main' cluster; the image initialises its own in $PGDATA.
	rm -rf "$root/etc/postgresql/$PG_MAJOR/main" "$root/var/lib/postgresql/$PG_MAJOR"
	rm -rf "$root/var/log/postgresql/"*
	sed -ri 's/^#?\s*(create_main_cluster)\s*=.*$/\1 = false/' "$root/etc/postgresql-common/createcluster.conf"
	# Every initdb of the image listens on all addresses (the temporary init server overrides it
	# with listen_addresses=''), exactly as the official image edits its sample.
	sample="$root/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample"
	sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$sample"
	grep -q "^listen_addresses = '\*'" "$sample" || { echo "listen_addresses not set in $sample" >&2; exit 1; }
	# A private key baked into an image is shared by every container: drop ssl-cert's snakeoil
	# pair (initdb does not turn ssl on, nothing refers to it).
	rm -f "$root/etc/ssl/private/ssl-cert-snakeoil.key" "$root/etc/ssl/certs/ssl-cert-snakeoil.pem"

	install -m 0755 "$entrypoint" "$root/usr/local/bin/docker-entrypoint.sh"
	ln -sfn usr/local/bin/docker-entrypoint.sh "$root/docker-entrypoint.sh"   # official image's old path
	install -d -m 0755 "$root/docker-entrypoint-initdb.d"
	install -d -o "$UID_GID" -g "$UID_GID" -m 0755 "$root/var/lib/postgresql"
	# 1777 as in the official image: replaced by 0700 at run time, lets other uids create PGDATA
	install -d -o "$UID_GID" -g "$UID_GID" -m 1777 "$root/var/lib/postgresql/data"
	# the unix socket directory (postgres' compiled-in unix_socket_directories); /var/run -> /run
	rm -rf "$root/run/postgresql"
	install -d -o "$UID_GID" -g "$UID_GID" -m 2775 "$root/run/postgresql"
	;;
*)
	echo "unknown stage $stage" >&2
	exit 2
	;;
esac
