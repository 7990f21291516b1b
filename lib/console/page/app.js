// The sa console page: plain modern JS, no framework. Every view is a client of the JSON API
// (docs/http-api.md); charts are hand-drawn SVG and canvas.

const main = document.getElementById("main");
const banner = document.getElementById("banner");
let readOnly = false;
/** Cleanups of the current view (timers, sockets), run on navigation. */
let cleanups = [];

// ---- helpers ---------------------------------------------------------------------------------

/** Creates an element: h("a", {href: "#"}, "text", child...). Text is never parsed as HTML. */
function h(tag, attrs, ...children) {
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

function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs ?? {})) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(path, opts = {}) {
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

const enc = encodeURIComponent;
const fmtInt = (n) => (n === null || n === undefined ? "-" : Number(n).toLocaleString("en-US"));
const fmtRate = (n) => (n === null || n === undefined ? "-" : `${n.toFixed(n < 10 ? 1 : 0)}/s`);
/** Lag in seconds for people: 12.3 s, 4.5 min, 6.7 h, 939 d. */
function fmtSecs(s) {
  if (s === null || s === undefined) return "-";
  if (s < 100) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.round(s / 86400).toLocaleString("en-US")} d`;
}
function fmtMs(ms) {
  if (ms === null || ms === undefined) return "-";
  if (ms < 0) return "forever";
  const h = ms / 3_600_000;
  return h >= 24 ? `${+(h / 24).toFixed(1)} d` : h >= 1 ? `${+h.toFixed(1)} h` : `${ms / 1000} s`;
}
function localTime(ts) {
  const d = new Date(ts);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
const status = (s) => h("span", { class: `status ${s}` }, s);
const errorBox = () => h("div", { class: "error", role: "alert" });
function showError(box, err) {
  box.textContent = err ? String(err.message ?? err) : "";
}
function every(ms, fn) {
  const t = setInterval(fn, ms);
  cleanups.push(() => clearInterval(t));
}

/** A sparkline of the last values, hand-drawn SVG. */
function sparkline(values, w = 180, h = 36, color = "#2f6fde") {
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
function drawChart(canvas, series, windowMs = 60_000) {
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

const COLORS = ["#2f6fde", "#d0342c", "#1f9d55", "#c98a00", "#9b3fb5", "#0aa2c0"];

// ---- health banner ---------------------------------------------------------------------------

async function checkHealth() {
  try {
    const res = await fetch("/api/health");
    const hb = await res.json();
    if (!res.ok) throw new Error(hb.error);
    readOnly = hb.readOnly;
    document.getElementById("mode").textContent = readOnly ? "read-only" : "";
    document.body.classList.toggle("ro", readOnly);
    if (hb.broker.up) {
      if (!banner.hidden) {
        banner.hidden = true;
        route(); // reload the view now that the broker is back
      }
    } else {
      banner.hidden = false;
      banner.textContent = `Broker unreachable: ${hb.broker.error ?? "no answer"}. Reconnecting…`;
    }
  } catch (err) {
    banner.hidden = false;
    banner.textContent = `Console server unreachable (${err.message}). Reconnecting…`;
  }
}

// ---- views -----------------------------------------------------------------------------------

async function overviewView() {
  const root = h("div", {}, h("h1", {}, "Overview"));
  const body = h("div");
  const err = errorBox();
  root.append(err, body);
  const load = async () => {
    try {
      const o = await api("/api/overview");
      showError(err, null);
      const ins = o.rates.map((r) => r.in), outs = o.rates.map((r) => r.out);
      const last = o.rates[o.rates.length - 1];
      body.replaceChildren(
        h(
          "div",
          { class: "cards" },
          h(
            "div",
            { class: "card" },
            h("div", { class: "label" }, "Broker"),
            h("div", { class: "value mono", "data-test": "broker" }, o.broker.address),
            h(
              "div",
              { class: "muted" },
              `cluster ${o.broker.clusterId ?? "-"}, ${o.broker.nodes.length} node(s)`,
            ),
          ),
          h(
            "div",
            { class: "card" },
            h("div", { class: "label" }, "Topics"),
            h("div", { class: "value", "data-test": "topic-count" }, fmtInt(o.topics)),
            h("div", { class: "muted" }, `${fmtInt(o.messages)} messages`),
          ),
          h(
            "div",
            { class: "card" },
            h("div", { class: "label" }, "Messages in"),
            h("div", { class: "value", "data-test": "rate-in" }, fmtRate(last?.in)),
            sparkline(ins),
          ),
          h(
            "div",
            { class: "card" },
            h("div", { class: "label" }, "Messages out (committed)"),
            h("div", { class: "value", "data-test": "rate-out" }, fmtRate(last?.out)),
            sparkline(outs, 180, 36, "#1f9d55"),
          ),
        ),
        h("h2", {}, "Consumer groups"),
        o.groups.length
          ? h(
            "table",
            {},
            h(
              "tr",
              {},
              h("th", {}, "Group"),
              h("th", {}, "State"),
              h("th", { class: "num" }, "Members"),
              h("th", { class: "num" }, "Lag"),
              h("th", { class: "num" }, "Lag (s)"),
              h("th", {}, "Status"),
            ),
            o.groups.map((g) =>
              h(
                "tr",
                {},
                h("td", {}, h("a", { href: `#/groups/${enc(g.group)}` }, g.group)),
                h("td", {}, g.state),
                h("td", { class: "num" }, g.members),
                h("td", { class: "num" }, fmtInt(g.totalLag)),
                h("td", { class: "num" }, fmtSecs(g.maxLagSeconds)),
                h("td", {}, status(g.status)),
              )
            ),
          )
          : h("p", { class: "muted" }, "No consumer groups."),
        h("h2", {}, "Deployments (sa up)"),
        o.deployments.length
          ? h(
            "table",
            {},
            h(
              "tr",
              {},
              h("th", {}, "App"),
              h("th", {}, "State"),
              h("th", { class: "num" }, "Restarts"),
              h("th", {}, "Since"),
              h("th", {}, "Last error"),
            ),
            o.deployments.map((d) =>
              h(
                "tr",
                {},
                h("td", {}, d.name),
                h("td", {}, d.state),
                h("td", { class: "num" }, d.restarts),
                h("td", {}, localTime(Date.parse(d.since))),
                h("td", { class: "muted" }, d.lastError ?? ""),
              )
            ),
          )
          : h("p", { class: "muted" }, "No sa up deployments in this folder."),
      );
    } catch (e) {
      showError(err, e);
    }
  };
  await load();
  every(2000, load);
  return root;
}

