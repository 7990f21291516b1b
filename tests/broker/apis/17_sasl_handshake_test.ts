import assert from "node:assert/strict";
import { handlers, saslHandlers } from "../../../lib/broker/apis/mod.ts";
import { assertResponse, withBroker } from "./_golden.ts";
import { aliceStore } from "./_sasl.ts";
import { arr, bytes, i16, request, str } from "./_wire.ts";

const MECHANISMS = arr([str("PLAIN"), str("SCRAM-SHA-256"), str("SCRAM-SHA-512")]);

Deno.test("SaslHandshake v0-v1: PLAIN and SCRAM accepted with the mechanism list", async () => {
  const users = await aliceStore();
  for (const mechanism of ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]) {
    for (let v = 0; v <= 1; v++) {
      await withBroker(async (c) => {
        assertResponse(await c.roundTrip(request(17, v, 7, str(mechanism))), 7, [
          ...i16(0),
          ...MECHANISMS,
        ]);
      }, { users });
    }
  }
});

Deno.test("SaslHandshake: an unknown mechanism gets UNSUPPORTED_SASL_MECHANISM, then the connection closes", async () => {
  await withBroker(async (c, b) => {
    assertResponse(await c.roundTrip(request(17, 1, 3, str("GSSAPI"))), 3, [
      ...i16(33),
      ...MECHANISMS,
    ]);
    assert.equal(await c.receive(), null);
    assert.ok(b.logs.some((l) => /with SASL mechanism GSSAPI: mechanism not enabled/.test(l)));
  }, { users: await aliceStore() });
});

Deno.test("SaslHandshake: a second handshake gets ILLEGAL_SASL_STATE and closes", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(17, 1, 1, str("PLAIN")));
    assertResponse(await c.roundTrip(request(17, 1, 2, str("PLAIN"))), 2, [
      ...i16(34),
      ...MECHANISMS,
    ]);
    assert.equal(await c.receive(), null);
  }, { users: await aliceStore() });
});

Deno.test("SASL broker: only ApiVersions and SASL before authentication; anything else closes", async () => {
  await withBroker(async (c, b) => {
    // ApiVersions is answered, and advertises SaslHandshake 0-1 and SaslAuthenticate 0-2.
    const av = await c.roundTrip(request(18, 0, 1, []));
    const hex = [...av].map((x) => x.toString(16).padStart(2, "0")).join("");
    const entry = (k: number, lo: number, hi: number) =>
      [...i16(k), ...i16(lo), ...i16(hi)].map((x) => x.toString(16).padStart(2, "0")).join("");
    assert.ok(hex.includes(entry(17, 0, 1)) && hex.includes(entry(36, 0, 2)));
    // Metadata before authenticating: the connection is closed, no answer.
    await c.send(request(3, 1, 2, arr([])));
    assert.equal(await c.receive(), null);
    assert.ok(b.logs.some((l) => /Metadata v1 .* before SASL authentication/.test(l)));
  }, { users: await aliceStore() });
});

Deno.test("SaslHandshake v0: bare tokens follow (kafka-python); PLAIN answers an empty token", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(17, 0, 1, str("PLAIN")));
    const token = new TextEncoder().encode("\0alice\0s3cret");
    // A bare token: size + bytes, no request header; the answer is size 0.
    await c.send(new Uint8Array(bytes(token)));
    const raw = c as unknown as { fill(n: number): Promise<boolean>; buf: Uint8Array };
    assert.ok(await raw.fill(4));
    assert.deepEqual([...raw.buf.subarray(0, 4)], [0, 0, 0, 0]);
    raw.buf = raw.buf.subarray(4);
    // Authenticated: Metadata v1 with no topics is answered.
    const md = await c.roundTrip(request(3, 1, 2, arr([])));
    assert.equal(new DataView(md.buffer, md.byteOffset).getInt32(0), 2);
  }, { users: await aliceStore() });
});

Deno.test("SaslHandshake v0: a wrong bare PLAIN token closes the connection without an answer", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(17, 0, 1, str("PLAIN")));
    await c.send(new Uint8Array(bytes(new TextEncoder().encode("\0alice\0nope"))));
    assert.equal(await c.receive(), null);
  }, { users: await aliceStore() });
});

Deno.test("without users, the SASL APIs are not served (ApiVersions does not list them)", () => {
  assert.equal(handlers.has(17) || handlers.has(36), false);
  assert.equal(saslHandlers.get(17)?.maxVersion, 1);
  assert.equal(saslHandlers.get(36)?.maxVersion, 2);
});
