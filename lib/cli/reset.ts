/**
 * `sa reset <group>`: reprocessing. Moves a stopped consumer group's committed offsets to the
 * start, the end or a point in time, and optionally deletes the group's local state so stateful
 * apps rebuild it from scratch (Quix: `app.clear_state()` + a new consumer group).
 *
 * @module
 */
import { join } from "node:path";
import type { Admin } from "kafkajs";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { flag, parseCommandArgs, str } from "./_args.ts";
import { BROKER_HELP, BROKER_OPTION, brokerTarget, withAdmin } from "./_kafka.ts";
import { ACTIVE_STATES, describeGroups } from "./_groups.ts";
import { saPaths } from "../runner/project_state.ts";
import { clearGroupDir } from "../stream/state/durable.ts";

/** Where to move the offsets. */
export type ResetTarget =
  | { kind: "earliest" }
  | { kind: "latest" }
  | { kind: "time"; ms: number }
  | { kind: "offset"; offset: number }
  | { kind: "shift"; by: number };

/** The target from `--to`, `--to-offset` or `--shift-by` (at most one of them). */
export function parseTargetOptions(
  to: string | undefined,
  toOffset: string | undefined,
  shiftBy: string | undefined,
): ResetTarget {
  const given = [
    to !== undefined && "--to",
    toOffset !== undefined && "--to-offset",
    shiftBy !== undefined && "--shift-by",
  ].filter(Boolean);
  if (given.length > 1) throw new CliError(`use one of ${given.join(", ")}, not several`, 2);
  if (toOffset !== undefined) {
    if (!/^\d+$/.test(toOffset)) {
      throw new CliError(`--to-offset must be an offset >= 0, not "${toOffset}"`, 2);
    }
    return { kind: "offset", offset: Number(toOffset) };
  }
  if (shiftBy !== undefined) {
    if (!/^[-+]?\d+$/.test(shiftBy)) {
      throw new CliError(
        `--shift-by must be a whole number (1 skips one record), not "${shiftBy}"`,
        2,
      );
    }
    return { kind: "shift", by: Number(shiftBy) };
  }
  return parseTarget(to);
}

/** Parses `--to`: earliest, latest, epoch ms, or an ISO date/time. */
export function parseTarget(value: string | undefined): ResetTarget {
  if (value === undefined || value === "earliest") return { kind: "earliest" };
  if (value === "latest") return { kind: "latest" };
  if (/^\d+$/.test(value)) return { kind: "time", ms: Number(value) };
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new CliError(
      `--to "${value}": expected earliest, latest, a timestamp in ms or an ISO date (2024-05-09T12:00:00Z)`,
      2,
    );
  }
  return { kind: "time", ms };
}

/** The `reset` command. */
export const command: CliCommand = {
  name: "reset",
  summary: "Reprocess: move a stopped consumer group's offsets, optionally clear its state",
  help: `Usage: sa reset <consumer-group> [--to earliest|latest|<timestamp> | --to-offset N |
                --shift-by N] [--topic NAME]... [--partition P]... [--clear-state]
                [--state-dir DIR] [--dry-run] [-b host:port]

Moves the committed offsets of <consumer-group> on every topic it has consumed (or only
--topic ones, and only --partition ones) so the next run reprocesses from there, or skips
ahead. The group must have no running member: stop the app first (sa down, or Ctrl+C).

To skip a message the app cannot process (it crashes on the same offset again and again):
  sa reset <group> --topic <topic> --partition <p> --shift-by 1

Options:
  --to WHERE         earliest (default), latest, epoch ms, or an ISO date/time
  --to-offset N      this offset (within the partition's start and end offsets)
  --shift-by N       the committed offset plus N (negative goes back), kept within the
                     partition's start and end offsets
  --topic NAME       only this topic (repeatable; needed when the group never committed)
  --partition P      only this partition of those topics (repeatable)
  --clear-state      also delete the group's local state stores, so stateful apps rebuild
                     them (looked up in --state-dir, else .sa/state/*/<group> and state/<group>)
  --state-dir DIR    the apps' state directory
  --dry-run          show what would change, change nothing
${BROKER_HELP}

Examples:
  sa reset odometer --clear-state
  sa reset windows --to 2024-05-09T11:33:00Z
  sa reset normalize --to latest
  sa reset normalize --topic raw-data --partition 0 --shift-by 1
  sa reset normalize --topic raw-data --partition 0 --to-offset 120
`,
  async run(argv, env) {
    const args = parseCommandArgs("reset", argv, {
      ...BROKER_OPTION,
      to: { type: "string" },
      "to-offset": { type: "string" },
      "shift-by": { type: "string" },
      topic: { type: "string", multiple: true },
      partition: { type: "string", multiple: true },
      "clear-state": { type: "boolean" },
      "state-dir": { type: "string" },
      "dry-run": { type: "boolean" },
    });
    const [group, ...extra] = args.positionals;
    if (!group || extra.length) {
      throw new CliError("expected one consumer group: sa reset <consumer-group>", 2);
    }
    const target = parseTargetOptions(
      str(args, "to"),
      str(args, "to-offset"),
      str(args, "shift-by"),
    );
    const topics = (args.values.topic as string[] | undefined) ?? [];
    const partitions = ((args.values.partition as string[] | undefined) ?? []).map((v) => {
      if (!/^\d+$/.test(v)) throw new CliError(`--partition must be a number >= 0, not "${v}"`, 2);
      return Number(v);
    });
    const dry = flag(args, "dry-run");
    const { address, security } = await brokerTarget(str(args, "broker"), env);
    await withAdmin(
      address,
      (admin) => resetOffsets(admin, group, target, topics, partitions, dry, env, address),
      security,
    );
    if (flag(args, "clear-state")) await clearState(group, str(args, "state-dir"), dry, env);
    return 0;
  },
};

