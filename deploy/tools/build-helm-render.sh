#!/usr/bin/env bash
# Builds helm-render (deploy/tools/helm-render: `helm template` from Go's text/template, sprig and
# Helm's own strvals parser) offline, in GOPATH mode against Debian's Go packages:
#   golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev
#   golang-github-xeipuuv-gojsonschema-dev golang-github-gobwas-glob-dev   (scripts/install-deps.sh test)
# Usage: deploy/tools/build-helm-render.sh [OUTPUT]   (default artifacts/helm-render; prints its path)
# strvals/ is Helm's pkg/strvals (Apache-2.0, helm/helm at e9b85e4), unchanged.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/artifacts/helm-render}
command -v go >/dev/null || { echo "go is missing: apt-get install golang-go (scripts/install-deps.sh test)" >&2; exit 1; }
gopath=$(mktemp -d)
[ -n "${GOCACHE:-}" ] || [ -n "${HOME:-}" ] || export GOCACHE="$gopath/cache"
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src" "$(dirname "$out")"
ln -s "$root/deploy/tools/helm-render" "$gopath/src/helmrender"
cd "$gopath/src/helmrender"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS= GOCACHE="${GOCACHE:-${HOME:+$HOME/.cache/go-build}}" \
  go build -o "$out" .
echo "$out"
