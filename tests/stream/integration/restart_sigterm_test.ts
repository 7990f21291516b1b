/**
 * Issue 10, item 7: after a broker restart, an at-least-once app must still exit on SIGTERM
 * (it used to log "stopped" and hang on a handle left open).
 */
import { assert } from "../_assert.ts";
import { Application } from "../../../lib/stream/application.ts";
import { MemoryStateBackend } from "../../../lib/stream/state/memory.ts";
import { spawnBroker } from "../../broker/clients/_process.ts";
import { committedOffsets, waitFor } from "./_util.ts";

const fixture = new URL("./fixtures/restart_app.ts", import.meta.url).pathname;

Deno.test({
  name: "at-least-once app exits on SIGTERM after a broker restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "sa-restart-sigterm-" });
    let broker = await spawnBroker({ dataDir });
    const port = broker.port;
    let app: Deno.ChildProcess | undefined;
    let appErr = "";
    try {
      const seed = new Application({
        brokerAddress: broker.address,
        logLevel: "SILENT",
        stateBackend: new MemoryStateBackend(),
      });
      const producer = await seed.getProducer();
      for (let n = 0; n < 200; n++) {
        producer.produce(seed.topic<{ n: number }>("crash-in"), { value: { n } });
      }
      await producer.close();

      app = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--config",
          new URL("../../../deno.json", import.meta.url).pathname,
          fixture,
          broker.address,
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const drained = (async () => {
        for await (const c of app!.stderr.pipeThrough(new TextDecoderStream())) appErr += c;
      })();
      await waitFor(
        async () => (await committedOffsets(broker.address, "crash", "crash-in"))[0] === 200,
        30_000,
        "the app to commit its input",
      );
      await broker.stop("SIGTERM");
      broker = await spawnBroker({ dataDir, args: ["--port", String(port)] });
      // SIGTERM while the consumer rejoins after the restart (the window where it hung).
      await new Promise((r) => setTimeout(r, 1500));
      app.kill("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exited = await Promise.race([
        app.status.then(() => true),
        new Promise<false>((r) => timer = setTimeout(() => r(false), 20_000)),
      ]);
      clearTimeout(timer);
      if (!exited) app.kill("SIGKILL");
      await app.status;
      await drained;
      assert(
        appErr.includes("stopped"),
        `the app did not stop gracefully:\n${appErr.slice(-3000)}`,
      );
      assert(
        exited,
        `the app did not exit within 20 s of SIGTERM; its log:\n${appErr.slice(-3000)}`,
      );
    } finally {
      try {
        app?.kill("SIGKILL");
      } catch { /* exited */ }
      await broker.stop("SIGTERM");
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
