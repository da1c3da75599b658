#!/usr/bin/env bash
# Installs or upgrades meshfed in the management cluster of the current kube context: the Helm chart
# knative/charts/meshfed, which renders every manifest of knative/manifests/ (docs/deploy.md, "Install with Helm").
# Every field of every manifest is applied on install and on upgrade, and helm keeps this script's options in the
# release: a re-run without options keeps the image prefix, tag, clusters and namespaces of the last run, and an
# option given again replaces its old value (--cluster: the whole list). The cluster's Knative Eventing must run with
# OIDC authentication and deny-all authorization, and the bridge's TLS Secret must exist first (docs/deploy.md,
# "Before you deploy").
#
#   knative/deploy.sh [--dry-run] [--image-prefix REGISTRY/PATH] [--tag TAG] [--cluster NAME]... [--namespace NS]
#                     [-- HELM ARGS...]
#
#   --dry-run           print the helm command, run nothing
#   --image-prefix P    images become P/<name>:<tag> (chart value image.registry)
#   --tag T             image tag (image.tag)
#   --cluster NAME      a PingSource that resyncs cluster NAME's exports periodically (repeatable; replaces the list)
#   --namespace NS      meshfed's namespace (default: the last run's, else meshfed); the release lives there too
#   -- HELM ARGS        passed to helm as they are (--set, -f values.yaml, --take-ownership, ...)
#
# helm: $HELM, else `helm` on PATH, else the one test-peers/build.sh builds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
chart="$here/charts/meshfed"
# shellcheck source=lib.sh
source "$here/lib.sh"

RELEASE=meshfed NAMESPACE="" SETS=() CLUSTERS=() CLUSTERS_GIVEN=false EXTRA=()
usage() { sed -n '10,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=true ;;
    --image-prefix) SETS+=(--set "image.registry=${2:?--image-prefix needs a value}"); shift ;;
    --tag) SETS+=(--set "image.tag=${2:?--tag needs a value}"); shift ;;
    --cluster) CLUSTERS+=("${2:?--cluster needs a cluster name}"); CLUSTERS_GIVEN=true; shift ;;
    --namespace) NAMESPACE="${2:?--namespace needs a value}"; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) usage ;;
    *) echo "deploy.sh: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
for c in "${CLUSTERS[@]}"; do
  [[ "$c" =~ ^[a-z0-9]([-a-z0-9]{0,41}[a-z0-9])?$ ]] || {
    echo "deploy.sh: --cluster '$c' is not a DNS-1123 label of at most 43 characters (it becomes part of a PingSource name)" >&2
    exit 2
  }
done
if $CLUSTERS_GIVEN; then
  json="[" sep=""
  for c in "${CLUSTERS[@]}"; do json+="$sep\"$c\""; sep=","; done
  SETS+=(--set-json "clusters=$json]")
fi
helm="$(find_helm)"
if ! $DRY_RUN; then
  command -v kubectl >/dev/null || { echo "deploy.sh: 'kubectl' is not on PATH (or use --dry-run)" >&2; exit 1; }
fi

# The namespace: as given, else where the release already is, else the chart's default. The release record lives in
# it, beside the objects, so the next run finds the options it was given.
if [[ -z "$NAMESPACE" ]]; then
  NAMESPACE="$(release_namespace "$helm" "$RELEASE")"
  NAMESPACE="${NAMESPACE:-$(yaml_get "$chart/values.yaml" namespace)}"
else
  SETS+=(--set "namespace=$NAMESPACE")
fi

# The bridge mounts its serving certificate and client CA from this Secret; without it its pod never starts. Stop
# here with the way out instead.
tls_secret="$(yaml_get "$here/manifests/serving/xds-bridge.yaml" spec.template.spec.volumes.secret.secretName)"
if ! $DRY_RUN && ! kubectl get secret "$tls_secret" -n "$NAMESPACE" >/dev/null 2>&1; then
  echo "deploy.sh: Secret $NAMESPACE/$tls_secret (the xDS bridge's TLS certificate, key and client CA) does not exist;" \
    "create it (docs/deploy.md, \"The xDS bridge's TLS\") and re-run" >&2
  exit 1
fi

# --reset-then-reuse-values: the chart's defaults, then the last run's values, then this run's options.
run "$helm" upgrade --install "$RELEASE" "$chart" --namespace "$NAMESPACE" --reset-then-reuse-values "${SETS[@]}" \
  "${EXTRA[@]}"
