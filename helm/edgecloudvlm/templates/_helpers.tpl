{{/* Chart name, truncated to the 63 characters Kubernetes allows in a label value. */}}
{{- define "edgecloudvlm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped base name; component names append "-cloud" or "-edge", so keep room for them. */}}
{{- define "edgecloudvlm.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "edgecloudvlm.cloud.fullname" -}}
{{- printf "%s-cloud" (include "edgecloudvlm.fullname" .) }}
{{- end }}

{{- define "edgecloudvlm.edge.fullname" -}}
{{- printf "%s-edge" (include "edgecloudvlm.fullname" .) }}
{{- end }}

{{- define "edgecloudvlm.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels; pass (dict "ctx" $ "component" "cloud"). */}}
{{- define "edgecloudvlm.labels" -}}
helm.sh/chart: {{ include "edgecloudvlm.chart" .ctx }}
{{ include "edgecloudvlm.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: edgecloudvlm
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "edgecloudvlm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "edgecloudvlm.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "edgecloudvlm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "edgecloudvlm.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference: (dict "image" .Values.cloud.image "suffix" "-gpu" "ctx" $); the tag defaults to appVersion+suffix. */}}
{{- define "edgecloudvlm.image" -}}
{{- $tag := .image.tag | default (printf "%s%s" .ctx.Chart.AppVersion (.suffix | default "")) -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end }}

{{/*
Flattens a nested map of configuration into environment variables in ASP.NET Core's Section__Key form:
{Engine: {KvCacheMemoryMiB: 1024}, Models: {Folders: [a, b]}} -> Engine__KvCacheMemoryMiB: "1024",
Models__Folders__0: "a", Models__Folders__1: "b". Call with (dict "prefix" "" "value" $map).
*/}}
{{- define "edgecloudvlm.flattenConfig" -}}
{{- $prefix := .prefix -}}
{{- if kindIs "map" .value -}}
{{- range $key, $child := .value }}
{{- include "edgecloudvlm.flattenConfig" (dict "prefix" (ternary $key (printf "%s__%s" $prefix $key) (eq $prefix "")) "value" $child) }}
{{- end }}
{{- else if kindIs "slice" .value -}}
{{- range $index, $child := .value }}
{{- include "edgecloudvlm.flattenConfig" (dict "prefix" (printf "%s__%d" $prefix $index) "value" $child) }}
{{- end }}
{{- else if and (kindIs "float64" .value) (eq .value (floor .value)) }}
{{- /* YAML integers arrive as float64; print them whole, never as 4.294967296e+09. */}}
{{ $prefix | replace ":" "__" }}: {{ printf "%d" (int64 .value) | quote }}
{{- else if not (kindIs "invalid" .value) }}
{{ $prefix | replace ":" "__" }}: {{ .value | toString | quote }}
{{- end }}
{{- end }}

{{/* The cloud's model folders as mounted in the pod. */}}
{{- define "edgecloudvlm.modelFolders" -}}
{{- $root := .Values.models.mountPath -}}
{{- range $index, $folder := .Values.models.folders }}
Models__Folders__{{ $index }}: {{ printf "%s/%s" $root $folder | quote }}
{{- end }}
{{- end }}

{{/* The volume that holds the models: an emptyDir the init container fills, or a PersistentVolumeClaim. */}}
{{- define "edgecloudvlm.modelsVolume" -}}
- name: models
{{- if eq .Values.models.source "persistentVolumeClaim" }}
  persistentVolumeClaim:
    claimName: {{ .Values.models.persistence.existingClaim | default (printf "%s-models" (include "edgecloudvlm.fullname" .)) }}
    readOnly: true
{{- else }}
  emptyDir:
    sizeLimit: {{ .Values.models.sizeLimit }}
{{- end }}
{{- end }}

{{/* Init container that copies the model image's folders into the models emptyDir. */}}
{{- define "edgecloudvlm.modelsInitContainer" -}}
{{- if eq .Values.models.source "image" -}}
- name: copy-models
  image: {{ include "edgecloudvlm.image" (dict "image" .Values.models.image "ctx" .) }}
  imagePullPolicy: {{ .Values.models.image.pullPolicy }}
  command:
    - sh
    - -c
    - cp -R /models/. /target/
  securityContext:
    {{- toYaml .Values.models.securityContext | nindent 4 }}
  resources:
    {{- toYaml .Values.models.resources | nindent 4 }}
  volumeMounts:
    - name: models
      mountPath: /target
{{- end }}
{{- end }}

{{/* The edge agent's uplink address: configured, or this release's cloud Service. */}}
{{- define "edgecloudvlm.edge.uplinkAddress" -}}
{{- if .Values.edge.uplink.address }}
{{- .Values.edge.uplink.address }}
{{- else if .Values.cloud.enabled }}
{{- printf "http://%s.%s.svc.%s:%d" (include "edgecloudvlm.cloud.fullname" .) .Release.Namespace .Values.clusterDomain (int .Values.cloud.ports.grpc) }}
{{- else }}
{{- fail "edge.uplink.address is required when cloud.enabled is false" }}
{{- end }}
{{- end }}

{{/* Telemetry and logging settings both services share; adds them to .managed. */}}
{{- define "edgecloudvlm.telemetryConfig" -}}
{{- $t := .ctx.Values.telemetry }}
{{- if $t.otlpEndpoint }}
{{- $_ := set .managed "Telemetry__OtlpEndpoint" $t.otlpEndpoint }}
{{- $_ := set .managed "Telemetry__OtlpProtocol" $t.otlpProtocol }}
{{- end }}
{{- $_ := set .managed "Telemetry__TraceSampleRatio" ($t.traceSampleRatio | toString) }}
{{- if $t.jsonLogs }}
{{- $_ := set .managed "Logging__Console__FormatterName" "json" }}
{{- end }}
{{- end }}
