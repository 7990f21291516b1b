/**
 * Runs an application's sources: one non-transactional producer for all of them, each
 * source's `run` as a task, and checkpoints of their state every `checkpointMs`: wait for
 * every produced message to be acknowledged, then save each changed state file (write to a
 * temporary name and rename, so a crash leaves the old or the new file, never half of one).
 *
 * @module
 */

import type { Producer as KafkaProducer } from "kafkajs";
import type { Logger } from "../../util/log.ts";
import { StreamError } from "../errors.ts";
import { toBuffer } from "../kafka/_kafka.ts";
import { encodeMessage } from "../kafka/producer.ts";
import type { Topic } from "../topic.ts";
import { AckingProducer } from "./_acking_producer.ts";
import type { Source, SourceContext, SourceMessage, SourceState } from "./source.ts";

/** A source with the topic it produces to. */
export interface SourceEntry {
  source: Source;
  topic: Topic;
}

/** Options of {@link SourceRunner}. */
export interface SourceRunnerOptions {
  logger: Logger;
  /** Folder of the state files (undefined: state lives in memory only). */
  stateDir: string | undefined;
  /** Checkpoint period in ms. */
  checkpointMs: number;
  /** Called once when a source fails (the application stops). */
  onFatal(e: Error): void;
}

class FileState implements SourceState {
  dirty = false;
  constructor(readonly path: string | undefined, readonly values: Record<string, unknown>) {}

  static async load(path: string | undefined): Promise<FileState> {
    if (!path) return new FileState(undefined, {});
    try {
      return new FileState(path, JSON.parse(await Deno.readTextFile(path)));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return new FileState(path, {});
      throw new StreamError(`source state ${path} is unreadable: ${(e as Error).message}`);
    }
  }

  get<T>(key: string): T | undefined {
    return this.values[key] as T | undefined;
  }
  set(key: string, value: unknown): void {
    this.values[key] = value;
    this.dirty = true;
  }
  delete(key: string): void {
    delete this.values[key];
    this.dirty = true;
  }

  /** Takes the values to save now; they are written by {@link save} once covered. */
  snapshot(): string {
    this.dirty = false;
    return JSON.stringify(this.values);
  }

  async save(text: string): Promise<void> {
    if (!this.path) return;
    const dir = this.path.slice(0, this.path.lastIndexOf("/"));
    await Deno.mkdir(dir, { recursive: true });
    const tmp = `${this.path}.tmp`;
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, this.path);
  }
}

/** Starts, checkpoints and stops the sources of one application run. */
export class SourceRunner {
  readonly #abort = new AbortController();
  readonly #states: FileState[] = [];
  readonly #runs: Promise<void>[] = [];
  #acker!: AckingProducer;
  #timer: ReturnType<typeof setInterval> | undefined;
  #checkpointing: Promise<void> | null = null;

  constructor(readonly entries: SourceEntry[], readonly options: SourceRunnerOptions) {
    const names = new Set<string>();
    for (const { source } of entries) {
      if (names.has(source.name)) {
        throw new StreamError(`two sources are named "${source.name}"; names must be unique`);
      }
      names.add(source.name);
    }
  }

  /** Sets up and starts every source on a connected producer. */
  async start(producer: KafkaProducer): Promise<void> {
    this.#acker = new AckingProducer(producer);
    // Each source runs as soon as it is set up: if a later setup fails, stop() then aborts
    // the ones already running (an HttpSource closes its port).
    for (const { source, topic } of this.entries) {
      const path = this.options.stateDir
        ? `${this.options.stateDir}/${encodeURIComponent(source.name)}.json`
        : undefined;
      const state = await FileState.load(path);
      this.#states.push(state);
      try {
        await source.setup?.();
      } catch (e) {
        throw new StreamError(`source ${source.name}: setup failed: ${(e as Error).message}`, {
          cause: e,
        });
      }
      const ctx = this.#context(source, topic, state);
      this.#runs.push(
        source.run(ctx).then(
          () => this.options.logger.debug(`source ${source.name} finished`),
          (e) => {
            if (this.#abort.signal.aborted) return;
            this.options.onFatal(
              new StreamError(`source ${source.name} failed: ${(e as Error).message}`, {
                cause: e,
              }),
            );
          },
        ),
      );
    }
    this.#timer = setInterval(() => {
      if (this.#checkpointing) return; // the running one will be followed by the next tick's
      this.checkpoint().catch((e) =>
        this.options.logger.warn(`source checkpoint failed: ${(e as Error).message}`)
      );
    }, Math.max(100, this.options.checkpointMs));
  }

  /** Resolves when every source's `run` has returned. */
  finished(): Promise<void> {
    return Promise.all(this.#runs).then(() => {});
  }

  /**
   * Waits for every produced message to be acknowledged, then saves changed state. A call
   * while a checkpoint is running waits for it, then makes its own: values set meanwhile were
   * not in the running one's snapshot.
   */
  async checkpoint(): Promise<void> {
    while (this.#checkpointing) await this.#checkpointing.catch(() => {});
    const run = this.#checkpointOnce();
    this.#checkpointing = run;
    try {
      await run;
    } finally {
      if (this.#checkpointing === run) this.#checkpointing = null;
    }
  }

  async #checkpointOnce(): Promise<void> {
    // Values set before this point are covered by the sends made before it; values set while
    // waiting belong to the next checkpoint.
    const snapshots = this.#states.filter((s) => s.dirty).map((s) => ({ s, text: s.snapshot() }));
    try {
      await this.#acker.drained();
    } catch (e) {
      for (const { s } of snapshots) s.dirty = true;
      throw e;
    }
    for (const { s, text } of snapshots) await s.save(text);
  }

  /** Stops every source (waits up to `timeoutMs` for them), then a final checkpoint. */
  async stop(timeoutMs = 10_000): Promise<void> {
    clearInterval(this.#timer);
    this.#abort.abort();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = await Promise.race([
      this.finished().then(() => false),
      new Promise<boolean>((r) => timer = setTimeout(() => r(true), timeoutMs)),
    ]);
    clearTimeout(timer);
    if (late) this.options.logger.warn(`sources still running after ${timeoutMs} ms; stopping`);
    if (this.#acker) await this.checkpoint();
  }

  #context(source: Source, topic: Topic, state: FileState): SourceContext {
    const acker = () => this.#acker;
    const logger = this.options.logger;
    return {
      signal: this.#abort.signal,
      topic,
      state,
      produce(m: SourceMessage): Promise<void> {
        const raw = m.value instanceof Uint8Array;
        const rawKey = m.key instanceof Uint8Array;
        const msg = encodeMessage(
          topic,
          raw ? null : m.value,
          rawKey ? null : m.key,
          m.timestamp,
          m.headers,
        );
        if (raw) msg.value = toBuffer(m.value as Uint8Array);
        if (rawKey) msg.key = toBuffer(m.key as Uint8Array);
        if (m.partition !== undefined) msg.partition = m.partition;
        return acker().send(topic.name, msg);
      },
      checkpoint: () => this.checkpoint(),
      log(level, line) {
        const text = `source ${source.name}: ${line}`;
        if (level === "DEBUG") logger.debug(text);
        else if (level === "INFO") logger.info(text);
        else if (level === "WARN") logger.warn(text);
        else logger.error(text);
      },
    };
  }
}
