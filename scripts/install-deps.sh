#!/usr/bin/env bash
# Installs the Debian packages Netsight needs: `runtime` for the agent (libpcap; curl for the quick start's
# hub check; clang and zlib1g-dev, with which every kind publishes netsight with NativeAOT), `test` for the test suite and benchmarks (the lab's servers, PostgreSQL for the hub, chromium
# for the service map, tshark and promtool as oracles, gopacket's captures; for deploy/: Go and sprig for
# helm-render, node for the Kubernetes schema validator), `image` for deploy/image/build.sh.
# Idempotent: skips apt entirely when everything is already installed.
set -euo pipefail
kind=${1:-runtime}
# clang and zlib1g-dev: `dotnet publish` of netsight is NativeAOT (NetsightPublish in Directory.Build.props),
# whose ILCompiler links the executable with clang and needs zlib's headers and static library.
packages=(libpcap0.8 iproute2 curl clang zlib1g-dev)
if [ "$kind" = test ] || [ "$kind" = image ]; then
  # deploy/image/build.sh builds the image from Debian packages with mmdebstrap and umoci (skopeo for the
  # docker-archive); the image test runs it with runc.
  packages+=(mmdebstrap umoci skopeo runc)
fi
if [ "$kind" = test ] || [ "$kind" = bench ]; then
  packages+=(tshark tcpdump nftables nginx-light iperf3 curl procps prometheus golang-github-google-gopacket-dev dnsmasq-base conntrack util-linux e2fsprogs)
  packages+=(golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev golang-github-xeipuuv-gojsonschema-dev golang-github-gobwas-glob-dev nodejs python3)
  packages+=(postgresql chromium chromium-driver)
fi
if [ "$kind" = bench ]; then
  # afl++: bench/fuzz.sh (coverage-guided fuzzing; the corpus replay in the test suite needs none of it).
  packages+=(tcptrace nfdump argus-client argus-server apache2-utils ethtool bc time afl++)
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
# Debian's nodejs comes without npm (NodeSource's includes it): the schema validator's `npm ci` needs it.
if [ "$kind" = test ] && ! command -v npm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
