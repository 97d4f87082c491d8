# shellcheck shell=bash
# What the scripts in ops/bench/ share; sourced once ROOT (the repository) is set. Defines JAVA and
# JAVA_HOME (a JDK 25, found as ops/ringkv finds it), PIN_SERVER and PIN_LOAD (taskset to CPU 0 for
# the server under test and CPU 1 for the load tool, or nothing without taskset or a second CPU),
# and median. The scripts' default ports lie below Linux's ephemeral range (32768-60999 here), so
# that no client's outgoing connection holds one when a server under test starts.

# shellcheck source=java.sh
source "$ROOT/ops/lib/java.sh"
JAVA_HOME=$(ringkv_find_jdk "$RINGKV_JAVA_FEATURE_MIN") || exit 1
JAVA=$JAVA_HOME/bin/java
export JAVA_HOME
PIN_SERVER=() PIN_LOAD=()
if command -v taskset >/dev/null && (($(nproc) >= 2)); then PIN_SERVER=(taskset -c 0) PIN_LOAD=(taskset -c 1); fi

# Numbers on stdin, one a line -> "median min max".
median() { sort -g | awk '{a[NR]=$1} END{m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%s %s %s", m, a[1], a[NR]}'; }
