#!/usr/bin/env bash
# bench/conntrack.sh: the conntrack collector's dump parse rate against `conntrack -L` on one 100,000-entry
# table (root, Linux, conntrack-tools, nftables, iproute2, dotnet).
#   1. creates a network namespace, enables conntrack there with an nft `ct state` rule, raises
#      nf_conntrack_max in it when the kernel allows (it is per namespace only on recent kernels) and the
#      unreplied-UDP timeout so the entries outlive the run;
#   2. fills the table: `ct-fill` sends one UDP datagram to each of ENTRIES distinct (127.1.x.y, port) pairs
#      on the namespace's own loopback (nothing leaves the namespace);
#   3. times, inside the namespace and pinned to one core: `conntrack -L > /dev/null`, `conntrack -L -o extended
#      > /dev/null` (best of --repeat N runs, whole process), and `ct-dump`: the collector's NetlinkSocket and
#      ConntrackParser dumping and parsing the same table (best of N rounds after a warm-up round, in process),
#      then the collector's own dump path into its flow table; prints a comparison table.
# Everything it creates (namespace, nft table, processes) is removed on exit. Options: --entries N, --repeat N.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DLL=$ROOT/bench/Netsight.Benchmarks/bin/Release/net10.0/Netsight.Benchmarks.dll
ENTRIES=100000
REPEAT=5
CPU=$(( $(nproc) > 1 ? 1 : 0 ))
NS=ctbench-$$
NFT_TABLE=netsight_ctbench

while [[ $# -gt 0 ]]; do
  case $1 in
    --entries) ENTRIES=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    *) echo "usage: $0 [--entries N] [--repeat N]" >&2; exit 2 ;;
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

log "building the benchmarks (Release)"
dotnet build "$ROOT/bench/Netsight.Benchmarks" -c Release -v q -nologo >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log"; exit 1; }

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
