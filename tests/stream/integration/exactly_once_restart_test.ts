// Exactly-once across a kill -9: the restarted app claims the input partition with the
// partition's transactional id, so InitProducerId fences the killed run and aborts its open
// transaction as soon as the group assigns the partition. With a fresh id per run,
// read_committed readers would see nothing past the killed run's open transaction until the
// broker timed it out (60 s).
import { assert, assertEquals } from "../_assert.ts";
import { Application } from "../../../lib/stream/application.ts";
import { MemoryStateBackend } from "../../../lib/stream/state/memory.ts";
import {
  committedOffsets,
  fastConsumer,
  readTopic,
  silent,
  startTestBroker,
  waitFor,
} from "./_util.ts";
import { readWholeTopic } from "./_eos_scenario.ts";
import { arr, i32, i64, request, str, WireClient } from "../../broker/apis/_wire.ts";

const N = 3000;

/** ListOffsets v2 "latest" of partition 0: the high watermark (isolation 0) or the LSO (1). */
async function latest(wire: WireClient, topic: string, isolation: 0 | 1): Promise<number> {
  const res = await wire.roundTrip(
    request(2, 2, 1, [
      ...i32(-1),
      isolation,
      ...arr([[...str(topic), ...arr([[...i32(0), ...i64(-1)]])]]),
    ]),
  );
  // correlation id, throttle, [topic [partition error timestamp offset]]
  const view = new DataView(res.buffer, res.byteOffset, res.byteLength);
  const at = 4 + 4 + 4 + 2 + topic.length + 4 + 4;
  if (view.getInt16(at) !== 0) return -1; // not created yet
  return Number(view.getBigInt64(at + 2 + 8));
}
const fixture = new URL("./fixtures/eos_crash_app.ts", import.meta.url).pathname;

function spawnApp(address: string, stateDir: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../../../deno.json", import.meta.url).pathname,
      fixture,
      address,
      stateDir,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test({
  name:
    "exactly-once killed mid-transaction: the restart fences it, read_committed sees every row once before the transaction timeout",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    const stateDir = await Deno.makeTempDir({ prefix: "sa_eos_restart_" });
    try {
      const seed = new Application({
        brokerAddress: broker.address,
        logLevel: "SILENT",
        stateBackend: new MemoryStateBackend(),
      });
      const producer = await seed.getProducer();
      for (let n = 0; n < N; n++) producer.produce(seed.topic("eos-in"), { value: { n } });
      await producer.close();

      const first = spawnApp(broker.address, stateDir);
      // Kill it with rows in an open transaction: once the output's high watermark is past its
      // last stable offset. (Sleeping a fixed time after a commit found the transaction still
      // empty when the machine was loaded: its rows were not sent yet.)
      const wire = await WireClient.connect(broker.port);
      try {
        await waitFor(
          async () => {
            const [hw, lso] = [await latest(wire, "eos-out", 0), await latest(wire, "eos-out", 1)];
            return lso > 0 && hw > lso;
          },
          60_000,
          "the first run to hold rows in an open transaction after a checkpoint",
        );
      } finally {
        wire.close();
      }
      first.kill("SIGKILL");
      assert(!(await first.status).success, "the first run was killed");
      const committed = (await committedOffsets(broker.address, "eos-crash", "eos-in"))[0];
      assert(committed < N, `killed too late: ${committed} rows committed`);
      // Rows of the killed run's open transaction are in the log but not readable.
      const all = (await readTopic(broker.address, "eos-out", N, 1500, true)).length;
      const visible = (await readTopic(broker.address, "eos-out", all, 1500)).length;
      assert(visible < all, `no open transaction at the kill (${visible} of ${all} rows)`);

      const restartedAt = Date.now();
      const second = spawnApp(broker.address, stateDir);
      try {
        // Well before the killed transaction's 60 s timeout: the restart's claim aborted it. (The
        // time is mostly the restart processing the rest at 1 ms a row, slower on a loaded
        // machine: 15 s was too tight there.)
        const rows = await readTopic(broker.address, "eos-out", N, 40_000);
        const took = Date.now() - restartedAt;
        assertEquals(
          rows.length,
          N,
          `${rows.length} of ${N} rows readable ${took} ms after the restart`,
        );
        await waitFor(
          async () => (await committedOffsets(broker.address, "eos-crash", "eos-in"))[0] === N,
          40_000,
          "the restarted app to commit all input",
        );
      } finally {
        second.kill("SIGTERM");
        await second.status;
      }
      // The whole topic: each row once, none lost.
      const rows = await readWholeTopic(broker.address, "eos-out");
      const times = new Map<number, number>();
      for (const r of rows) {
        const n = JSON.parse(r.value!).n as number;
        times.set(n, (times.get(n) ?? 0) + 1);
      }
      const repeated = [...times].filter(([, c]) => c > 1).map(([n]) => n);
      const lost = Array.from({ length: N }, (_, n) => n).filter((n) => !times.has(n));
      assertEquals(
        { rows: rows.length, repeated: repeated.slice(0, 10), lost: lost.slice(0, 10) },
        { rows: N, repeated: [], lost: [] },
      );
    } finally {
      await broker.close();
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "exactly-once replicas sharing a state dir both process and commit, each row once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    const stateDir = await Deno.makeTempDir({ prefix: "sa_eos_pair_" });
    try {
      const seen = new Set<string>();
      const replica = (name: string) => {
        const app = new Application({
          brokerAddress: broker.address,
          consumerGroup: "pair",
          autoOffsetReset: "earliest",
          processingGuarantee: "exactly-once",
          stateDir,
          commitInterval: 100,
          logLevel: "SILENT",
          consumer: fastConsumer,
          handleSignals: false,
          clientId: name,
        });
        const input = app.topic<{ n: number }>("pair-in", { config: { numPartitions: 2 } });
        app.dataframe(input).update((v) => void seen.add(`${name}:${v.n}`))
          .toTopic(app.topic("pair-out"));
        return app;
      };
      const a = replica("a");
      const b = replica("b");
      const producer = await a.getProducer();
      let n = 0;
      const produce = async (count: number) => {
        for (const end = n + count; n < end; n++) {
          producer.produce(a.topic("pair-in"), { key: `k${n}`, value: { n } });
        }
        await producer.flush();
      };
      const stopA = new AbortController();
      const stopB = new AbortController();
      // A fenced replica fails its next transaction, and its run rejects.
      const failed = (e: Error) => e;
      const runA = a.run({ signal: stopA.signal }).then(() => null, failed);
      const runB = b.run({ signal: stopB.signal }).then(() => null, failed);
      try {
        // Both process (and commit transactions) at the same time.
        await waitFor(
          async () => {
            await produce(10);
            const names = new Set([...seen].map((s) => s[0]));
            return names.has("a") && names.has("b") && n >= 100;
          },
          30_000,
          "both replicas to process rows",
        );
        await waitFor(
          async () => {
            const c = await committedOffsets(broker.address, "pair", "pair-in");
            return (c[0] ?? 0) + (c[1] ?? 0) === n;
          },
          20_000,
          "both replicas to commit every row",
        );
      } finally {
        stopA.abort();
        stopB.abort();
        const errors = await Promise.all([runA, runB]);
        await producer.close();
        assertEquals(errors.map((e) => e?.message ?? null), [null, null]);
      }
      const rows = await readWholeTopic(broker.address, "pair-out");
      const values = rows.map((r) => JSON.parse(r.value!).n as number).sort((x, y) => x - y);
      assertEquals(values, Array.from({ length: n }, (_, i) => i));
    } finally {
      await broker.close();
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    }
  },
});
