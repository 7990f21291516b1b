import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { batch, kafkaErrorOf, openManager, rows } from "./_util.ts";
import { decodeRecords, readBatchHeader } from "../../../lib/kafka/protocol/record_batch.ts";

const txn = (pid: number, seq: number, v: string) =>
  batch([[v, v]], { producerId: pid, producerEpoch: 0, baseSequence: seq, transactional: true });

Deno.test("transactions: LSO tracks open txns, markers close them, aborted index for read_committed", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("tx", 1);
  const p = logs.partition("tx", 0)!;
  p.append(batch([["plain", "0"]])); // 0
  p.append(txn(100, 0, "a1")); // 1
  p.append(txn(200, 0, "c1")); // 2
  p.append(txn(100, 1, "a2")); // 3
  strictEqual(p.hasOngoingTxn(100), true);
  strictEqual(p.lastStableOffset, 1);
  strictEqual(p.highWatermark, 4);
  // read_committed stops at the LSO; read_uncommitted sees everything.
  deepStrictEqual(rows(p.read(0, 1 << 20, 1).records).map((r) => r[0]), [0]);
  strictEqual(p.read(1, 1 << 20, 1).records.length, 0);
  strictEqual(rows(p.read(0, 1 << 20, 0).records).length, 4);
  // A non-transactional batch from a producer inside a transaction is refused.
  const stray = batch([["x", "x"]], { producerId: 100, producerEpoch: 0, baseSequence: 2 });
  strictEqual(kafkaErrorOf(() => p.append(stray)), "INVALID_TXN_STATE");

  strictEqual(p.appendControl(100, 0, false), 4); // abort 100
  strictEqual(p.hasOngoingTxn(100), false);
  strictEqual(p.lastStableOffset, 2); // 200 still open
  strictEqual(p.appendControl(200, 0, true), 5); // commit 200
  strictEqual(p.lastStableOffset, 6);
  strictEqual(p.highWatermark, 6);

  const rc = p.read(0, 1 << 20, 1);
  deepStrictEqual(rc.abortedTransactions, [{ producerId: 100, firstOffset: 1 }]);
  strictEqual(rc.lastStableOffset, 6);
  // The marker batches are attributes 0x30, key 00 00 00 0X.
  const marker = p.read(4, 1, 0).records;
  const h = readBatchHeader(marker);
  strictEqual(h.attributes & 0x30, 0x30);
  deepStrictEqual([...decodeRecords(marker, h)[0].key!], [0, 0, 0, 0]);
  // Fetches past the aborted range get no aborted entries.
  deepStrictEqual(p.read(5, 1 << 20, 1).abortedTransactions, []);
  await logs.close();

  // Open txns and the aborted index are rebuilt from the log on restart.
  const again = await openManager({ dataDir });
  const q = again.logs.partition("tx", 0)!;
  deepStrictEqual(q.read(0, 1 << 20, 1).abortedTransactions, [{ producerId: 100, firstOffset: 1 }]);
  q.append(txn(300, 0, "open"));
  await again.logs.close();
  const third = await openManager({ dataDir });
  const r = third.logs.partition("tx", 0)!;
  strictEqual(r.hasOngoingTxn(300), true);
  strictEqual(r.lastStableOffset, 6);
  strictEqual(r.highWatermark, 7);
  // A marker with a stale epoch is refused; the current one closes the txn.
  strictEqual(kafkaErrorOf(() => r.appendControl(100, -1, false)), "INVALID_PRODUCER_EPOCH");
  r.appendControl(300, 0, true);
  strictEqual(r.lastStableOffset, 8);
  await third.logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("transactions: appendControl wakes read_committed fetch waiters", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("wake", 1);
  const p = logs.partition("wake", 0)!;
  p.append(txn(7, 0, "x"));
  const waiting = logs.waitForAppend([p], 5000);
  const t0 = Date.now();
  setTimeout(() => p.appendControl(7, 0, true), 10);
  await waiting;
  strictEqual(Date.now() - t0 < 2000, true);
  strictEqual(rows(p.read(0, 1 << 20, 1).records).length, 2);
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});
