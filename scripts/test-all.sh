#!/usr/bin/env bash
# `npm test`: every check and suite of the project, then one closing line "N passed, M failed" (sums over all).
#   1. scripts/setup-test-env.sh  (.venv with ml-metadata 1.17.1 + pytest, .tools/grpcurl)
#   2. checks: `npm run gen` leaves generated/ unchanged; `npx tsc -p .` passes; Prettier finds nothing to reformat;
#      `npm run lint` (ESLint, and dependency-cruiser on the import boundaries) finds nothing
#   3. TypeScript suites: `npm run test:ts` (test/unit, test/integration); production (the built server: signals,
#      start-up, secrets, metrics, logs), access (access control against a real OpenID provider: every method on
#      every protocol x bad credentials) and package (npm pack, installed and run with npx, an SDK consumer project)
#   4. compat suites (test/compat): descriptors, upstream, grpcurl, sqlite-interop, client-options, paging-differential
#      (every list RPC asked the same of our server and of the package's in-process store), cmf-hashing, cmf-cmflib,
#      cmf-server-cli (the real `cmf` CLI of cmflib 0.1.0 pushing to and pulling from our cmf-server API)
#      fuzz (test/fuzz/run.ts): hostile requests to every method of a real server process for FUZZ_SECONDS (90)
#   4b. browser suites (test/ui, Debian's chromium driven by playwright-core): ui (the web UI end to end), grpc-web
#      (Kubeflow's client library, grpc-web from npm, in text and binary mode against native gRPC answers)
#   5. PostgreSQL suites: ts-postgres (the MLMD, filter, lineage, CMF and graph-projection integration suites with
#      MLMD_TEST_BACKEND=postgres), pg-multi (test/multi-server: 3 servers x 32 clients; restart under load),
#      upstream-postgres (ml-metadata's suite against our server on PostgreSQL), postgres-interop (the ml-metadata
#      package's PostgreSQL mode and our server on one database, both ways), cmf-server-peer (cmflib 0.1.0's own
#      cmf-server beside ours: same pushes, same pulls, sync both ways). They use the cluster named by
#      MLMD_TEST_PG_* (.ci/run starts one); outside CI, when none is named, one is started here if PostgreSQL's
#      server binaries are installed (scripts/pg-cluster.sh), else these suites are skipped.
#   6. MySQL/MariaDB suites: ts-mysql (the same integration suites with MLMD_TEST_BACKEND=mysql), mysql-multi
#      (test/multi-server on MariaDB), upstream-mysql, mysql-interop (the package's in-process MySQL mode, both ways),
#      upgrades (old schema versions made by the package, on all three backends; needs PostgreSQL too). They use the
#      server named by MLMD_TEST_MYSQL_* (.ci/run starts one); outside CI, when none is named, one is started here if
#      MariaDB's binaries are installed (scripts/mariadb-cluster.sh), else these suites are skipped.
#   5b. deploy (test/deploy/run.sh): the Helm chart (helm lint, helm template, Kubernetes' schemas, mTLS from the
#      chart's config script) and the Kubeflow component on KFP 2.17.0's manifests (kustomize build); tools from
#      scripts/deploy-tools.sh (.tools/helm, .tools/kustomize built with go install; PyPI's kubernetes-validate)
#   7. image (test/image/run.sh): `npm run image` built with buildah, run with podman on SQLite (ml-metadata's suite
#      against the container), PostgreSQL and MariaDB, stopped with SIGTERM. Needs both databases.
# A suite that cannot run (exit 77: no python, no grpcurl, no CLI...) is a failure when CI=true, a skip otherwise.
# SUITE_TIME_LIMIT=SECONDS overrides every suite's time limit.
# ONLY="gen tsc ts descriptors upstream grpcurl sqlite-interop client-options" runs a subset (names separated by spaces).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CI_MODE=""; [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]] && CI_MODE=1
LOGDIR="$(mktemp -d "${TMPDIR:-/tmp}/test-all.XXXXXX")"
trap 'rm -rf "$LOGDIR"' EXIT

