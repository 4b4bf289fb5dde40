#!/usr/bin/env bash
# Prepares what the compat suites need, inside the repository (nothing global):
#   .venv/          Python 3.9-3.11 venv with the pinned packages of scripts/test-requirements.txt
#                   (ml-metadata 1.17.1 + pytest)
#   .tools/grpcurl  built from the Go module proxy with `go install`
# Idempotent and quiet: a second run only checks stamps. Fails loudly (non-zero, message on stderr) when
# something cannot be had. Set PYTHON=/path/to/python3.x to choose the interpreter.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

GRPCURL_VERSION="v1.9.3"
REQS="scripts/test-requirements.txt"
VENV="$ROOT/.venv"
TOOLS="$ROOT/.tools"

DID=""
die() { echo "setup-test-env: ERROR: $*" >&2; exit 1; }
log() { [[ -n "${SETUP_QUIET:-}" ]] || echo "setup-test-env: $*" >&2; }

# ---------------------------------------------------------------- system packages (root on Debian only)
bash "$ROOT/scripts/install-system-deps.sh"

# ---------------------------------------------------------------- Python venv
pick_python() {
  local c
  if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
  for c in python3.11 python3.10 python3.9 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if (3,9) <= sys.version_info[:2] <= (3,11) else 1)' 2>/dev/null; then
      command -v "$c"; return
    fi
  done
  return 1
}

stamp_of() { { cat "$REQS"; "$VENV/bin/python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1; }

venv_ok() {
  [[ -x "$VENV/bin/python" ]] || return 1
  [[ -f "$VENV/.reqs-stamp" ]] || return 1
  [[ "$(cat "$VENV/.reqs-stamp")" == "$(stamp_of)" ]] || return 1
  "$VENV/bin/python" -c 'import ml_metadata, pytest, absl' >/dev/null 2>&1 || return 1
}

if ! venv_ok; then
  PY="$(pick_python)" || die "no Python 3.9-3.11 interpreter found (ml-metadata 1.17.1 ships wheels only for CPython 3.9-3.11); set PYTHON=..."
  DID=1
  log "creating $VENV with $PY ($("$PY" --version 2>&1))"
  if [[ -x "$VENV/bin/python" ]] && ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if (3,9) <= sys.version_info[:2] <= (3,11) else 1)' 2>/dev/null; then
    rm -rf "$VENV"
  fi
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV" || die "python -m venv failed (on Debian: apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQS" \
    || die "pip install -r $REQS failed"
  "$VENV/bin/python" -c 'import ml_metadata, pytest, absl; from ml_metadata.proto import metadata_store_pb2' \
    || die "installed packages do not import"
  stamp_of > "$VENV/.reqs-stamp"
fi

# ---------------------------------------------------------------- cmflib 0.1.0, its CLI and its cmf-server
# cmflib pins ml-metadata==1.15.0 (no wheel for this Python): installed --no-deps beside 1.17.1, with what its CLI
# and bundled server import pinned in test-requirements-cmf.txt. Own stamp, so the venv above is not rebuilt.
CMF_REQS="scripts/test-requirements-cmf.txt"
CMFLIB_VERSION="0.1.0"
cmf_stamp_of() { { cat "$CMF_REQS"; echo "cmflib==$CMFLIB_VERSION"; cat "$VENV/.reqs-stamp"; } | sha256sum | cut -d' ' -f1; }
cmf_ok() {
  [[ -f "$VENV/.cmf-stamp" && "$(cat "$VENV/.cmf-stamp")" == "$(cmf_stamp_of)" ]] || return 1
  "$VENV/bin/python" -c 'import cmflib, fastapi, uvicorn, asyncpg, minio, scitokens; from server.app import utils' >/dev/null 2>&1
}
if ! cmf_ok; then
  DID=1
  log "installing cmflib $CMFLIB_VERSION (--no-deps), its CLI's and its cmf-server's requirements"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$CMF_REQS" \
    || die "pip install -r $CMF_REQS failed"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --no-deps "cmflib==$CMFLIB_VERSION" \
    || die "pip install --no-deps cmflib==$CMFLIB_VERSION failed"
  "$VENV/bin/cmf" --help >/dev/null || die "the cmf CLI does not start"
  cmf_stamp_of > "$VENV/.cmf-stamp"
fi

MLMD_TEST="$("$VENV/bin/python" -c 'import os, ml_metadata.metadata_store as m; print(os.path.join(os.path.dirname(m.__file__), "metadata_store_test.py"))')"
[[ -f "$MLMD_TEST" ]] || die "the ml-metadata wheel has no $MLMD_TEST"

# ---------------------------------------------------------------- grpcurl
GO="$(command -v go || { [[ -x /usr/local/go/bin/go ]] && echo /usr/local/go/bin/go; } || true)"
# `go install` leaves grpcurl's own -version at "dev build"; the module version is in the build info.
grpcurl_ok() {
  [[ -x "$TOOLS/grpcurl" ]] || return 1
  if [[ -n "$GO" ]]; then
    "$GO" version -m "$TOOLS/grpcurl" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/fullstorydev/grpcurl[[:space:]]+$GRPCURL_VERSION([[:space:]]|$)"
  else
    "$TOOLS/grpcurl" -version >/dev/null 2>&1
  fi
}
if ! grpcurl_ok; then
  [[ -n "$GO" ]] || die "go is not installed (needed to build grpcurl)"
  mkdir -p "$TOOLS"
  DID=1
  log "building grpcurl $GRPCURL_VERSION into $TOOLS (go install, about a minute)"
  GOBIN="$TOOLS" GOFLAGS=-buildvcs=false "$GO" install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION" \
    || die "go install grpcurl@$GRPCURL_VERSION failed"
  grpcurl_ok || die "$TOOLS/grpcurl does not report version $GRPCURL_VERSION"
fi

[[ -z "${DID:-}" ]] || log "ready: $("$VENV/bin/python" --version 2>&1), ml-metadata $("$VENV/bin/python" -c 'import ml_metadata; print(ml_metadata.__version__)'), grpcurl $GRPCURL_VERSION"
