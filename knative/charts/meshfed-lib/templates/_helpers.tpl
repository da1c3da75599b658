{{/*
How a manifest of knative/manifests/ becomes an object of this release. The manifests stay the one copy of every
object: these helpers change only what the values name, and the chart tests (knative/src/test/.../HelmChartsTest)
render the chart with default and other values and compare the output with the manifests field by field.
*/}}

{{/* The YAML documents of the file at .path (relative to the chart), each a dict; comment-only documents skipped. */}}
{{- define "meshfed.documents" -}}
{{- $docs := list -}}
{{- range $text := regexSplit "(?m)^---[ \\t]*$" (.root.Files.Get .path) -1 -}}
{{- $doc := fromYaml $text -}}
{{- if hasKey $doc "Error" -}}
{{- fail (printf "%s: %s" $.path (get $doc "Error")) -}}
{{- end -}}
{{- if $doc -}}
{{- $docs = append $docs $doc -}}
{{- end -}}
{{- end -}}
{{- toJson $docs -}}
{{- end -}}

{{/*
The manifest .doc with its namespaces renamed by .renames (manifest namespace -> release namespace; the management
chart maps meshfed and meshfed-pki, the workload chart meshfed-system and istio-system). The manifests name a
namespace only in these forms (the chart tests render other namespaces and find no trace of the defaults): a
"namespace" field, an env "value", a Namespace's own name, a service-account subject system:serviceaccount:<ns>:...,
a /namespaces/<ns>/ path, a <svc>.<ns>.svc host, and the Broker's <ns>/<broker> in its URL and OIDC audience. The
Broker's own name (meshfed) is not a namespace and stays. Returns JSON.
*/}}
{{- define "meshfed.renameNamespaces" -}}
{{- $json := toJson .doc -}}
{{- $renames := .renames -}}
{{- range $from := keys $renames | sortAlpha | reverse -}}
{{- $to := get $renames $from -}}
{{- if ne $from $to -}}
{{- $q := regexQuoteMeta $from -}}
{{- $json = regexReplaceAll (printf "\"(namespace|value)\":\"%s\"" $q) $json (printf "\"${1}\":%q" $to) -}}
{{- $json = regexReplaceAll (printf "system:serviceaccount:%s:" $q) $json (printf "system:serviceaccount:%s:" $to) -}}
{{- $json = regexReplaceAll (printf "/namespaces/%s/" $q) $json (printf "/namespaces/%s/" $to) -}}
{{- $json = regexReplaceAll (printf "\\.%s\\.svc([.\"/:])" $q) $json (printf ".%s.svc${1}" $to) -}}
{{- $json = regexReplaceAll (printf "(eventing\\.knative\\.dev/broker|svc\\.cluster\\.local)/%s/" $q) $json (printf "${1}/%s/" $to) -}}
{{- end -}}
{{- end -}}
{{- $doc := fromJson $json -}}
{{- if and (eq $doc.kind "Namespace") (hasKey $renames $doc.metadata.name) -}}
{{- $_ := set $doc.metadata "name" (get $renames $doc.metadata.name) -}}
{{- end -}}
{{- toJson $doc -}}
{{- end -}}

{{/* Labels every object of the release carries beside its manifest's. */}}
{{- define "meshfed.labels" -}}
app.kubernetes.io/part-of: meshfed
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* .doc with the release's labels added (the manifest's own win). */}}
{{- define "meshfed.withLabels" -}}
{{- $doc := .doc -}}
{{- $meta := $doc.metadata | default dict -}}
{{- $_ := set $meta "labels" (merge ($meta.labels | default dict) (fromYaml (include "meshfed.labels" .root))) -}}
{{- $_ := set $doc "metadata" $meta -}}
{{- toJson $doc -}}
{{- end -}}

