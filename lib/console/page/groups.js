// The Consumer groups pages: the list; one group with members, lag, a lag chart and reset.
import {
  api,
  COLORS,
  drawChart,
  enc,
  errorBox,
  every,
  fmtInt,
  fmtSecs,
  h,
  showError,
  state,
  status,
  table,
} from "./dom.js";

/** The groups with their state, lag and status (also on the Overview page). */
export function groupsTable(gs) {
  if (!gs.length) return h("p", { class: "muted" }, "No consumer groups.");
  return table(
    [["Group"], ["State"], ["Members", "num"], ["Lag", "num"], ["Lag (s)", "num"], ["Status"]],
    gs,
    (g) =>
      h(
        "tr",
        { "data-group": g.group },
        h("td", {}, h("a", { href: `#/groups/${enc(g.group)}` }, g.group)),
        h("td", {}, g.state),
        h("td", { class: "num" }, g.members),
        h("td", { class: "num" }, fmtInt(g.totalLag)),
        h("td", { class: "num" }, fmtSecs(g.maxLagSeconds)),
        h("td", {}, status(g.status)),
      ),
  );
}

export async function groupsView() {
  const err = errorBox();
  const list = h("div");
  const load = async () => {
    try {
      const gs = await api("/api/groups");
      list.replaceChildren(groupsTable(gs));
      showError(err, null);
    } catch (e) {
      showError(err, e);
    }
  };
  await load();
  every(3000, load);
  return h("div", {}, h("h1", {}, "Consumer groups"), err, list);
}

export async function groupView(group) {
  const err = errorBox();
  const body = h("div");
  const canvas = h("canvas", { class: "chart", style: "height:180px", "data-test": "lag-chart" });
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
      hidden: state.readOnly,
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
      // The server samples every group's lag while it runs: the chart starts with its last
      // hour, then asks only for points newer than the last one it has.
      const since = lagHistory.length ? lagHistory[lagHistory.length - 1].t : -1;
      const [g, hist] = await Promise.all([
        api(`/api/groups/${enc(group)}`),
        api(`/api/groups/${enc(group)}/lag-history${since < 0 ? "" : `?since=${since}`}`),
      ]);
      lagHistory.push(...hist.points.map((p) => ({ t: p.t, v: p.lag })));
      while (lagHistory.length && lagHistory[0].t < Date.now() - hist.windowMs) lagHistory.shift();
      canvas.dataset.points = String(lagHistory.length);
      canvas.dataset.first = String(lagHistory[0]?.t ?? "");
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
          ? table(
            [["Client"], ["Host"], ["Member"], ["Assigned"]],
            g.members,
            (m) =>
              h(
                "tr",
                {},
                h("td", {}, m.clientId),
                h("td", {}, m.host),
                h("td", { class: "mono" }, m.memberId),
                h("td", {}, m.assignment.join(", ") || "-"),
              ),
          )
          : h("p", { class: "muted" }, "No members: the group is empty, its offsets can be reset."),
        h("h2", {}, "Partitions"),
        table(
          [
            ["Topic"],
            ["Partition", "num"],
            ["Committed", "num"],
            ["End", "num"],
            ["Lag", "num"],
            ["Lag (s)", "num"],
            ["Status"],
            ["Consumer"],
          ],
          g.partitions,
          (p) =>
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
            ),
          { "data-test": "partitions" },
        ),
      );
      const draw = () =>
        drawChart(canvas, [{ name: "lag", color: COLORS[0], points: lagHistory }], hist.windowMs);
      // The first load runs before the view is in the page, when the canvas has no size yet.
      if (canvas.isConnected) draw();
      else requestAnimationFrame(draw);
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
    h("h2", {}, "Total lag (messages, sampled by the console over the last hour)"),
    canvas,
    state.readOnly ? "" : h("h2", {}, "Reset offsets"),
    resetForm,
  );
}
