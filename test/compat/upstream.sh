#!/usr/bin/env bash
# Compat suite "upstream": ml-metadata's own metadata_store_test.py (from the installed 1.17.1 wheel, not copied
# into this repository) run with pytest in gRPC mode against our server on a fresh SQLite file.
# Passes iff exactly the tests listed in test/compat/upstream-expected-failures.txt fail.
#   upstream.sh            check against the expectation file; last line "N passed, M failed"
#   upstream.sh --report   print every failing test with its first error line (scripts/upstream-report.sh)
# Env: UPSTREAM_PYTEST_ARGS extra pytest args (e.g. "-k artifact_type"); KEEP_TMP=1 keeps the temp dir;
#      UPSTREAM_TARGET_PORT=N runs against a server already listening on 127.0.0.1:N on a fresh store (the image
#      suite's container) instead of starting one.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$COMPAT_ROOT"

MODE="${1:-check}"
[[ -x "$VENV_PY" ]] || compat_skip ".venv missing (run scripts/setup-test-env.sh)"
TEST_FILE="$(upstream_test_file)" || compat_skip "ml_metadata is not installed in .venv"
[[ -f "$TEST_FILE" ]] || compat_skip "$TEST_FILE missing"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/compat-upstream.XXXXXX")"
cleanup() { stop_server; [[ -n "${KEEP_TMP:-}" ]] && echo "kept $TMP" >&2 || rm -rf "$TMP"; }
trap cleanup EXIT

if [[ -n "${UPSTREAM_TARGET_PORT:-}" ]]; then
  SERVER_PORT="$UPSTREAM_TARGET_PORT"; SERVER_PID=""
  echo "upstream: the server already listening on 127.0.0.1:$SERVER_PORT (UPSTREAM_TARGET_PORT); running $(basename "$TEST_FILE")"
else
  start_server "$TMP/mlmd.db" "$TMP/server.log" || compat_skip "our server could not be started"
  echo "upstream: server pid $SERVER_PID on 127.0.0.1:$SERVER_PORT; running $(basename "$TEST_FILE") (ml-metadata $("$VENV_PY" -c 'import ml_metadata; print(ml_metadata.__version__)'))"
fi

# The wheel's conftest.py (next to the test file) defines --use_grpc_backend/--grpc_host/--grpc_port; it is an
# initial conftest because the test file is given by path. Run from the temp dir with the cache off so nothing is
# written into site-packages or the repo. --timeout guards against a hanging RPC (the client sets no deadline).
# shellcheck disable=SC2086
(cd "$TMP" && timeout 1100 "$VENV_PY" -m pytest -p no:cacheprovider -q -rN --timeout=120 \
  --rootdir="$TMP" --junitxml="$TMP/upstream.xml" \
  "$TEST_FILE" --use_grpc_backend --grpc_host=127.0.0.1 --grpc_port="$SERVER_PORT" ${UPSTREAM_PYTEST_ARGS:-} \
  >"$TMP/pytest.log" 2>&1)
PYTEST_RC=$?
tail -n 1 "$TMP/pytest.log"
if [[ ! -s "$TMP/upstream.xml" ]]; then
  echo "pytest produced no JUnit file (exit $PYTEST_RC); its output:"; tail -n 40 "$TMP/pytest.log"
  echo "0 passed, 1 failed"; exit 1
fi
if [[ -n "$SERVER_PID" ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "WARNING: the server died during the run; last lines of its log:"; tail -n 20 "$TMP/server.log"
fi

if [[ "$MODE" == "--report" ]]; then
  "$VENV_PY" test/compat/junit_tool.py report "$TMP/upstream.xml"
  exit 0
fi
"$VENV_PY" test/compat/junit_tool.py check "$TMP/upstream.xml" test/compat/upstream-expected-failures.txt
