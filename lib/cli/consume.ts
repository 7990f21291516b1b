/**
 * `sa consume <topic>`: print a topic's messages as JSON lines, an aligned table, or raw
 * values.
 *
 * @module
 */
import type { ClientSecurity } from "../stream/kafka/security.ts";
import type { KafkaMessage } from "kafkajs";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { flag, int, parseCommandArgs, str } from "./_args.ts";
import { BROKER_HELP, BROKER_OPTION, brokerTarget, kafkaError, kafkaFor } from "./_kafka.ts";
import { colour, colourEnabled } from "./_table.ts";
import { validateTopicName } from "./topics.ts";

/** Output formats. */
export const FORMATS = ["json", "table", "raw"] as const;
/** An output format. */
export type Format = typeof FORMATS[number];

/** The `consume` command. */
export const command: CliCommand = {
  name: "consume",
  summary: "Print a topic's messages (json, table or raw)",
  help: `Usage: sa consume <topic> [--from-beginning] [-n N] [--group G] [--format json|table|raw]

Prints messages as they arrive until Ctrl+C, N messages, or --timeout of silence.
Without --group, a throwaway consumer group is used and no offsets are committed;
with --group, consumed offsets are committed for that group.

Formats:
  json   one JSON object per line: topic, partition, offset, timestamp, key, value
         (value parsed as JSON when it is JSON, else a string)   [default]
  table  aligned columns: partition, offset, time, key, value
  raw    the value only

Options:
${BROKER_HELP}
  --from-beginning   start at the earliest offset (default: only new messages)
  -n, --count N      stop after N messages
  -g, --group G      consume as group G and commit offsets
  --format F         json, table or raw
  --timeout MS       stop after MS without a message (default: wait)

Examples:
  sa consume table-data --from-beginning -n 10
  sa consume raw-data --format table
  sa consume raw-data --from-beginning --format raw --timeout 2000 > dump.jsonl
`,
  async run(argv, env) {
    const args = parseCommandArgs("consume", argv, {
      ...BROKER_OPTION,
      "from-beginning": { type: "boolean" },
      count: { type: "string", short: "n" },
      group: { type: "string", short: "g" },
      format: { type: "string", short: "f" },
      timeout: { type: "string" },
    });
    const [topic, ...extra] = args.positionals;
    if (!topic) throw new CliError("expected a topic: sa consume <topic>", 2);
    if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(" ")}`, 2);
    validateTopicName(topic);
    const format = (str(args, "format") ?? "json") as Format;
    if (!FORMATS.includes(format)) {
      throw new CliError(`--format must be one of ${FORMATS.join(", ")}, not "${format}"`, 2);
    }
    const count = int(args, "count", 1);
    const timeoutMs = int(args, "timeout", 1);
    const { address, security } = await brokerTarget(str(args, "broker"), env);
    const n = await consumeTopic({
      address,
      security,
      topic,
      fromBeginning: flag(args, "from-beginning"),
      count,
      group: str(args, "group"),
      format,
      timeoutMs,
      env,
    });
    env.stderr(`${n} message(s)\n`);
    return 0;
  },
};

/** Options for {@link consumeTopic}. */
export interface ConsumeOptions {
  address: string;
  /** How to reach the broker (SASL, TLS); default plaintext. */
  security?: ClientSecurity;
  topic: string;
  fromBeginning: boolean;
  count?: number;
  group?: string;
  format: Format;
  timeoutMs?: number;
  env: CliEnv;
}

/** Consumes and prints until count, timeout or abort; returns how many were printed. */
export async function consumeTopic(opts: ConsumeOptions): Promise<number> {
  const { env } = opts;
  const kafka = kafkaFor(opts.address, opts.security);
  const admin = kafka.admin();
  const groupId = opts.group ?? `sa-consume-${crypto.randomUUID().slice(0, 8)}`;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
  });
  let printed = 0;
  const next = new Map<number, string>(); // partition -> next offset to commit
  if (opts.format === "table") env.stdout(tableHeader(colourEnabled(env)));
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(opts.topic)) {
      throw new CliError(`no topic "${opts.topic}" on ${opts.address}`);
    }
    await consumer.connect();
    await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.fromBeginning });
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    let idle: ReturnType<typeof setTimeout> | undefined;
    const armIdle = () => {
      if (opts.timeoutMs === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(finish, opts.timeoutMs);
    };
    const onAbort = () => finish();
    env.signal.addEventListener("abort", onAbort, { once: true });
    let crashed: unknown;
    consumer.on(consumer.events.CRASH, (e) => {
      crashed = e.payload.error;
      finish();
    });
    armIdle();
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        if (opts.count !== undefined && printed >= opts.count) return Promise.resolve();
        env.stdout(formatMessage(opts.format, opts.topic, partition, message, colourEnabled(env)));
        printed++;
        next.set(partition, (BigInt(message.offset) + 1n).toString());
        armIdle();
        if (opts.count !== undefined && printed >= opts.count) finish();
        return Promise.resolve();
      },
    });
    await done;
    clearTimeout(idle);
    env.signal.removeEventListener("abort", onAbort);
    if (crashed) throw crashed;
    if (opts.group && next.size) {
      await consumer.commitOffsets(
        [...next].map(([partition, offset]) => ({ topic: opts.topic, partition, offset })),
      );
    }
    return printed;
  } catch (err) {
    throw kafkaError(opts.address, err, opts.security);
  } finally {
    await consumer.disconnect().catch(() => {});
    // The throwaway group holds no offsets; remove it so `sa groups list` stays clean.
    if (!opts.group) await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

const decoder = new TextDecoder();

function text(b: Uint8Array | null | undefined): string | null {
  return b == null ? null : decoder.decode(b);
}

function jsonOrString(s: string | null): unknown {
  if (s === null) return null;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** Column widths of the table format (the value takes the rest of the line). */
const WIDTHS = { partition: 9, offset: 10, time: 24, key: 20 };

function tableHeader(tty: boolean): string {
  return colour(
    tty,
    "bold",
    `${"PARTITION".padStart(WIDTHS.partition)}  ${"OFFSET".padStart(WIDTHS.offset)}  ${
      "TIME".padEnd(WIDTHS.time)
    }  ${"KEY".padEnd(WIDTHS.key)}  VALUE`,
  ) + "\n";
}

function clip(s: string, width: number): string {
  return s.length > width ? s.slice(0, width - 1) + "…" : s;
}

/** One message in the chosen format, newline-terminated. */
export function formatMessage(
  format: Format,
  topic: string,
  partition: number,
  m: KafkaMessage,
  tty = false,
): string {
  const key = text(m.key);
  const value = text(m.value);
  if (format === "raw") return `${value ?? ""}\n`;
  const timestamp = Number(m.timestamp);
  if (format === "json") {
    return JSON.stringify({
      topic,
      partition,
      offset: Number(m.offset),
      timestamp,
      key,
      value: jsonOrString(value),
    }) + "\n";
  }
  const time = Number.isFinite(timestamp) ? new Date(timestamp).toISOString() : "-";
  const shownValue = (value ?? "null").replace(/\s*\n\s*/g, " ");
  return `${String(partition).padStart(WIDTHS.partition)}  ${m.offset.padStart(WIDTHS.offset)}  ${
    colour(tty, "gray", time.padEnd(WIDTHS.time))
  }  ${colour(tty, "cyan", clip(key ?? "", WIDTHS.key).padEnd(WIDTHS.key))}  ${
    tty ? clip(shownValue, 200) : shownValue
  }\n`;
}
