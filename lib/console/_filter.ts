/**
 * The JavaScript message filter: the user's predicate runs in a Worker with no permissions
 * (no files, network, env or subprocesses), on batches of messages, under a time limit per
 * batch. A predicate that throws, loops or does not compile ends the browse with a one-line
 * error; the server is never at risk.
 *
 * @module
 */
import { ApiError } from "./_context.ts";

/** What the predicate sees of each message. */
export interface FilterInput {
  key: string | null;
  /** Parsed JSON when the value is JSON, else its text (null for a tombstone). */
  value: unknown;
  headers: Record<string, string | null>;
  partition: number;
  offset: number;
  timestamp: number;
}

// Runs inside the Worker. `code` is an expression (`value.x > 5`) or a function body with
// `return`; it sees key, value, headers, partition, offset, timestamp.
const WORKER_SOURCE = `
let fn;
self.onmessage = (e) => {
  const d = e.data;
  if (d.code !== undefined) {
    try {
      const body = /\\breturn\\b/.test(d.code) ? d.code : "return (" + d.code + "\\n);";
      fn = new Function("key", "value", "headers", "partition", "offset", "timestamp", body);
      self.postMessage({ ok: true });
    } catch (err) {
      self.postMessage({ error: String(err && err.message || err) });
    }
    return;
  }
  const out = [];
  for (const m of d.batch) {
    try {
      out.push(!!fn(m.key, m.value, m.headers, m.partition, m.offset, m.timestamp));
    } catch (err) {
      self.postMessage({ error: "at partition " + m.partition + " offset " + m.offset + ": " +
        String(err && err.message || err) });
      return;
    }
  }
  self.postMessage({ results: out });
};
`;

/** A compiled predicate; {@link close} it when done. */
export class JsFilter {
  #worker: Worker;
  #url: string;

  private constructor(readonly timeLimitMs: number) {
    this.#url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    this.#worker = new Worker(this.#url, {
      type: "module",
      // deno-lint-ignore no-explicit-any
      deno: { permissions: "none" } as any,
    });
  }

  /** Compiles `code` in a fresh Worker; 400 with the syntax error when it does not compile. */
  static async create(code: string, timeLimitMs = 2000): Promise<JsFilter> {
    if (code.length > 10_000) throw new ApiError(400, "filter: longer than 10,000 characters");
    const f = new JsFilter(timeLimitMs);
    try {
      await f.#ask({ code });
    } catch (err) {
      f.close();
      throw err;
    }
    return f;
  }

  #ask(msg: unknown): Promise<boolean[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close();
        reject(
          new ApiError(
            400,
            `filter: took longer than ${this.timeLimitMs} ms on one batch and was stopped`,
          ),
        );
      }, this.timeLimitMs);
      this.#worker.onmessage = (e) => {
        clearTimeout(timer);
        if (e.data.error) reject(new ApiError(400, `filter: ${e.data.error}`));
        else resolve(e.data.results ?? []);
      };
      this.#worker.onerror = (e) => {
        e.preventDefault();
        clearTimeout(timer);
        reject(new ApiError(400, `filter: ${e.message}`));
      };
      this.#worker.postMessage(msg);
    });
  }

  /** Which of `batch` match. */
  test(batch: FilterInput[]): Promise<boolean[]> {
    return batch.length ? this.#ask({ batch }) : Promise.resolve([]);
  }

  /** Stops the Worker. */
  close(): void {
    this.#worker.terminate();
    URL.revokeObjectURL(this.#url);
  }
}
