// The sa console page: plain modern JS modules, no framework. Every view is a client of the JSON API
// (docs/http-api.md); charts are hand-drawn SVG and canvas.

import { h, state } from "./dom.js";
import { overviewView } from "./overview.js";
import { topicsView } from "./topics.js";
import { topicView } from "./messages.js";
import { groupsView, groupView } from "./groups.js";
import { pipelineView } from "./pipeline.js";
import { chartsView } from "./charts.js";

const main = document.getElementById("main");
const banner = document.getElementById("banner");

// ---- health banner ---------------------------------------------------------------------------

async function checkHealth() {
  try {
    const res = await fetch("/api/health");
    const hb = await res.json();
    if (!res.ok) throw new Error(hb.error);
    state.readOnly = hb.readOnly;
    document.getElementById("mode").textContent = state.readOnly ? "read-only" : "";
    document.body.classList.toggle("ro", state.readOnly);
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

// ---- router ----------------------------------------------------------------------------------

let routeSeq = 0;
async function route() {
  for (const c of state.cleanups) c();
  state.cleanups = [];
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
document.getElementById("mode").textContent = state.readOnly ? "read-only" : "";
route();
checkHealth();
setInterval(checkHealth, 2000);
