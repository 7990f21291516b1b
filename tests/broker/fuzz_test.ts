/**
 * Fuzz: ≥ 10,000 random and mutated frames over many connections against a running broker,
 * while a well-behaved kafkajs producer and consumer keep working. The seed is printed;
 * `SA_FUZZ_SEED=<n>` replays a run, `SA_FUZZ_FRAMES=<n>` sends more frames.
 */
import { assert, assertEquals } from "./clients/_assert.ts";
import { testBroker } from "./clients/_broker.ts";
import { kafkaClient, text, unique, waitFor } from "./clients/_kafkajs.ts";
import { clientMissingReason } from "../_clients.ts";
import {
  type CapturedRequest,
  frame,
  readFrame,
  RecordingProxy,
  requestBody,
  roundTrip,
  writeAll,
} from "./clients/_wire.ts";
import { mulberry32 as rng } from "../../lib/util/prng.ts";

/** At least 10,000; `SA_FUZZ_FRAMES=<n>` runs a longer hunt. */
const FRAMES = Math.max(10_000, Number(Deno.env.get("SA_FUZZ_FRAMES") ?? 0));
const CONCURRENCY = 8;
const PROBE_CORRELATION = 0x7ead;

/** Records real client traffic (admin, producers, a group consumer) through a proxy. */
async function captureRequests(port: number): Promise<CapturedRequest[]> {
  const proxy = new RecordingProxy(port);
  const kafka = kafkaClient(proxy.address, "sa-fuzz-capture");
  const admin = kafka.admin();
  const producer = kafka.producer();
  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const tx = kafka.producer({
    transactionalId: unique("fuzz-tx"),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  const captureGroup = unique("fuzz-capture");
  const consumer = kafka.consumer({
    groupId: captureGroup,
    heartbeatInterval: 200,
    maxWaitTimeInMs: 50,
  });
  try {
    const topic = unique("fuzz-capture");
    await admin.connect();
    await admin.createTopics({
      topics: [{
        topic,
        numPartitions: 2,
        configEntries: [{ name: "retention.ms", value: "60000" }],
      }],
    });
    await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic }] });
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
    await producer.connect();
    await idem.connect();
    for (let i = 0; i < 3; i++) {
      await producer.send({ topic, acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }] });
      await idem.send({ topic, messages: [{ key: `i${i}`, value: "x".repeat(i * 50) }] });
    }
    let got = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        got++;
        await Promise.resolve();
      },
    });
    await waitFor("capture consumer", () => got >= 6, 20_000);
    await admin.fetchOffsets({ groupId: unique("fuzz-none"), topics: [topic] });
    await admin.listGroups();
    await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - 60_000);
    await admin.describeGroups([captureGroup]);
    // Transactions: InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn.
    await tx.connect();
    for (const commit of [true, false]) {
      const t = await tx.transaction();
      await t.send({ topic, messages: [{ key: "t", value: String(commit) }] });
      await t.sendOffsets({
        consumerGroupId: unique("fuzz-txg"),
        topics: [{ topic, partitions: [{ partition: 0, offset: "1" }] }],
      });
      await (commit ? t.commit() : t.abort());
    }
    await consumer.disconnect();
    await admin.deleteGroups([captureGroup]);
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 1, offset: "1" }] });
    // librdkafka's handshake (ApiVersions v3, Metadata v4) when kcat is installed.
    if ((await clientMissingReason("kcat")) === null) {
      await new Deno.Command("kcat", { args: ["-b", proxy.address, "-L"], stdout: "null" })
        .output();
    }
  } finally {
    await tx.disconnect();
    await consumer.disconnect();
    await idem.disconnect();
    await producer.disconnect();
    await admin.disconnect();
    await proxy.close();
  }
  // Plus ApiVersions at every version and an empty Metadata.
  const extra = [0, 1, 2, 3].map((v) => ({
    apiKey: 18,
    apiVersion: v,
    body: requestBody(18, v, 1, v === 3 ? new Uint8Array([3, 0x61, 0x62, 2, 0x31, 0]) : undefined),
  }));
  return [...proxy.requests, ...extra];
}

type Mutator = (body: Uint8Array, r: () => number) => Uint8Array;

const int = (r: () => number, n: number) => Math.floor(r() * n);

/**
 * A position to mutate: mostly inside the payload, past the request header (api key, version,
 * correlation id, client id), so the request reaches the handler's parser.
 */
function pick(b: Uint8Array, r: () => number, width: number): number {
  const clientIdLen = b.length >= 10 ? Math.max(0, new DataView(b.buffer).getInt16(8)) : 0;
  const payload = 10 + clientIdLen;
  const from = r() < 0.85 && payload + width <= b.length ? payload : 0;
  return from + int(r, Math.max(1, b.length - width - from + 1));
}

