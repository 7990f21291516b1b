import assert from "node:assert/strict";
import { Reader, Writer, ZERO_UUID } from "../../../lib/kafka/protocol/codec.ts";
import { ProtocolError } from "../../../lib/kafka/protocol/errors.ts";

const ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

Deno.test("uuid: 16 raw bytes in canonical form, round trip; a bad one is refused", () => {
  const bytes = new Writer(4).uuid(ID).uuid(ZERO_UUID).finish();
  assert.deepEqual(
    [...bytes.subarray(0, 16)],
    [
      0x0f,
      0x1e,
      0x2d,
      0x3c,
      0x4b,
      0x5a,
      0x69,
      0x78,
      0x87,
      0x96,
      0xa5,
      0xb4,
      0xc3,
      0xd2,
      0xe1,
      0xf0,
    ],
  );
  const r = new Reader(bytes);
  assert.equal(r.uuid(), ID);
  assert.equal(r.uuid(), ZERO_UUID);
  assert.throws(() => r.uuid(), ProtocolError);
  assert.throws(() => new Writer().uuid("not-a-uuid"), /not a UUID: "not-a-uuid"/);
});

Deno.test("f* fields: classic INT16/INT32 lengths, or compact lengths and tags when flexible", () => {
  const data = new Uint8Array([7, 8]);
  const write = (flexible: boolean) =>
    new Writer(8, flexible).fString("ab").fNullableString(null).fBytes(data)
      .fArray([1, 2], (w, n) => void w.int8(n).fTags()).fTags().finish();
  assert.deepEqual(
    [...write(false)],
    [0, 2, 0x61, 0x62, 0xff, 0xff, 0, 0, 0, 2, 7, 8, 0, 0, 0, 2, 1, 2],
  );
  assert.deepEqual([...write(true)], [3, 0x61, 0x62, 0, 3, 7, 8, 3, 1, 0, 2, 0, 0]);
  for (const flexible of [false, true]) {
    const r = new Reader(write(flexible));
    r.flexible = flexible;
    assert.equal(r.fString(), "ab");
    assert.equal(r.fNullableString(), null);
    assert.deepEqual([...r.fBytes()], [7, 8]);
    assert.deepEqual(r.fArray((r) => [r.int8(), r.fTags()][0]), [1, 2]);
    r.fTags();
    assert.equal(r.remaining, 0);
  }
});

Deno.test("compact bytes: null (length 0) is a protocol error naming the byte", () => {
  assert.throws(() => new Reader(new Uint8Array([0])).compactBytes(), {
    name: "ProtocolError",
    message: "null compact bytes at byte 1",
  });
});
