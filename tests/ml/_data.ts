// Shared test data: the generated activity recording's features, computed once per process.
import { generateActivityStream, toJsonLines } from "../../scripts/gen_demo_stream.ts";
import { labelledExamples, recordingFeatures } from "../../lib/ml/dataset.ts";
import { FEATURE_NAMES } from "../../lib/ml/features.ts";
import { trainModel } from "../../lib/ml/training.ts";
import type { ModelRecord } from "../../lib/ml/model_record.ts";
import { loadClassifierKinds } from "../../lib/ml/classifier.ts";

await loadClassifierKinds();

let cached: ReturnType<typeof build> | undefined;
let base: ModelRecord | undefined;

function build() {
  const text = toJsonLines(generateActivityStream());
  const { features, segments } = recordingFeatures(text, "activity_stream.json");
  const examples = labelledExamples(features, segments, FEATURE_NAMES);
  return { text, features, segments, examples };
}

/** Features, segments and labelled examples of the default activity recording. */
export function activityData(): ReturnType<typeof build> {
  return cached ??= build();
}

/** A softmax model record of the given version (same parameters for every version). */
export function modelRecord(version: number): ModelRecord {
  base ??= trainModel(activityData().examples, { version: 1, source: "test", seed: 1 });
  return structuredClone({ ...base, version });
}
