# Shared helpers for the compat suites (sourced, not executed).
# Starts our server the way a user would: the CLI with upstream's flags and a text-format server config.
#   MLMD_SERVER_CMD  overrides the server command (default: node --import tsx src/cli/main.ts); the flags
#                    --grpc_port and --metadata_store_server_config_file are appended.
# `node --import tsx` rather than `npx tsx`: one process, so signals reach the server itself.

COMPAT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV_PY="$COMPAT_ROOT/.venv/bin/python"
GRPCURL="$COMPAT_ROOT/.tools/grpcurl"
SKIP_RC=77   # a suite that cannot run exits with this; test-all.sh turns it into a failure when CI=true

compat_skip() { echo "cannot run: $*" >&2; exit "$SKIP_RC"; }

free_port() {
  "${VENV_PY:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_server DB_FILE LOG_FILE  -> sets SERVER_PID, SERVER_PORT; returns non-zero if it does not listen in time
# With MLMD_TEST_BACKEND=postgres the server serves a fresh PostgreSQL database instead of DB_FILE (on the cluster
# named by MLMD_TEST_PG_HOST/PORT/USER/PASSWORD; scripts/pg-cluster.sh); stop_server drops it. Likewise with
# MLMD_TEST_BACKEND=mysql on the MySQL/MariaDB server named by MLMD_TEST_MYSQL_* (scripts/mariadb-cluster.sh).
start_server() {
  local db="$1" log="$2" cfg port i
  cfg="$(dirname "$log")/server-$$-$RANDOM.cfg"
  if [[ "${MLMD_TEST_BACKEND:-}" == "postgres" ]]; then
    [[ -n "${MLMD_TEST_PG_HOST:-}" ]] || { echo "MLMD_TEST_BACKEND=postgres needs MLMD_TEST_PG_HOST/PORT/USER/PASSWORD" >&2; return 2; }
    SERVER_PG_DB="mlmd_compat_$$_$RANDOM"
    printf 'connection_config {\n  postgresql {\n    host: "%s"\n    port: "%s"\n    user: "%s"\n    password: "%s"\n    dbname: "%s"\n  }\n}\n' \
      "$MLMD_TEST_PG_HOST" "${MLMD_TEST_PG_PORT:-5432}" "${MLMD_TEST_PG_USER:-postgres}" "${MLMD_TEST_PG_PASSWORD:-}" "$SERVER_PG_DB" > "$cfg"
  elif [[ "${MLMD_TEST_BACKEND:-}" == "mysql" ]]; then
    [[ -n "${MLMD_TEST_MYSQL_HOST:-}" ]] || { echo "MLMD_TEST_BACKEND=mysql needs MLMD_TEST_MYSQL_HOST/PORT/USER/PASSWORD" >&2; return 2; }
    SERVER_MYSQL_DB="mlmd_compat_$$_$RANDOM"
    printf 'connection_config {\n  mysql {\n    host: "%s"\n    port: %s\n    user: "%s"\n    password: "%s"\n    database: "%s"\n  }\n}\n' \
      "$MLMD_TEST_MYSQL_HOST" "${MLMD_TEST_MYSQL_PORT:-3306}" "${MLMD_TEST_MYSQL_USER:-root}" "${MLMD_TEST_MYSQL_PASSWORD:-}" "$SERVER_MYSQL_DB" > "$cfg"
  else
    printf 'connection_config {\n  sqlite {\n    filename_uri: "%s"\n    connection_mode: READWRITE_OPENCREATE\n  }\n}\n' "$db" > "$cfg"
  fi
  port="$(free_port)"
  if [[ -n "${MLMD_SERVER_CMD:-}" ]]; then
    # shellcheck disable=SC2086
    (cd "$COMPAT_ROOT" && exec $MLMD_SERVER_CMD --grpc_port="$port" --http_port=-1 --metadata_store_server_config_file="$cfg") >"$log" 2>&1 &
  else
    [[ -f "$COMPAT_ROOT/src/cli/main.ts" ]] || { echo "src/cli/main.ts does not exist (yet)" >&2; return 2; }
    (cd "$COMPAT_ROOT" && exec node --import tsx src/cli/main.ts --grpc_port="$port" --http_port=-1 --metadata_store_server_config_file="$cfg") >"$log" 2>&1 &
  fi
  SERVER_PID=$!
  SERVER_PORT="$port"
  for ((i = 0; i < 600; i++)); do   # up to 60 s (tsx compiles on first start)
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "server exited before listening; its log ($log):" >&2; tail -n 30 "$log" >&2; return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server did not listen on port $port within 60 s; its log:" >&2; tail -n 30 "$log" >&2
  stop_server; return 1
}

stop_server() {
  local i
  [[ -n "${SERVER_PID:-}" ]] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  if [[ -n "${SERVER_PG_DB:-}" ]] && command -v psql >/dev/null; then
    PGPASSWORD="${MLMD_TEST_PG_PASSWORD:-}" psql -q -h "$MLMD_TEST_PG_HOST" -p "${MLMD_TEST_PG_PORT:-5432}" -U "${MLMD_TEST_PG_USER:-postgres}" \
      -d postgres -c "DROP DATABASE IF EXISTS \"$SERVER_PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
    SERVER_PG_DB=""
  fi
  if [[ -n "${SERVER_MYSQL_DB:-}" ]] && command -v mariadb >/dev/null; then
    mariadb --no-defaults -h "$MLMD_TEST_MYSQL_HOST" -P "${MLMD_TEST_MYSQL_PORT:-3306}" -u "${MLMD_TEST_MYSQL_USER:-root}" \
      -p"${MLMD_TEST_MYSQL_PASSWORD:-}" -e "DROP DATABASE IF EXISTS \`$SERVER_MYSQL_DB\`" >/dev/null 2>&1 || true
    SERVER_MYSQL_DB=""
  fi
}

upstream_test_file() {
  "$VENV_PY" -c 'import os, ml_metadata.metadata_store as m; print(os.path.join(os.path.dirname(m.__file__), "metadata_store_test.py"))'
}
