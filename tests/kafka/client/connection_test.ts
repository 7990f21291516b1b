import assert from "node:assert/strict";
import { KafkaConnection } from "../../../lib/kafka/client/connection.ts";
import { KafkaClientError } from "../../../lib/kafka/client/errors.ts";
import { bytes, cstr, i16, i32, request, str, uvarint } from "../../broker/apis/_wire.ts";
import { fakeBroker } from "./_fake_broker.ts";

const OPTS = { clientId: "golden" };

/** ApiVersions v3 request as the client sends it: header v2, software name and version. */
export const API_VERSIONS_V3 = (id: number) =>
  request(18, 3, id, [...cstr("sa"), ...cstr("0.1.0"), 0], { flexible: true });

/** An ApiVersions v3 answer (header v0) listing `apis` as [key, min, max]. */
export function apiVersionsV3Answer(id: number, apis: [number, number, number][]): number[] {
  return [
    ...i32(id),
    ...i16(0),
    ...uvarint(apis.length + 1),
    ...apis.flatMap(([k, min, max]) => [...i16(k), ...i16(min), ...i16(max), 0]),
    ...i32(0),
    0,
  ];
}

const SASL_APIS: [number, number, number][] = [[17, 0, 1], [18, 0, 3], [36, 0, 2]];

Deno.test("KafkaConnection: ApiVersions v3, SaslHandshake v1 and SaslAuthenticate v0 (PLAIN), byte for byte", async () => {
  const token = new TextEncoder().encode("\0alice\0s3cret");
  const { address, done } = fakeBroker([
    { expect: API_VERSIONS_V3(1), answer: apiVersionsV3Answer(1, SASL_APIS) },
    {
      expect: request(17, 1, 2, str("PLAIN")),
      answer: [...i32(2), ...i16(0), ...i32(1), ...str("PLAIN")],
    },
    {
      expect: request(36, 0, 3, bytes(token)),
      answer: [...i32(3), ...i16(0), ...str(null), ...bytes([])],
    },
  ]);
  const c = await KafkaConnection.open(address, {
    ...OPTS,
    security: {
      protocol: "SASL_PLAINTEXT",
      sasl: { mechanism: "PLAIN", username: "alice", password: "s3cret" },
    },
  });
  assert.equal(c.maxVersion(18), 3);
  assert.equal(c.maxVersion(36), 2);
  assert.equal(c.maxVersion(0), -1);
  c.close();
  await done;
  await c.closed;
});

Deno.test("KafkaConnection: a broker refusing ApiVersions v3 is asked with v0", async () => {
  const { address, done } = fakeBroker([
    // UNSUPPORTED_VERSION, answered v0-shaped with the ApiVersions range it serves.
    {
      expect: API_VERSIONS_V3(1),
      answer: [...i32(1), ...i16(35), ...i32(1), ...i16(18), ...i16(0), ...i16(2)],
    },
    {
      expect: request(18, 0, 2, []),
      answer: [
        ...i32(2),
        ...i16(0),
        ...i32(2),
        ...i16(0),
        ...i16(3),
        ...i16(7),
        ...i16(18),
        ...i16(0),
        ...i16(2),
      ],
    },
  ]);
  const c = await KafkaConnection.open(address, OPTS);
  assert.equal(c.maxVersion(0), 7);
  assert.equal(c.maxVersion(18), 2);
  assert.equal(c.pickVersion(0, 3, 9), 7);
  assert.throws(() => c.pickVersion(1, 4, 11, "Fetch"), /does not serve Fetch v4–11/);
  c.close();
  await done;
});

Deno.test("KafkaConnection: the broker's SASL error message is the client's error, not retriable", async () => {
  const { address, done } = fakeBroker([
    { expect: API_VERSIONS_V3(1), answer: apiVersionsV3Answer(1, SASL_APIS) },
    {
      expect: request(17, 1, 2, str("PLAIN")),
      answer: [...i32(2), ...i16(0), ...i32(0)],
    },
    {
      expect: request(36, 0, 3, bytes(new TextEncoder().encode("\0alice\0x"))),
      answer: [...i32(3), ...i16(58), ...str("bad credentials"), ...bytes([])],
    },
  ]);
  const err = await KafkaConnection.open(address, {
    ...OPTS,
    security: {
      protocol: "SASL_PLAINTEXT",
      sasl: { mechanism: "PLAIN", username: "alice", password: "x" },
    },
  }).then(() => assert.fail("expected a failure"), (e) => e);
  assert.ok(err instanceof KafkaClientError);
  assert.equal(err.name, "SASL_AUTHENTICATION_FAILED");
  assert.equal(err.retriable, false);
  assert.match(
    err.message,
    /SASL PLAIN login as "alice" at 127\.0\.0\.1:\d+: SASL_AUTHENTICATION_FAILED: bad credentials/,
  );
  assert.doesNotMatch(err.message, /\bx\b.*password/);
  await done;
});

