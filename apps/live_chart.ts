/**
 * live_chart (episode 3, WebSocket consumption): serves a page drawing `table-data` as it
 * arrives, and the WebSocket/SSE endpoints it reads (`/topics/<topic>`). It consumes no
 * group: every browser has its own cursor, and a reconnect resumes where it left off.
 *
 * Open http://127.0.0.1:8090/ (or `SA_HTTP_PORT`) while the pipeline runs.
 *
 * @module
 */
import { defineApp, liveChartPage, TopicStreams } from "@sa/toolkit";

export default defineApp({
  name: "live_chart",
  description: "A live chart of a topic in the browser, over WebSocket",
  variables: [
    {
      name: "input",
      inputType: "InputTopic",
      description: "Topic to draw",
      defaultValue: "table-data",
      required: true,
    },
    {
      name: "SA_HTTP_PORT",
      inputType: "FreeText",
      description: "Port of the page (127.0.0.1)",
      defaultValue: "8090",
      required: true,
    },
  ],
  async main(vars, signal) {
    const broker = Deno.env.get("SA_BROKER") ?? "127.0.0.1:19092";
    const streams = new TopicStreams({ brokers: broker.split(","), topics: [vars.input!] });
    const page = liveChartPage({ topic: vars.input!, title: "Live chart" });
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: Number(vars.SA_HTTP_PORT),
      signal,
      onListen: (a) => console.log(`live chart on http://127.0.0.1:${a.port}/`),
    }, (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/") {
        return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      if (path.startsWith("/topics/")) return streams.handle(req);
      return new Response("not found\n", { status: 404 });
    });
    signal.addEventListener("abort", () => streams.close(), { once: true });
    await server.finished;
  },
});
