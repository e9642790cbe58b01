# Shared by bin/cairnd and bin/cairn: picks the newest JDK present and builds the jars if needed.
# Cairn is compiled for Java 17; it runs fastest on the newest JDK installed (the chunker loop ran
# ~1.7x faster on 25 than on 17 here). Override with CAIRN_JAVA=/path/to/java.
CAIRN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# cairn_pick_java: sets CAIRN_JAVA_BIN (the java to run) and CAIRN_JAVA_FEATURE (its feature
# release, e.g. 25; 0 if unknown). Reads each JDK's `release` file instead of starting it, so the
# choice costs nothing at every CLI call.
cairn_pick_java() {
  CAIRN_JAVA_FEATURE=0
  CAIRN_JAVA_BIN=java
  local home v
  if [[ -n "${CAIRN_JAVA:-}" ]]; then
    CAIRN_JAVA_BIN=$CAIRN_JAVA
    home=$(cd "$(dirname "$CAIRN_JAVA")/.." 2>/dev/null && pwd) || return 0
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2>/dev/null) || return 0
    [[ $v =~ ^[0-9]+$ ]] && CAIRN_JAVA_FEATURE=$v
    return 0
  fi
  for home in /usr/lib/jvm/* ${JAVA_HOME:+$JAVA_HOME}; do
    [[ -x $home/bin/java && -f $home/release ]] || continue
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
    if [[ $v =~ ^[0-9]+$ ]] && (( v > CAIRN_JAVA_FEATURE )); then
      CAIRN_JAVA_BIN=$home/bin/java
      CAIRN_JAVA_FEATURE=$v
    fi
  done
}

# cairn_build MODULE: builds MODULE and what it needs unless a build of it is newer than every
# source and pom (a stamp file, because Maven keeps an unchanged jar's old timestamp).
cairn_build() {
  local module=$1 stamp
  stamp=$CAIRN_HOME/$module/target/.cairn-built
  if [[ -f $stamp && -d $CAIRN_HOME/$module/target/lib ]] && \
     [[ -z $(find "$CAIRN_HOME" -path '*/target' -prune -o \( -name '*.java' -o -name pom.xml \) -newer "$stamp" -print -quit) ]]; then
    return 0
  fi
  echo "building Cairn ($module)..." >&2
  # target/lib afresh: a jar a newer build no longer ships must not stay on the class path.
  rm -rf "$CAIRN_HOME/$module/target/lib"
  (cd "$CAIRN_HOME" && mvn -q -B -DskipTests -pl "$module" -am package) >&2
  touch "$stamp"
}

# cairn_jar MODULE: the module's built jar.
cairn_jar() {
  local jar
  for jar in "$CAIRN_HOME/$1"/target/cairn-"$1"-*.jar; do
    [[ $jar == *-tests.jar || $jar == *-sources.jar ]] || { echo "$jar"; return 0; }
  done
  return 1
}