async function topicsView() {
  const err = errorBox();
  const tbody = h("tbody");
  const name = h("input", { placeholder: "new-topic", "aria-label": "topic name", required: true });
  const parts = h("input", {
    type: "number",
    min: 1,
    value: 1,
    style: "width:70px",
    "aria-label": "partitions",
  });
  const retention = h("input", {
    placeholder: "e.g. 86400000",
    style: "width:130px",
    "aria-label": "retention ms",
  });
  const create = h(
    "form",
    {
      class: "bar",
      hidden: readOnly,
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const configs = retention.value ? { "retention.ms": retention.value } : {};
          await api("/api/topics", {
            method: "POST",
            json: { name: name.value, partitions: Number(parts.value), configs },
          });
          name.value = "";
          showError(err, null);
          await load();
        } catch (e2) {
          showError(err, e2);
        }
      },
    },
    h("label", {}, "Name", name),
    h("label", {}, "Partitions", parts),
    h("label", {}, "Retention (ms)", retention),
    h("button", { type: "submit" }, "Create topic"),
  );
  const load = async () => {
    try {
      const topics = await api("/api/topics");
      tbody.replaceChildren(
        ...topics.map((t) => {
          const actions = h("td");
          const del = h("button", {
            class: "secondary",
            hidden: readOnly,
            onclick: () => {
              actions.replaceChildren(
                h(
                  "span",
                  { class: "confirm" },
                  `Delete ${t.name} and its ${fmtInt(t.messages)} messages? `,
                  h("button", {
                    class: "danger",
                    onclick: async () => {
                      try {
                        await api(`/api/topics/${enc(t.name)}`, { method: "DELETE" });
                        await load();
                      } catch (e) {
                        showError(err, e);
                      }
                    },
                  }, "Delete"),
                  " ",
                  h("button", { class: "secondary", onclick: () => load() }, "Cancel"),
                ),
              );
            },
          }, "Delete…");
          actions.append(del);
          return h(
            "tr",
            { "data-topic": t.name },
            h("td", {}, h("a", { href: `#/topics/${enc(t.name)}` }, t.name)),
            h("td", { class: "num" }, t.partitions),
            h("td", { class: "num", "data-test": "messages" }, fmtInt(t.messages)),
            h("td", {}, t.cleanupPolicy ?? "-"),
            h("td", {}, fmtMs(t.retentionMs)),
            h("td", { class: "num" }, fmtRate(t.inRate)),
            actions,
          );
        }),
      );
      showError(err, null);
    } catch (e) {
      showError(err, e);
    }
  };
  await load();
  return h(
    "div",
    {},
    h("h1", {}, "Topics"),
    create,
    err,
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "Topic"),
          h("th", { class: "num" }, "Partitions"),
          h("th", { class: "num" }, "Messages"),
          h("th", {}, "Cleanup"),
          h("th", {}, "Retention"),
          h("th", { class: "num" }, "In"),
          h("th", {}),
        ),
      ),
      tbody,
    ),
  );
}

