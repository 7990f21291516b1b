/**
 * train (episode 4): trains activity models from the `features` and `labels` topics and
 * publishes them, versioned, to the compacted `models` topic with a deployment that makes them
 * serve. It trains once enough labelled windows are there, then after every `retrainAfter` more.
 *
 * One kind serves alone; two or more kinds (`kinds: softmax,random-forest`) start an A/B test
 * split by `weights`; `shadow` kinds are scored on every input but never served.
 * `sa ml train` does the same once, from a recording file or the topics.
 *
 * @module
 */
import { commaList, defineApp, runTrainService } from "@sa/toolkit";

function numbers(name: string, value: string | undefined): number[] | undefined {
  const list = commaList(value);
  if (list.length === 0) return undefined;
  const out = list.map(Number);
  if (!out.every((n) => Number.isFinite(n) && n > 0)) {
    throw new Error(
      `variable ${name} must be positive numbers separated by commas, not "${value}"`,
    );
  }
  return out;
}

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`variable ${name} must be a whole number >= 0, not "${value}"`);
  }
  return n;
}

export default defineApp({
  name: "train",
  description: "Trains activity models on labelled feature windows and publishes them to models",
  variables: [
    { name: "features", inputType: "InputTopic", defaultValue: "features", required: true },
    { name: "labels", inputType: "InputTopic", defaultValue: "labels", required: true },
    { name: "models", inputType: "OutputTopic", defaultValue: "models", required: true },
    { name: "model", inputType: "FreeText", description: "Model name", defaultValue: "activity" },
    {
      name: "kinds",
      inputType: "FreeText",
      description: "Served kinds: softmax, random-forest, decision-tree (two or more: A/B)",
      defaultValue: "softmax",
    },
    { name: "weights", inputType: "FreeText", description: "A/B weights, one per kind" },
    { name: "shadow", inputType: "FreeText", description: "Kinds scored in shadow mode" },
    { name: "seed", inputType: "FreeText", defaultValue: "1" },
    {
      name: "minWindows",
      inputType: "FreeText",
      description: "Labelled windows needed before the first training",
      defaultValue: "200",
    },
    {
      name: "retrainAfter",
      inputType: "FreeText",
      description: "Retrain after this many more labelled windows (0: once)",
      defaultValue: "0",
    },
  ],
  async main(vars, signal) {
    const kinds = commaList(vars.kinds);
    const n = await runTrainService({
      featuresTopic: vars.features!,
      labelsTopic: vars.labels!,
      modelsTopic: vars.models!,
      plan: {
        name: vars.model ?? "activity",
        kinds: kinds.length ? kinds : ["softmax"],
        weights: numbers("weights", vars.weights),
        shadowKinds: commaList(vars.shadow),
        seed: count("seed", vars.seed, 1),
      },
      minWindows: count("minWindows", vars.minWindows, 200),
      retrainAfter: count("retrainAfter", vars.retrainAfter, 0),
      signal,
    });
    console.log(`train: stopped after ${n} training(s)`);
  },
});
