import { assertEquals } from "../_assert.ts";
import type { Producer as KafkaProducer } from "kafkajs";
import { SourceRunner } from "../../../lib/stream/sources/_runner.ts";
import { Topic } from "../../../lib/stream/topic.ts";
import { Logger } from "../../../lib/util/log.ts";

Deno.test("source runner: the final checkpoint saves values set while a checkpoint was running", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sa-runner-" });
  try {
    // A producer whose requests are acknowledged only when the test says so.
    const pending: Array<() => void> = [];
    const producer = {
      sendBatch: () => new Promise<void>((resolve) => pending.push(resolve)),
    } as unknown as KafkaProducer;
    let running!: Promise<void>;
    const runner = new SourceRunner([{
      topic: new Topic("t"),
      source: {
        name: "s",
        async run(ctx) {
          const sent = ctx.produce({ value: "a" });
          ctx.state.set("n", 1);
          running = ctx.checkpoint(); // waits for the ack of "a"
          ctx.state.set("n", 2); // after that checkpoint's snapshot
          await sent;
        },
      },
    }], {
      logger: new Logger("test", "SILENT"),
      stateDir: dir,
      checkpointMs: 3_600_000,
      onFatal: (e) => {
        throw e;
      },
    });
    await runner.start(producer);
    await new Promise((r) => setTimeout(r, 10));
    const stopped = runner.stop();
    while (pending.length) pending.shift()!();
    await running;
    await stopped;
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/s.json`)), { n: 2 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
