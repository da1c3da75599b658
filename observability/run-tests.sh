#!/usr/bin/env bash
# Checks the chart's Grafana dashboard and Prometheus alert rules (knative/charts/meshfed/files/) against
# docs/observability.md with Prometheus' own rule loader and PromQL parser, and what the xDS bridge served at
# /metrics in its BridgeMetricsTest (xds-bridge/app/target/metrics/xds-bridge.txt, when that test ran) and what the
# xDS relay served in its RelayObservabilityTest (xds-bridge/relay/target/metrics/xds-relay.txt) against the same
# tables. Run by `mvn verify` (test phase); by hand: observability/run-tests.sh [go test flags]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if ! command -v go >/dev/null; then
  echo "observability: 'go' is not on PATH. The dashboard and alert check is a Go test module: install Go 1.25 or" >&2
  echo "observability: newer (https://go.dev/dl/, or Debian's golang-1.26) and re-run." >&2
  exit 2
fi
export GOFLAGS="${GOFLAGS:--mod=readonly}"
cd "$here"
echo "observability: rule file and dashboard against docs/observability.md"
go test -count=1 "$@" . -args -root="$here/.." \
  -scrapes="xDS bridge=$here/../xds-bridge/app/target/metrics/xds-bridge.txt,xDS relay=$here/../xds-bridge/relay/target/metrics/xds-relay.txt"
