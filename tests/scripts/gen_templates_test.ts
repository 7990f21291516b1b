import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { generate, templateText } from "../../scripts/gen_templates.ts";

Deno.test("lib/templates/apps/episode2.ts is generated from the course apps (run scripts/gen_templates.ts)", async () => {
  const committed = await Deno.readTextFile(
    fileURLToPath(new URL("../../lib/templates/apps/episode2.ts", import.meta.url)),
  );
  assert.equal(committed, await generate());
});

Deno.test("templateText inlines normalize.ts's declarations and names the app and group", () => {
  const src = `/** doc */
import { Application, defineApp } from "@sa/toolkit";
import type { SensorMessage } from "./normalize.ts";

export default defineApp({
  name: "odometer",
  variables: [],
  main() {
    new Application({ consumerGroup: "odo-group" });
  },
});
`;
  assert.equal(
    templateText(src, "odometer", "// shared"),
    `/** doc */
import { Application, defineApp } from "@sa/toolkit";

// shared

export default defineApp({
  name: "__APP_NAME__",
  variables: [],
  main() {
    new Application({ consumerGroup: "__APP_NAME__" });
  },
});
`,
  );
});
