#!/usr/bin/env bash
# bench/sockets.sh: the sockets collector's poll cost with SOCKETS sockets across NAMESPACES network
# namespaces, against `ss -tinp` over the same namespaces, and the agent's CPU at a 10-second interval
# (root, Linux, iproute2, dotnet).
#   1. creates NAMESPACES namespaces (lo up) and pins each with a `sleep` (the agent finds namespaces through
#      /proc/PID/ns/net, as it finds pods'); `sk-hold` opens CONNS loopback connections in each (2 sockets
#      per connection plus one listener) from one process, on setns threads, and holds them;
#   2. `sk-poll`: the collector in process, --repeat polls after the first; wall and CPU seconds per poll;
#   3. `ss -tinp` in every namespace (`ip netns exec NS ss -tinp` per namespace, whole loop timed, best of
#      --repeat) and the same with one `ip -all netns exec ss -tinp`;
#   4. `netsight agent --collector.sockets --sockets.interval 10s` (no other collector) for --seconds
#      seconds: its CPU seconds (utime+stime from /proc/PID/stat) and RSS.
# Everything it creates (namespaces, processes) is removed on exit. Options: --namespaces N, --conns N
# (per namespace), --repeat N, --seconds N.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DLL=$ROOT/bench/Netsight.Benchmarks/bin/Release/net10.0/Netsight.Benchmarks.dll
AGENT_DLL=$ROOT/src/Netsight/bin/Release/net10.0/netsight.dll
NAMESPACES=50
CONNS=100
REPEAT=5
SECONDS_AGENT=60
PREFIX=skbench-$$

while [[ $# -gt 0 ]]; do
  case $1 in
    --namespaces) NAMESPACES=$2; shift 2 ;;
    --conns) CONNS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --seconds) SECONDS_AGENT=$2; shift 2 ;;
    *) echo "usage: $0 [--namespaces N] [--conns N] [--repeat N] [--seconds N]" >&2; exit 2 ;;
  esac
done

log() { printf '== %s\n' "$*" >&2; }
[[ $(id -u) -eq 0 ]] || { echo "sockets.sh: needs root (network namespaces, setns, sock_diag)" >&2; exit 1; }
for bin in ip ss dotnet; do
  command -v "$bin" >/dev/null 2>&1 || { echo "sockets.sh: $bin is needed" >&2; exit 1; }
done

TMP=$(mktemp -d)
PIDS=()
MADE=0
cleanup() {
  local pid i
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  for ((i = 0; i < MADE; i++)); do ip netns del "$PREFIX-$i" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

log "building the benchmarks and the agent (Release)"
dotnet build "$ROOT/bench/Netsight.Benchmarks" -c Release -v q -nologo >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log"; exit 1; }
dotnet build "$ROOT/src/Netsight" -c Release -v q -nologo >"$TMP/build2.log" 2>&1 || { cat "$TMP/build2.log"; exit 1; }

# ---------------------------------------------------------------- 1. namespaces and sockets
log "$NAMESPACES namespaces, $CONNS connections each"
for ((i = 0; i < NAMESPACES; i++)); do
  ip netns add "$PREFIX-$i"
  MADE=$((i + 1))
  ip netns exec "$PREFIX-$i" ip link set lo up
  ip netns exec "$PREFIX-$i" sleep 100000 &
  PIDS+=($!)
done
dotnet "$BENCH_DLL" sk-hold "$PREFIX" "$NAMESPACES" "$CONNS" >"$TMP/hold.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 600); do grep -q '^ready' "$TMP/hold.out" && break; sleep 0.1; done
grep '^ready' "$TMP/hold.out" >&2 || { cat "$TMP/hold.out"; exit 1; }

# ---------------------------------------------------------------- 2. the collector's poll
log "sk-poll (collector in process, $REPEAT polls)"
dotnet "$BENCH_DLL" sk-poll "$REPEAT" | tee "$TMP/poll.out"

# ---------------------------------------------------------------- 3. ss over the same namespaces
best() { sort -n | head -1; }
log "ss -tinp per namespace (best of $REPEAT)"
for ((r = 0; r < REPEAT; r++)); do
  s=$(date +%s.%N)
  for ((i = 0; i < NAMESPACES; i++)); do ip netns exec "$PREFIX-$i" ss -tinp >/dev/null; done
  e=$(date +%s.%N)
  echo "$e - $s" | bc
done | best | sed 's/^/ss loop wall s: /'
log "ip -all netns exec ss -tinp (best of $REPEAT; every namespace of the node)"
for ((r = 0; r < REPEAT; r++)); do
  s=$(date +%s.%N)
  ip -all netns exec ss -tinp >/dev/null 2>&1
  e=$(date +%s.%N)
  echo "$e - $s" | bc
done | best | sed 's/^/ip -all netns exec ss wall s: /'
lines=$(for ((i = 0; i < NAMESPACES; i++)); do ip netns exec "$PREFIX-$i" ss -tnH; done | wc -l)
echo "ss sockets (non-listening) in the bench namespaces: $lines"

# ---------------------------------------------------------------- 4. the agent at a 10 s interval
log "agent, sockets collector only, 10 s interval, ${SECONDS_AGENT} s"
dotnet "$AGENT_DLL" agent -p 127.0.0.1:0 --no-collector.packets --no-collector.conntrack --collector.sockets --sockets.interval 10s >"$TMP/agent.out" 2>&1 &
AGENT=$!
PIDS+=($AGENT)
for _ in $(seq 1 300); do grep -q 'listening on' "$TMP/agent.out" && break; sleep 0.1; done
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$AGENT/stat"; }
c0=$(cpu)
sleep "$SECONDS_AGENT"
c1=$(cpu)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$AGENT/status")
url=$(grep -o 'http://[0-9.:]*' "$TMP/agent.out" | head -1)
poll=$(curl -s "$url/metrics" | awk '/^netsight_socket_poll_duration_seconds / {print $2}')
conns=$(curl -s "$url/metrics" | awk '/^netsight_socket_connections\{status="open"\}/ {print $2}')
echo "agent cpu s over ${SECONDS_AGENT} s: $(echo "scale=3; ($c1 - $c0) / $ticks" | bc) ($(echo "scale=2; 100 * ($c1 - $c0) / $ticks / $SECONDS_AGENT" | bc) % of one core)"
echo "agent rss: $((rss / 1024)) MiB, last poll: $poll s, open connections: $conns"
