{{/*
The four Flink jobs: values key, resource/job name, jar (operator: local:// URI; submit: file in the launcher image).
*/}}
{{- define "vigil.flinkJobList" -}}
- key: featurePipeline
  name: feature-pipeline
  envPrefix: VIGIL_FEATURE_PIPELINE__
  jar: {{ .Values.flink.jars.featurePipeline }}
  jarFile: vigil-feature-pipeline-job.jar
- key: scoring
  name: scoring
  envPrefix: VIGIL_SCORING__
  jar: {{ .Values.flink.jars.featurePipeline }}
  jarFile: vigil-feature-pipeline-job.jar
- key: driftMonitor
  name: drift-monitor
  envPrefix: VIGIL_DRIFT__
  jar: {{ .Values.flink.jars.driftMonitor }}
  jarFile: vigil-drift-monitor-job.jar
- key: labelRequests
  name: label-requests
  envPrefix: VIGIL_LABEL_REQUESTS__
  jar: {{ .Values.flink.jars.driftMonitor }}
  jarFile: vigil-drift-monitor-job.jar
{{- end -}}

{{/* s3:// location of a job's state. Args: (list . "checkpoints|savepoints|ha" "job-name") */}}
{{- define "vigil.flinkStateDir" -}}
{{- $ctx := index . 0 -}}
{{- printf "s3://%s/%s/%s/%s" $ctx.Values.s3.buckets.checkpoints $ctx.Values.flink.statePrefix (index . 1) (index . 2) -}}
{{- end -}}

{{/* The job's YAML config file (no secrets: those are VIGIL_<JOB>__* variables). Args: (list . job) */}}
{{- define "vigil.flinkJobConfig" -}}
{{- $ctx := index . 0 -}}
{{- $job := index . 1 -}}
{{- $v := index $ctx.Values.flink.jobs $job.key -}}
{{- $t := $ctx.Values.kafka.topics -}}
{{- $common := dict "bootstrapServers" (include "vigil.kafka" $ctx) "checkpointDir" (include "vigil.flinkStateDir" (list $ctx "checkpoints" $job.name)) "parallelism" (int $v.parallelism) -}}
{{- /* blank endpoint: s3:// paths use the cluster's S3 file system settings (flinkConfiguration s3.*) */ -}}
{{- $s3 := dict "endpoint" "" "accessKey" "" "secretKey" "" "pathStyle" $ctx.Values.s3.pathStyle -}}
{{- $managed := dict -}}
{{- if eq $job.key "featurePipeline" -}}
{{- include "vigil.refuseSecretKeys" (list "flink.jobs.featurePipeline" $v.config (list "s3.accessKey" "s3.secretKey")) -}}
{{- $managed = merge (dict "telemetryTopic" $t.telemetry "featuresTopic" $t.features "archiveDir" (ternary (printf "s3://%s/archive" $ctx.Values.s3.buckets.features) "" $v.archive) "s3" $s3) $common -}}
{{- else if eq $job.key "scoring" -}}
{{- include "vigil.refuseSecretKeys" (list "flink.jobs.scoring" $v.config (list "s3.accessKey" "s3.secretKey" "serving.authToken")) -}}
{{- $serving := dict "target" (include "vigil.servingTarget" $ctx) "tls" $ctx.Values.serving.tls.enabled "modelName" $ctx.Values.modelName "alias" $ctx.Values.serving.model.alias -}}
{{- if $ctx.Values.serving.tls.enabled -}}{{- $_ := set $serving "tlsTrustCertFile" "/opt/vigil/tls/ca.crt" -}}{{- end -}}
{{- $managed = merge (dict "featuresTopic" $t.features "predictionsTopic" $t.predictions "labelsTopic" $t.labels "serving" $serving "s3" $s3) $common -}}
{{- else if eq $job.key "driftMonitor" -}}
{{- include "vigil.refuseSecretKeys" (list "flink.jobs.driftMonitor" $v.config (list "registry.accessKey" "registry.secretKey")) -}}
{{- $managed = merge (dict "featuresTopic" $t.features "predictionsTopic" $t.predictions "labelsTopic" $t.labels "driftTopic" $t.drift "registry" (dict "trackingUri" (include "vigil.registryUrl" $ctx) "s3Endpoint" (include "vigil.s3Endpoint" $ctx) "accessKey" "" "secretKey" "")) $common -}}
{{- else -}}
{{- $managed = merge (dict "topics" (dict "telemetry" $t.telemetry "features" $t.features "predictions" $t.predictions "labels" $t.labels "drift" $t.drift "labelRequests" $t.labelRequests)) $common -}}
{{- end -}}
{{- toYaml (mustMergeOverwrite (deepCopy $v.config) $managed) -}}
{{- end -}}

{{/* Secret environment of a job (read by its main() where the job is built). Args: (list . job) */}}
{{- define "vigil.flinkJobEnv" -}}
{{- $ctx := index . 0 -}}
{{- $job := index . 1 -}}
{{- if eq $job.key "driftMonitor" }}
{{ include "vigil.s3Env" (list $ctx "VIGIL_DRIFT__REGISTRY__ACCESS_KEY" "VIGIL_DRIFT__REGISTRY__SECRET_KEY") }}
{{- end }}
{{- if and (eq $job.key "scoring") $ctx.Values.serving.auth.enabled }}
- name: VIGIL_SCORING__SERVING__AUTH_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ ternary $ctx.Values.serving.auth.existingSecret (include "vigil.componentName" (list $ctx "serving-auth")) (ne $ctx.Values.serving.auth.existingSecret "") }}
      key: {{ ternary $ctx.Values.serving.auth.clientTokenKey "clientToken" (ne $ctx.Values.serving.auth.existingSecret "") }}
{{- end }}
{{- end -}}
