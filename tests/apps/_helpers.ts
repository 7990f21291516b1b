/**
 * Helpers for the app tests: the independent expectation for normalize, an in-process
 * broker, and kafkajs produce/consume utilities.
 *
 * @module
 */
import { Kafka, type KafkaMessage, logLevel, type Producer } from "kafkajs";
import { startBroker } from "../../lib/broker/mod.ts";
import { Logger } from "../../lib/util/log.ts";

/** The repo's demo session, as lines. */
export async function demoLines(): Promise<string[]> {
  const text = await Deno.readTextFile(new URL("../../demo_stream.json", import.meta.url));
  return text.split("\n").filter((l) => l.trim() !== "");
}

/**
 * What the course's Python normalize prints for these lines, computed directly and without
 * the runtime: for each payload item whose name is "accelerometer" and that has an x value,
 * [time, x, y, z, |x|+|y|+|z|] when the total is above 50, in order.
 */
export function expectedRows(lines: string[]): number[][] {
  const rows: number[][] = [];
  for (const line of lines) {
    const msg = JSON.parse(line);
    for (const item of msg.payload) {
      if (item.name + "-x" !== "accelerometer-x" || !("x" in item.values)) continue;
      const { x, y, z } = item.values;
      const total = Math.abs(x) + Math.abs(y) + Math.abs(z);
      if (total > 50) rows.push([item.time, x, y, z, total]);
    }
  }
  return rows;
}

/** An in-process broker on a free port with a temp data dir. */
export async function tempBroker(): Promise<{ address: string; close(): Promise<void> }> {
  const dataDir = await Deno.makeTempDir({ prefix: "sa-r2-" });
  const broker = await startBroker({ port: 0, dataDir, logger: new Logger("broker", "ERROR") });
  return {
    address: broker.address,
    async close() {
      await broker.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** A kafkajs client for tests (quiet). */
export function kafka(address: string): Kafka {
  return new Kafka({ brokers: [address], clientId: "r2-test", logLevel: logLevel.NOTHING });
}

/** Produces lines as-is (string values) under one key, in order. */
export async function produceLines(
  producer: Producer,
  topic: string,
  key: string,
  lines: string[],
): Promise<void> {
  for (let i = 0; i < lines.length; i += 500) {
    await producer.send({
      topic,
      acks: -1,
      messages: lines.slice(i, i + 500).map((value) => ({ key, value })),
    });
  }
}

/** Reads `topic` from the beginning until `count` messages arrived (or times out). */
export function consumeN(
  address: string,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<Array<{ key: string | null; value: string }>> {
  return consumeWhile(
    address,
    topic,
    (message) => ({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? "" }),
    (out) => out.length >= count,
    timeoutMs,
    (n) => `only ${n} of ${count} messages on ${topic}`,
  );
}

/**
 * Reads `topic` from the beginning with a fresh group, mapping each message with `item`,
 * until `done(items)` holds; rejects with `timeoutText(items.length)` after `timeoutMs`.
 */
async function consumeWhile<T>(
  address: string,
  topic: string,
  item: (message: KafkaMessage) => T,
  done: (items: T[]) => boolean,
  timeoutMs: number,
  timeoutText: (received: number) => string,
): Promise<T[]> {
  const consumer = kafka(address).consumer({
    groupId: `r2-check-${crypto.randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  const items: T[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(timeoutText(items.length))), timeoutMs);
      consumer.run({
        eachMessage: ({ message }) => {
          items.push(item(message));
          if (done(items)) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return items;
}

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** A running `sa` subprocess with its output collected. */
export interface SaProcess {
  readonly pid: number;
  /** stdout so far. */
  stdout(): string;
  /** stderr so far. */
  stderr(): string;
  /** Resolves when `pred(stdout, stderr)` holds; rejects on timeout or early exit. */
  waitFor(pred: (out: string, err: string) => boolean, timeoutMs?: number): Promise<void>;
  readonly status: Promise<Deno.CommandStatus>;
  /** Sends a signal and waits for the exit. */
  kill(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Runs `deno run -A cli.ts <args>` in `cwd`, collecting stdout and stderr. */
export function spawnSa(args: string[], cwd: string, env: Record<string, string> = {}): SaProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", CLI, ...args],
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "", err = "";
  let exited = false;
  const drain = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    const dec = new TextDecoder();
    for await (const chunk of s) add(dec.decode(chunk, { stream: true }));
  };
  const drained = Promise.all([
    drain(child.stdout, (t) => out += t),
    drain(child.stderr, (t) => err += t),
  ]);
  const status = child.status.then(async (s) => {
    exited = true;
    await drained;
    return s;
  });
  return {
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    status,
    async waitFor(pred, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while (!pred(out, err)) {
        if (exited) throw new Error(`sa ${args[0]} exited early:\n${out}\n${err}`);
        if (Date.now() > end) throw new Error(`timed out waiting; output so far:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async kill(signal: Deno.Signal = "SIGTERM") {
      if (!exited) {
        try {
          child.kill(signal);
        } catch { /* already gone */ }
      }
      return await status;
    },
  };
}

/** Reads `topic` from the beginning until `done(values)` holds (or times out). */
export function consumeUntil(
  address: string,
  topic: string,
  done: (values: string[]) => boolean,
  timeoutMs = 30_000,
): Promise<string[]> {
  return consumeWhile(
    address,
    topic,
    (message) => message.value?.toString() ?? "",
    done,
    timeoutMs,
    (n) => `condition not met after ${n} messages on ${topic}`,
  );
}
