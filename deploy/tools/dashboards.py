#!/usr/bin/env python3
"""Writes the Grafana dashboards of deploy/dashboards/*.json (Grafana 10+, schemaVersion 39).

One definition per dashboard below: rows of panels, each a title, a unit and PromQL targets. Every
dashboard gets the same variables: `datasource` (Prometheus), `node` (the agent's node, from the scrape's
relabeling), `namespace` and `workload` (the source side of flows: the client of a connection or a DNS
query, the sender of a packet), and every rate uses `$__rate_interval`. Run it after changing a panel:
    deploy/tools/dashboards.py            (a test fails when the committed JSON differs)
"""
import json
import pathlib
import sys

DS = {"type": "prometheus", "uid": "${datasource}"}
N = 'node=~"$node"'
FLOW = 'node=~"$node", src_namespace=~"$namespace", src_workload=~"$workload"'
RI = "$__rate_interval"
PAIR = "src_namespace, src_workload, dst_namespace, dst_workload"
PAIR_LEGEND = "{{src_namespace}}/{{src_workload}} → {{dst_namespace}}/{{dst_workload}}"


def t(expr, legend="", instant=False):
    return {"expr": expr, "legend": legend, "instant": instant}


def ts(title, unit, targets, description="", w=12, h=8, stack=False):
    return {"type": "timeseries", "title": title, "unit": unit, "targets": targets, "description": description,
            "w": w, "h": h, "stack": stack}


def stat(title, unit, target, description="", w=6, h=4, thresholds=None):
    return {"type": "stat", "title": title, "unit": unit, "targets": [target], "description": description,
            "w": w, "h": h, "thresholds": thresholds}


def row(title, *panels):
    return (title, list(panels))


def variables():
    def query(name, label, q):
        return {"name": name, "label": label, "type": "query", "datasource": DS, "definition": q,
                "query": {"query": q, "refId": f"{name}-query"}, "refresh": 2, "sort": 1,
                "includeAll": True, "allValue": ".*", "multi": True,
                "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "hide": 0, "regex": ""}
    return [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0, "refresh": 1, "regex": "", "includeAll": False, "multi": False},
        query("node", "Node", "label_values(netsight_collector_up, node)"),
        query("namespace", "Namespace (source)", 'label_values(netsight_tcp_segment_size_bytes_count{node=~"$node"}, src_namespace)'),
        query("workload", "Workload (source)", 'label_values(netsight_tcp_segment_size_bytes_count{node=~"$node", src_namespace=~"$namespace"}, src_workload)'),
    ]


def panel_json(p, pid, x, y):
    targets = []
    for i, target in enumerate(p["targets"]):
        targets.append({"datasource": DS, "refId": chr(ord("A") + i), "expr": target["expr"],
                        "legendFormat": target["legend"] or "__auto", "range": not target["instant"],
                        "instant": target["instant"], "editorMode": "code"})
    defaults = {"unit": p["unit"]}
    if p["type"] == "timeseries":
        defaults["custom"] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10 if not p["stack"] else 40,
                              "showPoints": "never", "spanNulls": False,
                              "stacking": {"mode": "normal" if p["stack"] else "none", "group": "A"}}
        options = {"legend": {"displayMode": "table", "placement": "bottom", "showLegend": True, "calcs": ["mean", "max"]},
                   "tooltip": {"mode": "multi", "sort": "desc"}}
    else:
        steps = [{"color": "green", "value": None}]
        for value, color in (p["thresholds"] or []):
            steps.append({"color": color, "value": value})
        defaults["thresholds"] = {"mode": "absolute", "steps": steps}
        defaults["color"] = {"mode": "thresholds"}
        options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                   "colorMode": "background", "graphMode": "area", "textMode": "auto", "justifyMode": "auto",
                   "orientation": "auto"}
    return {"id": pid, "type": p["type"], "title": p["title"], "description": p["description"], "datasource": DS,
            "gridPos": {"h": p["h"], "w": p["w"], "x": x, "y": y},
            "fieldConfig": {"defaults": defaults, "overrides": []}, "options": options, "targets": targets}


