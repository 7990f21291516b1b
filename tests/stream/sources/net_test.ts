/**
 * The LAN URL a gateway prints for the phone: a sandboxed app may not read the network
 * interfaces, so `sa run` / `sa up` pass the addresses in SA_LAN_ADDRESSES.
 */
import assert from "node:assert/strict";
import { appRuntimeEnv } from "../../../lib/runner/permissions.ts";
import { lanAddresses } from "../../../lib/util/lan.ts";

const NET = new URL("../../../lib/stream/sources/_net.ts", import.meta.url).href;
const CONFIG = new URL("../../../deno.json", import.meta.url).pathname;

/** reachableHosts("0.0.0.0") in a process that may read SA_LAN_ADDRESSES but not the interfaces. */
async function hostsInSandbox(env: Record<string, string>): Promise<string[]> {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    script,
    `import { reachableHosts } from ${JSON.stringify(NET)};
console.log(JSON.stringify(reachableHosts("0.0.0.0")));`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--config",
      CONFIG,
      "--allow-env=SA_LAN_ADDRESSES",
      "--allow-read",
      script,
    ],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output().finally(() => Deno.remove(script));
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("a sandboxed gateway names the LAN addresses sa passes it, else a placeholder", async () => {
  assert.deepEqual(await hostsInSandbox({ SA_LAN_ADDRESSES: "192.168.1.20,10.0.0.5" }), [
    "192.168.1.20",
    "10.0.0.5",
  ]);
  assert.deepEqual(await hostsInSandbox({}), ["<this computer's LAN address>"]);
});

Deno.test("sa run / sa up give every app this machine's LAN addresses", () => {
  const env = appRuntimeEnv("127.0.0.1:19092", "/tmp/state");
  const hosts = lanAddresses();
  if (hosts.length === 0) assert.equal(env.SA_LAN_ADDRESSES, undefined);
  else assert.equal(env.SA_LAN_ADDRESSES, hosts.join(","));
  assert.ok(hosts.every((h) => !h.startsWith("127.")));
});