/** A number whose text JSON.parse would round (integers beyond 2^53, e.g. nanosecond times). */
class ExactNumber {
  constructor(text) {
    this.text = text;
  }
}

/** JSON.parse that keeps the exact text of numbers a double cannot hold. */
function parseExact(text) {
  return JSON.parse(
    text,
    (_k, v, ctx) =>
      typeof v === "number" && ctx?.source !== undefined && String(v) !== ctx.source &&
        /^-?\d+$/.test(ctx.source)
        ? new ExactNumber(ctx.source)
        : v,
  );
}

/** A collapsible tree of a JSON value. */
function jsonTree(v, key) {
  const label = key === undefined ? [] : [h("span", { class: "k" }, JSON.stringify(key)), ": "];
  if (v instanceof ExactNumber) {
    return h("div", { class: "kv" }, ...label, h("span", { class: "n" }, v.text));
  }
  if (v !== null && typeof v === "object") {
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    const open = Array.isArray(v) ? "[" : "{";
    const d = h(
      "details",
      { open: entries.length <= 50 },
      h(
        "summary",
        {},
        ...label,
        `${open} ${entries.length} ${Array.isArray(v) ? "items" : "keys"}`,
      ),
    );
    for (const [k, x] of entries) d.append(jsonTree(x, Array.isArray(v) ? undefined : k));
    return d;
  }
  const cls = typeof v === "string" ? "s" : "n";
  return h("div", { class: "kv" }, ...label, h("span", { class: cls }, JSON.stringify(v)));
}

function shownPreview(s) {
  if (!s) return "null";
  return s.kind === "hex" ? `hex ${s.text}` : s.text.replace(/\s+/g, " ");
}

function shownBlock(s, topic, m) {
  if (!s) return h("span", { class: "muted" }, "null");
  const parts = [];
  if (s.truncated) {
    parts.push(
      h(
        "p",
        { class: "error" },
        `Truncated: ${fmtInt(s.size)} bytes, first 64 KiB shown. `,
        h("a", {
          href: `/api/topics/${enc(topic)}/messages/${m.partition}/${m.offset}/value`,
          download: "",
        }, "Download the whole value"),
      ),
    );
  }
  if (s.kind === "json") {
    let exact = s.json;
    try {
      exact = parseExact(s.text);
    } catch {
      // The server's parse stands.
    }
    parts.push(h("div", { class: "tree" }, jsonTree(exact)));
  } else parts.push(h("pre", {}, (s.kind === "hex" ? "(hex) " : "") + s.text));
  return h("div", {}, ...parts);
}