async function resetOffsets(
  admin: Admin,
  group: string,
  target: ResetTarget,
  only: string[],
  onlyPartitions: number[],
  dry: boolean,
  env: CliEnv,
  address: string,
): Promise<void> {
  const [info] = await describeGroups(admin, [group]);
  if (info && (ACTIVE_STATES.has(info.state) || info.members.length > 0)) {
    throw new CliError(
      `consumer group "${group}" is running (${info.members.length} member(s), ${info.state}); ` +
        "stop its app first (sa down, or Ctrl+C), then reset",
    );
  }
  let topics = only;
  const committedAll = await admin.fetchOffsets({ groupId: group });
  const hasCommits = committedAll.some((t) => t.partitions.some((p) => Number(p.offset) >= 0));
  if (!topics.length) {
    topics = committedAll.filter((t) => t.partitions.some((p) => Number(p.offset) >= 0)).map((
      t,
    ) => t.topic);
  }
  if (!topics.length) {
    const known = (await admin.listGroups()).groups.map((g) => g.groupId).sort();
    throw new CliError(
      `consumer group "${group}" is unknown on ${address}: it has no members and no committed ` +
        `offsets (groups: ${known.join(", ") || "none"}); to start it at a position anyway, ` +
        "name the topics with --topic",
    );
  }
  if (target.kind === "shift" && !hasCommits) {
    throw new CliError(
      `--shift-by needs committed offsets, and consumer group "${group}" has none; ` +
        "use --to-offset or --to",
    );
  }
  const existing = new Set(await admin.listTopics());
  for (const topic of topics.sort()) {
    if (!existing.has(topic)) throw new CliError(`topic "${topic}" does not exist`);
    const ends = await admin.fetchTopicOffsets(topic);
    let partitions: { partition: number; offset: string }[];
    if (target.kind === "offset" || target.kind === "shift") {
      const committed = new Map(
        (committedAll.find((t) => t.topic === topic)?.partitions ?? []).map((
          p,
        ) => [p.partition, Number(p.offset)]),
      );
      partitions = [];
      for (const e of ends) {
        const low = Number(e.low), high = Number(e.high);
        let offset: number;
        if (target.kind === "offset") {
          if (onlyPartitions.length && !onlyPartitions.includes(e.partition)) continue;
          if (target.offset < low || target.offset > high) {
            throw new CliError(
              `--to-offset ${target.offset} is outside ${topic}[${e.partition}]: its offsets ` +
                `run from ${low} to ${high} (the end)`,
            );
          }
          offset = target.offset;
        } else {
          const from = committed.get(e.partition) ?? -1;
          if (from < 0) continue; // never committed: nothing to shift
          offset = Math.min(high, Math.max(low, from + target.by));
        }
        partitions.push({ partition: e.partition, offset: String(offset) });
      }
    } else if (target.kind === "time") {
      const at = await admin.fetchTopicOffsetsByTimestamp(topic, target.ms);
      // Past the last message: the end (Kafka answers -1).
      partitions = at.map((p) => ({
        partition: p.partition,
        offset: Number(p.offset) < 0
          ? String(ends.find((e) => e.partition === p.partition)?.high ?? "0")
          : p.offset,
      }));
    } else {
      partitions = ends.map((e) => ({
        partition: e.partition,
        offset: target.kind === "earliest" ? e.low : e.high,
      }));
    }
    if (onlyPartitions.length) {
      const missing = onlyPartitions.filter((p) => !ends.some((e) => e.partition === p));
      if (missing.length) {
        throw new CliError(
          `topic "${topic}" has no partition ${missing.join(", ")} (it has ${ends.length})`,
        );
      }
      partitions = partitions.filter((p) => onlyPartitions.includes(p.partition));
    }
    if (!partitions.length) continue;
    partitions.sort((a, b) => a.partition - b.partition);
    if (!dry) await admin.setOffsets({ groupId: group, topic, partitions });
    env.stdout(
      `${dry ? "would reset" : "reset"} ${group} on ${topic}: ${
        partitions.map((p) => `[${p.partition}]=${p.offset}`).join(" ")
      }\n`,
    );
  }
}

async function clearState(group: string, stateDir: string | undefined, dry: boolean, env: CliEnv) {
  const candidates: string[] = [];
  if (stateDir) candidates.push(join(env.cwd, stateDir, group));
  else {
    const saState = saPaths(env.cwd).stateDir;
    try {
      for (const d of Deno.readDirSync(saState)) {
        if (d.isDirectory) candidates.push(join(saState, d.name, group));
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    candidates.push(join(env.cwd, "state", group));
  }
  let found = 0;
  for (const dir of candidates) {
    try {
      Deno.statSync(dir);
    } catch {
      continue;
    }
    found++;
    if (!dry) await clearGroupDir(dir);
    env.stdout(`${dry ? "would delete" : "deleted"} state ${dir}\n`);
  }
  if (!found) {
    env.stderr(`no local state found for "${group}" (looked in ${candidates.join(", ")})\n`);
  }
}
