#!/usr/bin/env bash
# What replication costs: the same UDP load (`ringkv bench`) against a lone -Xmx64m node and against
# an ECS-managed 3-node cluster keeping 1 copy (routing only) and 3 copies (every write on every
# node before it is acknowledged). The load goes to one node, which forwards what it is not primary
# of. Prints a Markdown table with each row's ratio to the lone node and writes
# target/bench/replication.csv.
#
#   ops/bench/replication.sh [runs (default 3)] [duration (default 8s)] [inflight (default 32)]
#
# Medians of the runs with min–max. The servers (the ECS and the nodes it launches inherit the
# affinity) are pinned to CPU 0 and the load tool to CPU 1 when taskset exists and the box has two
# or more CPUs: the cluster rows then share one CPU between three nodes, like the lone node has.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/bench.sh
source "$ROOT/ops/lib/bench.sh"
RUNS=${1:-3} DURATION=${2:-8s} INFLIGHT=${3:-32}
PORT=${RINGKV_BENCH_PORT:-24100} ECS_REST=${RINGKV_BENCH_ECS_PORT:-24000} REST=$((PORT + 100))
JAR=$ROOT/target/ringkv.jar
[[ -f $JAR ]] || (cd "$ROOT" && ./mvnw -q -B package -DskipTests)
OUT=$ROOT/target/bench; mkdir -p "$OUT"
WORK=$(mktemp -d); SERVER_PID=
cleanup() { [[ -n $SERVER_PID ]] && stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

await() { # url [bearer]
  for _ in $(seq 1200); do
    if [[ -n ${2:-} ]]; then curl -fs -H "Authorization: Bearer $2" "$1" 2>/dev/null && return 0
    else curl -fs "$1" >/dev/null 2>&1 && return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK"/*.log >&2; exit 1; }
    sleep 0.1
  done
  echo "not ready: $1" >&2; exit 1
}
start_lone() {
  rm -rf "$WORK/data"
  "${PIN_SERVER[@]}" "$JAVA" -Xmx64m -jar "$JAR" --spring.profiles.active=node --ringkv.node.port="$PORT" \
    --server.port="$REST" --ringkv.node.resp-port=0 --ringkv.storage.dir="$WORK/data" >"$WORK/lone.log" 2>&1 &
  SERVER_PID=$!
  await "http://127.0.0.1:$REST/actuator/health/readiness"
}
start_cluster() { # replication factor
  rm -rf "$WORK/ecs"
  "${PIN_SERVER[@]}" "$JAVA" -Xmx128m -jar "$JAR" --spring.profiles.active=ecs --server.port="$ECS_REST" \
    --ringkv.ecs.data-dir="$WORK/ecs" --ringkv.ecs.initial-nodes=3 --ringkv.replication.factor="$1" \
    --ringkv.ecs.node-port-base="$PORT" --ringkv.ecs.node-rest-port-base="$REST" \
    --ringkv.ecs.node-resp-port-base=$((PORT + 200)) >"$WORK/ecs.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1200); do [[ -s $WORK/ecs/admin.token ]] && break; sleep 0.1; done
  local token; token=$(cat "$WORK/ecs/admin.token")
  for _ in $(seq 1200); do
    curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$ECS_REST/api/v1/cluster" 2>/dev/null |
      grep -o '"status":"UP"' | wc -l | grep -qx 3 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/ecs.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "the cluster did not come up" >&2; exit 1
}
stop_server() { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

echo "ringkv replication cost: $(uname -r), $("$JAVA" -version 2>&1 | head -1), ${RUNS} runs × ${DURATION}, inflight ${INFLIGHT}, pinning: ${PIN_SERVER[*]:-none}/${PIN_LOAD[*]:-none}"
echo "setup,mix,run,ops_per_s,p50_us,p99_us" >"$OUT/replication.csv"
printf '\n| setup | mix | ops/s (median, min–max) | p50 µs | p99 µs | ratio to the lone node |\n|---|---|---|---|---|---|\n'
declare -A BASE
for setup in lone rf1 rf3; do
  case $setup in
    lone) start_lone ;;
    rf1) start_cluster 1 ;;
    rf3) start_cluster 3 ;;
  esac
  for mix in 0 0.9; do
    for run in $(seq "$RUNS"); do
      line=$("${PIN_LOAD[@]}" "$JAVA" -jar "$JAR" bench --port "$PORT" --inflight "$INFLIGHT" --sockets 2 \
        --duration "$DURATION" --warmup 2s --get-ratio "$mix" --keys 100000 --csv | tail -1)
      echo "$setup,$mix,$run,$(echo "$line" | cut -d, -f10-12)" >>"$OUT/replication.csv"
    done
    rows=$(grep "^$setup,$mix," "$OUT/replication.csv")
    read -r ops lo hi <<<"$(cut -d, -f4 <<<"$rows" | median)"
    read -r p50 _ _ <<<"$(cut -d, -f5 <<<"$rows" | median)"
    read -r p99 _ _ <<<"$(cut -d, -f6 <<<"$rows" | median)"
    [[ $setup == lone ]] && BASE[$mix]=$ops
    label=$([[ $mix == 0 ]] && echo "100% PUT" || echo "90% GET")
    name=$(case $setup in lone) echo "lone node";; rf1) echo "3 nodes, 1 copy";; rf3) echo "3 nodes, 3 copies";; esac)
    printf '| %s | %s | %.0f (%.0f–%.0f) | %.0f | %.0f | %.2f |\n' "$name" "$label" "$ops" "$lo" "$hi" "$p50" "$p99" \
      "$(awk -v a="$ops" -v b="${BASE[$mix]}" 'BEGIN{print (b>0)?a/b:0}')"
  done
  stop_server
done
echo; echo "CSV: $OUT/replication.csv"
