#!/usr/bin/env bash
# GC wall time on the full-change series (docs/BENCHMARKS.md, "GC wall time"): starts bin/cairnd,
# puts the 8 checkpoints of ../shared/bench/gen_series.py's full-change series (256 MiB each) with
# one bin/cairn process each, then times `cairn trim` (last: 2, grace 0s) and `cairn gc` as
# compare.sh does, and prints the daemon's GC summary line (phases in ms).
#
#   benchmarks/scripts/gc-wall.sh [RUNS]      env: BENCH_OUT (default /tmp/cairn-bench), SIZE_MIB (256)
#   JFR=1 benchmarks/scripts/gc-wall.sh       also records the daemon with JFR (profile settings)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARED=$(cd "$ROOT/../shared/bench" 2>/dev/null && pwd || true)
[[ -n $SHARED && -f $SHARED/gen_series.py ]] || { echo "needs ../shared/bench/gen_series.py" >&2; exit 2; }
RUNS=${1:-1}
OUT=${BENCH_OUT:-/tmp/cairn-bench}/gc-wall
SIZE_MIB=${SIZE_MIB:-256}
DATA=$OUT/data
mkdir -p "$OUT" "$DATA"
[[ -f $DATA/full-change/ckpt_007.bin ]] || python3 "$SHARED/gen_series.py" --series full-change --size-mib "$SIZE_MIB" \
  --count 8 --out "$DATA" >&2
. "$ROOT/bin/env.sh"
{ cairn_build server && cairn_build cli; } >&2
printf 'policies:\n  - series: "full-change"\n    last: 2\n    max_remove: 100%%\n    grace: 0s\n' >"$OUT/last2.yaml"
for ((r = 1; r <= RUNS; r++)); do
  D=$OUT/store; rm -rf "$D"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  CAIRN_JAVA_OPTS="${JFR:+-XX:StartFlightRecording=filename=$OUT/run$r.jfr,settings=profile}" \
    "$ROOT/bin/cairnd" --data "$D" --listen "127.0.0.1:$port" >"$OUT/cairnd.$r.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
  C=("$ROOT/bin/cairn" --server "127.0.0.1:$port")
  "${C[@]}" stats >/dev/null
  for i in 0 1 2 3 4 5 6 7; do
    "${C[@]}" put --series full-change --step $i --time "$(date -u -d "2026-11-01 +$i hour" +%Y-%m-%dT%H:%M:%SZ)" \
      "$DATA/full-change/ckpt_00$i.bin" >/dev/null
  done
  t0=$(date +%s.%N); "${C[@]}" trim --series full-change --policy "$OUT/last2.yaml" >/dev/null
  t1=$(date +%s.%N); "${C[@]}" gc >/dev/null
  t2=$(date +%s.%N)
  awk -v r="$r" -v a="$t0" -v b="$t1" -v c="$t2" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN{printf "run %d: trim %.2f s, gc %.2f s, trim+gc %.2f s (load %s)\n", r, b-a, c-b, c-a, l}'
  grep -o 'GarbageCollector - .*' "$OUT/cairnd.$r.log" | tail -1 | sed 's/.*orphan segment streams, /  daemon gc: /'
  kill -TERM $pid; wait $pid || true
done
