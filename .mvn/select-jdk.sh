# Sourced by ./mvnw, ./strata and .ci/run (POSIX sh). Strata builds with Java 21+, but the
# machine's default java may be older: when JAVA_HOME does not point at a JDK 21 or newer,
# pick the newest one installed in the usual places and export it as JAVA_HOME.

strata_java_major() { # $1 = a JDK home; prints its major version, or nothing
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n 1
  elif [ -x "$1/bin/java" ]; then
    "$1/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
  fi
}

strata_select_jdk() {
  _major=""
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    _major=$(strata_java_major "$JAVA_HOME")
    if [ -n "$_major" ] && [ "$_major" -ge 21 ]; then
      return 0
    fi
  fi
  _best="" _best_major=0
  for _home in /usr/lib/jvm/* /opt/java/* /opt/jdk* "${HOME:-/nonexistent}"/.sdkman/candidates/java/* \
      "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")"; do
    [ -x "$_home/bin/javac" ] || continue
    _major=$(strata_java_major "$_home")
    [ -n "$_major" ] || continue
    if [ "$_major" -ge 21 ] && [ "$_major" -gt "$_best_major" ]; then
      _best="$_home" _best_major="$_major"
    fi
  done
  if [ -n "$_best" ]; then
    JAVA_HOME="$_best"
    export JAVA_HOME
  fi
}

strata_select_jdk

# Maven 3.9 still calls sun.misc.Unsafe through Guice; JDK 24+ warns about it on every build.
if [ -n "${JAVA_HOME:-}" ] && [ "$(strata_java_major "$JAVA_HOME")" -ge 24 ] 2>/dev/null; then
  case " ${MAVEN_OPTS:-} " in
    *" --sun-misc-unsafe-memory-access="*) ;;
    *) MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"; export MAVEN_OPTS ;;
  esac
fi
