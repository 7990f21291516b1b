import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { invocationDir } from "../../lib/cli/_command.ts";

Deno.test("invocationDir trusts INIT_CWD only when running in the toolkit folder", () => {
  // Under `deno task sa`, the process runs in the toolkit root and INIT_CWD is the caller's.
  assertEquals(invocationDir("/home/me/project", "/opt/sa", "/opt/sa"), "/home/me/project");
  // A process started elsewhere with an inherited, stale INIT_CWD acts on its own cwd.
  assertEquals(invocationDir("/stale", "/tmp/work", "/opt/sa"), "/tmp/work");
  assertEquals(invocationDir(undefined, "/tmp/work", "/opt/sa"), "/tmp/work");
  // Compiled binary: no source tree, the cwd wins.
  assertEquals(invocationDir("/home/me/project", "/tmp/work", null), "/tmp/work");
});
