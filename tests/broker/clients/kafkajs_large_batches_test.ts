/**
 * Produce requests and Fetch responses above the pool threshold reuse buffers (see
 * `lib/kafka/protocol/buffer_pool.ts`). Big batches, then smaller ones into the same buffers,
 * must still come back byte for byte: a pooled buffer that kept bytes of an earlier request
 * would show up here as wrong values or a corrupt batch.
 *
 * @module
 */
import { assertEquals } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { kafkaClient, text, unique, waitFor } from "./_kafkajs.ts";

/** A value of `size` bytes that names its message, so a stale or shifted byte is visible. */
function valueOf(i: number, size: number): string {
  const head = `m${i}:`;
  return head + String.fromCharCode(97 + (i % 26)).repeat(size - head.length);
}

Deno.test("kafkajs: large then smaller batches through reused buffers come back exactly", async () => {
  const broker = await testBroker();
  const kafka = kafkaClient(broker.address);
  const producer = kafka.producer();
  const topic = unique("pooled");
  const sent: string[] = [];
  try {
    await producer.connect();
    // 900 KB, 600 KB, 300 KB and 20 KB requests: each one after the first fits a buffer a
    // larger one left behind.
    for (const [count, size] of [[900, 1000], [600, 1000], [300, 1000], [20, 1000]]) {
      const messages = [];
      for (let j = 0; j < count; j++) {
        const v = valueOf(sent.length, size);
        sent.push(v);
        messages.push({ key: `k${sent.length % 7}`, value: v });
      }
      await producer.send({ topic, acks: -1, messages });
    }

    // Two passes with different fetch sizes, so responses of several sizes reuse the
    // buffers of earlier, larger ones.
    for (const maxBytesPerPartition of [4 * 1024 * 1024, 300 * 1024]) {
      const consumer = kafka.consumer({
        groupId: unique("pooled-group"),
        maxBytesPerPartition,
        maxWaitTimeInMs: 100,
      });
      const got: string[] = [];
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: ({ message }) => {
            got.push(text(message.value)!);
            return Promise.resolve();
          },
        });
        await waitFor(
          `${sent.length} messages (${maxBytesPerPartition} B fetches)`,
          () => got.length >= sent.length,
        );
      } finally {
        await consumer.disconnect();
      }
      assertEquals(got.length, sent.length);
      for (let i = 0; i < sent.length; i++) {
        if (got[i] !== sent[i]) {
          throw new Error(`message ${i} differs (${maxBytesPerPartition} B fetches)`);
        }
      }
    }
  } finally {
    await producer.disconnect();
    await broker.close();
  }
});
