import assert from "node:assert/strict";
import { connectKafka } from "../../lib/util/kafka_connect.ts";
import { bytes, i16, i32, request, str } from "../broker/apis/_wire.ts";

/** A one-connection fake broker: checks each request frame byte for byte, sends each answer. */
function fakeBroker(
  exchanges: { expect: Uint8Array; answer: number[] }[],
): { port: number; done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    try {
      for (const { expect, answer } of exchanges) {
        const got = new Uint8Array(expect.length);
        let n = 0;
        while (n < got.length) {
          const r = await conn.read(got.subarray(n));
          if (r === null) throw new Error("client closed early");
          n += r;
        }
        assert.deepEqual([...got], [...expect]);
        await conn.write(new Uint8Array([...i32(answer.length), ...answer]));
      }
    } finally {
      conn.close();
      listener.close();
    }
  })();
  return { port: (listener.addr as Deno.NetAddr).port, done };
}

Deno.test("connectKafka: SaslHandshake v1 and SaslAuthenticate v0 requests, byte for byte (PLAIN)", async () => {
  const token = new TextEncoder().encode("\0alice\0s3cret");
  const { port, done } = fakeBroker([
    {
      expect: request(17, 1, 1, str("PLAIN"), { clientId: "sa" }),
      answer: [...i32(1), ...i16(0), ...i32(1), ...str("PLAIN")],
    },
    {
      expect: request(36, 0, 2, bytes(token), { clientId: "sa" }),
      answer: [...i32(2), ...i16(0), ...str(null), ...bytes([])],
    },
  ]);
  const conn = await connectKafka(`127.0.0.1:${port}`, {
    protocol: "SASL_PLAINTEXT",
    sasl: { mechanism: "PLAIN", username: "alice", password: "s3cret" },
  });
  conn.close();
  await done;
});

Deno.test("connectKafka: the broker's SASL error message is the client's error", async () => {
  const { port, done } = fakeBroker([
    {
      expect: request(17, 1, 1, str("PLAIN"), { clientId: "sa" }),
      answer: [...i32(1), ...i16(0), ...i32(0)],
    },
    {
      expect: request(36, 0, 2, bytes(new TextEncoder().encode("\0alice\0x")), { clientId: "sa" }),
      answer: [...i32(2), ...i16(58), ...str("bad credentials"), ...bytes([])],
    },
  ]);
  await assert.rejects(
    connectKafka(`127.0.0.1:${port}`, {
      protocol: "SASL_PLAINTEXT",
      sasl: { mechanism: "PLAIN", username: "alice", password: "x" },
    }),
    /SASL authentication failed \(error 58\): bad credentials/,
  );
  await done;
});
