/**
 * Metadata (key 3), v0–12 (v9+ flexible): this node as the only broker and the leader of every
 * partition (leader epoch 0, the epoch stamped on every stored batch).
 *
 * Unknown topics are created on the spot when the request allows it (v0–3 always do, v4+ have
 * `allow_auto_topic_creation`) and the broker has auto-creation on; otherwise they get
 * UNKNOWN_TOPIC_OR_PARTITION, and invalid names get INVALID_TOPIC_EXCEPTION. v10+ carry each
 * topic's id (a UUID kept in topics.json, new when a topic is created again), and a request
 * may name a topic by id alone (null name): an unknown id gets UNKNOWN_TOPIC_ID.
 *
 * @module
 */
import { Writer, ZERO_UUID } from "../../kafka/protocol/codec.ts";
import { ErrorCode } from "../../kafka/protocol/errors.ts";
import { LEADER_EPOCH } from "../log/partition_log.ts";
import type { TopicInfo } from "../log/manager.ts";
import type { ApiHandler } from "./_types.ts";
import { isError, resolveTopic } from "./_topics.ts";

const OPERATIONS_NOT_REQUESTED = -2147483648;

type Answer =
  | { name: string | null; id: string; topic: TopicInfo }
  | { name: string | null; id: string; error: number };

/** The Metadata handler. */
export const handler: ApiHandler = {
  key: 3,
  name: "Metadata",
  minVersion: 0,
  maxVersion: 12,
  flexibleFrom: 9,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    body.flexible = v >= 9;
    const broker = ctx.broker;
    const requested = body.fNullableArray((r) => {
      const id = v >= 10 ? r.uuid() : ZERO_UUID;
      const name = v >= 10 ? r.fNullableString() : r.fString();
      r.fTags();
      return { id, name };
    });
    const allowAutoCreate = v >= 4 ? body.bool() : true;
    if (v >= 8 && v <= 10) body.bool(); // include_cluster_authorized_operations
    if (v >= 8) body.bool(); // include_topic_authorized_operations
    body.fTags();

    // v0: an empty list means all topics; v1+: null means all, empty means none.
    const all = requested === null || (v === 0 && requested.length === 0);
    const answers: Answer[] = [];
    if (all) {
      for (const t of broker.logs.listTopics()) answers.push({ name: t.name, id: t.id, topic: t });
    } else {
      const seen = new Set<string>();
      for (const { id, name } of requested) {
        if (name === null) {
          // Lookup by topic id (v10+).
          const topic = id === ZERO_UUID
            ? undefined
            : broker.logs.listTopics().find((t) => t.id === id);
          if (seen.has(`#${id}`)) continue;
          seen.add(`#${id}`);
          answers.push(
            topic
              ? { name: topic.name, id, topic }
              : { name: null, id, error: ErrorCode.UNKNOWN_TOPIC_ID.code },
          );
          continue;
        }
        if (seen.has(name)) continue;
        seen.add(name);
        const topic = resolveTopic(broker, name, allowAutoCreate, ctx.clientAddress);
        answers.push(
          isError(topic)
            ? { name, id: ZERO_UUID, error: topic.code }
            : { name, id: topic.id, topic },
        );
      }
    }

    const { config } = broker;
    const w = new Writer(128 + answers.length * 64, v >= 9);
    if (v >= 3) w.int32(0); // throttle_time_ms
    w.fArray([config], (w, c) => {
      w.int32(c.nodeId);
      w.fString(c.advertisedHost);
      w.int32(c.port);
      if (v >= 1) w.fNullableString(null); // rack
      w.fTags();
    });
    if (v >= 2) w.fNullableString(config.clusterId);
    if (v >= 1) w.int32(config.nodeId); // controller_id
    w.fArray(answers, (w, a) => {
      w.int16("error" in a ? a.error : ErrorCode.NONE.code);
      if (v >= 12) w.fNullableString(a.name);
      else w.fString(a.name ?? "");
      if (v >= 10) w.uuid(a.id);
      if (v >= 1) w.bool(false); // is_internal
      const partitions = "topic" in a ? [...Array(a.topic.partitions).keys()] : [];
      w.fArray(partitions, (w, p) => {
        w.int16(ErrorCode.NONE.code).int32(p).int32(config.nodeId);
        if (v >= 7) w.int32(LEADER_EPOCH);
        const one = (w: Writer, n: number) => void w.int32(n);
        w.fArray([config.nodeId], one); // replicas
        w.fArray([config.nodeId], one); // isr
        if (v >= 5) w.fArray([], one); // offline_replicas
        w.fTags();
      });
      if (v >= 8) w.int32(OPERATIONS_NOT_REQUESTED);
      w.fTags();
    });
    if (v >= 8 && v <= 10) w.int32(OPERATIONS_NOT_REQUESTED);
    w.fTags();
    return w.finish();
  },
};