/** A virtualised list: only the visible rows exist in the DOM. */
function virtualList(onSelect) {
  const ROW = 28;
  const list = h("div", { class: "list", "data-test": "messages" });
  const spacer = h("div", { style: "height:0px" });
  const head = h(
    "div",
    { class: "row head", style: "top:0" },
    h("span", {}, "P"),
    h("span", {}, "Offset"),
    h("span", {}, "Time"),
    h("span", {}, "Key"),
    h("span", {}, "Value"),
  );
  list.append(head, spacer);
  let items = [];
  let selected = -1;
  const rows = new Map();
  const render = () => {
    const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
    const last = Math.min(items.length, first + Math.ceil(list.clientHeight / ROW) + 10);
    for (const [i, el] of rows) {
      if (i < first || i >= last) {
        el.remove();
        rows.delete(i);
      }
    }
    for (let i = first; i < last; i++) {
      let el = rows.get(i);
      if (!el) {
        const m = items[i];
        el = h(
          "div",
          {
            class: "row",
            style: `top:${(i + 1) * ROW}px`,
            "data-offset": m.offset,
            "data-partition": m.partition,
            onclick: () => select(i),
          },
          h("span", {}, m.partition),
          h("span", {}, m.offset),
          h("span", {}, localTime(m.timestamp)),
          h("span", {}, m.key ? shownPreview(m.key) : ""),
          h("span", {}, shownPreview(m.value).slice(0, 300)),
        );
        rows.set(i, el);
        list.append(el);
      }
      el.classList.toggle("sel", i === selected);
    }
  };
  const select = (i) => {
    selected = i;
    render();
    onSelect(items[i]);
  };
  list.addEventListener("scroll", render);
  return {
    el: list,
    set(next) {
      items = next;
      selected = -1;
      for (const el of rows.values()) el.remove();
      rows.clear();
      spacer.style.height = `${(items.length + 1) * ROW}px`;
      render();
    },
    push(more, keep = 10_000) {
      const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - ROW * 2;
      items = items.concat(more).slice(-keep);
      for (const el of rows.values()) el.remove();
      rows.clear();
      spacer.style.height = `${(items.length + 1) * ROW}px`;
      if (atBottom) list.scrollTop = list.scrollHeight;
      render();
    },
    get items() {
      return items;
    },
  };
}

