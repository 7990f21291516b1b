// The toolkit producer's batches read by librdkafka (confluent-kafka): keyed, with headers,
// gzip and zstd, and a transaction committed after an aborted one (read_committed).
import assert from "node:assert/strict";
import { Cluster } from "../../../lib/kafka/client/cluster.ts";
import { Producer } from "../../../lib/kafka/client/producer.ts";
import { TransactionalProducer } from "../../../lib/kafka/client/transaction.ts";
import { Admin } from "../../../lib/kafka/client/admin.ts";
import { keyPartition } from "../../../lib/kafka/client/partitioner.ts";
import { PYTHON, requireClient } from "../../_clients.ts";
import { startTestBroker } from "../../broker/_harness.ts";

const SCRIPT = new URL("./py/read_topic.py", import.meta.url).pathname;

async function readWithLibrdkafka(
  address: string,
  topic: string,
  expected: number,
): Promise<[number, string | null, string | null, Record<string, string | null>][]> {
  const out = await new Deno.Command(PYTHON, {
    args: [SCRIPT, address, topic, String(expected)],
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`read_topic.py failed:\n${dec.decode(out.stderr)}`);
  return JSON.parse(dec.decode(out.stdout).trim().split("\n").at(-1)!);
}

Deno.test("confluent-kafka reads what the toolkit producer wrote: keys, headers, gzip, zstd, transactions", async () => {
  if (!(await requireClient("confluent-kafka"))) return;
  const b = await startTestBroker();
  const cluster = new Cluster({ bootstrap: b.address });
  try {
    await new Admin(cluster).createTopics([{
      name: "interop",
      partitions: 3,
      replicationFactor: 1,
    }]);
    const expected: [number, string, string, Record<string, string>][] = [];
    for (const compression of ["gzip", "zstd", "none"] as const) {
      const p = await Producer.create(cluster, { compression });
      for (let i = 0; i < 100; i++) {
        const key = `${compression}-k${i % 7}`, value = `{"n":${i},"c":"${compression}","é":"ü"}`;
        p.append("interop", null, key, value, { codec: compression, n: String(i) });
        expected.push([keyPartition(key, 3), key, value, { codec: compression, n: String(i) }]);
      }
      await p.close();
    }
    const tp = await TransactionalProducer.create(cluster, { transactionalId: "interop-tx" });
    tp.beginTransaction();
    for (let i = 0; i < 10; i++) tp.append("interop", 0, "aborted", `a${i}`);
    await tp.flush();
    await tp.abort();
    tp.beginTransaction();
    for (let i = 0; i < 10; i++) {
      tp.append("interop", 1, "committed", `c${i}`);
      expected.push([1, "committed", `c${i}`, {}]);
    }
    await tp.commit();
    const got = await readWithLibrdkafka(b.address, "interop", expected.length);
    const sort = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
    assert.equal(got.length, expected.length);
    assert.deepEqual(sort(got), sort(expected));
  } finally {
    await cluster.close();
    await b.close();
  }
});
