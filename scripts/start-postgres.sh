#!/usr/bin/env bash
# Make sure a PostgreSQL with pgvector is running, for the tests.
#
#   DATABASE_URL="$(bash scripts/start-postgres.sh)"; export DATABASE_URL
#   (two statements, so that `set -e` sees a failure; `export X="$(...)"` hides it)
#
# 1. Uses the server on 127.0.0.1:5432 if one answers; else starts the machine's
#    cluster (pg_ctlcluster); else initdb's a private throw-away cluster in a
#    temp dir on port $RAGLINE_PG_PORT (default 54329).
# 2. Installs pgvector if missing (scripts/install-pgvector.sh).
# 3. Creates database $RAGLINE_DB (default ragline_test), runs
#    CREATE EXTENSION IF NOT EXISTS vector in it, and prints its DATABASE_URL as
#    the last line on stdout. Progress goes to stderr.
set -euo pipefail

DB="${RAGLINE_DB:-ragline_test}"
HOST=127.0.0.1
PORT=5432
say() { echo "start-postgres: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }
ready() { pg_isready -q -h "$HOST" -p "$PORT" -t 3 >/dev/null 2>&1; }
command -v psql >/dev/null || die "psql not found: install postgresql, or use 'docker compose up -d postgres'"

if ready; then
  say "server already accepting connections on $HOST:$PORT"
else
  # The machine's own cluster (Debian postgresql-common).
  for v in $(ls /etc/postgresql 2>/dev/null | sort -rn); do
    [ -d "/etc/postgresql/$v/main" ] || continue
    say "starting cluster $v/main with pg_ctlcluster"
    if pg_ctlcluster --skip-systemctl-redirect "$v" main start >&2; then
      for _ in $(seq 1 20); do ready && break; sleep 0.5; done
      ready && break
    fi
    say "could not start cluster $v/main"
  done
fi

# Fallback: a private cluster in a temp dir on another port (reused if an
# earlier run left one running). initdb refuses to run as root.
if ! ready; then
  PORT="${RAGLINE_PG_PORT:-54329}"
  if ready; then
    say "reusing private server on $HOST:$PORT"
  else
    BIN="/usr/lib/postgresql/$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)/bin"
    [ -x "$BIN/initdb" ] || die "no local PostgreSQL server binaries (initdb); install postgresql or use 'docker compose up -d postgres'"
    as_pg() { "$@"; }
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run initdb as"
      as_pg() { runuser -u postgres -- "$@"; }
    fi
    DIR="$(mktemp -d /tmp/ragline-pg.XXXXXX)"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
    say "initdb private cluster in $DIR (port $PORT)"
    as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >"$DIR/initdb.log" 2>&1 \
      || die "initdb failed, see $DIR/initdb.log"
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
      -o "-p $PORT -k $DIR -c listen_addresses=$HOST" start >/dev/null \
      || die "private server did not start, see $DIR/server.log"
    say "private server started; stop it with: $BIN/pg_ctl -D $DIR/data stop"
    ready || die "private server on $HOST:$PORT does not accept connections"
  fi
fi

# Pick a role that trust auth lets in.
USER_=""
for u in postgres "$(id -un)" root; do
  if psql -X -h "$HOST" -p "$PORT" -U "$u" -d postgres -Atc 'select 1' >/dev/null 2>&1; then USER_="$u"; break; fi
done
[ -n "$USER_" ] || die "cannot connect to $HOST:$PORT as postgres, $(id -un) or root (is trust auth on?)"
ADMIN_URL="postgres://$USER_@$HOST:$PORT/postgres"
URL="postgres://$USER_@$HOST:$PORT/$DB"

bash "$(dirname "$0")/install-pgvector.sh" "$ADMIN_URL" >&2 || die "pgvector is not available"

if [ "$(psql -X "$ADMIN_URL" -Atc "select 1 from pg_database where datname = '$DB'")" != 1 ]; then
  say "creating database $DB"
  psql -X "$ADMIN_URL" -qc "create database \"$DB\"" >&2 || die "cannot create database $DB"
fi
psql -X "$URL" -v ON_ERROR_STOP=1 -qc 'set client_min_messages = warning; create extension if not exists vector' >&2 \
  || die "CREATE EXTENSION vector failed in $DB"
say "pgvector $(psql -X "$URL" -Atc "select extversion from pg_extension where extname = 'vector'") ready in $DB"
echo "$URL"
