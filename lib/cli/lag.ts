/**
 * `sa lag [group]`: per partition the committed offset, end offset and lag, with a status
 * evaluated from several samples the way Burrow does (rules in `_lag_eval.ts`).
 *
 * @module
 */
import type { Admin } from "kafkajs";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { int, parseCommandArgs, str } from "./_args.ts";
import { BROKER_HELP, BROKER_OPTION, brokerTarget, kafkaFor, withAdmin } from "./_kafka.ts";
import type { ClientSecurity } from "../stream/kafka/security.ts";
import { type Colour, colour, colourEnabled, formatTable } from "./_table.ts";
import { ACTIVE_STATES, describeGroups, groupOffsets, type PartitionOffsets } from "./_groups.ts";
import { evaluatePartition, lagOf, type LagSample, type LagStatus, worst } from "./_lag_eval.ts";
import { ClusterReader, lagSeconds } from "./_cluster.ts";

const STATUS_COLOUR: Record<LagStatus, Colour> = {
  OK: "green",
  WARN: "yellow",
  STALL: "magenta",
  STOP: "red",
  ERR: "red",
};

/** The `lag` command. */
export const command: CliCommand = {
  name: "lag",
  summary: "Consumer lag per partition with a Burrow-style status (OK/WARN/STALL/STOP/ERR)",
  help: `Usage: sa lag [group] [--samples N] [--interval MS]

Samples every group (or just <group>) N times, MS apart, and prints per partition the
committed offset, end offset, lag in messages, lag in seconds (now minus the timestamp of
the record at the committed offset: exact, not estimated), and a status judged from the
whole window:
  ERR    the committed offset went backwards, or is past the end
  OK     lag reached 0 in the window
  STOP   lagging and the group has no active consumer
  STALL  a consumer is present but its committed offset never moved
  WARN   the offset moves, but lag never went down (falling behind)
  OK     otherwise (lag is going down)
A group's status is its worst partition's. Exit code 0 for OK/WARN, 1 otherwise.

Options:
${BROKER_HELP}
  --samples N     samples to take (default 5; 1 = a snapshot without trend)
  --interval MS   time between samples (default 1000)

Examples:
  sa lag
  sa lag normalize --samples 10 --interval 500
`,
  async run(argv, env) {
    const args = parseCommandArgs("lag", argv, {
      ...BROKER_OPTION,
      samples: { type: "string" },
      interval: { type: "string" },
    });
    const [group, ...extra] = args.positionals;
    if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(" ")}`, 2);
    const samples = int(args, "samples", 1) ?? 5;
    const interval = int(args, "interval", 0) ?? 1000;
    const { address, security } = await brokerTarget(str(args, "broker"), env);
    return await withAdmin(
      address,
      (admin) => lag(admin, group, samples, interval, address, env, security),
      security,
    );
  },
};

/** One group's result. */
export interface GroupLag {
  group: string;
  status: LagStatus;
  members: number;
  partitions: (PartitionOffsets & {
    lag: number;
    /** Seconds behind: now minus the timestamp of the record at the committed offset. */
    lagSeconds?: number | null;
    status: LagStatus;
    reason: string;
  })[];
}

/** Samples and evaluates; exported for tests that drive it without the argv shell. */
export async function sampleLag(
  admin: Admin,
  groups: string[],
  samples: number,
  intervalMs: number,
  signal: AbortSignal,
  onSample: (n: number) => void = () => {},
): Promise<GroupLag[]> {
  const history = new Map<string, LagSample[]>(); // "group\0topic\0partition"
  const latest = new Map<string, PartitionOffsets[]>();
  const active = new Map<string, number>(); // group -> members in the latest sample
  for (let i = 0; i < samples && !signal.aborted; i++) {
    if (i > 0) await sleep(intervalMs, signal);
    const infos = await describeGroups(admin, groups);
    for (const g of infos) {
      active.set(g.groupId, ACTIVE_STATES.has(g.state) ? g.members.length : 0);
    }
    for (const g of groups) {
      const offsets = await groupOffsets(admin, g);
      latest.set(g, offsets);
      for (const o of offsets) {
        const k = `${g}\0${o.topic}\0${o.partition}`;
        const h = history.get(k) ?? [];
        h.push({ committed: o.committed, end: o.end });
        history.set(k, h);
      }
    }
    onSample(i + 1);
  }
  return groups.map((g) => {
    const members = active.get(g) ?? 0;
    const partitions = (latest.get(g) ?? []).map((o) => {
      const h = history.get(`${g}\0${o.topic}\0${o.partition}`) ?? [];
      const { status, reason } = evaluatePartition(h, members > 0);
      return { ...o, lag: lagOf(o), status, reason };
    });
    return { group: g, status: worst(partitions.map((p) => p.status)), members, partitions };
  });
}

async function lag(
  admin: Admin,
  group: string | undefined,
  samples: number,
  intervalMs: number,
  address: string,
  env: CliEnv,
  security?: ClientSecurity,
): Promise<number> {
  const all = (await admin.listGroups()).groups.map((g) => g.groupId).sort();
  let groups = all;
  if (group) {
    if (!all.includes(group) && (await groupOffsets(admin, group)).length === 0) {
      throw new CliError(`no group "${group}" on ${address}`);
    }
    groups = [group];
  }
  if (!groups.length) {
    env.stdout("No consumer groups.\n");
    return 0;
  }
  if (samples > 1) {
    env.stderr(`Sampling ${samples} times over ${((samples - 1) * intervalMs) / 1000}s...\n`);
  }
  const results = await sampleLag(admin, groups, samples, intervalMs, env.signal);
  await addLagSeconds(address, results, security);
  const rows: string[][] = [];
  for (const g of results) {
    for (const p of g.partitions) {
      rows.push([
        g.group,
        p.topic,
        String(p.partition),
        p.committed < 0 ? "-" : String(p.committed),
        String(p.end),
        String(p.lag),
        formatSeconds(p.lagSeconds),
        colour(colourEnabled(env), STATUS_COLOUR[p.status], p.status),
      ]);
    }
  }
  if (rows.length) {
    env.stdout(
      formatTable(
        ["GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "LAG_S", "STATUS"],
        rows,
      ),
    );
  }
  for (const g of results) {
    const total = g.partitions.reduce((n, p) => n + p.lag, 0);
    const why = g.partitions.find((p) => p.status === g.status && g.status !== "OK")?.reason;
    env.stdout(
      `${g.group}: ${
        colour(colourEnabled(env), STATUS_COLOUR[g.status], g.status)
      } (${g.members} member(s), total lag ${total}${why ? `; ${why}` : ""})\n`,
    );
  }
  return results.every((g) => g.status === "OK" || g.status === "WARN") ? 0 : 1;
}

/** Fills in each partition's exact lag in seconds. */
export async function addLagSeconds(
  address: string,
  results: GroupLag[],
  security?: ClientSecurity,
): Promise<void> {
  const reader = new ClusterReader(address, kafkaFor(address, security));
  try {
    const now = Date.now();
    for (const g of results) {
      for (const p of g.partitions) {
        p.lagSeconds = await lagSeconds(reader, p.topic, p.partition, p.committed, p.end, now);
      }
    }
  } finally {
    await reader.close();
  }
}

/** Seconds with one decimal, "-" when unknown. */
export function formatSeconds(s: number | null | undefined): string {
  return s === null || s === undefined ? "-" : s.toFixed(1);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
