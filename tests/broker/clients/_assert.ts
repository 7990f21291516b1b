// Assertions for the client tests (jsr:@std/assert is unreachable here, node:assert is not).
export { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { rejects } from "node:assert";

/** Asserts that `fn` rejects; returns the error for further checks. */
export async function assertRejects(fn: () => Promise<unknown>): Promise<unknown> {
  let caught: unknown;
  await rejects(async () => {
    try {
      await fn();
    } catch (e) {
      caught = e;
      throw e;
    }
  });
  return caught;
}
