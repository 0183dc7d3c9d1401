/**
 * `GET /`: the status page, one self-contained HTML file (no CDN, no
 * framework, works offline). It listens to `/events` (a snapshot, then a
 * change per state transition, CPU/memory every few seconds) and, for the
 * selected service, to `/events/tail`. Every name, tag, reason and output
 * line goes into the page as text (`textContent`), never as markup; the
 * Content-Security-Policy allows only this page's own script and style
 * (by hash) and connections to its own origin, as a second wall.
 */
import { createHash } from "node:crypto";

const STYLE = String.raw`
:root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --mute: #6e7781; --line: #d0d7de55; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display: flex; flex-wrap: wrap; gap: .5em 1em; align-items: baseline; padding: .6em 1em; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.1em; margin: 0; }
#conn { font-size: .85em; color: var(--mute); }
#conn.live::before { content: "\25CF  "; color: var(--ok); }
#conn.down::before { content: "\25CF  "; color: var(--bad); }
#summary { font-size: .9em; }
main { padding: 0 .5em 1em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35em .5em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .8em; text-transform: uppercase; color: var(--mute); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr { cursor: pointer; }
tbody tr:hover, tbody tr.sel { background: #8881; }
.state { font-weight: 600; }
.s-running { color: var(--ok); } .s-starting { color: var(--ok); opacity: .75; }
.s-stopping, .s-stopped { color: var(--warn); }
.s-fail, .s-fatal, .s-backoff { color: var(--bad); }
.tag { display: inline-block; font-size: .8em; padding: 0 .4em; margin: 0 .2em .1em 0; border: 1px solid var(--line); border-radius: 1em; }
.reason { color: var(--bad); word-break: break-word; }
#out { margin-top: 1em; }
#out h2 { font-size: 1em; margin: .3em 0; }
#lines { margin: 0; padding: .5em; max-height: 50vh; overflow: auto; white-space: pre-wrap; word-break: break-all; font: 12px/1.35 ui-monospace, Menlo, Consolas, monospace; background: #8881; border-radius: 4px; }
#lines .err { color: var(--bad); }
#lines:empty::before { content: "(no output yet)"; color: var(--mute); }
@media (max-width: 700px) {
  thead { display: none; }
  table, tbody, tr, td { display: block; width: 100%; }
  tr { border-bottom: 2px solid var(--line); padding: .3em 0; }
  td { border: 0; padding: .1em .5em; display: flex; justify-content: space-between; gap: 1em; }
  td.num { text-align: left; }
  td::before { content: attr(data-label); color: var(--mute); font-size: .85em; }
  td:empty { display: none; }
}
`;

