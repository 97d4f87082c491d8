#!/usr/bin/env bash
# ringkv side by side with Redis on this machine, in one run:
#  - redis-benchmark SET and GET (100-byte values, 50 clients, -P 1 and -P 16) against redis-server
#    (no persistence; AOF with appendfsync everysec) and against a -Xmx64m ringkv node's RESP port
#    (fsync never; fsync always). ringkv fsync=never is set against Redis without persistence,
#    fsync=always against AOF everysec (Redis's usual durable setting, which still loses up to a
#    second on a crash; ringkv always loses nothing it acknowledged).
#  - the UDP path: `ringkv bench` against the node (fsync never) and against the bench tool's UDP
#    echo server, 32 and 128 requests in flight; the echo server is the ceiling of request/reply
#    on this box. The node's reply cache is sized for the rate (REPLY_CACHE, 1GB): every reply
#    stays 7 s for at-most-once, and the default 128MB holds ~110k replies/s of 100-byte values,
#    beyond which the node answers OVERLOAD by design (not counted as throughput by the bench).
# The servers are pinned to CPU 0 and the load tool to CPU 1 (taskset, two CPUs or more). The two
# servers of a comparison run side by side and their tests take turns, each once both are idle
# (see settle), so that the ratio does not depend on when the machine was faster.
# Prints a Markdown table (median of the runs with min–max; p50 and p99 are medians too) and
# writes every run to target/bench/redis.csv.
#
#   ops/bench/redis.sh [runs (default 3)] [requests per redis-benchmark test (default 200000)]
#                      [UDP duration (default 5s)]
#
# With -P 16 each test sends 5× the requests, so that it lasts about as long. redis-server and
# redis-benchmark come from Debian's redis-server and redis-tools packages; as root the script
# installs them when missing. Benchmarks report figures; nothing here fails on a slow result.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/bench.sh
source "$ROOT/ops/lib/bench.sh"
RUNS=${1:-3} REQUESTS=${2:-200000} UDP_DURATION=${3:-5s}
CLIENTS=50 VALUE_BYTES=100 KEYSPACE=100000 REPLY_CACHE=1GB WARMUP_SECONDS=${RINGKV_BENCH_WARMUP_SECONDS:-40}
REDIS_PORT=${RINGKV_BENCH_REDIS_PORT:-23479}
PORT=${RINGKV_BENCH_PORT:-23300} REST=${RINGKV_BENCH_REST_PORT:-23380} RESP=${RINGKV_BENCH_RESP_PORT:-23381}
ECHO_PORT=${RINGKV_BENCH_ECHO_PORT:-23301}
OUT=$ROOT/target/bench; mkdir -p "$OUT"
CSV=$OUT/redis.csv

