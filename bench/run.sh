#!/usr/bin/env bash
# bench/run.sh: Netsight's end-to-end benchmarks on this machine (root, Linux).
#   1. records a lab capture (>= 1,000,000 packets) in a network namespace it creates and removes:
#      short HTTP connections (ab -> nginx) and bulk flows (iperf3) with 0.5% TCP loss injected by nft,
#      captured with tcpdump -s 256 on the root-side veth; cached as bench/out/lab.pcap (--record redoes it);
#   2. times `netsight analyze` and the peer tools on that one file, pinned to one core, and prints a table
#      (plus netsight-2t: `analyze --threads 2` on two cores, and whether its output equals one thread's);
#   3. the allocation check and a stage breakdown of the analysis (read / decode / analyze);
#   4. the live check: the agent capturing the lab veth under iperf3 (kernel drops, CPU per million packets,
#      RSS idle and after), and the agent's RSS while it tracks 100,000 connections.
# A missing tool is "n/a" in the table, never a failure. Options: --record, --no-live, --repeat N (best of N),
# --baseline REF (also build the commit REF of this repository and measure it in the same run, as
# "netsight@REF": the before/after rows of BENCHMARKS.md).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
CAP=$OUT/lab.pcap
NETSIGHT_DIR=$ROOT/artifacts/netsight
BENCH_DLL=$ROOT/bench/Netsight.Benchmarks/bin/Release/net10.0/Netsight.Benchmarks.dll
NS=nsbench
VETH_ROOT=nsb0          # root side: tcpdump and the agent capture here
VETH_NS=nsb1
ROOT_IP=198.18.0.1      # RFC 2544 benchmarking range: never routed anywhere
NS_IP=198.18.0.2
AGENT_PORT=19190
MIN_PACKETS=1000000
FLOWS=100000

RECORD=0 LIVE=1 REPEAT=1 BASELINE=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --record) RECORD=1 ;;
    --no-live) LIVE=0 ;;
    --repeat) REPEAT=$2; shift ;;
    --baseline) BASELINE=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

[[ $(id -u) -eq 0 ]] || { echo "run.sh: needs root (network namespaces, capture)" >&2; exit 1; }
mkdir -p "$OUT"
# One core for every timed tool; core 1 when there are two or more, so core 0 keeps the rest of the system.
CPU=$(( $(nproc) > 1 ? 1 : 0 ))
OTHER_CPU=0
have() { command -v "$1" >/dev/null 2>&1; }
log() { printf '== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- lab (created on demand, removed on exit)
PIDS=()
TMP=$(mktemp -d /tmp/netsight-bench.XXXXXX)
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
  ip netns exec "$NS" nft delete table inet T 2>/dev/null
  ip link del "$VETH_ROOT" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  [[ -d $TMP/baseline-src ]] && git -C "$ROOT" worktree remove --force "$TMP/baseline-src" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

LAB_UP=0
lab_up() {
  [[ $LAB_UP -eq 1 ]] && return 0
  log "lab: namespace $NS, veth $VETH_ROOT ($ROOT_IP) <-> $VETH_NS ($NS_IP)"
  ip netns del "$NS" 2>/dev/null || true
  ip link del "$VETH_ROOT" 2>/dev/null || true
  ip netns add "$NS"
  ip link add "$VETH_ROOT" type veth peer name "$VETH_NS"
  ip link set "$VETH_NS" netns "$NS"
  ip addr add "$ROOT_IP/24" dev "$VETH_ROOT"
  ip -n "$NS" addr add "$NS_IP/24" dev "$VETH_NS"
  ip link set "$VETH_ROOT" up
  ip -n "$NS" link set lo up
  ip -n "$NS" link set "$VETH_NS" up
  # Segmentation offloads would hand tcpdump 64 KiB super-packets; a wire carries MTU-sized ones.
  if ! have ethtool; then apt-get install -y ethtool >/dev/null 2>&1 || true; fi
  if have ethtool; then
    ethtool -K "$VETH_ROOT" tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec "$NS" ethtool -K "$VETH_NS" tso off gso off gro off >/dev/null 2>&1 || true
  else
    ip link set "$VETH_ROOT" gso_max_size 1500 2>/dev/null || true
    ip -n "$NS" link set "$VETH_NS" gso_max_size 1500 2>/dev/null || true
  fi
  # 0.5% loss on TCP into the namespace (no netem on these kernels): retransmissions for the analysis.
  ip netns exec "$NS" nft add table inet T
  ip netns exec "$NS" nft add chain inet T input '{ type filter hook input priority 0; policy accept; }'
  ip netns exec "$NS" nft add rule inet T input meta l4proto tcp numgen random mod 1000 '<' 5 drop
  # nginx answering every request with a small body, no logs.
  if have nginx; then
    cat > "$TMP/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP; proxy_temp_path $TMP; fastcgi_temp_path $TMP; uwsgi_temp_path $TMP; scgi_temp_path $TMP;
  server { listen $NS_IP:80; location / { return 200 "netsight bench\n"; } }
}
EOF
    ip netns exec "$NS" taskset -c "$OTHER_CPU" nginx -c "$TMP/nginx.conf" -g 'daemon off;' &
    PIDS+=($!)
  fi
  if have iperf3; then
    ip netns exec "$NS" taskset -c "$OTHER_CPU" iperf3 -s -B "$NS_IP" >/dev/null 2>&1 &
    PIDS+=($!)
  fi
  sleep 1
  LAB_UP=1
}

