/**
 * The runtime without Kafka, for `bench/pipeline.ts`: the demo messages as bytes in memory go
 * through what the run loop does per message, minus the client (key and value deserialized
 * by the topic, the compiled normalize pipeline, key and value serialized for each output
 * row). Set against the work-alone floor, it isolates lib/stream's own cost from the Kafka
 * client's. Best of `passes`, by CPU time (all threads, as the contenders' figures); prints
 * one JSON line: {usPerMsg, rows}.
 *
 * Usage: deno run -A _pipeline_inprocess.ts <messages> <passes>
 *
 * Uses `sdf.registry` and `registry.compile` (internal), so a baseline tree (see
 * `--baseline-ref`) runs this same file against its own runtime.
 *
 * @module
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { demoLines } from "./_pipeline_data.ts";
import { Application } from "../mod.ts";
import { normalize, type SensorMessage } from "../apps/normalize.ts";
import { Logger } from "../lib/util/log.ts";
import type { Runtime } from "../lib/stream/dataframe/_pipeline.ts";
import type { Topic } from "../lib/stream/topic.ts";

if (import.meta.main) {
  const [messages, passes] = Deno.args.map(Number);
  const text = (await demoLines(fileURLToPath(new URL("../", import.meta.url)))).join("\n");
  const enc = new TextEncoder();
  const lines = text.split("\n").filter((l) => l.trim()).map((l) => enc.encode(l));
  const raw: Uint8Array[] = [];
  while (raw.length < messages) raw.push(...lines);
  raw.length = messages;
  const app = new Application({
    brokerAddress: "127.0.0.1:9",
    consumerGroup: "bench-inprocess",
    handleSignals: false,
    logLevel: "WARN",
  });
  const input = app.topic<SensorMessage>("in");
  const sdf = app.dataframe(input);
  normalize(sdf).toTopic(app.topic("out"));
  let rows = 0;
  const rt = {
    ctx: { topic: "in", partition: 0, offset: 0, timestamp: 0, currentKey: null },
    output: {
      produce(topic: Topic, value: unknown, key: unknown) {
        rows++;
        topic.serializeValue(value);
        topic.serializeKey(key);
      },
    },
    sinks: new Set(),
    timers: [],
    logger: new Logger("bench", "WARN"),
    stdout: () => {},
    isTerminal: false,
  } as unknown as Runtime;
  const emit = sdf.registry.compile(rt).get("in")!;
  const key = enc.encode("demo_stream.json");
  let best = Infinity;
  for (let p = 0; p < passes; p++) {
    rows = 0;
    const t0 = process.cpuUsage();
    for (let i = 0; i < raw.length; i++) {
      emit(input.deserializeValue(raw[i]), input.deserializeKey(key), i, {});
    }
    const used = process.cpuUsage(t0);
    best = Math.min(best, (used.user + used.system) / raw.length);
  }
  console.log(JSON.stringify({ usPerMsg: best, rows }));
  Deno.exit(0);
}
