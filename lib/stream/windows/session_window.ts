/**
 * Session windows (Quix Streams has none; quix-streams PR #994 is still open). A session is a
 * run of records of one key where consecutive timestamps are less than `timeout` apart. Its
 * result is `{start: first timestamp, end: last timestamp + timeout, ...}`, half-open like the
 * other time windows, and it closes when `latest - grace >= end`. A record that bridges two
 * sessions merges them. A record is late when it joins no open session and
 * `timestamp + timeout <= latest - grace`.
 *
 * Sessions keep their records (not a running aggregate) because merging two sessions has to
 * re-fold them in arrival order for order-sensitive aggregations (`Reduce`, `First`, `Last`).
 *
 * @module
 */

import type { StorePartition } from "../state/types.ts";
import { decodeJson, encodeJson, entryKey, kindRange, readNum, WINDOW } from "./_keys.ts";
import type { AggSpec, WindowResult } from "./_spec.ts";
import {
  type ProcessResult,
  type WindowContext,
  type WindowOptions,
  WindowProcessor,
} from "./window.ts";

/** Stored session: last timestamp and records as `[seq, ts, value]`. */
interface Session {
  l: number;
  r: [number, number, unknown][];
}

/** A session window with an inactivity timeout. */
export class SessionWindow extends WindowProcessor {
  constructor(
    name: string,
    spec: AggSpec,
    readonly timeoutMs: number,
    readonly graceMs: number,
    options: WindowOptions = {},
  ) {
    super(name, spec, options);
  }

  #result(start: number, s: Session): WindowResult {
    let state = this.spec.initialize();
    for (const [, ts, v] of [...s.r].sort((a, b) => a[0] - b[0])) {
      state = this.spec.add(state, v, ts);
    }
    return this.spec.results(state, start, s.l + this.timeoutMs);
  }

  #sessions(store: StorePartition, prefix: Uint8Array): [Uint8Array, number, Session][] {
    const [from, to] = kindRange(prefix, WINDOW);
    const out: [Uint8Array, number, Session][] = [];
    for (const [k, v] of store.scan(from, to)) {
      out.push([k, readNum(k, prefix.length, 0), decodeJson<Session>(v)]);
    }
    return out;
  }

  process(
    value: unknown,
    key: unknown,
    prefix: Uint8Array,
    timestampMs: number,
    ctx: WindowContext,
  ): ProcessResult {
    const store = ctx.store;
    const timeout = this.timeoutMs;
    const meta = this.readMeta(store, prefix);
    const latest = Math.max(timestampMs, meta.latest);
    const maxExpiredEnd = Math.max(latest - this.graceMs, meta.closedEnd);
    const sessions = this.#sessions(store, prefix);
    const joined = sessions.filter(([, start, s]) =>
      start < timestampMs + timeout && s.l + timeout > timestampMs
    );
    if (!joined.length && timestampMs + timeout <= maxExpiredEnd) {
      this.late(
        value,
        key,
        timestampMs,
        maxExpiredEnd - timestampMs,
        timestampMs,
        timestampMs + timeout,
        ctx,
      );
      return { updated: [], expired: [] };
    }
    let start = timestampMs;
    const merged: Session = { l: timestampMs, r: [] };
    for (const [k, s, sess] of joined) {
      start = Math.min(start, s);
      merged.l = Math.max(merged.l, sess.l);
      merged.r.push(...sess.r);
      store.delete(k);
    }
    merged.r.push([meta.seq++, timestampMs, value]);
    store.set(entryKey(prefix, WINDOW, start), encodeJson(merged));
    meta.latest = latest;
    this.writeMeta(store, prefix, meta);
    const updated = this.spec.aggregate ? [this.#result(start, merged)] : [];

    const expired: WindowResult[] = [];
    for (const [k, s, sess] of this.#sessions(store, prefix)) {
      if (sess.l + timeout <= maxExpiredEnd) {
        expired.push(this.#result(s, sess));
        store.delete(k);
      }
    }
    return { updated, expired };
  }

  closeKey(prefix: Uint8Array, store: StorePartition): WindowResult[] {
    const out: WindowResult[] = [];
    let maxEnd = -Infinity;
    for (const [k, s, sess] of this.#sessions(store, prefix)) {
      out.push(this.#result(s, sess));
      maxEnd = Math.max(maxEnd, sess.l + this.timeoutMs);
      store.delete(k);
    }
    if (out.length) {
      const meta = this.readMeta(store, prefix);
      meta.closedEnd = Math.max(meta.closedEnd, maxEnd);
      this.writeMeta(store, prefix, meta);
    }
    return out;
  }
}
