#!/usr/bin/env bash
# Fetches Apache Kafka 4.x and its runtime dependencies from Maven Central
# (through Maven, the only source there is), builds the end-to-end client,
# and puts every jar in .cache/kafka/lib (ignored by git). Runs once: later
# calls reuse the cache until test/kafka changes.
#   bash scripts/fetch-kafka.sh        # prints the lib directory
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/kafka"
lib="$cache/lib"
stamp="$cache/.stamp"
want=$(cat "$root/test/kafka/pom.xml" "$root"/test/kafka/src/main/java/*.java | sha256sum | cut -c1-16)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$lib" ]; then
  echo "$lib"
  exit 0
fi
command -v mvn >/dev/null 2>&1 || { echo "fetch-kafka: Maven (mvn) is needed to fetch Kafka from Maven Central" >&2; exit 1; }
rm -rf "$cache"
mkdir -p "$lib"
mvn -B -q -f "$root/test/kafka/pom.xml" package dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$lib" >&2
cp "$root/test/kafka/target/kafka-mtls-e2e.jar" "$lib/"
rm -rf "$root/test/kafka/target"
echo "$want" > "$stamp"
echo "$lib"
