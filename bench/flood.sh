#!/usr/bin/env bash
# bench/flood.sh: `netsight analyze` on a SYN flood of PACKETS SYNs from as many random sources
# (bench/synflood.py, 1,000,000 by default): every packet a new connection and a new peer pair, the worst
# case for analyze's tables. For each output (metrics, json, table) prints the best of --repeat N runs:
# CPU seconds (user + sys, from /usr/bin/time -v: the machine is shared, so wall time is also shown but CPU
# is the figure), packets per CPU second, peak RSS and output lines; and tshark's and tcpdump's time on the
# same file for scale. Targets (issue 11): >= 0.5 M packets/s end to end, peak RSS < 400 MB.
# Usage: bench/flood.sh [--packets N] [--repeat N] [--netsight EXE|DLL] [--no-peers]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
PACKETS=1000000 REPEAT=3 DLL="" PEERS=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --packets) PACKETS=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --netsight) DLL=$2; shift ;;
    --no-peers) PEERS=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "flood.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -x /usr/bin/time ]] || { echo "flood.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$OUT"
CAP=$OUT/synflood-$PACKETS.pcap
[[ -f $CAP ]] || python3 "$ROOT/bench/synflood.py" "$CAP" "$PACKETS"
if [[ -z $DLL ]]; then
  # The publish the scripts run (NativeAOT by default, Directory.Build.props' NetsightPublish).
  DLL=$ROOT/artifacts/netsight/netsight
  dotnet publish "$ROOT/src/Netsight" -c Release --use-current-runtime -o "$ROOT/artifacts/netsight" -v q -nologo >/dev/null
fi
# A netsight.dll (a `dotnet build` output or an older publish) runs under dotnet, an executable by itself.
if [[ $DLL == *.dll ]]; then NETSIGHT=(dotnet "$DLL"); else NETSIGHT=("$DLL"); fi
TMP=$(mktemp -d /tmp/netsight-flood.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# measure NAME CMD...: best (lowest CPU) of REPEAT runs -> "cpu wall rss_kb lines"
measure() {
  local name=$1; shift
  local best=""
  for ((i = 0; i < REPEAT; i++)); do
    /usr/bin/time -v -o "$TMP/time" "$@" >"$TMP/out" 2>/dev/null || { echo "$name failed" >&2; return 1; }
    local user sys wall rss lines
    user=$(awk -F': ' '/User time/ {print $2}' "$TMP/time")
    sys=$(awk -F': ' '/System time/ {print $2}' "$TMP/time")
    wall=$(awk -F': ' '/Elapsed/ {n=split($2,a,":"); s=0; for(k=1;k<=n;k++) s=s*60+a[k]; print s}' "$TMP/time")
    rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$TMP/time")
    lines=$(wc -l <"$TMP/out")
    local cpu; cpu=$(echo "$user + $sys" | bc)
    if [[ -z $best ]] || (( $(echo "$cpu < ${best%% *}" | bc) )); then best="$cpu $wall $rss $lines"; fi
  done
  echo "$best"
}

printf 'machine: %s, %s cores; load: %s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'capture: %s (%s packets, %s MB)\n\n' "$CAP" "$PACKETS" "$(( $(stat -c %s "$CAP") / 1000000 ))"
printf '%-28s %9s %9s %12s %10s %12s\n' tool cpu_s wall_s "Mpkt/cpu_s" peak_MB lines
row() {
  local name=$1 r=$2
  read -r cpu wall rss lines <<<"$r"
  printf '%-28s %9.2f %9.2f %12.2f %10.0f %12s\n' "$name" "$cpu" "$wall" "$(echo "$PACKETS / $cpu / 1000000" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$lines"
}
for o in metrics json table; do
  row "netsight analyze -o $o" "$(measure "$o" "${NETSIGHT[@]}" analyze "$CAP" --output "$o")"
done
if [[ $PEERS -eq 1 ]]; then
  command -v tcpdump >/dev/null && row "tcpdump -r (read only)" "$(measure tcpdump tcpdump -n -r "$CAP" -w /dev/null)"
  command -v tshark >/dev/null && REPEAT=1 row "tshark -z conv,tcp" "$(REPEAT=1 measure tshark tshark -n -q -r "$CAP" -z conv,tcp)"
fi
