#!/usr/bin/env bash
# Compat suite "sqlite-interop": the same SQLite file works for ml-metadata's in-process store and for our server,
# in both directions (test/compat/test_sqlite_interop.py). INTEROP_PYTEST_ARGS adds pytest arguments.
# shellcheck disable=SC2086
exec bash "$(dirname "${BASH_SOURCE[0]}")/pytest-suite.sh" "$(dirname "${BASH_SOURCE[0]}")/test_sqlite_interop.py" ${INTEROP_PYTEST_ARGS:-}
