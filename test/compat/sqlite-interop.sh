#!/usr/bin/env bash
# Compat suite "sqlite-interop": the same SQLite file works for ml-metadata's in-process store and for our server,
# in both directions (test/compat/test_sqlite_interop.py).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$COMPAT_ROOT"
[[ -x "$VENV_PY" ]] || compat_skip ".venv missing (run scripts/setup-test-env.sh)"
if [[ -z "${MLMD_SERVER_CMD:-}" && ! -f src/cli/main.ts ]]; then compat_skip "src/cli/main.ts does not exist (yet)"; fi
TMP="$(mktemp -d "${TMPDIR:-/tmp}/compat-interop.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && timeout 900 "$VENV_PY" -m pytest -p no:cacheprovider -q -rfE --timeout=180 --rootdir="$COMPAT_ROOT/test/compat" \
  --junitxml="$TMP/interop.xml" "$COMPAT_ROOT/test/compat/test_sqlite_interop.py" ${INTEROP_PYTEST_ARGS:-}) | tail -n 40
if [[ ! -s "$TMP/interop.xml" ]]; then echo "pytest produced no JUnit file"; echo "0 passed, 1 failed"; exit 1; fi
"$VENV_PY" test/compat/junit_tool.py count "$TMP/interop.xml"
