# shellcheck shell=bash
# Finds a JDK that can build and run ringkv. Sourced by ops/ringkv and .ci/run; defines functions
# only, so sourcing it changes nothing by itself.
#
#   JAVA_HOME=$(ringkv_find_jdk) || exit 1
#
# Order: $JAVA_HOME when it is new enough; else the newest suitable JDK in the usual install
# directories; else the `java` on PATH when it is new enough. A JDK here means a directory with
# bin/java and bin/javac (the Maven build needs the compiler).

RINGKV_JAVA_FEATURE_MIN=25

# Prints the feature release of the JDK at $1 (25 for 25.0.1, 8 for 1.8.0_402); fails when $1 is
# not a JDK. Reads the `release` file that every JDK since 9 ships, and asks the JVM only when that
# file is missing, because starting a JVM for each candidate is slow.
ringkv_java_feature() {
  local home=$1 version=""
  [[ -x "$home/bin/java" && -x "$home/bin/javac" ]] || return 1
  if [[ -r "$home/release" ]]; then
    version=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$home/release" | head -n 1)
  fi
  if [[ -z $version ]]; then
    version=$("$home/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java\.specification\.version = //p' | head -n 1)
  fi
  version=${version#1.}
  version=${version%%[._+-]*}
  [[ $version =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$version"
}

# The directories where JDKs are usually installed: Debian/Ubuntu and RPM packages, Docker images
# and tarballs under /opt, macOS, SDKMAN! and IntelliJ downloads.
ringkv_jdk_candidates() {
  local dir
  for dir in /usr/lib/jvm/* /opt/java* /opt/java/* /opt/jdk* \
    /Library/Java/JavaVirtualMachines/*/Contents/Home \
    "${HOME:-/nonexistent}"/.sdkman/candidates/java/* "${HOME:-/nonexistent}"/.jdks/*; do
    [[ -d $dir ]] && printf '%s\n' "$dir"
  done
  return 0
}

# Prints the home of a JDK whose feature release is at least $1 (default 25), or explains on
# stderr what it looked at and fails.
ringkv_find_jdk() {
  local min=${1:-$RINGKV_JAVA_FEATURE_MIN} feature best="" best_feature=0 dir on_path=""
  if [[ -n ${JAVA_HOME:-} ]] && feature=$(ringkv_java_feature "$JAVA_HOME") && ((feature >= min)); then
    printf '%s\n' "$JAVA_HOME"
    return 0
  fi
  while IFS= read -r dir; do
    if feature=$(ringkv_java_feature "$dir") && ((feature >= min && feature > best_feature)); then
      best=$dir
      best_feature=$feature
    fi
  done < <(ringkv_jdk_candidates)
  if [[ -n $best ]]; then
    printf '%s\n' "$best"
    return 0
  fi
  if command -v java >/dev/null 2>&1; then
    on_path=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p' | head -n 1)
    if [[ -n $on_path ]] && feature=$(ringkv_java_feature "$on_path") && ((feature >= min)); then
      printf '%s\n' "$on_path"
      return 0
    fi
  fi
  {
    printf 'error: ringkv needs a JDK %s or newer, and none was found.\n' "$min"
    if [[ -n ${JAVA_HOME:-} ]]; then
      printf '  JAVA_HOME=%s is release %s\n' "$JAVA_HOME" "$(ringkv_java_feature "$JAVA_HOME" || echo '?, or not a JDK')"
    else
      printf '  JAVA_HOME is not set\n'
    fi
    printf '  looked in /usr/lib/jvm, /opt/java*, /opt/jdk*, /Library/Java/JavaVirtualMachines, ~/.sdkman, ~/.jdks and PATH\n'
    printf '  install a JDK %s (for example Eclipse Temurin) and set JAVA_HOME to it.\n' "$min"
  } >&2
  return 1
}
