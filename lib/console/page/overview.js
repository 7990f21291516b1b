// The Overview page: broker, counts, rates with sparklines, groups, sa up deployments.
import {
  api,
  errorBox,
  every,
  fmtInt,
  fmtRate,
  h,
  localTime,
  showError,
  sparkline,
  table,
} from "./dom.js";
import { groupsTable } from "./groups.js";

export async function overviewView() {
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
              { "data-test": "broker-version", title: o.broker.version?.detail ?? "" },
              o.broker.version
                ? `${o.broker.version.text}${o.broker.version.inferred ? " (inferred)" : ""}`
                : "version unknown",
            ),
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
        groupsTable(o.groups),
        h("h2", {}, "Deployments (sa up)"),
        o.deployments.length
          ? table(
            [["App"], ["State"], ["Restarts", "num"], ["Since"], ["Last error"]],
            o.deployments,
            (d) =>
              h(
                "tr",
                {},
                h("td", {}, d.name),
                h("td", {}, d.state),
                h("td", { class: "num" }, d.restarts),
                h("td", {}, localTime(Date.parse(d.since))),
                h("td", { class: "muted" }, d.lastError ?? ""),
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
