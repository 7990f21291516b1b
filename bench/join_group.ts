/**
 * Probe: one JoinGroup with many protocols (default 80,000) through the group coordinator,
 * the work a hostile client can make the broker do before the per-member protocol cap
 * (the cap rejects such a request on the wire; this measures the group logic itself).
 * Prints how long the event loop is held: the first member's join (protocol selection) and
 * a second member's join (compatibility with the first).
 *
 *   deno run -A bench/join_group.ts [protocols]
 *
 * @module
 */
import { GroupCoordinator } from "../lib/broker/groups/coordinator.ts";
import { ManualTimers } from "../lib/broker/groups/timers.ts";
import { Logger } from "../lib/util/log.ts";

const count = Number(Deno.args[0] ?? 80_000);
const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-join-" });
const timers = new ManualTimers();
const c = await GroupCoordinator.open({ dataDir, logger: new Logger("b", "SILENT"), timers });
const protocols = Array.from({ length: count }, (_, i) => ({
  name: `p${i}`,
  metadata: new Uint8Array(0),
}));
// The second member shares only the first member's last protocol: each of its others is
// looked up in vain.
const others = [
  ...Array.from({ length: count - 1 }, (_, i) => ({ name: `x${i}`, metadata: new Uint8Array(0) })),
  protocols[count - 1],
];
const req = (memberId: string, protocols: { name: string; metadata: Uint8Array }[]) => ({
  groupId: "g",
  memberId,
  groupInstanceId: null,
  clientId: "bench",
  clientHost: "127.0.0.1",
  sessionTimeoutMs: 30_000,
  rebalanceTimeoutMs: 30_000,
  protocolType: "consumer",
  protocols,
  requireKnownMemberId: false,
});
let t = performance.now();
const first = c.join(req("", protocols));
timers.advance(1);
const r1 = await first;
const firstMs = performance.now() - t;
t = performance.now();
void c.join(req("", others)); // parks until the rebalance completes; the check ran synchronously
const secondMs = performance.now() - t;
console.log(
  `JoinGroup with ${count} protocols: first member ${firstMs.toFixed(0)} ms ` +
    `(protocol ${r1.protocolName}), second member ${secondMs.toFixed(0)} ms`,
);
await c.close();
await Deno.remove(dataDir, { recursive: true });
