import assert from "node:assert/strict";
import { join } from "node:path";
import { parseDotEnv, readDotEnv } from "../../lib/project/env.ts";
import { withTempDir } from "../cli/_helpers.ts";

Deno.test("readDotEnv returns {} for a missing file and parses comments and quotes", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await readDotEnv(join(dir, ".env")), {});
    await Deno.writeTextFile(
      join(dir, ".env"),
      "# broker\nSA_BROKER=localhost:19092\n\ninput=raw-data # trailing\nnote='a b'\nempty=\n",
    );
    assert.deepEqual(await readDotEnv(join(dir, ".env")), {
      SA_BROKER: "localhost:19092",
      input: "raw-data",
      note: "a b",
      empty: "",
    });
  });
});

Deno.test("parseDotEnv keeps values containing = and #", () => {
  assert.deepEqual(parseDotEnv('a=x=y\nb="p#q"\n'), { a: "x=y", b: "p#q" });
});
