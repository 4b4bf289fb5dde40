#!/usr/bin/env bash
# Compat suite "cmf-server-peer": cmflib 0.1.0's own cmf-server (FastAPI, on a PostgreSQL database of the cluster
# named by MLMD_TEST_PG_*) side by side with ours, both driven by the real `cmf` CLI.
#   1. one cmflib pipeline pushed to both with `cmf metadata push`: their pulls agree (normalised: ids, times and the
#      servers' own execution ids in Model/Metrics names aside), as do the files they keep and their UI's lineage;
#   2. `cmf metadata pull` from each into an empty checkout: CmfQuery answers the same on both pulled files;
#   3. a pipeline pushed only to ours and one pushed only to theirs; each server registers the other
#      (register-server, acknowledge) and syncs from it (sync): both end with all three pipelines, and the pulls
#      agree; a new execution on theirs reaches ours with the next (incremental) sync.
# cmf-server refuses to register a peer on 127.0.0.1 or localhost (its "own details"), so ours listens on 127.0.0.2.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/cmf-server-lib.sh"
cd "$COMPAT_ROOT"
require_cmf_cli
[[ -n "${MLMD_TEST_PG_HOST:-}" ]] || compat_skip "no PostgreSQL configured (MLMD_TEST_PG_HOST unset; scripts/pg-cluster.sh)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/cmf-server-peer.XXXXXX")"
OURS_PID=""
THEIRS_PID=""
THEIRS_DB="cmf_server_peer_$$_$RANDOM"
cleanup() {
  stop_pid "$OURS_PID"
  if [[ -n "$THEIRS_PID" ]]; then
    # uvicorn waits for running requests; a sync stuck on a peer must not hold the suite.
    kill -TERM "$THEIRS_PID" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$THEIRS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$THEIRS_PID" 2>/dev/null || true
    wait "$THEIRS_PID" 2>/dev/null || true
  fi
  PGPASSWORD="${MLMD_TEST_PG_PASSWORD:-}" psql -q -h "$MLMD_TEST_PG_HOST" -p "${MLMD_TEST_PG_PORT:-5432}" \
    -U "${MLMD_TEST_PG_USER:-postgres}" -d postgres -c "DROP DATABASE IF EXISTS \"$THEIRS_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  [[ -n "${KEEP_TMP:-}" ]] || rm -rf "$TMP"
}
trap cleanup EXIT
cmf_env
CHECK="$VENV_PY $COMPAT_ROOT/test/compat/cmf_server_check.py"

# ---------------------------------------------------------------- the two servers
THEIRS_PORT="$(free_port)"
bash test/compat/upstream-cmf-server.sh "$TMP/theirs" 127.0.0.1 "$THEIRS_PORT" "$THEIRS_DB" > "$TMP/theirs.log" 2>&1 &
THEIRS_PID=$!
THEIRS="http://127.0.0.1:$THEIRS_PORT"
start_cmf_server OURS "$TMP/ours.db" 127.0.0.2 || { fail "our server starts"; finish_checks; exit 1; }
OURS="http://$OURS_HTTP"
for ((i = 0; i < 1200; i++)); do
  curl -sf "$THEIRS/api/" >/dev/null 2>&1 && break
  if ! kill -0 "$THEIRS_PID" 2>/dev/null; then
    wait "$THEIRS_PID"; rc=$?
    tail -n 20 "$TMP/theirs.log"
    [[ $rc -eq 77 ]] && exit 77
    fail "cmf-server starts"; finish_checks; exit 1
  fi
  sleep 0.1
done
curl -sf "$THEIRS/api/" >/dev/null || { tail -n 20 "$TMP/theirs.log"; fail "cmf-server answers within 120 s"; finish_checks; exit 1; }
echo "cmf-server (cmflib 0.1.0): $THEIRS; ours: $OURS (gRPC $OURS_GRPC)"

# push_to URL DIR PIPELINE [ARGS]: `cmf metadata push` from DIR to the server at URL (CONFIG_FILE picks the URL).
push_to() {
  local url="$1" dir="$2" pipe="$3"; shift 3
  printf '[cmf]\nserver-url = %s\n' "$url" > "$dir/.cmfconfig-$(echo "$url" | md5sum | cut -c1-8)"
  (cd "$dir" && CONFIG_FILE=".cmfconfig-$(echo "$url" | md5sum | cut -c1-8)" cmf metadata push -p "$pipe" "$@")
}
pull_json() { curl -sf -X POST -H 'content-type: application/json' -d "{\"pipeline_name\": \"$2\"}" "$1/api/mlmd_pull"; }

