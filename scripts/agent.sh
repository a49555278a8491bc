#!/usr/bin/env bash
# Quick start, part 1: install libpcap, build, and run the agent standalone on this host (every up,
# non-loopback interface, metrics on :9090 unless other flags are given). Run as root (capture needs it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh runtime
dotnet build src/Netsight -c Release -o artifacts/netsight --nologo -v quiet -clp:ErrorsOnly
[ $# -gt 0 ] || set -- -p 9090
exec dotnet artifacts/netsight/netsight.dll agent "$@"
