import assert from "node:assert/strict";
import { batch, openManager, rows } from "./_util.ts";
import { ErrorCode, KafkaError } from "../../../lib/kafka/protocol/errors.ts";
import { startTestBroker } from "../_harness.ts";
import { arr, bytes, i16, i32, request, str, WireClient } from "../apis/_wire.ts";

Deno.test("fsync=always group commit: deferred appends are invisible until one fdatasync covers them", async () => {
  const { logs, dataDir } = await openManager({ fsync: "always" });
  try {
    logs.createTopic("g", 1);
    const log = logs.partition("g", 0)!;
    const seg = log.segments.at(-1)!;
    let syncs = 0;
    const real = seg.syncAsync.bind(seg);
    seg.syncAsync = () => (syncs++, real());
    for (const v of ["a", "b", "c"]) log.append(batch([["k", v]]), { deferSync: true });
    assert.equal(log.isDurable, false);
    // Readers see only durable data: nothing yet.
    assert.equal(log.highWatermark, 0);
    assert.equal(log.read(0, 1 << 20, 0).records.length, 0);
    // Three waiters, one fdatasync.
    await Promise.all([log.durable(), log.durable(), log.durable()]);
    assert.equal(syncs, 1);
    assert.equal(log.highWatermark, 3);
    assert.deepEqual(rows(log.read(0, 1 << 20, 0).records).map((r) => r[2]), ["a", "b", "c"]);
    // An append while a sync is in flight waits for the next one.
    log.append(batch([["k", "d"]]), { deferSync: true });
    const first = log.durable();
    log.append(batch([["k", "e"]]), { deferSync: true });
    await Promise.all([first, log.durable()]);
    assert.equal(syncs, 3);
    assert.equal(log.highWatermark, 5);
    // A plain append is durable on return, as before.
    log.append(batch([["k", "f"]]));
    assert.equal(log.isDurable, true);
    assert.equal(log.highWatermark, 6);
  } finally {
    await logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("fsync=always group commit: a failing fdatasync rejects with KAFKA_STORAGE_ERROR", async () => {
  const { logs, dataDir } = await openManager({ fsync: "always" });
  try {
    logs.createTopic("f", 1);
    const log = logs.partition("f", 0)!;
    log.append(batch([["k", "kept"]]));
    log.segments.at(-1)!.syncAsync = () => Promise.reject(new Error("EIO (injected)"));
    log.append(batch([["k", "unsynced"]]), { deferSync: true });
    let err: unknown;
    await log.durable().catch((e) => err = e);
    assert.ok(err instanceof KafkaError && err.info === ErrorCode.KAFKA_STORAGE_ERROR, String(err));
    assert.match((err as Error).message, /fdatasync of .*\.log: EIO \(injected\)/);
    assert.equal(log.highWatermark, 1, "the unsynced batch is never shown to readers");
  } finally {
    await logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("fsync=always: pipelined produces on one connection are answered in order", async () => {
  const b = await startTestBroker({ fsync: "always" });
  const c = await WireClient.connect(b.port);
  try {
    const body = (v: string) => [
      ...str(null),
      ...i16(-1),
      ...i32(5000),
      ...arr([[...str("p"), ...arr([[...i32(0), ...bytes(batch([["k", v]]))]])]]),
    ];
    await c.roundTrip(request(0, 7, 0, body("first"))); // auto-creates the topic
    for (let i = 1; i <= 20; i++) await c.send(request(0, 7, i, body(`m${i}`)));
    for (let i = 1; i <= 20; i++) {
      const res = (await c.receive())!;
      const v = new DataView(res.buffer, res.byteOffset);
      assert.equal(v.getInt32(0), i, "correlation id order");
      // topics[1] name "p" partitions[1]: index, error, base offset
      const at = 4 + 4 + 2 + 1 + 4;
      assert.equal(v.getInt32(at), 0);
      assert.equal(v.getInt16(at + 4), 0);
      assert.equal(Number(v.getBigInt64(at + 6)), i);
    }
  } finally {
    c.close();
    await b.close();
  }
});

Deno.test("append copies the caller's batch unless it is owned; locate reads into a caller's buffer", async () => {
  const { logs, dataDir } = await openManager();
  try {
    logs.createTopic("o", 1);
    const log = logs.partition("o", 0)!;
    const first = batch([["k", "a"]]);
    const before = first.slice();
    log.append(first);
    assert.deepEqual(first, before, "a borrowed batch is left as it was");
    const second = batch([["k", "b"]]);
    log.append(second, { owned: true });
    // Owned: the base offset (1) was patched in place instead of in a copy.
    assert.equal(Number(new DataView(second.buffer).getBigInt64(0)), 1);
    const plan = log.locate(0, 1 << 20, 0);
    const out = new Uint8Array(plan.size);
    plan.copyTo(out);
    assert.deepEqual(rows(out).map((r) => [r[0], r[2]]), [[0, "a"], [1, "b"]]);
    assert.deepEqual(out, log.read(0, 1 << 20, 0).records);
  } finally {
    await logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("fsync=interval: a roll seals the old segment in the background; close seals what is still pending", async () => {
  const { logs, dataDir } = await openManager({ fsync: "interval" });
  logs.createTopic("r", 1, { "segment.bytes": "200" });
  const log = logs.partition("r", 0)!;
  for (let i = 0; i < 6; i++) log.append(batch([["k", `value-${i}`.repeat(10)]]));
  assert.ok(log.segments.length > 2, `rolled: ${log.segments.length} segments`);
  // The first rolled segments seal on a worker thread; the newest rolled one may still be.
  const rolled = log.segments.slice(0, -1);
  assert.ok(rolled.some((s) => s.sealing !== null), "some seal runs in the background");
  await Promise.all(rolled.map((s) => s.sealing));
  assert.ok(rolled.every((s) => s.sealing === null));
  // Roll again and close at once: close() seals what is still pending, synchronously.
  log.append(batch([["k", "last".repeat(60)]]));
  await logs.close();
  const again = await openManager({ dataDir, fsync: "interval" });
  try {
    let n = 0;
    for (let off = 0; off < 7;) {
      const got = rows(again.logs.partition("r", 0)!.read(off, 1 << 20, 0).records);
      n += got.length;
      off = got.at(-1)![0] + 1;
    }
    assert.equal(n, 7);
    assert.equal(again.lines.filter((l) => /truncat/i.test(l)).length, 0, again.lines.join("\n"));
  } finally {
    await again.logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("fsync=always: a deferred transaction marker is visible (and the LSO moves) once durable", async () => {
  const { logs, dataDir } = await openManager({ fsync: "always" });
  try {
    logs.createTopic("t", 1);
    const log = logs.partition("t", 0)!;
    log.append(batch([["k", "in-txn"]], {
      producerId: 9,
      producerEpoch: 0,
      baseSequence: 0,
      transactional: true,
    }));
    assert.equal(log.lastStableOffset, 0);
    assert.equal(log.appendControl(9, 0, true, true), 1);
    assert.equal(log.hasOngoingTxn(9), false);
    assert.equal(log.highWatermark, 1, "the marker is not visible before its fdatasync");
    // Nor is the commit: a crash now would lose the marker and reopen the transaction.
    assert.equal(log.lastStableOffset, 0);
    assert.equal(log.read(0, 1 << 20, 1).records.length, 0);
    await log.durable();
    assert.equal(log.highWatermark, 2);
    assert.equal(log.lastStableOffset, 2);
    assert.equal(rows(log.read(0, 1 << 20, 1).records)[0][2], "in-txn");
  } finally {
    await logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});
