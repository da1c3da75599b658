#!/usr/bin/env bash
# Removes what deploy.sh installed: the helm release meshfed. Keeps the CRDs (and so every registered cluster) and, if
# the chart created them, the namespaces: they carry helm.sh/resource-policy: keep. Secrets and ConfigMaps the
# functions wrote (CA, credentials, the bridge's TLS, catalogs, audit) were never part of the release and stay, unless
# --purge. Safe to re-run: a release already gone is skipped.
#
#   knative/undeploy.sh [--dry-run] [--namespace NS] [--purge]
#
#   --dry-run        print every command, one per line, and run none
#   --namespace NS   where the release is (default: wherever helm finds it, else meshfed)
#   --purge          also delete every CRD of knative/manifests/crd/ (all MeshClusters) and both namespaces (CA,
#                    credentials, catalogs)
#
# helm: $HELM, else `helm` on PATH, else the one test-peers/build.sh builds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
chart="$here/charts/meshfed"
# shellcheck source=lib.sh
source "$here/lib.sh"

RELEASE=meshfed NAMESPACE="" PURGE=false
usage() { sed -n '7,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=true ;;
    --namespace) NAMESPACE="${2:?--namespace needs a value}"; shift ;;
    --purge) PURGE=true ;;
    -h|--help) usage ;;
    *) echo "undeploy.sh: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
helm="$(find_helm)"
if ! $DRY_RUN; then
  command -v kubectl >/dev/null || { echo "undeploy.sh: 'kubectl' is not on PATH (or use --dry-run)" >&2; exit 1; }
fi
found="$(release_namespace "$helm" "$RELEASE")"
NAMESPACE="${NAMESPACE:-${found:-$(yaml_get "$chart/values.yaml" namespace)}}"

# The PKI's namespace as the release has it (the chart's default when there is no release to ask).
pki="$(yaml_get "$chart/values.yaml" pkiNamespace)"
if [[ -n "$found" ]]; then
  pki="$("$helm" get values "$RELEASE" --namespace "$NAMESPACE" --all -o yaml | sed -n 's/^pkiNamespace: //p')"
fi

if $DRY_RUN || [[ -n "$found" ]]; then
  run "$helm" uninstall "$RELEASE" --namespace "$NAMESPACE"
fi
if $PURGE; then
  for f in "$here"/manifests/crd/*.yaml; do run kubectl delete -f "$f" --ignore-not-found; done
  # Not waited for: the namespace controller deletes what is in them, then them.
  run kubectl delete namespace "$NAMESPACE" "$pki" --ignore-not-found --wait=false
fi
exit 0
