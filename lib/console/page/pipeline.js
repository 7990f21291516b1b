// The Pipeline page: sa.yaml's apps and topics as an SVG graph, and the apps' state.
import { api, enc, errorBox, every, fmtInt, fmtRate, fmtSecs, h, showError, svg } from "./dom.js";

export async function pipelineView() {
  const err = errorBox();
  const holder = h("div");
  let first = true;
  const load = async () => {
    try {
      const p = await api("/api/pipeline");
      if (!p.file) {
        holder.replaceChildren(
          h(
            "p",
            { class: "muted" },
            "No sa.yaml here: start the console in a project folder (sa console, or sa up).",
          ),
        );
        return;
      }
      if (p.error) {
        holder.replaceChildren(h("p", { class: "error" }, p.error));
        return;
      }
      const selected = new URLSearchParams(location.hash.split("?")[1] ?? "").get("app");
      holder.replaceChildren(drawGraph(p), appTable(p, selected));
      if (selected && first) document.getElementById(`app-${selected}`)?.scrollIntoView();
      first = false;
      showError(err, null);
    } catch (e) {
      showError(err, e);
    }
  };
  await load();
  every(3000, load);
  return h("div", {}, h("h1", {}, "Pipeline"), err, holder);
}

function appTable(p, selected) {
  return h(
    "div",
    {},
    h("h2", {}, "Apps"),
    h(
      "table",
      {},
      h(
        "tr",
        {},
        h("th", {}, "App"),
        h("th", {}, "State"),
        h("th", { class: "num" }, "Restarts"),
        h("th", {}, "Group"),
        h("th", {}, "Last log lines"),
      ),
      p.apps.map((a) =>
        h(
          "tr",
          { id: `app-${a.name}`, class: a.name === selected ? "sel" : null },
          h("td", {}, a.name),
          h("td", {}, a.state ?? (a.declared || "not running")),
          h("td", { class: "num" }, a.restarts),
          h("td", {}, a.group ? h("a", { href: `#/groups/${enc(a.group)}` }, a.group) : "-"),
          h("td", {}, h("pre", { class: "muted" }, a.lastLines.join("\n"))),
        )
      ),
    ),
  );
}

/** Lays out topics and apps in columns by their distance from the sources, as SVG. */
function drawGraph(p) {
  const nodes = new Map();
  for (const t of p.topics) nodes.set(`t:${t}`, { id: `t:${t}`, kind: "topic", name: t });
  for (const a of p.apps) {
    nodes.set(`a:${a.name}`, { id: `a:${a.name}`, kind: "app", name: a.name, app: a });
  }
  const edges = p.edges.map((e) => ({
    ...e,
    src: nodes.has(`a:${e.from}`) && !p.topics.includes(e.from) ? `a:${e.from}` : `t:${e.from}`,
    dst: e.to === e.topic ? `t:${e.to}` : `a:${e.to}`,
  }));
  const level = new Map([...nodes.keys()].map((k) => [k, 0]));
  for (let i = 0; i < nodes.size; i++) {
    for (const e of edges) {
      if (level.get(e.dst) < level.get(e.src) + 1) level.set(e.dst, level.get(e.src) + 1);
    }
  }
  const cols = [];
  for (const [k, l] of level) (cols[l] ??= []).push(k);
  const W = 170, H = 46, GX = 170, GY = 30;
  const pos = new Map();
  cols.forEach((ks, c) =>
    ks.forEach((k, r) => pos.set(k, { x: 20 + c * (W + GX), y: 20 + r * (H + GY) }))
  );
  const width = 40 + cols.length * (W + GX);
  const height = 40 + Math.max(1, ...cols.filter(Boolean).map((c) => c.length)) * (H + GY);
  const g = svg("svg", { width, height, "data-test": "graph" });
  for (const e of edges) {
    const a = pos.get(e.src), b = pos.get(e.dst);
    if (!a || !b) continue;
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
    g.append(
      svg("path", {
        class: "edge",
        d: `M${x1},${y1} C${x1 + 40},${y1} ${x2 - 40},${y2} ${x2 - 6},${y2}`,
        "marker-end": "url(#arrow)",
      }),
    );
    const mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
    g.append(
      svg("text", { class: "elabel", x: mx, y: my - 20, "text-anchor": "middle" }, fmtRate(e.rate)),
    );
    if (e.lag !== undefined) {
      g.append(
        svg(
          "text",
          { class: "elabel", x: mx, y: my - 7, "text-anchor": "middle" },
          `lag ${fmtInt(e.lag)}, ${fmtSecs(e.lagSeconds)}`,
        ),
      );
    }
  }
  g.prepend(
    svg(
      "defs",
      {},
      svg("marker", {
        id: "arrow",
        viewBox: "0 0 10 10",
        refX: 5,
        refY: 5,
        markerWidth: 8,
        markerHeight: 8,
        orient: "auto",
      }, svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8b93a7" })),
    ),
  );
  for (const [k, n] of nodes) {
    const { x, y } = pos.get(k);
    const href = n.kind === "topic"
      ? `#/topics/${enc(n.name)}`
      : n.app.group
      ? `#/groups/${enc(n.app.group)}`
      : `#/pipeline?app=${enc(n.name)}`;
    const sub = n.kind === "topic"
      ? "topic"
      : `${n.app.state ?? (n.app.declared || "not running")}, ${n.app.restarts} restart(s)`;
    g.append(
      svg(
        "a",
        { href, class: n.kind, "data-node": n.name },
        svg("rect", { x, y, width: W, height: H, rx: n.kind === "topic" ? 4 : 10 }),
        svg("text", { x: x + 10, y: y + 19, "font-weight": 600 }, n.name),
        svg("text", { x: x + 10, y: y + 36, class: "elabel" }, sub),
      ),
    );
  }
  return h("div", { class: "graph" }, g);
}
