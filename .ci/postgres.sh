#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests, on a free loopback port.
#   .ci/postgres.sh start DIR   creates DIR/data, starts the server, prints its URL
#                               (postgresql://postgres@127.0.0.1:PORT/postgres) on stdout
#   .ci/postgres.sh stop DIR    stops it and deletes DIR
# As root it installs Debian's postgresql package when absent and runs the server as the
# unprivileged `postgres` user (initdb refuses root); otherwise it runs as the calling user.
# Use it by hand too:
#   D=$(mktemp -d); export SPENDGUARD_TEST_PG_URL=$(.ci/postgres.sh start "$D"); ./mvnw -B verify; .ci/postgres.sh stop "$D"
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

bindir() {
  local b
  b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$b" ] && command -v pg_config >/dev/null 2>&1; then
    b=$(pg_config --bindir)
  fi
  echo "$b"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/sh -c "$1"
  else
    sh -c "$1"
  fi
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

case "$cmd" in
  start)
    bin=$(bindir)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
      if [ "$(id -u)" -ne 0 ]; then
        echo "postgres.sh: PostgreSQL is not installed (as root: apt-get install -y postgresql)" >&2
        exit 1
      fi
      echo "postgres.sh: installing Debian's postgresql package" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -q >&2
      apt-get install -y -q postgresql >&2
      bin=$(bindir)
    fi
    mkdir -p "$dir"
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_owner "'$bin/initdb' -D '$dir/data' -A trust -U postgres --no-sync >'$dir/initdb.log' 2>&1" || {
      cat "$dir/initdb.log" >&2
      exit 1
    }
    for _ in $(seq 1 20); do
      port=$((20000 + RANDOM % 40000))
      port_free "$port" || continue
      if as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 30 \
          -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c synchronous_commit=on -c max_connections=200\" start" >&2; then
        echo "$port" >"$dir/port"
        echo "postgresql://postgres@127.0.0.1:$port/postgres"
        exit 0
      fi
    done
    echo "postgres.sh: could not start PostgreSQL; log:" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
    ;;
  stop)
    bin=$(bindir)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >&2 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
