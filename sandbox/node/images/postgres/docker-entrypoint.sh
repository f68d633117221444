#!/usr/bin/env bash
# Entrypoint of state-labs.local/postgres (Debian's postgresql-15): the documented contract of
# the official `postgres` image's docker-entrypoint.sh, which the lab manifests rely on.
#
#   POSTGRES_PASSWORD          superuser password; required on first init unless
#                              POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER              superuser name (default postgres)
#   POSTGRES_DB                database created on first init (default: POSTGRES_USER)
#   POSTGRES_INITDB_ARGS       extra initdb arguments (word-split as the official image does)
#   POSTGRES_INITDB_WALDIR     initdb --waldir
#   POSTGRES_HOST_AUTH_METHOD  pg_hba method for remote hosts (default scram-sha-256)
#   PGDATA                     data directory (default /var/lib/postgresql/data)
#   <VAR>_FILE                 read POSTGRES_PASSWORD/USER/DB/INITDB_ARGS from a file instead
#
# First start only (no $PGDATA/PG_VERSION): initdb (password through a pipe, never argv or a
# log), a temporary server on the unix socket only, CREATE DATABASE, the scripts of
# /docker-entrypoint-initdb.d in sorted order (*.sh executed if executable, else sourced;
# *.sql, *.sql.gz, *.sql.xz, *.sql.zst through psql with ON_ERROR_STOP), stop. Then, every
# start: exec postgres (listen_addresses = '*' comes from the image's postgresql.conf.sample).
# A first argument starting with '-' is a postgres flag; any other command is exec'd as is.
set -Eeo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

log() { printf '%s: %s\n' "${BASH_SOURCE[0]##*/}" "$*"; }

# file_env VAR [DEFAULT]: VAR from the env or from the file named by VAR_FILE (not both).
file_env() {
	local var="$1" fileVar="${1}_FILE" def="${2:-}" val
	if [ -n "${!var:-}" ] && [ -n "${!fileVar:-}" ]; then
		printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$fileVar"
		exit 1
	fi
	val="$def"
	if [ -n "${!var:-}" ]; then
		val="${!var}"
	elif [ -n "${!fileVar:-}" ]; then
		val="$(<"${!fileVar}")"
	fi
	export "$var"="$val"
	unset "$fileVar"
}

# True when sourced (so init scripts or tests can reuse the functions below).
_is_sourced() {
	[ "${#FUNCNAME[@]}" -ge 2 ] && [ "${FUNCNAME[0]}" = '_is_sourced' ] && [ "${FUNCNAME[1]}" = 'source' ]
}

# postgres --help/--version/... must not initialise anything.
_pg_want_help() {
	local arg
	for arg; do
		case "$arg" in
			-'?' | --help | --describe-config | -V | --version) return 0 ;;
		esac
	done
	return 1
}

docker_setup_env() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER 'postgres'
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=}"
	declare -g DATABASE_ALREADY_EXISTS=
	if [ -s "$PGDATA/PG_VERSION" ]; then
		DATABASE_ALREADY_EXISTS='true'
	fi
}

# Directories the server needs; as a non-root user, whatever we may not change is left alone.
docker_create_db_directories() {
	mkdir -p "$PGDATA"
	# 00700 (five digits) also clears a setgid bit inherited from an fsGroup volume
	chmod 00700 "$PGDATA" || :
	mkdir -p /var/run/postgresql || :
	chmod 02775 /var/run/postgresql || :
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		mkdir -p "$POSTGRES_INITDB_WALDIR"
		chmod 00700 "$POSTGRES_INITDB_WALDIR" || :
	fi
	if [ "$(id -u)" = '0' ]; then
		find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
		find /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
		if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
			find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres:postgres '{}' +
		fi
	fi
}

docker_verify_minimum_env() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ 'trust' != "$POSTGRES_HOST_AUTH_METHOD" ]; then
		cat >&2 <<-'EOE'
			Error: Database is uninitialized and superuser password is not specified.
			       You must specify POSTGRES_PASSWORD to a non-empty value for the
			       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

			       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
			       connections without a password. This is *not* recommended.
		EOE
		exit 1
	fi
	if [ 'trust' = "$POSTGRES_HOST_AUTH_METHOD" ]; then
		cat >&2 <<-'EOWARN'
			********************************************************************************
			WARNING: POSTGRES_HOST_AUTH_METHOD has been set to "trust". This will allow
			         anyone with access to the Postgres port to access your database without
			         a password, even if POSTGRES_PASSWORD is set.
			********************************************************************************
		EOWARN
	fi
}

