/**
 * `sa topics alter-config <topic> key=value... [--delete key]...`: changes some configs of a
 * topic and keeps the others.
 *
 * kafkajs speaks AlterConfigs (which replaces a topic's whole explicit set) but not
 * IncrementalAlterConfigs, so this reads the explicit set with DescribeConfigs, applies the
 * changes and writes it back, as kafka-configs.sh did before Kafka 2.3. AlterConfigs answers
 * an error code without the broker's message, so on INVALID_CONFIG each change is checked on
 * its own (validate_only) to name the key at fault.
 *
 * @module
 */
import type { Admin } from "kafkajs";
import { type CliEnv, CliError } from "./_command.ts";

const TOPIC = 2;
const DYNAMIC_TOPIC_CONFIG = 1;

/** Parses `key=value` arguments; throws naming the bad one. */
export function parseAssignments(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const kv of args) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new CliError(`"${kv}" must be key=value, e.g. retention.ms=60000`, 2);
    const key = kv.slice(0, i);
    if (out.has(key)) throw new CliError(`config ${key} is given twice`, 2);
    out.set(key, kv.slice(i + 1));
  }
  return out;
}

/** The topic's explicitly set configs (not defaults, not broker-wide values). */
async function explicitConfigs(admin: Admin, topic: string): Promise<Map<string, string>> {
  const res = await admin.describeConfigs({
    resources: [{ type: TOPIC, name: topic }],
    includeSynonyms: false,
  });
  const entries = res.resources[0]?.configEntries ?? [];
  return new Map(
    entries
      .filter((e) =>
        !e.readOnly &&
        (e.configSource === undefined ? !e.isDefault : e.configSource === DYNAMIC_TOPIC_CONFIG)
      )
      .map((e) => [e.configName, e.configValue ?? ""]),
  );
}

const errorType = (e: unknown): string | undefined => (e as { type?: string })?.type;

function alter(admin: Admin, topic: string, configs: Map<string, string>, validateOnly = false) {
  return admin.alterConfigs({
    validateOnly,
    resources: [{
      type: TOPIC,
      name: topic,
      configEntries: [...configs].map(([name, value]) => ({ name, value })),
    }],
  });
}

/** Runs the subcommand; returns the exit code. */
export async function alterConfig(
  admin: Admin,
  topic: string,
  set: Map<string, string>,
  del: string[],
  address: string,
  env: CliEnv,
): Promise<number> {
  if (set.size === 0 && del.length === 0) {
    throw new CliError(
      "nothing to change: give key=value pairs and/or --delete key " +
        "(sa topics alter-config <topic> retention.ms=60000)",
      2,
    );
  }
  const both = del.filter((k) => set.has(k));
  if (both.length) throw new CliError(`config ${both[0]} is both set and deleted`, 2);
  if (!(await admin.listTopics()).includes(topic)) {
    throw new CliError(`no topic "${topic}" on ${address}`);
  }
  const current = await explicitConfigs(admin, topic);
  const next = new Map(current);
  for (const k of del) next.delete(k);
  for (const [k, v] of set) next.set(k, v);
  try {
    await alter(admin, topic, next);
  } catch (err) {
    if (errorType(err) !== "INVALID_CONFIG") throw err;
    for (const [k, v] of set) {
      try {
        await alter(admin, topic, new Map([...current, [k, v]]), true);
      } catch (e) {
        if (errorType(e) !== "INVALID_CONFIG") throw e;
        throw new CliError(
          `${address} refused ${k}=${v} for topic ${topic}: unknown config or invalid value`,
        );
      }
    }
    throw new CliError(`${address} refused the configs of topic ${topic} (INVALID_CONFIG)`);
  }
  const changes = [
    ...[...set].map(([k, v]) => `${k}=${v}`),
    ...del.map((k) => `${k} (default)`),
  ];
  env.stdout(`Altered topic ${topic}: ${changes.join(", ")}\n`);
  return 0;
}
