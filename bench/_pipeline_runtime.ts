/**
 * The runtime contender of `bench/pipeline.ts`, as its own process: normalize on
 * `Application` (no printing: the hand-written loops do not print either), at-least-once or
 * exactly-once, until SIGTERM.
 *
 * Usage: deno run -A _pipeline_runtime.ts <at-least-once|exactly-once> <broker> <group>
 *          <input> <output>
 *
 * It imports only the public API and `apps/normalize.ts`, so a baseline tree (an older
 * commit, see `--baseline-ref`) runs this same file against its own runtime.
 *
 * @module
 */
import { Application } from "../mod.ts";
import { normalize, type SensorMessage } from "../apps/normalize.ts";

/** Checkpoint period of every contender: the runtime's default commitInterval. */
export const COMMIT_INTERVAL_MS = 5000;

if (import.meta.main) {
  const [guarantee, address, group, input, output] = Deno.args;
  if (guarantee !== "at-least-once" && guarantee !== "exactly-once") {
    console.error(`_pipeline_runtime.ts: unknown processing guarantee "${guarantee}"`);
    Deno.exit(2);
  }
  const ctl = new AbortController();
  Deno.addSignalListener("SIGTERM", () => ctl.abort());
  const app = new Application({
    brokerAddress: address,
    consumerGroup: group,
    autoOffsetReset: "earliest",
    commitInterval: COMMIT_INTERVAL_MS,
    processingGuarantee: guarantee,
    handleSignals: false,
    logLevel: "WARN",
  });
  normalize(app.dataframe(app.topic<SensorMessage>(input))).toTopic(app.topic(output));
  console.log("ready");
  await app.run({ signal: ctl.signal });
  Deno.exit(0);
}
