/**
 * Live tail over a WebSocket: new records of a topic from the moment the socket opens,
 * filtered by text and by a JavaScript predicate (the browse filter, in its permissionless
 * Worker with a time limit), in frames of at most {@link FRAME_MAX} records every {@link TICK_MS}.
 * When more arrive than a page can draw, the frame carries an even sample and says how many
 * it left out (`skipped`); a slow socket (bufferedAmount over 1 MiB) also gets counts only.
 * "pause" stops reading (the position is kept, nothing is lost); "resume" goes on.
 *
 * Frames, server to page: `{type:"ready"}` once the start positions are taken (what is written
 * after it is tailed), `{type:"batch", messages, skipped, total}`, `{type:"error", error}`
 * (broker down; the tail goes on when it is back), `{type:"ok"}` (back), and
 * `{type:"error", error, fatal: true}` when the predicate does not compile, throws or runs out
 * of time: the tail then stops and the socket closes (the server is not affected).
 *
 * @module
 */
import type { ConsoleContext } from "./_context.ts";
import { oneLine } from "./_context.ts";
import { filterInput, matchesText, showRecord } from "./_decode.ts";
import { JsFilter } from "./_filter.ts";
import type { RawRecord } from "../cli/_cluster.ts";

/** Most records drawn per frame. */
export const FRAME_MAX = 200;
/** Time between reads. */
export const TICK_MS = 250;

/** Takes `n` evenly spaced items of `xs` (all when there are fewer). */
export function sample<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const out: T[] = [];
  const step = xs.length / n;
  for (let i = 0; i < n; i++) out.push(xs[Math.floor(i * step)]);
  return out;
}

/** Serves one live-tail socket until it closes. */
export function serveLiveTail(
  ctx: ConsoleContext,
  socket: WebSocket,
  topic: string,
  opts: { partition?: number; q?: string; filter?: string },
): void {
  let open = true;
  let paused = false;
  let broken = false;
  let ready = false;
  const pos = new Map<number, number>();
  socket.onmessage = (e) => {
    try {
      const m = JSON.parse(String(e.data));
      if (m.type === "pause") paused = true;
      if (m.type === "resume") paused = false;
    } catch {
      // Ignore what is not ours.
    }
  };
  let filter: JsFilter | undefined;
  socket.onclose = () => {
    open = false;
    filter?.close();
  };
  const send = (x: unknown) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(x));
  };
  /** A predicate that failed ends this tail only. */
  const fatal = (err: unknown) => {
    send({ type: "error", error: oneLine(err), fatal: true });
    open = false;
    filter?.close();
    socket.close(1000, "filter failed");
  };
  const loop = async () => {
    if (opts.filter) {
      try {
        filter = await JsFilter.create(opts.filter);
      } catch (err) {
        return fatal(err);
      }
      if (!open) return filter.close();
    }
    while (open) {
      if (!paused) {
        try {
          let fresh = await ctx.run(async (_a, reader) => {
            const ranges = (await reader.ranges([topic])).get(topic) ?? [];
            const out: RawRecord[] = [];
            for (const r of ranges) {
              if (opts.partition !== undefined && r.partition !== opts.partition) continue;
              if (!pos.has(r.partition)) {
                pos.set(r.partition, r.high);
                continue;
              }
              let at = pos.get(r.partition)!;
              while (at < r.high) {
                const { records } = await reader.read(topic, r.partition, at, 1 << 20);
                if (!records.length) break;
                at = records[records.length - 1].offset + 1;
                for (const x of records) if (!opts.q || matchesText(x, opts.q)) out.push(x);
                if (out.length > 50 * FRAME_MAX) break; // the rest in the next tick
              }
              pos.set(r.partition, at);
            }
            return out;
          });
          if (filter && fresh.length) {
            let keep: boolean[];
            try {
              keep = await filter.test(fresh.map(filterInput));
            } catch (err) {
              return fatal(err);
            }
            fresh = fresh.filter((_, i) => keep[i]);
          }
          if (!ready) send({ type: "ready" });
          ready = true;
          if (broken) send({ type: "ok" });
          broken = false;
          if (fresh.length) {
            fresh.sort((a, b) => a.timestamp - b.timestamp);
            const drawable = socket.bufferedAmount > 1 << 20 ? [] : sample(fresh, FRAME_MAX);
            send({
              type: "batch",
              messages: drawable.map(showRecord),
              skipped: fresh.length - drawable.length,
              total: fresh.length,
            });
          }
        } catch (err) {
          broken = true;
          send({ type: "error", error: oneLine(err) });
        }
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  };
  socket.onopen = () => void loop();
}
