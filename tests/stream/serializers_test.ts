import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { Buffer } from "node:buffer";
import { Topic } from "../../lib/stream/topic.ts";
import { ConfigurationError } from "../../lib/stream/errors.ts";

Deno.test("int and double are big-endian fixed width", () => {
  const t = new Topic<number, number>("t", {
    valueSerializer: "double",
    valueDeserializer: "double",
    keySerializer: "int",
    keyDeserializer: "int",
  });
  assertEquals([...t.serializeKey(-2)!], [0xff, 0xff, 0xff, 0xfe]);
  assertEquals([...t.serializeValue(1)!], [0x3f, 0xf0, 0, 0, 0, 0, 0, 0]);
  assertEquals(t.deserializeKey(new Uint8Array([0, 0, 1, 0])), 256);
  assertThrows(() => t.deserializeKey(new Uint8Array([1, 2])), TypeError, "expected 4 bytes");
  assertThrows(() => t.serializeKey(2 ** 31), TypeError, "int32");
});

Deno.test("json values, string keys and null payloads", () => {
  const t = new Topic<{ a: number }>("t");
  assertEquals(t.deserializeValue(t.serializeValue({ a: 1 })), { a: 1 });
  assertEquals(t.deserializeKey(new TextEncoder().encode("k")), "k");
  assertEquals(t.serializeValue(null), null);
  assertEquals(t.deserializeValue(null), null);
  assertThrows(() => t.deserializeValue(new TextEncoder().encode("{bad")), SyntaxError);
});

Deno.test("custom formats and bad format names", () => {
  const t = new Topic<string[]>("t", {
    valueSerializer: { serialize: (v) => new TextEncoder().encode(v.join(",")) },
    valueDeserializer: { deserialize: (b) => new TextDecoder().decode(b).split(",") },
  });
  assertEquals(t.deserializeValue(t.serializeValue(["a", "b"])), ["a", "b"]);
  const e = assertThrows(
    () => new Topic("t", { valueSerializer: "yaml" as unknown as "json" }),
    ConfigurationError,
  );
  assert(e.message.includes('"yaml"') && e.message.includes("json"), e.message);
  assertThrows(() => new Topic("bad name"), TypeError, "invalid topic name");
});

Deno.test("string keys: repeated keys decode and encode the same, a reused buffer is not trusted", () => {
  const t = new Topic("t");
  const buf = Buffer.from("device-1");
  assertEquals(t.deserializeKey(buf), "device-1");
  // The consumer may reuse memory: same buffer, new bytes, must give the new key.
  buf.write("device-2");
  assertEquals(t.deserializeKey(buf), "device-2");
  assertEquals(t.deserializeKey(Buffer.from("device-2")), "device-2");
  assertEquals(t.deserializeKey(Buffer.from("device-22")), "device-22");
  assertEquals(t.deserializeKey(Buffer.from("")), "");
  assertEquals(t.deserializeKey(null), null);
  const long = "k".repeat(100);
  assertEquals(t.deserializeKey(Buffer.from(long)), long);
  assertEquals(new TextDecoder().decode(t.serializeKey("é1")!), "é1");
  assertEquals(new TextDecoder().decode(t.serializeKey("é1")!), "é1");
  assertEquals(new TextDecoder().decode(t.serializeKey("é2")!), "é2");
  assertEquals(new TextDecoder().decode(t.serializeKey(7)!), "7");
  assertEquals(t.serializeKey(null), null);
  // A custom key format is called for every message (it may not be pure).
  let calls = 0;
  const c = new Topic<unknown, string>("c", {
    keyDeserializer: { deserialize: (b) => `${++calls}:${new TextDecoder().decode(b)}` },
  });
  assertEquals(c.deserializeKey(Buffer.from("a")), "1:a");
  assertEquals(c.deserializeKey(Buffer.from("a")), "2:a");
});

Deno.test("UTF-8 decoding of kafkajs Buffers: only the view's bytes, invalid bytes become U+FFFD", () => {
  const t = new Topic<{ s: string }>("t");
  // kafkajs hands out subarrays of one response Buffer: decode must respect the view.
  const pool = Buffer.from('xx{"s":"é"}yy', "utf8");
  assertEquals(t.deserializeValue(pool.subarray(2, pool.length - 2)), { s: "é" });
  const bad = Buffer.from([0x6b, 0xff, 0x6b]);
  assertEquals(t.deserializeKey(bad), "k\uFFFDk");
  assertEquals(t.deserializeKey(new Uint8Array(bad)), "k\uFFFDk");
});
