/**
 * `groupBy`: re-keys a stream through a repartition topic, as Quix Streams' `group_by`. Rows
 * are produced to `repartition__<group>--<stream>--<name>` under the new key (timestamps and
 * headers kept), and a new dataframe reads that topic, so every row of one new key lands in
 * one partition, with one state, on one instance.
 *
 * @module
 */

import { ConfigurationError } from "../errors.ts";
import type { FormatName } from "../serializers.ts";
import { StreamingDataFrame } from "./dataframe.ts";

/**
 * Options of `sdf.groupBy(by, options)`.
 *
 * @example Re-key readings by device prefix, with string keys on the repartition topic
 * ```ts
 * import { TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp({ consumerGroup: "fleet" });
 * const input = app.topic<{ deviceId: string; kwh: number }>("meter-readings");
 * const byPrefix = app.dataframe(input).groupBy((r) => r.deviceId.slice(0, 3), {
 *   name: "site", // the topic is repartition__fleet--meter-readings--site
 *   keySerializer: "string",
 * });
 * const rows = app.collect(byPrefix);
 * app.push(input, { deviceId: "ber-0042", kwh: 1.5 }, { key: "ber-0042" });
 * console.log(rows[0].key); // "ber"
 * ```
 */
export interface GroupByOptions {
  /** Names the repartition topic; required when grouping by a function. */
  name?: string;
  /** Key format of the repartition topic (default `"json"`, as Quix). */
  keySerializer?: FormatName;
  /** Value format of the repartition topic (default `"json"`). */
  valueSerializer?: FormatName;
}

/** Prefix of repartition topics. */
export const REPARTITION_PREFIX = "repartition__";

/** Re-keys `sdf` by a column or a function of the value; returns the re-keyed dataframe. */
export function groupBy<T>(
  sdf: StreamingDataFrame<T>,
  by: (keyof T & string) | ((value: T) => unknown),
  options: GroupByOptions = {},
): StreamingDataFrame<T> {
  const name = options.name ?? (typeof by === "string" ? by : undefined);
  if (!name) {
    throw new ConfigurationError(
      "groupBy(fn): a { name } is required to name the repartition topic",
    );
  }
  if (sdf.streamId.startsWith(REPARTITION_PREFIX)) {
    throw new ConfigurationError(
      `groupBy("${name}"): "${sdf.streamId}" is already grouped; nested groupBy is not supported`,
    );
  }
  const registry = sdf.registry;
  const topicName = `${REPARTITION_PREFIX}${registry.consumerGroup}--${sdf.streamId}--${name}`;
  if (registry.streams.has(topicName)) {
    throw new ConfigurationError(
      `groupBy("${name}") is defined twice on "${sdf.streamId}"; give each one a unique name`,
    );
  }
  const source = registry.streams.get(sdf.streamId)?.topic;
  const format = (f: FormatName | undefined) => f ?? "json";
  const topic = registry.topic(topicName, {
    keySerializer: format(options.keySerializer),
    keyDeserializer: format(options.keySerializer),
    valueSerializer: format(options.valueSerializer),
    valueDeserializer: format(options.valueSerializer),
    // As Kafka Streams: no time retention, rows carry event times that may be long past
    // (a replayed recording) and must not be deleted before the grouped side reads them.
    config: { numPartitions: source?.config.numPartitions ?? 1, extra: { "retention.ms": "-1" } },
  });
  const keyOf = typeof by === "string"
    ? (value: T) => {
      if (value === null || typeof value !== "object" || !(by in (value as object))) {
        throw new ConfigurationError(`groupBy("${by}"): the value has no column "${by}"`);
      }
      return (value as Record<string, unknown>)[by];
    }
    : by;
  sdf.toTopic(topic as never, { key: keyOf });
  return new StreamingDataFrame<T>(registry, topic as never);
}
