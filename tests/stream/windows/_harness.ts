import { MemoryStorePartition } from "../../../lib/stream/state/memory.ts";
import type { StorePartition } from "../../../lib/stream/state/types.ts";
import { Logger } from "../../../lib/util/log.ts";
import type { WindowRow, WindowStep } from "../../../lib/stream/windows/step.ts";

/** A record pushed through a window: [timestamp, value] or [timestamp, value, key]. */
export type In = [number, unknown] | [number, unknown, string];

/** Collects warnings so tests can assert (and keep stderr clean). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger("window", "INFO", (l) => lines.push(l)), lines };
}

/** Drives one window step over one in-memory partition, checkpointing every record. */
export class Harness {
  readonly store = new MemoryStorePartition();
  offset = 0;
  constructor(readonly step: WindowStep) {}

  ctx(offset: number) {
    const store: StorePartition = this.store;
    return { topic: "t", partition: 0, offset, store: () => store };
  }

  push(records: In[]): WindowRow[] {
    const out: WindowRow[] = [];
    for (const [ts, value, key] of records) {
      out.push(...this.step.process(value, key ?? "k", ts, {}, this.ctx(this.offset++)));
      this.store.flush();
    }
    return out;
  }

  /** Only `{start, end, value}` (or all columns) of each output row. */
  values(records: In[]): unknown[] {
    return this.push(records).map((r) => r.value);
  }

  idle(now: number): WindowRow[] {
    const rows = this.step.closeIdle(now, this.ctx(-1));
    this.store.flush();
    return rows;
  }
}