async function topicView(topic) {
  const err = errorBox();
  let detail;
  try {
    detail = await api(`/api/topics/${enc(topic)}`);
  } catch (e) {
    showError(err, e);
    return h("div", {}, h("h1", {}, topic), err);
  }
  const partSel = h(
    "select",
    { "aria-label": "partition" },
    h("option", { value: "" }, "All"),
    detail.partitionOffsets.map((p) => h("option", { value: p.partition }, String(p.partition))),
  );
  const startSel = h(
    "select",
    { "aria-label": "start" },
    ["oldest", "newest", "offset", "timestamp"].map((s) => h("option", { value: s }, s)),
  );
  const at = h("input", {
    placeholder: "offset or time (ISO / ms)",
    style: "width:200px",
    "aria-label": "offset or timestamp",
  });
  const max = h("input", {
    type: "number",
    min: 1,
    max: 10000,
    value: 100,
    style: "width:80px",
    "aria-label": "max",
  });
  const q = h("input", { placeholder: "text in key, value, headers", "aria-label": "text filter" });
  const js = h("input", {
    placeholder: "JS filter, e.g. value.x > 5",
    style: "width:240px",
    "aria-label": "javascript filter",
  });
  const info = h("span", { class: "muted", "data-test": "browse-info" });
  const side = h(
    "div",
    { class: "detail", "data-test": "detail" },
    h("p", { class: "muted" }, "Click a message to see it whole."),
  );
  const produceKey = h("input", { placeholder: "key", "aria-label": "produce key" });
  const produceValue = h("textarea", {
    rows: 3,
    cols: 50,
    placeholder: '{"x": 1}',
    "aria-label": "produce value",
  });
  const produceHeaders = h("input", {
    placeholder: '{"header": "value"}',
    "aria-label": "produce headers",
  });
  const list = virtualList((m) => showDetail(m));

  function showDetail(m) {
    side.replaceChildren(
      h(
        "dl",
        {},
        h("dt", {}, "Partition"),
        h("dd", { "data-test": "partition" }, m.partition),
        h("dt", {}, "Offset"),
        h("dd", { "data-test": "offset" }, m.offset),
        h("dt", {}, "Time"),
        h(
          "dd",
          { "data-test": "time" },
          localTime(m.timestamp),
          h("br"),
          h("span", { class: "muted" }, new Date(m.timestamp).toISOString()),
        ),
        h("dt", {}, "Key"),
        h("dd", { "data-test": "key", class: "mono" }, m.key ? shownPreview(m.key) : "null"),
        h("dt", {}, "Headers"),
        h(
          "dd",
          { "data-test": "headers", class: "mono" },
          m.headers.length
            ? m.headers.map((x) => h("div", {}, `${x.key}: ${x.value ?? "null"}`))
            : "none",
        ),
      ),
      h("div", { "data-test": "value" }, shownBlock(m.value, topic, m)),
      readOnly ? "" : h(
        "p",
        {},
        h("button", {
          class: "secondary",
          onclick: async () => {
            try {
              const headers = Object.fromEntries(m.headers.map((x) => [x.key, x.value ?? ""]));
              const r = await api(`/api/topics/${enc(topic)}/messages`, {
                method: "POST",
                json: {
                  key: m.key?.text ?? null,
                  value: m.value?.kind === "hex" || m.value?.truncated
                    ? null
                    : m.value?.text ?? null,
                  headers,
                },
              });
              showError(err, null);
              info.textContent = `Re-produced to partition ${r.partition} at offset ${r.offset}.`;
            } catch (e) {
              showError(err, e);
            }
          },
          disabled: m.value?.kind === "hex" || m.value?.truncated,
        }, "Re-produce this message"),
      ),
    );
  }

  const params = () => {
    const p = new URLSearchParams();
    if (partSel.value !== "") p.set("partition", partSel.value);
    p.set("start", startSel.value);
    if (startSel.value === "offset") p.set("offset", at.value.trim());
    if (startSel.value === "timestamp") p.set("timestamp", at.value.trim());
    p.set("max", max.value);
    if (q.value) p.set("q", q.value);
    if (js.value) p.set("filter", js.value);
    return p;
  };
  const browse = async () => {
    info.textContent = "Loading…";
    try {
      const r = await api(`/api/topics/${enc(topic)}/messages?${params()}`);
      list.set(r.messages);
      info.textContent = `${fmtInt(r.messages.length)} message(s), ${
        fmtInt(r.scanned)
      } scanned in ${r.elapsedMs} ms${r.partial ? " (stopped at the scan limit)" : ""}`;
      showError(err, null);
    } catch (e) {
      info.textContent = "";
      showError(err, e);
    }
  };
  const exportLink = h("a", {
    href: "#",
    onclick: (e) => (e.currentTarget.href = `/api/topics/${enc(topic)}/export?${params()}`),
    download: `${topic}.ndjson`,
  }, "Export NDJSON");
  const importFile = h("input", {
    type: "file",
    accept: ".ndjson,.jsonl,.json",
    "aria-label": "import file",
    onchange: async () => {
      const f = importFile.files[0];
      if (!f) return;
      try {
        const r = await api(`/api/topics/${enc(topic)}/import`, {
          method: "POST",
          body: await f.text(),
        });
        info.textContent = `Imported ${fmtInt(r.imported)} message(s).`;
        showError(err, null);
      } catch (e) {
        showError(err, e);
      }
      importFile.value = "";
    },
  });

  // Live tail over a WebSocket.
  let ws = null;
  let paused = false;
  let undrawn = 0;
  const liveInfo = h("span", { class: "muted", "data-test": "live-info" });
  const pauseBtn = h("button", {
    class: "secondary",
    disabled: true,
    onclick: () => {
      paused = !paused;
      ws?.send(JSON.stringify({ type: paused ? "pause" : "resume" }));
      pauseBtn.textContent = paused ? "Resume" : "Pause";
    },
  }, "Pause");
  const liveBtn = h("button", {
    class: "secondary",
    onclick: () => (ws ? stopLive() : startLive()),
  }, "Live tail");
  function startLive() {
    const p = new URLSearchParams();
    if (partSel.value !== "") p.set("partition", partSel.value);
    if (q.value) p.set("q", q.value);
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/api/topics/${enc(topic)}/live?${p}`);
    list.set([]);
    undrawn = 0;
    let count = 0;
    liveBtn.textContent = "Stop live tail";
    pauseBtn.disabled = false;
    liveInfo.textContent = "Live: connecting…";
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === "ready") liveInfo.textContent = "Live: waiting for new messages…";
      else if (f.type === "batch") {
        count += f.total;
        undrawn += f.skipped;
        list.push(f.messages);
        liveInfo.textContent = `Live: ${fmtInt(count)} new message(s)${
          undrawn ? `, ${fmtInt(undrawn)} not drawn (sampled)` : ""
        }`;
      } else if (f.type === "error") {
        liveInfo.textContent = `Live: broker unreachable (${f.error}); retrying`;
      } else if (f.type === "ok") {
        liveInfo.textContent = `Live: reconnected, ${fmtInt(count)} message(s)`;
      }
    };
    ws.onclose = () => {
      if (ws) stopLive();
    };
  }
  function stopLive() {
    const s = ws;
    ws = null;
    s?.close();
    paused = false;
    pauseBtn.textContent = "Pause";
    pauseBtn.disabled = true;
    liveBtn.textContent = "Live tail";
    liveInfo.textContent = "";
  }
  cleanups.push(() => stopLive());

  const produceForm = h(
    "form",
    {
      class: "bar",
      hidden: readOnly,
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const headers = produceHeaders.value.trim() ? JSON.parse(produceHeaders.value) : {};
          const r = await api(`/api/topics/${enc(topic)}/messages`, {
            method: "POST",
            json: { key: produceKey.value || null, value: produceValue.value, headers },
          });
          info.textContent = `Produced to partition ${r.partition} at offset ${r.offset}.`;
          showError(err, null);
        } catch (e2) {
          showError(err, e2);
        }
      },
    },
    h("label", {}, "Key", produceKey),
    h("label", {}, "Value", produceValue),
    h("label", {}, "Headers (JSON)", produceHeaders),
    h("button", { type: "submit" }, "Produce"),
  );
  const replayTarget = h("input", {
    placeholder: "source topic",
    value: topic.replace(/[-_.]?(dlq|dead-letter|errors?)$/i, ""),
    "aria-label": "replay target",
  });
  const replayForm = h(
    "form",
    {
      class: "bar",
      hidden: readOnly,
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const r = await api(`/api/topics/${enc(topic)}/replay`, {
            method: "POST",
            json: { target: replayTarget.value },
          });
          info.textContent = `Sent ${fmtInt(r.replayed)} message(s) to ${replayTarget.value}.`;
          showError(err, null);
        } catch (e2) {
          showError(err, e2);
        }
      },
    },
    h("label", {}, "Send every message of this topic to", replayTarget),
    h("button", { type: "submit", class: "secondary" }, "Replay (dead letters)"),
  );

  await browse();
  return h(
    "div",
    {},
    h("h1", {}, h("a", { href: "#/topics" }, "Topics"), " / ", topic),
    h(
      "p",
      { class: "muted" },
      `${detail.partitions} partition(s), ${fmtInt(detail.messages)} messages, cleanup ${
        detail.cleanupPolicy ?? "-"
      }, retention ${fmtMs(detail.retentionMs)}; offsets `,
      detail.partitionOffsets.map((p) =>
        h("span", { class: "pill" }, `[${p.partition}] ${p.low}…${p.high}`)
      ),
    ),
    h(
      "form",
      { class: "bar", onsubmit: (e) => (e.preventDefault(), browse()) },
      h("label", {}, "Partition", partSel),
      h("label", {}, "Start", startSel),
      h("label", {}, "At", at),
      h("label", {}, "Max", max),
      h("label", {}, "Text", q),
      h("label", {}, "Filter (JavaScript)", js),
      h("button", { type: "submit" }, "Browse"),
      liveBtn,
      pauseBtn,
      exportLink,
      readOnly ? "" : h("label", {}, "Import NDJSON", importFile),
    ),
    err,
    h("div", {}, info, " ", liveInfo),
    h("div", { class: "split" }, list.el, side),
    readOnly ? "" : h("h2", {}, "Produce"),
    produceForm,
    readOnly ? "" : h("h2", {}, "Dead letters"),
    replayForm,
  );
}

async function groupsView() {
  const err = errorBox();
  const table = h("div");
  const load = async () => {
    try {
      const gs = await api("/api/groups");
      table.replaceChildren(
        gs.length
          ? h(
            "table",
            {},
            h(
              "tr",
              {},
              h("th", {}, "Group"),
              h("th", {}, "State"),
              h("th", { class: "num" }, "Members"),
              h("th", { class: "num" }, "Lag"),
              h("th", { class: "num" }, "Lag (s)"),
              h("th", {}, "Status"),
            ),
            gs.map((g) =>
              h(
                "tr",
                { "data-group": g.group },
                h("td", {}, h("a", { href: `#/groups/${enc(g.group)}` }, g.group)),
                h("td", {}, g.state),
                h("td", { class: "num" }, g.members),
                h("td", { class: "num" }, fmtInt(g.totalLag)),
                h("td", { class: "num" }, fmtSecs(g.maxLagSeconds)),
                h("td", {}, status(g.status)),
              )
            ),
          )
          : h("p", { class: "muted" }, "No consumer groups."),
      );
      showError(err, null);
    } catch (e) {
      showError(err, e);
    }
  };
  await load();
  every(3000, load);
  return h("div", {}, h("h1", {}, "Consumer groups"), err, table);
}

