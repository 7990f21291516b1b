// The Charts page: a live line chart of chosen numeric fields of a topic's JSON messages.
import { api, COLORS, drawChart, enc, errorBox, every, h, showError, state } from "./dom.js";

export async function chartsView() {
  const err = errorBox();
  const topics = (await api("/api/topics")).map((t) => t.name);
  const hash = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const topicSel = h(
    "select",
    { "aria-label": "chart topic" },
    topics.map((t) => h("option", { value: t, selected: t === hash.get("topic") }, t)),
  );
  const fieldsBox = h("div", { class: "bar", "data-test": "fields" });
  const canvas = h("canvas", { class: "chart", "data-test": "chart" });
  const legend = h("div", { class: "legend" });
  const wanted = new Set((hash.get("fields") ?? "").split(",").filter(Boolean));
  const series = new Map(); // path -> points
  let ws = null;
  const numericPaths = (v, prefix = "", out = []) => {
    if (typeof v === "number") out.push(prefix);
    else if (v && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) numericPaths(x, prefix ? `${prefix}.${k}` : k, out);
    }
    return out;
  };
  const get = (v, path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), v);
  const known = new Set();
  const addFields = (paths) => {
    for (const p of paths) {
      if (known.has(p)) continue;
      known.add(p);
      const cb = h("input", {
        type: "checkbox",
        checked: wanted.has(p),
        onchange: () => (cb.checked ? wanted.add(p) : wanted.delete(p)),
      });
      fieldsBox.append(
        h("label", { style: "flex-direction:row;gap:4px;align-items:center" }, cb, p),
      );
    }
  };
  const take = (m) => {
    if (m.value?.kind !== "json") return;
    addFields(numericPaths(m.value.json));
    for (const p of wanted) {
      const v = get(m.value.json, p);
      if (typeof v !== "number") continue;
      const pts = series.get(p) ?? [];
      pts.push({ t: m.timestamp, v });
      if (pts.length > 1 && pts[pts.length - 2].t > m.timestamp) pts.sort((a, b) => a.t - b.t);
      if (pts.length > 5000) pts.shift();
      series.set(p, pts);
    }
  };
  const start = async () => {
    ws?.close();
    series.clear();
    known.clear();
    fieldsBox.replaceChildren();
    const topic = topicSel.value;
    if (!topic) return;
    try {
      // The history first: the newest 500 messages, then the live tail adds to them.
      const recent = await api(`/api/topics/${enc(topic)}/messages?start=newest&max=500`);
      recent.messages.forEach(take);
    } catch (e) {
      showError(err, e);
    }
    ws = new WebSocket(
      `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/topics/${
        enc(topic)
      }/live`,
    );
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === "ready") canvas.dataset.live = "ready";
      if (f.type === "batch") f.messages.forEach(take);
    };
  };
  topicSel.addEventListener("change", start);
  const redraw = () => {
    const list = [...wanted].map((p, i) => ({
      name: p,
      color: COLORS[i % COLORS.length],
      points: series.get(p) ?? [],
    }));
    drawChart(canvas, list, 300_000);
    legend.replaceChildren(
      ...list.map((s) =>
        h(
          "span",
          {},
          h("i", { style: `background:${s.color}` }),
          `${s.name} ${s.points.length ? s.points[s.points.length - 1].v.toPrecision(5) : "-"}`,
        )
      ),
    );
  };
  every(500, redraw);
  state.cleanups.push(() => ws?.close());
  await start();
  return h(
    "div",
    {},
    h("h1", {}, "Charts"),
    h(
      "p",
      { class: "muted" },
      "A live line chart of the numeric fields of a topic's JSON messages, by message time (the newest 500, then live; at most 5 minutes). Pick the fields.",
    ),
    h("div", { class: "bar" }, h("label", {}, "Topic", topicSel)),
    err,
    fieldsBox,
    canvas,
    legend,
  );
}
