#!/usr/bin/env bash
# Installs the Debian packages Netsight needs: `runtime` for the agent (libpcap), `test` for the test
# suite and benchmarks (the lab's servers, tshark and promtool as oracles, gopacket's captures).
# Idempotent: skips apt entirely when everything is already installed.
set -euo pipefail
kind=${1:-runtime}
packages=(libpcap0.8 iproute2)
if [ "$kind" = test ] || [ "$kind" = bench ]; then
  packages+=(tshark tcpdump nftables nginx-light iperf3 curl procps prometheus golang-github-google-gopacket-dev dnsmasq-base conntrack util-linux e2fsprogs python3)
fi
if [ "$kind" = bench ]; then
  packages+=(tcptrace nfdump argus-client argus-server apache2-utils ethtool bc time)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
