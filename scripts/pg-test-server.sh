#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for omniq's tests. It never touches the
# machine's own cluster or port 5432: everything lives under DIR.
#
#   pg-test-server.sh start DIR [--listen ADDR/PREFIX[,ADDR/PREFIX...]]
#                                  initdb into DIR/data, start the server on a unix
#                                  socket in DIR and on 127.0.0.1 at a free port
#                                  (fsync on), write its URL to DIR/url and print it.
#                                  --listen: also listen on each ADDR (an address
#                                  this machine has, e.g. one end of a veth pair)
#                                  and let clients from its network ADDR/PREFIX in
#   pg-test-server.sh stop DIR     stop the server and remove DIR
#   pg-test-server.sh pause DIR    stop the server (pg_ctl stop -m fast), keep DIR
#   pg-test-server.sh resume DIR   start it again on the same port
#   pg-test-server.sh restart DIR  pg_ctl restart -m fast (every session is cut)
#   pg-test-server.sh run DIR -- COMMAND [ARGS...]
#                                  run COMMAND with OMNIQ_TEST_PG_URL (from DIR/url),
#                                  OMNIQ_TEST_PG_DIR and OMNIQ_TEST_PG_SCRIPT set
#
# As root the server runs as user postgres (initdb refuses root). When that
# user cannot write DIR, or DIR is too long for a socket path, the data and
# socket go to a private directory under /tmp that DIR/data links to.
# PG_BIN overrides the binaries' directory (/usr/lib/postgresql/15/bin).
set -euo pipefail

bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

die() {
  echo "pg-test-server: $*" >&2
  exit 1
}

# True for a directory this script made (or an empty one): the only kind it removes.
ours() {
  [ -f "$1/home" ] || [ -z "$(ls -A "$1" 2>/dev/null)" ]
}

as_server() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A port nothing on 127.0.0.1 listens on (a race with other programs is
# handled by start's retries).
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "found no free TCP port on 127.0.0.1"
}

# Where the data and the socket live: DIR, or a private directory under /tmp.
make_home() {
  local dir=$1 home=$1
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user (apt-get install postgresql-15)"
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then home=""; fi
  fi
  if [ -z "$home" ] || [ ${#dir} -gt 80 ]; then
    home=$(mktemp -d /tmp/omniq-pg.XXXXXX)
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$home"; fi
  fi
  echo "$home"
}

server_start() {
  local dir=$1 home port
  home=$(cat "$dir/home")
  port=$(cat "$dir/port")
  as_server "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 60 \
    -o "-p $port -k $home" start >/dev/null
}

# Checks --listen's ADDR/PREFIX list; prints the addresses, comma-separated.
listen_addresses() {
  local entry out=""
  IFS=, read -ra entries <<<"$1"
  for entry in "${entries[@]}"; do
    [[ "$entry" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$ ]] ||
      die "--listen: \"$entry\" is not ADDR/PREFIX (e.g. 10.213.0.1/30)"
    out+=",${entry%/*}"
  done
  echo "${out#,}"
}

start() {
  local dir=$1 listen=${2:-} home port extra="" entry
  [ -x "$bin/initdb" ] || die "no PostgreSQL 15 binaries in $bin (apt-get install postgresql-15)"
  if [ -n "$listen" ]; then extra=",$(listen_addresses "$listen")"; fi
  if [ -e "$dir" ]; then stop "$dir"; fi  # left over from a run that died
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  home=$(make_home "$dir")
  echo "$home" >"$dir/home"
  as_server "$bin/initdb" -D "$home/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
  if [ "$home" != "$dir" ]; then ln -s "$home/data" "$dir/data"; fi
  cat >>"$home/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1$extra'
fsync = on
max_connections = 200
EOF
  if [ -n "$listen" ]; then
    IFS=, read -ra entries <<<"$listen"
    for entry in "${entries[@]}"; do
      echo "host all all $entry trust" >>"$home/data/pg_hba.conf"
    done
  fi
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    echo "$port" >"$dir/port"
    if server_start "$dir"; then
      echo "postgresql://postgres@127.0.0.1:$port/postgres" >"$dir/url"
      cat "$dir/url"
      return
    fi
  done
  die "the server did not start: $(tail -n 5 "$home/server.log" 2>/dev/null)"
}

pause() {
  local dir=$1 home
  home=$(cat "$dir/home" 2>/dev/null) || die "no server in $dir"
  if [ -f "$home/data/postmaster.pid" ]; then
    as_server "$bin/pg_ctl" -D "$home/data" -m fast -w -t 60 stop >/dev/null
  fi
}

stop() {
  local dir=$1 home
  [ -e "$dir" ] || return 0
  ours "$dir" || die "$dir was not made by pg-test-server.sh; not removing it"
  home=$(cat "$dir/home" 2>/dev/null || true)
  if [ -n "$home" ]; then
    pause "$dir"
    case "$home" in /tmp/omniq-pg.*) rm -rf "$home" ;; esac
  fi
  rm -rf "$dir"
}

restart() {
  local dir=$1 home port
  home=$(cat "$dir/home" 2>/dev/null) || die "no server in $dir"
  port=$(cat "$dir/port")
  as_server "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -m fast -w -t 60 \
    -o "-p $port -k $home" restart >/dev/null
}

run() {
  local dir=$1
  shift
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || die "run: no command given"
  [ -s "$dir/url" ] || die "no PostgreSQL test server in $dir (did 'start' fail? see $dir/initdb.log and the server log)"
  dir=$(cd "$dir" && pwd)
  OMNIQ_TEST_PG_URL=$(cat "$dir/url") OMNIQ_TEST_PG_DIR=$dir OMNIQ_TEST_PG_SCRIPT=$script exec "$@"
}

[ $# -ge 2 ] || die "usage: pg-test-server.sh start|stop|pause|resume|restart DIR, or run DIR -- COMMAND..."
command=$1
dir=$2
shift 2
case "$command" in
  start)
    listen=""
    if [ "${1:-}" = "--listen" ]; then
      [ $# -ge 2 ] || die "--listen needs ADDR/PREFIX[,ADDR/PREFIX...]"
      listen=$2
      shift 2
    fi
    [ $# -eq 0 ] || die "start: unexpected argument '$1' (expected --listen ADDR/PREFIX,...)"
    start "$dir" "$listen"
    ;;
  stop) stop "$dir" ;;
  pause) pause "$dir" ;;
  resume) server_start "$(cd "$dir" && pwd)" ;;
  restart) restart "$dir" ;;
  run) run "$dir" "$@" ;;
  *) die "unknown command '$command': expected start, stop, pause, resume, restart or run" ;;
esac