# cairn_classpath MODULE: the module's jar and target/lib's jars, spelt out in sorted order (not
# lib/*, which the JVM expands in directory order): a class-data archive is only used with the
# class path it was made with.
cairn_classpath() {
  local cp jar
  cp=$(cairn_jar "$1")
  for jar in "$CAIRN_HOME/$1"/target/lib/*.jar; do cp+=":$jar"; done
  echo "$cp"
}

# cairn_daemon_flags: sets CAIRN_DAEMON_FLAGS, bin/cairnd's default JVM flags (CAIRN_JAVA_OPTS,
# given after them, overrides any). Chosen by measurement (benchmarks/scripts/daemon-rss.sh;
# docs/BENCHMARKS.md, "Daemon memory"); README.md, "Running the daemon", says what they bound.
cairn_daemon_flags() {
  # Heap: the put/get pipeline's buffers and a GC's mark set (~25 B per live chunk: 96 MiB ran a GC
  # of 1.6 M live chunks, ~25 GB of unique data at 16 KiB chunks, at a 94 MiB peak, but slowly, at
  # its limit). So 96 MiB, plus a third of the metadata the stores already hold (`meta/` takes
  # ~120 B per chunk, the mark set ~25-40 B of it), at most a quarter of RAM (the JVM's default):
  # RSS bounded by the stores' metadata, not by checkpoint size. CAIRN_JAVA_OPTS=-Xmx... overrides.
  # The JVM's own default (a quarter of RAM, and G1 growing the heap while that is cheaper than
  # collecting) reached 632 MiB RSS under one client's 256 MiB puts and gets; 96 MiB, 233 MiB for
  # the same load, at the same speed.
  # Direct memory: Netty's frame buffers (a connection's in-flight bytes, max_in_flight_bytes).
  local data=./cairn-data conf="" meta=0 heap ram
  while (( $# )); do
    case $1 in
      --data) data=${2:-$data}; shift ;;
      --data=*) data=${1#--data=} ;;
      --config) conf=${2:-}; shift ;;
      --config=*) conf=${1#--config=} ;;
    esac
    shift
  done
  if [[ $data == ./cairn-data && -n $conf && -r $conf ]]; then
    local d
    d=$(sed -n 's/^data:[[:space:]]*\([^#[:space:]]*\).*/\1/p' "$conf" | head -1)
    [[ -n $d ]] && data=${d//\"/}
  fi
  if [[ -d $data ]]; then
    meta=$(find "$data" -maxdepth 3 -type d -name meta -print0 2>/dev/null | du -sb --files0-from=- -c 2>/dev/null \
      | awk 'END{print $1+0}')
  fi
  heap=$(( 96 + meta / 3 / 1048576 ))
  ram=$(awk '/MemTotal/{print int($2/1024/4)}' /proc/meminfo 2>/dev/null || echo 0)
  (( ram > 96 && heap > ram )) && heap=$ram
  CAIRN_DAEMON_FLAGS=(-Xmx${heap}m -XX:MaxDirectMemorySize=128m)
}

# cairn_cli_flags: sets CAIRN_CLI_FLAGS, the JVM flags of every bin/cairn call (and of the
# training run that makes its archive, which must run with the same ones). CAIRN_JAVA_FEATURE must
# be set (cairn_pick_java). Measured in docs/BENCHMARKS.md, "CLI start-up and the local path".
cairn_cli_flags() {
  CAIRN_CLI_FLAGS=()
  # Netty on JDK 24+, where sun.misc.Unsafe's memory access warns unless allowed, avoids Unsafe
  # and links malloc/free through the FFM API at start instead (~60 ms per call here); allowing it
  # (a flag JDK 23+ knows) keeps Netty on its cheaper path.
  (( CAIRN_JAVA_FEATURE >= 23 )) && CAIRN_CLI_FLAGS+=(--sun-misc-unsafe-memory-access=allow)
  # Netty's JFR events cost ~0.1 s of start-up and serve no one in a one-shot command.
  CAIRN_CLI_FLAGS+=(-Dio.netty.jfr.enabled=false)
  # The local fast path hands the daemon open files; reading a java.io.FileDescriptor's number needs
  # java.io opened to the CLI (without it, put and get over the local socket stream bytes instead).
  CAIRN_CLI_FLAGS+=(--add-opens java.base/java.io=ALL-UNNAMED --enable-native-access=ALL-UNNAMED)
  # The serial collector: a short-lived command with one busy thread gains nothing from G1's
  # concurrent work, which on 2 cores cost 15-20% of a 256 MiB put or get.
  CAIRN_CLI_FLAGS+=(-XX:+UseSerialGC)
  # JIT thresholds x20: most of a call's classes come linked from the archive and run briefly, and
  # compiling them cost more than it saved (a local 1-byte put: 0.43 -> 0.25 s of CPU, 72 -> 63
  # MiB peak RSS); hot loops (the remote path's chunking and hashing) still reach C2 within
  # milliseconds. Measured against C1 only and -Xint in docs/BENCHMARKS.md.
  CAIRN_CLI_FLAGS+=(-XX:CompileThresholdScaling=20)
  CAIRN_CLI_FLAGS+=(-Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.io.netty=error)
}

# cairn_cli_archive: sets CAIRN_CLI_ARCHIVE to the JVM flags that use bin/cairn's class-data
# archive (empty if there is none), making the archive first if it is missing or stale. JDK 25+:
# an AOT cache (JEP 483/515: classes loaded and linked, method profiles), else a dynamic CDS
# archive (JDK 17-24); both from one training run (dev.cairn.cli.Training) of the real commands
# against a throwaway daemon, over the local socket and TCP. The archive is keyed to the exact
# class path (every jar's path, size and modification time) and the java binary, recorded next to
# it: the JDK 25 JVM was seen to use an AOT cache whose jars had changed since (it validates the
# JDK, not the jars' contents), so a stale archive must never be offered to it. On any other
# mismatch the JVM runs without the archive, and its archive warnings are off: nothing reaches the
# user's stderr. CAIRN_CDS=0: no archive.
cairn_cli_archive() {
  CAIRN_CLI_ARCHIVE=()
  [[ ${CAIRN_CDS:-1} == 0 ]] && return 0
  (( CAIRN_JAVA_FEATURE >= 17 )) || return 0
  local dir=$CAIRN_HOME/cli/target/cds kind=jsa use=-XX:SharedArchiveFile make=-XX:ArchiveClassesAtExit key
  if (( CAIRN_JAVA_FEATURE >= 25 )); then kind=aot use=-XX:AOTCache make=-XX:AOTCacheOutput; fi
  local archive=$dir/cairn-cli-jdk$CAIRN_JAVA_FEATURE.$kind
  key=$(cairn_cli_key) || return 0
  if [[ ! -f $archive || ! -f $archive.key || "$(< "$archive.key")" != "$key" ]]; then
    # A failed training is not retried for the same jars (it would cost every call seconds).
    if [[ -f $archive.failed && "$(< "$archive.failed")" == "$key" ]]; then return 0; fi
    # One training at a time: calls that start meanwhile (parallel jobs after a build) run
    # without the archive instead of each starting a daemon of their own. flock(1) releases the
    # lock when the training's shell ends, however it ends.
    local lock
    mkdir -p "$dir"
    if command -v flock > /dev/null; then
      exec {lock}> "$dir/training.lock"
      flock -n "$lock" || { exec {lock}>&-; return 0; }
    fi
    if [[ ! -f $archive.key || "$(< "$archive.key")" != "$key" ]]; then
      cairn_train_cli "$archive" "$make" "$key" || { [[ -n ${lock:-} ]] && exec {lock}>&-; return 0; }
    fi
    [[ -n ${lock:-} ]] && exec {lock}>&-
  fi
  # Log warnings still reach stderr, except the archive's own (a stale or unusable archive is
  # not the user's concern); JVM messages never go to stdout, which may be --json output.
  CAIRN_CLI_ARCHIVE=("$use=$archive" -Xlog:disable -Xlog:all=warning:stderr -Xlog:cds*=off:stderr)
  (( CAIRN_JAVA_FEATURE >= 25 )) && CAIRN_CLI_ARCHIVE+=(-Xlog:aot*=off:stderr)
  return 0
}

# cairn_cli_key: what bin/cairn's archive is keyed to: the java binary, the JVM flags, and every
# jar of the CLI's class path with its size and modification time (one stat call).
cairn_cli_key() {
  local cp
  cp=$(cairn_classpath cli) || return 1
  cairn_cli_flags
  echo "$CAIRN_JAVA_BIN ${CAIRN_CLI_FLAGS[*]}"
  stat -L -c '%n %s %Y' ${cp//:/ }
}

# cairn_train_cli ARCHIVE MAKE-FLAG KEY: the training run behind cairn_cli_archive. Starts a
# daemon on a temporary data directory (TCP port chosen by the kernel), runs dev.cairn.cli.Training
# with MAKE-FLAG=ARCHIVE, stops the daemon, and keeps the archive (with KEY next to it) only if
# every command succeeded; a failure is remembered under KEY.
# Progress and failures go to stderr, one line each; the details to ARCHIVE.log.
cairn_train_cli() {
  local archive=$1 make=$2 key=$3 dir tmp daemon port="" rc=0 i out=$1.tmp.$$ unsafe=()
  dir=$(dirname "$archive")
  mkdir -p "$dir"
  # Another call may be training too: each writes its own temporary file and renames it.
  rm -f "$archive.key" "$archive.failed"
  echo "cairn: making the start-up archive for JDK $CAIRN_JAVA_FEATURE (once per build)..." >&2
  cairn_build server
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-training.XXXXXX")
  mkdir "$tmp/work"
  : > "$tmp/daemon.log"
  (( CAIRN_JAVA_FEATURE >= 23 )) && unsafe=(--sun-misc-unsafe-memory-access=allow)
  cairn_daemon_flags
  "$CAIRN_JAVA_BIN" "${CAIRN_DAEMON_FLAGS[@]}" --enable-native-access=ALL-UNNAMED "${unsafe[@]}" \
    -cp "$(cairn_classpath server)" dev.cairn.server.CairnDaemon --data "$tmp/data" --listen 127.0.0.1:0 \
    > "$tmp/daemon.log" 2>&1 < /dev/null &
  daemon=$!
  # Serving once the start-up line is logged (the local socket, if there is one, is up by then;
  # without epoll there is none, and the training skips the local path).
  for i in $(seq 600); do
    grep -q ' serving ' "$tmp/daemon.log" && \
      port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/daemon.log" | head -1)
    [[ -n $port ]] && break
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $port ]]; then
    rc=1
  else
    cairn_cli_flags
    "$CAIRN_JAVA_BIN" "${CAIRN_CLI_FLAGS[@]}" "$make=$out" -Xlog:disable -Xlog:all=error:stderr \
      -cp "$(cairn_classpath cli)" dev.cairn.cli.Training "$tmp/data/cairnd.sock" "127.0.0.1:$port" "$tmp/work" \
      > "$archive.log" 2>&1 < /dev/null || rc=1
  fi
  kill "$daemon" 2>/dev/null
  wait "$daemon" 2>/dev/null
  cat "$tmp/daemon.log" >> "$archive.log"
  rm -rf "$tmp" "$out.config"
  if (( rc == 0 )) && [[ -s $out ]]; then
    # The key last: until it is written, no call uses the new archive.
    mv -f "$out" "$archive"
    echo "$key" > "$out.key" && mv -f "$out.key" "$archive.key"
    return 0
  fi
  rm -f "$out"
  echo "$key" > "$archive.failed"
  echo "cairn: could not make the start-up archive (details: $archive.log); running without it" >&2
  return 1
}