docker_init_database_dir() {
	if ! getent passwd "$(id -u)" >/dev/null; then
		printf >&2 'error: uid %s has no /etc/passwd entry: run as uid 999 (postgres) or as root\n' "$(id -u)"
		exit 1
	fi
	local -a args=(--username="$POSTGRES_USER" --auth-local=trust --auth-host="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}")
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		args+=(--waldir "$POSTGRES_INITDB_WALDIR")
	fi
	if [ -n "$POSTGRES_PASSWORD" ]; then
		# The password reaches initdb through a pipe: printf is a builtin, so it is on no argv.
		eval 'initdb "${args[@]}" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"
	else
		eval 'initdb "${args[@]}" '"$POSTGRES_INITDB_ARGS"
	fi
}

# Password authentication from every address, as the official image appends.
pg_setup_hba_conf() {
	local auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
	{
		printf '\n'
		if [ 'trust' = "$auth" ]; then
			printf '# warning trust is enabled for all connections\n'
		fi
		printf 'host all all all %s\n' "$auth"
	} >>"$PGDATA/pg_hba.conf"
}

# psql as the superuser over the unix socket (local trust), on POSTGRES_DB unless --dbname follows.
docker_process_sql() {
	local -a query_runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	if [ -n "$POSTGRES_DB" ]; then
		query_runner+=(--dbname "$POSTGRES_DB")
	fi
	PGHOST='' PGHOSTADDR='' "${query_runner[@]}" "$@"
}

docker_setup_db() {
	local exists
	exists="$(
		# shellcheck disable=SC2097,SC2098  # :db is the outer POSTGRES_DB, psql connects to postgres
		POSTGRES_DB='' docker_process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<-'EOSQL'
			SELECT 1 FROM pg_database WHERE datname = :'db' ;
		EOSQL
	)"
	if [ -z "$exists" ]; then
		# shellcheck disable=SC2097,SC2098  # :db is the outer POSTGRES_DB, psql connects to postgres
		POSTGRES_DB='' docker_process_sql --dbname postgres --set db="$POSTGRES_DB" <<-'EOSQL'
			CREATE DATABASE :"db" ;
		EOSQL
		printf '\n'
	fi
}

docker_process_init_files() {
	local f
	printf '\n'
	for f; do
		case "$f" in
			*.sh)
				if [ -x "$f" ]; then
					log "running $f"
					"$f"
				else
					log "sourcing $f"
					# shellcheck disable=SC1090
					. "$f"
				fi
				;;
			*.sql) log "running $f"; docker_process_sql -f "$f"; printf '\n' ;;
			*.sql.gz) log "running $f"; gunzip -c "$f" | docker_process_sql; printf '\n' ;;
			*.sql.xz) log "running $f"; xzcat "$f" | docker_process_sql; printf '\n' ;;
			*.sql.zst) log "running $f"; zstd -dc "$f" | docker_process_sql; printf '\n' ;;
			*) log "ignoring $f" ;;
		esac
		printf '\n'
	done
}

# A server for the init scripts: unix socket only, so nothing outside sees a half-built database.
docker_temp_server_start() {
	if [ "$1" = 'postgres' ]; then
		shift
	fi
	set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"
	NOTIFY_SOCKET='' PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

docker_temp_server_stop() {
	PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -m fast -w stop
}

_main() {
	# a flag first: `docker run postgres -c x=y` means `postgres -c x=y`
	if [ "${1:0:1}" = '-' ]; then
		set -- postgres "$@"
	fi

	if [ "$1" = 'postgres' ] && ! _pg_want_help "$@"; then
		docker_setup_env
		docker_create_db_directories
		if [ "$(id -u)" = '0' ]; then
			# started as root (not how the manifests run it): continue as postgres (uid 999)
			exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
		fi

		if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
			docker_verify_minimum_env
			# fail early on an unreadable init directory, before initdb
			ls /docker-entrypoint-initdb.d/ >/dev/null
			docker_init_database_dir
			pg_setup_hba_conf

			# for init scripts that connect over TCP (-h localhost) with a password
			export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
			docker_temp_server_start "$@"
			docker_setup_db
			local -a initfiles
			shopt -s nullglob
			initfiles=(/docker-entrypoint-initdb.d/*)
			shopt -u nullglob
			docker_process_init_files "${initfiles[@]}"
			docker_temp_server_stop
			unset PGPASSWORD

			printf '\nPostgreSQL init process complete; ready for start up.\n\n'
		else
			printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
		fi
	fi

	exec "$@"
}

if ! _is_sourced; then
	_main "$@"
fi
