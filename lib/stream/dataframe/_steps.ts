// The compiled steps of a dataframe: each builder returns how its node turns the downstream
// closure into its own `(value, key, timestamp, headers) => void`. These closures run once per
// row, so they avoid per-row allocations (no iterators over arrays, no strings built per
// row) and skip the calling-convention adapter when the callback takes the value only.

import type { MessageHeaders, Row, Sink, TransformStep } from "../types.ts";
import type { Topic } from "../topic.ts";
import { ColumnError } from "../errors.ts";
import type { Emit, Runtime } from "./_pipeline.ts";
import type { CallbackOptions, PrintOptions } from "./callbacks.ts";
import { type PrintTableOptions, tablePrinter } from "./print_table.ts";

/** Builds a node's closure given the downstream one. */
export type Build = (next: Emit, rt: Runtime, topic: string) => Emit;

// deno-lint-ignore no-explicit-any
export type AnyFn = (...args: any[]) => unknown;
type Call = (value: unknown, key: unknown, timestamp: number, headers: MessageHeaders) => unknown;

/** Whether the callback takes the value only (the common case, with a faster closure). */
const plain = (options: CallbackOptions | undefined) => !options?.stateful && !options?.metadata;

/** Adapts a user callback to one calling convention, binding state when asked. */
function adapt(fn: AnyFn, options: CallbackOptions | undefined, rt: Runtime): Call {
  const f = fn as (...args: unknown[]) => unknown;
  const ctx = rt.ctx;
  if (options?.stateful) {
    if (options.metadata) {
      return (v, k, t, h) => {
        ctx.currentKey = k;
        ctx.timestamp = t;
        return f(v, k, t, h, ctx.state());
      };
    }
    return (v, k, t) => {
      ctx.currentKey = k;
      ctx.timestamp = t;
      return f(v, ctx.state());
    };
  }
  if (options?.metadata) return f as Call;
  return (v) => f(v);
}

