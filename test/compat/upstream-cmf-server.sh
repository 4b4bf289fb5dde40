#!/usr/bin/env bash
# Runs cmflib 0.1.0's own cmf-server (server/app/main.py from the cmflib wheel in .venv: FastAPI under uvicorn) in
# the foreground, as the reference beside ours:
#
#   test/compat/upstream-cmf-server.sh WORK_DIR HOST PORT DBNAME
#
# It serves the PostgreSQL database DBNAME (created when missing) on the cluster named by MLMD_TEST_PG_HOST/PORT/
# USER/PASSWORD (scripts/pg-cluster.sh). cmf-server hard-codes its file folders under /cmf-server/data; so that
# several of them can run side by side without touching the machine's /cmf-server, each runs in a private mount
# namespace where WORK_DIR/cmf-server is bind-mounted on /cmf-server (an empty mount point /cmf-server is created
# when missing). Needs root (unshare, mount), as CI runs. Exit 77: cannot run.
# The server logs every SQL statement (its engine has echo=True); redirect its output.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV_PY="$ROOT/.venv/bin/python"
work="${1:?WORK_DIR}"; host="${2:?HOST}"; port="${3:?PORT}"; dbname="${4:?DBNAME}"

cannot() { echo "cannot run: $*" >&2; exit 77; }
[[ -n "${MLMD_TEST_PG_HOST:-}" ]] || cannot "no PostgreSQL configured (MLMD_TEST_PG_HOST unset; scripts/pg-cluster.sh)"
[[ -x "$VENV_PY" ]] || cannot ".venv missing (bash scripts/setup-test-env.sh)"
"$VENV_PY" -c 'import server.app.utils, fastapi, uvicorn, asyncpg' 2>/dev/null \
  || cannot "cmflib's server or its requirements are missing from .venv (bash scripts/setup-test-env.sh)"
[[ $(id -u) -eq 0 ]] || cannot "cmf-server's hard-coded /cmf-server/data needs a private mount namespace: run as root"
command -v unshare >/dev/null || cannot "unshare (util-linux) is not installed"
command -v psql >/dev/null || cannot "psql is not installed"

export PGPASSWORD="${MLMD_TEST_PG_PASSWORD:-}"
psql_admin() { psql -q -h "$MLMD_TEST_PG_HOST" -p "${MLMD_TEST_PG_PORT:-5432}" -U "${MLMD_TEST_PG_USER:-postgres}" -d postgres "$@"; }
if [[ -z "$(psql_admin -Atc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")" ]]; then
  psql_admin -c "CREATE DATABASE \"$dbname\"" >/dev/null
fi

mkdir -p "$work/cmf-server/data/static" "$work/cmf-server/data/env" "$work/cmf-server/data/labels" \
  "$work/cmf-server/data/tensorboard-logs"
[[ -d /cmf-server ]] || mkdir /cmf-server
cd "$work"
exec env POSTGRES_HOST="$MLMD_TEST_PG_HOST" POSTGRES_PORT="${MLMD_TEST_PG_PORT:-5432}" \
  POSTGRES_USER="${MLMD_TEST_PG_USER:-postgres}" POSTGRES_PASSWORD="${MLMD_TEST_PG_PASSWORD:-}" POSTGRES_DB="$dbname" \
  unshare --mount --propagation private -- bash -c \
  'mount --bind "$1/cmf-server" /cmf-server && exec "$2" -m uvicorn server.app.main:app --host "$3" --port "$4"' \
  upstream-cmf-server "$work" "$VENV_PY" "$host" "$port"
