# shellcheck shell=bash
# Shell functions shared by the hub and partners entrypoints (sourced, bash). The server runs as
# the OS user postgres; set-up steps talk to it over the Unix socket in /run/postgresql only.

pg_die() {
	echo "${0##*/}: $*" >&2
	exit 1
}
pg_note() {
	echo "${0##*/}: $*" >&2
}

as_postgres() {
	setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
}

psql_local() { # DB [ARGS...]
	local db=$1
	shift
	as_postgres psql -X -q -h /run/postgresql -U postgres -d "$db" -v ON_ERROR_STOP=1 "$@"
}

# initdb once; HBA_LINE says who may connect over the network besides local socket users.
pg_init_once() { # HBA_LINE
	mkdir -p "$PGDATA" /run/postgresql
	chown postgres:postgres "$(dirname "$PGDATA")" "$PGDATA" /run/postgresql
	chmod 700 "$PGDATA"
	if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
		pg_note "creating the PostgreSQL cluster in $PGDATA"
		as_postgres initdb -D "$PGDATA" -U postgres --auth-local=trust --auth-host=reject \
			--encoding=UTF8 --locale=C.UTF-8 >/dev/null || pg_die "initdb failed"
	fi
	# Written at every start, so that an upgraded image brings its access rules along.
	# The socket in /run/postgresql is reachable only inside this container: trust there.
	as_postgres tee "$PGDATA/pg_hba.conf" >/dev/null <<HBA
# Written by the container entrypoint at every start: edits are lost.
local all all trust
$1
HBA
	# password_encryption scram is PostgreSQL 15's default; listen_addresses comes on the command line
}

# A server for the set-up steps only: no TCP, so nothing outside sees a half-made database.
pg_start_local() {
	as_postgres pg_ctl start -D "$PGDATA" -w -t 120 -s -o "-c listen_addresses=''" \
		-l "$PGDATA/../setup.log" || {
		tail -n 20 "$PGDATA/../setup.log" >&2
		pg_die "PostgreSQL did not start for the set-up"
	}
}
pg_stop_local() {
	as_postgres pg_ctl stop -D "$PGDATA" -m fast -w -t 120 -s || pg_die "PostgreSQL did not stop"
}

pg_db_exists() { # DB
	[[ "$(psql_local postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$1'")" == 1 ]]
}

# Apply FILE to DB as ROLE once, in one transaction with its record in
# public.commcell_schema_migration (the table scripts/cluster uses, same names).
pg_apply_once() { # ROLE DB FILE NAME
	local role=$1 db=$2 f=$3 name=$4
	as_postgres psql -X -q -h /run/postgresql -U "$role" -d "$db" -v ON_ERROR_STOP=1 \
		-c 'SET client_min_messages = warning' \
		-c 'CREATE TABLE IF NOT EXISTS public.commcell_schema_migration (
		        file text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())' >/dev/null ||
		pg_die "$db: cannot create public.commcell_schema_migration"
	local have
	have=$(as_postgres psql -X -h /run/postgresql -U "$role" -d "$db" -Atc \
		"SELECT 1 FROM public.commcell_schema_migration WHERE file = '$name'") || pg_die "$db: cannot read migrations"
	[[ "$have" == 1 ]] && return 0
	pg_note "$db: applying $name"
	PGOPTIONS='-c client_min_messages=warning' as_postgres psql -X -q -h /run/postgresql -U "$role" \
		-d "$db" -v ON_ERROR_STOP=1 --single-transaction -f "$f" \
		-c "INSERT INTO public.commcell_schema_migration (file) VALUES ('$name')" >/dev/null ||
		pg_die "$db: migration $name failed; nothing of it was applied"
}
