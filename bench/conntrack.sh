#!/usr/bin/env bash
# bench/conntrack.sh: the conntrack collector's dump parse rate against `conntrack -L` on one 100,000-entry
# table (root, Linux, conntrack-tools, nftables, iproute2, dotnet).
#   1. creates a network namespace, enables conntrack there with an nft `ct state` rule, raises
#      nf_conntrack_max in it when the kernel allows (it is per namespace only on recent kernels) and the
#      unreplied-UDP timeout so the entries outlive the run, and turns on accounting and timestamps there
#      (as the collector does by default), so every entry carries counters and a start time;
#   2. fills the table: `ct-fill` sends one UDP datagram to each of ENTRIES distinct (127.1.x.y, port) pairs
#      on the namespace's own loopback (nothing leaves the namespace);
#   3. times, inside the namespace and pinned to one core: `conntrack -L > /dev/null`, `conntrack -L -o extended
#      > /dev/null` (best of --repeat N runs, whole process), and `ct-dump`: the collector's NetlinkSocket and
#      ConntrackParser dumping and parsing the same table (best of N rounds after a warm-up round, in process),
#      then the collector's own dump path into its flow table; prints a comparison table, with each netsight
#      row's first round too (what the agent's start-up dump costs). The benchmarks are published as the agent
#      is (NetsightPublish, Directory.Build.props: NativeAOT by default, or ReadyToRun with no tier-0 JIT), so
#      the first round runs the code the agent's first dump runs.
# Everything it creates (namespace, nft table, processes) is removed on exit. Options: --entries N, --repeat N,
# --publish Aot|ReadyToRun (default: Aot, as netsight is published).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENTRIES=100000
REPEAT=5
PUBLISH=Aot
CPU=$(( $(nproc) > 1 ? 1 : 0 ))
NS=ctbench-$$
NFT_TABLE=netsight_ctbench

while [[ $# -gt 0 ]]; do
  case $1 in
    --entries) ENTRIES=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --publish) PUBLISH=$2; shift 2 ;;
    *) echo "usage: $0 [--entries N] [--repeat N] [--publish Aot|ReadyToRun]" >&2; exit 2 ;;
  esac
done

log() { printf '== %s\n' "$*" >&2; }
[[ $(id -u) -eq 0 ]] || { echo "conntrack.sh: needs root (network namespace, nft, ctnetlink)" >&2; exit 1; }
for bin in ip nft conntrack dotnet taskset /usr/bin/time; do
  command -v "$bin" >/dev/null 2>&1 || { echo "conntrack.sh: $bin is needed" >&2; exit 1; }
done

TMP=$(mktemp -d)
PIDS=()
NS_MADE=0
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [[ $NS_MADE -eq 1 ]]; then
    ip netns exec "$NS" nft delete table inet "$NFT_TABLE" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

case $PUBLISH in
  Aot)
    # NativeAOT, as netsight ships: no JIT, so round 1 is the code the agent's first dump runs. BenchmarkDotNet
    # itself is not AOT-clean (its trim warnings are not errors here); the ct-* modes use none of it.
    log "publishing the benchmarks (Release, NativeAOT as netsight; about 4 minutes)"
    PUBLISH_ARGS=(-r linux-x64 -p:PublishAot=true -p:TreatWarningsAsErrors=false) ;;
  ReadyToRun)
    # The agent's ReadyToRun settings (src/Netsight/Netsight.csproj): its code starts precompiled, and what
    # the JIT compiles is optimized at once.
    log "publishing the benchmarks (Release, ReadyToRun and the agent's tiering settings)"
    PUBLISH_ARGS=(--use-current-runtime --self-contained false -p:PublishReadyToRun=true
      -p:TieredCompilationQuickJit=false -p:TieredCompilationQuickJitForLoops=false) ;;
  *) echo "conntrack.sh: --publish Aot or ReadyToRun" >&2; exit 2 ;;
esac
dotnet publish "$ROOT/bench/Netsight.Benchmarks" -c Release "${PUBLISH_ARGS[@]}" \
  -o "$TMP/bench" -v q -nologo >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log"; exit 1; }
if [[ $PUBLISH == Aot ]]; then BENCH=("$TMP/bench/Netsight.Benchmarks"); else BENCH=(dotnet "$TMP/bench/Netsight.Benchmarks.dll"); fi

# ---------------------------------------------------------------- 1. the namespace
log "namespace $NS"
ip netns add "$NS"
NS_MADE=1
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up
# Any rule that uses conntrack makes the kernel track this namespace's connections.
nsx nft -f - <<EOF
table inet $NFT_TABLE {
  chain output { type filter hook output priority 0; policy accept; ct state new counter; }
  chain input { type filter hook input priority 0; policy accept; ct state established,related counter; }
}
EOF
MAX=$(nsx cat /proc/sys/net/netfilter/nf_conntrack_max)
MAX_NOTE="nf_conntrack_max $MAX"
if (( MAX < ENTRIES + ENTRIES / 4 )); then
  WANT=$(( (ENTRIES + ENTRIES / 4 + 65535) / 65536 * 65536 ))
  if nsx sysctl -qw net.netfilter.nf_conntrack_max="$WANT" 2>/dev/null; then
    MAX_NOTE="nf_conntrack_max raised in the namespace from $MAX to $WANT"
  else
    MAX_NOTE="nf_conntrack_max $MAX: not writable in a namespace on this kernel (raise it in the root namespace)"
    log "WARNING: $MAX_NOTE"
  fi
else
  MAX_NOTE="nf_conntrack_max $MAX, enough (writable in the namespace: $(nsx test -w /proc/sys/net/netfilter/nf_conntrack_max && echo yes || echo no))"
