// Helpers every view shares: DOM building, the API client, formatting, sparklines and charts.

/** The console's switches and the current view's cleanups (timers, sockets). */
export const state = {
  // The server writes it into the page (and /api/health repeats it).
  readOnly: document.querySelector('meta[name="sa-read-only"]')?.getAttribute("content") === "true",
  cleanups: [],
};

/** Creates an element: h("a", {href: "#"}, "text", child...). Text is never parsed as HTML. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs ?? {})) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export async function api(path, opts = {}) {
  const init = { method: opts.method ?? "GET", headers: {} };
  if (opts.json !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) init.body = opts.body;
  const res = await fetch(path, init);
  const text = await res.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON.
  }
  if (!res.ok) throw new Error(body?.error ?? `${res.status} ${res.statusText}`);
  return body;
}

export const enc = encodeURIComponent;
export const fmtInt = (
  n,
) => (n === null || n === undefined ? "-" : Number(n).toLocaleString("en-US"));
export const fmtRate = (
  n,
) => (n === null || n === undefined ? "-" : `${n.toFixed(n < 10 ? 1 : 0)}/s`);
/** Lag in seconds for people: 12.3 s, 4.5 min, 6.7 h, 939 d. */
export function fmtSecs(s) {
  if (s === null || s === undefined) return "-";
  if (s < 100) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.round(s / 86400).toLocaleString("en-US")} d`;
}
/** Bytes for people: 512 B, 4.2 KiB, 13.0 MiB, 2.10 GiB. */
export function fmtBytes(n) {
  if (n === null || n === undefined) return "-";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) v /= 1024, i++;
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
export function fmtMs(ms) {
  if (ms === null || ms === undefined) return "-";
  if (ms < 0) return "forever";
  const h = ms / 3_600_000;
  return h >= 24 ? `${+(h / 24).toFixed(1)} d` : h >= 1 ? `${+h.toFixed(1)} h` : `${ms / 1000} s`;
}
export function localTime(ts) {
  const d = new Date(ts);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
/**
 * A table with a header row: `columns` are [label] or [label, "num"] (right-aligned), and
 * `row(item)` makes each item's <tr>.
 */
export function table(columns, items, row, attrs = {}) {
  return h(
    "table",
    attrs,
    h("tr", {}, columns.map(([label, cls]) => h("th", { class: cls }, label))),
    items.map(row),
  );
}
export const status = (s) => h("span", { class: `status ${s}` }, s);
export const errorBox = () => h("div", { class: "error", role: "alert" });
export function showError(box, err) {
  box.textContent = err ? String(err.message ?? err) : "";
}
export function every(ms, fn) {
  const t = setInterval(fn, ms);
  state.cleanups.push(() => clearInterval(t));
}

/** A sparkline of the last values, hand-drawn SVG. */
export function sparkline(values, w = 180, h = 36, color = "#2f6fde") {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const pts = values.map((v, i) =>
    `${(i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`
  );
  return svg(
    "svg",
    { width: w, height: h, class: "spark", viewBox: `0 0 ${w} ${h}` },
    svg("polyline", { points: pts.join(" "), fill: "none", stroke: color, "stroke-width": 1.5 }),
  );
}

/**
 * Draws series [{name, color, points: [{t, v}]}] as lines on a canvas; the time axis spans the
 * points (at most `windowMs`, ending now or at the newest point).
 */
export function drawChart(canvas, series, windowMs = 60_000) {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = canvas.clientWidth, hgt = canvas.clientHeight;
  canvas.width = w * dpr;
  canvas.height = hgt * dpr;
  const g = canvas.getContext("2d");
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, hgt);
  const ts = series.flatMap((s) => s.points.map((p) => p.t));
  const end = Math.max(Date.now(), ...ts);
  const start = Math.max(end - windowMs, Math.min(end - 1000, ...ts));
  const shown = series.map((s) => s.points.filter((p) => p.t >= start));
  const all = shown.flatMap((ps) => ps.map((p) => p.v));
  let lo = Math.min(...all), hi = Math.max(...all);
  if (!all.length) lo = 0, hi = 1;
  if (lo === hi) lo -= 1, hi += 1;
  const padL = 56, padB = 20;
  const x = (t) => padL + ((t - start) / (end - start)) * (w - padL - 10);
  const y = (v) => 10 + (1 - (v - lo) / (hi - lo)) * (hgt - 10 - padB);
  g.strokeStyle = "#e3e6ec";
  g.fillStyle = "#687084";
  g.font = "11px system-ui";
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    g.beginPath();
    g.moveTo(padL, y(v));
    g.lineTo(w - 10, y(v));
    g.stroke();
    g.fillText(v.toPrecision(4), 4, y(v) + 4);
  }
  g.fillText(new Date(start).toLocaleTimeString(), padL, hgt - 4);
  const endLabel = new Date(end).toLocaleTimeString();
  g.fillText(endLabel, w - 10 - g.measureText(endLabel).width, hgt - 4);
  series.forEach((s, i) => {
    g.strokeStyle = s.color;
    g.fillStyle = s.color;
    g.lineWidth = 1.5;
    g.beginPath();
    shown[i].forEach((p, j) => (j ? g.lineTo(x(p.t), y(p.v)) : g.moveTo(x(p.t), y(p.v))));
    g.stroke();
    if (shown[i].length === 1) g.fillRect(x(shown[i][0].t) - 2, y(shown[i][0].v) - 2, 4, 4);
  });
}

export const COLORS = ["#2f6fde", "#d0342c", "#1f9d55", "#c98a00", "#9b3fb5", "#0aa2c0"];
