import assert from "node:assert/strict";
import { Reader } from "../../../lib/kafka/protocol/codec.ts";
import { ProtocolError } from "../../../lib/kafka/protocol/errors.ts";
import {
  allocateResponseBody,
  encodeResponseFrame,
  readRequestHeader,
} from "../../../lib/kafka/protocol/header.ts";

Deno.test("readRequestHeader reads v1 fields and leaves the reader at the body", () => {
  const bytes = new Uint8Array([0, 3, 0, 6, 0, 0, 1, 2, 0, 2, 0x68, 0x69, 0xaa]);
  const r = new Reader(bytes);
  assert.deepEqual(readRequestHeader(r), {
    apiKey: 3,
    apiVersion: 6,
    correlationId: 258,
    clientId: "hi",
  });
  assert.equal(r.pos, 12);
});

Deno.test("readRequestHeader: a null client id is null; a short header throws", () => {
  const r = new Reader(new Uint8Array([0, 18, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  const h = readRequestHeader(r);
  assert.equal(h.clientId, null);
  assert.equal(h.correlationId, -1);
  assert.throws(() => readRequestHeader(new Reader(new Uint8Array([0, 1, 0]))), ProtocolError);
});

Deno.test("encodeResponseFrame: size, correlation id, optional tag byte, body", () => {
  const body = new Uint8Array([9, 8, 7]);
  assert.deepEqual(
    [...encodeResponseFrame(5, body, false)],
    [0, 0, 0, 7, 0, 0, 0, 5, 9, 8, 7],
  );
  assert.deepEqual(
    [...encodeResponseFrame(5, body, true)],
    [0, 0, 0, 8, 0, 0, 0, 5, 0, 9, 8, 7],
  );
});

Deno.test("encodeResponseFrame sends an allocateResponseBody body in place", () => {
  for (const flexible of [false, true]) {
    const body = allocateResponseBody(3);
    body.set([9, 8, 7]);
    const frame = encodeResponseFrame(5, body, flexible);
    assert.equal(frame.buffer, body.buffer, "no copy");
    assert.deepEqual(
      [...frame],
      flexible ? [0, 0, 0, 8, 0, 0, 0, 5, 0, 9, 8, 7] : [0, 0, 0, 7, 0, 0, 0, 5, 9, 8, 7],
    );
  }
});