async function groupView(group) {
  const err = errorBox();
  const body = h("div");
  const canvas = h("canvas", { class: "chart", style: "height:180px" });
  const lagHistory = [];
  const to = h(
    "select",
    { "aria-label": "reset to" },
    ["earliest", "latest", "timestamp", "offset"].map((s) => h("option", { value: s }, s)),
  );
  const value = h("input", {
    placeholder: "time (ISO / ms) or offset",
    "aria-label": "reset value",
  });
  const resetInfo = h("span", { class: "muted", "data-test": "reset-info" });
  const resetBtn = h("button", { type: "submit" }, "Reset offsets");
  const resetForm = h(
    "form",
    {
      class: "bar",
      hidden: readOnly,
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const json = { to: to.value };
          if (to.value === "timestamp") {
            json.timestamp = /^\d+$/.test(value.value) ? Number(value.value) : value.value;
          }
          if (to.value === "offset") json.offset = Number(value.value);
          const r = await api(`/api/groups/${enc(group)}/reset`, { method: "POST", json });
          resetInfo.textContent = "Reset: " +
            r.map((t) =>
              `${t.topic} ${t.partitions.map((p) => `[${p.partition}]=${p.offset}`).join(" ")}`
            ).join("; ");
          showError(err, null);
          await load();
        } catch (e2) {
          showError(err, e2);
        }
      },
    },
    h("label", {}, "To", to),
    h("label", {}, "Value", value),
    resetBtn,
    resetInfo,
  );
  const load = async () => {
    try {
      const g = await api(`/api/groups/${enc(group)}`);
      lagHistory.push({ t: Date.now(), v: g.totalLag });
      if (lagHistory.length > 300) lagHistory.shift();
      resetBtn.disabled = g.members.length > 0;
      resetBtn.title = g.members.length ? "Stop the group's consumers first" : "";
      body.replaceChildren(
        h(
          "p",
          {},
          "State ",
          h("b", { "data-test": "state" }, g.state),
          ", status ",
          status(g.status),
          `, total lag ${fmtInt(g.totalLag)}, max lag ${fmtSecs(g.maxLagSeconds)}`,
        ),
        h("h2", {}, "Members"),
        g.members.length
          ? h(
            "table",
            {},
            h(
              "tr",
              {},
              h("th", {}, "Client"),
              h("th", {}, "Host"),
              h("th", {}, "Member"),
              h("th", {}, "Assigned"),
            ),
            g.members.map((m) =>
              h(
                "tr",
                {},
                h("td", {}, m.clientId),
                h("td", {}, m.host),
                h("td", { class: "mono" }, m.memberId),
                h("td", {}, m.assignment.join(", ") || "-"),
              )
            ),
          )
          : h("p", { class: "muted" }, "No members: the group is empty, its offsets can be reset."),
        h("h2", {}, "Partitions"),
        h(
          "table",
          { "data-test": "partitions" },
          h(
            "tr",
            {},
            h("th", {}, "Topic"),
            h("th", { class: "num" }, "Partition"),
            h("th", { class: "num" }, "Committed"),
            h("th", { class: "num" }, "End"),
            h("th", { class: "num" }, "Lag"),
            h("th", { class: "num" }, "Lag (s)"),
            h("th", {}, "Status"),
            h("th", {}, "Consumer"),
          ),
          g.partitions.map((p) =>
            h(
              "tr",
              { "data-tp": `${p.topic}:${p.partition}` },
              h("td", {}, h("a", { href: `#/topics/${enc(p.topic)}` }, p.topic)),
              h("td", { class: "num" }, p.partition),
              h(
                "td",
                { class: "num", "data-test": "committed" },
                p.committed < 0 ? "-" : fmtInt(p.committed),
              ),
              h("td", { class: "num" }, fmtInt(p.end)),
              h("td", { class: "num", "data-test": "lag" }, fmtInt(p.lag)),
              h("td", {
                class: "num",
                "data-test": "lag-seconds",
                title: p.lagSeconds === null ? "" : `${p.lagSeconds.toFixed(3)} s`,
              }, fmtSecs(p.lagSeconds)),
              h("td", { title: p.reason }, status(p.status)),
              h("td", {}, p.consumer ?? "-"),
            )
          ),
        ),
      );
      drawChart(canvas, [{ name: "lag", color: COLORS[0], points: lagHistory }], 300_000);
      showError(err, null);
    } catch (e) {
      showError(err, e);
    }
  };
  await load();
  every(2000, load);
  return h(
    "div",
    {},
    h("h1", {}, h("a", { href: "#/groups" }, "Consumer groups"), " / ", group),
    err,
    body,
    h("h2", {}, "Total lag (messages, last 5 minutes)"),
    canvas,
    readOnly ? "" : h("h2", {}, "Reset offsets"),
    resetForm,
  );
}

