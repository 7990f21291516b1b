/**
 * The console in a real browser: Debian's Chromium driven by playwright-core. It opens every
 * page and checks what a person sees, the live tail, an export/import round trip, a group
 * reset, and the banner while the broker is down. Screenshots go to $SCREENSHOT_DIR (default:
 * a temp folder, removed); `UPDATE_SCREENSHOTS=1` also writes the README's ones into docs/.
 *
 * Skipped with a printed reason when /usr/bin/chromium is missing, except under CI=true.
 */
import assert from "node:assert/strict";
import { chromium, type Page } from "playwright-core";
import { startBroker } from "../../lib/broker/mod.ts";
import { Logger } from "../../lib/util/log.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { startConsole } from "../../lib/console/server.ts";
import { seed } from "./_console.ts";
import { SA_VERSION } from "../../lib/version.ts";

/** Bytes of a topic's segment files, asked of the file system. */
function onDisk(dataDir: string, topic: string, partitions: number): number {
  let n = 0;
  for (let p = 0; p < partitions; p++) {
    for (const e of Deno.readDirSync(`${dataDir}/${topic}-${p}`)) {
      if (e.name.endsWith(".log")) n += Deno.statSync(`${dataDir}/${topic}-${p}/${e.name}`).size;
    }
  }
  return n;
}

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
const inCi = Deno.env.get("CI") === "true";
if (!hasChromium && !inCi) {
  console.log(`skipping the browser test: ${CHROMIUM} is missing (apt-get install chromium)`);
}

const PIPELINE = `deployments:
  - name: normalize
    application: apps/normalize.ts
    deploymentType: Service
    variables:
      - name: input
        inputType: InputTopic
        value: sensors
      - name: output
        inputType: OutputTopic
        value: table-data
  - name: sink
    application: apps/sink.ts
    deploymentType: Service
    variables:
      - name: input
        inputType: InputTopic
        value: table-data
topics:
  - name: sensors
  - name: table-data
`;

async function shot(page: Page, dir: string, name: string) {
  await page.screenshot({ path: `${dir}/${name}.png` });
  if (Deno.env.get("UPDATE_SCREENSHOTS") === "1") {
    await page.screenshot({
      path: new URL(`../../docs/console-${name}.png`, import.meta.url).pathname,
    });
  }
}

