import assert from "node:assert/strict";
import { statfsSync } from "node:fs";
import { join } from "node:path";
import { buildBatch } from "../../../lib/kafka/protocol/record_batch.ts";
import { assertResponse, setupProduce, withBroker } from "./_golden.ts";
import { createTopic } from "./_configs.ts";
import { carr, cscalars, TAGS } from "./_flex.ts";
import { arr, bool, cstr, i16, i32, i64, request, str } from "./_wire.ts";

type Asked = [string, number[]][] | null;
type Part = [number, number]; // partition, size

function body(v: number, topics: Asked): number[] {
  if (v < 2) return arr(topics && topics.map(([t, ps]) => [...str(t), ...arr(ps.map(i32))]));
  return [
    ...carr(topics && topics.map(([t, ps]) => [...cstr(t), ...cscalars(ps.map(i32))])),
    ...TAGS,
  ];
}

/** The response up to (not including) v4's volume bytes and the closing tags. */
function head(v: number, dir: string, topics: [string, Part[]][]): number[] {
  const flex = v >= 2;
  const s = flex ? cstr : str;
  const a = flex ? (xs: number[][]) => carr(xs) : arr;
  const topicBytes = a(topics.map(([t, ps]) => [
    ...s(t),
    ...a(ps.map(([p, size]) => [...i32(p), ...i64(size), ...i64(0), ...bool(false)])),
  ]));
  // One result: error, dir, topics; its tags (and v4's two int64s) come after.
  const count = flex ? [2] : i32(1);
  return [...i32(0), ...(v >= 3 ? i16(0) : []), ...count, ...i16(0), ...s(dir), ...topicBytes];
}

/** Bytes of the partition's segment files, by asking the file system. */
async function onDisk(dataDir: string, topic: string, p: number): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(join(dataDir, `${topic}-${p}`))) {
    if (e.name.endsWith(".log")) {
      n += (await Deno.stat(join(dataDir, `${topic}-${p}`, e.name))).size;
    }
  }
  return n;
}

Deno.test("DescribeLogDirs v1-v4: bytes on disk per partition, null = every topic", async () => {
  await withBroker(async (c, b) => {
    for (const t of ["dld-a", "dld-b", "dld-empty"]) await createTopic(c, t);
    const one = buildBatch([{ key: "k", value: "x".repeat(100) }], {
      baseTimestamp: 1_700_000_000_000,
    });
    const two = buildBatch([{ key: "k", value: "y" }, { key: "k2", value: "z" }], {
      baseTimestamp: 1_700_000_000_000,
    });
    await setupProduce(c, "dld-a", 0, one);
    await setupProduce(c, "dld-a", 0, two);
    await setupProduce(c, "dld-b", 0, two);
    const sizeA = one.length + two.length, sizeB = two.length;
    // The sizes the test expects are the stored batches, and exactly what the files hold.
    assert.equal(await onDisk(b.dataDir, "dld-a", 0), sizeA);
    assert.equal(await onDisk(b.dataDir, "dld-b", 0), sizeB);
    const dir = b.dataDir; // absolute: a temp dir
    const all: [string, Part[]][] = [["dld-a", [[0, sizeA]]], ["dld-b", [[0, sizeB]]], [
      "dld-empty",
      [[0, 0]],
    ]];
    // Unknown topics and partitions are left out; a topic named twice is answered once.
    const some: Asked = [["dld-b", [0]], ["missing", [0]], ["dld-a", [0, 7]], ["dld-b", [0]]];
    const someAnswer: [string, Part[]][] = [["dld-b", [[0, sizeB]]], ["dld-a", [[0, sizeA]]]];

    let corr = 1;
    for (const v of [1, 2, 3, 4]) {
      const flexible = v >= 2;
      for (const [asked, answer] of [[null, all], [some, someAnswer]] as const) {
        const res = await c.roundTrip(request(35, v, corr, body(v, asked), { flexible }));
        const expected = head(v, dir, answer as [string, Part[]][]);
        if (v < 4) {
          assertResponse(
            res,
            corr,
            [...expected, ...(flexible ? [...TAGS, ...TAGS] : [])],
            flexible ? TAGS : [],
          );
        } else {
          // v4 adds the volume's total and usable bytes: total is fixed, usable moves with
          // whatever else writes to the disk, so it is checked against the file system apart.
          const tail = res.length - 16 - 2;
          assertResponse(res.subarray(0, tail), corr, expected, TAGS);
          const view = new DataView(res.buffer, res.byteOffset + tail);
          const fs = statfsSync(b.dataDir);
          assert.equal(Number(view.getBigInt64(0)), fs.blocks * fs.bsize, "total bytes");
          const usable = Number(view.getBigInt64(8));
          assert.ok(Math.abs(usable - fs.bavail * fs.bsize) < 1 << 30, `usable bytes ${usable}`);
          assert.deepEqual([...res.subarray(res.length - 2)], [...TAGS, ...TAGS]);
        }
        corr++;
      }
    }
  });
});
