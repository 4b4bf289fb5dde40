#!/usr/bin/env bash
# Compat suite "cmf-server-cli": the real `cmf` CLI of PyPI cmflib 0.1.0 against our server as its cmf-server.
#   1. `cmf init local --cmf-server-url http://<our HTTP listener>`, a pipeline logged with cmflib
#      (cmf_server_pipeline.py: stages, executions, datasets, a labelled directory, a dataslice, step and execution
#      metrics, a model, the Python env file), `cmf metadata push`;
#   2. the records on our server, read through ml-metadata's gRPC client, are exactly the local ones
#      (cmf_server_check.py records), CmfService (through grpcurl and reflection) exports them, the env and label
#      files are in our data directory;
#   3. the same push again (with `-t` TensorBoard logs): "already exists", no record changes, the logs stored;
#      a store whose execution lacks Execution_uuid (an older cmflib): the CLI's "update cmf" error, nothing written;
#   4. a new execution pushed alone with `-e <uuid>`: exactly one more execution;
#   5. `cmf metadata pull` into an empty checkout: CmfQuery answers on the pulled file as on the original
#      (cmf_server_check.py queries); `-e` pulls one execution;
#   6. the same CLI given a tenant's URL (`/t/team-a`): push and pull stay in that tenant.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/cmf-server-lib.sh"
cd "$COMPAT_ROOT"
require_cmf_cli
[[ -x "$GRPCURL" ]] || compat_skip "grpcurl missing (run scripts/setup-test-env.sh)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/cmf-server-cli.XXXXXX")"
OURS_PID=""
cleanup() { stop_pid "$OURS_PID"; [[ -n "${KEEP_TMP:-}" ]] || rm -rf "$TMP"; }
trap cleanup EXIT
cmf_env
CHECK="$VENV_PY $COMPAT_ROOT/test/compat/cmf_server_check.py"
PIPE=cli-pipe

start_cmf_server OURS "$TMP/ours.db" 127.0.0.1 --tenants=team-a,team-b || { fail "our server starts"; finish_checks; exit 1; }
URL="http://$OURS_HTTP"
echo "our server: gRPC $OURS_GRPC, HTTP $URL"

echo "--- [${SECONDS}s] a pipeline logged with cmflib, pushed with the cmf CLI"
make_project "$TMP/proj" "$URL" || { fail "cmf init local"; finish_checks; exit 1; }
(cd "$TMP/proj" && "$VENV_PY" "$COMPAT_ROOT/test/compat/cmf_server_pipeline.py" "$PIPE") > "$TMP/pipeline.log" 2>&1 \
  || { tail -n 30 "$TMP/pipeline.log"; fail "cmflib logs the pipeline"; finish_checks; exit 1; }
expect_output "cmf metadata push" 'successfully pushed' bash -c "cd '$TMP/proj' && cmf metadata push -p $PIPE"
python_checks "records" $CHECK records --mlmd "$TMP/proj/mlmd" --grpc "$OURS_GRPC" --pipeline "$PIPE"

echo "--- [${SECONDS}s] CmfService and the data directory"
expect_output "CmfService/GetPipelineNames lists the pipeline" "\"$PIPE\"" \
  "$GRPCURL" -plaintext -d '{}' "$OURS_GRPC" cmf.v1.CmfService/GetPipelineNames
"$GRPCURL" -plaintext -d "{\"pipeline_name\": \"$PIPE\"}" "$OURS_GRPC" cmf.v1.CmfService/ExportMetadata \
  | "$VENV_PY" -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["json"])' > "$TMP/grpc-export.json"
curl -sf -X POST -H 'content-type: application/json' -d "{\"pipeline_name\": \"$PIPE\"}" "$URL/api/mlmd_pull" > "$TMP/http-pull.json"
expect "the HTTP pull answers what CmfService/ExportMetadata exports" cmp "$TMP/grpc-export.json" "$TMP/http-pull.json"
(cd "$TMP/proj" && cmf metadata export -p "$PIPE" -j "$TMP/local.json") > /dev/null 2>&1
python_checks "pull = local (normalised)" $CHECK documents "$TMP/local.json" "$TMP/http-pull.json" --without-push-time
env_file="$(ls "$TMP/proj/cmf_artifacts/" | grep -E '^python_env_.*\.txt$' | head -n 1)"
expect "the Python env file was uploaded" cmp "$TMP/proj/cmf_artifacts/$env_file" "$TMP/OURS-data/env/$env_file"
label_md5="$(md5sum "$TMP/proj/data/labels.csv" | cut -d' ' -f1)"
expect "the label file was uploaded under its md5" cmp "$TMP/proj/data/labels.csv" "$TMP/OURS-data/labels/$label_md5"
expect_output "GET /api/python-env serves it" 'ml-metadata|cmflib|pandas' curl -sf "$URL/api/python-env?file_name=$env_file"

echo "--- [${SECONDS}s] the same push again, with TensorBoard logs"
mkdir -p "$TMP/proj/tb/run1"
printf 'event-bytes-1' > "$TMP/proj/tb/run1/events.out.tfevents.1"
printf 'event-bytes-2' > "$TMP/proj/tb/events.out.tfevents.2"
before="$($CHECK snapshot --grpc "$OURS_GRPC")"
expect_output "a second push answers 'already exists'" 'already exists' bash -c "cd '$TMP/proj' && cmf metadata push -p $PIPE -t tb"
after="$($CHECK snapshot --grpc "$OURS_GRPC")"
if [[ "$before" == "$after" ]]; then pass "the second push changed no record ($(head -n 1 <<<"$after"))"
else fail "the second push changed records: $before -> $after"; fi
expect "the TensorBoard logs were uploaded under their relative paths" bash -c \
  "cmp '$TMP/proj/tb/run1/events.out.tfevents.1' '$TMP/OURS-data/tensorboard-logs/$PIPE/run1/events.out.tfevents.1' &&
   cmp '$TMP/proj/tb/events.out.tfevents.2' '$TMP/OURS-data/tensorboard-logs/$PIPE/events.out.tfevents.2'"

