/**
 * librdkafka compression against the broker: confluent-kafka with `compression.type` gzip,
 * snappy, lz4 and zstd must send compressed batches, the broker must store them as sent
 * (attributes checked in the segment files), and kcat (all codecs) and kafkajs (gzip, its only
 * built-in codec) must read them back. librdkafka only enables gzip/snappy/lz4 when Produce v0
 * is advertised, so this fails if the Produce range loses v0.
 */
import { assertEquals } from "./clients/_assert.ts";
import { testBroker } from "./clients/_broker.ts";
import { kafkaClient, unique, waitFor } from "./clients/_kafkajs.ts";
import { PYTHON, requireClient } from "../_clients.ts";
import { join } from "node:path";

const CODECS = ["gzip", "snappy", "lz4", "zstd"] as const;
const CODEC_ID: Record<string, number> = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
const N = 200;

// Produces N compressible messages per codec to `<prefix>-<codec>`, batched by linger.ms.
const PRODUCE_PY = `
import json, sys
from confluent_kafka import Producer
addr, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
errors = []
for codec in ${JSON.stringify(CODECS)}:
    p = Producer({"bootstrap.servers": addr, "compression.type": codec, "linger.ms": 20,
                  "acks": "all"})
    for i in range(n):
        p.produce(prefix + "-" + codec, key=b"k%d" % i, value=(b"value-%06d " % i) * 8,
                  on_delivery=lambda err, msg: err and errors.append(str(err)))
    left = p.flush(30)
    if left or errors:
        sys.exit("%s: %d undelivered, errors %s" % (codec, left, errors[:3]))
print(json.dumps({"produced": n}))
`;

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${out.code}:\n${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

/** Codec ids and record counts of every batch stored for partition 0 of `topic`. */
function storedBatches(dataDir: string, topic: string): { codec: number; records: number }[] {
  const dir = join(dataDir, `${topic}-0`);
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".log"))
    .sort();
  const out: { codec: number; records: number }[] = [];
  for (const f of files) {
    const data = Deno.readFileSync(join(dir, f));
    const v = new DataView(data.buffer);
    for (let at = 0; at < data.length; at += 12 + v.getInt32(at + 8)) {
      out.push({ codec: v.getInt16(at + 21) & 7, records: v.getInt32(at + 57) });
    }
  }
  return out;
}

Deno.test("confluent-kafka compression.type gzip/snappy/lz4/zstd is stored compressed; kcat and kafkajs read it back", async () => {
  if (!(await requireClient("confluent-kafka")) || !(await requireClient("kcat"))) return;
  const broker = await testBroker();
  try {
    const prefix = unique("codec");
    const printed = await run(PYTHON, ["-c", PRODUCE_PY, broker.address, prefix, String(N)]);
    assertEquals(JSON.parse(printed.trim().split("\n").at(-1)!), { produced: N });
    const expected = Array.from(
      { length: N },
      (_, i) => `value-${String(i).padStart(6, "0")} `.repeat(8),
    );
    for (const codec of CODECS) {
      const topic = `${prefix}-${codec}`;
      const batches = storedBatches(broker.dataDir, topic);
      assertEquals(
        {
          codecs: [...new Set(batches.map((b) => b.codec))],
          records: batches.reduce((n, b) => n + b.records, 0),
        },
        { codecs: [CODEC_ID[codec]], records: N },
        `stored batches of ${topic}`,
      );
      const read = await run("kcat", [
        "-b",
        broker.address,
        "-C",
        "-t",
        topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-f",
        "%s\\n",
      ]);
      assertEquals(read.split("\n").slice(0, -1), expected, `kcat read back of ${topic}`);
    }
    // kafkajs ships only gzip; it must decode librdkafka's gzip batches.
    const consumer = kafkaClient(broker.address).consumer({ groupId: unique("codec-js") });
    const got: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: `${prefix}-gzip`, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          got.push(message.value!.toString());
          return Promise.resolve();
        },
      });
      await waitFor("kafkajs to read the gzip batches", () => got.length >= N);
    } finally {
      await consumer.disconnect();
    }
    assertEquals(got, expected, "kafkajs read back of gzip");
  } finally {
    await broker.close();
  }
});