# ---------------------------------------------------------------- 1. the same push to both
echo "--- [${SECONDS}s] one pipeline pushed to both servers"
make_project "$TMP/shared" "$OURS" || { fail "cmf init local"; finish_checks; exit 1; }
(cd "$TMP/shared" && "$VENV_PY" "$COMPAT_ROOT/test/compat/cmf_server_pipeline.py" shared) > "$TMP/shared.log" 2>&1 \
  || { tail -n 30 "$TMP/shared.log"; fail "cmflib logs the pipeline"; finish_checks; exit 1; }
expect_output "cmf metadata push to ours" 'successfully pushed' push_to "$OURS" "$TMP/shared" shared
expect_output "cmf metadata push to cmf-server" 'successfully pushed' push_to "$THEIRS" "$TMP/shared" shared
expect_output "a second push to ours: already exists" 'already exists' push_to "$OURS" "$TMP/shared" shared
expect_output "a second push to cmf-server: already exists" 'already exists' push_to "$THEIRS" "$TMP/shared" shared
pull_json "$OURS" shared > "$TMP/ours-shared.json"
pull_json "$THEIRS" shared > "$TMP/theirs-shared.json"
python_checks "pulls agree" $CHECK documents "$TMP/ours-shared.json" "$TMP/theirs-shared.json"
for f in env labels; do
  expect "the $f files agree" diff -r "$TMP/OURS-data/$f" "$TMP/theirs/cmf-server/data/$f"
done
expect "the artifact lineage views agree" bash -c \
  "cmp <(curl -sf '$OURS/api/artifact-lineage/tangled-tree/shared') <(curl -sf '$THEIRS/api/artifact-lineage/tangled-tree/shared')"
expect "the artifact-execution lineage views agree" bash -c \
  "cmp <(curl -sf '$OURS/api/artifact-execution-lineage/tangled-tree/shared') <(curl -sf '$THEIRS/api/artifact-execution-lineage/tangled-tree/shared')"
# cmf-server lists stages in the order PostgreSQL returns them (no ORDER BY): compared as sets.
expect "the list-of-executions views agree (as sets)" bash -c \
  "cmp <(curl -sf '$OURS/api/list-of-executions/shared' | $VENV_PY -c 'import json,sys; print(sorted(json.load(sys.stdin)))') \
       <(curl -sf '$THEIRS/api/list-of-executions/shared' | $VENV_PY -c 'import json,sys; print(sorted(json.load(sys.stdin)))')"
expect "the artifact types agree" bash -c \
  "cmp <(curl -sf '$OURS/api/artifact_types' | $VENV_PY -c 'import json,sys; print(sorted(json.load(sys.stdin)))') \
       <(curl -sf '$THEIRS/api/artifact_types' | $VENV_PY -c 'import json,sys; print(sorted(json.load(sys.stdin)))')"

echo "--- [${SECONDS}s] cmf metadata pull from each"
empty_project "$TMP/from-ours" "$OURS" && empty_project "$TMP/from-theirs" "$THEIRS" || fail "cmf init local (pull targets)"
expect_output "cmf metadata pull from ours" 'successfully pulled' bash -c "cd '$TMP/from-ours' && cmf metadata pull -p shared"
expect_output "cmf metadata pull from cmf-server" 'successfully pulled' bash -c "cd '$TMP/from-theirs' && cmf metadata pull -p shared"
python_checks "CmfQuery on both pulled files" $CHECK queries --a "$TMP/from-theirs/mlmd" --b "$TMP/from-ours/mlmd" --pipeline shared

# ---------------------------------------------------------------- 3. sync both ways
echo "--- [${SECONDS}s] sync in both directions"
make_project "$TMP/mine" "$OURS" && (cd "$TMP/mine" && "$VENV_PY" "$COMPAT_ROOT/test/compat/cmf_server_pipeline.py" ours-only) > "$TMP/mine.log" 2>&1 \
  || { tail -n 30 "$TMP/mine.log"; fail "cmflib logs ours-only"; }
