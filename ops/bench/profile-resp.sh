#!/usr/bin/env bash
# Where a node's CPU goes under redis-benchmark: starts a -Xmx64m node (pinned like the other
# benches) under a CPU profiler, drives its RESP port with redis-benchmark, and prints the hottest
# frames of the node's event loops, log writer and log maintenance, by samples on top of the stack
# (self) and anywhere on it (total).
#
#   ops/bench/profile-resp.sh [test (default set)] [pipeline (default 1)] [requests (default 500000)]
#                             [fsync (default never)]
#
# The profiler is async-profiler (Maven Central's tools.profiler:async-profiler, fetched through
# the Maven wrapper on first use; Linux x86-64): it samples every 100 µs and sees kernel and JVM
# frames too, so system calls show where they cost. Without it (another platform, no network) the
# script falls back to Java Flight Recorder, which samples Java frames only. A GET test first
# stores the keys with a shorter SET pass, so that GETs find values (that pass is in the profile
# too). Start-up and the JIT compilers' threads are left out of the report by thread name.
# Output: target/bench/profile-<test>-P<pipeline>.collapsed (one line per stack, for flame graph
# tools) or .jfr (for `jfr print` or JMC).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/bench.sh
source "$ROOT/ops/lib/bench.sh"
TEST=${1:-set} PIPELINE=${2:-1} REQUESTS=${3:-500000} FSYNC=${4:-never}
PORT=${RINGKV_BENCH_PORT:-23310} REST=${RINGKV_BENCH_REST_PORT:-23390} RESP=${RINGKV_BENCH_RESP_PORT:-23391}
ASYNC_PROFILER_VERSION=4.2
JAR=$ROOT/target/ringkv.jar
[[ -f $JAR ]] || (cd "$ROOT" && ./mvnw -q -B package -DskipTests)
command -v redis-benchmark >/dev/null || { echo "needs redis-benchmark (Debian: redis-tools)" >&2; exit 1; }
OUT=$ROOT/target/bench; mkdir -p "$OUT"
WORK=$(mktemp -d); NODE_PID=
cleanup() { [[ -n $NODE_PID ]] && kill -9 "$NODE_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# The async-profiler agent, extracted from its Maven artifact; empty when it cannot be had.
async_profiler() {
  local lib=$OUT/async-profiler/libasyncProfiler.so
  local artifact=$HOME/.m2/repository/tools/profiler/async-profiler/$ASYNC_PROFILER_VERSION/async-profiler-$ASYNC_PROFILER_VERSION.jar
  [[ $(uname -sm) == "Linux x86_64" ]] || return 0
  if [[ ! -f $lib ]]; then
    [[ -f $artifact ]] || (cd "$ROOT" && ./mvnw -q -B dependency:get \
      -Dartifact="tools.profiler:async-profiler:$ASYNC_PROFILER_VERSION" >/dev/null 2>&1) || return 0
    mkdir -p "$(dirname "$lib")"
    unzip -p "$artifact" linux-x64/libasyncProfiler.so >"$lib.tmp" 2>/dev/null && mv "$lib.tmp" "$lib" || return 0
  fi
  echo "$lib"
}

AGENT=$(async_profiler)
if [[ -n $AGENT ]]; then
  PROFILE=$OUT/profile-$TEST-P$PIPELINE.collapsed
  PROFILER=(-agentpath:"$AGENT"=start,event=cpu,interval=100us,threads,file="$PROFILE",collapsed)
else
  PROFILE=$OUT/profile-$TEST-P$PIPELINE.jfr
  PROFILER=(-XX:StartFlightRecording=filename="$PROFILE",settings=profile)
fi
rm -f "$PROFILE"
${PIN_SERVER[@]+"${PIN_SERVER[@]}"} "$JAVA" -Xmx64m "${PROFILER[@]}" \
  -jar "$JAR" --spring.profiles.active=node --ringkv.node.port="$PORT" --server.port="$REST" \
  --ringkv.node.resp-port="$RESP" --ringkv.storage.dir="$WORK/data" --ringkv.storage.fsync="$FSYNC" \
  >"$WORK/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 600); do
  curl -fs "http://127.0.0.1:$REST/actuator/health/readiness" >/dev/null && break
  kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/node.log" >&2; exit 1; }
  sleep 0.1
done
if [[ $TEST == get ]]; then
  ${PIN_LOAD[@]+"${PIN_LOAD[@]}"} redis-benchmark -p "$RESP" -t set -P 16 -n 300000 -c 50 -d 100 -r 100000 -q >/dev/null
fi
echo "# profile ($([[ -n $AGENT ]] && echo "async-profiler $ASYNC_PROFILER_VERSION, cpu, 100 µs" || echo "JFR")):" \
  "redis-benchmark -t $TEST -P $PIPELINE -n $REQUESTS -c 50 -d 100 against a node with fsync=$FSYNC"
${PIN_LOAD[@]+"${PIN_LOAD[@]}"} redis-benchmark -p "$RESP" -t "$TEST" -P "$PIPELINE" -n "$REQUESTS" -c 50 -d 100 \
  -r 100000 -q | tr '\r' '\n' | grep -v '^$' | tail -1
kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true; NODE_PID=

# Stacks of the node's own threads (event loops, log writer and maintenance), as
# "frame;frame;... samples" lines, root first.
NODE_THREADS='ringkv-resp-[0-9]|ringkv-log-|ringkv-udp|ringkv-tcp-[0-9]'
if [[ -n $AGENT ]]; then
  grep -E "^\[($NODE_THREADS)" "$PROFILE" | grep -v -- '-accept-' | sed -E 's/^\[[^]]*\];//'
else
  "$JAVA_HOME/bin/jfr" print --stack-depth 64 --events jdk.ExecutionSample "$PROFILE" | awk -v threads="$NODE_THREADS" '
    /^jdk.ExecutionSample/ { inStack = 0; n = 0; next }
    /sampledThread = "/ { keep = ($0 ~ threads); next }
    /stackTrace = \[/ { inStack = 1; n = 0; next }
    inStack && /^[ \t]*\]/ {
      inStack = 0
      if (keep && n > 0) { line = frame[n]; for (i = n - 1; i >= 1; i--) line = line ";" frame[i]; print line " 1" }
      next
    }
    inStack && keep { f = $0; sub(/^[ \t]+/, "", f); sub(/[ \t]+line:.*/, "", f); if (f ~ /\(/) frame[++n] = f }'
fi | awk '
  { n = $NF; $NF = ""; sub(/ $/, ""); k = split($0, f, ";"); samples += n; self[f[k]] += n
    delete seen; for (i = 1; i <= k; i++) if (!(f[i] in seen)) { seen[f[i]] = 1; total[f[i]] += n } }
  END {
    printf "%d samples on the node'"'"'s threads\n\nself %%  frame (top of stack)\n", samples
    for (m in self) printf "%5.1f  %s\n", 100 * self[m] / samples, m | "sort -rn | head -20"
    close("sort -rn | head -20")
    printf "\ntotal %%  frame (anywhere on the stack)\n"
    for (m in total) printf "%5.1f  %s\n", 100 * total[m] / samples, m | "sort -rn | head -40"
  }'
echo "profile: $PROFILE"
