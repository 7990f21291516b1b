/**
 * Metadata (key 3), v0–6: this node as the only broker and the leader of every partition.
 *
 * Unknown topics are created on the spot when the request allows it (v0–3 always do, v4+ have
 * `allow_auto_topic_creation`) and the broker has auto-creation on; otherwise they get
 * UNKNOWN_TOPIC_OR_PARTITION, and invalid names get INVALID_TOPIC_EXCEPTION.
 *
 * @module
 */
import { Writer } from "../protocol/codec.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { ApiHandler } from "./_types.ts";
import { isError, resolveTopic } from "./_topics.ts";

/** The Metadata handler. */
export const handler: ApiHandler = {
  key: 3,
  name: "Metadata",
  minVersion: 0,
  maxVersion: 6,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const broker = ctx.broker;
    const requested = body.nullableArray((r) => r.string());
    const allowAutoCreate = v >= 4 ? body.bool() : true;
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    const all = requested === null || (v === 0 && requested.length === 0);
    const names = all
      ? broker.logs.listTopics().map((t) => t.name).sort()
      : [...new Set(requested)];

    const { config } = broker;
    const w = new Writer(128 + names.length * 64);
    if (v >= 3) w.int32(0); // throttle_time_ms
    w.int32(1).int32(config.nodeId).string(config.advertisedHost).int32(config.port);
    if (v >= 1) w.nullableString(null); // rack
    if (v >= 2) w.nullableString(config.clusterId);
    if (v >= 1) w.int32(config.nodeId); // controller_id
    w.int32(names.length);
    for (const name of names) {
      const topic = resolveTopic(broker, name, allowAutoCreate, ctx.clientAddress);
      if (isError(topic)) {
        w.int16(topic.code).string(name);
        if (v >= 1) w.bool(false);
        w.int32(0);
        continue;
      }
      w.int16(ErrorCode.NONE.code).string(name);
      if (v >= 1) w.bool(false); // is_internal
      w.int32(topic.partitions);
      for (let p = 0; p < topic.partitions; p++) {
        w.int16(ErrorCode.NONE.code).int32(p).int32(config.nodeId);
        w.int32(1).int32(config.nodeId); // replicas
        w.int32(1).int32(config.nodeId); // isr
        if (v >= 5) w.int32(0); // offline_replicas
      }
    }
    return w.finish();
  },
};
