#!/usr/bin/env bash
# A throw-away MariaDB instance for tests, listening on 127.0.0.1 (and a Unix socket in DIR), with password
# authentication. No system service: the server runs from DIR as an unprivileged user and stops when told to.
#
#   scripts/mariadb-cluster.sh start DIR [PORT]    creates the instance in DIR/data (first time), starts it, waits
#                                                  until it accepts connections, prints `export MLMD_TEST_MYSQL_*=...`
#   scripts/mariadb-cluster.sh stop DIR [MODE]     stops it (MODE: fast (default), or immediate: SIGKILL, a crash)
#   scripts/mariadb-cluster.sh restart DIR [MODE]  stops, then starts again on the same port
#   scripts/mariadb-cluster.sh env DIR             prints the export lines again
#
# Binaries: Debian's mariadb-server (`apt-get install mariadb-server`; scripts/install-system-deps.sh installs it
# without starting its service). As root the instance belongs to the `mysql` user (created by Debian's package;
# created here when missing). The superuser is root, reachable over TCP from 127.0.0.1 with the password in
# $MLMD_TEST_MYSQL_PASSWORD (default mlmd-test); there are no anonymous users. sql_mode and the character set are
# MySQL 8.0's defaults, so SQL that passes here does not lean on MariaDB's laxer defaults. Durability is relaxed
# (innodb_flush_log_at_trx_commit=2): a commit survives the server process being killed, not the machine losing
# power, which is all a test run needs.
set -euo pipefail

cmd="${1:-}"; dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop|restart|env DIR [PORT|MODE]" >&2; exit 2; }
PASSWORD="${MLMD_TEST_MYSQL_PASSWORD:-mlmd-test}"

for tool in mariadbd mariadb-install-db mariadb; do
  command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] || {
    echo "mariadb-cluster: cannot run: $tool not found (apt-get install mariadb-server)" >&2; exit 77; }
done
MARIADBD="$(command -v mariadbd || echo /usr/sbin/mariadbd)"

# The instance runs as its owner: ourselves, or `mysql` when we are root.
OWNER=""; SOCKET_USER="$(id -un)"
if [[ $(id -u) -eq 0 ]]; then
  OWNER=mysql
  id -u "$OWNER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$OWNER"
  SOCKET_USER="$OWNER"
fi
as_owner() {
  if [[ -n "$OWNER" ]]; then runuser -u "$OWNER" -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

print_env() {
  echo "export MLMD_TEST_MYSQL_HOST=127.0.0.1"
  echo "export MLMD_TEST_MYSQL_PORT=$(cat "$dir/port")"
  echo "export MLMD_TEST_MYSQL_USER=root"
  echo "export MLMD_TEST_MYSQL_PASSWORD=$PASSWORD"
  echo "export MLMD_TEST_MYSQL_SOCKET=$dir/mysqld.sock"
  echo "export MLMD_TEST_MYSQL_CLUSTER=$dir"
}

# The mariadb client as the owner over the socket (unix_socket authentication: mariadb-install-db gives the
# owner's account every privilege), and as root over TCP with the password.
socket_client() { as_owner mariadb --no-defaults --socket="$dir/mysqld.sock" -u "$SOCKET_USER" "$@"; }
tcp_root() { mariadb --no-defaults -h 127.0.0.1 -P "$(cat "$dir/port")" -u root -p"$PASSWORD" "$@"; }

write_config() {
  cat >"$dir/my.cnf" <<EOF
[mariadbd]
datadir = $dir/data
socket = $dir/mysqld.sock
pid-file = $dir/mysqld.pid
log-error = $dir/server.log
port = $1
bind-address = 127.0.0.1
skip-name-resolve
skip-log-bin
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
sql_mode = ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION
max_connections = 500
innodb_buffer_pool_size = 128M
innodb_log_file_size = 48M
innodb_flush_log_at_trx_commit = 2
innodb_lock_wait_timeout = 20
performance_schema = OFF
EOF
}

start() {
  mkdir -p "$dir"
  [[ -n "$OWNER" ]] && chown "$OWNER" "$dir"
  # The owner must be able to reach DIR: open its parents for traversal when root made them.
  if [[ -n "$OWNER" ]]; then local p="$dir"; while [[ "$p" != "/" ]]; do p="$(dirname "$p")"; chmod o+x "$p" 2>/dev/null || true; done; fi
  local fresh=""
  if [[ ! -d "$dir/data/mysql" ]]; then
    fresh=1
    local port="${1:-}"; [[ -n "$port" ]] || port="$(free_port)"
    echo "$port" >"$dir/port"
    write_config "$port"
    [[ -n "$OWNER" ]] && chown "$OWNER" "$dir/port" "$dir/my.cnf"
    as_owner mariadb-install-db --defaults-file="$dir/my.cnf" --auth-root-authentication-method=socket \
      --auth-root-socket-user="$SOCKET_USER" --skip-test-db >"$dir/install.log" 2>&1 \
      || { cat "$dir/install.log" >&2; exit 1; }
  fi
  as_owner "$MARIADBD" --defaults-file="$dir/my.cnf" >/dev/null 2>&1 </dev/null &
  local i
  for ((i = 0; i < 600; i++)); do
    socket_client -e 'SELECT 1' >/dev/null 2>&1 && break
    [[ -f "$dir/server.log" ]] && grep -q '\[ERROR\] Aborting' "$dir/server.log" && break
    sleep 0.1
  done
  if [[ -n "$fresh" ]]; then
    # root over TCP from 127.0.0.1 (and over the socket) with a password; no anonymous users.
    socket_client <<EOF || { tail -n 30 "$dir/server.log" >&2; exit 1; }
DELETE FROM mysql.global_priv WHERE User = '';
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('$PASSWORD');
CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
EOF
  fi
  tcp_root -e 'SELECT 1' >/dev/null 2>&1 \
    || { echo "mariadb-cluster: the server did not come up; its log:" >&2; tail -n 30 "$dir/server.log" >&2; exit 1; }
}

stop() {
  [[ -f "$dir/mysqld.pid" ]] || return 0
  local pid i; pid="$(cat "$dir/mysqld.pid")"
  kill -0 "$pid" 2>/dev/null || { rm -f "$dir/mysqld.pid"; return 0; }
  if [[ "${1:-fast}" == "immediate" ]]; then kill -KILL "$pid"; else kill -TERM "$pid"; fi
  for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; }
  rm -f "$dir/mysqld.pid"
}

case "$cmd" in
  start) start "${3:-}"; print_env ;;
  stop) stop "${3:-fast}" ;;
  restart) stop "${3:-fast}"; start; print_env ;;
  env) print_env ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
