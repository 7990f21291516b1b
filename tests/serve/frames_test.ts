import { assertEquals, assertThrows } from "../stream/_assert.ts";
import { jsonOf, recordFrame } from "../../lib/serve/_frames.ts";
import { CursorError, formatCursor, parseCursor } from "../../lib/serve/cursor.ts";

const enc = new TextEncoder();

Deno.test("frames: JSON values are embedded as is, text quoted, other bytes base64", () => {
  assertEquals(jsonOf(enc.encode('{"a":1}')), { json: '{"a":1}', binary: false });
  assertEquals(jsonOf(enc.encode("42")), { json: "42", binary: false });
  assertEquals(jsonOf(enc.encode("true")), { json: "true", binary: false });
  assertEquals(jsonOf(enc.encode("null")), { json: "null", binary: false });
  assertEquals(jsonOf(enc.encode("not json")), { json: '"not json"', binary: false });
  assertEquals(jsonOf(enc.encode("{broken")), { json: '"{broken"', binary: false });
  assertEquals(jsonOf(new Uint8Array([0xff, 0x00])), { json: '"/wA="', binary: true });
  assertEquals(jsonOf(null), { json: "null", binary: false });
});

Deno.test("frames: a record frame is valid JSON carrying every field and the cursor", () => {
  const r = {
    partition: 1,
    offset: 7,
    timestamp: 1700000000000,
    key: enc.encode('k"1'),
    value: new Uint8Array([0xff]),
    headers: [{ key: "h", value: enc.encode("v") }, { key: "n", value: null }],
  };
  const f = JSON.parse(recordFrame("t", r, "0:3,1:8"));
  assertEquals(f, {
    type: "record",
    topic: "t",
    partition: 1,
    offset: 7,
    timestamp: 1700000000000,
    key: 'k"1',
    value: "/w==",
    encoding: "base64",
    headers: { h: "v", n: null },
    cursor: "0:3,1:8",
  });
  // The body is built once; a second client gets its own cursor on it.
  assertEquals(JSON.parse(recordFrame("t", r, "0:9,1:8")).cursor, "0:9,1:8");
});

Deno.test("cursor: round trip, and bad cursors name the bad part", () => {
  assertEquals(formatCursor(parseCursor("1:7, 0:12")), "0:12,1:7");
  assertThrows(() => parseCursor(""), CursorError, "empty cursor");
  assertThrows(() => parseCursor("0:1,x"), CursorError, 'bad cursor part "x"');
  assertThrows(() => parseCursor("0:-1"), CursorError, 'bad cursor part "0:-1"');
  assertThrows(() => parseCursor("0:1,0:2"), CursorError, "partition 0 twice");
});