make_project "$TMP/theirs-proj" "$THEIRS" && (cd "$TMP/theirs-proj" && "$VENV_PY" "$COMPAT_ROOT/test/compat/cmf_server_pipeline.py" theirs-only) > "$TMP/theirs-proj.log" 2>&1 \
  || { tail -n 30 "$TMP/theirs-proj.log"; fail "cmflib logs theirs-only"; }
expect_output "push ours-only to ours" 'successfully pushed' push_to "$OURS" "$TMP/mine" ours-only
expect_output "push theirs-only to cmf-server" 'successfully pushed' push_to "$THEIRS" "$TMP/theirs-proj" theirs-only

post() { curl -s -X POST -H 'content-type: application/json' -d "$2" "$1"; }
expect_output "ours registers cmf-server" 'registered successfully' \
  post "$OURS/api/register-server" "{\"server_name\": \"theirs\", \"server_url\": \"$THEIRS\"}"
expect_output "cmf-server registers ours" 'registered successfully' \
  post "$THEIRS/api/register-server" "{\"server_name\": \"ours\", \"server_url\": \"$OURS\"}"
expect_output "both list each other" "\"host_info\":\"$THEIRS\"" curl -sf "$OURS/api/server-list"
expect_output "... on cmf-server too" "\"host_info\": ?\"$OURS\"" curl -sf "$THEIRS/api/server-list"
expect_output "ours syncs from cmf-server" '"status":"success"' \
  post "$OURS/api/sync" "{\"server_name\": \"theirs\", \"server_url\": \"$THEIRS\"}"
# cmf-server answers the status of the LAST pipeline it merged ("exists" when that one was present already); the
# pulls below check what arrived.
expect_output "cmf-server syncs from ours" '"status": ?"(success|exists)"' \
  post "$THEIRS/api/sync" "{\"server_name\": \"ours\", \"server_url\": \"$OURS\"}"
for p in shared ours-only theirs-only; do
  pull_json "$OURS" "$p" > "$TMP/ours-$p.json"
  pull_json "$THEIRS" "$p" > "$TMP/theirs-$p.json"
  # A synced record's push time is the sending server's create time (cmf-server's merge rewrites it on every hop);
  # the three projects share their data files, so artifacts (and their url lists) are shared across pipelines.
  python_checks "$p agrees after the syncs" $CHECK documents "$TMP/ours-$p.json" "$TMP/theirs-$p.json" --without-push-time --url-sets
done
expect "cmf-server's env files reached ours" bash -c "ls '$TMP/theirs/cmf-server/data/env/' | while read f; do test -f '$TMP/OURS-data/env/'\$f || exit 1; done"

echo "--- [${SECONDS}s] an incremental sync"
new_uuid="$(cd "$TMP/theirs-proj" && "$VENV_PY" "$COMPAT_ROOT/test/compat/cmf_server_pipeline.py" theirs-only --extra 2>>"$TMP/theirs-proj.log" | tail -n 1)"
expect_output "push one more execution to cmf-server" 'successfully pushed' push_to "$THEIRS" "$TMP/theirs-proj" theirs-only -e "$new_uuid"
expect_output "ours syncs again" '"status":"success"' \
  post "$OURS/api/sync" "{\"server_name\": \"theirs\", \"server_url\": \"$THEIRS\"}"
expect_output "the new execution reached ours" "$new_uuid" bash -c "curl -sf -X POST -H 'content-type: application/json' -d '{\"pipeline_name\": \"theirs-only\"}' '$OURS/api/mlmd_pull'"
pull_json "$OURS" theirs-only > "$TMP/ours-theirs-only.json"
pull_json "$THEIRS" theirs-only > "$TMP/theirs-theirs-only.json"
python_checks "theirs-only agrees after the incremental sync" $CHECK documents "$TMP/ours-theirs-only.json" "$TMP/theirs-theirs-only.json" --without-push-time --url-sets
expect_output "a sync with nothing new" 'Nothing to sync' \
  post "$OURS/api/sync" "{\"server_name\": \"theirs\", \"server_url\": \"$THEIRS\"}"

finish_checks
