#!/usr/bin/env bash
# Fixed cost of one bin/cairn call: a no-op `stats` and a 1-byte put / get, over the local socket
# and over TCP, RUNS times each (default 11), against a daemon of its own in WORK. Prints per case
# the median wall time, the median CPU time (user + sys, less sensitive to a busy machine) and the
# peak RSS. With OTHER (the root of another checkout, built with its own bin/cairn), runs both
# trees' CLI interleaved against the same daemon, for a before/after comparison in one run.
#   benchmarks/scripts/cli-startup.sh [WORK] [OTHER] ; RUNS=11
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${1:-/tmp/cairn-cli-startup}
OTHER=${2:-}
RUNS=${RUNS:-11}
mkdir -p "$WORK" && cd "$WORK"
rm -rf data results-*
. "$HERE/bin/env.sh"
cairn_build server
cairn_pick_java
: > daemon.log
"$CAIRN_JAVA_BIN" --enable-native-access=ALL-UNNAMED -cp "$(cairn_classpath server)" dev.cairn.server.CairnDaemon \
  --data "$WORK/data" --listen 127.0.0.1:0 > daemon.log 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
port=""
for _ in $(seq 600); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' daemon.log | head -1)
  [[ -n $port && -S data/cairnd.sock ]] && break
  sleep 0.1
done
export CAIRN_SOCKET=$WORK/data/cairnd.sock
unset CAIRN_SERVER
printf x > one
trees=("$HERE")
[[ -n $OTHER ]] && trees+=("$(cd "$OTHER" && pwd)")
for t in "${trees[@]}"; do # build, make the archive, and store the 1-byte checkpoint
  "$t/bin/cairn" --local stats > /dev/null
  "$t/bin/cairn" --local stats > /dev/null
done
id=$("$HERE/bin/cairn" --local put --series s/one one)
cases=("stats-local|--local stats" "put-1B-local|--local put --series s/one one" "get-1B-local|--local get $id -o OUT"
       "stats-tcp|--remote --server 127.0.0.1:$port stats" "put-1B-tcp|--remote --server 127.0.0.1:$port put --series s/one one"
       "get-1B-tcp|--remote --server 127.0.0.1:$port get $id -o OUT")
for i in $(seq "$RUNS"); do
  for c in "${cases[@]}"; do
    name=${c%%|*}; args=${c#*|}
    for t in "${trees[@]}"; do
      tag=$([[ $t == "$HERE" ]] && echo this || echo other)
      rm -f out; args2=${args//OUT/out}
      # shellcheck disable=SC2086
      /usr/bin/time -a -o "results-$tag-$name" -f "%e %U %S %M" "$t/bin/cairn" $args2 > /dev/null
    done
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); JDK $CAIRN_JAVA_FEATURE; $RUNS runs each"
printf '%-7s %-14s %8s %8s %9s\n' tree case wall cpu "peak RSS"
for f in results-*; do
  tag=${f#results-}; name=${tag#*-}; tag=${tag%%-*}
  wall=$(awk '{print $1}' "$f" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  cpu=$(awk '{print $2 + $3}' "$f" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  rss=$(awk '{if ($4 > m) m = $4} END {print int(m / 1024)}' "$f")
  printf '%-7s %-14s %7ss %7ss %5s MiB\n' "$tag" "$name" "$wall" "$cpu" "$rss"
done
