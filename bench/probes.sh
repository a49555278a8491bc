#!/usr/bin/env bash
# bench/probes.sh: what the probes collector costs (root not needed; Linux, python3, dotnet; dnsmasq optional).
#   1. starts PEERS TCP listeners on loopback (python3, accept and close) standing in for other agents,
#      and, when dnsmasq is installed, a dnsmasq on 127.0.0.1:DNS_PORT answering ok.test;
#   2. runs `netsight agent` with only the probes collector (packets and conntrack off) in four setups and
#      reads its CPU time (utime+stime of /proc/PID/stat) and rounds (netsight_probe_rounds_total) over a
#      measured window that starts after a warm-up:
#        a. baseline: the agent without any collector, idle (--no-collector.probes);
#        b. idle with probes at the defaults: --probe.interval 15s, fanout 5, PEERS peers, DNS probe on;
#        c. cost per round: --probe.interval 1s, fanout 5, PEERS peers, DNS probe off;
#        d. cost per round of the predecessor's pattern: every peer every round (fanout = PEERS);
#        e. cost per round of the DNS probe alone: one name, one server, A+AAAA over UDP and TCP (dnsmasq);
#   3. prints a table. Options: --peers N (100), --window S (60), --round-window S (30), --warmup S (10:
#      the first seconds of a run, JIT and tiering, are not measured).
# Everything it starts is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DLL=$ROOT/src/Netsight/bin/Release/net10.0/netsight.dll
PEERS=100
WINDOW=60
ROUND_WINDOW=30
WARMUP=10
DNS_PORT=5399
while [[ $# -gt 0 ]]; do
  case $1 in
    --peers) PEERS=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --round-window) ROUND_WINDOW=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    *) echo "usage: $0 [--peers N] [--window S] [--round-window S] [--warmup S]" >&2; exit 2 ;;
  esac
done

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$PORTS_FILE" "$WORK"; }
PORTS_FILE=$(mktemp)
WORK=$(mktemp -d)
trap cleanup EXIT

dotnet build "$ROOT/src/Netsight" -c Release --nologo -v q >/dev/null

python3 - "$PEERS" "$PORTS_FILE" <<'PY' &
import selectors, socket, sys
n, out = int(sys.argv[1]), sys.argv[2]
sel = selectors.DefaultSelector()
ports = []
for _ in range(n):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(128); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ); ports.append(s.getsockname()[1])
open(out, "w").write("\n".join(map(str, ports)) + "\n")
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept(); c.close()
        except OSError:
            pass
PY
PIDS+=($!)
for _ in $(seq 50); do [[ -s $PORTS_FILE ]] && break; sleep 0.1; done
PEER_ARGS=()
while read -r port; do PEER_ARGS+=(--probe.peer "127.0.0.1:$port"); done < "$PORTS_FILE"

HAVE_DNSMASQ=0
# The pid file goes to our temp dir: dnsmasq unlinks and recreates it, so --pid-file=/dev/null would
# replace the system's /dev/null with a regular file (it did, and broke every later `>/dev/null`).
if command -v dnsmasq >/dev/null; then
  dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.1 \
    --port=$DNS_PORT --address=/ok.test/198.18.53.53 --local=/test/ --user=root --pid-file="$WORK/dnsmasq.pid" 2>/dev/null &
  PIDS+=($!)
  HAVE_DNSMASQ=1
fi

TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rounds() { curl -s "http://127.0.0.1:$1/metrics" | awk '$1=="netsight_probe_rounds_total"{print $2; f=1} END{if(!f) print 0}'; }
# Probes ended (netsight_probe_probes_total, DNS and TCP): since each target keeps its own cadence, a round
# has no end of its own to time (it was netsight_probe_round_duration_seconds before issue 12).
probes_ended() { curl -s "http://127.0.0.1:$1/metrics" | awk '$1 ~ /^netsight_probe_probes_total/{s+=$2; f=1} END{if(f) print s; else print "n/a"}'; }

# run NAME WINDOW ARGS...: prints "name cpu_seconds wall rounds rss_kb probes_ended"
run() {
  local name=$1 window=$2; shift 2
  local port=$(( 19300 + RANDOM % 500 ))
  dotnet "$DLL" agent -p "127.0.0.1:$port" --no-collector.packets --no-collector.conntrack "$@" >/dev/null 2>&1 &
  local pid=$!
  PIDS+=($pid)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  sleep "$WARMUP"
  local c0 r0 c1 r1
  c0=$(cpu_ticks $pid); r0=$(rounds $port)
  sleep "$window"
  c1=$(cpu_ticks $pid); r1=$(rounds $port)
  local rss; rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
  local rs; rs=$(probes_ended $port)
  kill $pid; wait $pid 2>/dev/null || true
  awk -v n="$name" -v c=$((c1 - c0)) -v t="$TCK" -v w="$window" -v r=$((r1 - r0)) -v rss="$rss" -v rs="$rs" 'BEGIN{
    cpu = c / t
    per = r > 0 ? sprintf("%.2f ms", 1000 * cpu / r) : "n/a"
    printf "| %s | %d s | %.2f s | %.2f %% | %d | %s | %s | %d MB |\n", n, w, cpu, 100 * cpu / w, r, per, rs, rss / 1024 }'
}

echo "probes bench: $PEERS peers on loopback, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| setup | window | CPU | CPU of one core | rounds | CPU per round | probes ended (since start) | RSS |"
echo "|---|---|---|---|---|---|---|---|"
run "a. agent, no collector (baseline)" "$WINDOW" --no-collector.probes
run "b. probes defaults: 15 s, fanout 5, $PEERS peers, DNS on" "$WINDOW" "${PEER_ARGS[@]}"
run "c. 1 s rounds, fanout 5, $PEERS peers, DNS off" "$ROUND_WINDOW" --probe.interval 1s --probe.dns=false "${PEER_ARGS[@]}"
run "d. 1 s rounds, every peer (fanout $PEERS), DNS off" "$ROUND_WINDOW" --probe.interval 1s --probe.dns=false --probe.fanout "$PEERS" "${PEER_ARGS[@]}"
if [[ $HAVE_DNSMASQ == 1 ]]; then
  run "e. 1 s rounds, DNS only: 1 name x 1 server x A/AAAA x UDP/TCP" "$ROUND_WINDOW" --probe.interval 1s --probe.dns-server "127.0.0.1:$DNS_PORT" --probe.dns-name ok.test
else
  echo "| e. DNS only | n/a (dnsmasq not installed) | | | | | | |"
fi
