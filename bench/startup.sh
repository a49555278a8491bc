#!/usr/bin/env bash
# bench/startup.sh: the fixed costs of one netsight build (issue 16 items 2, 3 and 5), so that publish
# options (ReadyToRun, composite, NativeAOT, tiering and GC settings) are chosen with numbers:
#   1. `analyze --output metrics` of a 10-packet file (gopacket's test_ethernet.pcap unless --small FILE):
#      best of --repeat N runs, wall and CPU (user + sys) of the whole process;
#   2. with --large FILE: the same for a large capture (steady-state throughput), best of N;
#   3. the agent idle as a DaemonSet pod runs it: every default collector and interface (no -i; --agent-args
#      to change that) in a network namespace of its own holding one veth pair, so that no other process's
#      traffic or connections reach it, scraped every 15 s as Prometheus would: time to the first answered
#      /metrics, its CPU seconds then, at 5 s and at the end, RSS (MiB, from /proc/PID/smaps_rollup, split into
#      anonymous and file-backed pages: the executable, libraries, capture rings) at 5 s, 30 s (after the
#      agent hands its start-up pages back at 10 s) and --idle S seconds.
# Root (a network namespace, capture). NETSIGHT is the command to run (default: the framework-dependent publish of
# scripts/agent.sh, `artifacts/netsight/netsight`: ReadyToRun or NativeAOT as NetsightPublish says); give another build's command to compare.
# Prints `key value` lines. Options: --repeat N (5), --idle S (120), --small FILE, --large FILE, --port P,
# --agent-args "ARGS" (default none).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
read -r -a EXE <<<"${NETSIGHT:-$ROOT/artifacts/netsight/netsight}"
REPEAT=5
IDLE=120
AGENT_ARGS=""
SMALL=/usr/share/gocode/src/github.com/google/gopacket/pcap/test_ethernet.pcap
LARGE=""
PORT=19390
while [[ $# -gt 0 ]]; do
  case $1 in
    --repeat) REPEAT=$2; shift 2 ;;
    --idle) IDLE=$2; shift 2 ;;
    --small) SMALL=$2; shift 2 ;;
    --large) LARGE=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --agent-args) AGENT_ARGS=$2; shift 2 ;;
    *) echo "usage: $0 [--repeat N] [--idle S] [--small FILE] [--large FILE] [--port P] [--agent-args ARGS]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "startup.sh: needs root (a network namespace, capture)" >&2; exit 1; }
for bin in curl ip /usr/bin/time; do command -v "$bin" >/dev/null || { echo "startup.sh: $bin is needed" >&2; exit 1; }; done
[[ -f $SMALL ]] || { echo "startup.sh: no capture $SMALL (--small FILE)" >&2; exit 1; }

TMP=$(mktemp -d)
AGENT=""
NS=""
cleanup() {
  [[ -n $AGENT ]] && { kill -TERM "$AGENT" 2>/dev/null || true; wait "$AGENT" 2>/dev/null || true; }
  [[ -n $NS ]] && ip netns del "$NS" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
echo "command ${EXE[*]}"
echo "load_average $(cut -d' ' -f1-3 /proc/loadavg)"

# best_of NAME FILE: the run with the least CPU of REPEAT (CPU is the figure a loaded machine keeps fair).
best_of() {
  local name=$1 file=$2 best="" w u s
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f '%e %U %S' -o "$TMP/time" "${EXE[@]}" analyze --output metrics "$file" >/dev/null 2>"$TMP/err" \
      || { cat "$TMP/err" >&2; exit 1; }
    read -r w u s < <(tail -1 "$TMP/time")
    local cpu; cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.3f", u+s}')
    if [[ -z $best ]] || awk -v a="$cpu" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$cpu; bw=$w; fi
  done
  echo "${name}_cpu_seconds $best"
  echo "${name}_wall_seconds $bw"
}
best_of analyze_small "$SMALL"
[[ -z $LARGE ]] || best_of analyze_large "$LARGE"

# cpu_of PID: user + sys seconds from /proc/PID/stat (fields 14, 15 in clock ticks).
tck=$(getconf CLK_TCK)
cpu_of() { awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat"; }
# rss_of PID: "rss anon file" in MiB from smaps_rollup.
rss_of() { awk '/^Rss:/ {r=$2} /^Anonymous:/ {a=$2} END { printf "%.1f %.1f %.1f\n", r/1024, a/1024, (r-a)/1024 }' "/proc/$1/smaps_rollup"; }
# since START: seconds since the agent was started.
since() { awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}'; }
# idle_until S: scrapes every 15 s (the first at 15 s after the start) until S seconds after the start.
next_scrape=15
idle_until() {
  while awk -v s="$1" -v n="$(since)" 'BEGIN{exit !(n < s)}'; do
    if awk -v n="$(since)" -v x="$next_scrape" 'BEGIN{exit !(n >= x)}'; then
      ip netns exec "$NS" curl -fsS -o /dev/null "http://127.0.0.1:$PORT/metrics" || { echo "startup.sh: a scrape failed" >&2; exit 1; }
      next_scrape=$((next_scrape + 15))
    fi
    sleep 0.2
  done
}
rss_at() {
  local r a f
  read -r r a f < <(rss_of "$AGENT")
  echo "agent_${1}s_rss_mib $r anon $a file $f"
}

NS=startup-$$
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip -n "$NS" link add st0 type veth peer name st1
ip -n "$NS" addr add 10.213.0.1/24 dev st0
ip -n "$NS" addr add 10.213.0.2/24 dev st1
ip -n "$NS" link set st0 up
ip -n "$NS" link set st1 up
read -r -a ARGS <<<"$AGENT_ARGS"
start=$(date +%s.%N)
ip netns exec "$NS" "${EXE[@]}" agent -p "127.0.0.1:$PORT" "${ARGS[@]}" >"$TMP/agent.log" 2>&1 &
AGENT=$!
until ip netns exec "$NS" curl -fsS -o /dev/null "http://127.0.0.1:$PORT/metrics" 2>/dev/null; do
  kill -0 "$AGENT" 2>/dev/null || { echo "startup.sh: the agent exited" >&2; cat "$TMP/agent.log" >&2; exit 1; }
  sleep 0.01
done
echo "agent_first_metrics_seconds $(since)"
echo "agent_first_metrics_cpu_seconds $(cpu_of "$AGENT")"
idle_until 5
echo "agent_5s_cpu_seconds $(cpu_of "$AGENT")"
rss_at 5
if (( IDLE > 30 )); then
  idle_until 30
  rss_at 30
fi
if (( IDLE > 5 )); then
  idle_until "$IDLE"
  rss_at "$IDLE"
  echo "agent_${IDLE}s_cpu_seconds $(cpu_of "$AGENT")"
fi
grep -h "start-up pages" "$TMP/agent.log" | sed 's/^.*\] /agent_log /' || true
