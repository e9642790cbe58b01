#!/usr/bin/env bash
# Runs the JMH suite (benchmarks/src/main/java/dev/cairn/bench/jmh) on the newest JDK present,
# with settings for a 2-core machine: one fork, the warm-up and measurement iterations each
# benchmark declares. Takes about 15 minutes for the whole suite on 2 cores.
#
#   benchmarks/scripts/jmh.sh                 # everything
#   benchmarks/scripts/jmh.sh ChunkerBench    # a regex of benchmarks, as JMH takes it
#
# Results: $BENCH_OUT/jmh/jmh-<time>.json (JMH's JSON) and the human table on stdout.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/bin/env.sh"
OUT=${BENCH_OUT:-/tmp/cairn-bench}/jmh
mkdir -p "$OUT"
cairn_build benchmarks
cairn_pick_java
exec "$CAIRN_JAVA_BIN" --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$(cairn_classpath benchmarks)" org.openjdk.jmh.Main \
  -jvmArgsAppend "--enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
  -rf json -rff "$OUT/jmh-$(date +%Y%m%d-%H%M%S).json" "$@"
