#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests, listening on 127.0.0.1 only, with password authentication.
#
#   scripts/pg-cluster.sh start DIR [PORT]   creates the cluster in DIR/data (first time), starts it, waits until it
#                                            accepts connections, and prints `export MLMD_TEST_PG_*=...` lines
#   scripts/pg-cluster.sh stop DIR [MODE]    stops it (MODE: fast (default) or immediate, i.e. a crash)
#   scripts/pg-cluster.sh restart DIR [MODE] stops, then starts again on the same port
#   scripts/pg-cluster.sh env DIR            prints the export lines again
#
# The server binaries come from PATH or Debian's /usr/lib/postgresql/<version>/bin (`apt-get install postgresql`).
# PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user (created by Debian's package;
# created here when missing). The superuser is `postgres` with the password in $MLMD_TEST_PG_PASSWORD (default
# mlmd-test). Durability settings are relaxed (fsync off): a test cluster lives as long as one test run, and a stop
# (even `immediate`) kills processes, not the machine, so acknowledged commits still survive it.
set -euo pipefail

cmd="${1:-}"; dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop|restart|env DIR [PORT|MODE]" >&2; exit 2; }
PASSWORD="${MLMD_TEST_PG_PASSWORD:-mlmd-test}"

bindir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
  local d; d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n "$d" && -x "$d/initdb" ]] || { echo "pg-cluster: cannot run: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 77; }
  echo "$d"
}
BIN="$(bindir)"

# as_owner CMD...: runs CMD as the cluster's owner (ourselves unless we are root).
OWNER=""
if [[ $(id -u) -eq 0 ]]; then
  OWNER=postgres
  id -u "$OWNER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$OWNER"
fi
as_owner() {
  if [[ -n "$OWNER" ]]; then runuser -u "$OWNER" -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

print_env() {
  local port; port="$(cat "$dir/port")"
  echo "export MLMD_TEST_PG_HOST=127.0.0.1"
  echo "export MLMD_TEST_PG_PORT=$port"
  echo "export MLMD_TEST_PG_USER=postgres"
  echo "export MLMD_TEST_PG_PASSWORD=$PASSWORD"
  echo "export MLMD_TEST_PG_CLUSTER=$dir"
}

start() {
  mkdir -p "$dir"
  [[ -n "$OWNER" ]] && chown "$OWNER" "$dir"
  # A cluster directory must be reachable by its owner: open the path's parents for traversal when root made them.
  if [[ -n "$OWNER" ]]; then local p="$dir"; while [[ "$p" != "/" ]]; do p="$(dirname "$p")"; chmod o+x "$p" 2>/dev/null || true; done; fi
  if [[ ! -s "$dir/data/PG_VERSION" ]]; then
    local port="${1:-}"; [[ -n "$port" ]] || port="$(free_port)"
    echo "$port" >"$dir/port"
    printf '%s\n' "$PASSWORD" >"$dir/pwfile"
    [[ -n "$OWNER" ]] && chown "$OWNER" "$dir/pwfile" "$dir/port"
    as_owner "$BIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" --auth=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || as_owner "$BIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" --auth=scram-sha-256 \
           --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
fsync = off
synchronous_commit = on
full_page_writes = off
shared_buffers = 64MB
log_min_messages = warning
EOF
  fi
  as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { tail -n 30 "$dir/server.log" >&2; exit 1; }
}

stop() {
  [[ -f "$dir/data/postmaster.pid" ]] || return 0
  as_owner "$BIN/pg_ctl" -D "$dir/data" -m "${1:-fast}" -w -t 60 stop >/dev/null
}

case "$cmd" in
  start) start "${3:-}"; print_env ;;
  stop) stop "${3:-fast}" ;;
  restart) stop "${3:-fast}"; start; print_env ;;
  env) print_env ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
