#!/usr/bin/env bash
# Failure detection and repair, measured end to end: an ECS-managed cluster (RF 3) is loaded with
# values through `ringkv bench`, one node is killed with kill -9, and the script times
#   detection: kill -9 -> the ECS publishes a ring without the node (its epoch changes), and
#   repair:    that ring -> the FAILOVER operation SUCCEEDED (every survivor's range sync DONE),
# and reports the operation's bytes and keys pushed to new replicas, and MB/s. Each run starts a
# fresh cluster. Prints a Markdown table and writes target/bench/repair.csv.
#
#   ops/bench/repair.sh [runs (default 3)] [nodes (default 4)] [load duration (default 30s)] \
#                       [value bytes (default 1000)] [failure timeout (default 3s)]
#
# Medians of the runs with min–max. Nothing is pinned: repair is every node's work at once.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/bench.sh
source "$ROOT/ops/lib/bench.sh"
RUNS=${1:-3} NODES=${2:-4} LOAD=${3:-30s} VALUE_BYTES=${4:-1000} TIMEOUT=${5:-3s}
PORT=${RINGKV_BENCH_PORT:-24100} ECS_REST=${RINGKV_BENCH_ECS_PORT:-24000} REST=$((PORT + 100))
JAR=$ROOT/target/ringkv.jar
[[ -f $JAR ]] || (cd "$ROOT" && ./mvnw -q -B package -DskipTests)
OUT=$ROOT/target/bench; mkdir -p "$OUT"
WORK=$(mktemp -d); ECS_PID=
cleanup() { [[ -n $ECS_PID ]] && stop_cluster; [[ -n ${RINGKV_BENCH_KEEP:-} ]] || rm -rf "$WORK"; }
trap cleanup EXIT

now_ms() { date +%s%3N; }
cluster() { curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ECS_REST/api/v1/cluster"; }
epoch() { cluster | grep -o '"epoch":[0-9]*' | head -1 | cut -d: -f2; }
# UP nodes, or 0 while the ECS does not answer or an operation (the initial join) still runs.
up_count() {
  local c; c=$(cluster 2>/dev/null) || { echo 0; return; }
  grep -q '"operation":null' <<<"$c" || { echo 0; return; }
  grep -o '"status":"UP"' <<<"$c" | wc -l
}
start_cluster() {
  rm -rf "$WORK/ecs"
  "$JAVA" -Xmx128m -jar "$JAR" --spring.profiles.active=ecs --server.port="$ECS_REST" \
    --ringkv.ecs.data-dir="$WORK/ecs" --ringkv.ecs.initial-nodes="$NODES" --ringkv.replication.factor=3 \
    --ringkv.ecs.failure-timeout="$TIMEOUT" --ringkv.ecs.node-port-base="$PORT" \
    --ringkv.ecs.node-rest-port-base="$REST" --ringkv.ecs.node-resp-port-base=$((PORT + 200)) \
    >"$WORK/ecs.log" 2>&1 &
  ECS_PID=$!
  for _ in $(seq 1200); do [[ -s $WORK/ecs/admin.token ]] && break; sleep 0.1; done
  TOKEN=$(cat "$WORK/ecs/admin.token")
  for _ in $(seq 1200); do
    [[ $(up_count) -eq $NODES ]] && return 0
    kill -0 "$ECS_PID" 2>/dev/null || { tail -20 "$WORK/ecs.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "the cluster did not come up" >&2; exit 1
}
stop_cluster() { kill "$ECS_PID" 2>/dev/null; wait "$ECS_PID" 2>/dev/null || true; ECS_PID=; }

echo "ringkv detection and repair: $(uname -r), $("$JAVA" -version 2>&1 | head -1), $(nproc) CPUs, ${RUNS} runs," \
  "$NODES nodes, RF 3, ${LOAD} of 100% PUT with ${VALUE_BYTES}-byte values, failure timeout $TIMEOUT"
echo "run,acknowledged_puts,detection_ms,repair_ms,keys,bytes,mb_per_s" >"$OUT/repair.csv"
for run in $(seq "$RUNS"); do
  start_cluster
  sleep 5 # the nodes' start-up range syncs and JIT settle; a load started at once can starve them
  # The load goes to node-1 at the port the ECS gave it: a port of the previous run's nodes may still
  # be held while they exit, and the launcher then picks the next free one.
  port=$(cluster | grep -o '"id":"node-1","host":"[^"]*","port":[0-9]*' | grep -o '[0-9]*$' || true)
  [[ -n $port ]] || { echo "no port for node-1 in the cluster view" >&2; cluster >&2; exit 1; }
  puts=$("$JAVA" -jar "$JAR" bench --port "$port" --duration "$LOAD" --warmup 2s --keys 200000 --get-ratio 0 \
    --inflight 64 --value-bytes "$VALUE_BYTES" --csv | tail -1 | cut -d, -f15 || true)
  if ! [[ $puts =~ ^[0-9]+$ ]] || ((puts == 0)); then
    echo "the load got no acknowledged PUT; node logs kept in $WORK/ecs/nodes" >&2
    RINGKV_BENCH_KEEP=1; exit 1
  fi
  victim=$(cluster | grep -o '"id":"node-2"[^}]*"pid":[0-9]*' | grep -o '"pid":[0-9]*' | cut -d: -f2 || true)
  [[ -n $victim ]] || { echo "no pid for node-2" >&2; cluster >&2; exit 1; }
  before=$(epoch)
  kill -9 "$victim"; killed=$(now_ms)
  until [[ $(epoch) -gt $before ]]; do sleep 0.05; done
  ring=$(now_ms)
  op=
  for _ in $(seq 6000); do
    op=$(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ECS_REST/api/v1/operations" |
      grep -o '{[^{]*"kind":"FAILOVER"[^{]*"state":"SUCCEEDED"[^}]*' | tail -1 || true)
    [[ -n $op ]] && break
    sleep 0.05
  done
  done_at=$(now_ms)
  [[ -n $op ]] || { echo "the FAILOVER did not succeed" >&2; exit 1; }
  keys=$(grep -o '"keysMoved":[0-9]*' <<<"$op" | cut -d: -f2)
  bytes=$(grep -o '"bytesMoved":[0-9]*' <<<"$op" | cut -d: -f2)
  repair=$((done_at - ring))
  mbs=$(awk -v b="$bytes" -v ms="$repair" 'BEGIN{printf "%.2f", (ms>0)?b/1e3/ms:0}')
  echo "$run,$puts,$((ring - killed)),$repair,$keys,$bytes,$mbs" >>"$OUT/repair.csv"
  echo "run $run: $puts PUTs loaded; ring after $((ring - killed)) ms; repair $repair ms, $keys keys, $bytes bytes ($mbs MB/s)"
  stop_cluster
done
col() { tail -n +2 "$OUT/repair.csv" | cut -d, -f"$1" | median; }
printf '\n| figure | median | min–max |\n|---|---|---|\n'
for spec in "3:detection, kill -9 → ring (ms)" "4:repair, ring → FAILOVER done (ms)" "5:keys pushed" \
  "6:bytes pushed" "7:repair throughput (MB/s)"; do
  read -r m lo hi <<<"$(col "${spec%%:*}")"
  printf '| %s | %s | %s–%s |\n' "${spec#*:}" "$m" "$lo" "$hi"
done
echo; echo "CSV: $OUT/repair.csv"
