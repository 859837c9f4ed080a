{{/* Names ------------------------------------------------------------------------------------------------ */}}
{{- define "vigil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vigil.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* <fullname>-<component>, 63 characters at most. Args: (list . "component") */}}
{{- define "vigil.componentName" -}}
{{- $ctx := index . 0 -}}
{{- printf "%s-%s" (include "vigil.fullname" $ctx | trunc 40 | trimSuffix "-") (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vigil.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels. Args: (list . "component") */}}
{{- define "vigil.labels" -}}
{{- $ctx := index . 0 -}}
helm.sh/chart: {{ include "vigil.chart" $ctx }}
{{ include "vigil.selectorLabels" . }}
app.kubernetes.io/version: {{ $ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $ctx.Release.Service }}
app.kubernetes.io/part-of: vigil
{{- with $ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "vigil.selectorLabels" -}}
{{- $ctx := index . 0 -}}
app.kubernetes.io/name: {{ include "vigil.name" $ctx }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "vigil.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "vigil.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Images ----------------------------------------------------------------------------------------------- */}}
{{- define "vigil.image" -}}
{{- $i := .Values.image -}}
{{- $repo := ternary (printf "%s/%s" $i.registry $i.repository) $i.repository (ne $i.registry "") -}}
{{- if $i.digest -}}
{{- printf "%s@%s" $repo $i.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion $i.tag) -}}
{{- end -}}
{{- end -}}

{{- define "vigil.flinkImage" -}}
{{- $i := .Values.flink.image -}}
{{- $repo := ternary (printf "%s/%s" $i.registry $i.repository) $i.repository (ne $i.registry "") -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion $i.tag) -}}
{{- end -}}

{{/* Required external infrastructure ----------------------------------------------------------------------- */}}
{{- define "vigil.kafka" -}}
{{- required "kafka.bootstrapServers is required: the bootstrap servers of your Kafka cluster, e.g. --set kafka.bootstrapServers=kafka.kafka:9092" .Values.kafka.bootstrapServers -}}
{{- end -}}

{{- define "vigil.s3Endpoint" -}}
{{- required "s3.endpoint is required: the S3/MinIO endpoint URL, e.g. --set s3.endpoint=http://minio.storage:9000" .Values.s3.endpoint -}}
{{- end -}}

{{- define "vigil.registryUrl" -}}
{{- if .Values.registry.enabled -}}
{{- printf "http://%s:%v" (include "vigil.componentName" (list . "registry")) .Values.registry.port -}}
{{- else -}}
{{- required "registry.externalUrl is required when registry.enabled=false: the tracking URL of your MLflow-compatible registry" .Values.registry.externalUrl -}}
{{- end -}}
{{- end -}}

{{- define "vigil.servingTarget" -}}
{{- printf "%s:%v" (include "vigil.componentName" (list . "serving")) .Values.serving.grpcPort -}}
{{- end -}}

{{/* S3 credentials ---------------------------------------------------------------------------------------- */}}
{{- define "vigil.s3SecretName" -}}
{{- if .Values.s3.existingSecret -}}
{{- .Values.s3.existingSecret -}}
{{- else -}}
{{- include "vigil.componentName" (list . "s3") -}}
{{- end -}}
{{- end -}}

{{/* Two env vars with the S3 credentials. Args: (list . "ACCESS_VAR" "SECRET_VAR") */}}
{{- define "vigil.s3Env" -}}
{{- $ctx := index . 0 -}}
{{- $s := $ctx.Values.s3 -}}
{{- $name := include "vigil.s3SecretName" $ctx -}}
- name: {{ index . 1 }}
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ ternary $s.accessKeyKey "accessKey" (ne $s.existingSecret "") }}
- name: {{ index . 2 }}
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ ternary $s.secretKeyKey "secretKey" (ne $s.existingSecret "") }}
{{- end -}}

{{/* Environment common to every Vigil container. */}}
{{- define "vigil.commonEnv" -}}
- name: VIGIL_LOG_FORMAT
  value: {{ .Values.logging.format | quote }}
- name: VIGIL_LOG_LEVEL
  value: {{ .Values.logging.level | quote }}
{{- end -}}

{{/* Pod and container security contexts, component overrides merged over the global ones. Args: (list . comp) */}}
{{- define "vigil.podSecurityContext" -}}
{{- $ctx := index . 0 -}}
{{- toYaml (mustMergeOverwrite (deepCopy $ctx.Values.podSecurityContext) (default (dict) (index . 1).podSecurityContext)) -}}
{{- end -}}

{{- define "vigil.securityContext" -}}
{{- $ctx := index . 0 -}}
{{- toYaml (mustMergeOverwrite (deepCopy $ctx.Values.securityContext) (default (dict) (index . 1).securityContext)) -}}
{{- end -}}

{{/* prometheus.io annotations. Args: (list . port path) */}}
{{- define "vigil.scrapeAnnotations" -}}
{{- $ctx := index . 0 -}}
{{- if $ctx.Values.metrics.podAnnotations -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ index . 1 | quote }}
prometheus.io/path: {{ index . 2 | quote }}
{{- end -}}
{{- end -}}

{{/*
Refuses secret keys in a component's `config` passthrough, so that no secret is rendered into a ConfigMap.
Args: (list "component" config-dict (list "dotted.key" ...))
*/}}
{{- define "vigil.refuseSecretKeys" -}}
{{- $component := index . 0 -}}
{{- $cfg := index . 1 -}}
{{- range $key := index . 2 -}}
{{- $node := $cfg -}}
{{- $found := true -}}
{{- range $part := splitList "." $key -}}
{{- if and $found (kindIs "map" $node) (hasKey $node $part) -}}
{{- $node = index $node $part -}}
{{- else -}}
{{- $found = false -}}
{{- end -}}
{{- end -}}
{{- if $found -}}
{{- fail (printf "%s.config.%s is a secret and would land in a ConfigMap; set it through the chart's secret values instead (see values.yaml)" $component $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A checksum of a rendered template, to roll pods when their config changes. Args: (list . "path") */}}
{{- define "vigil.checksum" -}}
{{- $ctx := index . 0 -}}
{{- include (print $ctx.Template.BasePath "/" (index . 1)) $ctx | sha256sum -}}
{{- end -}}
