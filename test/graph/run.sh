#!/usr/bin/env bash
# The graph suite: builds the Neo4j 5.26 test server (test/graph/neo4j.sh; exit 77 "cannot run" without Java 17 or
# Maven, which test-all.sh counts as a failure under CI=true) and runs test/graph/*.test.ts, which start and stop
# that Neo4j themselves (Bolt on 127.0.0.1, a free port, a temp data directory).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash test/graph/neo4j.sh >/dev/null
rc=$?
if [[ $rc -ne 0 ]]; then
  [[ $rc -eq 77 ]] && echo "graph: cannot run: Java 17 and Maven are needed for the Neo4j test server"
  exit "$rc"
fi
exec node --import tsx --test --test-concurrency=1 test/graph/*.test.ts