stop_pid() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# ---------------------------------------------------------------- 1. the capture
record_capture() {
  have tcpdump || { echo "run.sh: tcpdump is needed to record the capture" >&2; exit 1; }
  lab_up
  log "recording $CAP (tcpdump -s 256 on $VETH_ROOT)"
  rm -f "$CAP.tmp"
  tcpdump -i "$VETH_ROOT" -s 256 -B 262144 -n -w "$CAP.tmp" 2>"$TMP/tcpdump.log" &
  local tcpdump_pid=$!
  for _ in $(seq 50); do [[ -s $CAP.tmp ]] && break; sleep 0.1; done
  sleep 0.5
  if have ab; then
    log "short connections: ab -n 20000 -c 20 http://$NS_IP/"
    taskset -c "$OTHER_CPU" ab -q -n 20000 -c 20 -s 10 "http://$NS_IP/" >"$TMP/ab.log" 2>&1 || log "ab: $(tail -1 "$TMP/ab.log")"
  else
    log "short connections: curl loop (ab not installed)"
    for _ in $(seq 2000); do curl -s -o /dev/null --max-time 2 "http://$NS_IP/" || true; done
  fi
  if have iperf3; then
    log "bulk flows: iperf3 -P 4 -n 1200M"
    taskset -c "$OTHER_CPU" iperf3 -c "$NS_IP" -P 4 -n 1200M >"$TMP/iperf-record.log" 2>&1 || log "iperf3 failed: $(tail -1 "$TMP/iperf-record.log")"
  fi
  sleep 1
  stop_pid "$tcpdump_pid"
  cat "$TMP/tcpdump.log" >&2
  mv "$CAP.tmp" "$CAP"
}

if [[ $RECORD -eq 1 || ! -s $CAP ]]; then record_capture; else log "reusing $CAP (--record to record it again)"; fi

# ---------------------------------------------------------------- builds
log "building netsight (Release) and the benchmarks"
dotnet publish "$ROOT/src/Netsight" -c Release --use-current-runtime -o "$NETSIGHT_DIR" -v q -nologo >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log"; exit 1; }
dotnet build "$ROOT/bench/Netsight.Benchmarks" -c Release -v q -nologo >"$TMP/build-bench.log" 2>&1 || { cat "$TMP/build-bench.log"; exit 1; }
NETSIGHT=("$NETSIGHT_DIR/netsight")
# The baseline: REF checked out beside this tree and published the same way (the same flags as now, so
# the rows differ by the code only).
BASE_NAME="" BASE_DIR=""
if [[ -n $BASELINE ]]; then
  BASE_REV=$(git -C "$ROOT" rev-parse --short "$BASELINE^{commit}") || { echo "run.sh: --baseline $BASELINE is not a commit" >&2; exit 2; }
  BASE_NAME="netsight@$BASE_REV" BASE_DIR=$OUT/baseline-$BASE_REV
  if [[ ! -x $BASE_DIR/netsight ]]; then
    log "building the baseline $BASE_NAME"
    git -C "$ROOT" worktree add -q --detach "$TMP/baseline-src" "$BASE_REV"
    dotnet publish "$TMP/baseline-src/src/Netsight" -c Release --use-current-runtime -o "$BASE_DIR" -v q -nologo >"$TMP/build-base.log" 2>&1 \
      || { cat "$TMP/build-base.log"; rm -rf "$BASE_DIR"; exit 1; }
  fi
fi

cat "$CAP" >/dev/null # warm the page cache: every tool reads from memory
if have capinfos; then
  PACKETS=$(capinfos -M -c "$CAP" | awk -F': *' '/Number of packets/ {print $2}' | tr -d ' ')