TOTAL_PASS=0; TOTAL_FAIL=0; ROWS=()
record() { # name passed failed note
  TOTAL_PASS=$((TOTAL_PASS + $2)); TOTAL_FAIL=$((TOTAL_FAIL + $3))
  ROWS+=("$(printf '%-16s %5s passed %5s failed  %s' "$1" "$2" "$3" "${4:-}")")
}
wanted() { [[ -z "${ONLY:-}" ]] || [[ " $ONLY " == *" $1 "* ]]; }
banner() { echo; echo "=== $* ==="; }

# Reads "N passed, M failed" (last such line) or node:test counters from a log; echoes "P F" or nothing.
counts_of() {
  local log="$1" line p f c
  line="$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)"
  if [[ -n "$line" ]]; then
    p="$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")"
    f="$(sed -E 's/^([A-Za-z-]+: )?[0-9]+ passed, ([0-9]+) failed.*/\2/' <<<"$line")"
    echo "$p $f"; return
  fi
  p="$(grep -E '^(#|ℹ) pass [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$' || true)"
  f="$(grep -E '^(#|ℹ) fail [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$' || true)"
  c="$(grep -E '^(#|ℹ) cancelled [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$' || true)"
  [[ -n "$p" && -n "$f" ]] && echo "$p $((f + ${c:-0}))"
}

# run_suite NAME SECONDS CMD...: runs with a time limit (the whole process group is killed past it), shows the
# output, records counts. Exit 77 = cannot run. Each limit is a cap for a hung suite, far above its usual time
# (together the caps exceed CI's 90 minutes; all suites on Node 24 take about 26 minutes on CI's 2 quiet cores).
run_suite() {
  local name="$1" limit="${SUITE_TIME_LIMIT:-$2}"; shift 2
  local log="$LOGDIR/$name.log" rc pf p f
  banner "$name: $* (limit ${limit}s)"
  timeout -k 30 "$limit" "$@" 2>&1 | tee "$log"; rc=${PIPESTATUS[0]}
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    pf="$(counts_of "$log")"; read -r p f <<<"${pf:-0 0}"
    record "$name" "$p" "$((f + 1))" "TIMED OUT after ${limit}s (counts so far)"
    return
  fi
  if [[ $rc -eq 77 ]]; then
    if [[ -n "$CI_MODE" ]]; then record "$name" 0 1 "CANNOT RUN (failure under CI): $(grep 'cannot run' "$log" | tail -n 1)"
    else record "$name" 0 0 "SKIPPED: $(grep 'cannot run' "$log" | tail -n 1)"; fi
    return
  fi
  pf="$(counts_of "$log")"
  if [[ -z "$pf" ]]; then
    if [[ $rc -eq 0 ]]; then record "$name" 1 0 "(no counts; exit 0)"; else record "$name" 0 1 "(no counts; exit $rc)"; fi
    return
  fi
  read -r p f <<<"$pf"
  if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; fi    # a non-zero exit is never a pass
  record "$name" "$p" "$f" "$( [[ $rc -ne 0 ]] && echo "exit $rc" )"
}

check() { # NAME CMD...: a single pass/fail check
  local name="$1"; shift
  banner "$name: $*"
  if "$@"; then record "$name" 1 0; else record "$name" 0 1; fi
}

# ---------------------------------------------------------------- 1. environment
banner "setup-test-env"
SETUP_OK=1
if ! bash scripts/setup-test-env.sh; then
  SETUP_OK=""
  if [[ -n "$CI_MODE" ]]; then record setup-test-env 0 1 "FAILED"; else record setup-test-env 0 0 "FAILED (suites needing it will skip)"; fi
fi

# ---------------------------------------------------------------- 2. checks
gen_unchanged() {
  npm run --silent gen || return 1
  git diff --exit-code --stat -- generated || { echo "npm run gen changed generated/ (commit the regenerated files)"; return 1; }
  local extra; extra="$(git ls-files --others --exclude-standard -- generated)"
  [[ -z "$extra" ]] || { echo "npm run gen created untracked files:"; echo "$extra"; return 1; }
}
wanted gen && check gen gen_unchanged
wanted tsc && check tsc timeout 600 npx --no-install tsc -p .
wanted tsc && check tsc-ui timeout 600 npm run --silent typecheck:ui
wanted format && check format npx --no-install prettier --check --log-level warn 'src/**/*.{ts,tsx}' 'test/**/*.ts' 'bench/**/*.ts' 'scripts/*.ts'
# ESLint (type-aware: floating promises, type-only imports, hooks' dependencies) and the import boundaries
# (dependency-cruiser: the README's "Never:" rules): eslint.config.mjs, .dependency-cruiser.cjs.
wanted lint && check lint npm run --silent lint

