/**
 * Run inside a private network namespace (`unshare -rn`, only its own loopback up) by
 * gateway_test.ts: the gateway binds 0.0.0.0 there, which no other machine can reach. Prints
 * one JSON line with what happened.
 */
import gateway from "../../apps/gateway.ts";
import { startBroker } from "../../lib/broker/mod.ts";
import { Logger } from "../../lib/util/log.ts";

const dataDir = await Deno.makeTempDir({ prefix: "sa-netns-" });
const broker = await startBroker({ port: 0, dataDir, logger: new Logger("broker", "ERROR") });
Deno.env.set("SA_BROKER", broker.address);
Deno.env.set("SA_STATE_DIR", dataDir);
Deno.env.set("SA_LOG_LEVEL", "ERROR");
const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (l.addr as Deno.NetAddr).port;
l.close();
let printed = "";
const log = console.log;
console.log = (...a: unknown[]) => void (printed += a.join(" ") + "\n");
const stop = new AbortController();
const running = gateway.main(
  { output: "raw-data", host: "0.0.0.0", port: String(port), token: "" },
  stop.signal,
);
for (let i = 0; i < 400 && !printed.includes("/data"); i++) {
  await new Promise((r) => setTimeout(r, 25));
}
const token = (await Deno.readTextFile(`${dataDir}/token`)).trim();
const body = JSON.stringify({ sessionId: "s", messageId: 1, payload: [] });
const status = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", body });
  await res.body?.cancel();
  return res.status;
};
const result = {
  printed,
  token,
  withoutToken: await status("/data"),
  wrongToken: await status("/nope/data"),
  tokenInPath: await status(`/${token}/data`),
  tokenInQuery: await status(`/data?token=${token}`),
};
stop.abort();
await running;
await broker.close();
await Deno.remove(dataDir, { recursive: true });
console.log = log;
console.log(JSON.stringify(result));
