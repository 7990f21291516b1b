/**
 * What the group coordinator's unit tests share: a coordinator on a manual clock in a temp
 * dir, JoinGroup requests with defaults, and a check whether a long poll has answered.
 *
 * @module
 */
import { GroupCoordinator, type JoinRequest } from "../../../lib/broker/groups/coordinator.ts";
import { ManualTimers } from "../../../lib/broker/groups/timers.ts";
import { Logger } from "../../../lib/util/log.ts";

/** A logger that prints nothing. */
export const quiet = new Logger("test", "SILENT");
/** Bytes of a string, as metadata or an assignment. */
export const meta = (s: string) => new TextEncoder().encode(s);

/** Opens a coordinator in `dataDir` on a manual clock. */
export async function open(dataDir: string, timers = new ManualTimers()) {
  const c = await GroupCoordinator.open({ dataDir, logger: quiet, timers });
  return { c, timers };
}

/** A JoinGroup of group "g" with defaults, overridden by `over`. */
export function req(over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: "g",
    memberId: "",
    groupInstanceId: null,
    clientId: "client",
    clientHost: "/127.0.0.1",
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: meta("m") }],
    requireKnownMemberId: false,
    ...over,
  };
}

/** Whether a promise has settled, after letting microtasks run. */
export async function settled<T>(p: Promise<T>): Promise<boolean> {
  let done = false;
  p.then(() => done = true, () => done = true);
  await new Promise((r) => setTimeout(r, 0));
  return done;
}

/** Runs `fn` with a fresh temp dir, removed after. */
export async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "sa-groups-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
