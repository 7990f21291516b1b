/**
 * How the console shows bytes: JSON (parsed), UTF-8 text, or hex; over 1 MB shown truncated
 * (the whole value stays downloadable). And the NDJSON form of a record for export/import,
 * which round-trips bytes exactly.
 *
 * @module
 */
import type { RawRecord } from "../cli/_cluster.ts";
import type { FilterInput } from "./_filter.ts";

/** Values larger than this are shown truncated. */
export const SHOW_LIMIT = 1024 * 1024;
/** How much of a truncated value is shown. */
const PREVIEW = 64 * 1024;

/** Bytes as shown on the page. */
export interface Shown {
  kind: "json" | "text" | "hex";
  /** The text (for json: the raw text), or hex digits. */
  text: string;
  /** For json: the parsed value. */
  json?: unknown;
  /** Size in bytes of the whole value. */
  size: number;
  /** Only the first 64 KiB is in `text`. */
  truncated?: boolean;
}

/** A message as the page shows it. */
export interface ShownMessage {
  partition: number;
  offset: number;
  timestamp: number;
  key: Shown | null;
  value: Shown | null;
  headers: { key: string; value: string | null }[];
}

const strict = new TextDecoder("utf-8", { fatal: true });
const loose = new TextDecoder();

/** UTF-8 text, or null when the bytes are not valid UTF-8 or hold control bytes. */
export function utf8(b: Uint8Array): string | null {
  try {
    const s = strict.decode(b);
    // deno-lint-ignore no-control-regex
    return /[\x00-\x08\x0e-\x1f]/.test(s) ? null : s;
  } catch {
    return null;
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}

/** Shows bytes. */
export function show(b: Uint8Array | null): Shown | null {
  if (b === null) return null;
  if (b.length > SHOW_LIMIT) {
    const head = b.subarray(0, PREVIEW);
    const t = utf8(head) ?? (utf8(head.subarray(0, PREVIEW - 3)) ?? null);
    return t !== null
      ? { kind: "text", text: t, size: b.length, truncated: true }
      : { kind: "hex", text: hex(head), size: b.length, truncated: true };
  }
  const t = utf8(b);
  if (t === null) return { kind: "hex", text: hex(b), size: b.length };
  const trimmed = t.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { kind: "json", text: t, json: JSON.parse(t), size: b.length };
    } catch {
      // Not JSON after all: text.
    }
  }
  return { kind: "text", text: t, size: b.length };
}

/** A record as the page shows it. */
export function showRecord(r: RawRecord): ShownMessage {
  return {
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: show(r.key),
    value: show(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: h.value && loose.decode(h.value) })),
  };
}

/** What the JavaScript filter sees of a record. */
export function filterInput(r: RawRecord): FilterInput {
  const v = r.value === null ? null : loose.decode(r.value);
  let value: unknown = v;
  if (v !== null && /^\s*[[{]/.test(v)) {
    try {
      value = JSON.parse(v);
    } catch {
      // Text.
    }
  }
  const headers: Record<string, string | null> = {};
  for (const h of r.headers) headers[h.key] = h.value && loose.decode(h.value);
  return {
    key: r.key === null ? null : loose.decode(r.key),
    value,
    headers,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
  };
}

/** Case-insensitive text search in key, value and headers. */
export function matchesText(r: RawRecord, needle: string): boolean {
  const n = needle.toLowerCase();
  const has = (b: Uint8Array | null) => b !== null && loose.decode(b).toLowerCase().includes(n);
  return has(r.key) || has(r.value) ||
    r.headers.some((h) => h.key.toLowerCase().includes(n) || has(h.value));
}

/** One NDJSON line of export: exact bytes, readable where possible. */
export interface NdjsonRecord {
  partition?: number;
  offset?: number;
  timestamp?: number;
  key?: string | null;
  /** Set when the key is not UTF-8: `key` is base64. */
  keyEncoding?: "base64";
  headers?: { key: string; value: string | null; encoding?: "base64" }[];
  /** JSON when the bytes are JSON exactly as JSON.stringify writes it, else a string. */
  value?: unknown;
  /** "text": `value` is the text; "base64": `value` is base64 of bytes. */
  valueEncoding?: "text" | "base64";
}

function b64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) {
    s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function unb64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/** A record as an NDJSON object. */
export function toNdjson(r: RawRecord): NdjsonRecord {
  const out: NdjsonRecord = { partition: r.partition, offset: r.offset, timestamp: r.timestamp };
  if (r.key === null) out.key = null;
  else {
    const k = utf8(r.key);
    if (k === null) {
      out.key = b64(r.key);
      out.keyEncoding = "base64";
    } else out.key = k;
  }
  out.headers = r.headers.map((h) => {
    if (h.value === null) return { key: h.key, value: null };
    const t = utf8(h.value);
    return t === null
      ? { key: h.key, value: b64(h.value), encoding: "base64" as const }
      : { key: h.key, value: t };
  });
  if (r.value === null) out.value = null;
  else {
    const t = utf8(r.value);
    if (t === null) {
      out.value = b64(r.value);
      out.valueEncoding = "base64";
    } else {
      let parsed: unknown;
      let canonical = false;
      try {
        parsed = JSON.parse(t);
        canonical = typeof parsed === "object" && parsed !== null && JSON.stringify(parsed) === t;
      } catch {
        // Text.
      }
      if (canonical) out.value = parsed;
      else {
        out.value = t;
        out.valueEncoding = "text";
      }
    }
  }
  return out;
}

const enc = new TextEncoder();

/** Bytes of an NDJSON record, for import. Throws a one-line reason on a malformed record. */
export function fromNdjson(o: NdjsonRecord): {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: { key: string; value: Uint8Array | null }[];
  timestamp?: number;
  partition?: number;
} {
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw new Error("expected a JSON object");
  }
  const key = o.key === undefined || o.key === null
    ? null
    : o.keyEncoding === "base64"
    ? unb64(String(o.key))
    : enc.encode(String(o.key));
  let value: Uint8Array | null;
  if (o.value === undefined || o.value === null) value = null;
  else if (o.valueEncoding === "base64") value = unb64(String(o.value));
  else if (o.valueEncoding === "text" || typeof o.value === "string") {
    value = enc.encode(String(o.value));
  } else value = enc.encode(JSON.stringify(o.value));
  if (o.headers !== undefined && !Array.isArray(o.headers)) {
    throw new Error('"headers" must be a list of {key, value}');
  }
  const headers = (o.headers ?? []).map((h) => {
    if (typeof h?.key !== "string") throw new Error("a header has no string key");
    return {
      key: h.key,
      value: h.value === null || h.value === undefined
        ? null
        : h.encoding === "base64"
        ? unb64(String(h.value))
        : enc.encode(String(h.value)),
    };
  });
  if (o.timestamp !== undefined && !Number.isFinite(o.timestamp)) {
    throw new Error('"timestamp" must be epoch milliseconds');
  }
  return { key, value, headers, timestamp: o.timestamp, partition: o.partition };
}
