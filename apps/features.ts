/**
 * features (episode 4): raw Sensor Logger messages → per-device feature windows on `features`
 * (2 s hopping windows every 1 s: mean, std, min, max and zero-crossing rate of each axis and
 * of the magnitude) and the activity labels the user tapped (`annotation` readings) as closed
 * segments on `labels`. Training and inference both use these rows, so they cannot disagree.
 *
 * @module
 */
import {
  activityFeatures,
  Application,
  defineApp,
  deviceReadings,
  type FeatureRow,
  type LabelSegment,
  labelSegments,
  type SensorLoggerMessage,
} from "@sa/toolkit";

export default defineApp({
  name: "features",
  description:
    "Turns phone accelerometer readings into 2 s feature windows, and annotations into labels",
  variables: [
    {
      name: "input",
      inputType: "InputTopic",
      description: "Topic with the raw phone messages",
      defaultValue: "raw-activity",
      required: true,
    },
    {
      name: "features",
      inputType: "OutputTopic",
      description: "Topic the feature windows are written to",
      defaultValue: "features",
      required: true,
    },
    {
      name: "labels",
      inputType: "OutputTopic",
      description: "Topic the label segments are written to",
      defaultValue: "labels",
      required: true,
    },
  ],
  async main(vars, signal) {
    const app = new Application({
      consumerGroup: "features",
      autoOffsetReset: "earliest",
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    });
    const readings = deviceReadings(app.dataframe(app.topic<SensorLoggerMessage>(vars.input!)));
    activityFeatures(readings).toTopic(app.topic<FeatureRow>(vars.features!), {
      key: (f) => f.deviceId,
    });
    labelSegments(readings).toTopic(app.topic<LabelSegment>(vars.labels!), {
      key: (s) => s.deviceId,
    });
    await app.run({ signal });
  },
});
