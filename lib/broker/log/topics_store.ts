/**
 * Durable topic metadata: a snapshot `<dataDir>/topics.json`, replaced atomically (write a
 * temp file, fsync it, rename over the old one, fsync the directory), plus a change log
 * `<dataDir>/topics.jsonl` that each create, delete or resize appends one line to. Rewriting
 * the whole table per topic made creating 10,000 topics quadratic; the log is folded into
 * the snapshot only once it outgrows the table, so each change costs O(1) amortized.
 *
 * @module
 */
import { join } from "node:path";
import { ErrorCode, KafkaError } from "../../kafka/protocol/errors.ts";

/** What is persisted per topic. */
export interface StoredTopic {
  partitions: number;
  configs: Record<string, string>;
  /** Kafka topic id (a random UUID, new for each creation); absent in files from before ids. */
  id?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** File name inside the data dir. */
export const TOPICS_FILE = "topics.json";
/** The change log next to {@link TOPICS_FILE}. */
export const TOPICS_LOG_FILE = "topics.jsonl";

/** Loads the topic table; a missing file means no topics. A corrupt file throws naming it. */
export function loadTopics(dataDir: string): Map<string, StoredTopic> {
  const path = join(dataDir, TOPICS_FILE);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return new Map();
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const topics = (parsed as { topics?: Record<string, StoredTopic> }).topics;
  if (typeof topics !== "object" || topics === null) {
    throw new Error(`${path}: missing "topics" object`);
  }
  const out = new Map<string, StoredTopic>();
  for (const [name, t] of Object.entries(topics)) {
    if (!Number.isInteger(t?.partitions) || t.partitions < 1) {
      throw new Error(`${path}: topic ${name} has invalid partitions ${t?.partitions}`);
    }
    const id = typeof t.id === "string" && UUID.test(t.id) ? t.id : undefined;
    out.set(name, {
      partitions: t.partitions,
      configs: { ...(t.configs ?? {}) },
      ...(id ? { id } : {}),
    });
  }
  return out;
}

/** Writes a JSON document atomically (temp + fsync + rename + directory fsync). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp`;
  const f = Deno.openSync(tmp, { write: true, create: true, truncate: true });
  try {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
    f.syncSync();
  } finally {
    f.close();
  }
  Deno.renameSync(tmp, path);
  syncDir(path.substring(0, Math.max(path.lastIndexOf("/"), 0)) || ".");
}

/** fsyncs a directory so a rename or create in it is durable; ignored where unsupported. */
export function syncDir(dir: string): void {
  try {
    const d = Deno.openSync(dir, { read: true });
    try {
      d.syncSync();
    } finally {
      d.close();
    }
  } catch {
    // Some platforms cannot fsync directories; the rename is still atomic.
  }
}

/** Persists the whole topic table. */
export function saveTopics(dataDir: string, topics: Map<string, StoredTopic>): void {
  const obj: Record<string, StoredTopic> = {};
  for (const [name, t] of [...topics].sort((a, b) => a[0] < b[0] ? -1 : 1)) obj[name] = t;
  writeFileAtomic(join(dataDir, TOPICS_FILE), JSON.stringify({ version: 1, topics: obj }, null, 2));
}

/** One line of the change log: a topic's new state, or its deletion. */
type Change =
  | { t: string; p: number; c: Record<string, string>; i?: string }
  | { t: string; del: true };

const encoder = new TextEncoder();

/** The topic table with its change log; see the module doc. */
export class TopicsStore {
  readonly #dataDir: string;
  readonly #topics: Map<string, StoredTopic>;
  #log: Deno.FsFile;
  /** Bytes of complete lines in the change log (a failed append is cut back to it). */
  #size: number;
  #lines: number;

  private constructor(
    dataDir: string,
    topics: Map<string, StoredTopic>,
    log: Deno.FsFile,
    size: number,
    lines: number,
  ) {
    this.#dataDir = dataDir;
    this.#topics = topics;
    this.#log = log;
    this.#size = size;
    this.#lines = lines;
  }

