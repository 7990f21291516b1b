// The dataframe pipeline: a tree of nodes per input topic, compiled into one closure chain
// `(value, key, timestamp, headers) => void` per topic. Branch points copy values
// (structuredClone) for every branch but the last, so branches cannot corrupt each other.

import type { Logger } from "../../util/log.ts";
import type { State, StateBackend, StorePartition } from "../state/types.ts";
import type { Topic, TopicOptions } from "../topic.ts";
import type { MessageHeaders, Sink, StepContext } from "../types.ts";
import { KeyedState } from "./_keyed_state.ts";

/** Pushes one row into a compiled pipeline. */
export type Emit = (
  value: unknown,
  key: unknown,
  timestamp: number,
  headers: MessageHeaders,
) => void;

/** Where `toTopic` rows go. */
export interface Output {
  produce(
    topic: Topic,
    value: unknown,
    key: unknown,
    timestamp: number,
    headers: MessageHeaders,
  ): void;
}

/** The mutable context of the message being processed; the runtime sets it per message. */
export class ExecContext implements StepContext {
  topic = "";
  partition = 0;
  offset = -1;
  /** Event time and key of the row at the current step (for state scoping and TTLs). */
  timestamp = 0;
  currentKey: unknown = null;
  /** Keyed states by store partition, with the "topic:partition" they belong to. */
  readonly #states = new Map<StorePartition, { state: KeyedState; tp: string }>();

  constructor(readonly backend: StateBackend) {}

  store(name: string): StorePartition {
    return this.backend.store(name, this.topic, this.partition);
  }

  state(name = "default"): State {
    const store = this.store(name);
    let entry = this.#states.get(store);
    if (!entry) {
      entry = { state: new KeyedState(store), tp: `${this.topic}:${this.partition}` };
      this.#states.set(store, entry);
    }
    const st = entry.state;
    st.now = this.timestamp;
    if (this.timestamp > st.latest) st.latest = this.timestamp;
    return st.setMessageKey(this.currentKey);
  }

  /**
   * Deletes the state cells whose TTL expired by their partition's latest event time; the
   * runtime calls it before each checkpoint, so the deletes reach the changelog with it.
   * Returns how many cells were deleted.
   */
  purgeExpired(): number {
    let n = 0;
    for (const { state } of this.#states.values()) n += state.purgeExpired();
    return n;
  }

  /** Forgets the states of a revoked partition (its stores are closed). */
  forgetPartition(topic: string, partition: number): void {
    const tp = `${topic}:${partition}`;
    for (const [store, entry] of this.#states) if (entry.tp === tp) this.#states.delete(store);
  }
}

/** A wall-clock timer registered by a transform step. */
export interface PipelineTimer {
  /** Input topic whose assigned partitions the timer runs for. */
  readonly topic: string;
  readonly intervalMs: number;
  /** Runs the timer for the partition currently set in the context. */
  fire(nowMs: number): void;
}

/** What compiled steps need from the runtime. */
export interface Runtime {
  readonly ctx: ExecContext;
  readonly output: Output;
  readonly sinks: Set<Sink>;
  readonly timers: PipelineTimer[];
  readonly logger: Logger;
  /** Writes one line of user-facing output (print/printTable). */
  readonly stdout: (text: string) => void;
  /** True when stdout is a terminal (live tables). */
  readonly isTerminal: boolean;
}

/** A pipeline node: builds its closure given the downstream one. */
export class Node {
  readonly children: Node[] = [];
  constructor(readonly build: (next: Emit, rt: Runtime, topic: string) => Emit) {}
}

const noop: Emit = () => {};

function compileNode(node: Node, rt: Runtime, topic: string): Emit {
  const kids = node.children.map((c) => compileNode(c, rt, topic));
  let next: Emit;
  if (kids.length === 0) next = noop;
  else if (kids.length === 1) next = kids[0];
  else {
    const last = kids.length - 1;
    next = (value, key, timestamp, headers) => {
      for (let i = 0; i < last; i++) {
        kids[i](structuredClone(value), key, timestamp, { ...headers });
      }
      kids[last](value, key, timestamp, headers);
    };
  }
  return node.build(next, rt, topic);
}

/** One input topic and the root of its pipeline tree. */
export class Stream {
  readonly root: Node = new Node((next) => next);
  /** Names of the state stores its steps use (durable backends create changelogs for them). */
  readonly stores: Set<string> = new Set();
  constructor(readonly topic: Topic) {}
}

/** Creates topics on behalf of dataframe operations (e.g. repartition topics for groupBy). */
export type TopicFactory = <V = unknown, K = unknown>(
  name: string,
  options?: TopicOptions<V, K>,
) => Topic<V, K>;

/** All dataframes of an application (or of a test harness), by input topic. */
export class DataFrameRegistry {
  readonly streams: Map<string, Stream> = new Map();
  /** Topics written by `toTopic` (created at start like declared topics). */
  readonly outputs: Set<Topic> = new Set();

  constructor(
    /** Creates (and registers for auto-creation) a topic. */
    readonly topic: TopicFactory,
    /** The application's consumer group (names internal topics). */
    readonly consumerGroup: string,
  ) {}

  /** The stream of `topic`, created on first use. */
  stream(topic: Topic): Stream {
    let s = this.streams.get(topic.name);
    if (!s) {
      s = new Stream(topic);
      this.streams.set(topic.name, s);
    } else if (s.topic !== topic) {
      // Two handles for one name: the first one's formats win; say so rather than guess.
      throw new TypeError(
        `topic "${topic.name}" already has a dataframe with another Topic object`,
      );
    }
    return s;
  }

  /** Compiles every stream into its entry closure. */
  compile(rt: Runtime): Map<string, Emit> {
    const out = new Map<string, Emit>();
    for (const [name, s] of this.streams) out.set(name, compileNode(s.root, rt, name));
    return out;
  }
}
