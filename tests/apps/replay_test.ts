import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Application } from "../../mod.ts";
import { parseFlag, parseRecording, parseSpeed, recordingPath, replay } from "../../apps/replay.ts";
import { AppSandbox } from "../../lib/runner/sandbox.ts";
import { sandboxGrant } from "../../lib/runner/permissions.ts";
import { consumeUntil, demoLines, tempBroker } from "./_helpers.ts";

const REPLAY = fileURLToPath(new URL("../../apps/replay.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const line = (t: number) => JSON.stringify({ messageId: t, payload: [{ name: "a", time: t }] });

Deno.test("replay: parses recordings and names the bad line", () => {
  const rec = parseRecording(`${line(2e9)}\n\n${line(3e9)}\n`, "f.json");
  assert.deepEqual(rec.map((r) => r.timeMs), [2000, 3000]);
  assert.equal(rec[0].text, line(2e9));
  assert.throws(() => parseRecording(`${line(1)}\n{oops\n`, "f.json"), /f\.json:2: not valid JSON/);
});

Deno.test("replay: the file is relative to the project folder (SA_PROJECT_DIR), not the app's", () => {
  assert.equal(recordingPath("demo_stream.json", "/p/proj"), "/p/proj/demo_stream.json");
  assert.equal(recordingPath("data/x.json", "/p/proj/"), "/p/proj/data/x.json");
  assert.equal(recordingPath("/abs/x.json", "/p/proj"), "/abs/x.json");
});

Deno.test("replay: speed and loop variables are validated", () => {
  assert.equal(parseSpeed("0"), 0);
  assert.equal(parseSpeed("2.5"), 2.5);
  assert.throws(() => parseSpeed("-1"), /speed must be a number >= 0/);
  assert.throws(() => parseSpeed("fast"), /speed must be a number >= 0/);
  assert.equal(parseFlag("loop", "true"), true);
  assert.equal(parseFlag("loop", "no"), false);
  assert.throws(() => parseFlag("loop", "maybe"), /loop must be true or false/);
});

Deno.test("replay: the demo file at speed 0 arrives intact, in order, keyed by file name", async () => {
  const lines = await demoLines();
  const broker = await tempBroker();
  let app: AppSandbox | undefined;
  try {
    app = await AppSandbox.load({
      name: "replay",
      entry: REPLAY,
      // Only the recording at the top of the project is readable besides the app's folder.
      grant: sandboxGrant({
        entry: REPLAY,
        brokers: [broker.address],
        extraRead: [`${ROOT}demo_stream.json`],
      }),
      onOutput: () => {},
    });
    app.start(
      { output: "raw", file: "demo_stream.json", speed: "0", loop: "false" },
      { SA_BROKER: broker.address, SA_PROJECT_DIR: ROOT },
    );
    assert.deepEqual(await app.done, { kind: "exited" });
    const values = await consumeUntil(broker.address, "raw", (v) => v.length >= lines.length);
    assert.equal(values.length, lines.length);
    assert.deepEqual(values, lines);
  } finally {
    app?.kill();
    await broker.close();
  }
});

Deno.test("replay: paces by recorded time divided by speed, and loops", async () => {
  const broker = await tempBroker();
  const app = new Application({ brokerAddress: broker.address, logLevel: "WARN" });
  const topic = app.topic<string, string>("paced", { valueSerializer: "string" });
  const producer = await app.getProducer();
  try {
    // Three lines one second apart at speed 10: 200 ms per pass.
    const rec = parseRecording([0, 1, 2].map((s) => line(1e12 + s * 1e9)).join("\n"), "x");
    const progress: string[] = [];
    const ctl = new AbortController();
    const t0 = performance.now();
    const sent = await replay(producer, topic, rec, {
      key: "x",
      speed: 10,
      loop: false,
      signal: ctl.signal,
      progress: (l) => progress.push(l),
    });
    const elapsed = performance.now() - t0;
    assert.equal(sent, 3);
    assert.ok(elapsed >= 190, `a pass took ${elapsed} ms, expected >= 200`);
    assert.match(progress.at(-1)!, /pass 1 done, 3 messages/);
    // Looping: stop it during the second pass.
    setTimeout(() => ctl.abort(), 300);
    const looped = await replay(producer, topic, rec, {
      key: "x",
      speed: 10,
      loop: true,
      signal: ctl.signal,
      progress: () => {},
    });
    assert.ok(looped >= 4 && looped <= 6, `sent ${looped}`);
  } finally {
    await producer.close();
    await broker.close();
  }
});
