/**
 * Topics: a name, formats for keys and values, creation config and an optional timestamp
 * extractor.
 *
 * @module
 */

import {
  type Deserializer,
  type FormatName,
  resolveDeserializer,
  resolveSerializer,
  type SerializationContext,
  type Serializer,
  stringFormat,
} from "./serializers.ts";
import type { MessageHeaders } from "./types.ts";

/**
 * Broker-side settings used when the topic is created.
 *
 * @example
 * ```ts
 * import { Application } from "@sa/toolkit";
 * const app = new Application();
 * app.topic("events", { config: { numPartitions: 3, extra: { "retention.ms": "86400000" } } });
 * ```
 */
export interface TopicConfig {
  /** Partition count (default 1). */
  numPartitions?: number;
  /** Replication factor (default 1). */
  replicationFactor?: number;
  /** Any other topic config, e.g. `{ "cleanup.policy": "compact" }`. */
  extra?: Record<string, string>;
}

/**
 * Computes the event time of a message in ms, overriding the Kafka timestamp.
 * `timestampType` is 0 (not available), 1 (CreateTime) or 2 (LogAppendTime).
 *
 * @example
 * ```ts
 * import { Application, type TimestampExtractor } from "@sa/toolkit";
 * const fromPayload: TimestampExtractor<{ time: number }> = (value) => Math.floor(value.time / 1e6);
 * const app = new Application();
 * const input = app.topic("raw-data", { timestampExtractor: fromPayload });
 * ```
 */
export type TimestampExtractor<V> = (
  value: V,
  headers: MessageHeaders,
  timestampMs: number,
  timestampType: number,
) => number;

/**
 * Options of `app.topic()`.
 *
 * @example
 * ```ts
 * import { Application } from "@sa/toolkit";
 * const app = new Application();
 * const counts = app.topic<number, string>("counts", { valueSerializer: "int", valueDeserializer: "int" });
 * ```
 */
export interface TopicOptions<V = unknown, K = unknown> {
  /** Value format for producing (default `"json"`). */
  valueSerializer?: FormatName | Serializer<V>;
  /** Value format for consuming (default `"json"`). */
  valueDeserializer?: FormatName | Deserializer<V>;
  /** Key format for producing (default `"string"`). */
  keySerializer?: FormatName | Serializer<K>;
  /** Key format for consuming (default `"string"`). */
  keyDeserializer?: FormatName | Deserializer<K>;
  /** Overrides the Kafka timestamp of consumed messages. */
  timestampExtractor?: TimestampExtractor<V>;
  /** Used when the topic is missing and gets created. */
  config?: TopicConfig;
}

/**
 * A Kafka topic with its formats. Create it with `app.topic(name, options)`.
 *
 * @example
 * ```ts
 * import { Topic } from "@sa/toolkit";
 * const t = new Topic<{ x: number }>("points", { keyDeserializer: "bytes" });
 * const bytes = t.serializeValue({ x: 1 });
 * console.log(t.deserializeValue(bytes)); // { x: 1 }
 * ```
 */
export class Topic<V = unknown, K = unknown> {
  /** The topic name. */
  readonly name: string;
  /** Creation settings. */
  readonly config: Required<TopicConfig>;
  /** Event-time extractor, if any. */
  readonly timestampExtractor?: TimestampExtractor<V>;
  readonly #valueSer: Serializer<V>;
  readonly #valueDes: Deserializer<V>;
  readonly #keySer: Serializer<K>;
  readonly #keyDes: Deserializer<K>;
  readonly #valueCtx: SerializationContext;
  readonly #keyCtx: SerializationContext;
  // Messages of a partition usually share one key (a device, a file name): with the pure
  // built-in string format, the last key's decoding/encoding is reused instead of redone.
  readonly #memoKeyDes: boolean;
  readonly #memoKeySer: boolean;
  #lastKeyBytes: Uint8Array | null = null;
  #lastKeyText = "";
  #lastSerKey: string | null = null;
  #lastSerBytes: Uint8Array | null = null;

  /** Creates a topic handle; formats are validated now so typos fail early. */
  constructor(name: string, options: TopicOptions<V, K> = {}) {
    if (!name || name.length > 249 || !/^[A-Za-z0-9._-]+$/.test(name)) {
      throw new TypeError(
        `invalid topic name "${name}": use 1-249 characters from [A-Za-z0-9._-]`,
      );
    }
    this.name = name;
    this.config = {
      numPartitions: options.config?.numPartitions ?? 1,
      replicationFactor: options.config?.replicationFactor ?? 1,
      extra: options.config?.extra ?? {},
    };
    this.timestampExtractor = options.timestampExtractor;
    this.#valueSer = resolveSerializer(options.valueSerializer ?? "json") as Serializer<V>;
    this.#valueDes = resolveDeserializer(options.valueDeserializer ?? "json") as Deserializer<V>;
    this.#keySer = resolveSerializer(options.keySerializer ?? "string") as Serializer<K>;
    this.#keyDes = resolveDeserializer(options.keyDeserializer ?? "string") as Deserializer<K>;
    this.#valueCtx = { topic: name, field: "value" };
    this.#keyCtx = { topic: name, field: "key" };
    this.#memoKeyDes = (this.#keyDes as unknown) === stringFormat;
    this.#memoKeySer = (this.#keySer as unknown) === stringFormat;
  }

  /** Encodes a value; `null`/`undefined` become a null payload (tombstone). */
  serializeValue(value: V | null | undefined): Uint8Array | null {
    return value == null ? null : this.#valueSer.serialize(value, this.#valueCtx);
  }

  /** Encodes a key; `null`/`undefined` mean "no key". */
  serializeKey(key: K | null | undefined): Uint8Array | null {
    if (key == null) return null;
    if (this.#memoKeySer && typeof key === "string") {
      // The same bytes object may go into many messages: producers only read it.
      if (key === this.#lastSerKey) return this.#lastSerBytes;
      const bytes = this.#keySer.serialize(key, this.#keyCtx);
      this.#lastSerKey = key;
      this.#lastSerBytes = bytes;
      return bytes;
    }
    return this.#keySer.serialize(key, this.#keyCtx);
  }

  /** Decodes a value; a null payload stays `null`. */
  deserializeValue(bytes: Uint8Array | null): V | null {
    return bytes === null ? null : this.#valueDes.deserialize(bytes, this.#valueCtx);
  }

  /** Decodes a key; a missing key stays `null`. */
  deserializeKey(bytes: Uint8Array | null): K | null {
    if (bytes === null) return null;
    if (this.#memoKeyDes && bytes.length <= 64) {
      const last = this.#lastKeyBytes;
      if (last !== null && sameBytes(last, bytes)) return this.#lastKeyText as K;
      const text = this.#keyDes.deserialize(bytes, this.#keyCtx) as string;
      // A copy (Buffer#slice would be a view): the memo must not change with its source.
      this.#lastKeyBytes = new Uint8Array(bytes);
      this.#lastKeyText = text;
      return text as K;
    }
    return this.#keyDes.deserialize(bytes, this.#keyCtx);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
