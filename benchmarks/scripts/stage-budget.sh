#!/usr/bin/env bash
# The per-stage budget of docs/BENCHMARKS.md: runs dev.cairn.bench.StageBudget (warm puts and
# gets, embedded, Java client over TCP, and the local socket) under JFR, one JVM per phase, and
# classifies the CPU samples of each phase into stages (stage-budget.py), in ns per byte.
#
#   benchmarks/scripts/stage-budget.sh                      # every phase, 256 MiB x 6 rounds
#   benchmarks/scripts/stage-budget.sh local-new,local-get 128 4
#
# Output: one table per phase on stdout; the recordings in $BENCH_OUT/budget/<phase>.jfr.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/bin/env.sh"
OUT=${BENCH_OUT:-/tmp/cairn-bench}/budget
mkdir -p "$OUT"
PHASES=${1:-embedded-new,embedded-unchanged,embedded-get,client-new,client-unchanged,client-get,local-new,local-unchanged,local-get}
MIB=${2:-256}
ROUNDS=${3:-6}
cairn_build benchmarks
cairn_pick_java
JFR_BIN=$(dirname "$CAIRN_JAVA_BIN")/jfr
for phase in ${PHASES//,/ }; do
  rec=$OUT/$phase.jfr
  line=$("$CAIRN_JAVA_BIN" --enable-native-access=ALL-UNNAMED --add-opens java.base/java.io=ALL-UNNAMED -Xmx2g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    "-XX:StartFlightRecording:filename=$rec,settings=profile,jdk.CPUTimeSample#enabled=true,jdk.CPUTimeSample#throttle=2ms" \
    -cp "$(cairn_classpath benchmarks)" dev.cairn.bench.StageBudget "$phase" "$MIB" "$ROUNDS" 2>/dev/null | grep "^$phase")
  echo "$line"
  "$JFR_BIN" print --json --events jdk.CPUTimeSample,jdk.GCCPUTime --stack-depth 24 "$rec" \
    | python3 "$ROOT/benchmarks/scripts/stage-budget.py" "$line"
  echo
done
