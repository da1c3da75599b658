#!/usr/bin/env bash
# Builds the real programs meshfed's tests run against, from their Go modules, into a cache outside the tree:
#   istiod (pilot-discovery) at two Istio pseudo-versions, kube-apiserver and etcd, plus the CRDs they ship; and helm.
#   Not built, only copied out of module zips: the Knative and Prometheus Operator CRDs.
# A peer already in the cache is not rebuilt (seconds); a cold build takes tens of minutes on 2 cores.
# Writes test-peers/target/peers.properties: where each binary and CRD file is, read by the tests.
#
#   test-peers/build.sh            build what is missing, print progress
#   MESHFED_PEERS_CACHE=dir ...    cache elsewhere (default ~/.cache/meshfed/peers)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${MESHFED_PEERS_CACHE:-$HOME/.cache/meshfed/peers}"
out="$here/target/peers.properties"

if ! command -v go >/dev/null; then
  echo "test-peers: 'go' is not on PATH. The tests run real istiod, kube-apiserver and etcd built from their Go" >&2
  echo "test-peers: modules: install Go 1.26 or newer (https://go.dev/dl/, or Debian's golang-1.26) and re-run." >&2
  exit 2
fi
# The build never writes into the repository: module and build caches are Go's own, outside the tree.
export GOFLAGS="${GOFLAGS:--mod=readonly}"
export CGO_ENABLED=0

mkdir -p "$cache" "$here/target"
log() { printf '%s test-peers: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# version_of <module dir> <module path>: the version go.mod pins
version_of() { (cd "$1" && go list -m -f '{{.Version}}' "$2"); }
dir_of() { (cd "$1" && go mod download -json "$2" >/dev/null && go list -m -f '{{.Dir}}' "$2"); }

# build <name> <module dir> <package> <binary> <version> [go build flags...]
build() {
  local name="$1" mod="$2" pkg="$3" bin="$4" version="$5"
  shift 5
  local dest="$cache/$name-$version"
  if [[ -x "$dest/$bin" && -f "$dest/.complete" ]]; then
    log "$name $version: cached at $dest"
    return
  fi
  log "$name $version: building $pkg (cold: tens of minutes on 2 cores)"
  local start=$SECONDS
  mkdir -p "$dest"
  (cd "$here/$mod" && go mod download && go build -trimpath "$@" -o "$dest/$bin.tmp" "$pkg") &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 60
    kill -0 "$pid" 2>/dev/null && log "$name: still building ($((SECONDS - start)) s)"
  done
  wait "$pid"
  mv "$dest/$bin.tmp" "$dest/$bin"
  touch "$dest/.complete"
  log "$name $version: built in $((SECONDS - start)) s"
}

props=()
add() { props+=("$1=$2"); }

# kube-apiserver and etcd from one wrapper module (k8s.io/kubernetes requires its staging modules at v0.0.0).
kv="$(version_of "$here/kube" k8s.io/kubernetes)"
ev="$(version_of "$here/kube" go.etcd.io/etcd/server/v3)"
build kube-apiserver kube k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver "$kv" \
  -ldflags "-X k8s.io/component-base/version.gitVersion=$kv -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$kv" | cut -d. -f2)"
build etcd kube ./etcd etcd "$ev"
add kube-apiserver.binary "$cache/kube-apiserver-$kv/kube-apiserver"
add kube-apiserver.version "$kv"
add etcd.binary "$cache/etcd-$ev/etcd"
add etcd.version "$ev"

# istiod: two pseudo-versions of istio.io/istio (tags are not semver); the newer is the default.
for variant in 20260827 20260423; do
  mod="istiod-$variant"
  v="$(version_of "$here/$mod" istio.io/istio)"
  src="$(dir_of "$here/$mod" istio.io/istio)"
  iv="$(cat "$src/VERSION")-dev"
  build istiod "$mod" istio.io/istio/pilot/cmd/pilot-discovery pilot-discovery "$v" \
    -tags vtprotobuf,disable_pgv \
    -ldflags "-X istio.io/istio/pkg/version.buildVersion=$iv -X istio.io/istio/pkg/version.buildGitRevision=${v##*-} -X istio.io/istio/pkg/version.buildStatus=Clean"
  cp -f "$src/manifests/charts/base/files/crd-all.gen.yaml" "$cache/istiod-$v/crd-all.gen.yaml"
  add "istiod.$variant.binary" "$cache/istiod-$v/pilot-discovery"
  add "istiod.$variant.crds" "$cache/istiod-$v/crd-all.gen.yaml"
  add "istiod.$variant.version" "$iv ($v)"
done
add istiod.default 20260827
add istiod.versions "20260827,20260423"