/** Throws the ColumnError of a value that is not a plain object; `op` names the operation. */
function notAnObject(value: unknown, op: string): never {
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
  throw new ColumnError(`${op} needs an object value, got ${got}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Emits each element of an expand callback's result (indexed for arrays: no iterator). */
function emitEach(result: unknown, next: Emit, k: unknown, t: number, h: MessageHeaders) {
  if (Array.isArray(result)) {
    for (let i = 0; i < result.length; i++) next(result[i], k, t, h);
    return;
  }
  if (result == null || typeof (result as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError(`apply with expand: the callback must return an iterable`);
  }
  for (const item of result as Iterable<unknown>) next(item, k, t, h);
}

export function applyStep(fn: AnyFn, options: CallbackOptions | undefined): Build {
  if (plain(options)) return (next) => (v, k, t, h) => next(fn(v), k, t, h);
  return (next, rt) => {
    const call = adapt(fn, options, rt);
    return (v, k, t, h) => next(call(v, k, t, h), k, t, h);
  };
}

export function expandStep(fn: AnyFn, options: CallbackOptions | undefined): Build {
  if (plain(options)) return (next) => (v, k, t, h) => emitEach(fn(v), next, k, t, h);
  return (next, rt) => {
    const call = adapt(fn, options, rt);
    return (v, k, t, h) => emitEach(call(v, k, t, h), next, k, t, h);
  };
}

export function updateStep(fn: AnyFn, options: CallbackOptions | undefined): Build {
  if (plain(options)) {
    return (next) => (v, k, t, h) => {
      fn(v);
      next(v, k, t, h);
    };
  }
  return (next, rt) => {
    const call = adapt(fn, options, rt);
    return (v, k, t, h) => {
      call(v, k, t, h);
      next(v, k, t, h);
    };
  };
}

export function filterStep(fn: AnyFn, options: CallbackOptions | undefined): Build {
  if (plain(options)) {
    return (next) => (v, k, t, h) => {
      if (fn(v)) next(v, k, t, h);
    };
  }
  return (next, rt) => {
    const call = adapt(fn, options, rt);
    return (v, k, t, h) => {
      if (call(v, k, t, h)) next(v, k, t, h);
    };
  };
}

export function containsStep(columns: readonly string[]): Build {
  const cols = [...columns];
  const n = cols.length;
  return (next) => (v, k, t, h) => {
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    for (let i = 0; i < n; i++) if (o[cols[i]] == null) return;
    next(v, k, t, h);
  };
}

export function projectStep(columns: readonly string[]): Build {
  const cols = [...columns];
  const n = cols.length;
  return (next) => (v, k, t, h) => {
    if (!isObject(v)) notAnObject(v, "project");
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const c = cols[i];
      const x = v[c];
      if (x === undefined && !(c in v)) {
        throw new ColumnError(`project: column "${c}" does not exist`);
      }
      out[c] = x;
    }
    next(out, k, t, h);
  };
}

export function assignStep(column: string, fn: (value: never) => unknown): Build {
  const op = `assign("${column}")`;
  return (next) => (v, k, t, h) => {
    if (!isObject(v)) notAnObject(v, op);
    v[column] = fn(v as never);
    next(v, k, t, h);
  };
}

export function dropStep(columns: readonly string[]): Build {
  const cols = [...columns];
  const n = cols.length;
  return (next) => (v, k, t, h) => {
    if (!isObject(v)) notAnObject(v, "drop");
    for (let i = 0; i < n; i++) delete v[cols[i]];
    next(v, k, t, h);
  };
}

export function setTimestampStep(fn: Call): Build {
  return (next) => (v, k, t, h) => {
    const ts = fn(v, k, t, h);
    if (typeof ts !== "number" || !Number.isFinite(ts)) {
      throw new TypeError(`setTimestamp: expected a finite number of ms, got ${ts}`);
    }
    next(v, k, ts, h);
  };
}

export function setHeadersStep(fn: Call): Build {
  return (next) => (v, k, t, h) => next(v, k, t, fn(v, k, t, { ...h }) as MessageHeaders);
}

export function printStep(options: PrintOptions): Build {
  const indent = options.pretty ? 2 : undefined;
  return (next, rt) => (v, k, t, h) => {
    const shown = options.metadata ? { value: v, key: k, timestamp: t } : v;
    rt.stdout(JSON.stringify(shown, jsonReplacer, indent));
    next(v, k, t, h);
  };
}

export function printTableStep(options: PrintTableOptions): Build {
  return (next, rt) => {
    const printer = tablePrinter(options, rt);
    return (v, k, t, h) => {
      printer.add(v, k, t);
      next(v, k, t, h);
    };
  };
}

export function toTopicStep(topic: Topic, keyFn: ((value: never) => unknown) | undefined): Build {
  return (next, rt) => {
    const out = rt.output;
    if (keyFn) {
      return (v, k, t, h) => {
        out.produce(topic, v, keyFn(v as never), t, h);
        next(v, k, t, h);
      };
    }
    return (v, k, t, h) => {
      out.produce(topic, v, k, t, h);
      next(v, k, t, h);
    };
  };
}

export function sinkStep(sink: Sink): Build {
  return (_next, rt) => {
    rt.sinks.add(sink);
    const ctx = rt.ctx;
    return (v, k, t, h) => sink.add({ value: v, key: k, timestamp: t, headers: h }, ctx);
  };
}

export function transformStep(step: TransformStep<unknown, unknown>): Build {
  return (next, rt, topic) => {
    const ctx = rt.ctx;
    if (step.timer) {
      const timer = step.timer;
      rt.timers.push({
        topic,
        intervalMs: timer.intervalMs,
        fire(now) {
          for (const r of timer.fire(now, ctx)) {
            ctx.currentKey = r.key;
            ctx.timestamp = r.timestamp;
            next(r.value, r.key, r.timestamp, r.headers);
          }
        },
      });
    }
    return (v, k, t, h) => {
      ctx.currentKey = k;
      ctx.timestamp = t;
      for (const r of step.process(v, k, t, h, ctx)) {
        next(r.value, r.key, r.timestamp, r.headers);
      }
    };
  };
}

export function tapStep(fn: (row: Row<unknown>) => void): Build {
  return () => (v, k, t, h) => fn({ value: v, key: k, timestamp: t, headers: h });
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}
