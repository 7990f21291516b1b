import assert from "node:assert/strict";
import { colour, colourEnabled, formatTable } from "../../lib/cli/_table.ts";

Deno.test("formatTable aligns text left and numbers right, ignoring colour codes", () => {
  const red = colour(true, "red", "STOP");
  assert.equal(
    formatTable(["NAME", "LAG", "STATUS"], [["a", "5", red], ["long-name", "120", "OK"]]),
    `NAME       LAG  STATUS\na            5  ${red}\nlong-name  120  OK\n`,
  );
});

Deno.test("colour only on a TTY without NO_COLOR", () => {
  assert.equal(colour(false, "red", "x"), "x");
  assert.equal(colour(true, "red", "x"), "\x1b[31mx\x1b[0m");
  assert.equal(colourEnabled({ isTty: true, env: {} }), true);
  assert.equal(colourEnabled({ isTty: true, env: { NO_COLOR: "1" } }), false);
  assert.equal(colourEnabled({ isTty: false, env: {} }), false);
});
