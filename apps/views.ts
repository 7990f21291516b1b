/**
 * views (episode 3, in-memory views): materialises the downsampled 10 s rows as two views
 * served over HTTP while the pipeline runs:
 *
 * - `latest`: the last 10 s summary per session (`GET /views/latest/<sessionId>`);
 * - `history`: the last 60 windows per session (`GET /views/history/<sessionId>`).
 *
 * `GET /views/latest?prefix=&limit=` lists sessions; `?watch` subscribes (snapshot, then
 * changes); `minPosition=` gives read-your-writes. `/metrics` has the app's metrics.
 * See docs/streaming-http.md.
 *
 * @module
 */
import { Application, defineApp } from "@sa/toolkit";
import type { DownsampledRow } from "./downsampling.ts";

export default defineApp({
  name: "views",
  description: "Latest and recent 10 s summaries per session, queryable over HTTP",
  variables: [
    {
      name: "input",
      inputType: "InputTopic",
      description: "Topic with the 10 s rows (downsampling's output)",
      defaultValue: "downsampled",
      required: true,
    },
    {
      name: "SA_HTTP_PORT",
      inputType: "FreeText",
      description: "Port of the HTTP server (127.0.0.1)",
      defaultValue: "8091",
      required: true,
    },
  ],
  async main(vars, signal) {
    const app = new Application({
      consumerGroup: "views",
      autoOffsetReset: "earliest",
      http: { port: Number(vars.SA_HTTP_PORT) },
    });
    const rows = app.dataframe(app.topic<DownsampledRow>(vars.input!));
    rows.toView("latest");
    rows.toView("history", { windowed: true, windows: 60 });
    await app.run({ signal });
  },
});
