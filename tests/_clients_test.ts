import { assertEquals } from "./broker/clients/_assert.ts";

const CLIENTS = new URL("./_clients.ts", import.meta.url).href;

/** Runs requireClient("kcat") in a subprocess whose PATH cannot find kcat. */
async function requireMissingKcat(requireClients: boolean) {
  const script = `import { requireClient } from ${JSON.stringify(CLIENTS)};
try { console.log("result", await requireClient("kcat")); }
catch (e) { console.log("threw", e.message); }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: {
      PATH: "/nonexistent",
      SA_REQUIRE_CLIENTS: requireClients ? "1" : "",
      NO_COLOR: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

Deno.test("requireClient: a missing client skips with a reason, or throws under SA_REQUIRE_CLIENTS=1", async () => {
  const skipped = await requireMissingKcat(false);
  assertEquals(skipped.length, 2, skipped.join("\n"));
  assertEquals(skipped[0].startsWith("SKIP: client kcat not available: `kcat` cannot run"), true);
  assertEquals(skipped[1], "result false");

  const required = await requireMissingKcat(true);
  assertEquals(required.length, 1, required.join("\n"));
  assertEquals(
    required[0].startsWith("threw client kcat is required (SA_REQUIRE_CLIENTS=1) but missing"),
    true,
  );
});
