#!/usr/bin/env bash
# Runs a PostgreSQL suite: `pg-suite.sh CMD...` execs CMD when a PostgreSQL server is configured
# (MLMD_TEST_PG_HOST/PORT/USER/PASSWORD, see scripts/pg-cluster.sh), otherwise exits 77 ("cannot run"), which
# scripts/test-all.sh counts as a failure under CI=true and as a skip elsewhere.
set -euo pipefail
if [[ -z "${MLMD_TEST_PG_HOST:-}" ]]; then
  echo "cannot run: no PostgreSQL configured (MLMD_TEST_PG_HOST unset; scripts/pg-cluster.sh start DIR prints the variables)"
  exit 77
fi
exec "$@"