for tool in redis-server redis-benchmark; do
  if ! command -v "$tool" >/dev/null; then
    ((EUID == 0)) && command -v apt-get >/dev/null || { echo "$tool is missing (Debian: redis-server, redis-tools)" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq redis-server redis-tools >/dev/null
  fi
done
[[ -f $ROOT/target/ringkv.jar ]] || (cd "$ROOT" && ./mvnw -q -B package -DskipTests)
WORK=$(mktemp -d)
# The node runs a copy of the jar: a rebuild of target/ringkv.jar during the run must not change it.
cp "$ROOT/target/ringkv.jar" "$WORK/ringkv.jar"
JAR=$WORK/ringkv.jar
PIDS=() # the servers running now
cleanup() { ((${#PIDS[@]} == 0)) || kill -9 "${PIDS[@]}" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

wait_for() { # description pid log command...
  local what=$1 pid=$2 log=$3; shift 3
  for _ in $(seq 600); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "$what exited while starting:" >&2; tail -n 30 "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "$what did not become ready" >&2; exit 1
}
start_redis() { # none | aof
  rm -rf "$WORK/redis"; mkdir -p "$WORK/redis"
  local persistence=(--save "" --appendonly no)
  [[ $1 == aof ]] && persistence=(--save "" --appendonly yes --appendfsync everysec)
  "${PIN_SERVER[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/redis" \
    "${persistence[@]}" >"$WORK/redis.log" 2>&1 &
  PIDS+=($!)
  wait_for redis-server $! "$WORK/redis.log" redis-cli -p "$REDIS_PORT" ping
}
start_ringkv() { # never | always
  rm -rf "$WORK/data"
  "${PIN_SERVER[@]}" "$JAVA" -Xmx64m -jar "$JAR" --spring.profiles.active=node \
    --ringkv.node.port="$PORT" --server.port="$REST" --ringkv.node.resp-port="$RESP" \
    --ringkv.storage.dir="$WORK/data" --ringkv.storage.fsync="$1" \
    --ringkv.node.reply-cache-size="$REPLY_CACHE" >"$WORK/ringkv.log" 2>&1 &
  PIDS+=($!)
  wait_for "ringkv node" $! "$WORK/ringkv.log" curl -fs "http://127.0.0.1:$REST/actuator/health/readiness"
}
start_echo() {
  "${PIN_SERVER[@]}" "$JAVA" -jar "$JAR" bench --echo-server "$ECHO_PORT" >"$WORK/echo.log" 2>&1 &
  PIDS+=($!)
  sleep 1.5 # the echo server has no readiness probe; a JVM and Netty start well within this
  kill -0 $!
}
stop_servers() { kill "${PIDS[@]}" 2>/dev/null; wait "${PIDS[@]}" 2>/dev/null || true; PIDS=(); }
# CPU clock ticks the running servers have used so far (utime + stime, /proc/<pid>/stat fields 14, 15).
cpu_ticks() {
  local pid total=0 fields
  for pid in "${PIDS[@]}"; do
    read -r -a fields <<<"$(sed 's/^.*) //' "/proc/$pid/stat")"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}
# Waits (20 s at most) until the servers are idle: less than 4% of a CPU over half a second. A
# test then never runs beside the other server's leftovers (a log merge, an AOF rewrite).
settle() {
  local before after
  for _ in $(seq 40); do
    before=$(cpu_ticks); sleep 0.5; after=$(cpu_ticks)
    ((after - before <= 2)) && return 0
  done
}

# One redis-benchmark run of SET then GET; appends a CSV line per test:
# server,config,test,pipeline,run,rps,p50_ms,p99_ms
benchmark() { # server config port pipeline run
  local n=$REQUESTS
  (($4 > 1)) && n=$((REQUESTS * 5))
  "${PIN_LOAD[@]}" redis-benchmark -p "$3" -c "$CLIENTS" -n "$n" -d "$VALUE_BYTES" -r "$KEYSPACE" -P "$4" \
    -t set,get --csv 2>/dev/null |
    awk -F, -v prefix="$1,$2" -v p="$4" -v run="$5" 'NR > 1 {
        gsub(/"/, ""); print prefix "," $1 "," p "," run "," $2 "," $5 "," $7 }' >>"$CSV"
}
# Uncounted redis-benchmark passes against one server, -P 16 and -P 1 by turns, for WARMUP seconds.
warm_up() { # port
  local until=$((SECONDS + WARMUP_SECONDS)) p
  while ((SECONDS < until)); do
    for p in 16 1; do
      "${PIN_LOAD[@]}" redis-benchmark -p "$1" -c "$CLIENTS" -n "$((p > 1 ? REQUESTS * 5 : REQUESTS / 2))" \
        -d "$VALUE_BYTES" -r "$KEYSPACE" -P "$p" -t set,get -q >/dev/null
    done
  done
}
# One `ringkv bench` run; appends: udp,<target>,inflight<N>,-,run,ops_per_s,p50_ms,p99_ms
udp_bench() { # target port inflight run|warm-up [--expect-echo]
  local line
  line=$("${PIN_LOAD[@]}" "$JAVA" -jar "$JAR" bench --port "$2" --inflight "$3" --sockets 2 \
    --duration "$UDP_DURATION" --warmup 2s --value-bytes "$VALUE_BYTES" --keys "$KEYSPACE" --csv "${@:5}" | tail -1)
  [[ $4 == warm-up ]] && return
  # bench CSV columns: see `ringkv bench --csv-header` (10 ops_per_s, 11 p50_us, 12 p99_us)
  awk -F, -v t="$1" -v i="$3" -v run="$4" '{ printf "udp,%s,inflight%s,-,%s,%s,%.3f,%.3f\n", t, i, run, $10, $11 / 1000, $12 / 1000 }' \
    <<<"$line" >>"$CSV"
}

{
  echo "# ringkv vs Redis, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- $(redis-server --version | cut -d' ' -f1-3), $(redis-benchmark --version); ringkv $(unzip -p "$JAR" META-INF/MANIFEST.MF 2>/dev/null | sed -n 's/^Implementation-Version: //p' | tr -d '\r') on $("$JAVA" -version 2>&1 | head -1)"
  echo "- $(uname -srm), $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)); pinning: server ${PIN_SERVER[*]:-none}, load ${PIN_LOAD[*]:-none}"
  echo "- redis-benchmark: ${CLIENTS} clients, ${VALUE_BYTES}-byte values, ${KEYSPACE} random keys, ${REQUESTS} requests per test (×5 with -P 16); ringkv bench: ${UDP_DURATION} after 2s warm-up, 2 sockets, 90% GET, node reply cache ${REPLY_CACHE}; ${RUNS} runs each, after ${WARMUP_SECONDS} s of uncounted redis-benchmark passes per server and one uncounted UDP pass each"
} | tee "$OUT/redis-header.txt"

echo "server,config,test,pipeline,run,rps,p50_ms,p99_ms" >"$CSV"
# Both servers of a pair run side by side, idle but for the test at hand, and their runs take
# turns: a drift of the machine's speed during the run (this box's neighbours) then weighs on both
# sides alike instead of on whichever ran later.
for pair in "none never" "aof always"; do
  read -r rconfig kconfig <<<"$pair"
  start_redis "$rconfig"
  start_ringkv "$kconfig"
  # Uncounted passes first, so that both stores hold the keys before the first counted GET and
  # the JVM has compiled its hot paths: under this load the node's C2 compiler thread takes ~20 %
  # of its CPU for the first 20-30 s and settles after 35-40 s (measured per thread).
  warm_up "$REDIS_PORT"; warm_up "$RESP"
  for run in $(seq "$RUNS"); do for p in 1 16; do
    settle; benchmark redis "$rconfig" "$REDIS_PORT" "$p" "$run"
    settle; benchmark ringkv "$kconfig" "$RESP" "$p" "$run"
  done; done
  if [[ $kconfig == never ]]; then
    start_echo
    # One uncounted pass each, for the same reason: the UDP path is code the RESP passes did not run.
    for target in "echo $ECHO_PORT --expect-echo" "node $PORT"; do
      read -r name port expect <<<"$target"
      settle; udp_bench "$name" "$port" 128 warm-up ${expect:+"$expect"}
    done
    for run in $(seq "$RUNS"); do for inflight in 32 128; do
      settle; udp_bench echo "$ECHO_PORT" "$inflight" "$run" --expect-echo
      settle; udp_bench node "$PORT" "$inflight" "$run"
    done; done
  fi
  stop_servers
done

# stat <server> <config> <test> <pipeline>: "rps lo hi p50 p99" over the runs
stat() {
  local rows
  rows=$(awk -F, -v s="$1" -v c="$2" -v t="$3" -v p="$4" '$1 == s && $2 == c && $3 == t && $4 == p' "$CSV")
  [[ -n $rows ]] || { echo "0 0 0 0 0"; return; }
  read -r rps lo hi <<<"$(cut -d, -f6 <<<"$rows" | median)"
  read -r p50 _ _ <<<"$(cut -d, -f7 <<<"$rows" | median)"
  read -r p99 _ _ <<<"$(cut -d, -f8 <<<"$rows" | median)"
  echo "$rps $lo $hi $p50 $p99"
}
printf '\n| test | -P | Redis | req/s (min–max) | p50 / p99 ms | ringkv | req/s (min–max) | p50 / p99 ms | ringkv / Redis |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for pair in "none never" "aof always"; do
  read -r rconfig kconfig <<<"$pair"
  for test in SET GET; do
    for p in 1 16; do
      read -r r lo hi r50 r99 <<<"$(stat redis "$rconfig" "$test" "$p")"
      read -r k klo khi k50 k99 <<<"$(stat ringkv "$kconfig" "$test" "$p")"
      printf '| %s | %s | %s | %.0f (%.0f–%.0f) | %s / %s | fsync %s | %.0f (%.0f–%.0f) | %s / %s | %.2f |\n' \
        "$test" "$p" "$([[ $rconfig == none ]] && echo "no persistence" || echo "AOF everysec")" \
        "$r" "$lo" "$hi" "$r50" "$r99" "$kconfig" "$k" "$klo" "$khi" "$k50" "$k99" \
        "$(awk -v a="$k" -v b="$r" 'BEGIN { print (b > 0 ? a / b : 0) }')"
    done
  done
done
printf '\n| UDP path | in flight | node req/s (min–max) | p50 / p99 ms | echo req/s (min–max) | p50 / p99 ms | node / echo |\n'
printf '|---|---|---|---|---|---|---|\n'
for inflight in 32 128; do
  read -r n nlo nhi n50 n99 <<<"$(stat udp node "inflight$inflight" -)"
  read -r e elo ehi e50 e99 <<<"$(stat udp echo "inflight$inflight" -)"
  printf '| ringkv bench, fsync never, 90%% GET | %s | %.0f (%.0f–%.0f) | %s / %s | %.0f (%.0f–%.0f) | %s / %s | %.2f |\n' \
    "$inflight" "$n" "$nlo" "$nhi" "$n50" "$n99" "$e" "$elo" "$ehi" "$e50" "$e99" \
    "$(awk -v a="$n" -v b="$e" 'BEGIN { print (b > 0 ? a / b : 0) }')"
done
echo; echo "CSV: $CSV"