# ---------------------------------------------------------------- 3. TypeScript suites
wanted ts && run_suite ts 1500 npm run --silent test:ts
# The built package (dist/, rebuilt first when stale): signals under npm/npx, start-up errors, secrets, metrics, logs.
wanted production && run_suite production 300 node --import tsx --test --test-concurrency=1 test/production/*.test.ts
# Access control: a real OpenID provider (oidc-provider), API tokens, every method x bad credentials on every protocol.
wanted access && run_suite access 300 node --import tsx --test --test-concurrency=1 test/access/*.test.ts
# npm pack, installed into an empty directory, run with npx; a TypeScript project using cmf-mlmd/client.
wanted package && run_suite package 420 node --import tsx --test test/package/*.test.ts

# ---------------------------------------------------------------- 4. compat suites
wanted descriptors && run_suite descriptors 300 bash test/compat/descriptors.sh
wanted upstream && run_suite upstream 1200 bash test/compat/upstream.sh
wanted grpcurl && run_suite grpcurl 300 node --import tsx --test test/compat/grpcurl.test.ts
wanted sqlite-interop && run_suite sqlite-interop 900 bash test/compat/sqlite-interop.sh
wanted client-options && run_suite client-options 300 bash test/compat/pytest-suite.sh test/compat/test_client_options.py
wanted paging-differential && run_suite paging-differential 300 bash test/compat/pytest-suite.sh test/compat/test_paging_differential.py
wanted cmf-hashing && run_suite cmf-hashing 300 node --import tsx --test test/compat/cmf-hashing.test.ts
wanted cmf-cmflib && run_suite cmf-cmflib 600 bash test/compat/cmf-cmflib.sh
wanted cmf-server-cli && run_suite cmf-server-cli 600 bash test/compat/cmf-server-cli.sh
# Access control with the unmodified clients: the cmf CLI with an API token in its URL, ml-metadata over mTLS.
wanted access-clients && run_suite access-clients 600 bash test/compat/access-clients.sh

# ---------------------------------------------------------------- 4b. browser suites (each rebuilds dist/ui from src/ui first)
wanted ui && run_suite ui 300 bash -c 'npm run --silent build:ui && node --import tsx --test test/ui/ui.test.ts'
wanted grpc-web && run_suite grpc-web 300 bash -c 'npm run --silent build:ui && node --import tsx --test test/ui/grpc-web-browser.test.ts'

# ---------------------------------------------------------------- 4c. fuzz (test/fuzz: hostile requests to a real server; FUZZ_SECONDS, FUZZ_SEED)
wanted fuzz && run_suite fuzz 420 env FUZZ_SECONDS="${FUZZ_SECONDS:-90}" node --import tsx test/fuzz/run.ts

# ---------------------------------------------------------------- 5. graph (a real Neo4j 5.26 on Java 17, from Maven Central)
wanted graph && run_suite graph 480 bash test/graph/run.sh

# ---------------------------------------------------------------- 5b. deploy (the Helm chart and the Kubeflow component, offline)
wanted deploy && run_suite deploy 1200 bash test/deploy/run.sh

# ---------------------------------------------------------------- 5. PostgreSQL suites
PG_SUITES="ts-postgres pg-multi upstream-postgres postgres-interop cmf-server-peer upgrades image"
pg_wanted() { local s; for s in $PG_SUITES; do wanted "$s" && return 0; done; return 1; }
if pg_wanted && [[ -z "${MLMD_TEST_PG_HOST:-}" && -z "$CI_MODE" ]]; then
  banner "starting a PostgreSQL cluster for the PostgreSQL suites"
  if PG_ENV="$(bash scripts/pg-cluster.sh start "$LOGDIR/pg")"; then
    eval "$PG_ENV"
    trap 'bash scripts/pg-cluster.sh stop "$LOGDIR/pg" >/dev/null 2>&1 || true; rm -rf "$LOGDIR"' EXIT
  fi
fi
PG_INTEGRATION=(test/integration/mlmd-*.test.ts test/integration/filter.test.ts test/integration/lineage.test.ts
  test/integration/cmf-queries.test.ts test/integration/cmf-records.test.ts test/integration/cmf-sdk.test.ts
  test/integration/graph-projection.test.ts test/integration/cmf-server-api.test.ts test/integration/tenants.test.ts)
wanted ts-postgres && run_suite ts-postgres 1200 bash scripts/pg-suite.sh env MLMD_TEST_BACKEND=postgres \
  node --import tsx --test --test-concurrency=1 "${PG_INTEGRATION[@]}"
wanted pg-multi && run_suite pg-multi 600 bash scripts/pg-suite.sh env MLMD_TEST_BACKEND=postgres \
  node --import tsx --test --test-concurrency=1 test/multi-server/*.test.ts
wanted upstream-postgres && run_suite upstream-postgres 900 bash scripts/pg-suite.sh env MLMD_TEST_BACKEND=postgres bash test/compat/upstream.sh
wanted postgres-interop && run_suite postgres-interop 300 bash scripts/pg-suite.sh bash test/compat/pytest-suite.sh test/compat/test_postgres_interop.py
wanted cmf-server-peer && run_suite cmf-server-peer 900 bash scripts/pg-suite.sh bash test/compat/cmf-server-peer.sh

# ---------------------------------------------------------------- 6. MySQL/MariaDB suites
MYSQL_SUITES="ts-mysql mysql-multi upstream-mysql mysql-interop upgrades image"
mysql_wanted() { local s; for s in $MYSQL_SUITES; do wanted "$s" && return 0; done; return 1; }
if mysql_wanted && [[ -z "${MLMD_TEST_MYSQL_HOST:-}" && -z "$CI_MODE" ]]; then
  banner "starting a MariaDB server for the MySQL suites"
  if MYSQL_ENV="$(bash scripts/mariadb-cluster.sh start "$LOGDIR/mysql")"; then
    eval "$MYSQL_ENV"
    trap 'bash scripts/pg-cluster.sh stop "$LOGDIR/pg" >/dev/null 2>&1 || true; bash scripts/mariadb-cluster.sh stop "$LOGDIR/mysql" >/dev/null 2>&1 || true; rm -rf "$LOGDIR"' EXIT
  fi
fi
wanted ts-mysql && run_suite ts-mysql 900 bash scripts/mysql-suite.sh env MLMD_TEST_BACKEND=mysql \
  node --import tsx --test --test-concurrency=1 "${PG_INTEGRATION[@]}"
wanted mysql-multi && run_suite mysql-multi 600 bash scripts/mysql-suite.sh env MLMD_TEST_BACKEND=mysql \
  node --import tsx --test --test-concurrency=1 test/multi-server/*.test.ts
wanted upstream-mysql && run_suite upstream-mysql 600 bash scripts/mysql-suite.sh env MLMD_TEST_BACKEND=mysql bash test/compat/upstream.sh
wanted mysql-interop && run_suite mysql-interop 300 bash scripts/mysql-suite.sh bash test/compat/pytest-suite.sh test/compat/test_mysql_interop.py
wanted upgrades && run_suite upgrades 600 bash scripts/mysql-suite.sh bash scripts/pg-suite.sh \
  bash test/compat/pytest-suite.sh test/compat/test_upgrades.py

# ---------------------------------------------------------------- 7. the container image (podman; needs both databases)
wanted image && run_suite image 900 bash scripts/pg-suite.sh bash scripts/mysql-suite.sh bash test/image/run.sh

# ---------------------------------------------------------------- summary
banner "summary"
for r in "${ROWS[@]}"; do echo "$r"; done
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[[ $TOTAL_FAIL -eq 0 ]]
