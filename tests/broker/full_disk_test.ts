/**
 * A full disk: nothing acknowledged is lost, clients get error codes (never a closed
 * connection), and service resumes by itself once space is freed. Runs on a small tmpfs.
 */
import assert from "node:assert/strict";
import { Journal } from "../../lib/broker/groups/journal.ts";
import { GroupCoordinator } from "../../lib/broker/groups/coordinator.ts";
import { ManualTimers } from "../../lib/broker/groups/timers.ts";
import {
  TransactionCoordinator,
  type TxnLogs,
  type TxnPartitionLog,
} from "../../lib/broker/txn/coordinator.ts";
import { ErrorCode } from "../../lib/kafka/protocol/errors.ts";
import { Logger } from "../../lib/util/log.ts";
import { fillDisk, withTmpfs } from "./_tmpfs.ts";
import { startTestBroker } from "./_harness.ts";
import { arr, i32, i64, request, str } from "./apis/_wire.ts";
import { WireClient } from "./apis/_wire.ts";

const quiet = new Logger("test", "SILENT");
const UNAVAILABLE = ErrorCode.COORDINATOR_NOT_AVAILABLE.code;
/** Bigger than a page, so a record never fits in the slack of a file's last page. */
const BIG = "m".repeat(4000);

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

Deno.test("journal: a torn write at a full disk is cut back, later appends survive a restart", async () => {
  await withTmpfs("journal torn write", 256, async (dir) => {
    const path = `${dir}/j.jsonl`;
    const j = await Journal.open<{ n: number; pad?: string }>({
      path,
      logger: quiet,
      replay: () => {},
    });
    await j.append([{ n: 1 }]);
    const disk = await fillDisk(dir);
    await disk.free(8192); // room for part of the next record only: a torn write
    await assert.rejects(j.append([{ n: 2, pad: "x".repeat(64 * 1024) }]), /space/i);
    await disk.free();
    await j.append([{ n: 3 }]); // acknowledged after the tear
    await j.close();
    assert.deepEqual(await replayAll(path), [1, 3]);
  });
});

Deno.test("offset commit at a full disk: an error code, the acknowledged offset kept, resumes when freed", async () => {
  await withTmpfs("offset commit full disk", 512, async (dir) => {
    const timers = new ManualTimers();
    let groups = await GroupCoordinator.open({ dataDir: dir, logger: quiet, timers });
    const entry = (offset: number) => ({ topic: "t", partition: 0, offset, metadata: BIG });
    assert.deepEqual(await groups.commitOffsets("g", -1, "", [entry(900000)]), [0]);
    const disk = await fillDisk(dir);
    assert.deepEqual(await groups.commitOffsets("g", -1, "", [entry(68)]), [UNAVAILABLE]);
    // The failed commit is not visible.
    assert.equal(groups.fetchOffsets("g", [{ topic: "t", partition: 0 }])[0].offset, 900000);
    await disk.free();
    assert.deepEqual(await groups.commitOffsets("g", -1, "", [entry(900001)]), [0]);
    await groups.close();
    groups = await GroupCoordinator.open({ dataDir: dir, logger: quiet, timers });
    assert.equal(groups.fetchOffsets("g", [{ topic: "t", partition: 0 }])[0].offset, 900001);
    await groups.close();
  });
});

class FakePartition implements TxnPartitionLog {
  ongoing = new Set<number>();
  markers = 0;
  appendControl(producerId: number): number {
    this.ongoing.delete(producerId);
    return ++this.markers;
  }
  hasOngoingTxn(producerId: number): boolean {
    return this.ongoing.has(producerId);
  }
}

Deno.test("EndTxn and InitProducerId at a full disk: error codes, then the transaction commits once freed", async () => {
  await withTmpfs("txn full disk", 512, async (dir) => {
    const timers = new ManualTimers();
    const part = new FakePartition();
    const logs: TxnLogs = { partition: (t, p) => (t === "t" && p === 0 ? part : undefined) };
    const open = async () => {
      const groups = await GroupCoordinator.open({ dataDir: dir, logger: quiet, timers });
      const txns = await TransactionCoordinator.open({
        dataDir: dir,
        logs,
        groups,
        logger: quiet,
        timers,
      });
      return { groups, txns };
    };
    let { groups, txns } = await open();
    const init = await txns.initProducerId("tx", 60_000);
    assert.equal(init.errorCode, 0);
    const { producerId: pid, producerEpoch: epoch } = init;
    assert.deepEqual(
      (await txns.addPartitions("tx", pid, epoch, [{ topic: "t", partitions: [0] }])).map((r) =>
        r.errorCode
      ),
      [0],
    );
    part.ongoing.add(pid);
    assert.equal(await txns.addOffsets("tx", pid, epoch, "g"), 0);
    const staged = [0, 1, 2].map((p) => ({
      topic: "t",
      partition: p,
      offset: 900000 + p,
      metadata: BIG,
    }));
    assert.deepEqual(txns.txnOffsetCommit("tx", "g", pid, epoch, staged), [0, 0, 0]);

    const disk = await fillDisk(dir);
    assert.equal(await txns.endTxn("tx", pid, epoch, true), UNAVAILABLE);
    assert.equal(txns.describe("tx")?.state, "Ongoing");
    assert.equal(part.markers, 0);
    const other = await txns.initProducerId("x".repeat(5000), 60_000);
    assert.equal(other.errorCode, UNAVAILABLE);
    assert.equal(txns.describe("x".repeat(5000)), undefined);

    await disk.free();
    // Not CONCURRENT_TRANSACTIONS: the failed EndTxn changed nothing, so a retry commits.
    assert.equal(await txns.endTxn("tx", pid, epoch, true), 0);
    assert.equal(txns.describe("tx")?.state, "CompleteCommit");
    assert.equal(part.markers, 1);
    await txns.close();
    await groups.close();
    ({ groups, txns } = await open());
    const got = groups.fetchOffsets("g", [0, 1, 2].map((partition) => ({ topic: "t", partition })));
    assert.deepEqual(got.map((p) => p.offset), [900000, 900001, 900002]);
    await txns.close();
    await groups.close();
  });
});

Deno.test("OffsetCommit over the wire at a full disk answers an error code and keeps the connection", async () => {
  await withTmpfs("OffsetCommit wire full disk", 2048, async (dir) => {
    const b = await startTestBroker({ dataDir: dir, defaultPartitions: 1 });
    const c = await WireClient.connect(b.port);
    try {
      await c.roundTrip(request(3, 1, 1, arr([str("oc")]))); // auto-creates the topic
      const commit = (corr: number, offset: number) =>
        request(8, 2, corr, [
          ...str("g"),
          ...i32(-1),
          ...str(""),
          ...i64(-1),
          ...arr([[...str("oc"), ...arr([[...i32(0), ...i64(offset), ...str(BIG)]])]]),
        ]);
      const code = (res: Uint8Array) =>
        new DataView(res.buffer, res.byteOffset).getInt16(res.length - 2);
      assert.equal(code(await c.roundTrip(commit(2, 900000))), 0);
      const disk = await fillDisk(dir);
      assert.equal(code(await c.roundTrip(commit(3, 68))), UNAVAILABLE);
      await disk.free();
      assert.equal(code(await c.roundTrip(commit(4, 900001))), 0);
    } finally {
      c.close();
      await b.close();
    }
  });
});
