{{/*
Names, labels, the image, the capabilities the enabled collectors need and the agent's arguments.
Conventions of prometheus-node-exporter's chart (name/fullname/labels/namespace helpers).
*/}}

{{- define "netsight.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "netsight.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "netsight.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride }}
{{- end }}

{{- define "netsight.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "netsight.selectorLabels" -}}
app.kubernetes.io/name: {{ include "netsight.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "netsight.labels" -}}
helm.sh/chart: {{ include "netsight.chart" . }}
{{ include "netsight.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: agent
app.kubernetes.io/part-of: netsight
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "netsight.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "netsight.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "netsight.image" -}}
{{- $repo := .Values.image.repository }}
{{- with .Values.image.registry }}{{ $repo = printf "%s/%s" . $repo }}{{ end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The capabilities of the enabled collectors, as a JSON list (README "Capabilities per collector"):
packets NET_RAW (an AF_PACKET socket; no promiscuous mode), conntrack NET_ADMIN (ctnetlink dumps and
event groups, SO_RCVBUFFORCE), sockets SYS_ADMIN (setns into each pod's network namespace), SYS_PTRACE
and DAC_READ_SEARCH (other processes' /proc/PID/fd and /proc/PID/ns/net), probes none. Measured with the
real agent under setpriv (tests/Netsight.Deploy.Tests/Chart/CapabilityLabTests.cs).
*/}}
{{- define "netsight.capabilities" -}}
{{- $c := .Values.collectors }}
{{- $caps := list }}
{{- if $c.packets.enabled }}{{ $caps = append $caps "NET_RAW" }}{{ end }}
{{- if $c.conntrack.enabled }}{{ $caps = append $caps "NET_ADMIN" }}{{ end }}
{{- if $c.sockets.enabled }}{{ $caps = concat $caps (list "SYS_ADMIN" "SYS_PTRACE" "DAC_READ_SEARCH") }}{{ end }}
{{- $caps = concat $caps .Values.extraCapabilities | uniq | sortAlpha }}
{{- toJson $caps }}
{{- end }}

{{/* A flag with a value, only when the value is set (the agent's default applies otherwise). */}}
{{- define "netsight.flag" -}}
{{- $v := index . 1 }}
{{- if not (or (kindIs "invalid" $v) (and (kindIs "string" $v) (eq $v ""))) }}
- {{ printf "%s=%v" (index . 0) (ternary (int64 $v) $v (kindIs "float64" $v)) | quote }}
{{- end }}
{{- end }}

{{/* A repeatable flag, once per item. */}}
{{- define "netsight.flags" -}}
{{- $name := index . 0 }}
{{- range (index . 1) }}
- {{ printf "%s=%v" $name . | quote }}
{{- end }}
{{- end }}

{{/* The HTTP server's flags of the agent or the hub (.web: its values, .dir: where its Secret is mounted). */}}
{{- define "netsight.webArgs" -}}
{{- if .web.configSecret }}
- {{ printf "--web.config.file=%s/web-config.yml" .dir | quote }}
{{- end }}
{{- include "netsight.flag" (list "--web.max-connections" .web.maxConnections) }}
{{- include "netsight.flag" (list "--web.max-header-bytes" .web.maxHeaderBytes) }}
{{- include "netsight.flag" (list "--web.max-body-bytes" .web.maxBodyBytes) }}
{{- include "netsight.flag" (list "--web.header-timeout" .web.headerTimeout) }}
{{- include "netsight.flag" (list "--web.idle-timeout" .web.idleTimeout) }}
{{- end }}

{{/* A liveness or readiness probe's action: httpGet on .path, unless a web config is mounted without
.web.probeScheme (it may ask for basic auth or a client certificate, which the kubelet cannot send): then
a TCP connect to the port. */}}
{{- define "netsight.probeAction" -}}
{{- if and .web.configSecret (not .web.probeScheme) }}
tcpSocket:
  port: {{ .port }}
{{- else }}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
  {{- with .web.probeScheme }}
  scheme: {{ . }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "netsight.args" -}}
{{- $c := .Values.collectors }}
{{- $a := .Values.agent }}
- agent
- {{ printf "--listen=%s:%d" .Values.listenAddress (int64 .Values.port) | quote }}
{{- range $name, $collector := $c }}
- {{ printf "--%scollector.%s" (ternary "" "no-" $collector.enabled) $name | quote }}
{{- end }}
{{- include "netsight.flag" (list "--max-flows" $a.maxFlows) }}
{{- include "netsight.flag" (list "--max-series" $a.maxSeries) }}
{{- include "netsight.flag" (list "--series-ttl" $a.seriesTtl) }}
{{- include "netsight.flag" (list "--labels" $a.labels) }}
{{- include "netsight.flag" (list "--decap" $a.decap) }}
{{- include "netsight.webArgs" (dict "web" .Values.web "dir" "/etc/netsight-web") }}
{{- if $a.identity }}
- "--identity-file=/etc/netsight/identity.yaml"
{{- end }}
{{- if $c.packets.enabled }}
{{- include "netsight.flags" (list "--interface" $c.packets.interfaces) }}
{{- include "netsight.flag" (list "--filter" $c.packets.filter) }}
{{- include "netsight.flag" (list "--snaplen" $c.packets.snaplen) }}
{{- include "netsight.flag" (list "--buffer-size" $c.packets.bufferSize) }}
{{- include "netsight.flag" (list "--capture.threads" $c.packets.captureThreads) }}
{{- end }}
{{- if $c.conntrack.enabled }}
{{- include "netsight.flag" (list "--conntrack.resync-interval" $c.conntrack.resyncInterval) }}
{{- include "netsight.flag" (list "--conntrack.enable-accounting" $c.conntrack.enableAccounting) }}
{{- include "netsight.flags" (list "--conntrack.service-cidr" $c.conntrack.serviceCidrs) }}
{{- include "netsight.flag" (list "--conntrack.rcvbuf" $c.conntrack.rcvbuf) }}
{{- include "netsight.flag" (list "--conntrack.max-entries" $c.conntrack.maxEntries) }}
{{- end }}
{{- if $c.sockets.enabled }}
{{- include "netsight.flag" (list "--sockets.interval" $c.sockets.interval) }}
{{- include "netsight.flag" (list "--sockets.max-connections" $c.sockets.maxConnections) }}
{{- if $c.sockets.unixSocket.enabled }}
- {{ printf "--sockets.unix-socket=/run/netsight/%s" $c.sockets.unixSocket.fileName | quote }}
{{- end }}
{{- end }}
{{- if $c.probes.enabled }}
{{- include "netsight.flag" (list "--probe.interval" $c.probes.interval) }}
{{- include "netsight.flag" (list "--probe.timeout" $c.probes.timeout) }}
{{- include "netsight.flag" (list "--probe.dns-timeout" $c.probes.dnsTimeout) }}
{{- include "netsight.flag" (list "--probe.dns" $c.probes.dns) }}
{{- include "netsight.flag" (list "--probe.fanout" $c.probes.fanout) }}
{{- include "netsight.flags" (list "--probe.peer" $c.probes.peers) }}
{{- include "netsight.flags" (list "--probe.dns-name" $c.probes.dnsNames) }}
{{- include "netsight.flags" (list "--probe.dns-server" $c.probes.dnsServers) }}
{{- include "netsight.flag" (list "--probe.dns-service" $c.probes.dnsService) }}
- {{ printf "--probe.service=%s" (default (printf "%s/%s" (include "netsight.namespace" .) (include "netsight.fullname" .)) $c.probes.service) | quote }}
{{- end }}
{{- if $c.metadata.enabled }}
{{- include "netsight.flag" (list "--metadata.interval" $c.metadata.interval) }}
{{- end }}
{{- with include "netsight.hubUrl" . }}
- {{ printf "--hub=%s" . | quote }}
{{- include "netsight.flag" (list "--hub.interval" $.Values.hub.interval) }}
{{- include "netsight.flag" (list "--hub.backlog" $.Values.hub.backlog) }}
{{- if $.Values.hub.tokenSecret.name }}
- "--hub.token-file=/etc/netsight-hub/token"
{{- end }}
{{- if $.Values.hub.tls.caSecret.name }}
- "--hub.ca-file=/etc/netsight-hub-ca/ca.crt"
{{- end }}
{{- if $.Values.hub.tls.clientCertSecret }}
- "--hub.cert-file=/etc/netsight-hub-client/tls.crt"
- "--hub.key-file=/etc/netsight-hub-client/tls.key"
{{- end }}
{{- end }}
{{- range $a.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/* The endpoint settings a ServiceMonitor and a PodMonitor share; the node label comes from the pod. */}}
{{- define "netsight.monitorEndpoint" -}}
port: {{ .root.Values.service.portName }}
path: /metrics
scheme: {{ default "http" .monitor.scheme }}
{{- with .monitor.tlsConfig }}
tlsConfig:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .monitor.basicAuth }}
basicAuth:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .monitor.interval }}
interval: {{ . }}
{{- end }}
{{- with .monitor.scrapeTimeout }}
scrapeTimeout: {{ . }}
{{- end }}
relabelings:
  - action: replace
    sourceLabels: [__meta_kubernetes_pod_node_name]
    targetLabel: node
  {{- with .monitor.relabelings }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .monitor.metricRelabelings }}
metricRelabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The hub (templates/hub-*.yaml). Its pods are named app.kubernetes.io/name=NAME-hub so that neither the
agents' DaemonSet and headless Service (selector NAME + instance) nor the probes' peer list take them in,
without touching the agents' immutable selector.
*/}}
{{- define "netsight.hub.fullname" -}}
{{- printf "%s-hub" (include "netsight.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "netsight.hub.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-hub" (include "netsight.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "netsight.hub.labels" -}}
helm.sh/chart: {{ include "netsight.chart" . }}
{{ include "netsight.hub.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: hub
app.kubernetes.io/part-of: netsight
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "netsight.hub.serviceAccountName" -}}
{{- if .Values.hub.serviceAccount.create }}
{{- default (include "netsight.hub.fullname" .) .Values.hub.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.hub.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Where the agents push: hub.url, else this release's hub Service when hub.enabled (over https when
hub.web.scheme says its web config serves TLS), else nothing. */}}
{{- define "netsight.hubUrl" -}}
{{- if .Values.hub.url }}
{{- .Values.hub.url }}
{{- else if .Values.hub.enabled }}
{{- $scheme := default "http" .Values.hub.web.scheme }}
{{- if and (eq $scheme "https") (not .Values.hub.web.configSecret) }}
{{- fail "hub.web.scheme https: the hub serves TLS only through hub.web.configSecret (a web config with tls_server_config)" }}
{{- end }}
{{- printf "%s://%s.%s.svc:%d" $scheme (include "netsight.hub.fullname" .) (include "netsight.namespace" .) (int64 .Values.hub.port) }}
{{- end }}
{{- end }}