Deno.test("KafkaConnection: an unknown mechanism names the ones the broker offers", async () => {
  const { address, done } = fakeBroker([
    { expect: API_VERSIONS_V3(1), answer: apiVersionsV3Answer(1, SASL_APIS) },
    {
      expect: request(17, 1, 2, str("SCRAM-SHA-512")),
      answer: [...i32(2), ...i16(33), ...i32(1), ...str("PLAIN")],
    },
  ]);
  await assert.rejects(
    KafkaConnection.open(address, {
      ...OPTS,
      security: {
        protocol: "SASL_PLAINTEXT",
        sasl: { mechanism: "SCRAM-SHA-512", username: "a", password: "b" },
      },
    }),
    /UNSUPPORTED_SASL_MECHANISM: the broker offers PLAIN/,
  );
  await done;
});

/** A broker that answers ApiVersions, then hands every later frame to `onFrame`. */
function scriptedBroker(
  onFrame: (conn: Deno.Conn, id: number, frame: Uint8Array) => Promise<void> | void,
): { address: string; stop: () => Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const loop = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        let buf = new Uint8Array(0);
        const chunk = new Uint8Array(65536);
        for (;;) {
          const n = await conn.read(chunk).catch(() => null);
          if (n === null) return;
          const merged = new Uint8Array(buf.length + n);
          merged.set(buf);
          merged.set(chunk.subarray(0, n), buf.length);
          buf = merged;
          while (buf.length >= 4) {
            const size = new DataView(buf.buffer, buf.byteOffset).getInt32(0);
            if (buf.length < 4 + size) break;
            const frame = buf.slice(4, 4 + size);
            buf = buf.slice(4 + size);
            const v = new DataView(frame.buffer);
            const key = v.getInt16(0), id = v.getInt32(4);
            if (key === 18) {
              const a = apiVersionsV3Answer(id, [[3, 0, 8], [18, 0, 3]]);
              await conn.write(new Uint8Array([...i32(a.length), ...a]));
            } else await onFrame(conn, id, frame);
          }
        }
      })();
    }
  })();
  return {
    address: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    stop: async () => {
      listener.close();
      await loop.catch(() => {});
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

Deno.test("KafkaConnection: pipelined requests are matched by correlation id, answered in any order", async () => {
  const held: [Deno.Conn, number][] = [];
  const b = scriptedBroker(async (conn, id) => {
    held.push([conn, id]);
    if (held.length < 3) return;
    // Answer the three in reverse order, each body = its id * 10.
    for (const [c, i] of held.reverse()) {
      await c.write(new Uint8Array([...i32(8), ...i32(i), ...i32(i * 10)]));
    }
  });
  const c = await KafkaConnection.open(b.address, OPTS);
  try {
    const rs = await Promise.all([1, 2, 3].map(() => c.request(3, 8, (w) => void w.int32(0))));
    assert.deepEqual(rs.map((r) => r.int32()), [20, 30, 40]);
    assert.equal(c.inFlight, 0);
  } finally {
    c.close();
    await b.stop();
  }
});

Deno.test("KafkaConnection: an unanswered request times out (retriable), closing the connection", async () => {
  const b = scriptedBroker(() => {}); // never answers
  const c = await KafkaConnection.open(b.address, OPTS);
  try {
    const other = c.request(3, 8, () => {});
    const err = await c.request(3, 8, () => {}, { timeoutMs: 150 }).then(
      () => assert.fail("expected a timeout"),
      (e) => e,
    );
    assert.ok(err instanceof KafkaClientError);
    assert.equal(err.name, "REQUEST_TIMED_OUT");
    assert.ok(err.retriable);
    await assert.rejects(other, KafkaClientError);
    assert.ok(c.isClosed);
    await assert.rejects(c.request(3, 8, () => {}), /NETWORK_EXCEPTION|timed out|no response/i);
  } finally {
    c.close();
    await b.stop();
  }
});

Deno.test("KafkaConnection: large and small answers back to back; earlier views stay intact", async () => {
  const sizes = [10, 3 * 1024 * 1024, 20, 700 * 1024, 5];
  const b = scriptedBroker(async (conn, id) => {
    const n = sizes[id - 2];
    const frame = new Uint8Array(8 + n);
    const v = new DataView(frame.buffer);
    v.setInt32(0, 4 + n);
    v.setInt32(4, id);
    frame.fill(id & 0xff, 8);
    // Dribble it out in odd-sized pieces.
    for (let at = 0; at < frame.length; at += 77_777) {
      await conn.write(frame.subarray(at, at + 77_777));
    }
  });
  const c = await KafkaConnection.open(b.address, OPTS);
  try {
    const rs = await Promise.all(sizes.map(() => c.request(3, 8, () => {})));
    rs.forEach((r, i) => {
      const body = r.raw(r.remaining);
      assert.equal(body.length, sizes[i]);
      assert.ok(body.every((x) => x === ((i + 2) & 0xff)), `answer ${i} intact`);
    });
  } finally {
    c.close();
    await b.stop();
  }
});

Deno.test("KafkaConnection: a refused connection is a retriable NETWORK_EXCEPTION naming the address", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const err = await KafkaConnection.open(`127.0.0.1:${port}`, OPTS).then(
    () => assert.fail("expected a failure"),
    (e) => e,
  );
  assert.ok(err instanceof KafkaClientError);
  assert.equal(err.name, "NETWORK_EXCEPTION");
  assert.ok(err.retriable);
  assert.match(err.message, new RegExp(`connecting to 127\\.0\\.0\\.1:${port}`));
  assert.ok(err.cause instanceof Deno.errors.ConnectionRefused);
});
