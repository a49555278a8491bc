#!/usr/bin/env bash
# Quick start, part 1: install libpcap, build, and run on this host a hub (embedded SQLite store, the
# service map and cluster API on :9091) and the agent standalone (every up, non-loopback interface,
# metrics on :9090 unless other flags are given) pushing to it. Run as root (capture needs it).
# Arguments go to the agent (`scripts/agent.sh -i 'veth*' -p 127.0.0.1:9100`); HUB_PORT moves the hub,
# HUB_STORE changes its store (default sqlite:artifacts/netsight-hub.db). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh runtime
dotnet publish src/Netsight -c Release --use-current-runtime -o artifacts/netsight --nologo -v quiet -clp:ErrorsOnly
hub_port=${HUB_PORT:-9091}
hub_store=${HUB_STORE:-sqlite:artifacts/netsight-hub.db}
# Standalone as root the agent sees every process, so the sockets collector (off by default because a
# pod needs hostPID for it) is on here too.
[ $# -gt 0 ] || set -- -p 9090 --collector.sockets
agent=""
artifacts/netsight/netsight hub -p "$hub_port" --store "$hub_store" &
hub=$!
# Both run in the background so that Ctrl-C or a TERM to this script stops both (SIGTERM: clean exit).
stop() { trap - INT TERM EXIT; kill $agent "$hub" 2>/dev/null; wait; }
trap stop INT TERM EXIT
for _ in $(seq 1 100); do
  if ! kill -0 "$hub" 2>/dev/null; then echo "agent.sh: the hub did not start" >&2; exit 1; fi
  curl -fsS -o /dev/null "http://127.0.0.1:$hub_port/readyz" 2>/dev/null && break
  sleep 0.2
done
case " $* " in *" --hub "*|*" --hub="*) ;; *) set -- "$@" --hub "http://127.0.0.1:$hub_port" ;; esac
agent_port=9090
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in -p|--listen) agent_port=${args[$((i + 1))]##*:} ;; esac
done
echo "agent.sh: agent metrics at http://localhost:$agent_port/metrics, service map at http://localhost:$hub_port/ (hub API /api/v1/*)"
artifacts/netsight/netsight agent "$@" &
agent=$!
wait "$agent"
