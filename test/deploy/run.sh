#!/usr/bin/env bash
# Suite "deploy": the Helm chart (deploy/helm/cmf-mlmd) and the Kubeflow component (deploy/kubeflow/cmf-mlmd),
# checked offline with the real tools (scripts/deploy-tools.sh puts them in .tools/):
#   - `helm lint --strict` and `helm template` for each values file of test/deploy/values/, wrong values refused;
#   - every rendered object validated against Kubernetes' schemas (kubernetes-validate --strict; the ServiceMonitor
#     against the Prometheus Operator's CRD is not in those schemas and is checked by check.py only);
#   - test/deploy/check.py: what the manifests must say (replicas, volumes, probes, ports, secrets, TLS);
#   - the chart's config script (files/server-config.js) run with the rendered init container's environment and a
#     fresh CA, server and client certificates: the built server serves that config over mTLS (grpcurl with the
#     client certificate gets SERVING; without one it is refused);
#   - `kustomize build` of KFP 2.17.0's metadata manifests (test/deploy/fixtures) with the component, checked.
# Last line "N passed, M failed".
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../compat/lib.sh"
cd "$COMPAT_ROOT"

bash scripts/deploy-tools.sh || compat_skip "scripts/deploy-tools.sh could not install helm, kustomize or kubernetes-validate"
[[ -x "$GRPCURL" ]] || compat_skip "grpcurl missing (run scripts/setup-test-env.sh)"
command -v openssl >/dev/null || compat_skip "openssl missing"
KUBE_VERSION=1.37.0   # the schemas kubernetes-validate 1.37.0 checks against
HELM=.tools/helm
KUSTOMIZE=.tools/kustomize; KV=.tools/kubernetes-validate/bin
CHART=deploy/helm/cmf-mlmd
TMP="$(mktemp -d "${TMPDIR:-/tmp}/deploy-suite.XXXXXX")"
cleanup() { stop_server; rm -rf "$TMP"; }
trap cleanup EXIT

PASSED=0; FAILED=0
pass() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAILED: $*"; FAILED=$((FAILED + 1)); }
expect() { local what="$1"; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
counted() { # WHAT CMD...: runs a checker printing "N passed, M failed" and adds its counts
  local out p f; out="$("${@:2}")"; echo "$out"
  read -r p f < <(tail -n 1 <<<"$out" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/')
  if [[ "$p" =~ ^[0-9]+$ && "$f" =~ ^[0-9]+$ ]]; then PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); else fail "$1"; fi
}

# ---------------------------------------------------------------- Helm
echo "helm $($HELM version --short), kustomize $($KUSTOMIZE version), kubernetes-validate $($KV/kubernetes-validate --version)"
mkdir -p "$TMP/chart"
for values in test/deploy/values/*.yaml; do
  name="$(basename "$values" .yaml)"
  expect "helm lint --strict ($name)" $HELM lint --strict --kube-version "$KUBE_VERSION" "$CHART" -f "$values" --quiet
  if $HELM template release "$CHART" -f "$values" --namespace mlmd --kube-version "$KUBE_VERSION" >"$TMP/chart/$name.yaml"; then
    # Kubernetes' own kinds against their schemas; the ServiceMonitor (a CRD) is left to check.py.
    "$KV/python" -c 'import sys, yaml; yaml.safe_dump_all([d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] != "ServiceMonitor"], open(sys.argv[2], "w"))' \
      "$TMP/chart/$name.yaml" "$TMP/chart/$name.core.yaml"
    expect "manifests valid against Kubernetes' schemas ($name)" "$KV/kubernetes-validate" -k "$KUBE_VERSION" --strict --quiet "$TMP/chart/$name.core.yaml"
  else
    fail "helm template ($name)"
  fi
done
refused() { # WHAT MESSAGE ARGS...: helm template must fail saying MESSAGE
  local out; out="$($HELM template release "$CHART" --kube-version "$KUBE_VERSION" "${@:3}" 2>&1)" && return 1
  grep -q "$2" <<<"$out" || { echo "$out"; return 1; }
}
expect "an unknown database type is refused" refused type "database.type must be sqlite, postgresql or mysql" --set database.type=oracle
expect "postgresql without a host is refused" refused host "database.host is required" --set database.type=postgresql
counted "check.py chart" "$KV/python" test/deploy/check.py chart "$TMP/chart"

# ---------------------------------------------------------------- the chart's config script, served over mTLS
pki="$TMP/pki"; mkdir -p "$pki"
(
  cd "$pki" && set -e
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.crt 2>/dev/null
  for who in server client; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$who" -keyout "$who.key" -out "$who.csr" 2>/dev/null
    openssl x509 -req -in "$who.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out "$who.crt" \
      -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1') 2>/dev/null
  done
  mkdir tls && cp server.key tls/tls.key && cp server.crt tls/tls.crt && cp ca.crt tls/ca.crt
)
# The rendered init container's environment, with the pod's paths moved into the temp dir and mTLS on.
eval "$("$KV/python" test/deploy/check.py initenv "$TMP/chart/sqlite-tls.yaml")"
export MLMD_DB MLMD_SQLITE_PATH="$TMP/mlmd.db" MLMD_TLS_DIR="$pki/tls" MLMD_TLS_CLIENT_VERIFY=true
expect "the chart's config script writes the config file" node "$CHART/files/server-config.js" "$TMP/server.pbtxt"
port="$(free_port)"
if [[ -f dist/src/cli/main.js ]] && node scripts/ensure-build.js; then
  (exec node dist/src/cli/main.js --grpc_port="$port" --http_port=-1 --metadata_store_server_config_file="$TMP/server.pbtxt") \
    >"$TMP/server.log" 2>&1 &
  SERVER_PID=$!
  for ((i = 0; i < 300; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  health() { "$GRPCURL" -max-time 10 -cacert "$pki/ca.crt" "$@" -d '{}' "localhost:$port" grpc.health.v1.Health/Check 2>&1; }
  expect "mTLS from the chart's config: SERVING with a client certificate" \
    grep -q SERVING <<<"$(health -cert "$pki/client.crt" -key "$pki/client.key")"
  expect "mTLS from the chart's config: refused without one" bash -c '! grep -q SERVING <<<"$1"' _ "$(health)"
  stop_server
else
  fail "no built server (npm run build)"
fi

# ---------------------------------------------------------------- Kubeflow Pipelines 2.17.0 with the component
kfp="$TMP/kfp"; mkdir -p "$kfp"
cp -r test/deploy/fixtures/kfp-2.17.0 "$kfp/upstream" && cp -r deploy/kubeflow/cmf-mlmd "$kfp/cmf-mlmd"
sed -e 's#https://github.com/kubeflow/pipelines/manifests/kustomize/base/metadata/base?ref=2.17.0#upstream/metadata/base#' \
  -e 's#\.\./cmf-mlmd#cmf-mlmd#' deploy/kubeflow/example/kustomization.yaml >"$kfp/kustomization.yaml"
if $KUSTOMIZE build "$kfp" >"$TMP/kubeflow.yaml"; then
  pass "kustomize build: KFP 2.17.0's metadata manifests with deploy/kubeflow/cmf-mlmd"
  expect "kubeflow manifests valid against Kubernetes' schemas" "$KV/kubernetes-validate" -k "$KUBE_VERSION" --strict --quiet "$TMP/kubeflow.yaml"
  counted "check.py kubeflow" "$KV/python" test/deploy/check.py kubeflow "$TMP/kubeflow.yaml"
else
  fail "kustomize build"
fi

echo "deploy: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
