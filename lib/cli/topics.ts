/**
 * `sa topics list|create|describe|alter-config|delete` against any Kafka broker.
 *
 * @module
 */
import type { Admin } from "kafkajs";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { flag, int, parseCommandArgs, str } from "./_args.ts";
import { BROKER_HELP, BROKER_OPTION, brokerTarget, withAdmin } from "./_kafka.ts";
import { formatTable } from "./_table.ts";
import { alterConfig, parseAssignments } from "./_alter_config.ts";

/** The `topics` command. */
export const command: CliCommand = {
  name: "topics",
  summary: "List, create, describe and delete topics on a broker",
  help: `Usage: sa topics list [--all]
       sa topics create <topic> [-p PARTITIONS] [-r REPLICATION] [-c key=value]...
       sa topics describe <topic>
       sa topics alter-config <topic> [key=value]... [--delete key]...
       sa topics delete <topic>...

list      Topics with their partition count, START (each partition's first kept offset, the
          low-water mark: above 0 once retention or delete-records removed the records
          before it) and message count (end - start offsets). Internal topics are shown
          with --all: apps' changelog__ and repartition__ topics, and on a Kafka broker
          __consumer_offsets and __transaction_state (the embedded broker keeps committed
          offsets and transactions in its own files, not in topics: see sa groups).
create    Creates a topic (default 1 partition, replication 1), e.g. -c retention.ms=60000.
describe  Per partition: leader, replicas, ISR, start and end offsets, messages; then the configs.
alter-config
          Sets topic configs, e.g. retention.ms=60000 segment.ms=600000; --delete key returns
          one to its default. The others are kept.
delete    Deletes topics.

Options:
${BROKER_HELP}
  -p, --partitions N
  -r, --replication N
  -c, --config K=V   topic config entry (repeatable)
  --all              include internal topics (changelog__, repartition__, __*) in list
  --delete KEY       config to return to its default (alter-config; repeatable)

Examples:
  sa topics list
  sa topics create raw-data -p 3 -c retention.ms=86400000
  sa topics describe raw-data --broker localhost:9092
  sa topics alter-config raw-data retention.ms=3600000 --delete segment.ms
`,
  async run(argv, env) {
    const args = parseCommandArgs("topics", argv, {
      ...BROKER_OPTION,
      partitions: { type: "string", short: "p" },
      replication: { type: "string", short: "r" },
      config: { type: "string", short: "c", multiple: true },
      all: { type: "boolean" },
      delete: { type: "string", multiple: true },
    });
    const [sub, ...names] = args.positionals;
    const { address, security } = await brokerTarget(str(args, "broker"), env);
    switch (sub) {
      case "list":
      case "ls":
        if (names.length) throw new CliError(`unexpected arguments: ${names.join(" ")}`, 2);
        return await withAdmin(address, (a) => list(a, flag(args, "all"), env), security);
      case "create": {
        const [topic, ...extra] = names;
        if (!topic || extra.length) {
          throw new CliError("expected one topic: sa topics create <topic>", 2);
        }
        validateTopicName(topic);
        const partitions = int(args, "partitions", 1) ?? 1;
        const replication = int(args, "replication", 1) ?? 1;
        const configEntries = ((args.values.config as string[] | undefined) ?? []).map((kv) => {
          const i = kv.indexOf("=");
          if (i <= 0) throw new CliError(`--config "${kv}" must be key=value`, 2);
          return { name: kv.slice(0, i), value: kv.slice(i + 1) };
        });
        return await withAdmin(address, async (admin) => {
          const created = await admin.createTopics({
            topics: [{
              topic,
              numPartitions: partitions,
              replicationFactor: replication,
              configEntries,
            }],
            waitForLeaders: true,
          });
          if (!created) throw new CliError(`topic "${topic}" already exists on ${address}`);
          env.stdout(
            `Created topic ${topic} (${partitions} partition(s), replication ${replication})\n`,
          );
          return 0;
        }, security);
      }
      case "describe": {
        const [topic, ...extra] = names;
        if (!topic || extra.length) {
          throw new CliError("expected one topic: sa topics describe <topic>", 2);
        }
        return await withAdmin(address, (a) => describe(a, topic, address, env), security);
      }
      case "alter-config": {
        const [topic, ...pairs] = names;
        if (!topic) {
          throw new CliError("expected a topic: sa topics alter-config <topic> key=value...", 2);
        }
        const set = parseAssignments(pairs);
        const del = (args.values.delete as string[] | undefined) ?? [];
        return await withAdmin(address, (a) => alterConfig(a, topic, set, del, address, env));
      }
      case "delete":
      case "rm": {
        if (!names.length) throw new CliError("expected topics: sa topics delete <topic>...", 2);
        return await withAdmin(address, async (admin) => {
          const existing = new Set(await admin.listTopics());
          const missing = names.filter((n) => !existing.has(n));
          if (missing.length) {
            throw new CliError(`no topic ${missing.map((m) => `"${m}"`).join(", ")} on ${address}`);
          }
          await admin.deleteTopics({ topics: names });
          env.stdout(`Deleted ${names.join(", ")}\n`);
          return 0;
        }, security);
      }
      default:
        throw new CliError(
          sub
            ? `unknown subcommand "${sub}"; expected list, create, describe, alter-config or delete`
            : "expected list, create, describe, alter-config or delete",
          2,
        );
    }
  },
};

