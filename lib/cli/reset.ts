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
import { BROKER_HELP, BROKER_OPTION, brokerAddress, withAdmin } from "./_kafka.ts";
import { ACTIVE_STATES, describeGroups } from "./_groups.ts";
import { saPaths } from "../runner/project_state.ts";
import { clearGroupDir } from "../stream/state/durable.ts";

/** Where to move the offsets. */
export type ResetTarget = { kind: "earliest" } | { kind: "latest" } | { kind: "time"; ms: number };

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
  help: `Usage: sa reset <consumer-group> [--to earliest|latest|<timestamp>] [--clear-state]

Moves the committed offsets of <consumer-group> on every topic it has consumed (or only
--topic ones) so the next run reprocesses from there. The group must have no running member:
stop the app first (sa down, or Ctrl+C).

Options:
  --to WHERE         earliest (default), latest, epoch ms, or an ISO date/time
  --topic NAME       only this topic (repeatable; needed when the group never committed)
  --clear-state      also delete the group's local state stores, so stateful apps rebuild
                     them (looked up in --state-dir, else .sa/state/*/<group> and state/<group>)
  --state-dir DIR    the apps' state directory
  --dry-run          show what would change, change nothing
${BROKER_HELP}

Examples:
  sa reset odometer --clear-state
  sa reset windows --to 2024-05-09T11:33:00Z
  sa reset normalize --to latest
`,
  async run(argv, env) {
    const args = parseCommandArgs("reset", argv, {
      ...BROKER_OPTION,
      to: { type: "string" },
      topic: { type: "string", multiple: true },
      "clear-state": { type: "boolean" },
      "state-dir": { type: "string" },
      "dry-run": { type: "boolean" },
    });
    const [group, ...extra] = args.positionals;
    if (!group || extra.length) {
      throw new CliError("expected one consumer group: sa reset <consumer-group>", 2);
    }
    const target = parseTarget(str(args, "to"));
    const topics = (args.values.topic as string[] | undefined) ?? [];
    const dry = flag(args, "dry-run");
    const address = await brokerAddress(str(args, "broker"), env);
    await withAdmin(address, (admin) => resetOffsets(admin, group, target, topics, dry, env));
    if (flag(args, "clear-state")) await clearState(group, str(args, "state-dir"), dry, env);
    return 0;
  },
};

async function resetOffsets(
  admin: Admin,
  group: string,
  target: ResetTarget,
  only: string[],
  dry: boolean,
  env: CliEnv,
): Promise<void> {
  const [info] = await describeGroups(admin, [group]);
  if (info && (ACTIVE_STATES.has(info.state) || info.members.length > 0)) {
    throw new CliError(
      `consumer group "${group}" is running (${info.members.length} member(s), ${info.state}); ` +
        "stop its app first (sa down, or Ctrl+C), then reset",
    );
  }
  let topics = only;
  if (!topics.length) {
    const committed = await admin.fetchOffsets({ groupId: group });
    topics = committed.filter((t) => t.partitions.some((p) => Number(p.offset) >= 0)).map((t) =>
      t.topic
    );
  }
  if (!topics.length) {
    throw new CliError(
      `consumer group "${group}" has no committed offsets; name the topics with --topic`,
    );
  }
  const existing = new Set(await admin.listTopics());
  for (const topic of topics.sort()) {
    if (!existing.has(topic)) throw new CliError(`topic "${topic}" does not exist`);
    const ends = await admin.fetchTopicOffsets(topic);
    let partitions: { partition: number; offset: string }[];
    if (target.kind === "time") {
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
