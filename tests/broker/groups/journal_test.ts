import assert from "node:assert/strict";
import { Journal } from "../../../lib/broker/groups/journal.ts";
import { GroupCoordinator } from "../../../lib/broker/groups/coordinator.ts";
import { ManualTimers } from "../../../lib/broker/groups/timers.ts";
import { Logger } from "../../../lib/util/log.ts";

const quiet = new Logger("test", "SILENT");

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "sa-journal-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function replayAll(path: string): Promise<number[]> {
  const seen: number[] = [];
  const j = await Journal.open<{ n: number }>({
    path,
    logger: quiet,
    replay: (r) => seen.push(r.n),
  });
  await j.close();
  return seen;
}

Deno.test("journal: appends made while a rewrite is in progress land in the new file", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/j.jsonl`;
    const j = await Journal.open<{ n: number }>({ path, logger: quiet, replay: () => {} });
    await j.append([{ n: 1 }, { n: 2 }, { n: 3 }]);
    // The caller's snapshot holds the appends that resolved (4's write to the old file is
    // still in flight, so the journal carries it over); 5 is appended while the rewrite runs.
    const during = j.append([{ n: 4 }]);
    const rewrite = j.rewrite([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const after = j.append([{ n: 5 }]);
    await Promise.all([during, rewrite, after]);
    await j.close();
    assert.deepEqual(await replayAll(path), [1, 2, 3, 4, 5]);
  });
});

Deno.test("offset journal compacts itself and keeps the latest offsets", async () => {
  await withDir(async (dir) => {
    const timers = new ManualTimers();
    let c = await GroupCoordinator.open({ dataDir: dir, logger: quiet, timers, fsync: "interval" });
    const rounds = 12_000;
    for (let i = 0; i < rounds; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, k) =>
          c.commitOffsets("g", -1, "", [{
            topic: "t",
            partition: (i + k) % 3,
            offset: i + k,
            metadata: null,
          }])),
      );
    }
    await c.close();
    const lines = (await Deno.readTextFile(`${dir}/__groups/offsets.jsonl`)).split("\n").length;
    assert.ok(lines < rounds, `journal was compacted (${lines} lines for ${rounds} commits)`);
    c = await GroupCoordinator.open({ dataDir: dir, logger: quiet, timers });
    assert.deepEqual(
      c.fetchOffsets("g", [0, 1, 2].map((p) => ({ topic: "t", partition: p }))).map((o) =>
        o.offset
      ),
      [rounds - 3, rounds - 2, rounds - 1],
    );
    await c.close();
  });
});
