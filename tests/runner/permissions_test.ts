import assert from "node:assert/strict";
import { join } from "node:path";
import { projectFileReads, sandboxGrant, ungrantedReads } from "../../lib/runner/permissions.ts";

Deno.test("projectFileReads: existing project files a value names; never .env*, .sa/ or outside", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sa_perm_" });
  try {
    await Deno.mkdir(join(dir, "data"));
    await Deno.mkdir(join(dir, ".sa/state/x"), { recursive: true });
    for (const f of ["demo.json", "data/x.csv", ".env", ".env.replay", ".sa/state/x/db"]) {
      await Deno.writeTextFile(join(dir, f), "x");
    }
    const reads = projectFileReads(dir, {
      file: "demo.json",
      other: " data/x.csv ",
      topic: "raw-data",
      folder: "data",
      secrets: ".env",
      app: ".env.replay",
      state: ".sa/state/x/db",
      up: "../etc/passwd",
      url: "http://demo.json",
      abs: join(dir, "demo.json"),
    });
    assert.deepEqual(reads, [join(dir, "demo.json"), join(dir, "data/x.csv")]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ungrantedReads: files inside a granted folder need no new grant", () => {
  const grant = sandboxGrant({ entry: "/p/apps/replay.ts", brokers: ["127.0.0.1:9092"] });
  assert.deepEqual(
    ungrantedReads(grant, ["/p/apps/data.json", "/p/demo_stream.json", "/p/apps2/x"]),
    ["/p/demo_stream.json", "/p/apps2/x"],
  );
});
