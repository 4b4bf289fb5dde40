#!/usr/bin/env bash
# Suite "image": builds the container image (scripts/build-image.sh) and runs it with podman (rootful, host
# network) the way an operator would:
#   - its configuration: non-root user, exec-form entrypoint, /data volume, OCI labels, health check;
#   - on SQLite in a /data volume, root file system read-only: the process runs as uid 10001, the health check
#     passes, ml-metadata's own suite (test/compat/upstream.sh with UPSTREAM_TARGET_PORT) passes against the
#     container's port, SIGTERM (podman stop) ends it with exit 0 within the grace period, the SQLite file is clean;
#   - on the test PostgreSQL (MLMD_TEST_PG_*) and MariaDB (MLMD_TEST_MYSQL_*, with Kubeflow's MySQL flags): a real
#     round trip through the ml-metadata client (test/image/smoke.py), then a graceful SIGTERM stop.
# Run through scripts/pg-suite.sh and scripts/mysql-suite.sh (test-all.sh does), which exit 77 without a database.
# Podman here needs: runc (crun refuses the hybrid cgroup layout), --cgroup-manager=cgroupfs, default_ulimits = []
# in the containers.conf named by CONTAINERS_CONF (setting rlimits is not permitted), --network=host.
# Last line "N passed, M failed". Env: IMAGE_UNDER_TEST (default localhost/cmf-mlmd:test).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../compat/lib.sh"
cd "$COMPAT_ROOT"

for tool in buildah podman runc; do
  command -v "$tool" >/dev/null || compat_skip "$tool is missing (scripts/install-system-deps.sh installs it as root)"
done
[[ $(id -u) -eq 0 ]] || compat_skip "podman runs rootful in this suite: run it as root"
[[ -x "$VENV_PY" ]] || compat_skip ".venv missing (run scripts/setup-test-env.sh)"
[[ -n "${MLMD_TEST_PG_HOST:-}" && -n "${MLMD_TEST_MYSQL_HOST:-}" ]] ||
  compat_skip "needs the test PostgreSQL and MariaDB (MLMD_TEST_PG_*, MLMD_TEST_MYSQL_*)"

IMAGE="${IMAGE_UNDER_TEST:-localhost/cmf-mlmd:test}"
GRACE=30          # podman stop's SIGKILL deadline; the server's own drain is bounded by 10 s
STOP_BOUND=15     # a graceful stop must take less than this
TMP="$(mktemp -d "${TMPDIR:-/tmp}/image-suite.XXXXXX")"
export CONTAINERS_CONF="$TMP/containers.conf"
printf '[containers]\ndefault_ulimits = []\n' >"$CONTAINERS_CONF"
pm() { podman --runtime=runc --cgroup-manager=cgroupfs "$@"; }

PASSED=0; FAILED=0; CONTAINERS=()
pass() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAILED: $*"; FAILED=$((FAILED + 1)); }
expect() { local what="$1"; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
cleanup() {
  local c
  for c in "${CONTAINERS[@]}"; do pm rm -f -v -t 0 "$c" >/dev/null 2>&1; done
  rm -rf "$TMP"
}
trap cleanup EXIT
finish() { echo "image: $PASSED passed, $FAILED failed"; [[ $FAILED -eq 0 ]]; exit; }

# ---------------------------------------------------------------- build
revision="$(git rev-parse HEAD)"   # what the build labels the image with
start=$SECONDS
if bash scripts/build-image.sh "$IMAGE"; then
  pass "image built in $((SECONDS - start)) s, $(pm image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.1f MB", $1/1e6}')"
else
  fail "scripts/build-image.sh"; finish
fi

# ---------------------------------------------------------------- configuration
config() { pm image inspect --format "$1" "$IMAGE"; }
expect "runs as the non-root user 10001" test "$(config '{{.Config.User}}')" = 10001:10001
expect "exec-form entrypoint: node runs the server as PID 1" \
  test "$(config '{{json .Config.Entrypoint}}')" = '["/usr/local/bin/node","/app/dist/src/cli/main.js"]'
expect "/data is a volume and the working directory" \
  test "$(config '{{json .Config.Volumes}} {{.Config.WorkingDir}}')" = '{"/data":{}} /data'
expect "OCI labels: version and revision" \
  test "$(config '{{index .Labels "org.opencontainers.image.version"}} {{index .Labels "org.opencontainers.image.revision"}}')" \
  = "$(node -p 'require("./package.json").version') $revision"
expect "a health check asking /healthz" grep -q healthz <<<"$(config '{{json .HealthCheck}}')"

