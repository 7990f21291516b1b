/**
 * `sa consume <topic>`: print a topic's messages as JSON lines, an aligned table, or raw
 * values.
 *
 * @module
 */
import type { ClientSecurity } from "../stream/kafka/security.ts";
import type { Admin, KafkaMessage } from "kafkajs";
import { headerText, TableWriter } from "./_consume_table.ts";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { flag, int, parseCommandArgs, type Parsed, str } from "./_args.ts";
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
  help: `Usage: sa consume <topic> [--from-beginning | --offset N | --last N |
                  --from-timestamp T] [-p P]... [-e] [-n N] [-g G] [-f json|table|raw]
                  [--timeout MS] [-b host:port]

Prints messages as they arrive until Ctrl+C, N messages, the end (-e), or --timeout of
silence. Without --group, a throwaway consumer group is used and no offsets are committed;
with --group, consumed offsets are committed for that group.

Formats:
  json   one JSON object per line: topic, partition, offset, timestamp, key, value
         (value parsed as JSON when it is JSON, else a string), headers when there are
         any   [default]
  table  aligned columns: partition, offset, time, key, then one column per field of a
         JSON object value (else VALUE), then [headers]
  raw    the value only

Options:
${BROKER_HELP}
  --from-beginning       start at the earliest offset (default: only new messages)
  --offset N             start at offset N (of each partition read)
  --last N               start N messages before the end (of each partition read)
  --from-timestamp T     start at the first message at or after T (epoch ms or ISO date)
  -p, --partition P      read only partition P (repeatable)
  -e, --until-end        stop at the end offsets taken at start
  -n, --count N          stop after N messages
  -g, --group G          consume as group G and commit offsets
  -f, --format F         json, table or raw
  --timeout MS           stop after MS without a message (default: wait)

Examples:
  sa consume table-data --from-beginning -n 10
  sa consume table-data --last 5 -e --format table
  sa consume raw-data -p 0 --offset 120 -n 1
  sa consume windows --from-timestamp 2024-05-09T11:33:00Z -e
  sa consume raw-data --from-beginning --format raw -e > dump.jsonl
`,
  async run(argv, env) {
    const args = parseCommandArgs("consume", argv, {
      ...BROKER_OPTION,
      "from-beginning": { type: "boolean" },
      offset: { type: "string" },
      last: { type: "string" },
      "from-timestamp": { type: "string" },
      partition: { type: "string", short: "p", multiple: true },
      "until-end": { type: "boolean", short: "e" },
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
    const start = parseStart(args);
    const partitions = ((args.values.partition as string[] | undefined) ?? []).map((v) => {
      if (!/^\d+$/.test(v)) throw new CliError(`--partition must be a number >= 0, not "${v}"`, 2);
      return Number(v);
    });
    const { address, security } = await brokerTarget(str(args, "broker"), env);
    const n = await consumeTopic({
      address,
      security,
      topic,
      fromBeginning: flag(args, "from-beginning"),
      start,
      partitions,
      untilEnd: flag(args, "until-end"),
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

/** Where each partition starts, from --offset, --last or --from-timestamp. */
export type StartAt =
  | { kind: "offset"; offset: number }
  | { kind: "last"; n: number }
  | { kind: "time"; ms: number };

function parseStart(args: Parsed): StartAt | undefined {
  const given = ["from-beginning", "offset", "last", "from-timestamp"].filter((o) =>
    args.values[o] !== undefined
  );
  if (given.length > 1) {
    throw new CliError(`use one of ${given.map((g) => `--${g}`).join(", ")}, not several`, 2);
  }
  const offset = int(args, "offset", 0);
  if (offset !== undefined) return { kind: "offset", offset };
  const last = int(args, "last", 1);
  if (last !== undefined) return { kind: "last", n: last };
  const ts = str(args, "from-timestamp");
  if (ts !== undefined) {
    const ms = /^\d+$/.test(ts) ? Number(ts) : Date.parse(ts);
    if (Number.isNaN(ms)) {
      throw new CliError(
        `--from-timestamp "${ts}": expected epoch ms or an ISO date (2024-05-09T12:00:00Z)`,
        2,
      );
    }
    return { kind: "time", ms };
  }
  return undefined;
}

/** The offset each partition starts at for `start`, checked against its offsets. */
async function startOffsets(
  admin: Admin,
  topic: string,
  read: { partition: number; low: string; high: string }[],
  start: StartAt,
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const byTime = start.kind === "time"
    ? new Map(
      (await admin.fetchTopicOffsetsByTimestamp(topic, start.ms)).map((
        p,
      ) => [p.partition, Number(p.offset)]),
    )
    : null;
  for (const e of read) {
    const low = Number(e.low), high = Number(e.high);
    if (start.kind === "offset") {
      if (start.offset < low || start.offset > high) {
        throw new CliError(
          `--offset ${start.offset} is outside ${topic}[${e.partition}]: its offsets run from ` +
            `${low} to ${high} (the end)`,
        );
      }
      out.set(e.partition, start.offset);
    } else if (start.kind === "last") out.set(e.partition, Math.max(low, high - start.n));
    else {
      const at = byTime!.get(e.partition) ?? -1;
      out.set(e.partition, at < 0 ? high : Math.max(low, at)); // -1: past the last message
    }
  }
  return out;
}

/** Options for {@link consumeTopic}. */
export interface ConsumeOptions {
  address: string;
  /** How to reach the broker (SASL, TLS); default plaintext. */
  security?: ClientSecurity;
  topic: string;
  fromBeginning: boolean;
  /** Start position per partition (overrides fromBeginning and the group's offsets). */
  start?: StartAt;
  /** Only these partitions (default: all). */
  partitions?: number[];
  /** Stop once every partition read reached its end offset taken at start. */
  untilEnd?: boolean;
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
  const table = opts.format === "table" ? new TableWriter(colourEnabled(env)) : undefined;
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(opts.topic)) {
      throw new CliError(`no topic "${opts.topic}" on ${opts.address}`);
    }
    const ends = (await admin.fetchTopicOffsets(opts.topic)).sort((a, b) =>
      a.partition - b.partition
    );
    const wanted = opts.partitions?.length ? opts.partitions : ends.map((e) => e.partition);
    const missing = wanted.filter((p) => !ends.some((e) => e.partition === p));
    if (missing.length) {
      throw new CliError(
        `topic "${opts.topic}" has no partition ${missing.join(", ")} (it has ${ends.length})`,
        2,
      );
    }
    const read = ends.filter((e) => wanted.includes(e.partition));
    const seeks = opts.start ? await startOffsets(admin, opts.topic, read, opts.start) : null;
    // -e: the end offsets now; a partition already there (or empty) is done at once.
    const endAt = new Map(read.map((e) => [e.partition, Number(e.high)]));
    const pending = new Set<number>();
    if (opts.untilEnd) {
      for (const e of read) {
        const from = seeks?.get(e.partition) ??
          (opts.fromBeginning ? Number(e.low) : Number(e.high));
        if (from < Number(e.high)) pending.add(e.partition);
      }
      if (!pending.size) return 0;
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
    // Start positions: seek as soon as the group is joined, before the first fetch.
    if (seeks) {
      let sought = false;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (sought) return;
        sought = true;
        for (const [partition, offset] of seeks) {
          consumer.seek({ topic: opts.topic, partition, offset: String(offset) });
        }
      });
    }
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        if (opts.count !== undefined && printed >= opts.count) return Promise.resolve();
        if (!wanted.includes(partition)) return Promise.resolve();
        const offset = Number(message.offset);
        if (seeks && offset < (seeks.get(partition) ?? 0)) return Promise.resolve();
        if (opts.untilEnd && offset >= (endAt.get(partition) ?? 0)) return Promise.resolve();
        env.stdout(
          table
            ? table.row(partition, message)
            : formatMessage(opts.format, opts.topic, partition, message, colourEnabled(env)),
        );
        printed++;
        next.set(partition, (BigInt(message.offset) + 1n).toString());
        armIdle();
        if (opts.count !== undefined && printed >= opts.count) finish();
        if (opts.untilEnd && offset + 1 >= (endAt.get(partition) ?? 0)) {
          pending.delete(partition);
          if (!pending.size) finish();
        }
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
    const headers = m.headers && Object.keys(m.headers).length
      ? Object.fromEntries(
        Object.entries(m.headers).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.map((x) => text(x as Uint8Array)) : text(v as Uint8Array),
        ]),
      )
      : undefined;
    return JSON.stringify({
      topic,
      partition,
      offset: Number(m.offset),
      timestamp,
      key,
      value: jsonOrString(value),
      ...(headers ? { headers } : {}),
    }) + "\n";
  }
  const time = Number.isFinite(timestamp) ? new Date(timestamp).toISOString() : "-";
  const shownValue = (value ?? "null").replace(/\s*\n\s*/g, " ");
  const headers = headerText(m.headers);
  return `${String(partition).padStart(WIDTHS.partition)}  ${m.offset.padStart(WIDTHS.offset)}  ${
    colour(tty, "gray", time.padEnd(WIDTHS.time))
  }  ${colour(tty, "cyan", clip(key ?? "", WIDTHS.key).padEnd(WIDTHS.key))}  ${
    tty ? clip(shownValue, 200) : shownValue
  }${headers ? `  [${headers}]` : ""}\n`;
}
