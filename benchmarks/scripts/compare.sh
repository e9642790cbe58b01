#!/usr/bin/env bash
# End-to-end comparison: Cairn (daemon + CLI, run as a user would) against restic, borg and casync
# on the series of ../shared/bench/gen_series.py, in the same run, measured the way
# ../shared/bench/run_peers.sh measures the peers (it runs them; this script adds Cairn to the
# same tables and writes the report and chart).
#
#   benchmarks/scripts/compare.sh          quick: 8 checkpoints x 32 MiB per series
#   FULL=1 benchmarks/scripts/compare.sh   full:  8 checkpoints x 256 MiB per series
#
# Env: SERIES (default "finetune shifted dbpages full-change"), CAIRN_TOOLS (default "cairn cairn-tcp":
# the CLI on the daemon's local socket, and over TCP), PEERS (default
# "restic borg-none borg-repokey casync"; empty to run Cairn only), RESTORE_RUNS (3),
# BENCH_OUT (default /tmp/cairn-bench), PUBLISH=1 copies summary.md and chart.svg to docs/bench/.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARED=$(cd "$ROOT/../shared/bench" 2>/dev/null && pwd || true)
[[ -n $SHARED && -f $SHARED/gen_series.py ]] || { echo "needs ../shared/bench (gen_series.py, run_peers.sh)" >&2; exit 2; }

if [[ "${FULL:-0}" == 1 ]]; then MODE=full; SIZE_MIB=${SIZE_MIB:-256}; else MODE=quick; SIZE_MIB=${SIZE_MIB:-32}; fi
COUNT=${COUNT:-8}
SERIES=${SERIES:-"finetune shifted dbpages full-change"}
PEERS=${PEERS-"restic borg-none borg-repokey casync"}
RESTORE_RUNS=${RESTORE_RUNS:-3}
CAIRN_TOOLS=${CAIRN_TOOLS:-"cairn cairn-tcp"}
OUTROOT=${BENCH_OUT:-/tmp/cairn-bench}
export BENCH_OUT=$OUTROOT FULL=${FULL:-0} SIZE_MIB COUNT SERIES RESTORE_RUNS KEEP=${KEEP:-0}
DATA=$OUTROOT/data/$MODE
WORK=$OUTROOT/work/$MODE
RES=$OUTROOT/results/$MODE
mkdir -p "$DATA" "$WORK" "$RES/time" "$RES/log"
log() { echo "[$(date +%T)] $*" | tee -a "$RES/run.log"; }

