#!/usr/bin/env bash
# Makes sure a private Postgres (Debian's package) runs on 127.0.0.1 for the example API, the
# tests, CI and the demo, with a role and a database for the estate. Idempotent: a cluster
# that already answers is reused, a role or database that exists is kept.
# Prints the DATABASE_URL to use on stdout, everything else on stderr:
#
#   url=$(bash scripts/services/postgres.sh)            # database "estate"
#   url=$(bash scripts/services/postgres.sh notes_test) # another database, same role
#
#   Cluster   its own data folder (not Debian's `main` cluster), on port
#             ${APD_POSTGRES_PORT:-55432}, password (SCRAM) sign-in over TCP from loopback and
#             from private addresses only (the stand-in's Web App containers reach it through
#             their Docker bridge's gateway, host.docker.internal),
#             run as the `postgres` user (Postgres refuses to run as root). Installed first
#             from Debian's `postgresql` when missing and we are root.
#   Role      ${APD_POSTGRES_USER:-estate}, password ${APD_POSTGRES_PASSWORD:-estate-local}
#             (a loopback-only fixture, not a secret), allowed to create databases; each
#             database it is given is owned by it, so migrations can create tables.
#
# Data, socket and log in ${TMPDIR:-/tmp}/apd-services/postgres-<port>.
# Environment: APD_POSTGRES_PORT, APD_POSTGRES_USER, APD_POSTGRES_PASSWORD,
# APD_SERVICES_WAIT seconds to wait for the server (60).
set -euo pipefail
service=postgres.sh
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

port="${APD_POSTGRES_PORT:-55432}"
role="${APD_POSTGRES_USER:-estate}"
password="${APD_POSTGRES_PASSWORD:-estate-local}"
database="${1:-estate}"
wait_seconds="${APD_SERVICES_WAIT:-60}"
home="$state/postgres-$port"
data="$home/data"
log="$home/postgres.log"

say() {
  echo "postgres: $*" >&2
}

[[ "$role" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || fail "APD_POSTGRES_USER must be a plain lower-case name, not '$role'"
[[ "$database" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || fail "the database name must be a plain lower-case name, not '$database'"
[[ "$password" != *"'"* && "$password" =~ ^[A-Za-z0-9._~-]+$ ]] || fail "APD_POSTGRES_PASSWORD may hold letters, digits and . _ ~ - only (it goes into a URL)"

# The newest installed server's bin folder (Debian keeps it off PATH).
server_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

install_missing() {
  server_bin >/dev/null && command -v psql >/dev/null 2>&1 && return 0
  apt_install "$state/apt-postgresql.log" "or run this as root" postgresql
}

answers() {
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2
}

# SQL as the cluster's superuser, over the cluster's own socket (peer sign-in as `postgres`).
as_superuser() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h "$home" -p "$port" -U postgres -d postgres "$@"
  else
    psql -X -q -v ON_ERROR_STOP=1 -h "$home" -p "$port" -U postgres -d postgres "$@"
  fi
}

# Removes Postgres lock file $1 when the pid on its first line is no live postgres process.
# The files outlive the machine's processes (a stopped session, a new CI job on the same
# disk), and Postgres refuses to start while that pid belongs to any live process.
clear_stale_lock() {
  local pid
  [ -s "$1" ] || return 0
  pid="$(head -n 1 "$1")"
  # A negative pid marks a lock of a standalone backend.
  pid_runs "${pid#-}" postgres && return 0
  say "removing the stale lock file $1 (pid $pid is not a running Postgres)"
  rm -f "$1"
}

start_cluster() {
  if answers; then
    say "reusing the server answering on 127.0.0.1:$port"
    return
  fi
  [ "$(id -u)" -eq 0 ] || fail "no Postgres answers on 127.0.0.1:$port, and starting one needs root (it runs as the postgres user)"
  id postgres >/dev/null 2>&1 || fail "there is no postgres user (Debian's postgresql package creates it)"
  mkdir -p "$home"
  chown postgres:postgres "$home"
  chmod 700 "$home"
  if [ ! -s "$data/PG_VERSION" ]; then
    rm -rf "$data"
    say "initdb $data"
    if ! runuser -u postgres -- "$bin/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 >"$home/initdb.log" 2>&1; then
      tail -n 20 "$home/initdb.log" >&2
      fail "initdb failed (log: $home/initdb.log)"
    fi
  fi
  # Containers on a Docker bridge come from its private subnet, not from 127.0.0.1. Checked at
  # every start, so a cluster made before these lines existed gets them when started again.
  local range
  for range in 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16; do
    grep -qF "host all all $range scram-sha-256" "$data/pg_hba.conf" ||
      echo "host all all $range scram-sha-256" >>"$data/pg_hba.conf"
  done
  clear_stale_lock "$data/postmaster.pid"
  clear_stale_lock "$home/.s.PGSQL.$port.lock"
  local started
  started=$(date +%s%N)
  # setsid: its own session, so the server outlives this script and whatever ran it.
  if ! setsid --wait runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$log" -w -t "$wait_seconds" \
    -o "-c listen_addresses=* -p $port -c unix_socket_directories=$home" start >/dev/null 2>&1; then
    show_log "$log"
    fail "Postgres did not start on 127.0.0.1:$port (port taken? log: $log)"
  fi
  answers || fail "Postgres started but does not answer on 127.0.0.1:$port (log: $log)"
  say "started Postgres $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port in $(( ($(date +%s%N) - started) / 1000000 )) ms (data $data, log $log)"
}

ensure_role_and_database() {
  as_superuser <<SQL
SELECT format('CREATE ROLE %I LOGIN CREATEDB', '$role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role')
\gexec
ALTER ROLE "$role" WITH LOGIN CREATEDB PASSWORD '$password';
SELECT format('CREATE DATABASE %I OWNER %I', '$database', '$role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$database')
\gexec
SQL
}

install_missing
bin="$(server_bin)" || fail "no Postgres server under /usr/lib/postgresql/*/bin"
start_cluster
[ "$(id -u)" -eq 0 ] || [ "$(id -un)" = postgres ] || fail "creating the role and database needs root or the postgres user"
ensure_role_and_database || fail "creating role $role and database $database failed (log: $log)"
say "role $role, database $database"
echo "postgres://$role:$password@127.0.0.1:$port/$database"
