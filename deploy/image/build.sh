#!/usr/bin/env bash
# Builds the netsight OCI image without a Docker daemon and without pulling a base image (these machines
# reach Debian's mirror, NuGet and npm only):
#   1. `dotnet publish` of src/Netsight with NativeAOT for linux-x64: one native executable (about 43 MB)
#      and libe_sqlite3.so, no .NET runtime in the image (it was a trimmed self-contained publish of 55 MB
#      before; the image test runs the agent and the hub from it),
#   2. a root filesystem of exactly the shared libraries it loads, extracted from Debian bookworm packages
#      by mmdebstrap: libc6, libpcap0.8 (and its libdbus-1-3 chain), libssl3 (TLS to the API server),
#      libstdc++6, libgcc-s1, zlib1g; no shell, no package manager, no ICU (InvariantGlobalization),
#      documentation, locales and iconv modules left out,
#   3. assembled with umoci into an OCI image layout: entrypoint /usr/bin/netsight, command `agent`.
# Output in OUTPUT (default artifacts/image): netsight-oci.tar (OCI archive: podman load, skopeo,
# `ctr -n k8s.io images import`, docker 25+), netsight-docker.tar (docker-archive, when skopeo is
# installed), the layout directory oci/, and size.txt. Needs root (mmdebstrap, umoci), the .NET SDK and
# `scripts/install-deps.sh image` (mmdebstrap umoci skopeo).
# Usage: deploy/image/build.sh [--output DIR] [--tag TAG] [--publish DIR (reuse a NativeAOT publish)]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/artifacts/image
tag=""
publish=""
while [ $# -gt 0 ]; do
  case $1 in
    --output) out=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --publish) publish=$2; shift 2 ;;
    *) echo "usage: $0 [--output DIR] [--tag TAG] [--publish DIR]" >&2; exit 2 ;;
  esac
done
version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$root/deploy/helm/netsight/Chart.yaml")
tag=${tag:-$version}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
for tool in mmdebstrap umoci dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (scripts/install-deps.sh image)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

if [ -z "$publish" ]; then
  publish=$work/app
  # From a copy of the sources without bin/ and obj/: a publish with other properties (trimmed, no
  # symbols) in the checkout itself rewrites the projects' shared outputs, and broke test builds running
  # at the same time (missing .pdb files in `dotnet test` of the solution).
  mkdir -p "$work/tree"
  tar -C "$root" --exclude=bin --exclude=obj -cf - src Directory.Build.props Directory.Packages.props global.json .editorconfig \
    | tar -C "$work/tree" -xf -
  # NativeAOT (NetsightPublish=Aot, the default): one native executable and SQLite's native library; the
  # AOT publish trims everything and warns about nothing (a warning would fail it: TreatWarningsAsErrors).
  dotnet publish "$work/tree/src/Netsight" -c Release -r linux-x64 -p:NetsightPublish=Aot \
    -p:DebugType=none -p:DebugSymbols=false -o "$publish" --nologo -v quiet -clp:ErrorsOnly
  # Symbols stay out of the image (netsight.dbg is the stripped executable's debug file, 130+ MB).
  rm -f "$publish"/*.dbg "$publish"/*.pdb
fi
[ -x "$publish/netsight" ] || { echo "no netsight executable in $publish" >&2; exit 1; }
published=$(date +%s)

# Debian's shared libraries only (the extract variant runs no maintainer scripts: nothing to execute).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
mmdebstrap --quiet --variant=extract --architectures=amd64 \
  --include=libc6,libpcap0.8,libssl3,libstdc++6,libgcc-s1,zlib1g \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/gconv/*' \
  bookworm "$work/rootfs" "deb $mirror bookworm main" "deb $security bookworm-security main"
rootfs=$work/rootfs
rm -rf "$rootfs/var/lib/apt" "$rootfs/var/cache" "$rootfs/var/log" "$rootfs/usr/share/doc" "$rootfs/usr/share/man" \
  "$rootfs/usr/share/locale" "$rootfs/usr/share/lintian" "$rootfs/usr/lib/x86_64-linux-gnu/gconv" "$rootfs/etc/apt"
mkdir -p "$rootfs/opt/netsight" "$rootfs/usr/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/run" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
chmod 1777 "$rootfs/tmp"
cp -a "$publish/." "$rootfs/opt/netsight/"
ln -sf /opt/netsight/netsight "$rootfs/usr/bin/netsight"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
rootfs_bytes=$(du -sb "$rootfs" | cut -f1)
rootfs_built=$(date +%s)

# The OCI image: one layer, the runtime configuration a DaemonSet overrides only in its args.
oci=$work/oci
umoci init --layout "$oci"
umoci new --image "$oci:$tag"
umoci unpack --image "$oci:$tag" "$work/bundle" >/dev/null
cp -a "$rootfs/." "$work/bundle/rootfs/"
umoci repack --image "$oci:$tag" --history.created_by "deploy/image/build.sh" "$work/bundle"
umoci config --image "$oci:$tag" --os linux --architecture amd64 \
  --config.entrypoint /usr/bin/netsight --config.cmd agent --config.workingdir / --config.user 0:0 \
  --config.env PATH=/usr/bin:/bin --config.env DOTNET_NOLOGO=1 --config.exposedports 9090/tcp \
  --config.label org.opencontainers.image.title=netsight \
  --config.label "org.opencontainers.image.version=$version" \
  --config.label org.opencontainers.image.licenses=Apache-2.0 \
  --config.label "org.opencontainers.image.description=Netsight node agent: network observability for Kubernetes nodes"
umoci gc --layout "$oci"

mkdir -p "$out"
rm -rf "$out/oci" "$out/netsight-oci.tar" "$out/netsight-docker.tar"
cp -a "$oci" "$out/oci"
tar -C "$oci" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner -cf "$out/netsight-oci.tar" .
if command -v skopeo >/dev/null; then
  skopeo --insecure-policy copy --quiet "oci:$oci:$tag" "docker-archive:$out/netsight-docker.tar:netsight:$tag"
fi
done_at=$(date +%s)
layer=$(find "$oci/blobs/sha256" -type f -size +1M -printf '%s\n' | sort -n | tail -1)
{
  echo "image netsight:$tag"
  echo "rootfs_bytes $rootfs_bytes"
  echo "app_bytes $(du -sb "$publish" | cut -f1)"
  echo "compressed_layer_bytes $layer"
  echo "oci_archive_bytes $(stat -c %s "$out/netsight-oci.tar")"
  echo "seconds_publish $((published - start))"
  echo "seconds_rootfs $((rootfs_built - published))"
  echo "seconds_assemble $((done_at - rootfs_built))"
} > "$out/size.txt"
cat "$out/size.txt"