async function pipelineView() {
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

async function chartsView() {
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
  cleanups.push(() => ws?.close());
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

// ---- router ----------------------------------------------------------------------------------

let routeSeq = 0;
async function route() {
  for (const c of cleanups) c();
  cleanups = [];
  const seq = ++routeSeq;
  const path = location.hash.replace(/^#/, "").split("?")[0] || "/";
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const nav = parts[0] ?? "overview";
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", a.dataset.nav === nav);
  }
  let view;
  try {
    if (!parts.length) view = await overviewView();
    else if (parts[0] === "topics" && parts[1]) view = await topicView(parts[1]);
    else if (parts[0] === "topics") view = await topicsView();
    else if (parts[0] === "groups" && parts[1]) view = await groupView(parts[1]);
    else if (parts[0] === "groups") view = await groupsView();
    else if (parts[0] === "pipeline") view = await pipelineView();
    else if (parts[0] === "charts") view = await chartsView();
    else view = h("p", {}, "No such page. ", h("a", { href: "#/" }, "Overview"));
  } catch (e) {
    view = h("div", { class: "error" }, String(e.message ?? e));
  }
  if (seq === routeSeq) main.replaceChildren(view);
}

globalThis.addEventListener("hashchange", route);
await checkHealth();
setInterval(checkHealth, 2000);
route();
