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
  if [[ -n "${CAIRN_JAVA:-}" ]]; then CAIRN_JAVA_BIN=$CAIRN_JAVA; return; fi
  local home v
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
  (cd "$CAIRN_HOME" && mvn -q -B -DskipTests -pl "$module" -am package) >&2
  touch "$stamp"
}

# cairn_jar MODULE: the module's built jar.
cairn_jar() {
  ls "$CAIRN_HOME/$1"/target/cairn-"$1"-*.jar | grep -v -- '-tests.jar' | head -1
}

cairn_classpath() {
  echo "$(cairn_jar "$1"):$CAIRN_HOME/$1/target/lib/*"
}
