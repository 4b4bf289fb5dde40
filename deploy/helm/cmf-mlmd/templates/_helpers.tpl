{{- define "cmf-mlmd.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "cmf-mlmd.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cmf-mlmd.labels" -}}
{{ include "cmf-mlmd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* SQLite keeps its file on one volume, so it runs as one StatefulSet replica; the others scale. */}}
{{- define "cmf-mlmd.sqlite" -}}
{{- if eq .Values.database.type "sqlite" }}true{{ else if has .Values.database.type (list "postgresql" "mysql") }}{{ else }}{{ fail "database.type must be sqlite, postgresql or mysql" }}{{ end -}}
{{- end -}}

{{- define "cmf-mlmd.dbPort" -}}
{{- .Values.database.port | default (ternary "5432" "3306" (eq .Values.database.type "postgresql")) -}}
{{- end -}}
