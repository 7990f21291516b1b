// Minimal assertions (jsr:@std/assert is unreachable here).
export { deepStrictEqual as assertEquals, ok as assert } from "node:assert";

/** Asserts that `fn` throws an instance of `cls` whose message includes `includes`. */
export function assertThrows(
  fn: () => unknown,
  cls: new (...args: never[]) => Error = Error,
  includes = "",
): Error {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof cls)) throw new Error(`expected ${cls.name}, got ${e}`);
    if (!e.message.includes(includes)) {
      throw new Error(`expected message to include "${includes}", got "${e.message}"`);
    }
    return e;
  }
  throw new Error("expected the function to throw");
}

/** Async variant of {@link assertThrows}. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  cls: new (...args: never[]) => Error = Error,
  includes = "",
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof cls)) throw new Error(`expected ${cls.name}, got ${e}`);
    if (!e.message.includes(includes)) {
      throw new Error(`expected message to include "${includes}", got "${e.message}"`);
    }
    return e;
  }
  throw new Error("expected the promise to reject");
}
