/**
 * A scripted one-connection broker for golden-byte tests: it checks each request frame byte
 * for byte against the expected one and sends the scripted answer (correlation id included).
 *
 * @module
 */
import assert from "node:assert/strict";
import { i32 } from "../../broker/apis/_wire.ts";

/** One exchange: the exact request frame expected, and the answer's bytes after the size. */
export interface Exchange {
  expect: Uint8Array;
  /** Answer payload (correlation id first); null closes the connection instead. */
  answer: number[] | null;
}

/** Listens on a free port; `done` resolves after the script ran (or rejects on a mismatch). */
export function fakeBroker(exchanges: Exchange[]): { address: string; done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    try {
      for (const { expect, answer } of exchanges) {
        const got = new Uint8Array(expect.length);
        let n = 0;
        while (n < got.length) {
          const r = await conn.read(got.subarray(n));
          if (r === null) throw new Error(`client closed after ${n} of ${got.length} bytes`);
          n += r;
        }
        assert.deepEqual([...got], [...expect]);
        if (answer === null) break;
        await conn.write(new Uint8Array([...i32(answer.length), ...answer]));
      }
    } finally {
      conn.close();
      listener.close();
    }
  })();
  return { address: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`, done };
}