const SCRIPT = String.raw`
"use strict";
var COLS = ["name", "state", "pid", "uptime", "restarts", "cpu", "mem", "tags", "reason"];
var LABELS = { name: "Service", state: "State", pid: "PID", uptime: "Uptime", restarts: "Restarts", cpu: "CPU", mem: "Memory", tags: "Tags", reason: "Reason" };
var rows = new Map();   // name -> { data, usage, prev, tr, cells }
var skew = 0;           // server clock - our clock, ms
var selected = null, tailSource = null;
var tbody = document.getElementById("rows");

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function duration(secs) {
  if (secs < 0) secs = 0;
  var d = Math.floor(secs / 86400), h = Math.floor(secs % 86400 / 3600), m = Math.floor(secs % 3600 / 60), s = Math.floor(secs % 60);
  if (d > 0) return d + "d " + h + "h";
  if (h > 0) return h + "h " + m + "m";
  if (m > 0) return m + "m " + s + "s";
  return s + "s";
}

function mib(bytes) { return bytes >= 1073741824 ? (bytes / 1073741824).toFixed(1) + " GiB" : (bytes / 1048576).toFixed(1) + " MiB"; }

function makeRow(name) {
  var tr = el("tr"), cells = {};
  tr.dataset.name = name;
  COLS.forEach(function (c) {
    var td = el("td", c === "pid" || c === "restarts" || c === "cpu" || c === "mem" || c === "uptime" ? "num" : "");
    td.dataset.label = LABELS[c];
    cells[c] = td;
    tr.appendChild(td);
  });
  tr.addEventListener("click", function () { select(name); });
  var r = { data: null, usage: null, prev: null, tr: tr, cells: cells };
  rows.set(name, r);
  // keep the table sorted by name
  var after = null;
  for (var i = 0; i < tbody.children.length; i++) {
    if (tbody.children[i].dataset.name > name) { after = tbody.children[i]; break; }
  }
  tbody.insertBefore(tr, after);
  return r;
}

function render(r) {
  var d = r.data, c = r.cells;
  c.name.textContent = d.name;
  c.state.textContent = d.state;
  c.state.className = "state s-" + d.state;
  r.tr.dataset.state = d.state;
  c.pid.textContent = d.pid === null ? "" : String(d.pid);
  c.restarts.textContent = String(d.restarts);
  c.tags.textContent = "";
  var box = el("span");
  d.tags.forEach(function (t) { box.appendChild(el("span", "tag", t)); });
  if (d.tags.length) c.tags.appendChild(box);
  c.reason.textContent = d.fail_reason;
  c.reason.className = "reason";
  renderUsage(r);
  renderUptime(r);
}

function renderUsage(r) {
  var u = r.data.pid === null ? null : r.usage;
  if (!u) { r.cells.cpu.textContent = ""; r.cells.mem.textContent = ""; return; }
  var pct = "";
  if (r.prev && u.at > r.prev.at) pct = Math.round((u.cpuSeconds - r.prev.cpuSeconds) * 100000 / (u.at - r.prev.at)) + "% \u00b7 ";
  r.cells.cpu.textContent = pct + u.cpuSeconds.toFixed(1) + "s";
  r.cells.mem.textContent = mib(u.rssBytes);
}

function renderUptime(r) {
  var d = r.data;
  r.cells.uptime.textContent = d.up && d.start_time !== null ? duration((Date.now() + skew) / 1000 - d.start_time) : "";
}

function summary() {
  var n = 0, up = 0, bad = 0;
  rows.forEach(function (r) { n++; if (r.data.state === "running") up++; if (/fail|fatal|backoff/.test(r.data.state)) bad++; });
  document.getElementById("summary").textContent = up + " of " + n + " running" + (bad ? ", " + bad + " failing" : "");
}

function setUsage(usage, now) {
  rows.forEach(function (r, name) {
    var u = usage[name];
    if (u) { u.at = now; if (r.usage && r.usage.at < now) r.prev = r.usage; r.usage = u; } else { r.usage = null; r.prev = null; }
    renderUsage(r);
  });
}

function snapshot(msg) {
  skew = msg.now - Date.now();
  var seen = new Set();
  msg.rows.forEach(function (d) { seen.add(d.name); var r = rows.get(d.name) || makeRow(d.name); r.data = d; render(r); });
  rows.forEach(function (r, name) { if (!seen.has(name)) { r.tr.remove(); rows.delete(name); } });
  setUsage(msg.usage, msg.now);
  summary();
}

function change(msg) {
  var d = msg.row, r = rows.get(d.name) || makeRow(d.name);
  r.data = d;
  render(r);
  summary();
}

function connect() {
  var es = new EventSource("events");
  var conn = document.getElementById("conn");
  es.addEventListener("open", function () { conn.textContent = "live"; conn.className = "live"; });
  es.addEventListener("error", function () { conn.textContent = "reconnecting\u2026"; conn.className = "down"; });
  es.addEventListener("snapshot", function (e) { snapshot(JSON.parse(e.data)); });
  es.addEventListener("change", function (e) { change(JSON.parse(e.data)); });
  es.addEventListener("stats", function (e) { var m = JSON.parse(e.data); setUsage(m.usage, m.now); });
}

function select(name) {
  if (tailSource) tailSource.close();
  rows.forEach(function (r, n) { r.tr.classList.toggle("sel", n === name); });
  selected = name;
  var lines = document.getElementById("lines");
  lines.textContent = "";
  document.getElementById("outname").textContent = name;
  document.getElementById("out").hidden = false;
  tailSource = new EventSource("events/tail?svc=" + encodeURIComponent(name));
  // each connection (and reconnection) starts with the recent lines again
  tailSource.addEventListener("open", function () { lines.textContent = ""; });
  tailSource.addEventListener("lines", function (e) {
    var stick = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 4;
    JSON.parse(e.data).forEach(function (l) {
      var s = el("span", l[0] === "err" ? "err" : "", l[1] + "\n");
      lines.appendChild(s);
    });
    while (lines.childNodes.length > 500) lines.removeChild(lines.firstChild);
    if (stick) lines.scrollTop = lines.scrollHeight;
  });
}

setInterval(function () { rows.forEach(renderUptime); }, 1000);
connect();
`;

const sha256 = (s: string) => createHash("sha256").update(s).digest("base64");

/** Only this page's own script and style, and its own origin for the event streams. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${sha256(SCRIPT)}'`,
  `style-src 'sha256-${sha256(STYLE)}'`,
  "connect-src 'self'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cfkd</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>cfkd</h1><span id="summary"></span><span id="conn">connecting…</span></header>
<main>
<table id="services">
<thead><tr><th>Service</th><th>State</th><th>PID</th><th>Uptime</th><th>Restarts</th><th>CPU</th><th>Memory</th><th>Tags</th><th>Reason</th></tr></thead>
<tbody id="rows"></tbody>
</table>
<section id="out" hidden><h2>Output of <span id="outname"></span></h2><pre id="lines"></pre></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
