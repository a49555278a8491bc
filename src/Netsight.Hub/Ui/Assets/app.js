// The service map: reads /api/v1/graph (Grafana Node Graph frames) and draws workloads as SVG circles and
// client->server edges as lines whose width follows bytes and whose colour follows the retransmission and
// reset rate; a click shows the numbers and the top connections (/api/v1/connections). No library, no
// build step: a small deterministic force layout places the nodes.
"use strict";
(function () {
  const svgNs = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const state = { graph: null, selected: null, scale: 1, tx: 0, ty: 0 };

  function bytes(n) {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
  }
  function percent(r) { return (r * 100).toFixed(r < 0.01 ? 2 : 1) + " %"; }
  function health(rate) { return rate >= 0.01 ? "bad" : rate >= 0.001 ? "warn" : "ok"; }
  function el(name, attrs, parent) {
    const e = document.createElementNS(svgNs, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function hash(s) { let h = 2166136261; for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); } return h >>> 0; }

  // Force layout (Fruchterman-Reingold with gravity to the centre): repulsion k^2/d between every pair,
  // attraction d^2/k along edges, moves capped by a cooling temperature; fixed seed (positions from the
  // ids' hashes) and fixed iterations, so the same graph always looks the same.
  function layout(nodes, edges, width, height) {
    const byId = new Map(), margin = 70, cx = width / 2, cy = height / 2;
    nodes.forEach((n) => {
      const h = hash(n.id);
      n.x = cx + ((h & 0xffff) / 0xffff - 0.5) * width * 0.5;
      n.y = cy + ((h >>> 16) / 0xffff - 0.5) * height * 0.5;
      byId.set(n.id, n);
    });
    const k = 0.75 * Math.sqrt(((width - 2 * margin) * (height - 2 * margin)) / Math.max(1, nodes.length));
    const iterations = nodes.length > 400 ? 40 : nodes.length > 150 ? 120 : 300;
    for (let it = 0; it < iterations; it++) {
      const t = (Math.min(width, height) / 10) * (1 - it / iterations) + 1;
      nodes.forEach((n) => {
        const gx = cx - n.x, gy = cy - n.y, gd = Math.sqrt(gx * gx + gy * gy) || 1, g = (gd * gd) / k * 0.08;
        n.dx = gx / gd * g; n.dy = gy / gd * g;
      });
      for (let i = 0; i < nodes.length; i++)
        for (let j = i + 1; j < nodes.length; j++) {
          const a = nodes[i], b = nodes[j];
          const dx = a.x - b.x, dy = a.y - b.y, d = Math.max(Math.sqrt(dx * dx + dy * dy), 0.5), f = (k * k) / d / d;
          a.dx += dx * f; a.dy += dy * f; b.dx -= dx * f; b.dy -= dy * f;
        }
      edges.forEach((e) => {
        const a = byId.get(e.source), b = byId.get(e.target);
        if (!a || !b || a === b) return;
        const dx = b.x - a.x, dy = b.y - a.y, d = Math.max(Math.sqrt(dx * dx + dy * dy), 0.5), f = d / k;
        a.dx += dx * f; a.dy += dy * f; b.dx -= dx * f; b.dy -= dy * f;
      });
      nodes.forEach((n) => {
        const d = Math.sqrt(n.dx * n.dx + n.dy * n.dy) || 1, step = Math.min(d, t);
        n.x = Math.min(width - margin, Math.max(margin, n.x + n.dx / d * step));
        n.y = Math.min(height - margin, Math.max(margin, n.y + n.dy / d * step));
      });
    }
    return byId;
  }

  function draw(graph) {
    const svg = $("map"), edgesG = $("edges"), nodesG = $("nodes");
    edgesG.replaceChildren(); nodesG.replaceChildren();
    const width = svg.clientWidth || 900, height = svg.clientHeight || 600;
    const byId = layout(graph.nodes, graph.edges, width, height);
    const maxBytes = Math.max(1, ...graph.edges.map((e) => e.mainStat));
    const maxNode = Math.max(1, ...graph.nodes.map((n) => n.mainStat));
    const radius = (n) => 10 + 18 * Math.sqrt(n.mainStat / maxNode);
    graph.edges.forEach((e) => {
      const a = byId.get(e.source), b = byId.get(e.target);
      if (!a || !b) return;
      const rate = Math.max(e.detail__retransmit_ratio, e.detail__reset_ratio);
      const g = el("g", { class: "edge " + health(rate), "data-id": e.id, "data-source": e.source, "data-target": e.target, "data-bytes": e.mainStat }, edgesG);
      const dx = b.x - a.x, dy = b.y - a.y, d = Math.max(Math.sqrt(dx * dx + dy * dy), 1);
      const x2 = b.x - dx / d * (radius(b) + 3), y2 = b.y - dy / d * (radius(b) + 3);
      el("line", { x1: a.x, y1: a.y, x2: x2, y2: y2, "stroke-width": (2 + 6 * Math.log1p(e.mainStat) / Math.log1p(maxBytes)).toFixed(2), "marker-end": "url(#arrow)" }, g);
      el("line", { class: "hit", x1: a.x, y1: a.y, x2: x2, y2: y2 }, g);
      el("title", {}, g).textContent = e.source + " → " + e.target + ": " + bytes(e.mainStat) + ", " + percent(rate) + " retransmitted/reset";
      g.addEventListener("click", (ev) => { ev.stopPropagation(); select("edge", e, g); });
    });
    graph.nodes.forEach((n) => {
      const g = el("g", { class: "node" + (n.subTitle === "address" ? " external" : ""), "data-id": n.id, transform: "translate(" + n.x.toFixed(1) + "," + n.y.toFixed(1) + ")" }, nodesG);
      const r = radius(n);
      el("circle", { r: r.toFixed(1) }, g);
      if (n.arc__errors > 0) {
        const c = 2 * Math.PI * (r - 2);
        el("circle", { class: "arc-errors", r: (r - 2).toFixed(1), "stroke-width": 3, "stroke-dasharray": (c * n.arc__errors).toFixed(2) + " " + c.toFixed(2), transform: "rotate(-90)" }, g);
      }
      el("text", { y: r + 13 }, g).textContent = n.title;
      el("text", { class: "sub", y: r + 25 }, g).textContent = n.subTitle;
      el("title", {}, g).textContent = n.id + ": " + bytes(n.mainStat) + ", " + n.secondaryStat + " connections";
      g.addEventListener("click", (ev) => { ev.stopPropagation(); select("node", n, g); });
    });
    applyTransform();
  }

  function row(table, name, value) {
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.textContent = name;
    const td = document.createElement("td"); td.className = "n"; td.textContent = value;
    tr.append(th, td); table.appendChild(tr);
  }

  async function select(kind, item, g) {
    document.querySelectorAll(".selected").forEach((x) => x.classList.remove("selected"));
    g.classList.add("selected");
    const aside = $("details");
    aside.replaceChildren();
    const h = document.createElement("h2");
    h.textContent = kind === "node" ? item.id : item.source + " → " + item.target;
    const numbers = document.createElement("table");
    numbers.id = "numbers";
    if (kind === "node") {
      row(numbers, "bytes in", bytes(item.detail__bytes_in));
      row(numbers, "bytes out", bytes(item.detail__bytes_out));
      row(numbers, "connections", item.detail__connections);
      row(numbers, "retransmits", item.detail__retransmits);
      row(numbers, "resets", item.detail__resets);
      row(numbers, "retransmitted or reset", percent(item.arc__errors));
    } else {
      row(numbers, "bytes to server", bytes(item.detail__bytes_to_server));
      row(numbers, "bytes to client", bytes(item.detail__bytes_to_client));
      row(numbers, "connections", item.detail__connections);
      row(numbers, "retransmits", item.detail__retransmits + " (" + percent(item.detail__retransmit_ratio) + " of segments)");
      row(numbers, "resets", item.detail__resets + " (" + percent(item.detail__reset_ratio) + " of connections)");
      if (item.detail__rtt_avg_ms !== null) row(numbers, "RTT avg / min / max", item.detail__rtt_avg_ms + " / " + item.detail__rtt_min_ms + " / " + item.detail__rtt_max_ms + " ms");
      row(numbers, "ports", item.detail__ports);
    }
    const top = document.createElement("h2");
    top.textContent = "Top connections";
    const list = document.createElement("table");
    list.id = "top-connections";
    aside.append(h, numbers, top, list);
    const q = new URLSearchParams({ since: $("range").value, limit: "20" });
    if (kind === "node") q.set("workload", item.id); else { q.set("client", item.source); q.set("server", item.target); }
    try {
      const r = await fetch("/api/v1/connections?" + q);
      const data = await r.json();
      const head = document.createElement("tr");
      ["client", "server", "node", "seen by", "to server", "to client", "retrans"].forEach((t) => { const th = document.createElement("th"); th.textContent = t; head.appendChild(th); });
      list.appendChild(head);
      data.connections.forEach((c) => {
        const tr = document.createElement("tr");
        tr.className = "connection";
        const client = c.direction === 2 ? c.source + ":" + c.sport : c.dest + ":" + c.dport;
        const server = c.direction === 2 ? c.dest + ":" + c.dport : c.source + ":" + c.sport;
        // Each record is one socket's view: the client's (direction 2) sent to the server, the server's received from it.
        const toServer = c.direction === 2 ? c.monotonic_sent_bytes : c.monotonic_recv_bytes;
        const toClient = c.direction === 2 ? c.monotonic_recv_bytes : c.monotonic_sent_bytes;
        [client, server, c.node, c.direction === 2 ? "client" : "server", bytes(toServer), bytes(toClient), String(c.monotonic_retransmits)].forEach((v, i) => {
          const td = document.createElement("td"); td.textContent = v; if (i >= 4) td.className = "n"; tr.appendChild(td);
        });
        list.appendChild(tr);
      });
      if (data.connections.length === 0) { const p = document.createElement("p"); p.className = "hint"; p.textContent = "No connection records in this range."; aside.appendChild(p); }
    } catch (err) {
      const p = document.createElement("p"); p.textContent = "Could not load connections: " + err; aside.appendChild(p);
    }
  }

  function applyTransform() {
    $("viewport").setAttribute("transform", "translate(" + state.tx + "," + state.ty + ") scale(" + state.scale + ")");
  }

  async function load() {
    const q = new URLSearchParams({ since: $("range").value });
    const ns = $("namespace").value;
    if (ns) q.set("namespace", ns);
    $("status").textContent = "loading…";
    try {
      const r = await fetch("/api/v1/graph?" + q);
      if (!r.ok) throw new Error(r.status + " " + (await r.text()));
      const graph = await r.json();
      state.graph = graph;
      draw(graph);
      const select = $("namespace"), known = new Set([...select.options].map((o) => o.value));
      graph.nodes.forEach((n) => {
        if (n.subTitle !== "address" && !known.has(n.subTitle)) { known.add(n.subTitle); const o = document.createElement("option"); o.value = o.textContent = n.subTitle; select.appendChild(o); }
      });
      $("status").textContent = graph.nodes.length + " workloads, " + graph.edges.length + " edges, updated " + new Date().toLocaleTimeString();
      document.body.dataset.loaded = "true";
    } catch (err) {
      $("status").textContent = "error: " + err.message;
    }
  }

  // Pan with the mouse, zoom with the wheel.
  const svg = $("map");
  let drag = null;
  svg.addEventListener("mousedown", (e) => { drag = { x: e.clientX - state.tx, y: e.clientY - state.ty }; });
  window.addEventListener("mouseup", () => { drag = null; });
  svg.addEventListener("mousemove", (e) => { if (drag) { state.tx = e.clientX - drag.x; state.ty = e.clientY - drag.y; applyTransform(); } });
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const f = e.deltaY < 0 ? 1.1 : 1 / 1.1, rect = svg.getBoundingClientRect();
    const mx = e.clientX - rect.left, my = e.clientY - rect.top;
    state.tx = mx - (mx - state.tx) * f; state.ty = my - (my - state.ty) * f; state.scale *= f;
    applyTransform();
  }, { passive: false });
  $("namespace").addEventListener("change", load);
  $("range").addEventListener("change", load);
  $("refresh").addEventListener("click", load);
  setInterval(load, 30000);
  load();
})();