else
  PACKETS=$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)
fi
FILE_BYTES=$(stat -c %s "$CAP")
log "capture: $PACKETS packets, $FILE_BYTES bytes on disk"
(( PACKETS >= MIN_PACKETS )) || log "WARNING: only $PACKETS packets (< $MIN_PACKETS); run with --record"

# ---------------------------------------------------------------- 2. timings
# time_tool NAME COMMAND: best of REPEAT runs pinned to core $CPU; records wall and CPU (user+sys) seconds.
declare -A WALL CPUS
time_tool() {
  local name=$1; shift
  local best="" cpu=""
  for _ in $(seq "$REPEAT"); do
    rm -rf "$TMP/work"; mkdir -p "$TMP/work"
    if ! /usr/bin/time -f '%e %U %S' -o "$TMP/time" taskset -c "${PIN[$name]:-$CPU}" bash -c "$*" >"$TMP/$name.out" 2>"$TMP/$name.err"; then
      log "$name failed: $(tail -2 "$TMP/$name.err" | tr '\n' ' ')"; WALL[$name]=n/a; return 0
    fi
    read -r w u s < <(tail -1 "$TMP/time")
    if [[ -z $best ]] || awk -v a="$w" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$w; cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}'); fi
  done
  WALL[$name]=$best; CPUS[$name]=$cpu
  log "$name: ${best}s wall, ${cpu}s cpu"
}

# netsight-tc0: the same command with tiered JIT compilation off (informational: a file analysis spends
# most of its run in tier-0 code otherwise, see BENCHMARKS.md).
# netsight-2t: --threads 2 (a reader and two analysis shards) on two cores, every other row on one.
TOOLS=(netsight ${BASE_NAME:+"$BASE_NAME"} netsight-2t netsight-tc0 tcpdump tshark tcptrace nfdump argus)
ALL_CPUS=$(( $(nproc) > 1 ? 1 : 0 )); ALL_CPUS="0-$ALL_CPUS"
declare -A PIN=([netsight-2t]=$ALL_CPUS)
declare -A CMD=(
  [netsight]="'$NETSIGHT_DIR/netsight' analyze '$CAP' --output json > '$OUT/netsight.json'"
  [netsight-2t]="'$NETSIGHT_DIR/netsight' analyze '$CAP' --output json --threads 2 > '$OUT/netsight-2t.json'"
  [netsight-tc0]="DOTNET_TieredCompilation=0 '$NETSIGHT_DIR/netsight' analyze '$CAP' --output json > /dev/null"
  [tcpdump]="tcpdump -r '$CAP' -w /dev/null"
  [tshark]="tshark -r '$CAP' -q -z io,stat,0"
  [tcptrace]="tcptrace -l '$CAP' > /dev/null"
  [argus]="argus -r '$CAP' -w '$TMP/work/argus.out' && ra -r '$TMP/work/argus.out' > /dev/null"
)
# nfpcapd names its output directory -w in 1.7 (bookworm) and -l in later releases.
if have nfpcapd && nfpcapd -h 2>&1 | grep -q -- '-w flowdir'; then NFOUT=-w; else NFOUT=-l; fi
CMD[nfdump]="nfpcapd -r '$CAP' $NFOUT '$TMP/work' && nfdump -R '$TMP/work' > /dev/null"
declare -A NEEDS=([netsight]=dotnet [netsight-2t]=dotnet [netsight-tc0]=dotnet [tcpdump]=tcpdump [tshark]=tshark [tcptrace]=tcptrace [nfdump]="nfpcapd nfdump" [argus]="argus ra")
if [[ -n $BASE_NAME ]]; then
  CMD[$BASE_NAME]="'$BASE_DIR/netsight' analyze '$CAP' --output json > /dev/null"
  NEEDS[$BASE_NAME]=dotnet
fi

for t in "${TOOLS[@]}"; do
  missing=0
  for bin in ${NEEDS[$t]}; do have "$bin" || missing=1; done
  if [[ $missing -eq 1 ]]; then WALL[$t]=n/a; log "$t: not installed"; continue; fi
  time_tool "$t" "${CMD[$t]}"
done

