#!/usr/bin/env bash
# bin/cairn put / get through the local socket vs TCP: wall time (median of RUNS) and the CLI's
# peak RSS (/usr/bin/time -f %M) for a 256 MiB file (new data and data already stored) and a
# 1-byte file. Starts its own daemon in WORK (default /tmp/cairn-local-vs-tcp) on PORT.
#   benchmarks/scripts/local-vs-tcp.sh [WORK] ; RUNS=5 PORT=17433
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${1:-/tmp/cairn-local-vs-tcp}
RUNS=${RUNS:-5}
PORT=${PORT:-17433}
C=$HERE/bin/cairn
mkdir -p "$WORK" && cd "$WORK"
rm -rf cairn-data
"$HERE/bin/cairnd" --listen "127.0.0.1:$PORT" > daemon.log 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 600); do [[ -S cairn-data/cairnd.sock ]] && break; sleep 0.2; done
export CAIRN_SERVER=127.0.0.1:$PORT
"$C" --version > /dev/null
for i in $(seq "$RUNS"); do
  [[ -f new-local-$i ]] || head -c 256M /dev/urandom > "new-local-$i"
  [[ -f new-tcp-$i ]] || head -c 256M /dev/urandom > "new-tcp-$i"
done
[[ -f f256 ]] || head -c 256M /dev/urandom > f256
printf 'x' > f1
id256=$("$C" --remote put --series b/seed f256)
id1=$("$C" --remote put --series b/seed1 f1)
: > results.txt
run() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o t.out "$@" > /dev/null
  echo "$label $(tail -1 t.out)" >> results.txt
}
for i in $(seq "$RUNS"); do
  for p in local tcp; do
    flag=--local; [[ $p == tcp ]] && flag=--remote
    run "put-new-256MiB-$p" "$C" $flag put --series "b/new-$p" "new-$p-$i"
    run "put-same-256MiB-$p" "$C" $flag put --series "b/same-$p" f256
    rm -f "g-$p" "h-$p"
    run "get-256MiB-$p" "$C" $flag get "$id256" -o "g-$p"
    cmp -s "g-$p" f256 || { echo "get via $p is not bit-exact" >&2; exit 1; }
    run "put-1B-$p" "$C" $flag put --series "b/one-$p" f1
    run "get-1B-$p" "$C" $flag get "$id1" -o "h-$p"
  done
done
# label  median-seconds  max-peak-RSS-KiB
awk '{t[$1]=t[$1] " " $2; if ($3 > m[$1]) m[$1] = $3} END {for (k in t) print k, t[k], m[k]}' results.txt | sort |
  while read -r k rest; do
    set -- $rest; rss=${!#}; vals=("${@:1:$#-1}")
    med=$(printf '%s\n' "${vals[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '%-22s median %6ss  peak RSS %6s KiB  (runs: %s)\n' "$k" "$med" "$rss" "${vals[*]}"
  done
