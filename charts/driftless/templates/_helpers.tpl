{{/*
The chart name, at most 52 characters (a StatefulSet's name plus its
controller-revision-hash label must fit 63).
*/}}
{{- define "driftless.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 52 | trimSuffix "-" }}
{{- end }}

{{/*
The full name: the StatefulSet, its pods (<fullname>-<ordinal>, the ordinal being the
shard index driftless reads from the host name), Services and the rest.
*/}}
{{- define "driftless.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "driftless.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "driftless.selectorLabels" -}}
app.kubernetes.io/name: {{ include "driftless.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "driftless.labels" -}}
helm.sh/chart: {{ include "driftless.chart" . }}
{{ include "driftless.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: driftless
{{- end }}

{{- define "driftless.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "driftless.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "driftless.headlessServiceName" -}}
{{- printf "%s-headless" (include "driftless.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "driftless.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
How the source is reached: "https" (a token), "ssh" (a key and known_hosts) or
"none" (file:// or another URL that takes no credentials).
*/}}
{{- define "driftless.gitTransport" -}}
{{- $url := .Values.source.url | lower }}
{{- if or (hasPrefix "https://" $url) (hasPrefix "http://" $url) }}
{{- "https" }}
{{- else if hasPrefix "ssh://" $url }}
{{- "ssh" }}
{{- else if regexMatch "^[^/:@]+@[^/:]+:" $url }}
{{- "ssh" }}
{{- else }}
{{- "none" }}
{{- end }}
{{- end }}

{{/* Where the Secrets are mounted. */}}
{{- define "driftless.gitDir" -}}/etc/driftless/git{{- end }}
{{- define "driftless.webhookDir" -}}/etc/driftless/webhook{{- end }}
{{- define "driftless.adminDir" -}}/etc/driftless/admin{{- end }}
{{- define "driftless.uiDir" -}}/etc/driftless/ui{{- end }}
{{- define "driftless.stateDir" -}}/var/lib/driftless{{- end }}

{{/*
The keys of the git Secret this source uses, as a list (empty: no Secret mounted).
*/}}
{{- define "driftless.gitFileKeys" -}}
{{- $keys := list }}
{{- if .Values.git.credentialsSecretName }}
{{- $transport := include "driftless.gitTransport" . }}
{{- if and (eq $transport "https") .Values.git.tokenKey }}
{{- $keys = append $keys .Values.git.tokenKey }}
{{- end }}
{{- if eq $transport "ssh" }}
{{- if .Values.git.sshKeyKey }}{{ $keys = append $keys .Values.git.sshKeyKey }}{{ end }}
{{- if .Values.git.knownHostsKey }}{{ $keys = append $keys .Values.git.knownHostsKey }}{{ end }}
{{- end }}
{{- end }}
{{- toJson $keys }}
{{- end }}

{{/*
The container's environment: AWS_REGION and the git credential variables, which
point at the files of the mounted Secret (the passphrase alone is a secretKeyRef).
No value of a Secret is ever written here.
*/}}
{{- define "driftless.env" -}}
{{- $transport := include "driftless.gitTransport" . }}
{{- $gitDir := include "driftless.gitDir" . }}
{{- with .Values.aws.region }}
- name: AWS_REGION
  value: {{ . | quote }}
{{- end }}
{{- with .Values.state }}
- name: DRIFTLESS_STATE
  value: {{ . | quote }}
{{- end }}
{{- if .Values.git.credentialsSecretName }}
{{- if eq $transport "https" }}
{{- with .Values.git.tokenKey }}
- name: DRIFTLESS_GIT_TOKEN_FILE
  value: {{ printf "%s/%s" $gitDir . | quote }}
{{- end }}
{{- end }}
{{- if eq $transport "ssh" }}
{{- with .Values.git.sshKeyKey }}
- name: DRIFTLESS_GIT_SSH_KEY
  value: {{ printf "%s/%s" $gitDir . | quote }}
{{- end }}
{{- with .Values.git.knownHostsKey }}
- name: DRIFTLESS_GIT_KNOWN_HOSTS
  value: {{ printf "%s/%s" $gitDir . | quote }}
{{- end }}
{{- with .Values.git.sshKeyPassphraseKey }}
- name: DRIFTLESS_GIT_SSH_KEY_PASSPHRASE
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.git.credentialsSecretName | quote }}
      key: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.git.username }}
- name: DRIFTLESS_GIT_USERNAME
  value: {{ . | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{- toYaml . | nindent 0 }}
{{- end }}
{{- end }}
