import { assert, assertEquals } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { kafkaClient, text, unique, waitFor } from "./_kafkajs.ts";
import { requireClient } from "../../_clients.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function kcat(args: string[], stdin?: string, timeoutMs = 30_000): Promise<Run> {
  const child = new Deno.Command("kcat", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  const run = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  if (run.code !== 0) {
    throw new Error(`kcat ${args.join(" ")} exited ${run.code}:\n${run.stderr}`);
  }
  return run;
}

interface Row {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/** Parses `-f '%p\t%o\t%k\t%s\n'` output. */
function rows(stdout: string): Row[] {
  return stdout.split("\n").filter((l) => l.length > 0).map((l) => {
    const [p, o, k, v] = l.split("\t");
    return { partition: Number(p), offset: Number(o), key: k, value: v };
  });
}

const N = 1000;
const FORMAT = "%p\t%o\t%k\t%s\n";

function checkAll(got: Row[], what: string): void {
  assertEquals(got.length, N, `${what}: message count`);
  const values = new Set(got.map((r) => r.value));
  assertEquals(values.size, N, `${what}: distinct values`);
  const partitionOfKey = new Map<string, number>();
  const lastOfKey = new Map<string, number>();
  for (const r of got.slice().sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    const i = Number(r.value.split("-")[1]);
    assertEquals(r.key, `key-${i % 10}`, `${what}: key of ${r.value}`);
    assertEquals(r.value, `value-${i}-${"z".repeat(i % 7)}`, `${what}: content`);
    const p = partitionOfKey.get(r.key);
    if (p !== undefined) assertEquals(p, r.partition, `${what}: key ${r.key} on two partitions`);
    partitionOfKey.set(r.key, r.partition);
    assert((lastOfKey.get(r.key) ?? -1) < i, `${what}: key ${r.key} out of order at ${i}`);
    lastOfKey.set(r.key, i);
  }
}

Deno.test("kcat: -L metadata, -P keyed produce, -C exact read back, -G group consume", async () => {
  if (!(await requireClient("kcat"))) return;
  const broker = await testBroker();
  const admin = kafkaClient(broker.address).admin();
  try {
    const topic = unique("kcat");
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();

    // -L: the broker and the topic's 3 partitions, each led by the single broker.
    const meta = JSON.parse((await kcat(["-b", broker.address, "-L", "-J", "-t", topic])).stdout);
    assertEquals(meta.brokers.length, 1);
    assert(String(meta.brokers[0].name).includes(`:${broker.port}`), JSON.stringify(meta.brokers));
    const t = meta.topics.find((x: { topic: string }) => x.topic === topic);
    assert(t, `topic ${topic} missing from kcat -L: ${JSON.stringify(meta.topics)}`);
    assertEquals(t.partitions.map((p: { partition: number }) => p.partition).sort(), [0, 1, 2]);
    for (const p of t.partitions) assertEquals(p.leader, meta.brokers[0].id);
    // Without -t, -L lists every topic.
    const all = JSON.parse((await kcat(["-b", broker.address, "-L", "-J"])).stdout);
    assert(all.topics.some((x: { topic: string }) => x.topic === topic));

    // -P: N lines "key:value"; -K: splits them.
    const lines = Array.from(
      { length: N },
      (_, i) => `key-${i % 10}:value-${i}-${"z".repeat(i % 7)}`,
    );
    await kcat(
      ["-b", broker.address, "-P", "-t", topic, "-K:", "-X", "linger.ms=5"],
      lines.join("\n") + "\n",
    );

    // -C -e: read everything back from the beginning, exactly.
    const consumed = rows(
      (await kcat(["-b", broker.address, "-C", "-t", topic, "-o", "beginning", "-e", "-f", FORMAT]))
        .stdout,
    );
    checkAll(consumed, "kcat -C");
    const expected = new Map(lines.map((l) => [l.slice(l.indexOf(":") + 1), l.split(":")[0]]));
    for (const r of consumed) assertEquals(expected.get(r.value), r.key);
    for (const p of [0, 1, 2]) {
      const offs = consumed.filter((r) => r.partition === p).map((r) => r.offset);
      offs.forEach((o, i) => assertEquals(o, i, `partition ${p} offsets dense`));
      assert(offs.length > 0, `partition ${p} got no keys`);
    }

    // Cross-client: kafkajs reads exactly what librdkafka (kcat) wrote.
    const fromJs: Row[] = [];
    const consumer = kafkaClient(broker.address).consumer({
      groupId: unique("kcat-kafkajs"),
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          fromJs.push({
            partition,
            offset: Number(message.offset),
            key: text(message.key)!,
            value: text(message.value)!,
          });
          await Promise.resolve();
        },
      });
      await waitFor("kafkajs to read the kcat messages", () => fromJs.length >= N);
    } finally {
      await consumer.disconnect();
    }
    checkAll(fromJs, "kafkajs after kcat -P");

    // -G: a balanced consumer group reads all of it and commits.
    const group = unique("kcat-group");
    const groupArgs = [
      "-b",
      broker.address,
      "-G",
      group,
      "-X",
      "auto.offset.reset=earliest",
      "-X",
      "session.timeout.ms=6000",
      "-e",
      "-f",
      FORMAT,
      topic,
    ];
    checkAll(rows((await kcat(groupArgs)).stdout), "kcat -G");
    // The group committed on close: a second run of the same group gets nothing new.
    assertEquals(rows((await kcat(groupArgs)).stdout).length, 0);
  } finally {
    await broker.close();
  }
});
