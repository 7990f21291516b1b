// State TTLs: expired cells leave the local store and the changelog (as tombstones), lazily
// when read and at each checkpoint by event time; cells without a TTL are untouched.
import { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert";
import { KeyedState } from "../../../lib/stream/dataframe/_keyed_state.ts";
import { DurableStateBackend } from "../../../lib/stream/state/durable.ts";
import { MemoryStorePartition } from "../../../lib/stream/state/memory.ts";
import type { State, StorePartition } from "../../../lib/stream/state/types.ts";
import { TestApp } from "../../../lib/stream/testing.ts";
import { Logger } from "../../../lib/util/log.ts";
import { FakeChangelog } from "./_fake_changelog.ts";
import { Kafka, logLevel } from "kafkajs";
import { Application } from "../../../lib/stream/application.ts";
import { SqliteStorePartition } from "../../../lib/stream/state/sqlite_store.ts";
import {
  committedOffsets,
  fastConsumer,
  readTopic,
  silent,
  startTestBroker,
  waitFor,
} from "../integration/_util.ts";

const dec = new TextDecoder();
const CHANGELOG = "changelog__g--in--default";
const ALL: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(8).fill(0xff)];

/** Every key of a store partition, decoded: cells as "<message key>/<state key>", else "index". */
function keys(store: StorePartition): string[] {
  return [...store.scan(...ALL)].map(([k]) => cellName(k));
}

function cellName(k: Uint8Array): string {
  const n = new DataView(k.buffer, k.byteOffset).getUint32(0);
  if (n === 0xffffffff) return "index";
  return `${dec.decode(k.subarray(4, 4 + n))}/${dec.decode(k.subarray(4 + n))}`;
}

/** A stateful app: every message sets `seen` with a 1 s TTL and counts its key without one. */
async function ttlApp(dir: string, cl: FakeChangelog) {
  const be = new DurableStateBackend({
    stateDir: dir,
    group: "g",
    changelog: cl,
    logger: new Logger("state", "SILENT"),
  });
  be.registerStore("in", "default");
  const app = new TestApp({ stateBackend: be });
  const input = app.topic<number>("in");
  const seen: Array<number | undefined> = [];
  app.dataframe(input).update((v: number, state: State) => {
    seen.push(state.get<number>("seen"));
    state.set("seen", v, { ttlMs: 1000 });
    state.set("count", state.get<number>("count", 0)! + 1);
  }, { stateful: true });
  await app.assign("in", 0);
  return { app, be, input, seen };
}

