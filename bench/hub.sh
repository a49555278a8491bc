#!/usr/bin/env bash
# bench/hub.sh: the hub's ingest rate and graph query time on each store, one core for the hub (root,
# Linux, dotnet, Debian's postgresql).
#   1. starts a PostgreSQL server of its own (initdb/pg_ctl as `postgres` in a temporary directory, on a free
#      loopback port, fsync on: a store of record) and, per store, a `netsight hub` pinned to core 1
#      (`taskset -c 1`): SQLite (embedded, WAL) and PostgreSQL;
#   2. `hub-load`: AGENTS concurrent agents (pinned to core 0) push BATCHES batches of RECORDS connection
#      records each over HTTP (gzip JSON, made before the clock starts); prints records/s (wall) and records
#      per hub CPU-second (utime+stime of the hub from /proc, the fairer figure on a shared machine);
#   3. `hub-fill` then `hub-graph`: 1,000 workloads and 10,000 edges, GET /api/v1/graph?since=1h timed;
#   4. the hub's RSS (VmRSS, VmHWM) after each.
# The comparison is the two stores against each other on the same load (SQLite: one writer at a time in one
# process; PostgreSQL: a server process per connection, the hub's upserts in parallel).
# Everything it creates (server, hubs, directories) is removed on exit. Options: --agents N, --batches N,
# --records N, --workloads N, --edges N, --graph-workloads N, --rounds N.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DLL=$ROOT/bench/Netsight.Benchmarks/bin/Release/net10.0/Netsight.Benchmarks.dll
HUB_DLL=$ROOT/src/Netsight/bin/Release/net10.0/netsight.dll
AGENTS=50
BATCHES=20
RECORDS=200
WORKLOADS=200
GRAPH_WORKLOADS=1000
EDGES=10000
ROUNDS=10

while [[ $# -gt 0 ]]; do
  case $1 in
    --agents) AGENTS=$2; shift 2 ;;
    --batches) BATCHES=$2; shift 2 ;;
    --records) RECORDS=$2; shift 2 ;;
    --workloads) WORKLOADS=$2; shift 2 ;;
    --graph-workloads) GRAPH_WORKLOADS=$2; shift 2 ;;
    --edges) EDGES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "usage: $0 [--agents N] [--batches N] [--records N] [--workloads N] [--graph-workloads N] [--edges N] [--rounds N]" >&2; exit 2 ;;
  esac
done

log() { printf '== %s\n' "$*" >&2; }
[[ $(id -u) -eq 0 ]] || { echo "hub.sh: needs root (runs PostgreSQL as the postgres user)" >&2; exit 1; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $PGBIN/initdb ]] || { echo "hub.sh: PostgreSQL is needed (scripts/install-deps.sh bench)" >&2; exit 1; }
for bin in dotnet taskset curl runuser; do
  command -v "$bin" >/dev/null 2>&1 || { echo "hub.sh: $bin is needed" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/netsight-hub-bench.XXXXXX)
chown postgres:postgres "$WORK"
HUB_PID=""
cleanup() {
  [[ -n $HUB_PID ]] && kill "$HUB_PID" 2>/dev/null && wait "$HUB_PID" 2>/dev/null || true
  [[ -f $WORK/pg/postmaster.pid ]] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

log "building (Release)"
dotnet build "$ROOT/src/Netsight" -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet build "$ROOT/bench/Netsight.Benchmarks" -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null

PGPORT=$(free_port)
log "PostgreSQL on 127.0.0.1:$PGPORT"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg" -A trust -U postgres -E UTF8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null

cpu_seconds() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }   # utime + stime in clock ticks (100 Hz)
rss_mib() { awk -v k="$2" '$1 == k":" { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

start_hub() {
  local store=$1 port
  port=$(free_port)
  taskset -c 1 dotnet "$HUB_DLL" hub -p "127.0.0.1:$port" --store "$store" >"$WORK/hub.log" 2>&1 &
  HUB_PID=$!
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && { HUB_URL="http://127.0.0.1:$port"; return; }
    sleep 0.2
  done
  cat "$WORK/hub.log" >&2
  exit 1
}
stop_hub() { kill "$HUB_PID"; wait "$HUB_PID" 2>/dev/null || true; HUB_PID=""; }

declare -A RESULT
for store in sqlite postgres; do
  if [[ $store == sqlite ]]; then spec="sqlite:$WORK/load.db"; else
    runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres load; spec="postgres://postgres@127.0.0.1:$PGPORT/load"; fi
  log "$store: $AGENTS agents x $BATCHES batches x $RECORDS records"
  start_hub "$spec"
  cpu0=$(cpu_seconds "$HUB_PID")
  out=$(taskset -c 0 dotnet "$BENCH_DLL" hub-load "$HUB_URL" "$AGENTS" "$BATCHES" "$RECORDS" "$WORKLOADS")
  cpu1=$(cpu_seconds "$HUB_PID")
  echo "$out" >&2
  records=$(awk '/^records / { print $2 }' <<<"$out")
  RESULT[$store,rate]=$(awk '/^records / { print $NF }' <<<"$out")
  RESULT[$store,cpu]=$(awk -v r="$records" -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.0f", r / (b - a) }')
  RESULT[$store,cpus]=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.1f", b - a }')
  RESULT[$store,rss]=$(rss_mib "$HUB_PID" VmRSS)
  RESULT[$store,hwm]=$(rss_mib "$HUB_PID" VmHWM)
  stop_hub

  if [[ $store == sqlite ]]; then spec="sqlite:$WORK/graph.db"; else
    runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres graph; spec="postgres://postgres@127.0.0.1:$PGPORT/graph"; fi
  log "$store: graph of $GRAPH_WORKLOADS workloads and $EDGES edges"
  start_hub "$spec"
  taskset -c 0 dotnet "$BENCH_DLL" hub-fill "$HUB_URL" "$GRAPH_WORKLOADS" "$EDGES" >&2
  out=$(taskset -c 0 dotnet "$BENCH_DLL" hub-graph "$HUB_URL" "$ROUNDS")
  echo "$out" >&2
  RESULT[$store,graph]=$(awk '/^graph_ms_best/ { print $2 " / " $4 }' <<<"$out")
  RESULT[$store,ghwm]=$(rss_mib "$HUB_PID" VmHWM)
  stop_hub
done

echo
echo "hub ingest ($AGENTS concurrent agents, $((AGENTS * BATCHES)) batches of $RECORDS records, hub on one core) and graph ($GRAPH_WORKLOADS workloads, $EDGES edges); load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %14s %18s %10s %14s %22s %14s\n' store "records/s" "records/CPU-s" "hub CPU s" "RSS/peak MiB" "graph ms best/median" "graph peak MiB"
for store in sqlite postgres; do
  printf '%-10s %14s %18s %10s %14s %22s %14s\n' "$store" "${RESULT[$store,rate]}" "${RESULT[$store,cpu]}" "${RESULT[$store,cpus]}" \
    "${RESULT[$store,rss]}/${RESULT[$store,hwm]}" "${RESULT[$store,graph]}" "${RESULT[$store,ghwm]}"
done
