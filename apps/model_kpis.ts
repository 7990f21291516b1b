/**
 * model_kpis (episode 4): the model KPIs per variant, every `interval` seconds to `model-kpis`
 * and on `http://127.0.0.1:<port>/metrics` (Prometheus text): prediction latency, class mix,
 * feature drift (PSI of the last 300 feature windows against the variant's training windows,
 * alarm above 0.25) and test-then-train accuracy against the labels that arrive later.
 * Counts are since the app started.
 *
 * @module
 */
import {
  Application,
  defineApp,
  kpiLine,
  kpiService,
  ModelRegistry,
  watchModels,
} from "@sa/toolkit";

export default defineApp({
  name: "model_kpis",
  description: "Model KPIs per variant: latency, class mix, drift, delayed-label accuracy",
  variables: [
    { name: "predictions", inputType: "InputTopic", defaultValue: "predictions", required: true },
    { name: "shadow", inputType: "InputTopic", defaultValue: "predictions-shadow", required: true },
    { name: "labels", inputType: "InputTopic", defaultValue: "labels", required: true },
    { name: "features", inputType: "InputTopic", defaultValue: "features", required: true },
    { name: "models", inputType: "InputTopic", defaultValue: "models", required: true },
    { name: "output", inputType: "OutputTopic", defaultValue: "model-kpis", required: true },
    { name: "model", inputType: "FreeText", defaultValue: "activity" },
    {
      name: "interval",
      inputType: "FreeText",
      description: "Seconds per KPI record",
      defaultValue: "10",
    },
    {
      name: "port",
      inputType: "FreeText",
      description: "/metrics port (0: none)",
      defaultValue: "9464",
    },
  ],
  async main(vars, signal) {
    const interval = Number(vars.interval ?? "10");
    const port = Number(vars.port ?? "0");
    if (!(interval > 0)) {
      throw new Error(`variable interval must be seconds > 0, not "${vars.interval}"`);
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`variable port must be a port number (0: none), not "${vars.port}"`);
    }
    const app = new Application({
      consumerGroup: "model-kpis",
      autoOffsetReset: "earliest",
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    });
    const registry = new ModelRegistry(vars.model ?? "activity", () => {});
    const watch = await watchModels(app.brokerAddress, vars.models!, registry);
    const kpis = await kpiService(app, {
      predictions: vars.predictions!,
      shadow: vars.shadow!,
      labels: vars.labels!,
      features: vars.features!,
      kpis: vars.output!,
    }, registry);
    const server = port
      ? Deno.serve(
        { hostname: "127.0.0.1", port, signal, onListen: () => {} },
        (req) =>
          new URL(req.url).pathname === "/metrics"
            ? new Response(kpis.metrics(), {
              headers: { "content-type": "text/plain; version=0.0.4" },
            })
            : new Response("see /metrics\n", { status: 404 }),
      )
      : undefined;
    if (server) console.log(`model_kpis: metrics on http://127.0.0.1:${port}/metrics`);
    const timer = setInterval(() => {
      kpis.publish().then((records) => records.forEach((r) => console.log(kpiLine(r))))
        .catch((e) => console.error(`model_kpis: publishing failed: ${(e as Error).message}`));
    }, interval * 1000);
    try {
      await app.run({ signal });
    } finally {
      clearInterval(timer);
      await server?.finished;
      await kpis.close();
      await watch.stop();
    }
  },
});
