/**
 * Golden-byte plumbing for the client's requests: the exact body a codec writes, and a round
 * trip of it through the in-process broker (tests only import the broker) to read the answer
 * with the client's response reader.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Reader, Writer } from "../../../lib/kafka/protocol/codec.ts";
import { request, type WireClient } from "../../broker/apis/_wire.ts";

export function hex(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}

/** The body `write` produces, compared to the hand-built `expected` bytes. */
export function assertBody(
  write: (w: Writer) => void,
  expected: number[],
  flexible = false,
): Uint8Array {
  const w = new Writer(16, flexible);
  write(w);
  const body = w.finish().slice();
  assert.equal(hex(body), hex(expected));
  return body;
}

/** Sends `body` as request (key, version) and returns a Reader at the response body. */
export async function roundTrip(
  c: WireClient,
  key: number,
  version: number,
  body: Uint8Array,
  flexible = false,
): Promise<Reader> {
  const res = await c.roundTrip(request(key, version, 7, [...body], { flexible }));
  const r = new Reader(res);
  assert.equal(r.int32(), 7);
  if (flexible) r.taggedFields();
  return r;
}
