import { assert, assertEquals, assertRejects } from "./_assert.ts";
import {
  Checkpoint,
  type CheckpointParticipants,
  type Position,
} from "../../lib/stream/checkpoint/checkpoint.ts";
import { Logger } from "../../lib/util/log.ts";

const logger = new Logger("test", "SILENT");

function participants(
  log: string[],
  opts: { failFlush?: boolean; refuse?: boolean } = {},
): CheckpointParticipants {
  return {
    sinks: [{ add() {}, flush: () => void log.push("sink") }],
    state: {
      prepareCheckpoint: () => Promise.resolve(void log.push("changelog")),
      flush: (c) => Promise.resolve(void log.push(`state ${[...c].join(",")}`)),
    },
    flushProducer: () => {
      log.push("producer");
      return opts.failFlush ? Promise.reject(new Error("not acked")) : Promise.resolve();
    },
    commitOffsets: (ps: Position[]) => {
      log.push(`commit ${ps.map((p) => `${p.topic}:${p.partition}=${p.offset}`).join(",")}`);
      return Promise.resolve(!opts.refuse);
    },
  };
}

Deno.test("checkpoint commits in order: sinks, changelog, producer, offsets, state", async () => {
  const cp = new Checkpoint(5000, 0);
  cp.record("in", 0, 10);
  cp.record("in", 0, 11);
  cp.record("in", 1, 3);
  const log: string[] = [];
  await cp.commit(participants(log), logger);
  assertEquals(log, [
    "sink",
    "changelog",
    "producer",
    "commit in:0=12,in:1=4",
    "state in:0,12,in:1,4",
  ]);
  assertEquals(cp.processed, 0);
});

Deno.test("offsets are not committed when the producer flush fails", async () => {
  const cp = new Checkpoint(5000, 0);
  cp.record("in", 0, 1);
  const log: string[] = [];
  await assertRejects(
    () => cp.commit(participants(log, { failFlush: true }), logger),
    Error,
    "not acked",
  );
  assert(!log.some((l) => l.startsWith("commit")), log.join("|"));
  // The positions are kept for the next attempt.
  const log2: string[] = [];
  await cp.commit(participants(log2), logger);
  assert(log2.includes("commit in:0=2"), log2.join("|"));
});

Deno.test("a refused commit skips the local state flush", async () => {
  const cp = new Checkpoint(5000, 0);
  cp.record("in", 0, 1);
  const log: string[] = [];
  await cp.commit(participants(log, { refuse: true }), logger);
  assertEquals(log, ["sink", "changelog", "producer", "commit in:0=2"]);
});

Deno.test("due by interval or by count", () => {
  const byCount = new Checkpoint(60_000, 2);
  assert(!byCount.due());
  byCount.record("t", 0, 0);
  assert(!byCount.due());
  byCount.record("t", 0, 1);
  assert(byCount.due());
  const byTime = new Checkpoint(0, 0);
  assert(!byTime.due(), "nothing processed: nothing to commit");
  byTime.record("t", 0, 0);
  assert(byTime.due());
});
