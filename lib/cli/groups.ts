/**
 * `sa groups list|describe`: consumer groups, their members and offsets.
 *
 * @module
 */
import type { Admin } from "kafkajs";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { parseCommandArgs, str } from "./_args.ts";
import { BROKER_HELP, BROKER_OPTION, brokerTarget, withAdmin } from "./_kafka.ts";
import { formatTable } from "./_table.ts";
import { describeGroups, groupOffsets } from "./_groups.ts";

/** The `groups` command. */
export const command: CliCommand = {
  name: "groups",
  summary: "List consumer groups, or describe one (members, offsets, lag)",
  help: `Usage: sa groups list
       sa groups describe <group>

list      Every consumer group with its state and member count.
describe  A group's members (client, host, assigned partitions) and, per partition, the
          committed offset, end offset and lag. For a lag status over time, see \`sa lag\`.

Options:
${BROKER_HELP}

Examples:
  sa groups list
  sa groups describe normalize
`,
  async run(argv, env) {
    const args = parseCommandArgs("groups", argv, BROKER_OPTION);
    const [sub, ...rest] = args.positionals;
    const { address, security } = await brokerTarget(str(args, "broker"), env);
    if (sub === "list" || sub === "ls") {
      if (rest.length) throw new CliError(`unexpected arguments: ${rest.join(" ")}`, 2);
      return await withAdmin(address, (a) => list(a, env), security);
    }
    if (sub === "describe") {
      const [group, ...extra] = rest;
      if (!group || extra.length) {
        throw new CliError("expected one group: sa groups describe <group>", 2);
      }
      return await withAdmin(address, (a) => describe(a, group, address, env), security);
    }
    throw new CliError(
      sub ? `unknown subcommand "${sub}"; expected list or describe` : "expected list or describe",
      2,
    );
  },
};

async function list(admin: Admin, env: CliEnv): Promise<number> {
  const ids = (await admin.listGroups()).groups.map((g) => g.groupId).sort();
  if (!ids.length) {
    env.stdout("No consumer groups.\n");
    return 0;
  }
  const infos = await describeGroups(admin, ids);
  env.stdout(formatTable(
    ["GROUP", "STATE", "MEMBERS"],
    infos.map((g) => [g.groupId, g.state, String(g.members.length)]),
  ));
  return 0;
}

async function describe(
  admin: Admin,
  group: string,
  address: string,
  env: CliEnv,
): Promise<number> {
  const known = (await admin.listGroups()).groups.some((g) => g.groupId === group);
  const [info] = await describeGroups(admin, [group]);
  const offsets = await groupOffsets(admin, group);
  if (!known && offsets.length === 0) throw new CliError(`no group "${group}" on ${address}`);
  env.stdout(
    `Group ${group}: ${info?.state ?? "Unknown"}, ${info?.members.length ?? 0} member(s)\n`,
  );
  const owner = new Map<string, string>();
  for (const m of info?.members ?? []) for (const tp of m.assignment) owner.set(tp, m.clientId);
  if (info?.members.length) {
    env.stdout(
      "\n" + formatTable(
        ["MEMBER", "CLIENT", "HOST", "PARTITIONS"],
        info.members.map((m) => [m.memberId, m.clientId, m.host, m.assignment.join(", ") || "-"]),
      ),
    );
  }
  if (offsets.length) {
    env.stdout(
      "\n" + formatTable(
        ["TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "CONSUMER"],
        offsets.map((o) => [
          o.topic,
          String(o.partition),
          o.committed < 0 ? "-" : String(o.committed),
          String(o.end),
          o.committed < 0 ? "-" : String(o.end - o.committed),
          owner.get(`${o.topic}:${o.partition}`) ?? "-",
        ]),
      ),
    );
  } else {
    env.stdout("\nNo committed offsets.\n");
  }
  return 0;
}
