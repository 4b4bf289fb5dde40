#!/usr/bin/env bash
# Shows conformance progress: runs ml-metadata's metadata_store_test.py in gRPC mode against our server and
# prints every failing test with the first line of its error, then the counts. Never fails on test failures.
# Extra pytest arguments can be given in UPSTREAM_PYTEST_ARGS (e.g. UPSTREAM_PYTEST_ARGS="-k context").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup-test-env.sh"
exec bash "$ROOT/test/compat/upstream.sh" --report
