#!/usr/bin/env bash
# Runs one of our Python compat test files (test/compat/test_*.py) with the .venv's pytest against our server,
# and ends with "N passed, M failed" from the JUnit report.  Usage: pytest-suite.sh FILE [extra pytest args...]
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$COMPAT_ROOT"
FILE="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; shift
[[ -x "$VENV_PY" ]] || compat_skip ".venv missing (run scripts/setup-test-env.sh)"
if [[ -z "${MLMD_SERVER_CMD:-}" && ! -f src/cli/main.ts ]]; then compat_skip "src/cli/main.ts does not exist (yet)"; fi
TMP="$(mktemp -d "${TMPDIR:-/tmp}/compat-pytest.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && timeout 800 "$VENV_PY" -m pytest -p no:cacheprovider -q -rfE --timeout=180 --rootdir="$COMPAT_ROOT/test/compat" \
  --junitxml="$TMP/junit.xml" "$FILE" "$@") | tail -n 60
if [[ ! -s "$TMP/junit.xml" ]]; then echo "pytest produced no JUnit file"; echo "0 passed, 1 failed"; exit 1; fi
"$VENV_PY" test/compat/junit_tool.py count "$TMP/junit.xml"
