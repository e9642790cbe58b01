#!/usr/bin/env bash
# The daemon's peak RSS (VmHWM) and wall time under one client's 256 MiB put/get load and a GC,
# for each set of JVM flags given (one argument per set; "" = the JVM's own defaults, "default" =
# bin/cairnd's). Per set: a fresh data directory, a daemon, then through bin/cairn: put a 256 MiB
# file over the local socket, another over TCP (client-side chunking), a 10%-changed copy of the
# first (local), get each back (local, TCP) and compare, trim all but the last of the series
# (grace 0) and GC. Prints one line per set.
#   benchmarks/scripts/daemon-rss.sh [WORK] -- "FLAGS" ... ; e.g.
#   benchmarks/scripts/daemon-rss.sh /tmp/rss -- "" default "-XX:+UseSerialGC -Xmx128m"
# NMT=1 and -XX:NativeMemoryTracking=summary in a set: the JVM's native memory summary at the end.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=/tmp/cairn-daemon-rss
if [[ ${1:-} != -- && -n ${1:-} ]]; then WORK=$1; shift; fi
[[ ${1:-} == -- ]] && shift
(( $# )) || set -- default
. "$HERE/bin/env.sh"
cairn_build server
cairn_pick_java
C=$HERE/bin/cairn
mkdir -p "$WORK" && cd "$WORK"
[[ -f a ]] || head -c 256M /dev/urandom > a
[[ -f b ]] || head -c 256M /dev/urandom > b
if [[ ! -f a2 ]]; then # a with every tenth MiB rewritten
  cp a a2
  for i in $(seq 0 10 255); do head -c 1M /dev/urandom | dd of=a2 bs=1M seek="$i" conv=notrunc status=none; done
fi
printf 'policies:\n  - series: "load/*"\n    last: 1\n    grace: 0s\n' > policy.yaml
for flags in "$@"; do
  launcher=(env)
  if [[ $flags == default ]]; then # as bin/cairnd starts it
    cairn_daemon_flags; opts=("${CAIRN_DAEMON_FLAGS[@]}"); launcher=(env "MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}")
  else set -f; opts=($flags); set +f; fi
  rm -rf data out-*
  : > daemon.log
  "${launcher[@]}" "$CAIRN_JAVA_BIN" "${opts[@]}" --enable-native-access=ALL-UNNAMED -cp "$(cairn_classpath server)" \
    dev.cairn.server.CairnDaemon --data "$WORK/data" --listen 127.0.0.1:0 > daemon.log 2>&1 &
  pid=$!
  port=""
  for _ in $(seq 600); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' daemon.log | head -1)
    [[ -n $port && -S data/cairnd.sock ]] && break
    sleep 0.1
  done
  export CAIRN_SOCKET=$WORK/data/cairnd.sock
  t0=$(date +%s.%N)
  ida=$("$C" --local put --series load/x a)
  idb=$("$C" --remote --server "127.0.0.1:$port" put --series load/y b)
  "$C" --local put --series load/x a2 > /dev/null
  "$C" --local get "$ida" -o out-a > /dev/null
  "$C" --remote --server "127.0.0.1:$port" get "$idb" -o out-b > /dev/null
  cmp -s a out-a && cmp -s b out-b || { echo "restore not bit-exact" >&2; exit 1; }
  "$C" --local trim --policy policy.yaml --force > /dev/null
  "$C" --local gc > /dev/null
  t1=$(date +%s.%N)
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  # NMT=1 (with -XX:NativeMemoryTracking=summary among the flags): where the memory is, at the end.
  [[ ${NMT:-0} == 1 ]] && "$(dirname "$CAIRN_JAVA_BIN")/jcmd" "$pid" VM.native_memory summary | grep -E '^-|Total' >&2
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [[ $flags == default ]] && flags="bin/cairnd's defaults: ${opts[*]} MALLOC_ARENA_MAX=2"
  printf '%-60s peak RSS %4d MiB  load %5.1f s  (load average %s)\n' "${flags:-JVM defaults}" $((hwm / 1024)) \
    "$(echo "$t1 - $t0" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"
done
