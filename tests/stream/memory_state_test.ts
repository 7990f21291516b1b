import { assertEquals, assertThrows } from "./_assert.ts";
import { MemoryStateBackend } from "../../lib/stream/state/memory.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string) => enc.encode(s);

Deno.test("memory store: reads see pending writes, scan is ordered and half-open", async () => {
  const backend = new MemoryStateBackend();
  await backend.assign("t", 0);
  const s = backend.store("default", "t", 0);
  s.set(b("b"), b("2"));
  s.set(b("a"), b("1"));
  s.set(b("c"), b("3"));
  assertEquals(dec.decode(s.get(b("a"))!), "1");
  await backend.flush(new Map([["t:0", 3]]));
  s.delete(b("b"));
  s.set(b("a\u00ff"), b("x"));
  const got = [...s.scan(b("a"), b("c"))].map(([k, v]) => `${dec.decode(k)}=${dec.decode(v)}`);
  assertEquals(got, ["a=1", "a\u00ff=x"]);
  assertEquals(s.get(b("b")), undefined);
  assertEquals(s.pendingCount, 2);
});

Deno.test("memory store: unassigned partition is refused, revoke drops state", async () => {
  const backend = new MemoryStateBackend();
  assertThrows(() => backend.store("default", "t", 1), Error, "t:1 is not assigned");
  await backend.assign("t", 1);
  backend.store("default", "t", 1).set(b("k"), b("v"));
  await backend.revoke("t", 1);
  await backend.assign("t", 1);
  assertEquals(backend.store("default", "t", 1).get(b("k")), undefined);
  await backend.close();
});