const MUTATORS: [string, Mutator][] = [
  ["flip bytes", (b, r) => {
    const out = b.slice();
    for (let i = 0, n = 1 + int(r, 8); i < n && out.length; i++) {
      out[pick(out, r, 1)] ^= 1 + int(r, 255);
    }
    return out;
  }],
  ["truncate", (b, r) => b.slice(0, pick(b, r, 0))],
  ["api key", (b, r) => {
    const out = b.slice();
    new DataView(out.buffer).setInt16(0, int(r, 80) - 5);
    return out;
  }],
  ["api version", (b, r) => {
    const out = b.slice();
    new DataView(out.buffer).setInt16(2, r() < 0.5 ? int(r, 20) : int(r, 65536) - 32768);
    return out;
  }],
  ["huge count", (b, r) => {
    const out = b.slice();
    if (out.length < 4) return out;
    const vals = [0x7fffffff, -1, -2, 0x80000000 | 0, 1_000_000, 65_536];
    new DataView(out.buffer).setInt32(pick(out, r, 4), vals[int(r, vals.length)]);
    return out;
  }],
  ["string length", (b, r) => {
    const out = b.slice();
    if (out.length < 2) return out;
    const vals = [0x7fff, -1, -2, 0x8000 | 0, 1000];
    new DataView(out.buffer).setInt16(pick(out, r, 2), vals[int(r, vals.length)]);
    return out;
  }],
  ["random bytes", (_b, r) => {
    const out = new Uint8Array(int(r, 300));
    for (let i = 0; i < out.length; i++) out[i] = int(r, 256);
    return out;
  }],
  ["append garbage", (b, r) => {
    const out = new Uint8Array(b.length + 1 + int(r, 64));
    out.set(b);
    for (let i = b.length; i < out.length; i++) out[i] = int(r, 256);
    return out;
  }],
  ["clean", (b) => b],
];

/** One size-prefixed frame, sometimes with a lying size prefix. */
function encodeFrame(body: Uint8Array, r: () => number): Uint8Array {
  const x = r();
  if (x > 0.03) return frame(body);
  const out = frame(body);
  const dv = new DataView(out.buffer);
  const lies = [-1, -100, 0, 0x7fffffff, 100 * 1024 * 1024 + 1, body.length + 1, body.length - 1];
  dv.setInt32(0, lies[int(r, lies.length)]);
  return out;
}

interface Stats {
  frames: number;
  connections: number;
  /** Frames after which the connection still answered the probe. */
  answered: number;
  /** Frames after which the broker closed the connection. */
  closedByBroker: number;
  /** Local ports of connections the broker closed, to find the log line naming each. */
  closedPorts: number[];
  /** Frames after which nothing came back in time (parked request, lying frame size). */
  timedOut: number;
  byMutator: Map<string, number>;
}

type Outcome = "answered" | "closed" | "timeout";

