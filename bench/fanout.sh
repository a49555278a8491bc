#!/usr/bin/env bash
# bench/fanout.sh: the agent's live capture with 1 and with 2 capture threads (--capture.threads, a
# PACKET_FANOUT group) at the lab's highest veth rate: iperf3 -P STREAMS for SECONDS seconds from the root
# namespace to a network namespace it creates and removes, the agent capturing the root-side veth (not
# pinned: it may use every core). For each thread count it prints the packets that crossed the veth, those
# the agent analyzed (netsight_packets_total), its kernel drops (netsight_capture_dropped_packets_total
# {reason="kernel"}), its CPU seconds (user + sys) per million packets analyzed and its RSS idle and after.
# The machine is shared: CPU per million packets is the figure, wall-clock rates are not; the load average
# is printed before and after each run.
# --no-offload switches TSO/GSO/GRO off on both veth ends: MTU-sized packets instead of 64 KiB segments, the
# highest packet rate the lab reaches (the capture's cost is per packet).
# --agent-args "ARGS" adds agent flags to every run (e.g. "--buffer-size 2097152" to measure a smaller ring).
# Usage: bench/fanout.sh [--streams N] [--seconds N] [--threads "1 2"] [--no-offload] [--netsight DIR] [--agent-args "ARGS"]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STREAMS=8 SECONDS_=10 THREADS="1 2" DIR="" PORT=19392 OFFLOAD=1 AGENT_ARGS=""
NS=nsfanout VETH_ROOT=nsfo0 VETH_NS=nsfo1 ROOT_IP=198.18.7.1 NS_IP=198.18.7.2
while [[ $# -gt 0 ]]; do
  case $1 in
    --streams) STREAMS=$2; shift ;;
    --seconds) SECONDS_=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --netsight) DIR=$2; shift ;;
    --agent-args) AGENT_ARGS=$2; shift ;;
    --no-offload) OFFLOAD=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "fanout.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) -eq 0 ]] || { echo "fanout.sh: needs root (netns, veth, capture)" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "fanout.sh: needs iperf3" >&2; exit 1; }
if [[ -z $DIR ]]; then
  DIR=$ROOT/artifacts/netsight
  # The publish the scripts run (NativeAOT by default: Directory.Build.props' NetsightPublish).
  dotnet publish "$ROOT/src/Netsight" -c Release --use-current-runtime -o "$DIR" -v q -nologo -clp:ErrorsOnly >/dev/null \
    || { echo "fanout.sh: dotnet publish failed" >&2; exit 1; }
fi
TMP=$(mktemp -d /tmp/netsight-fanout.XXXXXX)
AGENT=""
# shellcheck source=bench/lab.sh
source "$ROOT/bench/lab.sh"
trap lab_cleanup EXIT

lab_up "$ROOT_IP/24" "$NS_IP/24"
if [[ $OFFLOAD == 0 ]]; then
  ethtool -K "$VETH_ROOT" tso off gso off gro off >/dev/null
  ip netns exec "$NS" ethtool -K "$VETH_NS" tso off gso off gro off >/dev/null
fi
ip netns exec "$NS" iperf3 -s -D -p 5201 --pidfile "$TMP/iperf3.pid"
for _ in $(seq 50); do [[ -s $TMP/iperf3.pid ]] && break; sleep 0.1; done
sleep 0.5

metric_sum() { # metric_sum NAME [LABEL-FILTER]: sum of the samples of a family for the lab device
  { curl -s "http://127.0.0.1:$PORT/metrics" || true; } | awk -v m="$1" -v f="${2:-}" -v d="device=\"$VETH_ROOT\"" \
    '$0 !~ /^#/ && index($0, m"{") == 1 && index($0, d) && (f == "" || index($0, f)) { s += $NF } END { printf "%.0f", s }'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$AGENT/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$AGENT/status"; }
wire() { echo $(( $(cat /sys/class/net/$VETH_ROOT/statistics/rx_packets) + $(cat /sys/class/net/$VETH_ROOT/statistics/tx_packets) )); }
HZ=$(getconf CLK_TCK)

echo "machine: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "traffic: iperf3 -P $STREAMS -t $SECONDS_ on $VETH_ROOT (root -> $NS), offloads $([[ $OFFLOAD == 1 ]] && echo on || echo off)"
[[ -z $AGENT_ARGS ]] || echo "agent flags: $AGENT_ARGS"
echo
echo "| capture threads | packets crossed | analyzed | kernel drops | missing, not counted | agent CPU s | CPU s per M packets | RSS idle / after MiB | load before / after |"
echo "|---|---|---|---|---|---|---|---|---|"
for t in $THREADS; do
  "$DIR/netsight" agent -i "$VETH_ROOT" -p "127.0.0.1:$PORT" --no-collector.conntrack --no-collector.probes --capture.threads "$t" $AGENT_ARGS >"$TMP/agent.log" 2>&1 &
  AGENT=$!
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/metrics" 2>/dev/null | grep -q 'netsight_collector_up{collector="packets"} 1' && break; sleep 0.2; done
  sleep 3
  LOAD0=$(cut -d' ' -f1 /proc/loadavg)
  RSS0=$(rss_kib); C0=$(cpu_ticks); P0=$(metric_sum netsight_packets_total); D0=$(metric_sum netsight_capture_dropped_packets_total 'reason="kernel"'); K0=$(wire)
  iperf3 -c "$NS_IP" -P "$STREAMS" -t "$SECONDS_" >"$TMP/iperf.log" 2>&1 || echo "iperf3: $(tail -1 "$TMP/iperf.log")" >&2
  # The capture threads may still be draining their rings: wait until the count stops moving (pcap_stats
  # is read every second, so two equal reads a second apart mean the rings are empty).
  P1=$(metric_sum netsight_packets_total)
  for _ in $(seq 30); do sleep 1.2; p=$(metric_sum netsight_packets_total); [[ $p == "$P1" ]] && break; P1=$p; done
  C1=$(cpu_ticks); K1=$(wire); D1=$(metric_sum netsight_capture_dropped_packets_total 'reason="kernel"'); RSS1=$(rss_kib)
  LOAD1=$(cut -d' ' -f1 /proc/loadavg)
  kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null || true
  PER_THREAD=$(grep -o 'packets received per capture thread: [0-9, ]*' "$TMP/agent.log" | sed 's/.*: //' || true)
  AGENT=""
  awk -v t="$t" -v w=$((K1 - K0)) -v n=$((P1 - P0)) -v d=$((D1 - D0)) -v c=$((C1 - C0)) -v hz="$HZ" -v r0="$RSS0" -v r1="$RSS1" \
      -v l0="$LOAD0" -v l1="$LOAD1" -v pt="$PER_THREAD" 'BEGIN {
    printf "| %d%s | %d | %d (%.1f%%) | %d | %d | %.2f | %.2f | %.1f / %.1f | %s / %s |\n", t, pt == "" ? "" : " (per thread: " pt ")",
      w, n, w ? 100*n/w : 0, d, w - n - d, c/hz, n ? (c/hz)/(n/1e6) : 0, r0/1024, r1/1024, l0, l1 }'
done