{{/* The hub's --store: the SQLite file on its volume, or the Secret's URI through $(HUB_STORE), which
Kubernetes expands from the container's environment (the URI never appears in the pod spec). */}}
{{- define "netsight.hub.store" -}}
{{- if eq .Values.hub.store.type "postgres" }}
{{- if not .Values.hub.store.postgres.existingSecret }}
{{- fail "hub.store.postgres.existingSecret: the Secret holding the postgres:// URI is required with hub.store.type postgres" }}
{{- end }}
{{- "$(HUB_STORE)" }}
{{- else }}
{{- "sqlite:/var/lib/netsight-hub/hub.db" }}
{{- end }}
{{- end }}

{{- define "netsight.hub.args" -}}
{{- $h := .Values.hub }}
- hub
- {{ printf "--listen=:%d" (int64 $h.port) | quote }}
- {{ printf "--store=%s" (include "netsight.hub.store" .) | quote }}
{{- include "netsight.flag" (list "--retention" $h.retention) }}
{{- include "netsight.flag" (list "--max-batch-bytes" $h.maxBatchBytes) }}
{{- include "netsight.flag" (list "--max-concurrent-batches" $h.maxConcurrentBatches) }}
{{- include "netsight.webArgs" (dict "web" $h.web "dir" "/etc/netsight-hub-web") }}
{{- if $h.tokenSecret.name }}
- "--token-file=/etc/netsight-hub/token"
{{- end }}
{{- range $h.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}
