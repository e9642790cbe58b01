# Shared by bin/cairnd and bin/cairn: picks the newest JDK present and builds the jars if needed.
# Cairn is compiled for Java 17; it runs fastest on the newest JDK installed (the chunker loop ran
# ~1.7x faster on 25 than on 17 here). Override with CAIRN_JAVA=/path/to/java.
CAIRN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

cairn_java() {
  if [[ -n "${CAIRN_JAVA:-}" ]]; then echo "$CAIRN_JAVA"; return; fi
  local best="" bestv=0 j v
  for j in /usr/lib/jvm/*/bin/java ${JAVA_HOME:+$JAVA_HOME/bin/java}; do
    [[ -x $j ]] || continue
    v=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    v=${v%%.*}
    if [[ $v =~ ^[0-9]+$ ]] && (( v > bestv )); then best=$j; bestv=$v; fi
  done
  echo "${best:-java}"
}

# cairn_build MODULE: builds MODULE and what it needs unless its jar is newer than every source.
cairn_build() {
  local module=$1 jar
  jar=$(ls "$CAIRN_HOME/$module"/target/cairn-"$module"-*.jar 2>/dev/null | grep -v -- '-tests.jar' | head -1 || true)
  if [[ -n $jar && -d $CAIRN_HOME/$module/target/lib ]] && \
     [[ -z $(find "$CAIRN_HOME" -path '*/target' -prune -o \( -name '*.java' -o -name pom.xml \) -newer "$jar" -print -quit) ]]; then
    return 0
  fi
  echo "building Cairn ($module)..." >&2
  (cd "$CAIRN_HOME" && mvn -q -B -DskipTests -pl "$module" -am package) >&2
}

cairn_classpath() {
  local module=$1 jar
  jar=$(ls "$CAIRN_HOME/$module"/target/cairn-"$module"-*.jar | grep -v -- '-tests.jar' | head -1)
  echo "$jar:$CAIRN_HOME/$module/target/lib/*"
}
