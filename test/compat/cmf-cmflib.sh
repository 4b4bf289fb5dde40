#!/usr/bin/env bash
# Compat suite "cmf-cmflib": record compatibility with cmflib itself.
# One small pipeline (3 stages; datasets incl. a directory with a label, a model, execution metrics, step metrics,
# a dataslice) runs once through PyPI cmflib on its own SQLite `mlmd` (cmf_pipeline_cmflib.py) and once through our
# TypeScript SDK against our server (cmf-pipeline-sdk.ts); cmf_compat_compare.py compares the normalised stores,
# the Parquet files as pandas reads them, and CmfQuery's public methods opened on both files; then our CmfService
# serving each file answers as CmfQuery does on that same file (dumptojson included, without normalisation).
# cmflib 0.1.0 pins ml-metadata==1.15.0, which has no wheel for this Python: it is installed here with --no-deps
# beside ml-metadata 1.17.1 (its other runtime needs are in scripts/test-requirements.txt).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$COMPAT_ROOT"
[[ -x "$VENV_PY" ]] || compat_skip ".venv missing (run scripts/setup-test-env.sh)"
VENV_BIN="$(dirname "$VENV_PY")"
[[ -x "$VENV_BIN/dvc" ]] || compat_skip "dvc missing from .venv (run scripts/setup-test-env.sh)"
command -v git >/dev/null || compat_skip "git is not installed"
if ! "$VENV_PY" -c 'import cmflib' 2>/dev/null; then
  "$VENV_PY" -m pip install --quiet --disable-pip-version-check --no-input --no-deps cmflib==0.1.0 \
    || compat_skip "pip install --no-deps cmflib==0.1.0 failed"
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/compat-cmf.XXXXXX")"
[[ -n "${KEEP_TMP:-}" ]] || trap 'rm -rf "$TMP"' EXIT
REMOTE="$TMP/dvc-remote"
mkdir -p "$REMOTE"
export PATH="$VENV_BIN:$PATH" DVC_NO_ANALYTICS=1 GIT_AUTHOR_NAME=compat GIT_AUTHOR_EMAIL=compat@example.com \
  GIT_COMMITTER_NAME=compat GIT_COMMITTER_EMAIL=compat@example.com
unset CONDA_PREFIX

make_project() { # DIR: identical inputs, a git repo with a remote, DVC with a default local remote
  local d="$1"
  mkdir -p "$d/data/raw/a" "$d/data/raw/b" "$d/model"
  printf '<a>1</a>\n' > "$d/data/raw/a/1.xml"
  printf '<b>2</b>\n' > "$d/data/raw/b/2.xml"
  printf 'x,y\n1,2\n' > "$d/data/train.csv"
  printf 'x,y\n3,4\n' > "$d/data/test.csv"
  printf 'id,label\n1,0\n2,1\n' > "$d/data/labels.csv"
  printf 'pickled model bytes\n' > "$d/model/rf.pkl"
  ( cd "$d" && git init -q -b master && git remote add origin https://example.com/compat.git \
    && dvc init -q && dvc remote add -q -d local-storage "$REMOTE" && git add .dvc .dvcignore && git commit -q -m init ) \
    || return 1
}

fail() { echo "$*"; echo "0 passed, 1 failed"; exit 1; }
make_project "$TMP/cmflib" || fail "could not prepare the cmflib project"
make_project "$TMP/ours" || fail "could not prepare our project"
"$VENV_BIN/pip" freeze > "$TMP/env.txt"

echo "--- cmflib run"
( cd "$TMP/cmflib" && "$VENV_PY" "$COMPAT_ROOT/test/compat/cmf_pipeline_cmflib.py" ) > "$TMP/cmflib.log" 2>&1 \
  || { tail -n 40 "$TMP/cmflib.log"; fail "cmflib run failed"; }
echo "--- SDK run"
node --import tsx test/compat/cmf-pipeline-sdk.ts "$TMP/ours" "$TMP/env.txt" || fail "SDK run failed"
echo "--- our CmfService queries on both files"
cp "$TMP/cmflib/mlmd" "$TMP/cmflib/mlmd-copy"   # served by our server; CmfQuery reads the original
node --import tsx test/compat/cmf-pipeline-sdk.ts --query "$TMP/cmflib/mlmd-copy" > "$TMP/ours-on-cmflib.json" || fail "query run failed"
cp "$TMP/ours/mlmd" "$TMP/ours/mlmd-copy"
node --import tsx test/compat/cmf-pipeline-sdk.ts --query "$TMP/ours/mlmd-copy" > "$TMP/ours-on-ours.json" || fail "query run failed"
echo "--- compare"
"$VENV_PY" test/compat/cmf_compat_compare.py "$TMP/cmflib" "$TMP/ours" "$TMP/ours-on-cmflib.json" "$TMP/ours-on-ours.json"