# ---------------------------------------------------------------- helpers
# run_container NAME HTTP_PORT [podman options...] -- [server flags...]: starts it detached on the host network.
run_container() {
  local name="$1" http="$2"; shift 2
  local opts=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do opts+=("$1"); shift; done
  shift
  CONTAINERS+=("$name")
  # The health check runs on demand (podman healthcheck run): there is no systemd here to time it, which podman
  # reports on stderr (shown only when the start fails).
  pm run -d --name "$name" --network=host --health-interval=disable -e HEALTHZ_PORT="$http" "${opts[@]}" \
    "$IMAGE" --http_port="$http" "$@" >/dev/null 2>"$TMP/$name.err" || { cat "$TMP/$name.err"; return 1; }
}
# wait_listening NAME PORT: up to 60 s for the container's server to accept connections.
wait_listening() {
  local i
  for ((i = 0; i < 600; i++)); do
    [[ "$(pm inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" == true ]] || {
      echo "$1 is not running; its log:"; pm logs "$1" 2>&1 | tail -n 20; return 1
    }
    (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$1 did not listen on $2 within 60 s"; return 1
}
# stop_gracefully NAME: podman stop sends the image's stop signal (SIGTERM) and kills only after $GRACE s.
stop_gracefully() {
  local name="$1" t0 took code
  t0=$(date +%s%N)
  pm stop -t "$GRACE" "$name" >/dev/null
  took=$((($(date +%s%N) - t0) / 1000000))
  code="$(pm inspect --format '{{.State.ExitCode}}' "$name")"
  echo "$name: stopped in $took ms, exit code $code"
  # The log is read whole: `grep -q` on a pipe would make podman's write fail (pipefail) once it has matched.
  [[ "$code" == 0 && $took -lt $((STOP_BOUND * 1000)) && "$(pm logs "$name" 2>&1)" == *'SIGTERM: shutting down gracefully'* ]]
}
uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$(pm inspect --format '{{.State.Pid}}' "$1")/status"; }

# ---------------------------------------------------------------- SQLite on a /data volume
mkdir -p "$TMP/data" && chown 10001:10001 "$TMP/data"
grpc="$(free_port)"; http="$(free_port)"
# A read-only root file system, as the Helm chart runs it: only /data (and /tmp) are written.
run_container image-sqlite-$$ "$http" --read-only -v "$TMP/data:/data" -- --grpc_port="$grpc"
if wait_listening image-sqlite-$$ "$grpc"; then
  pass "SQLite: listening on $grpc (gRPC) and $http (HTTP)"
  expect "SQLite: the server process runs as uid 10001" test "$(uid_of image-sqlite-$$)" = 10001
  expect "SQLite: the image's health check passes" pm healthcheck run image-sqlite-$$
  echo "--- ml-metadata's suite against the container"
  if UPSTREAM_TARGET_PORT="$grpc" bash test/compat/upstream.sh; then pass "SQLite: ml-metadata's suite"; else fail "SQLite: ml-metadata's suite"; fi
  expect "SQLite: SIGTERM stops it gracefully within ${STOP_BOUND} s" stop_gracefully image-sqlite-$$
  expect "SQLite: the store is in the volume, closed cleanly (no -wal file)" \
    test -s "$TMP/data/mlmd.db" -a ! -e "$TMP/data/mlmd.db-wal"
else
  fail "SQLite: the container did not start"
fi

# serve_and_stop LABEL NAME [server flags...]: starts the container on a database, one ml-metadata round trip, the
# health check, a graceful stop.
serve_and_stop() {
  local label="$1" name="$2" grpc http; shift 2
  grpc="$(free_port)"; http="$(free_port)"
  run_container "$name" "$http" -- --grpc_port="$grpc" "$@"
  if wait_listening "$name" "$grpc"; then
    expect "$label: a round trip through the ml-metadata client" "$VENV_PY" test/image/smoke.py "$grpc"
    expect "$label: the image's health check passes" pm healthcheck run "$name"
    expect "$label: SIGTERM stops it gracefully within ${STOP_BOUND} s" stop_gracefully "$name"
  else
    fail "$label: the container did not start"
  fi
}

# ---------------------------------------------------------------- PostgreSQL
db="mlmd_image_$$"
serve_and_stop PostgreSQL image-pg-$$ --metadata_source_config_type=postgresql \
  --postgres_config_host="$MLMD_TEST_PG_HOST" --postgres_config_port="${MLMD_TEST_PG_PORT:-5432}" \
  --postgres_config_user="${MLMD_TEST_PG_USER:-postgres}" --postgres_config_password="${MLMD_TEST_PG_PASSWORD:-}" \
  --postgres_config_dbname="$db"
PGPASSWORD="${MLMD_TEST_PG_PASSWORD:-}" psql -q -h "$MLMD_TEST_PG_HOST" -p "${MLMD_TEST_PG_PORT:-5432}" \
  -U "${MLMD_TEST_PG_USER:-postgres}" -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1

# ---------------------------------------------------------------- MariaDB, with Kubeflow's flags
serve_and_stop MariaDB image-mysql-$$ \
  --mysql_config_host="$MLMD_TEST_MYSQL_HOST" --mysql_config_port="${MLMD_TEST_MYSQL_PORT:-3306}" \
  --mysql_config_database="$db" --mysql_config_user="${MLMD_TEST_MYSQL_USER:-root}" \
  --mysql_config_password="${MLMD_TEST_MYSQL_PASSWORD:-}" --enable_database_upgrade=true \
  --grpc_channel_arguments=grpc.max_metadata_size=16384,grpc.max_receive_message_length=104857600
mariadb --no-defaults -h "$MLMD_TEST_MYSQL_HOST" -P "${MLMD_TEST_MYSQL_PORT:-3306}" -u "${MLMD_TEST_MYSQL_USER:-root}" \
  -p"${MLMD_TEST_MYSQL_PASSWORD:-}" -e "DROP DATABASE IF EXISTS \`$db\`" >/dev/null 2>&1

finish