Deno.test("TTL: after event time passes, a checkpoint deletes the expired cells from the store and the changelog", async () => {
  const dir = Deno.makeTempDirSync();
  const cl = new FakeChangelog({ in: 1 });
  try {
    const { app, be, input } = await ttlApp(dir, cl);
    for (let i = 0; i < 1000; i++) app.push(input, i, { key: `k${i}`, timestamp: i });
    await app.checkpoint();
    const store = be.store("default", "in", 0);
    assertEquals(keys(store).filter((k) => k.endsWith("/seen")).length, 1000);
    const log = cl.topics.get(CHANGELOG)![0];
    const before = log.length;

    // Another key moves the partition's event time past every expiry (k999's is 1999).
    app.push(input, 0, { key: "clock", timestamp: 5000 });
    await app.checkpoint();
    const left = keys(store);
    assertEquals(left.filter((k) => k.endsWith("/seen")), ["clock/seen"]);
    assertEquals(left.filter((k) => k.endsWith("/count")).length, 1001, "no-TTL cells stay");
    assertEquals(left.filter((k) => k === "index").length, 1, "only clock/seen is still due");
    for (let i = 0; i < 1000; i++) {
      assertEquals(dec.decode(store.get(keyOf(`k${i}`, "count"))), "[1]");
    }

    // The changelog ends in tombstones for the 1,000 expired cells (and their index entries).
    const tail = log.slice(before);
    const tombstones = tail.filter((r) => r.value === null).map((r) => cellName(r.key));
    assertEquals(tombstones.filter((k) => k.endsWith("/seen")).length, 1000);
    assertEquals(tombstones.filter((k) => k === "index").length, 1000);
    const bytes = (k: Uint8Array) => k.join(",");
    const last = new Map(log.map((r) => [bytes(r.key), r.value]));
    for (let i = 0; i < 1000; i++) assertEquals(last.get(bytes(keyOf(`k${i}`, "seen"))), null);
    await app.close();

    // Recovery from the changelog alone (state dir deleted) does not bring them back.
    Deno.removeSync(`${dir}/g`, { recursive: true });
    const again = await ttlApp(dir, cl);
    const recovered = keys(again.be.store("default", "in", 0));
    assertEquals(recovered.filter((k) => k.endsWith("/seen")), ["clock/seen"]);
    assertEquals(recovered.filter((k) => k.endsWith("/count")).length, 1001);
    await again.app.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("TTL: an expired cell is invisible to the next message, and re-setting moves its index entry", async () => {
  const dir = Deno.makeTempDirSync();
  const cl = new FakeChangelog({ in: 1 });
  try {
    const { app, be, input, seen } = await ttlApp(dir, cl);
    app.push(input, 1, { key: "a", timestamp: 0 });
    app.push(input, 2, { key: "a", timestamp: 500 }); // within the TTL: seen, re-set to 1500
    app.push(input, 3, { key: "a", timestamp: 1500 }); // expired (1500 ≤ 1500): not seen
    assertEquals(seen, [undefined, 1, undefined]);
    await app.checkpoint();
    const log = cl.topics.get(CHANGELOG)![0];
    // One index entry per live cell: re-setting moved it rather than adding one.
    assertEquals(keys(be.store("default", "in", 0)), ["a/count", "a/seen", "index"]);
    const tombstones = log.filter((r) => r.value === null).map((r) => cellName(r.key));
    assertEquals(tombstones, ["index", "index"], "superseded index entries only");
    await app.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

function keyOf(messageKey: string, name: string): Uint8Array {
  const m = new TextEncoder().encode(messageKey);
  const n = new TextEncoder().encode(name);
  const out = new Uint8Array(4 + m.length + n.length);
  new DataView(out.buffer).setUint32(0, m.length);
  out.set(m, 4);
  out.set(n, 4 + m.length);
  return out;
}

function keyed(store: StorePartition, key: string, now: number): KeyedState {
  const st = new KeyedState(store).setMessageKey(key);
  st.now = now;
  if (now > st.latest) st.latest = now;
  return st;
}

Deno.test("TTL purge: removes only what expired by the given time, keeps cells re-set without a TTL", () => {
  const store = new MemoryStorePartition();
  const a = keyed(store, "a", 0);
  a.set("x", 1, { ttlMs: 100 });
  a.set("y", 2, { ttlMs: 100 });
  a.set("z", 3, { ttlMs: 300 });
  a.set("y", 2); // no TTL any more: its old index entry must not delete it
  const b = keyed(store, "b", 0);
  b.set("x", 4, { ttlMs: 50 });
  b.delete("x"); // deleted by hand: the purge only drops its index entry
  assertEquals(keys(store), ["a/x", "a/y", "a/z", "index", "index", "index", "index"]);
  assertEquals(a.purgeExpired(99), 0, "b/x's entry is due, but b/x is gone already");
  assertEquals(keys(store), ["a/x", "a/y", "a/z", "index", "index", "index"]);
  assertEquals(a.purgeExpired(100), 1);
  assertEquals(keys(store), ["a/y", "a/z", "index"]);
  assertEquals(a.purgeExpired(299), 0, "purging again finds nothing new");
  assertEquals(a.purgeExpired(1e12), 1);
  assertEquals(keys(store), ["a/y"]);
  assertEquals(keyed(store, "a", 1e12).get("y"), 2);
});

Deno.test("TTL: reading an expired cell deletes it and its index entry at once", () => {
  const store = new MemoryStorePartition();
  keyed(store, "a", 0).set("x", 1, { ttlMs: 100 });
  keyed(store, "a", 0).set("y", 2);
  const later = keyed(store, "a", 100);
  assertEquals(later.get("x", "gone"), "gone");
  assertEquals(later.exists("x"), false);
  assertEquals(later.get("y"), 2);
  assertEquals(keys(store), ["a/y"]);
});

Deno.test("TTL: bad ttlMs is refused; Infinity means no expiry", () => {
  const store = new MemoryStorePartition();
  const st = keyed(store, "a", 10);
  throws(() => st.set("x", 1, { ttlMs: NaN }), /ttlMs must be a number of ms, got NaN/);
  throws(() => st.set("x", 1, { ttlMs: "5s" as unknown as number }), /ttlMs must be a number/);
  st.set("x", 1, { ttlMs: Infinity });
  st.now = 1e15;
  assertEquals(st.get("x"), 1);
  assertEquals(st.purgeExpired(1e15), 0);
  assert(keys(store).every((k) => k !== "index"));
});

Deno.test({
  name: "TTL in a running app: the checkpoint after event time passes writes the tombstones",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    const dir = Deno.makeTempDirSync();
    try {
      const app = new Application({
        brokerAddress: broker.address,
        consumerGroup: "ttl",
        autoOffsetReset: "earliest",
        stateDir: dir,
        commitInterval: 200,
        logLevel: "SILENT",
        consumer: fastConsumer,
        handleSignals: false,
      });
      const input = app.topic<number>("in");
      app.dataframe(input).update((v: number, state: State) => {
        state.set("seen", v, { ttlMs: 1000 });
        state.set("count", state.get<number>("count", 0)! + 1);
      }, { stateful: true });
      const producer = await app.getProducer();
      const t0 = Date.now() - 60_000;
      for (let i = 0; i < 1000; i++) {
        producer.produce(input, { key: `k${i}`, value: i, timestamp: t0 + i });
      }
      producer.produce(input, { key: "clock", value: 0, timestamp: t0 + 5000 });
      await producer.close();
      const stop = new AbortController();
      const running = app.run({ signal: stop.signal });
      try {
        await waitFor(
          async () => (await committedOffsets(broker.address, "ttl", "in"))[0] === 1001,
          30_000,
          "the app to commit all input",
        );
      } finally {
        stop.abort();
        await running;
      }
      // The local store: counts of every key, `seen` of the clock key only.
      const store = new SqliteStorePartition(`${dir}/ttl/default/in/0`);
      try {
        const left = keys(store);
        assertEquals(left.filter((k) => k.endsWith("/seen")), ["clock/seen"]);
        assertEquals(left.filter((k) => k.endsWith("/count")).length, 1001);
        assertEquals(left.filter((k) => k === "index").length, 1);
      } finally {
        store.close();
      }
      // The changelog: the last record of each expired cell is a tombstone.
      const admin = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const high = Number((await admin.fetchTopicOffsets("changelog__ttl--in--default"))[0].high);
      await admin.disconnect();
      const records = await readTopic(broker.address, "changelog__ttl--in--default", high, 5000);
      assertEquals(records.length, high);
      const last = new Map(records.map((r) => [r.key, r.value]));
      for (let i = 0; i < 1000; i++) {
        assertEquals(last.get(dec.decode(keyOf(`k${i}`, "seen"))), null, `k${i}/seen`);
        assertEquals(last.get(dec.decode(keyOf(`k${i}`, "count"))), "[1]", `k${i}/count`);
      }
    } finally {
      await broker.close();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
