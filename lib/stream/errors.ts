/**
 * Errors raised by the stream runtime. Each one names where it happened (topic, partition,
 * offset) so a failing message can be found with `sa consume`.
 *
 * @module
 */

/**
 * Where a message came from. `offset` is -1 for rows emitted by a timer.
 *
 * @example
 * ```ts
 * import type { MessageOrigin } from "@sa/toolkit";
 * const origin: MessageOrigin = { topic: "raw-data", partition: 0, offset: 42 };
 * ```
 */
export interface MessageOrigin {
  /** Input topic. */
  readonly topic: string;
  /** Input partition. */
  readonly partition: number;
  /** Input offset (-1 for timer-emitted rows). */
  readonly offset: number;
}

function where(origin: MessageOrigin | undefined): string {
  return origin ? `${origin.topic}[${origin.partition}]@${origin.offset}` : "";
}

function causeText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Base class of runtime errors.
 *
 * @example
 * ```ts
 * import { StreamError } from "@sa/toolkit";
 * try {
 *   throw new StreamError("boom");
 * } catch (e) {
 *   if (e instanceof StreamError) console.error(e.message);
 * }
 * ```
 */
export class StreamError extends Error {
  /** Creates an error; `cause` is kept as the standard `Error.cause`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A key or value could not be (de)serialized.
 *
 * @example
 * ```ts
 * import { SerializationError } from "@sa/toolkit";
 * const e = new SerializationError("value", "bad JSON", { topic: "raw", partition: 0, offset: 7 });
 * console.log(e.message); // deserializing value of raw[0]@7: bad JSON
 * ```
 */
export class SerializationError extends StreamError {
  /** Which part of the message failed. */
  readonly field: "key" | "value";
  /** The message, when known. */
  readonly origin?: MessageOrigin;
  /** Creates an error for `field` at `origin`. */
  constructor(
    field: "key" | "value",
    reason: string,
    origin?: MessageOrigin,
    options?: { cause?: unknown; serializing?: boolean; topic?: string },
  ) {
    const verb = options?.serializing ? "serializing" : "deserializing";
    const at = origin
      ? ` of ${where(origin)}`
      : options?.topic
      ? ` for topic ${options.topic}`
      : "";
    super(`${verb} ${field}${at}: ${reason}`, options);
    this.field = field;
    this.origin = origin;
  }
}

/**
 * Processing a message failed (a callback threw, or a column was missing). Names the input
 * message and the cause.
 *
 * @example
 * ```ts
 * import { ProcessingError } from "@sa/toolkit";
 * const e = new ProcessingError({ topic: "raw", partition: 0, offset: 7 }, new Error("x is 0"));
 * console.log(e.message); // processing raw[0]@7 failed: x is 0
 * ```
 */
export class ProcessingError extends StreamError {
  /** The message being processed. */
  readonly origin: MessageOrigin;
  /** Creates an error for the message at `origin` caused by `cause`. */
  constructor(origin: MessageOrigin, cause: unknown) {
    super(`processing ${where(origin)} failed: ${causeText(cause)}`, { cause });
    this.origin = origin;
  }
}

/**
 * A column operation (`project`, `contains` access...) met a value that is not an object or
 * lacks the column.
 *
 * @example
 * ```ts
 * import { ColumnError } from "@sa/toolkit";
 * console.log(new ColumnError('column "x" does not exist').message);
 * ```
 */
export class ColumnError extends StreamError {}

/**
 * Producing to Kafka failed (delivery was not acknowledged).
 *
 * @example
 * ```ts
 * import { ProducerError } from "@sa/toolkit";
 * console.log(new ProducerError("delivery to out failed: timeout").message);
 * ```
 */
export class ProducerError extends StreamError {}

/**
 * The application was configured wrongly (unknown format, bad option...).
 *
 * @example
 * ```ts
 * import { ConfigurationError } from "@sa/toolkit";
 * console.log(new ConfigurationError('unknown format "yaml"').message);
 * ```
 */
export class ConfigurationError extends StreamError {}

/**
 * Headers a dead-lettered message carries.
 *
 * @example
 * ```ts
 * import { DEAD_LETTER_HEADERS } from "@sa/toolkit";
 * console.log(DEAD_LETTER_HEADERS.offset); // "sa-error-offset"
 * ```
 */
export const DEAD_LETTER_HEADERS = {
  error: "sa-error",
  topic: "sa-error-topic",
  partition: "sa-error-partition",
  offset: "sa-error-offset",
} as const;