fi
log "$MAX_NOTE"
# As the collector runs by default (--conntrack.enable-accounting): entries carry counters and timestamps.
nsx sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1
# Unreplied UDP entries expire after 30 s by default: keep them for the whole run.
nsx sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600
nsx sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=3600 2>/dev/null || true

# ---------------------------------------------------------------- 2. the table
log "filling the table with $ENTRIES entries (UDP to distinct loopback address/port pairs)"
nsx "${BENCH[@]}" ct-fill "$ENTRIES" >&2
COUNT=$(nsx conntrack -C)
log "table: $COUNT entries, e.g. $(nsx conntrack -L -p udp 2>/dev/null | head -1)"
(( COUNT >= ENTRIES )) || log "WARNING: only $COUNT entries (< $ENTRIES)"

# ---------------------------------------------------------------- 3. timings
# time_cmd NAME COMMAND: best wall time of REPEAT runs inside the namespace, pinned to core $CPU.
declare -A WALL CPUS USR SYS SHOWN
time_cmd() {
  local name=$1; shift
  local best="" cpu="" usr="" sys="" shown="" w u s
  for _ in $(seq "$REPEAT"); do
    nsx /usr/bin/time -f '%e %U %S' -o "$TMP/time" taskset -c "$CPU" bash -c "$*" >/dev/null 2>"$TMP/err"
    read -r w u s < <(tail -1 "$TMP/time")
    if [[ -z $best ]] || awk -v a="$w" -v b="$best" 'BEGIN{exit !(a<b)}'; then
      best=$w; usr=$u; sys=$s; cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')
    fi
  done
  shown=$(grep -o '[0-9]* flow entries' "$TMP/err" | awk '{print $1}' || true)
  WALL[$name]=$best; CPUS[$name]=$cpu; USR[$name]=$usr; SYS[$name]=$sys; SHOWN[$name]=${shown:-$COUNT}
  log "$name: ${best}s wall, ${cpu}s cpu (${usr} user, ${sys} sys), ${SHOWN[$name]} entries"
}
time_cmd plain "conntrack -L > /dev/null"
time_cmd extended "conntrack -L -o extended > /dev/null"

log "ct-dump: netsight's NetlinkSocket + ConntrackParser (warm-up round, then best of $REPEAT)"
nsx taskset -c "$CPU" "${BENCH[@]}" ct-dump "$REPEAT" | tee "$TMP/ct-dump.out" >&2
field() { awk -v m="mode=$1 " -v k="$2=" 'index($0, m) { for (i = 1; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$TMP/ct-dump.out"; }

echo
echo "## Conntrack dump ($PUBLISH): $COUNT entries ($MAX_NOTE), one core (taskset -c $CPU), best of $REPEAT"
echo
printf '| %-42s | %8s | %8s | %8s | %8s | %10s | %17s | %11s | %10s |\n' reader entries "wall s" "user s" "sys s" entries/s "bytes alloc/entry" "wall vs -L" "cpu vs -L"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------------------------------------------- ---------- ---------- ---------- ---------- ------------ ------------------- ------------- ------------
BASE_WALL=${WALL[plain]}
BASE_CPU=$(awk -v u="${USR[plain]}" -v s="${SYS[plain]}" 'BEGIN{ print u + s }')
row() { # row NAME ENTRIES WALL USER SYS ALLOC
  local rate wall_ratio cpu_ratio
  rate=$(awk -v n="$2" -v s="$3" 'BEGIN{ printf "%.0f", (s > 0 ? n/s : 0) }')
  # Speed-ups per entry against plain `conntrack -L` (the same table, so the same entry count).
  wall_ratio=$(awk -v a="$3" -v b="$BASE_WALL" 'BEGIN{ printf "%.2fx", (a > 0 ? b/a : 0) }')
  cpu_ratio=$(awk -v u="$4" -v s="$5" -v b="$BASE_CPU" 'BEGIN{ printf "%.2fx", (u + s > 0 ? b/(u + s) : 0) }')
  printf '| %-42s | %8s | %8s | %8s | %8s | %10s | %17s | %11s | %10s |\n' "$1" "$2" "$3" "$4" "$5" "$rate" "$6" "$wall_ratio" "$cpu_ratio"
}
row "conntrack -L > /dev/null" "${SHOWN[plain]}" "${WALL[plain]}" "${USR[plain]}" "${SYS[plain]}" n/a
row "conntrack -L -o extended > /dev/null" "${SHOWN[extended]}" "${WALL[extended]}" "${USR[extended]}" "${SYS[extended]}" n/a
nsrow() { row "$1" "$(field "$2" entries)" "$(field "$2" seconds)" "$(field "$2" user_seconds)" "$(field "$2" sys_seconds)" "$(field "$2" bytes_allocated_per_entry)"; }
nsrow "netsight ct-dump: dump + parse" parse
nsrow "  first round" parse-first
nsrow "netsight collector dump (+ flow table)" collector
nsrow "  first round" collector-first
nsrow "netsight parse only (datagrams in memory)" memory
nsrow "  first round" memory-first
echo
echo "conntrack -L rows time the whole process (start, dump, text output to /dev/null); the netsight rows are"
echo "in-process, best round after the first; each \"first round\" row is that first round (what the agent's"
echo "start-up dump costs: no JIT with Aot, before tier-up with ReadyToRun; runtime start excluded). The collector row also builds its flow"
echo "table (first round inserts, later rounds update the same 100,000 records). The in-memory row parses the"
echo "datagrams of one dump again from memory: the parser's own cost, without the kernel's (sys) work."
grep -h 'id_collisions' "$TMP/ct-dump.out" | sed 's/^ct-dump /CTA_ID (the collector'"'"'s flow key): /' || true
