import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { batch, kafkaErrorOf, openManager, rows } from "./_util.ts";

const idem = (pid: number, epoch: number, seq: number, n = 1) =>
  batch(
    Array.from({ length: n }, (_, i) => [`k${seq + i}`, `v${seq + i}`] as [string, string]),
    { producerId: pid, producerEpoch: epoch, baseSequence: seq },
  );

Deno.test("idempotence: duplicates return the original offset, gaps and stale epochs fail", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("i", 1);
  const p = logs.partition("i", 0)!;
  strictEqual(p.append(idem(9, 0, 0, 2)).baseOffset, 0);
  strictEqual(p.append(idem(9, 0, 2, 3)).baseOffset, 2);
  strictEqual(p.append(idem(9, 0, 5)).baseOffset, 5);
  // Retries of any of the last five batches are acknowledged without a second append.
  strictEqual(p.append(idem(9, 0, 2, 3)).baseOffset, 2);
  strictEqual(p.append(idem(9, 0, 0, 2)).baseOffset, 0);
  strictEqual(p.highWatermark, 6);
  strictEqual(kafkaErrorOf(() => p.append(idem(9, 0, 8))), "OUT_OF_ORDER_SEQUENCE_NUMBER");
  strictEqual(kafkaErrorOf(() => p.append(idem(9, 0, 5, 2))), "OUT_OF_ORDER_SEQUENCE_NUMBER");
  // A new epoch must restart at 0; an older epoch is fenced.
  strictEqual(kafkaErrorOf(() => p.append(idem(9, 1, 6))), "OUT_OF_ORDER_SEQUENCE_NUMBER");
  strictEqual(p.append(idem(9, 1, 0)).baseOffset, 6);
  strictEqual(kafkaErrorOf(() => p.append(idem(9, 0, 6))), "INVALID_PRODUCER_EPOCH");
  // Unknown producers are accepted at any sequence (KIP-360).
  strictEqual(p.append(idem(10, 3, 42)).baseOffset, 7);
  strictEqual(p.highWatermark, 8);
  await logs.close();

  // State is rebuilt from the log: duplicates are still detected after a restart.
  const again = await openManager({ dataDir });
  const q = again.logs.partition("i", 0)!;
  strictEqual(q.append(idem(9, 1, 0)).baseOffset, 6);
  strictEqual(q.append(idem(10, 3, 42)).baseOffset, 7);
  strictEqual(kafkaErrorOf(() => q.append(idem(10, 3, 44))), "OUT_OF_ORDER_SEQUENCE_NUMBER");
  strictEqual(q.append(idem(10, 3, 43)).baseOffset, 8);
  deepStrictEqual(rows(q.read(0, 1 << 20, 0).records).length, 9);
  await again.logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("idempotence: sequence numbers wrap at INT32_MAX", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("w", 1);
  const p = logs.partition("w", 0)!;
  p.append(idem(1, 0, 2147483646, 2)); // covers MAX-1 and MAX
  strictEqual(p.append(idem(1, 0, 0)).baseOffset, 2);
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});