pps() { [[ ${WALL[$1]} == n/a ]] && { echo n/a; return; }; awk -v p="$PACKETS" -v s="${WALL[$1]}" 'BEGIN{ if (s > 0) printf "%.0f", p/s; else print "n/a" }'; }
cpu_pps() { [[ ${WALL[$1]} == n/a ]] && { echo n/a; return; }; awk -v p="$PACKETS" -v s="${CPUS[$1]}" 'BEGIN{ if (s > 0) printf "%.0f", p/s; else print "n/a" }'; }
NS_PPS=$(pps netsight)
echo
echo "## Capture: $CAP ($PACKETS packets, $FILE_BYTES bytes), one core (taskset -c $CPU; netsight-2t: -c $ALL_CPUS), best of $REPEAT"
echo
printf '| %-16s | %9s | %9s | %12s | %14s | %18s |\n' tool "wall s" "cpu s" "packets/s" "packets/cpu-s" "netsight speed-up"
printf '|%s|%s|%s|%s|%s|%s|\n' ------------------ ----------- ----------- -------------- ---------------- --------------------
for t in "${TOOLS[@]}"; do
  p=$(pps "$t")
  ratio=n/a
  [[ $p != n/a && $NS_PPS != n/a ]] && ratio=$(awk -v a="$NS_PPS" -v b="$p" 'BEGIN{printf "%.2fx", a/b}')
  printf '| %-16s | %9s | %9s | %12s | %14s | %18s |\n' "$t" "${WALL[$t]}" "${CPUS[$t]:-n/a}" "$p" "$(cpu_pps "$t")" "$ratio"
done
echo
if [[ -s $OUT/netsight.json && -s $OUT/netsight-2t.json ]]; then
  if cmp -s "$OUT/netsight.json" "$OUT/netsight-2t.json"; then echo "netsight-2t output: identical to netsight's"; else echo "netsight-2t output: DIFFERS from netsight's"; fi
fi
if [[ -s $OUT/netsight.json ]] && have python3; then
  python3 - "$OUT/netsight.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print("netsight totals: " + ", ".join(f"{k}={v}" for k, v in t.items() if not isinstance(v, (dict, list))))
EOF
fi

# The fixed cost of one run (runtime start, JIT, report) on a 500-packet file, to read the table against.
TINY=$OUT/flows-100.pcap
[[ -s $TINY ]] || dotnet "$BENCH_DLL" gen-flows "$TINY" 100 >/dev/null
for dir in "$NETSIGHT_DIR" ${BASE_DIR:+"$BASE_DIR"}; do
  name=netsight; [[ $dir == "$BASE_DIR" ]] && name=$BASE_NAME
  /usr/bin/time -f '%e %U %S' -o "$TMP/time" taskset -c "$CPU" "$dir/netsight" analyze "$TINY" --output json >/dev/null
  echo "$name analyze on a 500-packet file (fixed cost of a run): $(awk '{printf "%ss wall, %.2fs cpu", $1, $2+$3}' "$TMP/time")"
done

# ---------------------------------------------------------------- 3. allocation and where the time goes
echo
echo "## Allocation check (steady state, after warm-up)"
taskset -c "$CPU" dotnet "$BENCH_DLL" alloc 5000000 || echo "alloc check FAILED"
echo
echo "## Stage breakdown of the analysis on the capture (best of 3)"
taskset -c "$CPU" dotnet "$BENCH_DLL" breakdown "$CAP" 3 || echo "breakdown n/a"

[[ $LIVE -eq 1 ]] || exit 0

