import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { assertResponse, withBroker } from "./_golden.ts";
import { aliceStore } from "./_sasl.ts";
import { bytes, i16, i32, i64, request, str, uvarint } from "./_wire.ts";

const enc = new TextEncoder();
const FAILED_PLAIN =
  "Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN";

/** SaslAuthenticate request body for version v. */
function auth(v: number, token: Uint8Array): number[] {
  return v >= 2 ? [...uvarint(token.length + 1), ...token, 0] : bytes(token);
}

/** The expected response body. */
function answer(v: number, error: number, message: string | null, token: Uint8Array): number[] {
  const m = enc.encode(message ?? "");
  const out = v >= 2
    ? [
      ...i16(error),
      ...(message === null ? [0] : [...uvarint(m.length + 1), ...m]),
      ...uvarint(token.length + 1),
      ...token,
    ]
    : [...i16(error), ...str(message), ...bytes(token)];
  if (v >= 1) out.push(...i64(0));
  if (v >= 2) out.push(0);
  return out;
}

Deno.test("SaslAuthenticate v0-v2: PLAIN success, then requests are served", async () => {
  const users = await aliceStore();
  for (let v = 0; v <= 2; v++) {
    await withBroker(async (c, b) => {
      await c.roundTrip(request(17, 1, 1, str("PLAIN")));
      const res = await c.roundTrip(
        request(36, v, 2, auth(v, enc.encode("\0alice\0s3cret")), { flexible: v >= 2 }),
      );
      assertResponse(res, 2, answer(v, 0, null, new Uint8Array()), v >= 2 ? [0] : []);
      const md = await c.roundTrip(request(3, 1, 3, i32(0)));
      assert.equal(new DataView(md.buffer, md.byteOffset).getInt32(0), 3);
      assert.ok(b.logs.some((l) => /authenticated as alice \(PLAIN\)/.test(l)));
    }, { users });
  }
});

Deno.test("SaslAuthenticate v0-v2: a wrong password gets SASL_AUTHENTICATION_FAILED (58), then the connection closes", async () => {
  const users = await aliceStore();
  for (let v = 0; v <= 2; v++) {
    await withBroker(async (c, b) => {
      await c.roundTrip(request(17, 1, 1, str("PLAIN")));
      const res = await c.roundTrip(
        request(36, v, 2, auth(v, enc.encode("\0alice\0hunter2")), { flexible: v >= 2 }),
      );
      assertResponse(res, 2, answer(v, 58, FAILED_PLAIN, new Uint8Array()), v >= 2 ? [0] : []);
      assert.equal(await c.receive(), null);
      const line = b.logs.find((l) => /authentication failed/.test(l))!;
      assert.match(line, /for client 127\.0\.0\.1:\d+ with SASL mechanism PLAIN/);
      assert.ok(!b.logs.some((l) => l.includes("hunter2")), "the password is never logged");
    }, { users });
  }
});

Deno.test("SaslAuthenticate without a handshake: ILLEGAL_SASL_STATE, then closed", async () => {
  await withBroker(async (c) => {
    const res = await c.roundTrip(request(36, 1, 5, auth(1, enc.encode("\0alice\0s3cret"))));
    assertResponse(
      res,
      5,
      answer(1, 34, "Unexpected SaslAuthenticate: send SaslHandshake v1 first", new Uint8Array()),
    );
    assert.equal(await c.receive(), null);
  }, { users: await aliceStore() });
});

/** A SCRAM client on node:crypto, independent of lib/kafka/protocol/scram.ts. */
function nodeScram(hash: "sha256" | "sha512", password: string) {
  const cnonce = "fyko+d2lbbFgONRv9qkxdawL";
  const bare = `n=alice,r=${cnonce}`;
  const hmac = (k: Uint8Array, m: string) => createHmac(hash, k).update(m).digest();
  let expectedServerFinal = "";
  return {
    first: `n,,${bare}`,
    final(serverFirst: string): string {
      const a = Object.fromEntries(serverFirst.split(",").map((p) => [p[0], p.slice(2)]));
      assert.ok(a.r.startsWith(cnonce));
      const salted = pbkdf2Sync(
        password,
        Buffer.from(a.s, "base64"),
        Number(a.i),
        hash === "sha256" ? 32 : 64,
        hash,
      );
      const clientKey = hmac(salted, "Client Key");
      const stored = createHash(hash).update(clientKey).digest();
      const withoutProof = `c=biws,r=${a.r}`;
      const authMessage = `${bare},${serverFirst},${withoutProof}`;
      const sig = hmac(stored, authMessage);
      const proof = clientKey.map((x, i) => x ^ sig[i]);
      expectedServerFinal = `v=${hmac(hmac(salted, "Server Key"), authMessage).toString("base64")}`;
      return `${withoutProof},p=${Buffer.from(proof).toString("base64")}`;
    },
    get serverFinal() {
      return expectedServerFinal;
    },
  };
}

Deno.test("SaslAuthenticate v1: SCRAM-SHA-256 and SHA-512 exchanges; the server-final proves the credential", async () => {
  const users = await aliceStore();
  for (
    const [mechanism, hash] of [["SCRAM-SHA-256", "sha256"], ["SCRAM-SHA-512", "sha512"]] as const
  ) {
    await withBroker(async (c) => {
      await c.roundTrip(request(17, 1, 1, str(mechanism)));
      const client = nodeScram(hash, "s3cret");
      const first = await c.roundTrip(request(36, 1, 2, auth(1, enc.encode(client.first))));
      const body = first.subarray(4);
      const v = new DataView(body.buffer, body.byteOffset);
      assert.equal(v.getInt16(0), 0);
      assert.equal(v.getInt16(2), -1);
      const serverFirst = new TextDecoder().decode(body.subarray(8, 8 + v.getInt32(4)));
      assert.match(serverFirst, /^r=fyko\+d2lbbFgONRv9qkxdawL[^,]+,s=[A-Za-z0-9+/=]+,i=4096$/);
      const finalMsg = client.final(serverFirst);
      const res = await c.roundTrip(request(36, 1, 3, auth(1, enc.encode(finalMsg))));
      assertResponse(res, 3, answer(1, 0, null, enc.encode(client.serverFinal)));
    }, { users });
  }
});

Deno.test("SaslAuthenticate v1: SCRAM with a wrong password fails with 58 and closes", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(17, 1, 1, str("SCRAM-SHA-256")));
    const client = nodeScram("sha256", "wrong");
    const first = await c.roundTrip(request(36, 1, 2, auth(1, enc.encode(client.first))));
    const body = first.subarray(4);
    const len = new DataView(body.buffer, body.byteOffset).getInt32(4);
    const serverFirst = new TextDecoder().decode(body.subarray(8, 8 + len));
    const res = await c.roundTrip(
      request(36, 1, 3, auth(1, enc.encode(client.final(serverFirst)))),
    );
    assertResponse(
      res,
      3,
      answer(
        1,
        58,
        "Authentication failed during authentication due to invalid credentials with SASL " +
          "mechanism SCRAM-SHA-256",
        new Uint8Array(),
      ),
    );
    assert.equal(await c.receive(), null);
  }, { users: await aliceStore() });
});
