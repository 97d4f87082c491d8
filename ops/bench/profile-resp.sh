#!/usr/bin/env bash
# Where a node's CPU goes under redis-benchmark: starts a -Xmx64m node (pinned like the other
# benches) with Java Flight Recorder, drives its RESP port with redis-benchmark, and prints the
# hottest methods of the node's event loops and log writer, by samples on top of the stack (self)
# and anywhere on it (total).
#
#   ops/bench/profile-resp.sh [test (default set)] [pipeline (default 1)] [requests (default 500000)]
#                             [fsync (default never)]
#
# The recording stays in target/bench/profile-<test>-P<pipeline>.jfr for `jfr print` or JMC.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/bench.sh
source "$ROOT/ops/lib/bench.sh"
TEST=${1:-set} PIPELINE=${2:-1} REQUESTS=${3:-500000} FSYNC=${4:-never}
PORT=${RINGKV_BENCH_PORT:-23310} REST=${RINGKV_BENCH_REST_PORT:-23390} RESP=${RINGKV_BENCH_RESP_PORT:-23391}
JAR=$ROOT/target/ringkv.jar
[[ -f $JAR ]] || (cd "$ROOT" && ./mvnw -q -B package -DskipTests)
command -v redis-benchmark >/dev/null || { echo "needs redis-benchmark (Debian: redis-tools)" >&2; exit 1; }
OUT=$ROOT/target/bench; mkdir -p "$OUT"
JFR=$OUT/profile-$TEST-P$PIPELINE.jfr
WORK=$(mktemp -d); NODE_PID=
cleanup() { [[ -n $NODE_PID ]] && kill -9 "$NODE_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

${PIN_SERVER[@]+"${PIN_SERVER[@]}"} "$JAVA" -Xmx64m -XX:StartFlightRecording=filename="$JFR",settings=profile \
  -jar "$JAR" --spring.profiles.active=node --ringkv.node.port="$PORT" --server.port="$REST" \
  --ringkv.node.resp-port="$RESP" --ringkv.storage.dir="$WORK/data" --ringkv.storage.fsync="$FSYNC" \
  >"$WORK/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 600); do
  curl -fs "http://127.0.0.1:$REST/actuator/health/readiness" >/dev/null && break
  kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/node.log" >&2; exit 1; }
  sleep 0.1
done
echo "# profile: redis-benchmark -t $TEST -P $PIPELINE -n $REQUESTS -c 50 -d 100 against a node with fsync=$FSYNC"
${PIN_LOAD[@]+"${PIN_LOAD[@]}"} redis-benchmark -p "$RESP" -t "$TEST" -P "$PIPELINE" -n "$REQUESTS" -c 50 -d 100 \
  -r 100000 -q | tr '\r' '\n' | grep -v '^$' | tail -1
kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true; NODE_PID=
# Stacks of the node's own threads (event loops, log writer), top frame first.
"$JAVA_HOME/bin/jfr" print --stack-depth 64 --events jdk.ExecutionSample "$JFR" | awk '
  /^jdk.ExecutionSample/ { inStack = 0; depth = 0; delete seen; next }
  /sampledThread = "/ { keep = ($0 ~ /epoll|nio|ringkv|resp|log-writer|Loop/); next }
  /stackTrace = \[/ { inStack = 1; if (keep) samples++; next }
  inStack && /^[ \t]*\]/ { inStack = 0; next }
  inStack && keep {
    line = $0; sub(/^[ \t]+/, "", line); sub(/[ \t]+line:.*/, "", line)
    if (line !~ /\(/) next
    if (depth == 0) self[line]++
    if (!(line in seen)) { total[line]++; seen[line] = 1 }
    depth++
  }
  END {
    printf "%d samples on the node'"'"'s threads\n\nself %%  method (top of stack)\n", samples
    for (m in self) printf "%5.1f  %s\n", 100 * self[m] / samples, m | "sort -rn | head -15"
    close("sort -rn | head -15")
    printf "\ntotal %%  method (anywhere on the stack)\n"
    for (m in total) printf "%5.1f  %s\n", 100 * total[m] / samples, m | "sort -rn | head -25"
  }'
echo "recording: $JFR"
