#!/usr/bin/env bash
# Runs a MySQL/MariaDB suite: `mysql-suite.sh CMD...` execs CMD when a MySQL server is configured
# (MLMD_TEST_MYSQL_HOST/PORT/USER/PASSWORD, see scripts/mariadb-cluster.sh), otherwise exits 77 ("cannot run"),
# which scripts/test-all.sh counts as a failure under CI=true and as a skip elsewhere.
set -euo pipefail
if [[ -z "${MLMD_TEST_MYSQL_HOST:-}" ]]; then
  echo "cannot run: no MySQL/MariaDB configured (MLMD_TEST_MYSQL_HOST unset; scripts/mariadb-cluster.sh start DIR prints the variables)"
  exit 77
fi
exec "$@"
