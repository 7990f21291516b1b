// JSON frames for pushed records: `{type, topic, partition, offset, timestamp, key, value,
// headers?, cursor}`. A value that is JSON is embedded as is (parsed only to validate, never
// re-serialized); other UTF-8 text becomes a JSON string; other bytes become base64 with
// `"encoding":"base64"`.

import type { TopicRecord } from "./topic_reader.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** The JSON text of a key or value, and whether it had to be base64-encoded. */
export function jsonOf(bytes: Uint8Array | null): { json: string; binary: boolean } {
  if (bytes === null) return { json: "null", binary: false };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { json: JSON.stringify(base64(bytes)), binary: true };
  }
  const c = text.charCodeAt(0);
  // `{`, `[`, `"`, digit, minus, or the start of true/false/null: maybe JSON; else text.
  if (
    c === 123 || c === 91 || c === 34 || c === 45 || (c >= 48 && c <= 57) ||
    c === 116 || c === 102 || c === 110
  ) {
    try {
      JSON.parse(text);
      return { json: text, binary: false };
    } catch {
      // plain text that looks like JSON's start
    }
  }
  return { json: JSON.stringify(text), binary: false };
}

/**
 * The frame of one record, with the cursor that resumes right after it. The part before the
 * cursor is built once per record and kept on it: records are shared by every client reading
 * the same range.
 */
export function recordFrame(
  topic: string,
  r: TopicRecord & { body?: string },
  cursor: string,
): string {
  r.body ??= recordBody(topic, r);
  return `${r.body},"cursor":"${cursor}"}`;
}

function recordBody(topic: string, r: TopicRecord): string {
  const key = r.key === null ? "null" : JSON.stringify(
    (() => {
      try {
        return utf8.decode(r.key!);
      } catch {
        return base64(r.key!);
      }
    })(),
  );
  const v = jsonOf(r.value);
  let headers = "";
  if (r.headers.length) {
    const h: Record<string, string | null> = {};
    for (const x of r.headers) {
      h[x.key] = x.value === null ? null : new TextDecoder().decode(x.value);
    }
    headers = `,"headers":${JSON.stringify(h)}`;
  }
  return `{"type":"record","topic":${
    JSON.stringify(topic)
  },"partition":${r.partition},"offset":${r.offset},"timestamp":${r.timestamp},"key":${key},"value":${v.json}${
    v.binary ? ',"encoding":"base64"' : ""
  }${headers}`;
}