def dashboard(uid, title, description, rows):
    panels, pid, y = [], 1, 0
    for row_title, row_panels in rows:
        panels.append({"id": pid, "type": "row", "title": row_title, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        pid += 1
        y += 1
        x, row_h = 0, 0
        for p in row_panels:
            if x + p["w"] > 24:
                x, y = 0, y + row_h
                row_h = 0
            panels.append(panel_json(p, pid, x, y))
            pid += 1
            x += p["w"]
            row_h = max(row_h, p["h"])
        y += row_h
    return {
        "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
                                  "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
        "description": description, "editable": True, "fiscalYearStartMonth": 0, "graphTooltip": 1,
        "links": [{"asDropdown": True, "icon": "external link", "includeVars": True, "keepTime": True, "tags": ["netsight"],
                   "title": "Netsight", "type": "dashboards"}],
        "panels": panels, "refresh": "30s", "schemaVersion": 39, "tags": ["netsight"],
        "templating": {"list": variables()}, "time": {"from": "now-1h", "to": "now"}, "timepicker": {},
        "timezone": "", "title": title, "uid": uid, "version": 1, "weekStart": "",
    }


def retrans_ratio(by=""):
    grp = f"sum by ({by}) " if by else "sum "
    return (f'{grp}(rate(netsight_tcp_retransmissions_total{{{FLOW}, kind!="spurious"}}[{RI}])) / '
            f'{grp}(rate(netsight_tcp_segment_size_bytes_count{{{FLOW}}}[{RI}]))')


def q99(metric, by, sel, q="0.99"):
    return f"histogram_quantile({q}, sum by ({by}{', ' if by else ''}le) (rate({metric}_bucket{{{sel}}}[{RI}])))"


DASHBOARDS = {
    "overview": dashboard("netsight-overview", "Netsight / Overview",
        "Is the network the problem? The TCP, DNS, conntrack and capture health of the selected nodes and workloads at a glance.", [
        row("Verdict",
            stat("TCP retransmitted", "percentunit", t(retrans_ratio()), "Retransmitted segments (plain and fast) over all segments seen.", thresholds=[(0.01, "yellow"), (0.05, "red")]),
            stat("TCP connections failing", "percentunit", t(f'sum(rate(netsight_tcp_connection_attempts_total{{{FLOW}, result!="established"}}[{RI}])) / sum(rate(netsight_tcp_connection_attempts_total{{{FLOW}}}[{RI}]))'),
                 "Handshakes refused, reset or timed out over all handshakes seen.", thresholds=[(0.01, "yellow"), (0.05, "red")]),
            stat("DNS failing (passive)", "percentunit", t(f'sum(rate(netsight_dns_responses_total{{{FLOW}, rcode=~"SERVFAIL|REFUSED"}}[{RI}])) / sum(rate(netsight_dns_responses_total{{{FLOW}}}[{RI}]))'),
                 "SERVFAIL and REFUSED answers over all DNS answers seen on the wire.", thresholds=[(0.01, "yellow"), (0.05, "red")]),
            stat("DNS probe p99", "s", t(q99("netsight_probe_dns_duration_seconds", "", N)), "99th percentile of the DNS probes' answers, every server endpoint.", thresholds=[(0.1, "yellow"), (0.5, "red")]),
            stat("Peers down", "none", t(f'sum(netsight_probe_peers{{{N}, state="down"}})'), "Other agents whose last dial failed.", thresholds=[(1, "red")]),
            stat("Conntrack table used", "percentunit", t(f"max(netsight_conntrack_table_entries{{{N}}} / netsight_conntrack_entries_limit{{{N}}})"), "Fullest node's conntrack table.", thresholds=[(0.75, "yellow"), (0.9, "red")]),
            stat("Capture dropped", "percentunit", t(f"sum(rate(netsight_capture_dropped_packets_total{{{N}}}[{RI}])) / sum(rate(netsight_capture_received_packets_total{{{N}}}[{RI}]))"), "Packets the agents could not analyze: the other figures miss this share.", thresholds=[(0.001, "yellow"), (0.01, "red")]),
            stat("Collectors down", "none", t(f"count(netsight_collector_up{{{N}}} == 0) or vector(0)"), "Enabled collectors that cannot run (see the agent dashboard).", thresholds=[(1, "red")]),
        ),
        row("Where",
            ts("Retransmission ratio by node", "percentunit", [t(retrans_ratio("node"), "{{node}}")]),
            ts("Worst workload pairs by retransmissions", "pps", [t(f'topk(10, sum by ({PAIR}) (rate(netsight_tcp_retransmissions_total{{{FLOW}, kind!="spurious"}}[{RI}])))', PAIR_LEGEND)]),
            ts("Handshake outcomes", "cps", [t(f"sum by (result) (rate(netsight_tcp_connection_attempts_total{{{FLOW}}}[{RI}]))", "{{result}}")], stack=True),
            ts("Handshake time p99 by node (SYN → SYN-ACK)", "s", [t(q99("netsight_tcp_handshake_rtt_seconds", "node", f'{FLOW}, side="server"'), "{{node}}")]),
            ts("Resets by workload pair", "pps", [t(f"topk(10, sum by ({PAIR}) (rate(netsight_tcp_resets_total{{{FLOW}}}[{RI}])))", PAIR_LEGEND)]),
            ts("DNS probe p99 by endpoint", "s", [t(q99("netsight_probe_dns_duration_seconds", "server, endpoint", N), "{{server}} {{endpoint}}")]),
        ),
    ]),
    "tcp": dashboard("netsight-tcp", "Netsight / TCP health by workload pair",
        "Retransmissions by kind, resets, zero windows, RTTs and handshake outcomes between workloads (src is the sender of a packet, the client of a connection).", [
        row("Loss and retransmissions",
            ts("Retransmissions by kind", "pps", [t(f"sum by (kind) (rate(netsight_tcp_retransmissions_total{{{FLOW}}}[{RI}]))", "{{kind}}")], stack=True),
            ts("Retransmission ratio by workload pair", "percentunit", [t(f'topk(10, {retrans_ratio(PAIR)})', PAIR_LEGEND)]),
            ts("Lost segments, out of order, duplicate ACKs", "pps", [
                t(f"sum(rate(netsight_tcp_lost_segments_total{{{FLOW}}}[{RI}]))", "lost segments"),
                t(f"sum(rate(netsight_tcp_out_of_order_total{{{FLOW}}}[{RI}]))", "out of order"),
                t(f"sum(rate(netsight_tcp_duplicate_acks_total{{{FLOW}}}[{RI}]))", "duplicate ACKs")]),
            ts("Segments by workload pair", "pps", [t(f"topk(10, sum by ({PAIR}) (rate(netsight_tcp_segment_size_bytes_count{{{FLOW}}}[{RI}])))", PAIR_LEGEND)]),
        ),
        row("Resets and windows",
            ts("Resets by workload pair", "pps", [t(f"topk(10, sum by ({PAIR}) (rate(netsight_tcp_resets_total{{{FLOW}}}[{RI}])))", PAIR_LEGEND)]),
            ts("Zero windows by workload pair (src advertised)", "pps", [t(f"topk(10, sum by ({PAIR}) (rate(netsight_tcp_zero_windows_total{{{FLOW}}}[{RI}])))", PAIR_LEGEND)],
               "A receiver whose buffer is full: the application does not read fast enough."),
        ),
        row("Handshakes and RTT",
            ts("Handshake outcomes", "cps", [t(f"sum by (result) (rate(netsight_tcp_connection_attempts_total{{{FLOW}}}[{RI}]))", "{{result}}")], stack=True),
            ts("Failed handshakes by workload pair", "cps", [t(f'topk(10, sum by ({PAIR}, result) (rate(netsight_tcp_connection_attempts_total{{{FLOW}, result!="established"}}[{RI}])))', PAIR_LEGEND + " {{result}}")]),
            ts("Handshake time p50 / p99 (SYN → SYN-ACK, server leg)", "s", [
                t(q99("netsight_tcp_handshake_rtt_seconds", "", f'{FLOW}, side="server"', "0.5"), "p50"),
                t(q99("netsight_tcp_handshake_rtt_seconds", "", f'{FLOW}, side="server"'), "p99")]),
            ts("ACK RTT p99 by workload pair", "s", [t(f"topk(10, {q99('netsight_tcp_ack_rtt_seconds', PAIR, FLOW)})", PAIR_LEGEND)]),
            ts("Connection duration p50 / p99", "s", [
                t(q99("netsight_tcp_connection_duration_seconds", "", FLOW, "0.5"), "p50"),
                t(q99("netsight_tcp_connection_duration_seconds", "", FLOW), "p99")]),
            ts("Packets by protocol", "pps", [t(f"sum by (protocol) (rate(netsight_packets_total{{{N}}}[{RI}]))", "{{protocol}}")], stack=True),
        ),
    ]),
    "dns": dashboard("netsight-dns", "Netsight / DNS",
        "DNS as the wire shows it (passive: every query and answer on port 53, src = the client) and as the probes measure it against each server endpoint (every CoreDNS pod and the Service IP apart).", [
        row("Passive (on the wire)",
            ts("Queries by type", "qps", [t(f"sum by (qtype) (rate(netsight_dns_queries_total{{{FLOW}}}[{RI}]))", "{{qtype}}")], stack=True),
            ts("Answers by rcode", "qps", [t(f"sum by (rcode) (rate(netsight_dns_responses_total{{{FLOW}}}[{RI}]))", "{{rcode}}")], stack=True),
            ts("Answer time p99 by server", "s", [t(q99("netsight_dns_response_seconds", "dst_namespace, dst_workload", FLOW), "{{dst_namespace}}/{{dst_workload}}")]),
            ts("Unanswered queries by server", "qps", [t(f"sum by (dst_namespace, dst_workload) (rate(netsight_dns_unanswered_total{{{FLOW}}}[{RI}]))", "{{dst_namespace}}/{{dst_workload}}")]),
            ts("Clients with failing answers", "qps", [t(f'topk(10, sum by (src_namespace, src_workload, rcode) (rate(netsight_dns_responses_total{{{FLOW}, rcode!="NOERROR"}}[{RI}])))', "{{src_namespace}}/{{src_workload}} {{rcode}}")]),
            ts("Pending queries", "short", [t(f"sum by (node) (netsight_dns_pending_queries{{{N}}})", "{{node}}")]),
        ),
        row("Probes per server endpoint",
            ts("Probe answer time p99 by endpoint", "s", [t(q99("netsight_probe_dns_duration_seconds", "server, endpoint, protocol", N), "{{server}} {{endpoint}} {{protocol}}")]),
            ts("Probe errors by endpoint and reason", "qps", [t(f"sum by (server, endpoint, reason) (rate(netsight_probe_dns_errors_total{{{N}}}[{RI}]))", "{{server}} {{endpoint}} {{reason}}")]),
            ts("Seconds since the last good answer", "s", [t(f'time() - max by (target) (netsight_probe_last_success_timestamp_seconds{{{N}, probe="dns"}})', "{{target}}")]),
            ts("Probe queries", "qps", [t(f'sum by (node) (rate(netsight_probe_probes_total{{{N}, probe="dns"}}[{RI}]))', "{{node}}")]),
        ),
    ]),
    "services": dashboard("netsight-services", "Netsight / Services (conntrack)",
        "Service transactions as conntrack records them after DNAT: connections, bytes and durations per Service and endpoint, and the health of the conntrack table.", [
        row("Service transactions",
            ts("Connections by Service", "cps", [t(f"sum by (service) (rate(netsight_conntrack_service_connections_total{{{N}}}[{RI}]))", "{{service}}")], stack=True),
            ts("Connections by endpoint", "cps", [t(f"topk(20, sum by (service, endpoint) (rate(netsight_conntrack_service_connections_total{{{N}}}[{RI}])))", "{{service}} → {{endpoint}}")]),
            ts("Bytes by Service and direction", "Bps", [t(f"sum by (service, direction) (rate(netsight_conntrack_service_bytes_total{{{N}}}[{RI}]))", "{{service}} {{direction}}")]),
            ts("Connection duration p50 / p99 by Service", "s", [
                t(q99("netsight_conntrack_service_connection_duration_seconds", "service", N, "0.5"), "{{service}} p50"),
                t(q99("netsight_conntrack_service_connection_duration_seconds", "service", N), "{{service}} p99")]),
        ),
        row("Conntrack table",
            ts("Table used by node", "percentunit", [t(f"netsight_conntrack_table_entries{{{N}}} / netsight_conntrack_entries_limit{{{N}}}", "{{node}}")]),
            ts("Entries by protocol and state", "short", [t(f"sum by (protocol, state) (netsight_conntrack_entries{{{N}}})", "{{protocol}} {{state}}")]),
            ts("Kernel statistics", "ops", [
                t(f"sum by (node) (rate(netsight_conntrack_stats_insert_failed_total{{{N}}}[{RI}]))", "{{node}} insert_failed"),
                t(f"sum by (node) (rate(netsight_conntrack_stats_drop_total{{{N}}}[{RI}]))", "{{node}} drop"),
                t(f"sum by (node) (rate(netsight_conntrack_stats_early_drop_total{{{N}}}[{RI}]))", "{{node}} early_drop"),
                t(f"sum by (node) (rate(netsight_conntrack_stats_invalid_total{{{N}}}[{RI}]))", "{{node}} invalid")]),
            ts("Events and resyncs", "ops", [
                t(f"sum by (type) (rate(netsight_conntrack_events_total{{{N}}}[{RI}]))", "{{type}} events"),
                t(f"sum(rate(netsight_conntrack_events_lost_total{{{N}}}[{RI}]))", "lost (overruns)"),
                t(f"sum by (reason) (rate(netsight_conntrack_resyncs_total{{{N}}}[{RI}]))", "resync {{reason}}")]),
            ts("Accounting sysctls on", "short", [t(f"min by (sysctl) (netsight_conntrack_sysctl_enabled{{{N}}})", "{{sysctl}}")],
               "nf_conntrack_acct and nf_conntrack_timestamp: without them bytes and durations are missing."),
        ),
    ]),
    "probes": dashboard("netsight-probes", "Netsight / Probe mesh",
        "TCP dials between the agents (each dials the next --probe.fanout peers every round): connect latency and errors from every node to every other.", [
        row("Between nodes",
            ts("Connect time p99 by node pair", "s", [t(q99("netsight_probe_tcp_connect_duration_seconds", "node, dst_node", N), "{{node}} → {{dst_node}}")]),
            ts("Connect errors by node pair and reason", "ops", [t(f"sum by (node, dst_node, reason) (rate(netsight_probe_tcp_connect_errors_total{{{N}}}[{RI}]))", "{{node}} → {{dst_node}} {{reason}}")]),
            ts("Seconds since the last good dial", "s", [t(f'time() - max by (node, target) (netsight_probe_last_success_timestamp_seconds{{{N}, probe="tcp"}})', "{{node}} → {{target}}")]),
            ts("Peers by state", "short", [t(f"sum by (state) (netsight_probe_peers{{{N}}})", "{{state}}")], stack=True),
        ),
        row("Rounds",
            ts("Probes per second", "ops", [t(f"sum by (probe) (rate(netsight_probe_probes_total{{{N}}}[{RI}]))", "{{probe}}")]),
            ts("Probes waiting and turns skipped", "short", [
                t(f"sum by (node, probe) (netsight_probe_in_flight{{{N}}})", "{{node}} {{probe}} waiting"),
                t(f"sum by (node, probe) (rate(netsight_probe_skipped_total{{{N}}}[{RI}]))", "{{node}} {{probe}} skipped/s")],
               "Each target keeps its own cadence: a probe still waiting (a server that drops, a peer behind a firewall) skips only its own target's turns."),
        ),
    ]),
    "sockets": dashboard("netsight-sockets", "Netsight / Sockets",
        "Per-connection counters from the kernel's socket diagnostics in every network namespace (sockets collector): bytes, retransmits and RTT between workloads (src = the client).", [
        row("Connections between workloads",
            ts("Bytes sent by workload pair", "Bps", [t(f"topk(10, sum by ({PAIR}) (rate(netsight_socket_sent_bytes_total{{{FLOW}}}[{RI}])))", PAIR_LEGEND)]),
            ts("Bytes received by workload pair", "Bps", [t(f"topk(10, sum by ({PAIR}) (rate(netsight_socket_received_bytes_total{{{FLOW}}}[{RI}])))", PAIR_LEGEND)]),
            ts("Retransmitted segments by workload pair", "pps", [t(f"topk(10, sum by ({PAIR}) (rate(netsight_socket_retransmits_total{{{FLOW}}}[{RI}])))", PAIR_LEGEND)]),
            ts("Smoothed RTT p99 by workload pair", "s", [t(f"topk(10, {q99('netsight_socket_rtt_seconds', PAIR, FLOW)})", PAIR_LEGEND)]),
        ),
        row("Collector",
            ts("Sockets by protocol and state", "short", [t(f"sum by (protocol, state) (netsight_sockets{{{N}}})", "{{protocol}} {{state}}")]),
            ts("Namespaces and connections held", "short", [
                t(f"sum by (node) (netsight_socket_namespaces{{{N}}})", "{{node}} namespaces"),
                t(f"sum by (status) (netsight_socket_connections{{{N}}})", "connections {{status}}")]),
            ts("Closes by source", "ops", [t(f"sum by (source) (rate(netsight_socket_closes_total{{{N}}}[{RI}]))", "{{source}}")]),
            ts("Scan errors by reason", "ops", [t(f"sum by (reason) (rate(netsight_socket_scan_errors_total{{{N}}}[{RI}]))", "{{reason}}")]),
            ts("Poll duration", "s", [t(f"max by (node) (netsight_socket_poll_duration_seconds{{{N}}})", "{{node}}")]),
        ),
    ]),
    "agent": dashboard("netsight-agent", "Netsight / Agent health",
        "The agents themselves: collectors up, capture drops, the series budget, the Kubernetes watches, what a scrape costs, and their memory and CPU.", [
        row("Collectors",
            stat("Agents scraped", "none", t('count(up{job="netsight"} == 1)'), "Agents Prometheus scraped successfully.", w=6),
            stat("Collectors down", "none", t(f"count(netsight_collector_up{{{N}}} == 0) or vector(0)"), thresholds=[(1, "red")], w=6),
            stat("Kubernetes view down", "none", t(f"count(netsight_kubernetes_up{{{N}}} == 0) or vector(0)"), "Agents whose reflectors are not all listed and healthy.", thresholds=[(1, "red")], w=6),
            stat("Series overflowing", "none", t(f"count(sum by (node, family) (rate(netsight_series_overflow_total{{{N}}}[{RI}])) > 0) or vector(0)"), thresholds=[(1, "yellow")], w=6),
            ts("Collector up by node", "short", [t(f"netsight_collector_up{{{N}}}", "{{node}} {{collector}}")]),
            ts("Time to write each collector's families", "s", [t(f"max by (collector) (netsight_collector_scrape_duration_seconds{{{N}}})", "{{collector}}")]),
        ),
        row("Capture",
            ts("Packets received by device", "pps", [t(f"sum by (node, device) (rate(netsight_capture_received_packets_total{{{N}}}[{RI}]))", "{{node}} {{device}}")]),
            ts("Packets dropped by device and reason", "pps", [t(f"sum by (node, device, reason) (rate(netsight_capture_dropped_packets_total{{{N}}}[{RI}]))", "{{node}} {{device}} {{reason}}")]),
            ts("Malformed packets by reason", "pps", [t(f"sum by (reason) (rate(netsight_packets_malformed_total{{{N}}}[{RI}]))", "{{reason}}")]),
            ts("Flows tracked and evicted", "short", [
                t(f"sum by (node) (netsight_flows{{{N}}})", "{{node}} flows"),
                t(f"sum by (reason) (rate(netsight_flow_evictions_total{{{N}}}[{RI}]))", "evicted {{reason}}/s")]),
        ),
        row("Series budget",
            ts("Series by family", "short", [t(f"topk(15, sum by (family) (netsight_series{{{N}}}))", "{{family}}")]),
            ts("Label sets folded into other", "ops", [t(f"sum by (family) (rate(netsight_series_overflow_total{{{N}}}[{RI}]))", "{{family}}")]),
            ts("Series expired", "ops", [t(f"sum by (family) (rate(netsight_series_expired_total{{{N}}}[{RI}]))", "{{family}}")]),
        ),
        row("Kubernetes and scrapes",
            ts("Objects in the identity cache", "short", [t(f"max by (resource) (netsight_kubernetes_objects{{{N}}})", "{{resource}}")]),
            ts("Watch restarts", "ops", [t(f"sum by (resource) (rate(netsight_kubernetes_watch_restarts_total{{{N}}}[{RI}]))", "{{resource}}")]),
            ts("Scrape duration", "s", [t(f'scrape_duration_seconds{{job="netsight", {N}}}', "{{node}}")]),
            ts("Samples per scrape", "short", [t(f'scrape_samples_scraped{{job="netsight", {N}}}', "{{node}}")]),
        ),
        row("Process",
            ts("Resident memory by node", "bytes", [t(f'process_resident_memory_bytes{{job="netsight", {N}}}', "{{node}}")],
               "The agent's RSS (process_resident_memory_bytes): about 60 MB idle, plus its flow and series tables (bounded by --max-flows and --max-series) and a capture ring per interface."),
            ts("CPU by node", "percentunit", [t(f'rate(process_cpu_seconds_total{{job="netsight", {N}}}[{RI}])', "{{node}}")],
               "Cores the agent uses (user + system)."),
        ),
    ]),
}


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[1] / "dashboards"
    out.mkdir(parents=True, exist_ok=True)
    for name, board in DASHBOARDS.items():
        (out / f"{name}.json").write_text(json.dumps(board, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(DASHBOARDS)} dashboards to {out}")


if __name__ == "__main__":
    main()
