/**
 * The live-chart page (episode 3's demo): one self-contained HTML document, no CDN, that
 * opens `/topics/<topic>` as a WebSocket and draws every numeric column of the rows as they
 * arrive. On a disconnect it reconnects from the cursor of the last row drawn, so the chart
 * has no gap and no duplicate. Embedded as a string so `deno compile` carries it.
 *
 * @module
 */

/**
 * Options of {@link liveChartPage}.
 *
 * @example
 * ```ts
 * import type { LiveChartOptions } from "@sa/toolkit";
 * const options: LiveChartOptions = { topic: "table-data", points: 300 };
 * ```
 */
export interface LiveChartOptions {
  /** Topic to draw (default "table-data"); `?topic=` in the page URL overrides it. */
  topic?: string;
  /** Points kept per series (default 300). */
  points?: number;
  /** Page title. */
  title?: string;
}

/**
 * The page's HTML.
 *
 * @example
 * ```ts
 * import { liveChartPage } from "@sa/toolkit";
 * const html = liveChartPage({ topic: "table-data" });
 * Deno.serve({ port: 8090 }, () => new Response(html, { headers: { "content-type": "text/html" } }));
 * ```
 */
export function liveChartPage(options: LiveChartOptions = {}): string {
  const config = JSON.stringify({
    topic: options.topic ?? "table-data",
    points: options.points ?? 300,
  }).replaceAll("<", "\\u003c");
  const title = (options.title ?? "sa live chart").replace(/[<>&"]/g, "");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 16px; background: #fafafa; color: #222; }
  h1 { font-size: 18px; margin: 0 0 8px; }
  #status { color: #555; margin-bottom: 8px; font-family: ui-monospace, monospace; font-size: 12px; }
  canvas { background: #fff; border: 1px solid #ddd; width: 100%; height: 420px; }
  #legend span { display: inline-block; margin-right: 14px; }
  #legend i { display: inline-block; width: 12px; height: 3px; margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
<h1>${title}: <span id="topic"></span></h1>
<div id="status">connecting…</div>
<canvas id="chart" width="1200" height="420"></canvas>
<div id="legend"></div>
<script>
"use strict";
const CONFIG = ${config};
const params = new URLSearchParams(location.search);
const topic = params.get("topic") || CONFIG.topic;
const MAX = Number(params.get("points")) || CONFIG.points;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"];
document.getElementById("topic").textContent = topic;
const series = new Map(); // column -> [{t, v}]
let cursor = params.get("from") || "latest";
let received = 0;
let lastDraw = 0;

function add(frame) {
  const v = frame.value;
  if (v === null || typeof v !== "object") return;
  // Event time: a "time" column in nanoseconds (Sensor Logger) or ms, else the record timestamp.
  let t = typeof v.time === "number" ? v.time : frame.timestamp;
  if (t > 1e15) t = t / 1e6;
  for (const [k, x] of Object.entries(v)) {
    if (k === "time" || typeof x !== "number" || !Number.isFinite(x)) continue;
    let s = series.get(k);
    if (!s) series.set(k, s = []);
    s.push({ t, v: x });
    if (s.length > MAX) s.splice(0, s.length - MAX);
  }
}

function draw() {
  const c = document.getElementById("chart");
  const ctx = c.getContext("2d");
  const W = c.width, H = c.height, L = 60, R = 10, T = 10, B = 30;
  ctx.clearRect(0, 0, W, H);
  let t0 = Infinity, t1 = -Infinity, lo = Infinity, hi = -Infinity;
  for (const s of series.values()) for (const p of s) {
    t0 = Math.min(t0, p.t); t1 = Math.max(t1, p.t); lo = Math.min(lo, p.v); hi = Math.max(hi, p.v);
  }
  ctx.strokeStyle = "#ccc"; ctx.fillStyle = "#555"; ctx.font = "12px sans-serif";
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  if (!(t1 >= t0)) { ctx.fillText("waiting for rows…", L + 10, T + 20); return; }
  if (hi === lo) { hi += 1; lo -= 1; }
  if (t1 === t0) t1 = t0 + 1;
  const x = (t) => L + (t - t0) / (t1 - t0) * (W - L - R);
  const y = (v) => T + (hi - v) / (hi - lo) * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const v = lo + (hi - lo) * i / 4;
    ctx.fillText(v.toFixed(2), 4, y(v) + 4);
    ctx.beginPath(); ctx.moveTo(L, y(v)); ctx.lineTo(W - R, y(v)); ctx.strokeStyle = "#eee"; ctx.stroke();
  }
  ctx.fillText(new Date(t0).toISOString().slice(11, 23), L, H - 10);
  ctx.fillText(new Date(t1).toISOString().slice(11, 23), W - R - 90, H - 10);
  const legend = [];
  let i = 0;
  for (const [k, s] of series) {
    const color = COLORS[i++ % COLORS.length];
    ctx.strokeStyle = color; ctx.lineWidth = 1.5; ctx.beginPath();
    s.forEach((p, j) => j ? ctx.lineTo(x(p.t), y(p.v)) : ctx.moveTo(x(p.t), y(p.v)));
    ctx.stroke();
    legend.push('<span><i style="background:' + color + '"></i>' + k.replace(/[<>&]/g, "") + "</span>");
  }
  document.getElementById("legend").innerHTML = legend.join("");
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(proto + "//" + location.host + "/topics/" + encodeURIComponent(topic) +
    "?from=" + encodeURIComponent(cursor));
  const status = (s) => document.getElementById("status").textContent = s;
  ws.onmessage = (ev) => {
    const f = JSON.parse(ev.data);
    if (f.type === "start") cursor = f.cursor;
    else if (f.type === "record") { add(f); cursor = f.cursor; received++; }
    else if (f.type === "progress") cursor = f.cursor;
    else if (f.type === "error") status("error: " + f.message);
    const now = performance.now();
    if (now - lastDraw > 100) { lastDraw = now; draw(); }
    status("rows " + received + " · cursor " + cursor);
  };
  ws.onclose = () => { status("disconnected; resuming from " + cursor + " …"); setTimeout(connect, 1000); };
}
setInterval(draw, 500);
connect();
</script>
</body>
</html>
`;
}
