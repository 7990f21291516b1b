/**
 * The live-chart page in a real browser (Debian's chromium, headless, driven by
 * playwright-core): it draws table-data rows as they arrive and, after the server drops it,
 * resumes from its cursor with no gap and no duplicate. Set SA_SCREENSHOT=path to keep a
 * screenshot.
 */
import { assert, assertEquals } from "../stream/_assert.ts";
import { liveChartPage } from "../../lib/serve/live_chart_page.ts";
import { TopicStreams } from "../../lib/serve/topic_stream.ts";
import { kafka, startTestBroker } from "./_helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);

Deno.test({
  name:
    "live chart: draws rows as they arrive, resumes after a disconnect without gap or duplicate",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { chromium } = await import("playwright-core");
    const b = await startTestBroker();
    const producer = kafka(b.address).producer();
    await producer.connect();
    const streams = new TopicStreams({ brokers: [b.address], maxWaitMs: 100 });
    const page = liveChartPage({ topic: "table-data", title: "Live chart" });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/") return new Response(page, { headers: { "content-type": "text/html" } });
      return streams.handle(req);
    });
    let t = Date.UTC(2024, 4, 1, 12, 0, 0) * 1e6; // ns, as Sensor Logger stamps rows
    let sent = 0;
    const send = async (n: number) => {
      const messages = [];
      for (let i = 0; i < n; i++, sent++) {
        t += 20e6;
        const a = sent / 10;
        messages.push({
          key: "session-1",
          value: JSON.stringify({
            time: t,
            "accelerometer-x": Math.sin(a) * 3,
            "accelerometer-y": Math.cos(a) * 2,
            "accelerometer-z": 9.8 + Math.sin(a / 3),
          }),
        });
      }
      await producer.send({ topic: "table-data", messages });
    };
    await send(1); // creates the topic; the page starts at latest, after it
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
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
    try {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 600 } });
      await tab.goto(`http://127.0.0.1:${server.addr.port}/`);
      const statusHas = (re: string) =>
        `/${re}/.test(document.getElementById("status").textContent)`;
      await tab.waitForFunction(statusHas("rows 0 "));
      await send(150);
      await tab.waitForFunction(statusHas("rows 150 "));
      // The server drops every client: the page resumes from its cursor.
      streams.close();
      await tab.waitForFunction(statusHas("resuming"));
      await send(100);
      await tab.waitForFunction(statusHas("rows 250 "), undefined, { timeout: 15_000 });
      await new Promise((r) => setTimeout(r, 500)); // no duplicate may follow
      const status = await tab.textContent("#status");
      assert(status!.startsWith("rows 250 "), status!);
      const legend = await tab.textContent("#legend");
      assertEquals(legend, "accelerometer-xaccelerometer-yaccelerometer-z");
      // Something was drawn: many distinct colours on the canvas.
      const colours = await tab.evaluate(`(() => {
        const c = document.getElementById("chart");
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        return seen.size;
      })()`) as number;
      assert(colours > 20, `canvas has ${colours} colours`);
      const shot = Deno.env.get("SA_SCREENSHOT");
      if (shot) await tab.screenshot({ path: shot });
    } finally {
      await browser.close();
      streams.close();
      await server.shutdown();
      await producer.disconnect();
      await b.close();
    }
  },
});