  /** Loads `topics.json` and replays `topics.jsonl` over it (a torn last line is dropped). */
  static open(dataDir: string): TopicsStore {
    const topics = loadTopics(dataDir);
    const path = join(dataDir, TOPICS_LOG_FILE);
    let bytes = new Uint8Array(0);
    try {
      bytes = Deno.readFileSync(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    let good = 0;
    let lines = 0;
    const text = new TextDecoder();
    while (good < bytes.length) {
      const nl = bytes.indexOf(10, good);
      if (nl < 0) break; // torn by a crash mid-append: never acknowledged
      let ch: Change;
      try {
        ch = JSON.parse(text.decode(bytes.subarray(good, nl)));
      } catch {
        throw new Error(`${path}: line ${lines + 1} is not valid JSON`);
      }
      if ("del" in ch) topics.delete(ch.t);
      else if (Number.isInteger(ch.p) && ch.p >= 1) {
        const id = typeof ch.i === "string" && UUID.test(ch.i) ? ch.i : undefined;
        topics.set(ch.t, { partitions: ch.p, configs: { ...(ch.c ?? {}) }, ...(id ? { id } : {}) });
      } else throw new Error(`${path}: line ${lines + 1}: topic ${ch.t} has invalid partitions`);
      lines++;
      good = nl + 1;
    }
    const log = Deno.openSync(path, { read: true, write: true, create: true });
    if (good < bytes.length) log.truncateSync(good);
    log.seekSync(good, Deno.SeekMode.Start);
    return new TopicsStore(dataDir, topics, log, good, lines);
  }

  /** The table (read-only; change it with {@link put} and {@link delete}). */
  get topics(): ReadonlyMap<string, StoredTopic> {
    return this.#topics;
  }

  /** Durably records a topic's state (create, resize, configs). Throws KAFKA_STORAGE_ERROR. */
  put(name: string, t: StoredTopic): void {
    this.#append({ t: name, p: t.partitions, c: t.configs, ...(t.id ? { i: t.id } : {}) });
    this.#topics.set(name, t);
    this.#maybeFold();
  }

  /** Durably records a topic's deletion. Throws KAFKA_STORAGE_ERROR. */
  delete(name: string): void {
    this.#append({ t: name, del: true });
    this.#topics.delete(name);
    this.#maybeFold();
  }

  #append(ch: Change): void {
    const line = encoder.encode(JSON.stringify(ch) + "\n");
    try {
      let off = 0;
      while (off < line.length) off += this.#log.writeSync(line.subarray(off));
      this.#log.syncDataSync();
    } catch (e) {
      // Cut a torn line back so the next append does not follow it (replay stops there).
      try {
        this.#log.truncateSync(this.#size);
        this.#log.seekSync(this.#size, Deno.SeekMode.Start);
      } catch { /* a torn last line is dropped on the next open anyway */ }
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `cannot write ${join(this.#dataDir, TOPICS_LOG_FILE)}: ${(e as Error).message}`,
      );
    }
    this.#size += line.length;
    this.#lines++;
  }

  /** Folds the log into the snapshot once it holds more lines than the table has topics. */
  #maybeFold(): void {
    if (this.#lines < Math.max(1024, this.#topics.size)) return;
    try {
      saveTopics(this.#dataDir, this.#topics);
      // A crash here replays the old lines over the new snapshot: same result.
      this.#log.truncateSync(0);
      this.#log.seekSync(0, Deno.SeekMode.Start);
      this.#log.syncDataSync();
      this.#size = 0;
      this.#lines = 0;
    } catch { /* the log still holds every change; folding is retried on the next one */ }
  }

  /** Closes the change log. */
  close(): void {
    try {
      this.#log.close();
    } catch { /* already closed */ }
  }
}
