import { strictEqual } from "node:assert/strict";
import { crc32c, crc32cUpdate } from "../../../lib/kafka/protocol/crc32c.ts";

Deno.test("crc32c: standard check value and RFC 3720 vectors", () => {
  strictEqual(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  strictEqual(crc32c(new Uint8Array(32)), 0x8a9136aa);
  strictEqual(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  const inc = new Uint8Array(32).map((_, i) => i);
  strictEqual(crc32c(inc), 0x46dd794e);
  strictEqual(crc32c(new Uint8Array(0)), 0);
});

Deno.test("crc32c: slice-by-8 agrees with bytewise chaining at every split and length", () => {
  const data = new Uint8Array(1000).map((_, i) => (i * 131 + 7) & 0xff);
  for (const len of [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 999, 1000]) {
    const whole = crc32c(data, 0, len);
    let c = 0;
    for (let i = 0; i < len; i++) c = crc32cUpdate(c, data, i, i + 1);
    strictEqual(c, whole, `length ${len}`);
  }
  strictEqual(crc32c(data, 3, 500), crc32c(data.slice(3, 500)));
});

Deno.test("crc32c: word-at-a-time path agrees at every buffer alignment", () => {
  const data = new Uint8Array(4096 + 64).map((_, i) => (i * 7919 + 13) & 0xff);
  const bytewise = (buf: Uint8Array) => {
    let c = 0;
    for (let i = 0; i < buf.length; i++) c = crc32cUpdate(c, buf, i, i + 1);
    return c;
  };
  for (let off = 0; off < 8; off++) {
    for (const len of [15, 16, 17, 33, 4095]) {
      const view = data.subarray(off, off + len); // byteOffset off: unaligned for off % 4 != 0
      strictEqual(crc32c(view), bytewise(view), `offset ${off} length ${len}`);
      strictEqual(crc32c(data, off, off + len), bytewise(view), `range ${off}+${len}`);
    }
  }
});
