// The Topics page: the list, create, delete after a confirmation.
import {
  api,
  enc,
  errorBox,
  fmtBytes,
  fmtInt,
  fmtMs,
  fmtRate,
  h,
  showError,
  state,
} from "./dom.js";

export async function topicsView() {
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
      hidden: state.readOnly,
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
            hidden: state.readOnly,
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
            t.bytesOnDisk === null
              ? h("td", {
                class: "num",
                "data-test": "bytes",
                title: "The broker does not report its log dirs (DescribeLogDirs, API 35)",
              }, "—")
              : h("td", {
                class: "num",
                "data-test": "bytes",
                title: `${fmtInt(t.bytesOnDisk)} bytes`,
              }, fmtBytes(t.bytesOnDisk)),
            h("td", {}, t.cleanupPolicy ?? "-"),
            h("td", {}, fmtMs(t.retentionMs)),
            h("td", { class: "num" }, fmtRate(t.inRate)),
            h("td", { class: "num", "data-test": "out" }, fmtRate(t.outRate)),
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
          h(
            "th",
            { class: "num", title: "Log segments on disk, every replica counted" },
            "On disk",
          ),
          h("th", {}, "Cleanup"),
          h("th", {}, "Retention"),
          h("th", { class: "num" }, "In"),
          h("th", { class: "num" }, "Out"),
          h("th", {}),
        ),
      ),
      tbody,
    ),
  );
}
