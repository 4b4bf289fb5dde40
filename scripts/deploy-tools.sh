#!/usr/bin/env bash
# Installs into .tools/ what the deploy suite uses, pinned, nothing global; idempotent (a second run only checks):
#   .tools/helm        Helm, built from its Go module (go install)
#   .tools/kustomize   kustomize, built from its Go module
#   .tools/kubernetes-validate/  a Python venv with PyPI's kubernetes-validate (Kubernetes' JSON schemas bundled:
#                      offline validation) and PyYAML
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
HELM_VERSION=v3.22.1
KUSTOMIZE_VERSION=v5.8.2   # 5.8.3 needs Go 1.27
KUBERNETES_VALIDATE_VERSION=1.37.0
mkdir -p "$TOOLS"
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then export PATH="$PATH:/usr/local/go/bin"; fi

go_tool() { # NAME VERSION MODULE
  local stamp="$TOOLS/.$1-version"
  [[ -x "$TOOLS/$1" && "$(cat "$stamp" 2>/dev/null)" == "$2" ]] && return 0
  command -v go >/dev/null || { echo "deploy-tools: go is required to build $1" >&2; return 1; }
  echo "deploy-tools: go install $3@$2" >&2
  GOBIN="$TOOLS" go install "$3@$2" && echo "$2" >"$stamp"
}
go_tool helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm
go_tool kustomize "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5

venv="$TOOLS/kubernetes-validate"
if [[ "$(cat "$venv/.version" 2>/dev/null)" != "$KUBERNETES_VALIDATE_VERSION" ]]; then
  echo "deploy-tools: kubernetes-validate $KUBERNETES_VALIDATE_VERSION (PyPI) in $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" PyYAML
  echo "$KUBERNETES_VALIDATE_VERSION" >"$venv/.version"
fi
