#!/usr/bin/env bash
# Removes what deploy.sh installed, in reverse order, reading the same manifests. Leaves the MeshCluster CRD (and so
# every registered cluster), the namespaces meshfed and meshfed-pki, their Secrets (CA, credentials, the bridge's
# TLS) and ConfigMaps (catalogs, audit) unless --purge is given. Safe to re-run: what is already gone is skipped.
#
#   knative/undeploy.sh [--dry-run [--assume-absent]] [--cluster NAME]... [--purge]
#
#   --dry-run        print every command, one per line, and run none (assumes everything is installed)
#   --assume-absent  with --dry-run: print what a re-run after a complete undeploy does (nothing)
#   --cluster NAME   also delete that cluster's export-sync PingSource (without --dry-run, every
#                    meshfed-export-sync-* PingSource found is deleted anyway)
#   --purge          also delete the CRD (all MeshClusters) and both namespaces (CA, credentials, catalogs)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
m="$here/manifests"
# shellcheck source=lib.sh
source "$here/lib.sh"

PURGE=false CLUSTERS=()
ASSUME_INSTALLED=true
usage() { sed -n '6,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=true ;;
    --assume-absent) ASSUME_INSTALLED=false ;;
    --cluster) CLUSTERS+=("${2:?--cluster needs a cluster name}"); shift ;;
    --purge) PURGE=true ;;
    -h|--help) usage ;;
    *) echo "undeploy.sh: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
if ! $DRY_RUN; then
  for tool in kn kubectl; do
    command -v "$tool" >/dev/null || { echo "undeploy.sh: '$tool' is not on PATH (or use --dry-run)" >&2; exit 1; }
  done
fi
ns="$(yaml_get "$m/namespace.yaml" metadata.name)"

pings=()
for c in "${CLUSTERS[@]}"; do pings+=("meshfed-export-sync-$c"); done
if ! $DRY_RUN; then
  while read -r name _; do
    [[ "$name" == meshfed-export-sync-* && " ${pings[*]} " != *" $name "* ]] && pings+=("$name")
  done < <(kn source ping list -n "$ns" --no-headers 2>/dev/null || true)
fi
for name in "${pings[@]}"; do
  exists kn source ping describe "$name" -n "$ns" && run kn source ping delete "$name" -n "$ns"
done
for f in "$m"/eventing/triggers/*.yaml; do
  name="$(yaml_get "$f" metadata.name)"
  exists kn trigger describe "$name" -n "$ns" && run kn trigger delete "$name" -n "$ns"
done
for f in "$m"/serving/*.yaml; do
  name="$(yaml_get "$f" metadata.name)"
  if [[ "$(yaml_get "$f" apiVersion)" == serving.knative.dev/v1 ]]; then
    exists kn service describe "$name" -n "$ns" && run kn service delete "$name" -n "$ns"
  else
    run kubectl delete -f "$f" --ignore-not-found
  fi
done
for f in "$m"/eventing/policies/*.yaml; do run kubectl delete -f "$f" --ignore-not-found; done
broker="$(yaml_get "$m/eventing/broker.yaml" metadata.name)"
exists kn broker describe "$broker" -n "$ns" && run kn broker delete "$broker" -n "$ns"
for f in "$m"/rbac/*.yaml; do run kubectl delete -f "$f" --ignore-not-found; done
if $PURGE; then
  run kubectl delete -f "$m/crd/meshcluster.yaml" --ignore-not-found
  run kubectl delete -f "$m/namespace.yaml" --ignore-not-found
fi
exit 0