# ---------------------------------------------------------------- 4. live: the agent on the lab veth
metric_sum() { # metric_sum NAME [LABEL-FILTER]: sum of the samples of a family for the lab device
  { curl -s "http://127.0.0.1:$AGENT_PORT/metrics" || true; } | awk -v m="$1" -v f="${2:-}" -v d="device=\"$VETH_ROOT\"" \
    '$0 !~ /^#/ && index($0, m"{") == 1 && index($0, d) && (f == "" || index($0, f)) { s += $NF } END { printf "%.0f", s }'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

AGENT_DIR=$NETSIGHT_DIR
start_agent() {
  taskset -c "$CPU" "$AGENT_DIR/netsight" agent -i "$VETH_ROOT" -p "127.0.0.1:$AGENT_PORT" "$@" >"$TMP/agent.log" 2>&1 &
  AGENT=$!
  PIDS+=("$AGENT")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$AGENT_PORT/metrics" 2>/dev/null | grep -q 'netsight_collector_up{collector="packets"} 1' && break; sleep 0.2; done
  sleep 3 # the interface is attached and the runtime settles
}

lab_up
HZ=$(getconf CLK_TCK)
for AGENT_DIR in "$NETSIGHT_DIR" ${BASE_DIR:+"$BASE_DIR"}; do
name=netsight; [[ $AGENT_DIR == "$BASE_DIR" ]] && name=$BASE_NAME
echo
echo "## Live: $name agent on $VETH_ROOT (taskset -c $CPU), traffic on core $OTHER_CPU"
start_agent
RSS_IDLE=$(rss_kib "$AGENT")
C0=$(cpu_ticks "$AGENT"); P0=$(metric_sum netsight_packets_total)
K0=$(( $(cat /sys/class/net/$VETH_ROOT/statistics/rx_packets) + $(cat /sys/class/net/$VETH_ROOT/statistics/tx_packets) ))
if have iperf3; then
  taskset -c "$OTHER_CPU" iperf3 -c "$NS_IP" -P 2 -t 10 >"$TMP/iperf-live.log" 2>&1 || log "iperf3: $(tail -1 "$TMP/iperf-live.log")"
fi
# The capture thread may still be draining its ring: wait until the count stops moving (pcap_stats is
# read every second, so two equal reads a second apart mean the ring is empty).
P1=$(metric_sum netsight_packets_total)
for _ in $(seq 30); do sleep 1.2; p=$(metric_sum netsight_packets_total); [[ $p == "$P1" ]] && break; P1=$p; done
C1=$(cpu_ticks "$AGENT")
K1=$(( $(cat /sys/class/net/$VETH_ROOT/statistics/rx_packets) + $(cat /sys/class/net/$VETH_ROOT/statistics/tx_packets) ))
DROPS=$(metric_sum netsight_capture_dropped_packets_total 'reason="kernel"')
RSS_AFTER=$(rss_kib "$AGENT")
SEEN=$((P1 - P0)); WIRE=$((K1 - K0))
awk -v c=$((C1 - C0)) -v hz="$HZ" -v n="$SEEN" -v w="$WIRE" -v d="$DROPS" -v ri="$RSS_IDLE" -v ra="$RSS_AFTER" 'BEGIN {
  printf "packets on the veth %d, seen by the agent %d (%.1f%%) in 10 s: %.0f packets/s\n", w, n, w ? 100*n/w : 0, n/10
  printf "kernel drops (netsight_capture_dropped_packets_total{reason=\"kernel\"}) %d; missing and not counted as dropped: %d\n", d, w - n - d
  printf "agent CPU %.2f s = %.2f CPU s per million packets\n", c/hz, n ? (c/hz)/(n/1e6) : 0
  printf "agent RSS idle %.1f MiB, after the run %.1f MiB\n", ri/1024, ra/1024 }'
stop_pid "$AGENT"
done
AGENT_DIR=$NETSIGHT_DIR

# ---------------------------------------------------------------- 4b. RSS with 100,000 tracked connections
echo
echo "## RSS with $FLOWS tracked connections"
FLOWCAP=$OUT/flows-$FLOWS.pcap
[[ -s $FLOWCAP ]] || dotnet "$BENCH_DLL" gen-flows "$FLOWCAP" "$FLOWS" >&2
for AGENT_DIR in "$NETSIGHT_DIR" ${BASE_DIR:+"$BASE_DIR"}; do
name=netsight; [[ $AGENT_DIR == "$BASE_DIR" ]] && name=$BASE_NAME
if have python3; then
  start_agent
  RSS0=$(rss_kib "$AGENT")
  ip netns exec "$NS" python3 "$ROOT/bench/send-frames.py" "$VETH_NS" "$FLOWCAP" >&2
  sleep 3
  TRACKED=$(metric_sum netsight_flows); SERIES_PKTS=$(metric_sum netsight_packets_total)
  DROPS=$(metric_sum netsight_capture_dropped_packets_total 'reason="kernel"')
  RSS1=$(rss_kib "$AGENT")
  awk -v n="$name" -v a="$RSS0" -v b="$RSS1" -v f="$TRACKED" -v p="$SERIES_PKTS" -v d="$DROPS" 'BEGIN {
    printf "%s agent: %d packets seen, %d kernel drops, netsight_flows %d; RSS %.1f MiB before, %.1f MiB with the flows (%.0f bytes per flow)\n",
      n, p, d, f, a/1024, b/1024, f ? (b-a)*1024/f : 0 }'
  stop_pid "$AGENT"
else
  echo "agent: n/a (python3 needed to put the frames on the veth)"
fi
/usr/bin/time -f '%M' -o "$TMP/rss" "$AGENT_DIR/netsight" analyze "$FLOWCAP" --output metrics >/dev/null
echo "$name analyze $FLOWCAP: peak RSS $(awk '{printf "%.1f", $1/1024}' "$TMP/rss") MiB (includes the end-of-file report of every connection)"
done