{{/*
A container with the values applied: image (component image, else registry/name:tag from the manifest's image with
image.registry and image.tag), pull policy, resources (component, else the manifest's, else the default), security
context (the global containerSecurityContext, overridden by what the manifest says, overridden by the component's),
extra env (the component's, MESHFED_LOG_JSON=true when logs.json is set, OTEL_EXPORTER_OTLP_ENDPOINT and _PROTOCOL
from tracing.otlpEndpoint and tracing.protocol). .c is the container, .comp the component's values. Returns JSON.
*/}}
{{- define "meshfed.container" -}}
{{- $v := .root.Values -}}
{{- $c := deepCopy .c -}}
{{- $comp := .comp -}}
{{- if $comp.image -}}
{{- $_ := set $c "image" $comp.image -}}
{{- else if $c.image -}}
{{- $m := regexFindAll "^(.*)/([^/:@]+)(:([^/:@]+))?$" $c.image 1 -}}
{{- if $m -}}
{{- $registry := regexReplaceAll "^(.*)/([^/:@]+)(:([^/:@]+))?$" $c.image "${1}" -}}
{{- $name := regexReplaceAll "^(.*)/([^/:@]+)(:([^/:@]+))?$" $c.image "${2}" -}}
{{- $tag := regexReplaceAll "^(.*)/([^/:@]+)(:([^/:@]+))?$" $c.image "${4}" -}}
{{- $_ := set $c "image" (printf "%s/%s:%s" ($v.image.registry | default $registry) $name ($v.image.tag | default $tag | default $.root.Chart.AppVersion)) -}}
{{- end -}}
{{- end -}}
{{- if $v.image.pullPolicy -}}
{{- $_ := set $c "imagePullPolicy" $v.image.pullPolicy -}}
{{- end -}}
{{- $_ := set $c "resources" ($comp.resources | default $c.resources | default $v.resources) -}}
{{- $sc := mergeOverwrite (deepCopy ($v.containerSecurityContext | default dict)) (deepCopy ($c.securityContext | default dict)) (deepCopy ($comp.containerSecurityContext | default dict)) -}}
{{- if $sc -}}
{{- $_ := set $c "securityContext" $sc -}}
{{- end -}}
{{- $compEnv := deepCopy ($comp.env | default dict) -}}
{{- if and ($v.logs | default dict).json (not (hasKey $compEnv "MESHFED_LOG_JSON")) -}}
{{- $_ := set $compEnv "MESHFED_LOG_JSON" "true" -}}
{{- end -}}
{{- $tracing := $v.tracing | default dict -}}
{{- if and $tracing.otlpEndpoint (not (hasKey $compEnv "OTEL_EXPORTER_OTLP_ENDPOINT")) -}}
{{- $_ := set $compEnv "OTEL_EXPORTER_OTLP_ENDPOINT" $tracing.otlpEndpoint -}}
{{- end -}}
{{- if and $tracing.otlpEndpoint $tracing.protocol (not (hasKey $compEnv "OTEL_EXPORTER_OTLP_PROTOCOL")) -}}
{{- $_ := set $compEnv "OTEL_EXPORTER_OTLP_PROTOCOL" $tracing.protocol -}}
{{- end -}}
{{- if $compEnv -}}
{{- $env := list -}}
{{- range $e := ($c.env | default list) -}}
{{- if not (hasKey $compEnv $e.name) -}}
{{- $env = append $env $e -}}
{{- end -}}
{{- end -}}
{{- range $name := keys $compEnv | sortAlpha -}}
{{- $env = append $env (dict "name" $name "value" (toString (get $compEnv $name))) -}}
{{- end -}}
{{- $_ := set $c "env" $env -}}
{{- end -}}
{{- if $sc.readOnlyRootFilesystem -}}
{{- $mounts := $c.volumeMounts | default list -}}
{{- $hasTmp := false -}}
{{- range $m := $mounts -}}
{{- if eq $m.mountPath "/tmp" -}}
{{- $hasTmp = true -}}
{{- end -}}
{{- end -}}
{{- if not $hasTmp -}}
{{- $_ := set $c "volumeMounts" (append $mounts (dict "name" "tmp" "mountPath" "/tmp")) -}}
{{- end -}}
{{- end -}}
{{- toJson $c -}}
{{- end -}}

{{/*
A pod spec (.spec) with its containers through meshfed.container, image pull secrets, and a tmp emptyDir where a
container mounts one that the pod does not define. Returns JSON.
*/}}
{{- define "meshfed.podSpec" -}}
{{- $spec := deepCopy .spec -}}
{{- $v := .root.Values -}}
{{- $containers := list -}}
{{- range $c := $spec.containers -}}
{{- $containers = append $containers (fromJson (include "meshfed.container" (dict "c" $c "comp" $.comp "root" $.root))) -}}
{{- end -}}
{{- $_ := set $spec "containers" $containers -}}
{{- if $v.imagePullSecrets -}}
{{- $secrets := list -}}
{{- range $s := $v.imagePullSecrets -}}
{{- $secrets = append $secrets (dict "name" $s) -}}
{{- end -}}
{{- $_ := set $spec "imagePullSecrets" $secrets -}}
{{- end -}}
{{- $volumes := $spec.volumes | default list -}}
{{- $needTmp := false -}}
{{- range $c := $containers -}}
{{- range $m := ($c.volumeMounts | default list) -}}
{{- if eq $m.name "tmp" -}}
{{- $needTmp = true -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $haveTmp := false -}}
{{- range $vol := $volumes -}}
{{- if eq $vol.name "tmp" -}}
{{- $haveTmp = true -}}
{{- end -}}
{{- end -}}
{{- if and $needTmp (not $haveTmp) -}}
{{- $volumes = append $volumes (dict "name" "tmp" "emptyDir" (dict "sizeLimit" $v.tmpSizeLimit)) -}}
{{- end -}}
{{- if $volumes -}}
{{- $_ := set $spec "volumes" $volumes -}}
{{- end -}}
{{- toJson $spec -}}
{{- end -}}
