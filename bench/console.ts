/**
 * Console benchmark (`deno task bench:console`). The broker runs as an `sa broker` subprocess,
 * the console in this process, the page in Chromium (playwright-core).
 *
 * 1. First page load: navigation start → the Overview shows its topic count (Chromium's clock).
 * 2. A list of 1,000 topics: server time of GET /api/topics (median of 5).
 * 3. Browsing 10,000 messages: server time, time until the list is drawn, how many rows the
 *    DOM holds (virtualised), and the longest frame while scrolling through it all.
 * 4. Live tail of a topic produced at 5,000 msgs/s for 5 s: messages drawn and not drawn (the
 *    server samples), and the page's longest event-loop stall meanwhile.
 * 5. RSS of an `sa console` process while `sa up` runs the episode-1 pipeline with the page
 *    open on its Overview, and of `sa up` itself with and without its console.
 *
 * Usage: deno task bench:console [--only load|topics|browse|live|rss]
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Page } from "playwright-core";
import { kafkaFor } from "../lib/cli/_kafka.ts";
import { listTopics } from "../lib/console/topics.ts";
import { browse } from "../lib/console/messages.ts";
import { startConsole } from "../lib/console/server.ts";
import { num, percentile, table } from "./_util.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "cli.ts");
const ONLY = Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : "";
const runs = (part: string) => ONLY === "" || ONLY === part;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function spawn(args: string[], cwd?: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", CLI, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) text += dec.decode(c, { stream: true });
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  return {
    child,
    async waitFor(re: RegExp, ms = 30_000): Promise<RegExpExecArray> {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const m = re.exec(text);
        if (m) return m;
        await sleep(50);
      }
      throw new Error(`timed out waiting for ${re}: ${text.slice(-500)}`);
    },
    async stop() {
      try {
        child.kill("SIGINT");
      } catch {
        // Already gone.
      }
      await child.status;
      await drained;
    },
  };
}

// Runs in the page before its scripts: notes when the Overview's topic count is drawn.
const FIRST_RENDER = `new MutationObserver((_, o) => {
  if (document.querySelector('[data-test="topic-count"]')) {
    globalThis.__shown = performance.now();
    o.disconnect();
  }
}).observe(document, { childList: true, subtree: true });`;

// Runs in the page (a string: this file is type-checked without the DOM library).
const SCROLL_THROUGH = `(async () => {
  const list = document.querySelector(".list");
  let worst = 0;
  let last = performance.now();
  for (let i = 1; i <= 40; i++) {
    list.scrollTop = (list.scrollHeight * i) / 40;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }
  return worst;
})()`;

function rssMb(pid: number): number {
  const s = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(s)?.[1] ?? 0) / 1024;
}

async function withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
  const profile = await Deno.makeTempDir({ prefix: "sa-bench-chrome-" });
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  });
  try {
    return await fn(ctx.pages()[0] ?? await ctx.newPage());
  } finally {
    await ctx.close();
    await Deno.remove(profile, { recursive: true });
  }
}

const work = await Deno.makeTempDir({ prefix: "sa-bench-console-" });
const broker = spawn(["broker", "--port", "0", "--data-dir", join(work, "broker")]);
const address = (await broker.waitFor(/listening on (\S+:\d+)/))[1];
const kafka = kafkaFor(address);
const admin = kafka.admin();
await admin.connect();
const producer = kafka.producer();
await producer.connect();
const c = await startConsole({ address, port: 0 });
const base = `http://127.0.0.1:${c.port}/`;

try {
  if (runs("load") || runs("browse") || runs("live")) {
    await admin.createTopics({ topics: [{ topic: "browse" }, { topic: "fast" }] });
  }
  if (runs("load")) {
    const times: number[] = [];
    await withPage(async (page) => {
      // The page's own clock at the moment the topic count appears (not when playwright
      // notices it, which adds its polling).
      await page.addInitScript(FIRST_RENDER);
      for (let i = 0; i < 5; i++) {
        await page.goto("about:blank");
        await page.goto(base);
        await page.locator('[data-test="topic-count"]').waitFor();
        times.push(await page.evaluate("globalThis.__shown") as number);
      }
    });
    console.log("\n== first page load (navigation → Overview with data), 5 loads");
    console.log(table(["median", "max"], [[
      `${num(percentile(times, 50))} ms`,
      `${num(Math.max(...times))} ms`,
    ]]));
    console.log(`target < 300 ms: ${percentile(times, 50) < 300 ? "met" : "NOT met"}`);
  }

  if (runs("topics")) {
    const names = Array.from({ length: 1000 }, (_, i) => `topic-${String(i).padStart(4, "0")}`);
    for (let i = 0; i < names.length; i += 100) {
      await admin.createTopics({ topics: names.slice(i, i + 100).map((topic) => ({ topic })) });
    }
    const times: number[] = [];
    let n = 0;
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      n = (await listTopics(c.ctx, c.sampler)).length;
      if (i > 0) times.push(performance.now() - t0); // the first one loads metadata
    }
    console.log(`\n== topic list of ${num(n)} topics (server time, median of 5)`);
    console.log(table(["median", "max"], [[
      `${num(percentile(times, 50))} ms`,
      `${num(Math.max(...times))} ms`,
    ]]));
    console.log(`target < 200 ms: ${percentile(times, 50) < 200 ? "met" : "NOT met"}`);
    await admin.deleteTopics({ topics: names });
  }

  if (runs("browse")) {
    for (let i = 0; i < 10_000; i += 1000) {
      await producer.send({
        topic: "browse",
        messages: Array.from({ length: 1000 }, (_, j) => ({
          key: `device-${(i + j) % 7}`,
          value: JSON.stringify({ n: i + j, accel: { x: Math.sin(i + j), y: 0.5, z: 9.8 } }),
        })),
      });
    }
    const t0 = performance.now();
    const r = await browse(c.ctx, "browse", { max: 10_000 });
    const server = performance.now() - t0;
    const res = await withPage(async (page) => {
      await page.goto(`${base}#/topics/browse`);
      await page.locator('[data-test="browse-info"]').getByText("100 message(s)").waitFor();
      await page.getByLabel("max").fill("10000");
      const t1 = Date.now();
      await page.getByRole("button", { name: "Browse" }).click();
      await page.locator('[data-test="browse-info"]').getByText("10,000 message(s)").waitFor({
        timeout: 60_000,
      });
      const drawn = Date.now() - t1;
      const rows = await page.locator(".list .row").count();
      // Scroll through the whole list in 40 steps, timing frames.
      const longest = await page.evaluate(SCROLL_THROUGH) as number;
      return { drawn, rows, longest };
    });
    console.log("\n== browsing 10,000 messages");
    console.log(table(["server", "click → drawn", "rows in the DOM", "longest frame scrolling"], [[
      `${num(server)} ms (${num(r.messages.length)} msgs)`,
      `${num(res.drawn)} ms`,
      num(res.rows),
      `${num(res.longest)} ms`,
    ]]));
  }

  if (runs("live")) {
    const res = await withPage(async (page) => {
      await page.goto(`${base}#/topics/fast`);
      await page.locator("h1", { hasText: "/ fast" }).waitFor();
      await page.getByRole("button", { name: "Live tail" }).click();
      await page.getByText("Live: waiting for new messages").waitFor();
      // The page's longest stall: a 20 ms interval's worst lateness.
      await page.evaluate(() => {
        const w = globalThis as unknown as { worstStall: number };
        w.worstStall = 0;
        let last = performance.now();
        setInterval(() => {
          const now = performance.now();
          w.worstStall = Math.max(w.worstStall, now - last - 20);
          last = now;
        }, 20);
      });
      const rate = 5000, seconds = 5;
      const t0 = performance.now();
      let sent = 0;
      while (sent < rate * seconds) {
        const due = Math.min(rate * seconds, Math.floor(((performance.now() - t0) / 1000) * rate));
        if (due > sent) {
          await producer.send({
            topic: "fast",
            messages: Array.from({ length: due - sent }, (_, i) => ({
              value: JSON.stringify({ n: sent + i, x: Math.random() }),
            })),
          });
          sent = due;
        }
        await sleep(10);
      }
      const achieved = sent / ((performance.now() - t0) / 1000);
      await page.getByText(`Live: ${(rate * seconds).toLocaleString("en-US")} new message(s)`)
        .waitFor({ timeout: 30_000 });
      const info = await page.locator('[data-test="live-info"]').textContent();
      const stall = await page.evaluate(() =>
        (globalThis as unknown as { worstStall: number }).worstStall
      );
      const undrawn = Number(/([\d,]+) not drawn/.exec(info ?? "")?.[1].replace(/,/g, "") ?? 0);
      return { achieved, info, stall, undrawn, total: rate * seconds };
    });
    console.log(`\n== live tail at ${num(res.achieved)} msgs/s for 5 s`);
    console.log(table(["received", "drawn", "not drawn (sampled)", "page's longest stall"], [[
      num(res.total),
      num(res.total - res.undrawn),
      num(res.undrawn),
      `${num(res.stall)} ms`,
    ]]));
  }
} finally {
  await c.close();
  await producer.disconnect();
  await admin.disconnect();
  await broker.stop();
}

if (runs("rss")) {
  const dir = join(work, "project");
  await Deno.mkdir(join(dir, "apps"), { recursive: true });
  for (const f of ["apps/replay.ts", "apps/normalize.ts", "demo_stream.json", "sa.yaml"]) {
    await Deno.copyFile(join(ROOT, f), join(dir, f));
  }
  const repo = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const imports: Record<string, string> = { "@sa/toolkit": join(ROOT, "mod.ts") };
  for (const [k, v] of Object.entries(repo.imports as Record<string, string>)) {
    if (v.startsWith("npm:")) imports[k] = v;
  }
  await Deno.writeTextFile(
    join(dir, "deno.json"),
    JSON.stringify({ imports, nodeModulesDir: "none", lock: false }),
  );
  const measure = async (args: string[], withPageOpen: boolean) => {
    const up = spawn(["up", "--port", "0", ...args], dir);
    try {
      const addr = (await up.waitFor(/ready in \d+ ms: broker (\S+),/))[1];
      await up.waitFor(/normalize \| \[\d+,/, 15_000);
      const sc = spawn(["console", "--port", "0", "--broker", addr], dir);
      try {
        const url = (await sc.waitFor(/Console on (http:\S+)/))[1];
        let peakUp = 0, peakConsole = 0;
        const sample = async () => {
          for (let i = 0; i < 20; i++) {
            await sleep(500);
            peakUp = Math.max(peakUp, rssMb(up.child.pid));
            peakConsole = Math.max(peakConsole, rssMb(sc.child.pid));
          }
        };
        if (withPageOpen) {
          await withPage(async (page) => {
            await page.goto(url);
            await page.locator('[data-test="topic-count"]').waitFor();
            await sample();
          });
        } else await sample();
        return { peakUp, peakConsole };
      } finally {
        await sc.stop();
      }
    } finally {
      await up.stop();
    }
  };
  const withConsole = await measure(["--console-port", "0"], true);
  const without = await measure(["--no-console"], false);
  console.log("\n== RSS while sa up runs the episode-1 pipeline (replay → normalize), 10 s");
  console.log(table(["process", "peak RSS"], [
    ["sa console (separate process, page open)", `${num(withConsole.peakConsole, 1)} MB`],
    ["sa up with its console", `${num(withConsole.peakUp, 1)} MB`],
    ["sa up --no-console", `${num(without.peakUp, 1)} MB`],
  ]));
}

await Deno.remove(work, { recursive: true });
