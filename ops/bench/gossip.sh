#!/usr/bin/env bash
# Failure detection of the gossip membership, measured on real JVMs: a cluster without an ECS
# (ringkv.cluster.peers, RF 3) of N nodes at the default protocol period, one node at a time
#   kill -9'd:  kill -> the first survivor, then every survivor, counts one member fewer;
#               restarted: launch -> every node counts it again (JVM start, rejoin and pull);
#   SIGSTOP'd:  stop -> every survivor counts one member fewer (compare: hashicorp memberlist's
#               defaults take 5.7-6.6 s from SIGSTOP to dead on 3 nodes); SIGCONT -> it refutes,
#               drops its stale data and is counted again.
# Prints a Markdown table and writes target/bench/gossip.csv.
#
#   ops/bench/gossip.sh [runs per mode (default 5)] [nodes (default 5)] [gossip period (default 1s)]
#
# Medians of the runs with min–max. Nothing is pinned: membership is every node's work at once.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/bench.sh
source "$ROOT/ops/lib/bench.sh"
RUNS=${1:-5} NODES=${2:-5} PERIOD=${3:-1s}
PORT=${RINGKV_BENCH_PORT:-24100} REST=$((PORT + 100)) RESP=$((PORT + 200))
JAR=$ROOT/target/ringkv.jar
[[ -f $JAR ]] || (cd "$ROOT" && ./mvnw -q -B package -DskipTests)
OUT=$ROOT/target/bench; mkdir -p "$OUT"
WORK=$(mktemp -d); TOKEN=bench-$RANDOM$RANDOM
declare -a PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill -9 "$pid" 2>/dev/null || true; done
  [[ -n ${RINGKV_BENCH_KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
peers=$(for i in $(seq "$NODES"); do printf '127.0.0.1:%d,' $((PORT + i)); done); peers=${peers%,}
launch() {
  local i=$1
  "$JAVA" -Xmx64m -jar "$JAR" --spring.profiles.active=node --ringkv.node.port=$((PORT + i)) \
    --server.port=$((REST + i)) --ringkv.node.resp-port=$((RESP + i)) --ringkv.storage.dir="$WORK/n$i" \
    --ringkv.admin.token="$TOKEN" --ringkv.cluster.peers="$peers" --ringkv.cluster.gossip-period="$PERIOD" \
    --ringkv.cluster.key=gossip-bench-cluster-key >>"$WORK/n$i.log" 2>&1 &
  PIDS[i]=$!
}
# Members node i counts alive (itself included), or 0 while it does not answer.
live() {
  curl -fs -m 1 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$((REST + $1))/api/v1/node/membership" 2>/dev/null |
    grep -o '"live":[0-9]*' | cut -d: -f2 || echo 0
}
# Waits until every node but $2 (0: none) counts $1 members; prints when the first and the last did.
await_count() {
  local want=$1 skip=$2 first= deadline=$(($(now_ms) + 180000))
  declare -A done=()
  while ((${#done[@]} < NODES - (skip > 0 ? 1 : 0))); do
    for i in $(seq "$NODES"); do
      ((i == skip)) || [[ -n ${done[$i]:-} ]] && continue
      if [[ $(live "$i") == "$want" ]]; then done[$i]=$(now_ms); [[ -n $first ]] || first=${done[$i]}; fi
    done
    (($(now_ms) < deadline)) || { echo "not all nodes count $want members within 180 s; logs in $WORK" >&2; RINGKV_BENCH_KEEP=1; exit 1; }
    sleep 0.02
  done
  echo "$first $(now_ms)"
}

echo "ringkv gossip membership: $(uname -r), $("$JAVA" -version 2>&1 | head -1), $(nproc) CPUs, $NODES nodes," \
  "period $PERIOD, $RUNS runs per mode"
for i in $(seq "$NODES"); do launch "$i"; done
[[ -n $(await_count "$NODES" 0) ]] || exit 1
echo "run,mode,victim,first_ms,all_ms,back_ms" >"$OUT/gossip.csv"
for run in $(seq "$RUNS"); do
  for mode in kill stop; do
    shift_by=0; [[ $mode == stop ]] && shift_by=1
    victim=$(((run + shift_by) % NODES + 1))
    sleep 3 # let the previous rejoin's pulls and repairs settle
    t0=$(now_ms)
    if [[ $mode == kill ]]; then kill -9 "${PIDS[victim]}"; wait "${PIDS[victim]}" 2>/dev/null || true
    else kill -STOP "${PIDS[victim]}"; fi
    read -r first all <<<"$(await_count $((NODES - 1)) "$victim")"
    [[ -n ${all:-} ]] || exit 1
    t1=$(now_ms)
    if [[ $mode == kill ]]; then launch "$victim"; else kill -CONT "${PIDS[victim]}"; fi
    back=; read -r _ back <<<"$(await_count "$NODES" 0)"
    [[ -n $back ]] || exit 1
    echo "$run,$mode,$victim,$((first - t0)),$((all - t0)),$((back - t1))" >>"$OUT/gossip.csv"
    echo "run $run $mode node-$victim: first survivor $((first - t0)) ms, all $((all - t0)) ms; counted again after $((back - t1)) ms"
  done
done
col() { tail -n +2 "$OUT/gossip.csv" | grep ",$1," | cut -d, -f"$2" | median; }
printf '\n| mode | figure | median | min–max |\n|---|---|---|---|\n'
for mode in kill stop; do
  for spec in "4:first survivor without it (ms)" "5:every survivor without it (ms)" "6:counted again by all (ms)"; do
    read -r m lo hi <<<"$(col "$mode" "${spec%%:*}")"
    printf '| %s | %s | %s | %s–%s |\n' "$mode" "${spec#*:}" "$m" "$lo" "$hi"
  done
done
echo; echo "CSV: $OUT/gossip.csv"
