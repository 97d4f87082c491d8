#!/usr/bin/env bash
# Storage durability modes side by side: one -Xmx64m node per ringkv.storage.fsync mode (always,
# interval, never), each loaded over UDP by `ringkv bench` with PUTs only and with 90% GETs.
# Prints a Markdown table (ops/s, p50, p99, group-commit batch) and writes target/bench/fsync.csv.
#
#   ops/bench/fsync.sh [runs (default 3)] [duration (default 8s)] [inflight (default 32)]
#
# Each row is the median of the runs, with min–max. The node is pinned to CPU 0 and the load tool
# to CPU 1 when taskset exists and the box has two or more CPUs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/bench.sh
source "$ROOT/ops/lib/bench.sh"
RUNS=${1:-3} DURATION=${2:-8s} INFLIGHT=${3:-32}
PORT=${RINGKV_BENCH_PORT:-23300} REST=${RINGKV_BENCH_REST_PORT:-23380}
JAR=$ROOT/target/ringkv.jar
[[ -f $JAR ]] || (cd "$ROOT" && ./mvnw -q -B package -DskipTests)
OUT=$ROOT/target/bench; mkdir -p "$OUT"
WORK=$(mktemp -d); NODE_PID=
cleanup() { [[ -n $NODE_PID ]] && kill -9 "$NODE_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

start_node() { # mode
  rm -rf "$WORK/data"
  "${PIN_SERVER[@]}" "$JAVA" -Xmx64m -jar "$JAR" --spring.profiles.active=node \
    --ringkv.node.port="$PORT" --server.port="$REST" --ringkv.storage.dir="$WORK/data" \
    --ringkv.storage.fsync="$1" >"$WORK/node-$1.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 600); do
    curl -fs "http://127.0.0.1:$REST/actuator/health/readiness" >/dev/null && return 0
    kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/node-$1.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "node did not become ready" >&2; exit 1
}
stop_node() { kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true; NODE_PID=; }
# mean group-commit batch from the Prometheus summary: sum / count
batch() {
  curl -fs "http://127.0.0.1:$REST/actuator/prometheus" |
    awk '/^ringkv_storage_commit_batch_sum/{s=$2} /^ringkv_storage_commit_batch_count/{c=$2}
         /^ringkv_storage_commit_batch_max/{m=$2} END{if(c>0) printf "%.1f %d", s/c, m; else print "- -"}'
}

echo "ringkv fsync modes: $(uname -r), $("$JAVA" -version 2>&1 | head -1), ${RUNS} runs × ${DURATION}, inflight ${INFLIGHT}, pinning: ${PIN_SERVER[*]:-none}/${PIN_LOAD[*]:-none}"
echo "mode,mix,run,ops_per_s,p50_us,p99_us,batch_mean,batch_max" >"$OUT/fsync.csv"
printf '\n| fsync | mix | ops/s (median, min–max) | p50 µs | p99 µs | commit batch mean / max |\n|---|---|---|---|---|---|\n'
for mode in always interval never; do
  for mix in 0 0.9; do
    start_node "$mode"
    for run in $(seq "$RUNS"); do
      line=$("${PIN_LOAD[@]}" "$JAVA" -jar "$JAR" bench --port "$PORT" --inflight "$INFLIGHT" --sockets 2 \
        --duration "$DURATION" --warmup 2s --get-ratio "$mix" --keys 100000 --csv | tail -1)
      # bench CSV: see `ringkv bench --csv-header`
      echo "$mode,$mix,$run,$(echo "$line" | cut -d, -f10-12),$(batch | tr ' ' ,)" >>"$OUT/fsync.csv"
    done
    stop_node
    rows=$(grep "^$mode,$mix," "$OUT/fsync.csv")
    read -r ops lo hi <<<"$(cut -d, -f4 <<<"$rows" | median)"
    read -r p50 _ _ <<<"$(cut -d, -f5 <<<"$rows" | median)"
    read -r p99 _ _ <<<"$(cut -d, -f6 <<<"$rows" | median)"
    b=$(tail -1 <<<"$rows" | cut -d, -f7,8 | tr , /)
    label=$([[ $mix == 0 ]] && echo "100% PUT" || echo "90% GET")
    printf '| %s | %s | %.0f (%.0f–%.0f) | %.0f | %.0f | %s |\n' "$mode" "$label" "$ops" "$lo" "$hi" "$p50" "$p99" "$b"
  done
done
echo; echo "CSV: $OUT/fsync.csv"
