#!/usr/bin/env bash
# Builds the Neo4j 5.26 test server (test/graph/neo4j-server) into .tools/neo4j-test-server/: the jars from Maven
# Central (cached in ~/.m2) and the launcher class compiled with javac. Idempotent (a stamp of the pom and the
# source). Prints the directory on stdout. Exit 77 with "cannot run: ..." when Java 17+ or Maven is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/test/graph/neo4j-server"
OUT="$ROOT/.tools/neo4j-test-server"
for tool in java javac mvn; do
  command -v "$tool" >/dev/null || { echo "cannot run: $tool is missing (apt-get install openjdk-17-jdk-headless maven)" >&2; exit 77; }
done
stamp="$(cat "$SRC/pom.xml" "$SRC/src/main/java/Neo4jTestServer.java" | sha256sum | cut -d' ' -f1)"
if [[ -f "$OUT/.stamp" && "$(cat "$OUT/.stamp")" == "$stamp" ]]; then echo "$OUT"; exit 0; fi
rm -rf "$OUT"; mkdir -p "$OUT/classes"
echo "neo4j.sh: resolving Neo4j 5.26 jars with Maven (first run downloads ~125 MB into ~/.m2)" >&2
for attempt in 1 2 3; do
  if mvn -B -q -f "$SRC/pom.xml" dependency:copy-dependencies -DoutputDirectory="$OUT/lib" >&2; then break; fi
  [[ $attempt -eq 3 ]] && { echo "neo4j.sh: mvn dependency:copy-dependencies failed" >&2; exit 1; }
  sleep 5
done
javac -nowarn -d "$OUT/classes" -cp "$OUT/lib/*" "$SRC/src/main/java/Neo4jTestServer.java" >&2
echo "$stamp" > "$OUT/.stamp"
echo "$OUT"
