import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { openManager, readAll } from "./_util.ts";

const manager = new URL("../../../lib/broker/log/manager.ts", import.meta.url).href;
const util = new URL("./_util.ts", import.meta.url).href;
const logMod = new URL("../../../lib/util/log.ts", import.meta.url).href;

// A child process appends with fsync=always and prints each acknowledged offset; it is
// killed with SIGKILL mid-stream, then the parent recovers the directory.
const child = (dataDir: string) => `
import { LogManager } from "${manager}";
import { batch } from "${util}";
import { Logger } from "${logMod}";
const logs = await LogManager.open({ dataDir: ${JSON.stringify(dataDir)}, defaultPartitions: 1,
  fsync: "always", maintenanceIntervalMs: 0, logger: new Logger("child", "SILENT") });
logs.createTopic("crash", 1, { "segment.bytes": "4096" });
const p = logs.partition("crash", 0);
const enc = new TextEncoder();
for (let i = 0; ; i++) {
  const r = p.append(batch([["k" + i, "v" + i + "-" + "x".repeat(i % 50)]]));
  Deno.stdout.writeSync(enc.encode("ack " + r.baseOffset + "\\n"));
}
`;

Deno.test("crash: kill -9 during fsync=always appends keeps every acknowledged batch, in order, once", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "sa-log-crash-" });
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["eval", child(dataDir)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const acked: number[] = [];
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  while (acked.length < 300) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    const lines = buf.split("\n");
    buf = lines.pop()!;
    for (const l of lines) if (l.startsWith("ack ")) acked.push(Number(l.slice(4)));
  }
  proc.kill("SIGKILL");
  await proc.status;
  await reader.cancel().catch(() => {});
  strictEqual(acked.length >= 300, true, `child acknowledged only ${acked.length}`);

  const { logs } = await openManager({ dataDir });
  const p = logs.partition("crash", 0)!;
  strictEqual(p.segments.length > 1, true);
  const got = readAll(p);
  // Every acknowledged offset is there with its own record; offsets are dense and unique.
  deepStrictEqual(got.map((r) => r[0]), got.map((_, i) => i));
  strictEqual(got.length >= acked.length, true, `${got.length} < ${acked.length}`);
  for (const off of acked) strictEqual(got[off][1], `k${off}`);
  // The recovered log accepts appends right after its tail.
  const { batch } = await import("./_util.ts");
  strictEqual(p.append(batch([["after", "crash"]])).baseOffset, got.length);
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});
