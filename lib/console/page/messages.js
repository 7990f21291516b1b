// A topic's page: browse (virtualised list), message detail with a JSON tree, live tail,
// export/import, produce, re-produce, dead-letter replay.
import { api, enc, errorBox, fmtInt, fmtMs, h, localTime, showError, state } from "./dom.js";

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

export async function topicView(topic) {
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
      state.readOnly ? "" : h(
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
    if (js.value) p.set("filter", js.value);
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/api/topics/${enc(topic)}/live?${p}`);
    list.set([]);
    undrawn = 0;
    let count = 0;
    liveBtn.textContent = "Stop live tail";
    pauseBtn.disabled = false;
    liveInfo.textContent = "Live: connecting…";
    showError(err, null);
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
      } else if (f.type === "error" && f.fatal) {
        // The predicate failed: the server ended this tail; say why where errors are shown.
        stopLive();
        // Said twice: in the error box (which a browse may clear) and beside the button.
        showError(err, `Live tail stopped: ${f.error}`);
        liveInfo.textContent = `Live tail stopped: ${f.error}`;
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
  state.cleanups.push(() => stopLive());

  const produceForm = h(
    "form",
    {
      class: "bar",
      hidden: state.readOnly,
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
      hidden: state.readOnly,
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
      state.readOnly ? "" : h("label", {}, "Import NDJSON", importFile),
    ),
    err,
    h("div", {}, info, " ", liveInfo),
    h("div", { class: "split" }, list.el, side),
    state.readOnly ? "" : h("h2", {}, "Produce"),
    produceForm,
    state.readOnly ? "" : h("h2", {}, "Dead letters"),
    replayForm,
  );
}
