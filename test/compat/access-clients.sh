#!/usr/bin/env bash
# Compat suite "access-clients": the unmodified clients against a server with access control.
#   1. the `cmf` CLI of cmflib 0.1.0 with an API token in its --cmf-server-url (http://account:token@host:port):
#      a writer's token pushes, a reader's token pulls but cannot push, no token and a wrong token push nothing;
#   2. the `ml-metadata` Python package over mTLS, its client certificate's CN as the principal (writer, reader, no
#      role), through access_mlmd_client.py.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/cmf-server-lib.sh"
cd "$COMPAT_ROOT"
require_cmf_cli
command -v openssl >/dev/null || compat_skip "openssl is not installed"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/access-clients.XXXXXX")"
OURS_PID=""
CERTS_PID=""
cleanup() { stop_pid "$OURS_PID"; stop_pid "$CERTS_PID"; [[ -n "${KEEP_TMP:-}" ]] || rm -rf "$TMP"; }
trap cleanup EXIT
cmf_env
PIPE=auth-pipe
new_token() { node --import tsx src/cli/main.ts token create "$1" --api_tokens_file="$TMP/tokens"; }

echo "--- [${SECONDS}s] API tokens and the policy"
CI_TOKEN="$(new_token cmf-ci)" && VIEWER_TOKEN="$(new_token viewer)" || { fail "cmf-mlmd token create"; finish_checks; exit 1; }
if [[ "$CI_TOKEN" =~ ^cmfmlmd_ ]] && ! grep -q "$CI_TOKEN" "$TMP/tokens"; then pass "token create prints a token and stores only its hash"
else fail "token create: '$CI_TOKEN'"; fi
cat > "$TMP/policy.json" <<JSON
{ "tenants": { "default": { "principals": { "cmf-ci": "writer", "viewer": "reader", "alice": "writer", "bob": "reader" } } } }
JSON

start_cmf_server OURS "$TMP/ours.db" 127.0.0.1 --access_policy_file="$TMP/policy.json" \
  --api_tokens_file="$TMP/tokens" --auth_failures_per_minute=1000 || { fail "our server starts"; finish_checks; exit 1; }
HOSTPORT="$OURS_HTTP"

echo "--- [${SECONDS}s] the cmf CLI with a token in its URL"
PROJECT_URL="http://cmf-ci:$CI_TOKEN@$HOSTPORT"
make_project "$TMP/proj" "$PROJECT_URL" || { fail "cmf init local"; finish_checks; exit 1; }
(cd "$TMP/proj" && "$VENV_PY" "$COMPAT_ROOT/test/compat/cmf_server_pipeline.py" "$PIPE") > "$TMP/pipeline.log" 2>&1 \
  || { tail -n 30 "$TMP/pipeline.log"; fail "cmflib logs the pipeline"; finish_checks; exit 1; }
# set_url DIR URL: the project's cmf-server URL, wherever cmf init wrote it.
set_url() { sed -i "s#$PROJECT_URL#$2#" "$1/.cmfconfig" && grep -q "$2" "$1/.cmfconfig" && PROJECT_URL="$2"; }
snapshot() { "$VENV_PY" -c "import sqlite3; c=sqlite3.connect('$TMP/ours.db'); print(c.execute('select count(*) from Execution').fetchone()[0], c.execute('select count(*) from Artifact').fetchone()[0])" 2>/dev/null || echo none; }
empty="$(snapshot)"
for who in "nobody:" "cmf-ci:wrong-token" "viewer:$VIEWER_TOKEN"; do
  set_url "$TMP/proj" "http://$who@$HOSTPORT" || fail "the project's URL could not be changed to ${who%%:*}'s"
  out="$(cd "$TMP/proj" && cmf metadata push -p $PIPE 2>&1)"
  if grep -q 'successfully pushed' <<<"$out"; then fail "a push as ${who%%:*} succeeded"; else pass "a push as ${who%%:*} is refused"; fi
done
if [[ "$(snapshot)" == "$empty" ]]; then pass "the refused pushes stored nothing ($empty)"; else fail "refused pushes stored records: $empty -> $(snapshot)"; fi
set_url "$TMP/proj" "http://cmf-ci:$CI_TOKEN@$HOSTPORT" || fail "the project's URL could not be changed back"
expect_output "cmf metadata push with the writer's token" 'successfully pushed' bash -c "cd '$TMP/proj' && cmf metadata push -p $PIPE"
empty_project "$TMP/pulled" "http://viewer:$VIEWER_TOKEN@$HOSTPORT" || fail "cmf init local (pull target)"
expect_output "cmf metadata pull with the reader's token" 'successfully pulled' bash -c "cd '$TMP/pulled' && cmf metadata pull -p $PIPE"
expect "the pulled store holds the pipeline's executions" "$VENV_PY" -c "
from cmflib.cmfquery import CmfQuery
assert len(CmfQuery('$TMP/pulled/mlmd').get_all_executions_in_pipeline('$PIPE')) > 0"
empty_project "$TMP/pulled-anon" "http://$HOSTPORT" || fail "cmf init local (anonymous pull target)"
out="$(cd "$TMP/pulled-anon" && cmf metadata pull -p $PIPE 2>&1)"
if grep -q 'successfully pulled' <<<"$out"; then fail "an anonymous pull succeeded"; else pass "an anonymous pull is refused"; fi
if grep -q "$CI_TOKEN\|$VIEWER_TOKEN" "$TMP/OURS.log"; then fail "a token reached the server's log"; else pass "no token in the server's log"; fi
grep -q '"audit":"write".*"principal":"cmf-ci".*"code":"OK"' "$TMP/OURS.log" && pass "the push is audited as cmf-ci" \
  || fail "no audit line for cmf-ci's push"

echo "--- [${SECONDS}s] ml-metadata over mTLS, the certificate's CN as the principal"
PKI="$TMP/pki"; mkdir -p "$PKI"
(
  cd "$PKI" || exit 1
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > san.ext
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=access-test-ca
  for who in localhost alice bob carol; do
    openssl req -newkey rsa:2048 -nodes -keyout "$who.key" -out "$who.csr" -subj "/CN=$who"
    openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$who.pem" -days 1 -extfile san.ext
  done
) > "$TMP/pki.log" 2>&1 || { cat "$TMP/pki.log"; fail "certificates"; finish_checks; exit 1; }
pem() { "$VENV_PY" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$PKI/$1"; }
cat > "$TMP/mtls.pbtxt" <<PBTXT
connection_config { sqlite { filename_uri: "$TMP/certs.db" } }
ssl_config { server_key: $(pem localhost.key) server_cert: $(pem localhost.pem) custom_ca: $(pem ca.pem) client_verify: true }
PBTXT
CERTS_PORT="$(free_port)"
(exec node --import tsx src/cli/main.ts --grpc_port="$CERTS_PORT" --http_port=-1 --host=127.0.0.1 \
  --metadata_store_server_config_file="$TMP/mtls.pbtxt" --access_policy_file="$TMP/policy.json" \
  --client_cert_principal=cn) > "$TMP/certs.log" 2>&1 &
CERTS_PID=$!
for ((i = 0; i < 600; i++)); do grep -q 'listening on' "$TMP/certs.log" && break; kill -0 "$CERTS_PID" 2>/dev/null || break; sleep 0.1; done
grep -q 'listening on' "$TMP/certs.log" || { tail -n 20 "$TMP/certs.log"; fail "the mTLS server starts"; finish_checks; exit 1; }
python_checks "ml-metadata with client certificates" "$VENV_PY" test/compat/access_mlmd_client.py "localhost:$CERTS_PORT" "$PKI"

finish_checks