# ---- peers: installed from Debian if missing (needs root), measured by the shared harness
if [[ -n $PEERS ]]; then
  missing=()
  command -v restic >/dev/null || missing+=(restic)
  command -v borg >/dev/null || missing+=(borgbackup)
  command -v casync >/dev/null || missing+=(casync)
  if (( ${#missing[@]} )); then
    log "installing ${missing[*]} from Debian"
    if [[ $(id -u) == 0 ]]; then apt-get install -y "${missing[@]}" >>"$RES/log/apt.log" 2>&1
    else sudo apt-get install -y "${missing[@]}" >>"$RES/log/apt.log" 2>&1; fi
  fi
fi

log "building Cairn"
# The same build-if-needed as bin/cairnd and bin/cairn (their stamp files), so neither builds
# again later, in the background, while a measurement runs.
. "$ROOT/bin/env.sh"
{ cairn_build server && cairn_build cli; } >>"$RES/log/build.log" 2>&1
# bin/cairn's start-up archive too (a training run of its own), for the same reason.
{ cairn_pick_java && cairn_cli_flags && cairn_cli_archive; } >>"$RES/log/build.log" 2>&1

# Data and peers: the shared harness (it also records data/logical sizes).
PHASES="gen${PEERS:+ peers}" PEERS="${PEERS:-restic}" bash "$SHARED/run_peers.sh"

# ---- Cairn
now() { date +%s.%N; }
# tv PEER SERIES PHASE IDX cmd...  -> a raw.tsv row, exactly as run_peers.sh writes them
tv() {
  local peer=$1 series=$2 phase=$3 idx=$4; shift 4
  local tf=$RES/time/$peer.$series.$phase.$idx.txt t0 t1 rc=0
  t0=$(now)
  /usr/bin/time -v -o "$tf" "$@" >>"$RES/log/$peer.$series.log" 2>&1 || rc=$?
  t1=$(now)
  local rss ut st
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$tf")
  ut=$(awk -F': ' '/User time \(seconds\)/{print $2}' "$tf")
  st=$(awk -F': ' '/System time \(seconds\)/{print $2}' "$tf")
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$peer" "$series" "$phase" "$idx" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')" "${rss:-0}" "${ut:-0}" "${st:-0}" "$rc" >>"$RES/raw.tsv"
  [[ $rc == 0 ]] || log "  !! $peer $series $phase $idx rc=$rc (see $RES/log/$peer.$series.log)"
  return $rc
}
rec() { printf "%s\t%s\t%s\t%s\n" "$1" "$2" "$3" "$4" >>"$RES/sizes.tsv"; }
size_of() { du -sb "$@" | awk '{s+=$1} END{printf "%.0f\n", s}'; }
# A Cairn store's size without <data>/reserve, the headroom file GC releases on a full disk (docs/GC.md):
# it is free space held back, not stored data.
store_size() { du -sb --exclude=reserve "$1" | awk '{printf "%.0f\n", $1}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
proc_cpu() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat"; }  # utime+stime in seconds (USER_HZ=100)
proc_hwm() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }

# run_cairn SERIES TOOL: TOOL "cairn" is the CLI as a user on the daemon's machine runs it (the local
# socket: the CLI hands the daemon its file descriptors); "cairn-tcp" is the same CLI over TCP, as from
# another machine (client-side cutting, hashing and dedup).
run_cairn() {
  local s=$1 tool=$2 D=$WORK/cairn.$s RD=$WORK/restore.cairn.$s port pid i last=$((COUNT-1))
  rm -rf "$D" "$RD"; mkdir -p "$RD"
  port=$(free_port)
  "$ROOT/bin/cairnd" --data "$D" --listen "127.0.0.1:$port" >>"$RES/log/cairnd.$s.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
  local C
  if [[ $tool == cairn-tcp ]]; then C=("$ROOT/bin/cairn" --server "127.0.0.1:$port")
  else C=("$ROOT/bin/cairn" --local --socket "$D/cairnd.sock"); fi
  "${C[@]}" stats >/dev/null  # warms the CLI's class-data archive, outside the measurements
  local cpu0 cpu1 cpu2
  cpu0=$(proc_cpu $pid)
  for ((i=0; i<COUNT; i++)); do
    tv "$tool" "$s" ingest $i "${C[@]}" put --series "$s" --step $i \
      --time "$(date -u -d "2026-11-01 +$i hour" +%Y-%m-%dT%H:%M:%SZ)" "$DATA/$s/$(printf ckpt_%03d.bin $i)" || true
  done
  cpu1=$(proc_cpu $pid)
  rec "$tool" "$s" daemon_cpu_ingest_s "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN{printf "%.2f", b-a}')"
  rec "$tool" "$s" repo_bytes "$(store_size "$D")"
  local id
  id=$("${C[@]}" ls --series "$s" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
  for ((i=0; i<RESTORE_RUNS; i++)); do
    rm -f "$RD/model.bin"
    tv "$tool" "$s" restore $i "${C[@]}" get "$id" -o "$RD/model.bin" || true
  done
  rec "$tool" "$s" verify "$(cmp -s "$DATA/$s/$(printf ckpt_%03d.bin $last)" "$RD/model.bin" && echo OK || echo MISMATCH)"
  cpu2=$(proc_cpu $pid)
  rec "$tool" "$s" daemon_cpu_restore_s "$(awk -v a="$cpu1" -v b="$cpu2" 'BEGIN{printf "%.2f", b-a}')"
  printf 'policies:\n  - series: "%s"\n    last: 2\n    max_remove: 100%%\n    grace: 0s\n' "$s" >"$WORK/cairn.last2.$s.yaml"
  tv "$tool" "$s" gc_prune 0 "${C[@]}" trim --series "$s" --policy "$WORK/cairn.last2.$s.yaml" || true
  tv "$tool" "$s" gc_compact 0 "${C[@]}" gc || true
  rec "$tool" "$s" repo_bytes_after_gc "$(store_size "$D")"
  rm -f "$RD/model.bin"
  tv "$tool" "$s" restore_after_gc 0 "${C[@]}" get "$id" -o "$RD/model.bin" || true
  rec "$tool" "$s" verify_after_gc "$(cmp -s "$DATA/$s/$(printf ckpt_%03d.bin $last)" "$RD/model.bin" && echo OK || echo MISMATCH)"
  rec "$tool" "$s" daemon_cpu_gc_s "$(awk -v a="$cpu2" -v b="$(proc_cpu $pid)" 'BEGIN{printf "%.2f", b-a}')"
  rec "$tool" "$s" daemon_peak_rss_kb "$(proc_hwm $pid)"
  kill -TERM $pid; wait $pid || true
  [[ "${KEEP:-0}" == 1 ]] || rm -rf "$D"
  rm -rf "$RD"
}

log "cairn ($CAIRN_TOOLS): $SERIES ($MODE)"
for s in $SERIES; do
  for tool in $CAIRN_TOOLS; do
    for f in raw sizes; do  # drop rows of an earlier run of this tool and series
      [[ -f $RES/$f.tsv ]] || continue
      awk -F'\t' -v s="$s" -v t="$tool" '!($1==t && $2==s)' "$RES/$f.tsv" >"$RES/$f.tsv.tmp" && mv "$RES/$f.tsv.tmp" "$RES/$f.tsv"
    done
    cat "$DATA/$s"/ckpt_*.bin >/dev/null  # page cache, as for the peers
    log "  $tool / $s"
    run_cairn "$s" "$tool"
  done
done

python3 "$HERE/report.py" "$RES" "$DATA" "$MODE" >"$RES/summary.md"
cat "$RES/summary.md"
if [[ "${PUBLISH:-0}" == 1 ]]; then
  mkdir -p "$ROOT/docs/bench"
  cp "$RES/summary.md" "$ROOT/docs/bench/summary-$MODE.md"
  cp "$RES/chart-$MODE.svg" "$ROOT/docs/bench/chart-$MODE.svg"
  log "published to docs/bench/"
fi
