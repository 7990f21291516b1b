import assert from "node:assert/strict";
import { renderAssets } from "../../scripts/embed_console.ts";

Deno.test("console page: the embedded assets match lib/console/page/ (run scripts/embed_console.ts)", async () => {
  const dir = new URL("../../lib/console/page/", import.meta.url);
  const embedded = await Deno.readTextFile(new URL("_assets.ts", dir));
  assert.equal(embedded, await renderAssets(dir), "run: deno run -A scripts/embed_console.ts");
});