/** Kafka's topic name rule, checked before asking the broker. */
export function validateTopicName(name: string): void {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(name) || name === "." || name === "..") {
    throw new CliError(
      `invalid topic name "${name}": use 1-249 letters, digits, ".", "_" or "-"`,
      2,
    );
  }
}

/** Topics `list` hides without --all: Kafka's own, and apps' changelogs and repartitions. */
export function isInternalTopic(name: string): boolean {
  return name.startsWith("__") || name.startsWith("changelog__") ||
    name.startsWith("repartition__");
}

async function list(admin: Admin, all: boolean, env: CliEnv): Promise<number> {
  const names = (await admin.listTopics()).filter((t) => all || !isInternalTopic(t)).sort();
  if (!names.length) {
    env.stdout("No topics.\n");
    return 0;
  }
  const { topics } = await admin.fetchTopicMetadata({ topics: names });
  const rows: string[][] = [];
  for (const t of topics.sort((a, b) => a.name.localeCompare(b.name))) {
    const offsets = await admin.fetchTopicOffsets(t.name);
    const messages = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    const start = offsets.sort((a, b) => a.partition - b.partition).map((o) => o.low).join(",");
    rows.push([t.name, String(t.partitions.length), start, String(messages)]);
  }
  env.stdout(formatTable(["TOPIC", "PARTITIONS", "START", "MESSAGES"], rows));
  return 0;
}

async function describe(
  admin: Admin,
  topic: string,
  address: string,
  env: CliEnv,
): Promise<number> {
  if (!(await admin.listTopics()).includes(topic)) {
    throw new CliError(`no topic "${topic}" on ${address}`);
  }
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const offsets = new Map(
    (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o]),
  );
  const rows = topics[0].partitions.sort((a, b) => a.partitionId - b.partitionId).map((p) => {
    const o = offsets.get(p.partitionId);
    const low = Number(o?.low ?? 0);
    const high = Number(o?.high ?? 0);
    return [
      String(p.partitionId),
      String(p.leader),
      p.replicas.join(","),
      p.isr.join(","),
      String(low),
      String(high),
      String(high - low),
    ];
  });
  env.stdout(`Topic ${topic}\n`);
  env.stdout(
    formatTable(["PARTITION", "LEADER", "REPLICAS", "ISR", "START", "END", "MESSAGES"], rows),
  );
  try {
    const res = await admin.describeConfigs({
      resources: [{ type: 2, /* TOPIC */ name: topic }],
      includeSynonyms: false,
    });
    const entries = res.resources[0]?.configEntries ?? [];
    if (entries.length) {
      env.stdout(
        "\n" + formatTable(
          ["CONFIG", "VALUE"],
          entries.sort((a, b) => a.configName.localeCompare(b.configName)).map((
            e,
          ) => [e.configName, e.configValue ?? ""]),
        ),
      );
    }
  } catch (err) {
    // A broker without DescribeConfigs still gets the partition table.
    env.stderr(`(configs unavailable: ${err instanceof Error ? err.message : err})\n`);
  }
  return 0;
}
