#!/usr/bin/env bash
# Installs meshfed into the current kube context with kn (and kubectl for what kn does not manage: namespaces, CRD,
# RBAC, the Broker's EventPolicies, the bridge's direct gRPC Service). Every value comes from knative/manifests/: the
# Services, the Broker, each file in eventing/policies/ and eventing/triggers/ and the PingSource template. Safe to
# re-run: what exists is updated, not recreated. The cluster's Knative Eventing must run with OIDC authentication
# and deny-all authorization, and the bridge's TLS Secret must exist first (docs/deploy.md, "Before you deploy").
#
#   knative/deploy.sh [--dry-run [--assume-installed]] [--image-prefix REGISTRY/PATH] [--tag TAG] [--cluster NAME]...
#
#   --dry-run           print every command, one per line, and run none (assumes a fresh install)
#   --assume-installed  with --dry-run: print the commands of a re-run (updates instead of creates)
#   --image-prefix P    images become P/<name>:<tag> (default: the image in each Service manifest)
#   --tag T             image tag (default: the manifest's)
#   --cluster NAME      create a PingSource that resyncs cluster NAME's exports periodically (repeatable)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
m="$here/manifests"
# shellcheck source=lib.sh
source "$here/lib.sh"

IMAGE_PREFIX="" TAG="" CLUSTERS=()
usage() { sed -n '6,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=true ;;
    --assume-installed) ASSUME_INSTALLED=true ;;
    --image-prefix) IMAGE_PREFIX="${2:?--image-prefix needs a value}"; shift ;;
    --tag) TAG="${2:?--tag needs a value}"; shift ;;
    --cluster) CLUSTERS+=("${2:?--cluster needs a cluster name}"); shift ;;
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
if ! $DRY_RUN; then
  for tool in kn kubectl; do
    command -v "$tool" >/dev/null || { echo "deploy.sh: '$tool' is not on PATH (or use --dry-run)" >&2; exit 1; }
  done
fi

ns="$(yaml_get "$m/namespace.yaml" metadata.name)"

# 1. What kn does not manage. kubectl apply is idempotent by itself. namespace.yaml holds meshfed and meshfed-pki
# (the CA Secret's own namespace).
run kubectl apply -f "$m/namespace.yaml"
run kubectl apply -f "$m/crd/meshcluster.yaml"
for f in "$m"/rbac/*.yaml; do run kubectl apply -f "$f"; done

# The bridge mounts its serving certificate and client CA from this Secret; without it its pod never starts and
# `kn service create` waits out its timeout. Stop here with the way out instead.
tls_secret="$(yaml_get "$m/serving/xds-bridge.yaml" spec.template.spec.volumes.secret.secretName)"
if ! $DRY_RUN && ! kubectl get secret "$tls_secret" -n "$ns" >/dev/null 2>&1; then
  echo "deploy.sh: Secret $ns/$tls_secret (the xDS bridge's TLS certificate, key and client CA) does not exist;" \
    "create it (docs/deploy.md, \"The xDS bridge's TLS\") and re-run" >&2
  exit 1
fi

# 2. The broker, with the delivery policy of its manifest.
broker="$(yaml_get "$m/eventing/broker.yaml" metadata.name)"
delivery=(--retry "$(yaml_get "$m/eventing/broker.yaml" spec.delivery.retry)"
  --backoff-policy "$(yaml_get "$m/eventing/broker.yaml" spec.delivery.backoffPolicy)"
  --backoff-delay "$(yaml_get "$m/eventing/broker.yaml" spec.delivery.backoffDelay)")
if exists kn broker describe "$broker" -n "$ns"; then
  run kn broker update "$broker" -n "$ns" "${delivery[@]}"
else
  run kn broker create "$broker" -n "$ns" "${delivery[@]}"
fi
# Who may post what to the Broker (kn has no EventPolicy command). Applied before any sender exists: a policy that
# names a Trigger not created yet resolves once it is.
for f in "$m"/eventing/policies/*.yaml; do run kubectl apply -f "$f"; done

# 3. Knative Services. A create takes the whole manifest; an update re-applies the image and the tuning that
# changes between releases (scale bounds, concurrency, timeout). Other changes: kn service delete, then re-run.
for f in "$m"/serving/*.yaml; do
  [[ "$(yaml_get "$f" apiVersion)" == serving.knative.dev/v1 ]] || continue
  name="$(yaml_get "$f" metadata.name)"
  image="$(yaml_get "$f" spec.template.spec.containers.image)"
  repo="${image%:*}" tag="${image##*:}"
  [[ -n "$IMAGE_PREFIX" ]] && repo="$IMAGE_PREFIX/${repo##*/}"
  [[ -n "$TAG" ]] && tag="$TAG"
  if exists kn service describe "$name" -n "$ns"; then
    run kn service update "$name" -n "$ns" --image "$repo:$tag" \
      --scale-min "$(yaml_get "$f" spec.template.metadata.annotations.autoscaling.knative.dev/min-scale)" \
      --scale-max "$(yaml_get "$f" spec.template.metadata.annotations.autoscaling.knative.dev/max-scale)" \
      --concurrency-limit "$(yaml_get "$f" spec.template.spec.containerConcurrency)" \
      --timeout "$(yaml_get "$f" spec.template.spec.timeoutSeconds)"
  else
    run kn service create "$name" -n "$ns" --filename "$f" --image "$repo:$tag"
  fi
done
for f in "$m"/serving/*.yaml; do
  [[ "$(yaml_get "$f" apiVersion)" != serving.knative.dev/v1 ]] && run kubectl apply -f "$f"
done

# 4. One Trigger per file in eventing/triggers/: the files are the routing table.
for f in "$m"/eventing/triggers/*.yaml; do
  name="$(yaml_get "$f" metadata.name)"
  type="$(yaml_get "$f" spec.filter.attributes.type)"
  sink="$(yaml_get "$f" spec.subscriber.uri)"
  [[ -n "$sink" ]] || sink="ksvc:$(yaml_get "$f" spec.subscriber.ref.name)"
  if exists kn trigger describe "$name" -n "$ns"; then
    run kn trigger update "$name" -n "$ns" --filter "type=$type" --sink "$sink"
  else
    run kn trigger create "$name" -n "$ns" --broker "$(yaml_get "$f" spec.broker)" --filter "type=$type" --sink "$sink"
  fi
done

# 5. One periodic export sync per --cluster, from the PingSource template.
ping="$m/eventing/export-sync-pingsource.yaml"
for c in "${CLUSTERS[@]}"; do
  name="meshfed-export-sync-$c"
  args=(--schedule "$(yaml_get "$ping" spec.schedule)" --data "{\"cluster\":\"$c\"}"
    --sink "broker:$(yaml_get "$ping" spec.sink.ref.name)")
  if exists kn source ping describe "$name" -n "$ns"; then
    run kn source ping update "$name" -n "$ns" "${args[@]}"
  else
    run kn source ping create "$name" -n "$ns" "${args[@]}"
  fi
done
