/**
 * inference (episode 4): scores each feature window with the model serving now and writes the
 * prediction, with its model version and latency, to `predictions`; a served `shaking` raises an
 * alert on `alerts`. The `models` topic is read from its start and followed: a new version or
 * deployment swaps in between two inputs, without a restart or a pause. With an A/B deployment
 * each device is served by its variant (sticky hash split); shadow models score every window
 * to `predictions-shadow`, never to `predictions`. A corrupt or incompatible model record is
 * refused (logged with its offset) and the serving model stays.
 *
 * @module
 */
import {
  type Alert,
  Application,
  defineApp,
  type FeatureRow,
  inference,
  ModelRegistry,
  type Prediction,
  watchModels,
} from "@sa/toolkit";

export default defineApp({
  name: "inference",
  description: "Predicts the activity of each feature window with the served model(s)",
  variables: [
    { name: "features", inputType: "InputTopic", defaultValue: "features", required: true },
    { name: "models", inputType: "InputTopic", defaultValue: "models", required: true },
    {
      name: "predictions",
      inputType: "OutputTopic",
      defaultValue: "predictions",
      required: true,
    },
    {
      name: "shadow",
      inputType: "OutputTopic",
      description: "Topic of shadow predictions (never served)",
      defaultValue: "predictions-shadow",
      required: true,
    },
    { name: "alerts", inputType: "OutputTopic", defaultValue: "alerts", required: true },
    { name: "model", inputType: "FreeText", description: "Model name", defaultValue: "activity" },
  ],
  async main(vars, signal) {
    const app = new Application({
      consumerGroup: "inference",
      autoOffsetReset: "earliest",
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    });
    const registry = new ModelRegistry(vars.model ?? "activity");
    const watch = await watchModels(app.brokerAddress, vars.models!, registry);
    try {
      const out = inference(app.dataframe(app.topic<FeatureRow>(vars.features!)), registry);
      out.served.toTopic(app.topic<Prediction>(vars.predictions!), { key: (p) => p.deviceId });
      out.shadow.toTopic(app.topic<Prediction>(vars.shadow!), { key: (p) => p.deviceId });
      // One log line per shake (consecutive windows overlap); every window is an alert record.
      const lastAlertEnd = new Map<string, number>();
      out.alerts
        .update((a) => {
          const last = lastAlertEnd.get(a.deviceId);
          lastAlertEnd.set(a.deviceId, a.end);
          if (last === undefined || a.start >= last) {
            console.log(
              `ALERT shake on ${a.deviceId} at ${new Date(a.start).toISOString()} (v${a.version})`,
            );
          }
        })
        .toTopic(app.topic<Alert>(vars.alerts!), { key: (a) => a.deviceId });
      await app.run({ signal });
    } finally {
      await watch.stop();
    }
  },
});
