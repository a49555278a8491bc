#!/usr/bin/env bash
# Quick start, part 1: install libpcap, build, and run the agent standalone on this host (every up,
# non-loopback interface, metrics on :9090 unless other flags are given). Run as root (capture needs it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh runtime
dotnet build src/Netsight -c Release -o artifacts/netsight --nologo -v quiet -clp:ErrorsOnly
# Standalone as root the agent sees every process, so the sockets collector (off by default because a
# pod needs hostPID for it) is on here too.
[ $# -gt 0 ] || set -- -p 9090 --collector.sockets
exec dotnet artifacts/netsight/netsight.dll agent "$@"
