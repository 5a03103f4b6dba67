#!/usr/bin/env bash
# Build and install pgvector into the local PostgreSQL server, from Debian
# trixie's source package (pgvector is not packaged for Debian 12).
#
#   scripts/install-pgvector.sh [DATABASE_URL]
#
# DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) is only
# used to check whether `vector` is already available and to read the server's
# major version. Idempotent: does nothing when pgvector is already installed.
# The system's apt sources are never modified: the trixie source list lives in a
# private temp dir. Verbose output goes to a log; one line per step is printed.
set -euo pipefail

URL="${1:-postgres://postgres@127.0.0.1:5432/postgres}"
say() { echo "install-pgvector: $*" >&2; }
LOG=""   # verbose output of the build steps, created once we start building
die() {
  say "FAILED: $*"
  if [ -s "$LOG" ]; then tail -n 20 "$LOG" | sed 's/^/  | /' >&2; say "full log: $LOG"; fi
  exit 1
}
run() { "$@" </dev/null >>"$LOG" 2>&1; }   # quiet, no stdin, logged

how_else() {
  echo "get pgvector another way: 'docker compose up -d postgres' (see docker-compose.yml)," \
       "or install the package postgresql-$MAJOR-pgvector (PostgreSQL's PGDG apt repository)"
}

# 1. Server major version: from the running server, else the newest local install.
MAJOR=""
if num="$(psql "$URL" -XAtc 'show server_version_num' 2>/dev/null)"; then
  MAJOR=$((num / 10000))
fi
if [ -z "$MAJOR" ]; then
  MAJOR="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)"
fi
[ -n "$MAJOR" ] || die "no PostgreSQL server found (not reachable at $URL, nothing in /usr/lib/postgresql)"
PG_CONFIG="/usr/lib/postgresql/$MAJOR/bin/pg_config"
say "PostgreSQL major version $MAJOR"

# 2. Already there? Ask the server if reachable, else look for the control file.
if psql "$URL" -XAtc "select 1 from pg_available_extensions where name = 'vector'" 2>/dev/null | grep -qx 1 \
   || { [ -x "$PG_CONFIG" ] && [ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ]; }; then
  say "pgvector already available, nothing to do"
  exit 0
fi

# 3. We need root and apt-get to go further.
command -v apt-get >/dev/null || die "apt-get not available; $(how_else)"
[ "$(id -u)" = 0 ] || die "must run as root to build pgvector; $(how_else)"
export DEBIAN_FRONTEND=noninteractive
LOG="$(mktemp /tmp/install-pgvector.XXXXXX.log)"

# 4. Server headers + PGXS (pulls in clang/llvm for JIT bitcode).
if [ -f "$("$PG_CONFIG" --includedir-server 2>/dev/null || echo /nonexistent)/postgres.h" ]; then
  say "postgresql-server-dev-$MAJOR already installed"
else
  say "apt-get install postgresql-server-dev-$MAJOR"
  if ! run apt-get install -y --no-install-recommends "postgresql-server-dev-$MAJOR"; then
    say "install failed, running apt-get update and retrying"
    run apt-get update || die "apt-get update failed"
    run apt-get install -y --no-install-recommends "postgresql-server-dev-$MAJOR" \
      || die "could not install postgresql-server-dev-$MAJOR"
  fi
fi
[ -f "$("$PG_CONFIG" --includedir-server)/postgres.h" ] || die "no server headers after installing postgresql-server-dev-$MAJOR"

# 5. Mirror: first URIs: in debian.sources, else first deb line of sources.list.
MIRROR=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  MIRROR="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
fi
if [ -z "$MIRROR" ] && [ -f /etc/apt/sources.list ]; then
  # "deb [opts] URI suite comp..." -> URI (skip a bracketed option block)
  MIRROR="$(sed -E 's/\[[^]]*\]//' /etc/apt/sources.list | awk '$1 == "deb" || $1 == "deb-src" { print $2; exit }')"
fi
[ -n "$MIRROR" ] || die "cannot find a Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
say "using mirror $MIRROR"

# 6. Fetch trixie's pgvector source through a private apt configuration.
D="$(mktemp -d /tmp/pgvector-build.XXXXXX)"
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/lists/partial" "$D/src"
echo "deb-src $MIRROR trixie main" >"$D/sources.list"
APT_PRIVATE=(-oDir::State::Lists="$D/lists" -oDir::Etc::SourceList="$D/sources.list"
             -oDir::Etc::SourceParts=/dev/null
             -oDir::Cache::pkgcache= -oDir::Cache::srcpkgcache=)
say "apt-get update (private list: deb-src trixie main)"
run apt-get "${APT_PRIVATE[@]}" update || die "could not fetch the trixie source index from $MIRROR"
say "apt-get source --download-only pgvector"
(cd "$D/src" && run apt-get "${APT_PRIVATE[@]}" source --download-only pgvector) \
  || die "could not download the pgvector source package"
ORIG="$(ls "$D"/src/pgvector_*.orig.tar.* 2>/dev/null | head -n 1)"
[ -n "$ORIG" ] || die "no pgvector_*.orig.tar.* in the downloaded source package"
say "unpacking $(basename "$ORIG")"
mkdir "$D/build"
tar -xf "$ORIG" -C "$D/build" --strip-components=1 || die "cannot unpack $ORIG"

# 7. Build and install against this server's pg_config.
# OPTFLAGS= drops pgvector's default -march=native, so the .so still loads if
# this machine image is later resumed on a different CPU.
say "make (PG_CONFIG=$PG_CONFIG)"
run make -C "$D/build" -j"$(nproc)" OPTFLAGS= PG_CONFIG="$PG_CONFIG" || die "pgvector build failed"
say "make install"
run make -C "$D/build" install OPTFLAGS= PG_CONFIG="$PG_CONFIG" || die "pgvector make install failed"
[ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ] || die "vector.control not installed"
say "pgvector $(awk -F"'" '/default_version/ { print $2 }' "$("$PG_CONFIG" --sharedir)/extension/vector.control") installed for PostgreSQL $MAJOR"
rm -f "$LOG"