# The Multi-Cluster Services API CRDs, from the module istiod itself builds against.
mcs="$(dir_of "$here/istiod-20260827" sigs.k8s.io/mcs-api)"
mkdir -p "$cache/mcs-api"
cat "$mcs/config/crd/multicluster.x-k8s.io_serviceexports.yaml" <(echo ---) \
    "$mcs/config/crd/multicluster.x-k8s.io_serviceimports.yaml" > "$cache/mcs-api/crds.yaml"
add mcs.crds "$cache/mcs-api/crds.yaml"

# --- Knative CRDs (knative/src/test/.../ManifestsServerValidationTest.java) ---------------------------------------
# The Serving and Eventing CRDs that meshfed's Knative manifests are validated against, copied out of the modules
# test-peers/knative/ pins (each ships its CRD YAML beside an empty Go package for this use). Nothing is built.
# knative_crds <module path> <CRD dir in the module> <name>: concatenates that dir's YAML into the cache, adds properties
knative_crds() {
  local v src dest
  v="$(version_of "$here/knative" "$1")"
  src="$(dir_of "$here/knative" "$1")/$2"
  dest="$cache/knative-$v/$3-crds.yaml"
  mkdir -p "$(dirname "$dest")"
  for f in "$src"/*.yaml; do printf -- '---\n'; cat "$f"; printf '\n'; done > "$dest.tmp"
  grep -q '^kind: CustomResourceDefinition' "$dest.tmp"
  mv "$dest.tmp" "$dest"
  add "knative.$3.crds" "$dest"
  add "knative.$3.version" "$v"
  log "knative $3 $v: CRDs at $dest"
}
knative_crds knative.dev/serving config/core/300-resources serving
knative_crds knative.dev/eventing config/core/resources eventing
# --- end Knative CRDs -------------------------------------------------------------------------------------------

# --- Prometheus Operator CRDs (knative/src/test/.../HelmChartsTest.java, docs/observability.md) ------------------
# The PrometheusRule, PodMonitor, ServiceMonitor, ... CRDs the charts' monitoring objects are validated against, copied
# out of the github.com/prometheus-operator/prometheus-operator module zip that test-peers/prometheus-operator/go.mod
# pins (example/prometheus-operator-crd/, the CRDs the operator's release installs). Nothing is built; the zip is
# about 4 MB, downloaded once into Go's module cache, and the CRDs are kept in the peers cache.
pov="$(version_of "$here/prometheus-operator" github.com/prometheus-operator/prometheus-operator)"
podest="$cache/prometheus-operator-$pov/crds.yaml"
if [[ -f "$podest" && -f "$(dirname "$podest")/.complete" ]]; then
  log "prometheus-operator $pov: CRDs cached at $podest"
else
  log "prometheus-operator $pov: downloading the module zip (about 4 MB) for its CRDs"
  start=$SECONDS
  posrc="$(dir_of "$here/prometheus-operator" github.com/prometheus-operator/prometheus-operator)/example/prometheus-operator-crd"
  mkdir -p "$(dirname "$podest")"
  for f in "$posrc"/monitoring.coreos.com_*.yaml; do printf -- '---\n'; cat "$f"; printf '\n'; done > "$podest.tmp"
  grep -q '^  name: prometheusrules.monitoring.coreos.com' "$podest.tmp"
  grep -q '^  name: podmonitors.monitoring.coreos.com' "$podest.tmp"
  mv "$podest.tmp" "$podest"
  touch "$(dirname "$podest")/.complete"
  log "prometheus-operator $pov: $(grep -c '^kind: CustomResourceDefinition' "$podest") CRDs at $podest ($((SECONDS - start)) s)"
fi
add prometheus-operator.crds "$podest"
add prometheus-operator.version "$pov"
# --- end Prometheus Operator CRDs -------------------------------------------------------------------------------

# --- helm (knative/src/test/.../HelmChartsTest.java, docs/deploy.md) ---------------------------------------------
# helm from helm.sh/helm/v4, pinned as a `tool` of test-peers/helm/go.mod. Cold: a few minutes on 2 cores.
hv="$(version_of "$here/helm" helm.sh/helm/v4)"
build helm helm helm.sh/helm/v4/cmd/helm helm "$hv" \
  -ldflags "-X helm.sh/helm/v4/internal/version.version=$hv -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
add helm.binary "$cache/helm-$hv/helm"
add helm.version "$hv"
# --- end helm ---------------------------------------------------------------------------------------------------

printf '%s\n' "# written by test-peers/build.sh" "${props[@]}" > "$out.tmp"
mv "$out.tmp" "$out"
log "peers ready: $out"
