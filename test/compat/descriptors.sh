#!/usr/bin/env bash
# Compat suite "descriptors": the descriptors buf compiles from proto/ equal the ones in the ml-metadata wheel.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$COMPAT_ROOT"
[[ -x "$VENV_PY" ]] || compat_skip ".venv missing (run scripts/setup-test-env.sh)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/compat-descriptors.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
if ! npx --no-install buf build -o "$TMP/img.binpb"; then
  echo "buf build failed"; echo "0 passed, 1 failed"; exit 1
fi
if "$VENV_PY" test/compat/compare_descriptors.py "$TMP/img.binpb"; then
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"; exit 1
fi