Deno.test({
  name: "console in Chromium: every page, live tail, export/import, reset, broker restart",
  ignore: !hasChromium && !inCi,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "sa_browser_" });
    const shots = Deno.env.get("SCREENSHOT_DIR") ?? `${work}/shots`;
    await Deno.mkdir(shots, { recursive: true });
    await Deno.mkdir(`${work}/project`);
    await Deno.writeTextFile(`${work}/project/sa.yaml`, PIPELINE);
    const logger = new Logger("broker", "ERROR");
    let broker = await startBroker({ port: 0, dataDir: `${work}/broker`, logger });
    const port = Number(broker.address.split(":").pop());
    const address = broker.address;
    await seed(address);
    const kafka = kafkaFor(address);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "table-data" }, { topic: "copy" }] });
    await admin.disconnect();
    const console_ = await startConsole({
      address,
      port: 0,
      sampleMs: 300,
      projectDir: `${work}/project`,
    });
    await console_.ctx.run((_a, r) =>
      r.commit("normalize", "sensors", [{ partition: 0, offset: 2 }, { partition: 1, offset: 1 }])
    );
    const context = await chromium.launchPersistentContext(`${work}/profile`, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1280, height: 800 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const base = `http://127.0.0.1:${console_.port}/`;
    try {
      const page = context.pages()[0] ?? await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(e.message));

      // Overview: the broker, the topic count, the group and its status.
      await page.goto(base);
      await page.locator('[data-test="broker"]').getByText(address).waitFor();
      assert.equal(await page.locator('[data-test="topic-count"]').textContent(), "4");
      // The embedded broker names its version (not inferred).
      assert.equal(
        await page.locator('[data-test="broker-version"]').textContent(),
        `sa ${SA_VERSION} (embedded broker)`,
      );
      await page.getByRole("link", { name: "normalize" }).waitFor();
      await shot(page, shots, "overview");

      // Topics: names and message counts.
      await page.getByRole("link", { name: "Topics", exact: true }).click();
      const row = page.locator('tr[data-topic="sensors"]');
      await row.waitFor();
      assert.equal(await row.locator('[data-test="messages"]').textContent(), "6");
      assert.equal(
        await page.locator('tr[data-topic="empty"] [data-test="messages"]').textContent(),
        "0",
      );
      // Bytes on disk: what the segment files hold (DescribeLogDirs), exact in the tooltip.
      const bytes = onDisk(`${work}/broker`, "sensors", 2);
      assert.equal(
        await row.locator('[data-test="bytes"]').getAttribute("title"),
        `${bytes.toLocaleString("en-US")} bytes`,
      );
      assert.equal(await row.locator('[data-test="bytes"]').textContent(), `${bytes} B`);
      assert.equal(
        await page.locator('tr[data-topic="empty"] [data-test="bytes"]').textContent(),
        "0 B",
      );
      // In and out rates: messages written, and consumed by every group, per second.
      await page.getByRole("columnheader", { name: "Out", exact: true }).waitFor();
      assert.match(
        (await row.locator('[data-test="out"]').textContent()) ?? "",
        /^(-|[\d.,]+k?\/s)$/,
      );
      // Create, then delete after the confirmation.
      await page.getByLabel("topic name").fill("scratch");
      await page.getByRole("button", { name: "Create topic" }).click();
      await page.locator('tr[data-topic="scratch"]').waitFor();
      await page.locator('tr[data-topic="scratch"]').getByRole("button", { name: "Delete…" })
        .click();
      await page.getByText("Delete scratch and its 0 messages?").waitFor();
      await shot(page, shots, "topics");
      await page.locator('tr[data-topic="scratch"]').getByRole("button", {
        name: "Delete",
        exact: true,
      }).click();
      await page.locator('tr[data-topic="scratch"]').waitFor({ state: "detached" });

      // Messages: a message's fields.
      await page.getByRole("link", { name: "sensors" }).click();
      await page.locator('[data-test="browse-info"]').getByText("6 message(s)").waitFor();
      await page.locator('.row[data-partition="0"][data-offset="2"]').click();
      const detail = page.locator('[data-test="detail"]');
      assert.equal(await detail.locator('[data-test="key"]').textContent(), "k2");
      assert.equal(await detail.locator('[data-test="headers"]').textContent(), "src: phone");
      assert.match(
        await detail.locator('[data-test="time"]').textContent() ?? "",
        /2024-05-09T12:00:02\.000Z/,
      );
      await detail.locator('[data-test="value"]').getByText('"accel"').waitFor();
      await detail.locator('[data-test="value"]').getByText("3").first().waitFor();
      await shot(page, shots, "messages");
      // A JavaScript filter, and a bad one with its message.
      await page.getByLabel("javascript filter").fill("value.n >= 3");
      await page.getByRole("button", { name: "Browse" }).click();
      await page.locator('[data-test="browse-info"]').getByText("2 message(s)").waitFor();
      await page.getByLabel("javascript filter").fill("value.(");
      await page.getByRole("button", { name: "Browse" }).click();
      await page.getByRole("alert").getByText(/^filter: /).waitFor();
      await page.getByLabel("javascript filter").fill("");

      // Integers beyond 2^53 (nanosecond times) are shown exactly.
      await fetch(`${base}api/topics/empty/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ value: '{"time":1715254400002510123}' }),
      }).then((r) => r.body?.cancel());
      await page.goto(`${base}#/topics/empty`);
      await page.locator("h1", { hasText: "/ empty" }).waitFor();
      await page.locator('.row[data-partition="0"][data-offset="0"]').click();
      await detail.getByText("1715254400002510123").waitFor();
      await page.goto(`${base}#/topics/sensors`);
      await page.locator("h1", { hasText: "/ sensors" }).waitFor();

      // Export, then import into "copy": keys, headers and timestamps survive.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "Export NDJSON" }).click(),
      ]);
      const file = `${work}/sensors.ndjson`;
      await download.saveAs(file);
      await page.goto(`${base}#/topics/copy`);
      await page.locator("h1", { hasText: "/ copy" }).waitFor();
      await page.getByLabel("import file").setInputFiles(file);
      await page.getByText("Imported 6 message(s).").waitFor();
      const strip = (ms: { key: unknown; headers: unknown; timestamp: number; value: unknown }[]) =>
        ms.map((m) => [m.key, m.headers, m.timestamp, m.value]);
      const read = async (t: string) =>
        (await (await fetch(`${base}api/topics/${t}/messages`)).json()).messages;
      assert.deepEqual(strip(await read("copy")), strip(await read("sensors")));

      // Live tail with a JavaScript predicate: a bad one is said on the page; a good one lets
      // through only what matches of the messages produced after the page opened.
      await page.goto(`${base}#/topics/sensors`);
      await page.locator("h1", { hasText: "/ sensors" }).waitFor();
      await page.getByLabel("javascript filter").fill("value.(");
      await page.getByRole("button", { name: "Live tail" }).click();
      await page.locator('[data-test="live-info"]').getByText(/^Live tail stopped: filter: /)
        .waitFor();
      await page.getByRole("button", { name: "Live tail" }).waitFor();
      await page.getByLabel("javascript filter").fill("value.n === 42");
      await page.getByRole("button", { name: "Live tail" }).click();
      await page.getByText("Live: waiting for new messages").waitFor();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: "sensors",
        messages: [
          { key: "live-0", value: '{"n":41}', partition: 0 },
          { key: "live-1", value: '{"n":42}', partition: 0 },
        ],
      });
      await page.locator(".row", { hasText: "live-1" }).waitFor();
      await page.getByText("Live: 1 new message(s)").waitFor();
      assert.equal(await page.locator(".row", { hasText: "live-0" }).count(), 0);
      await shot(page, shots, "live");
      await page.getByRole("button", { name: "Stop live tail" }).click();

      // Groups: lag numbers, then a reset to earliest moves the offsets.
      await page.goto(`${base}#/groups`);
      const openedAt = Date.now();
      await page.locator('tr[data-group="normalize"]').getByRole("link", { name: "normalize" })
        .click();
      await page.locator("h1", { hasText: "/ normalize" }).waitFor();
      // The lag chart opens with the server's history: points sampled before the page opened.
      const chart = page.locator('[data-test="lag-chart"]');
      assert.ok(Number(await chart.getAttribute("data-points")) >= 2);
      assert.ok(Number(await chart.getAttribute("data-first")) < openedAt - 1000);
      const p0 = page.locator('tr[data-tp="sensors:0"]');
      await p0.waitFor();
      assert.equal(await p0.locator('[data-test="committed"]').textContent(), "2");
      assert.equal(await p0.locator('[data-test="lag"]').textContent(), "5"); // 7 in p0 now
      const secs = Number(
        (await p0.locator('[data-test="lag-seconds"]').getAttribute("title"))!.split(" ")[0],
      );
      const expected = (Date.now() - Date.UTC(2024, 4, 9, 12, 0, 2)) / 1000;
      assert.ok(Math.abs(secs - expected) < 30, `${secs} vs ${expected}`);
      await shot(page, shots, "group");
      await page.getByLabel("reset to").selectOption("earliest");
      await page.getByRole("button", { name: "Reset offsets" }).click();
      await page.locator('[data-test="reset-info"]').getByText("[0]=0").waitFor();
      await p0.locator('[data-test="committed"]').getByText("0", { exact: true }).waitFor();

      // Pipeline: the graph's nodes and the edge's lag.
      await page.goto(`${base}#/pipeline`);
      const graph = page.locator('[data-test="graph"]');
      await graph.locator('[data-node="normalize"]').waitFor();
      await graph.locator('[data-node="sensors"]').waitFor();
      await graph.locator('[data-node="table-data"]').waitFor();
      await graph.getByText(/^lag 8, \d+ d$/).waitFor();
      await shot(page, shots, "pipeline");
      // Nodes link to their app, topic or group.
      await graph.locator('[data-node="sink"]').click();
      await page.locator("tr#app-sink.sel").waitFor();
      await page.locator('[data-test="graph"] [data-node="normalize"]').click();
      await page.locator("h1", { hasText: "/ normalize" }).waitFor();
      await page.goto(`${base}#/pipeline`);
      await page.locator('[data-test="graph"] [data-node="sensors"]').click();
      await page.locator("h1", { hasText: "/ sensors" }).waitFor();

      // Charts: pick a field, produce, see its last value.
      await page.goto(`${base}#/charts?topic=sensors&fields=n`);
      await page.locator('[data-test="fields"]').getByText("accel.x").waitFor();
      await page.locator('canvas[data-live="ready"]').waitFor();
      await producer.send({ topic: "sensors", messages: [{ value: '{"n":7,"accel":{"x":1}}' }] });
      await page.locator(".legend").getByText("n 7.0000").waitFor();
      await shot(page, shots, "charts");
      await producer.disconnect();

      // The broker goes down: a banner. It comes back: the banner goes and the page works.
      await page.goto(`${base}#/topics`);
      await page.locator("h1", { hasText: "Topics" }).waitFor();
      await page.locator('tr[data-topic="sensors"]').waitFor();
      await broker.close();
      await page.getByRole("alert").getByText(/Broker unreachable/).waitFor({ timeout: 20_000 });
      await shot(page, shots, "broker-down");
      broker = await startBroker({ port, dataDir: `${work}/broker`, logger });
      await page.locator("#banner").waitFor({ state: "hidden", timeout: 20_000 });
      await page.locator('tr[data-topic="sensors"] [data-test="messages"]').getByText("9")
        .waitFor();
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
      await console_.close();
      await broker.close();
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name: "console in Chromium: --read-only hides every write; no bytes on disk is a dash",
  ignore: !hasChromium && !inCi,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "sa_browser_ro_" });
    const logger = new Logger("broker", "ERROR");
    const broker = await startBroker({ port: 0, dataDir: `${work}/broker`, logger });
    await seed(broker.address);
    const console_ = await startConsole({ address: broker.address, port: 0, readOnly: true });
    await console_.ctx.run((_a, r) => r.commit("g", "sensors", [{ partition: 0, offset: 1 }]));
    const context = await chromium.launchPersistentContext(`${work}/profile`, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
    });
    const base = `http://127.0.0.1:${console_.port}/`;
    try {
      const page = context.pages()[0] ?? await context.newPage();
      // A broker without DescribeLogDirs (that path of _broker_info.ts is tested on a fake
      // broker in broker_info_test.ts): the page shows a dash with a tooltip, not an error.
      console_.ctx.info.topicBytes = () => Promise.resolve(null);
      await page.goto(`${base}#/topics`);
      await page.locator("#mode").getByText("read-only").waitFor();
      await page.locator('tr[data-topic="sensors"]').waitFor();
      const dash = page.locator('tr[data-topic="sensors"] [data-test="bytes"]');
      assert.equal(await dash.textContent(), "\u2014");
      assert.match(await dash.getAttribute("title") ?? "", /does not report .*DescribeLogDirs/);
      assert.equal(await page.getByRole("alert").first().textContent(), "");
      assert.equal(await page.getByRole("button", { name: "Create topic" }).isVisible(), false);
      assert.equal(await page.getByRole("button", { name: "Delete…" }).first().isVisible(), false);
      await page.goto(`${base}#/topics/sensors`);
      await page.locator('[data-test="browse-info"]').getByText("6 message(s)").waitFor();
      assert.equal(await page.getByRole("button", { name: "Produce" }).isVisible(), false);
      assert.equal(await page.getByLabel("import file").count(), 0);
      await page.locator('.row[data-partition="0"][data-offset="1"]').click();
      assert.equal(await page.getByRole("button", { name: "Re-produce this message" }).count(), 0);
      await page.goto(`${base}#/groups/g`);
      await page.locator('tr[data-tp="sensors:0"]').waitFor();
      assert.equal(await page.getByRole("button", { name: "Reset offsets" }).isVisible(), false);
    } finally {
      await context.close();
      await console_.close();
      await broker.close();
      await Deno.remove(work, { recursive: true });
    }
  },
});
