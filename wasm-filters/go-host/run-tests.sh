#!/usr/bin/env bash
# Runs the Wasm modules in the second proxy-wasm host (the proxy-wasm Go SDK's emulator on wazero): the
# three Java-built modules and the Go peer of failover-headers, from target/wasm (unpacked there from
# the filter-modules and go-peer jars by `mvn`). Run by `mvn verify` (test phase); by hand, after a
# build: wasm-filters/go-host/run-tests.sh [go test flags]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if ! command -v go >/dev/null; then
  echo "go-host: 'go' is not on PATH. The second proxy-wasm host is a Go test module: install Go 1.26 or" >&2
  echo "go-host: newer (https://go.dev/dl/, or Debian's golang-1.26) and re-run." >&2
  exit 2
fi
export GOFLAGS="${GOFLAGS:--mod=readonly}"
export MESHFED_WASM_DIR="${MESHFED_WASM_DIR:-$here/target/wasm}"
export MESHFED_GO_PEER_WASM="${MESHFED_GO_PEER_WASM:-$here/target/wasm/failover-headers-go.wasm}"
echo "go-host: go test in the proxy-wasm Go SDK's host on wazero: modules from $MESHFED_WASM_DIR"
cd "$here"
go test -count=1 "$@" .