/** Sends `bytes` then waits for the probe's answer, the broker closing, or a timeout. */
async function exchange(conn: Deno.Conn, bytes: Uint8Array): Promise<Outcome> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch { /* closed */ }
  }, 700);
  try {
    await writeAll(conn, bytes);
    while (true) {
      const resp = await readFrame(conn);
      if (resp === null) return timedOut ? "timeout" : "closed";
      if (resp.length >= 4 && new DataView(resp.buffer).getInt32(0) === PROBE_CORRELATION) {
        return "answered";
      }
    }
  } catch {
    return timedOut ? "timeout" : "closed";
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A fuzz worker: sends one mutated frame followed by a valid ApiVersions probe, so every frame
 * is actually processed by the broker; reconnects whenever the broker drops the connection.
 */
async function fuzzWorker(
  port: number,
  captured: CapturedRequest[],
  r: () => number,
  take: () => boolean,
  stats: Stats,
): Promise<void> {
  const probe = frame(requestBody(18, 0, PROBE_CORRELATION));
  let conn: Deno.Conn | null = null;
  try {
    while (take()) {
      if (!conn) {
        conn = await Deno.connect({ hostname: "127.0.0.1", port });
        stats.connections++;
      }
      const [name, mutate] = MUTATORS[int(r, MUTATORS.length)];
      const body = mutate(captured[int(r, captured.length)].body, r);
      // A fresh correlation id so the probe's answer is unambiguous.
      if (body.length >= 8) new DataView(body.buffer).setInt32(4, 1 + int(r, 1_000_000));
      const f = encodeFrame(body, r);
      const bytes = new Uint8Array(f.length + probe.length);
      bytes.set(f);
      bytes.set(probe, f.length);
      stats.frames++;
      stats.byMutator.set(name, (stats.byMutator.get(name) ?? 0) + 1);
      const outcome = await exchange(conn, bytes);
      if (outcome === "answered") {
        stats.answered++;
        continue;
      }
      if (outcome === "closed") {
        stats.closedByBroker++;
        stats.closedPorts.push((conn.localAddr as Deno.NetAddr).port);
      } else stats.timedOut++;
      try {
        conn.close();
      } catch { /* closed */ }
      conn = null;
    }
  } finally {
    try {
      conn?.close();
    } catch { /* closed */ }
  }
}

Deno.test("fuzz: 10,000 random and mutated frames; a well-behaved client keeps working", async () => {
  const seed = Number(Deno.env.get("SA_FUZZ_SEED") ?? Date.now() % 1_000_000);
  console.log(`fuzz seed ${seed} (replay with SA_FUZZ_SEED=${seed})`);
  const r = rng(seed);
  const warnings: string[] = [], errorLines: string[] = [];
  const broker = await testBroker({
    sink: (line, level) => {
      if (level === "WARN") warnings.push(line);
      if (level === "ERROR") errorLines.push(line);
      if (Deno.env.get("SA_BROKER_LOG")) console.error(line);
    },
  });
  const kafka = kafkaClient(broker.address, "sa-fuzz-good");
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({
    groupId: unique("fuzz-good"),
    heartbeatInterval: 300,
    maxWaitTimeInMs: 100,
  });
  const goodTopic = unique("fuzz-good");
  const sent: string[] = [];
  const received: string[] = [];
  const errors: string[] = [];
  let producing = true;
  let producerLoop: Promise<void> | undefined;
  try {
    const captured = await captureRequests(broker.port);
    assert(captured.length > 30, `captured only ${captured.length} requests`);

    await admin.connect();
    await admin.createTopics({ topics: [{ topic: goodTopic, numPartitions: 1 }] });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: goodTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(text(message.value)!);
        await Promise.resolve();
      },
    });
    producerLoop = (async () => {
      let i = 0;
      while (producing) {
        const value = `good-${i++}`;
        try {
          await producer.send({ topic: goodTopic, acks: -1, messages: [{ value }] });
          sent.push(value);
        } catch (e) {
          errors.push(`send ${value}: ${e instanceof Error ? e.message : e}`);
        }
        await new Promise((res) => setTimeout(res, 10));
      }
    })();

    const stats: Stats = {
      frames: 0,
      connections: 0,
      answered: 0,
      closedByBroker: 0,
      closedPorts: [],
      timedOut: 0,
      byMutator: new Map(),
    };
    let remaining = FRAMES;
    const take = () => remaining-- > 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, () => fuzzWorker(broker.port, captured, r, take, stats)),
    );
    const took = Date.now() - started;
    console.log(
      `fuzz: ${stats.frames} frames over ${stats.connections} connections in ${took} ms; ` +
        `connection kept ${stats.answered}, closed by broker ${stats.closedByBroker}, ` +
        `timed out ${stats.timedOut}; ${
          [...stats.byMutator].map(([k, v]) => `${k}=${v}`).join(" ")
        }`,
    );
    assert(stats.frames >= FRAMES);
    // No handler failed in an unexpected way (internal errors are logged at ERROR).
    assertEquals(errorLines, []);
    // Every connection the broker dropped got a log line naming the client and the problem.
    const named = new Set<number>();
    for (const w of warnings) {
      for (const m of w.matchAll(/127\.0\.0\.1:(\d+)/g)) named.add(Number(m[1]));
    }
    const unnamed = stats.closedPorts.filter((p) => !named.has(p));
    assertEquals(unnamed.length, 0, `closed without a log line: ports ${unnamed.slice(0, 10)}`);
    // Mutations that keep a request well-formed are answered and the connection stays usable.
    assert(
      stats.answered > FRAMES / 10,
      `only ${stats.answered} frames left the connection usable`,
    );

    // The broker still answers a fresh connection.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: broker.port });
    try {
      const resp = await roundTrip(conn, requestBody(18, 0, 42));
      assert(resp, "no ApiVersions answer after fuzzing");
      const dv = new DataView(resp.buffer);
      assertEquals([dv.getInt32(0), dv.getInt16(4)], [42, 0]);
    } finally {
      conn.close();
    }

    producing = false;
    await producerLoop;
    producerLoop = undefined;
    await producer.send({ topic: goodTopic, acks: -1, messages: [{ value: "good-end" }] });
    sent.push("good-end");
    await waitFor("the good consumer to see everything", () => received.includes("good-end"));
    assertEquals(errors, []);
    assert(sent.length > 20, `good producer only managed ${sent.length} sends`);
    console.log(`fuzz: the well-behaved client produced and consumed ${sent.length} messages`);
    assertEquals(received, sent);
  } finally {
    producing = false;
    await producerLoop;
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
    await broker.close();
  }
});
