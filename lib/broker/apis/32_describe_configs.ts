/**
 * DescribeConfigs (key 32), v0–2, for topics (resource type 2) and this broker (type 4).
 *
 * Every supported config is listed with its value, defaults included, because clients do
 * read-modify-write on the full list. v0 reports `is_default`; v1+ report `config_source`
 * (1 dynamic topic config, 4 static broker config, 5 default) and, on request, synonyms.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode, type ErrorInfo } from "../../kafka/protocol/errors.ts";
import { errorInfo, errorMessage } from "./_errors.ts";
import type { BrokerState } from "../state.ts";
import { SA_VERSION } from "../../version.ts";
import type { ApiHandler, RequestContext } from "./_types.ts";

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
const SOURCE_DYNAMIC_TOPIC = 1;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;

interface Entry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  sensitive: boolean;
  source: number;
}

interface Result {
  error: ErrorInfo;
  message: string | null;
  type: number;
  name: string;
  configs: Entry[];
}

function brokerConfigs(broker: BrokerState): Entry[] {
  const c = broker.config;
  const entry = (name: string, value: string, isDefault = false): Entry => ({
    name,
    value,
    readOnly: true,
    isDefault,
    sensitive: false,
    source: isDefault ? SOURCE_DEFAULT : SOURCE_STATIC_BROKER,
  });
  return [
    entry("broker.id", String(c.nodeId)),
    // Not a Kafka config: Kafka reports no version; the console shows this one (docs/broker.md).
    entry("sa.version", SA_VERSION),
    entry("listeners", `PLAINTEXT://${c.host}:${c.port}`),
    entry("advertised.listeners", `PLAINTEXT://${c.advertisedHost}:${c.port}`),
    entry("log.dirs", c.dataDir),
    entry("num.partitions", String(c.defaultPartitions)),
    entry("auto.create.topics.enable", String(c.autoCreateTopics)),
    entry("default.replication.factor", "1", true),
    entry("min.insync.replicas", "1", true),
    entry("message.max.bytes", "1048588", true),
    entry("socket.request.max.bytes", String(100 * 1024 * 1024), true),
    entry("log.retention.hours", "168", true),
    entry("log.retention.check.interval.ms", String(c.logRetentionCheckIntervalMs)),
    entry("log.cleaner.backoff.ms", String(c.logCleanerBackoffMs)),
    entry("log.flush.interval.ms", c.fsync === "always" ? "0" : String(c.fsyncIntervalMs)),
    entry("group.min.session.timeout.ms", "6000", true),
    entry("group.max.session.timeout.ms", "1800000", true),
    entry("transaction.max.timeout.ms", "900000", true),
    entry("offsets.retention.minutes", "10080", true),
  ];
}

function describe(
  ctx: RequestContext,
  type: number,
  name: string,
  keys: string[] | null,
): Result {
  const broker = ctx.broker;
  const fail = (error: ErrorInfo, message: string): Result => ({
    error,
    message,
    type,
    name,
    configs: [],
  });
  let configs: Entry[];
  if (type === RESOURCE_TOPIC) {
    if (!broker.logs.getTopic(name)) {
      return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name} does not exist`);
    }
    try {
      configs = broker.logs.describeConfigs(name).map((c) => ({
        ...c,
        source: c.isDefault ? SOURCE_DEFAULT : SOURCE_DYNAMIC_TOPIC,
      }));
    } catch (err) {
      return fail(errorInfo(err, ctx, `DescribeConfigs ${name}`), errorMessage(err));
    }
  } else if (type === RESOURCE_BROKER) {
    if (name !== "" && name !== String(broker.config.nodeId)) {
      return fail(
        ErrorCode.INVALID_REQUEST,
        `broker ${JSON.stringify(name)} is not this broker (${broker.config.nodeId})`,
      );
    }
    configs = brokerConfigs(broker);
  } else {
    return fail(
      ErrorCode.INVALID_REQUEST,
      `resource type ${type} is not supported (only 2 = topic and 4 = broker)`,
    );
  }
  if (keys !== null) {
    const wanted = new Set(keys);
    configs = configs.filter((c) => wanted.has(c.name));
  }
  return { error: ErrorCode.NONE, message: null, type, name, configs };
}

/** The DescribeConfigs handler. */
export const handler: ApiHandler = {
  key: 32,
  name: "DescribeConfigs",
  minVersion: 0,
  maxVersion: 2,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const resources = body.array((r) => ({
      type: r.int8(),
      name: r.string(),
      keys: r.nullableArray((r) => r.string()),
    }));
    const synonyms = v >= 1 ? body.bool() : false;
    const results = resources.map((res) => describe(ctx, res.type, res.name, res.keys));

    const w = new Writer(256);
    w.int32(0); // throttle_time_ms
    w.array(results, (w, r) => {
      w.int16(r.error.code).nullableString(r.message).int8(r.type).string(r.name);
      w.array(r.configs, (w, c) => {
        w.string(c.name).nullableString(c.value).bool(c.readOnly);
        if (v === 0) w.bool(c.isDefault);
        else w.int8(c.source);
        w.bool(c.sensitive);
        if (v >= 1) {
          const syn = synonyms ? [c] : [];
          w.array(syn, (w, s) => void w.string(s.name).nullableString(s.value).int8(s.source));
        }
      });
    });
    return w.finish();
  },
};
