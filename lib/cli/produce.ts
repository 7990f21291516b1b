/**
 * `sa produce <topic> [-k key] [-f file]`: one message per input line.
 *
 * @module
 */
import type { ClientSecurity } from "../stream/kafka/security.ts";
import { resolve } from "node:path";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { int, parseCommandArgs, str } from "./_args.ts";
import { BROKER_HELP, BROKER_OPTION, brokerTarget, kafkaError, kafkaFor } from "./_kafka.ts";
import { validateTopicName } from "./topics.ts";
import { type Admin, Partitioners } from "kafkajs";

/** The `produce` command. */
export const command: CliCommand = {
  name: "produce",
  summary: "Produce lines from stdin or a file to a topic",
  help: `Usage: sa produce <topic> [-k KEY] [-f FILE] [--partition N] [--batch N]

Sends each non-empty line of FILE (or stdin; "-f -" also means stdin) as one message.
Long inputs show progress on stderr.

Options:
${BROKER_HELP}
  -k, --key KEY      key for every message (default: none)
  -f, --file FILE    read lines from FILE instead of stdin
  --partition N      send to partition N (default: by key)
  --batch N          messages per request (default 500)

Examples:
  echo '{"temperature": 21}' | sa produce sensor-data -k kitchen
  sa produce raw-data -f demo_stream.json -k demo
`,
  async run(argv, env) {
    const args = parseCommandArgs("produce", argv, {
      ...BROKER_OPTION,
      key: { type: "string", short: "k" },
      file: { type: "string", short: "f" },
      partition: { type: "string" },
      batch: { type: "string" },
    });
    const [topic, ...extra] = args.positionals;
    if (!topic) throw new CliError("expected a topic: sa produce <topic>", 2);
    if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(" ")}`, 2);
    validateTopicName(topic);
    const partition = int(args, "partition", 0);
    const batch = int(args, "batch", 1) ?? 500;
    const { address, security } = await brokerTarget(str(args, "broker"), env);
    const file = str(args, "file");
    let input: ReadableStream<Uint8Array>;
    let total: number | undefined;
    if (file && file !== "-") {
      const path = resolve(env.cwd, file);
      try {
        const f = await Deno.open(path);
        total = (await f.stat()).size;
        input = f.readable;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) throw new CliError(`no such file: ${file}`);
        throw err;
      }
    } else {
      input = Deno.stdin.readable;
    }
    const n = await produceLines({
      address,
      security,
      topic,
      key: str(args, "key"),
      partition,
      batch,
      input,
      totalBytes: total,
      env,
    });
    env.stdout(`Produced ${n} message(s) to ${topic}\n`);
    return 0;
  },
};

/** Options for {@link produceLines}. */
export interface ProduceLinesOptions {
  address: string;
  /** How to reach the broker (SASL, TLS); default plaintext. */
  security?: ClientSecurity;
  topic: string;
  key?: string;
  partition?: number;
  batch: number;
  input: ReadableStream<Uint8Array>;
  /** Input size, for a percentage in progress lines. */
  totalBytes?: number;
  env: CliEnv;
}

/** Sends each non-empty line as a message; returns how many were sent. */
export async function produceLines(opts: ProduceLinesOptions): Promise<number> {
  const { env } = opts;
  const producer = kafkaFor(opts.address, opts.security).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: true,
  });
  const admin = kafkaFor(opts.address, opts.security).admin();
  let existed = true;
  let sent = 0;
  let bytes = 0;
  let lastReport = Date.now();
  const progress = (final = false) => {
    const pct = opts.totalBytes ? ` (${Math.floor((bytes / opts.totalBytes) * 100)}%)` : "";
    const text = `${sent} message(s) sent${pct}`;
    if (env.isTty) env.stderr(`\r${text}${final ? "\n" : ""}`);
    else if (!final) env.stderr(`${text}\n`);
  };
  try {
    await admin.connect();
    existed = (await admin.listTopics()).includes(opts.topic);
    await producer.connect();
    let pending: Pending[] = [];
    let lineNo = 0;
    // A batch over max.message.bytes is split in halves until one line alone is too large.
    const send = async (msgs: Pending[]): Promise<void> => {
      try {
        await producer.send({ topic: opts.topic, messages: msgs.map((m) => m.message) });
        sent += msgs.length;
      } catch (err) {
        if (!isTooLarge(err)) throw err;
        if (msgs.length === 1) throw await tooLarge(admin, opts.topic, msgs[0], existed);
        const half = Math.ceil(msgs.length / 2);
        await send(msgs.slice(0, half));
        await send(msgs.slice(half));
      }
    };
    const flush = async () => {
      if (!pending.length) return;
      await send(pending);
      pending = [];
      if (Date.now() - lastReport > (env.isTty ? 200 : 2000)) {
        lastReport = Date.now();
        progress();
      }
    };
    for await (const line of lines(opts.input, (n) => (bytes += n))) {
      if (env.signal.aborted) break;
      lineNo++;
      if (line.trim() === "") continue;
      pending.push({
        line: lineNo,
        message: {
          value: line,
          ...(opts.key !== undefined ? { key: opts.key } : {}),
          ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
        },
      });
      if (pending.length >= opts.batch) await flush();
    }
    await flush();
    if (env.isTty && sent > 0) progress(true);
    return sent;
  } catch (err) {
    // Nothing stored in a topic this run auto-created: do not leave it behind, empty.
    if (!existed && sent === 0) {
      await admin.deleteTopics({ topics: [opts.topic] }).catch(() => {});
    }
    throw kafkaError(opts.address, err, opts.security);
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

/** A line waiting to be sent, with its line number for messages. */
interface Pending {
  line: number;
  message: { key?: string; value: string; partition?: number };
}

function isTooLarge(err: unknown): boolean {
  const e = err as { type?: string; message?: string };
  return e?.type === "MESSAGE_TOO_LARGE" ||
    /larger than the max message size/.test(e?.message ?? "");
}

/** The error for one line above the topic's limit: its size, the limit, how to raise it. */
async function tooLarge(
  admin: Admin,
  topic: string,
  p: Pending,
  existed: boolean,
): Promise<CliError> {
  const size = new TextEncoder().encode(p.message.value).length;
  let limit = "";
  try {
    const res = await admin.describeConfigs({
      resources: [{ type: 2, /* TOPIC */ name: topic }],
      includeSynonyms: false,
    });
    const e = res.resources[0]?.configEntries.find((c) => c.configName === "max.message.bytes");
    if (e?.configValue) limit = e.configValue;
  } catch { /* the limit stays unnamed */ }
  const raise = Math.max(2 ** Math.ceil(Math.log2(size + 1024)), 1 << 20);
  return new CliError(
    `line ${p.line} is a message of ${size} bytes, larger than topic "${topic}" accepts ` +
      `(max.message.bytes=${limit || "?"}); ` +
      (existed
        ? `produce it to a topic created with a higher limit, e.g. ` +
          `\`sa topics create ${topic}-large -c max.message.bytes=${raise}\``
        : `create the topic with a higher limit first: ` +
          `\`sa topics create ${topic} -c max.message.bytes=${raise}\``),
  );
}

/** Splits a byte stream into lines (LF or CRLF), reporting bytes read. */
async function* lines(
  input: ReadableStream<Uint8Array>,
  onBytes: (n: number) => void,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of input) {
    onBytes(chunk.byteLength);
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, nl).replace(/\r$/, "");
      buffered = buffered.slice(nl + 1);
    }
  }
  buffered += decoder.decode();
  if (buffered) yield buffered.replace(/\r$/, "");
}