echo "--- [${SECONDS}s] a store from a cmflib without Execution_uuid"
cp "$TMP/proj/mlmd" "$TMP/proj/old-mlmd"
"$VENV_PY" -c "
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
c = pb.ConnectionConfig(); c.sqlite.filename_uri = '$TMP/proj/old-mlmd'
store = metadata_store.MetadataStore(c)
x = [e for e in store.get_executions() if not e.name][0]
del x.properties['Execution_uuid']
store.put_executions([x])"
expect_output "cmf metadata push answers the CLI's 'update cmf' error (version_update)" 'update cmf to the latest version' \
  bash -c "cd '$TMP/proj' && cmf metadata push -p $PIPE -f old-mlmd; true"
if [[ "$($CHECK snapshot --grpc "$OURS_GRPC")" == "$after" ]]; then pass "and wrote nothing"; else fail "the refused push wrote records"; fi

echo "--- [${SECONDS}s] one new execution, pushed alone with -e"
new_uuid="$(cd "$TMP/proj" && "$VENV_PY" "$COMPAT_ROOT/test/compat/cmf_server_pipeline.py" "$PIPE" --extra 2>>"$TMP/pipeline.log" | tail -n 1)"
if [[ "$new_uuid" =~ ^[0-9a-f-]{36}$ ]]; then pass "cmflib logs one more execution ($new_uuid)"; else fail "no new execution uuid: $new_uuid"; fi
expect_output "cmf metadata push -e" 'successfully pushed' bash -c "cd '$TMP/proj' && cmf metadata push -p $PIPE -e $new_uuid"
count() { head -n 1 <<<"$1" | sed -E 's/.* ([0-9]+) executions.*/\1/'; }
after_e="$($CHECK snapshot --grpc "$OURS_GRPC")"
if [[ $(($(count "$after_e") - $(count "$after"))) -eq 1 ]]; then pass "exactly one execution was added"
else fail "executions before/after -e: $(count "$after") / $(count "$after_e")"; fi
python_checks "records after -e" $CHECK records --mlmd "$TMP/proj/mlmd" --grpc "$OURS_GRPC" --pipeline "$PIPE"

echo "--- [${SECONDS}s] pull into an empty checkout"
empty_project "$TMP/pulled" "$URL" || fail "cmf init local (pull target)"
expect_output "cmf metadata pull" 'successfully pulled' bash -c "cd '$TMP/pulled' && cmf metadata pull -p $PIPE"
python_checks "CmfQuery on the pulled file" $CHECK queries --a "$TMP/proj/mlmd" --b "$TMP/pulled/mlmd" --pipeline "$PIPE"
empty_project "$TMP/pulled-one" "$URL" || fail "cmf init local (second pull target)"
expect_output "cmf metadata pull -e" 'successfully pulled' bash -c "cd '$TMP/pulled-one' && cmf metadata pull -p $PIPE -e $new_uuid"
expect_output "the -e pull holds just that execution" "^1 $new_uuid\$" "$VENV_PY" -c "
from cmflib.cmfquery import CmfQuery
df = CmfQuery('$TMP/pulled-one/mlmd').get_all_executions_in_pipeline('$PIPE')
print(len(df), ','.join(df['Execution_uuid']))"
expect_output "pulling an unknown pipeline is refused" "not found|Not Found|doesn't exist" \
  bash -c "cd '$TMP/pulled-one' && cmf metadata pull -p no-such-pipeline; true"

echo "--- [${SECONDS}s] the cmf CLI with a tenant's URL: http://host:port/t/team-a"
sed -i "s#^server-url = .*#server-url = $URL/t/team-a#" "$TMP/proj/.cmfconfig"
expect_output "cmf metadata push to /t/team-a" 'successfully pushed' bash -c "cd '$TMP/proj' && cmf metadata push -p $PIPE"
expect_output "team-a lists the pipeline" "^\\[\"$PIPE\"\\]\$" curl -sf "$URL/t/team-a/api/pipelines"
expect_output "team-b lists nothing" '^\[\]$' curl -sf "$URL/t/team-b/api/pipelines"
expect "team-a's env file is in its own data directory" bash -c "ls '$TMP/OURS-data/tenants/team-a/env/' | grep -q python_env"
empty_project "$TMP/pulled-a" "$URL/t/team-a" || fail "cmf init local (team-a pull target)"
expect_output "cmf metadata pull from /t/team-a" 'successfully pulled' bash -c "cd '$TMP/pulled-a' && cmf metadata pull -p $PIPE"
python_checks "CmfQuery on team-a's pull" $CHECK queries --a "$TMP/proj/mlmd" --b "$TMP/pulled-a/mlmd" --pipeline "$PIPE"
empty_project "$TMP/pulled-b" "$URL/t/team-b" || fail "cmf init local (team-b pull target)"
expect_output "team-b does not have team-a's pipeline" "not found|Not Found|doesn't exist" \
  bash -c "cd '$TMP/pulled-b' && cmf metadata pull -p $PIPE; true"

finish_checks
