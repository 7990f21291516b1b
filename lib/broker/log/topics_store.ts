/**
 * Durable topic metadata: `<dataDir>/topics.json`, replaced atomically (write a temp file,
 * fsync it, rename over the old one, fsync the directory).
 *
 * @module
 */
import { join } from "node:path";

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
    out.set(name, { partitions: t.partitions, configs: { ...(t.configs ?? {}) }, id });
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
