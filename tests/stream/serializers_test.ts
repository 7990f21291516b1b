import { assert, assertEquals, assertThrows } from "./_assert.ts";
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
