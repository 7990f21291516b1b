// The train app's loop and `sa ml train` from the topics, on the embedded broker.
import assert from "node:assert/strict";
import { runTrainService } from "../../lib/ml/train_service.ts";
import { readModels } from "../../lib/ml/models_topic.ts";
import { command as ml } from "../../lib/cli/ml.ts";
import { kafka, tempBroker } from "../apps/_helpers.ts";
import { runCommand } from "../cli/_helpers.ts";
import { activityData } from "./_data.ts";

Deno.test("train service: trains once enough labelled windows are in, then after N more", async () => {
  const broker = await tempBroker();
  const dir = await Deno.makeTempDir({ prefix: "sa-ml-train-" });
  const stop = new AbortController();
  try {
    const k = kafka(broker.address);
    const producer = k.producer();
    await producer.connect();
    const { features, segments } = activityData();
    const send = (topic: string, values: unknown[]) =>
      producer.send({ topic, messages: values.map((v) => ({ value: JSON.stringify(v) })) });
    // All labels, and the first 300 feature windows: under minWindows labelled ones at first.
    await send("labels", segments);
    await send("features", features.slice(0, 300));
    const lines: string[] = [];
    const service = runTrainService({
      brokerAddress: broker.address,
      featuresTopic: "features",
      labelsTopic: "labels",
      modelsTopic: "models",
      plan: { name: "activity", kinds: ["softmax"], seed: 1 },
      minWindows: 400,
      retrainAfter: 150,
      checkEveryMs: 100,
      signal: stop.signal,
      log: (l) => lines.push(l),
    });
    const published = () => lines.filter((l) => l.startsWith("train: published"));
    const until = async (n: number) => {
      const end = Date.now() + 30_000;
      while (published().length < n) {
        if (Date.now() > end) throw new Error(`timed out: ${lines.join("\n")}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(published().length, 0, "not enough labelled windows yet");
    await send("features", features.slice(300, 550));
    await until(1);
    assert.match(
      published()[0],
      /^train: published v1 to models and deployed them \(\d+ windows\)$/,
    );
    await send("features", features.slice(550));
    await until(2);
    assert.match(published()[1], /^train: published v2 /);
    stop.abort();
    assert.equal(await service, 2);
    const state = await readModels(k, "models", "activity");
    assert.deepEqual([...state.models.keys()], [1, 2]);
    assert.equal(state.deployment?.default, 2);
    assert.ok(state.models.get(2)!.data.windows > state.models.get(1)!.data.windows);
    assert.match(state.models.get(2)!.data.source, /^topics features \+ labels$/);
    // `sa ml train` from the same topics (no --file), publishing the model only.
    const r = await runCommand(ml, ["train", "--broker", broker.address, "--no-deploy"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^\d+ labelled windows from topics features \+ labels/);
    assert.match(r.stdout, /^activity v3 \(softmax, seed 1\)/);
    assert.match(r.stderr, /published activity@3 to models \(not deployed\)/);
    const after = await readModels(k, "models", "activity");
    assert.equal(after.deployment?.default, 2, "--no-deploy leaves the deployment alone");
    await producer.disconnect();
  } finally {
    stop.abort();
    await broker.close();
    await Deno.remove(dir, { recursive: true });
  }
});
