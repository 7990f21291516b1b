import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  Attr,
  decodeRecords,
  Off,
  updateCrc,
  validateBatch,
} from "../../../lib/kafka/protocol/record_batch.ts";
import {
  decompress,
  DecompressError,
  snappyDecompress,
} from "../../../lib/kafka/protocol/compression.ts";
import { EXPECTED, LIBRDKAFKA_BATCHES } from "./_compressed_fixtures.ts";
import { kafkaErrorOf, openManager, readAll } from "../../broker/log/_util.ts";

const dec = new TextDecoder();
const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
const codecs = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

Deno.test("compression: librdkafka gzip, snappy, lz4 and zstd batches decode to the sent records", () => {
  for (const [name, id] of Object.entries(codecs)) {
    const b = hex(LIBRDKAFKA_BATCHES[name]);
    const h = validateBatch(b);
    strictEqual(h.attributes & Attr.compressionMask, id, name);
    const recs = decodeRecords(b, h);
    deepStrictEqual(
      recs.map((r) => ({ key: dec.decode(r.key!), value: dec.decode(r.value!) })),
      EXPECTED,
      name,
    );
  }
});

Deno.test("compression: Xerial-framed snappy (Java client) decodes like raw snappy", () => {
  const b = hex(LIBRDKAFKA_BATCHES.snappy);
  const raw = b.subarray(Off.records);
  const framed = new Uint8Array(16 + 4 + raw.length);
  framed.set([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  new DataView(framed.buffer).setInt32(16, raw.length);
  framed.set(raw, 20);
  deepStrictEqual(snappyDecompress(framed), snappyDecompress(raw));
});

Deno.test("compression: corrupt compressed sections are CORRUPT_MESSAGE, never a crash", () => {
  for (const name of Object.keys(codecs)) {
    const b = hex(LIBRDKAFKA_BATCHES[name]);
    for (const cut of [1, 7, 40]) {
      const t = b.slice(0, b.length - cut);
      new DataView(t.buffer).setInt32(Off.batchLength, t.length - 12);
      updateCrc(t);
      strictEqual(kafkaErrorOf(() => decodeRecords(t, validateBatch(t))), "CORRUPT_MESSAGE", name);
    }
    const flipped = b.slice();
    for (let i = Off.records + 4; i < flipped.length; i += 9) flipped[i] ^= 0x5a;
    updateCrc(flipped);
    try {
      decodeRecords(flipped, validateBatch(flipped));
    } catch (e) {
      const code = (e as { info?: { name: string } }).info?.name;
      strictEqual(code === "CORRUPT_MESSAGE" || code === "INVALID_RECORD", true, `${name}: ${e}`);
    }
  }
});

Deno.test("compression: output beyond the cap fails cleanly (compression bombs)", () => {
  for (const [name, id] of Object.entries(codecs)) {
    const raw = hex(LIBRDKAFKA_BATCHES[name]).subarray(Off.records);
    strictEqual(decompress(id, raw).length > 4000, true, name);
    let err: unknown;
    try {
      decompress(id, raw, 4000);
    } catch (e) {
      err = e;
    }
    strictEqual(err instanceof DecompressError, true, `${name}: ${err}`);
  }
});

Deno.test("compression: compressed batches append to a compacted topic and survive compaction", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("cz", 1, { "cleanup.policy": "compact", "segment.bytes": "900" });
  const p = logs.partition("cz", 0)!;
  for (const name of Object.keys(codecs)) p.append(hex(LIBRDKAFKA_BATCHES[name]));
  strictEqual(p.highWatermark, 160);
  logs.runMaintenance();
  const got = readAll(p);
  // Seven keys; the last value of each is in the last (zstd, active) batch.
  strictEqual(got.length >= 7, true);
  deepStrictEqual(got.slice(-7).map((r) => r[0]), [153, 154, 155, 156, 157, 158, 159]);
  strictEqual(got.filter((r) => r[0] < 120).length, 0);
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});
