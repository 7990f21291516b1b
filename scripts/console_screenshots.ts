/**
 * Writes the README's console screenshots (docs/console-*.png): runs `sa up` on a copy of this
 * repo's episode-1 project, lets replay and normalize run for a while, and photographs the
 * console's pages in Debian's Chromium. `deno run -A scripts/console_screenshots.ts`
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const dir = await Deno.makeTempDir({ prefix: "sa-shots-" });
await Deno.mkdir(join(dir, "apps"));
for await (const e of Deno.readDir(join(ROOT, "apps"))) {
  if (e.isFile) await Deno.copyFile(join(ROOT, "apps", e.name), join(dir, "apps", e.name));
}
await Deno.copyFile(join(ROOT, "sa.yaml"), join(dir, "sa.yaml"));
const repo = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
const imports: Record<string, string> = { "@sa/toolkit": join(ROOT, "mod.ts") };
for (const [k, v] of Object.entries(repo.imports as Record<string, string>)) {
  if (v.startsWith("npm:")) imports[k] = v;
}
await Deno.writeTextFile(
  join(dir, "deno.json"),
  JSON.stringify({ imports, nodeModulesDir: "none", lock: false }),
);
const up = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", "--unstable-worker-options", join(ROOT, "cli.ts"), "up", "--port", "0"],
  cwd: dir,
  env: { NO_COLOR: "1" },
  stdin: "null",
  stdout: "null",
  stderr: "piped",
}).spawn();
let err = "";
(async () => {
  const dec = new TextDecoder();
  for await (const c of up.stderr) err += dec.decode(c, { stream: true });
})();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let url: string | undefined;
for (let i = 0; i < 300 && !url; i++) {
  url = /console on (http:\S+)/.exec(err)?.[1];
  await sleep(100);
}
if (!url) throw new Error(`no console URL: ${err}`);
await sleep(8000); // replay and normalize fill the topics; the sampler has rates
const profile = await Deno.makeTempDir({ prefix: "sa-shots-chrome-" });
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 760 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
});
const out = (name: string) => join(ROOT, "docs", `console-${name}.png`);
try {
  const page = ctx.pages()[0] ?? await ctx.newPage();
  await page.goto(url);
  await page.locator('[data-test="topic-count"]').waitFor();
  await sleep(4000);
  await page.screenshot({ path: out("overview") });
  await page.goto(`${url}#/topics`);
  await page.locator('tr[data-topic="raw-data"] [data-test="bytes"]').waitFor();
  await page.screenshot({ path: out("topics") });
  await page.goto(`${url}#/topics/raw-data`);
  await page.locator(".list .row[data-offset]").first().click();
  await page.locator('[data-test="detail"] .tree').waitFor();
  await page.screenshot({ path: out("messages") });
  await page.goto(`${url}#/groups/normalize`);
  await page.locator('tr[data-tp="raw-data:0"]').waitFor();
  await page.screenshot({ path: out("group") });
  await page.goto(`${url}#/pipeline`);
  await page.locator('[data-test="graph"]').waitFor();
  await page.screenshot({ path: out("pipeline") });
  await page.goto(
    `${url}#/charts?topic=table-data&fields=accelerometer-x,accelerometer-y,accelerometer-z,accelerometer-total`,
  );
  await sleep(10_000);
  await page.screenshot({ path: out("charts") });
} finally {
  await ctx.close();
  up.kill("SIGINT");
  await up.status;
  await Deno.remove(profile, { recursive: true });
  await Deno.remove(dir, { recursive: true });
}
console.log("wrote docs/console-{overview,topics,messages,group,pipeline,charts}.png");
