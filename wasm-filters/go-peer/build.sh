#!/usr/bin/env bash
# Builds the Go peer of failover-headers (failover-headers/, proxy-wasm Go SDK, standard Go for wasip1)
# into target/classes/wasm/failover-headers-go.wasm, which the jar of this module carries. Run by
# `mvn package` (generate-resources); by hand: wasm-filters/go-peer/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/target/classes/wasm/failover-headers-go.wasm"

if ! command -v go >/dev/null; then
  echo "go-peer: 'go' is not on PATH. The Go peer of failover-headers and the second proxy-wasm host are Go" >&2
  echo "go-peer: modules: install Go 1.26 or newer (https://go.dev/dl/, or Debian's golang-1.26) and re-run." >&2
  exit 2
fi
# Module and build caches are Go's own, outside the tree; go.mod and go.sum are never rewritten.
export GOFLAGS="${GOFLAGS:--mod=readonly}"
mkdir -p "$(dirname "$out")"
start=$SECONDS
echo "go-peer: $(go version | cut -d' ' -f3): GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared (failover-headers)"
(cd "$here/failover-headers" && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o "$out" .)
echo "go-peer: $out: $(wc -c <"$out") bytes in $((SECONDS - start)) s"
