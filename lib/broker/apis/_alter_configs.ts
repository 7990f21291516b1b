/**
 * What AlterConfigs (33) and IncrementalAlterConfigs (44) share: per-resource checks, applying
 * the computed config set to the topic, and the response layout (identical in both APIs).
 *
 * @module
 */
import { type Reader, Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode, type ErrorInfo, KafkaError } from "../../kafka/protocol/errors.ts";
import { errorInfo, errorMessage } from "./_errors.ts";
import type { RequestContext } from "./_types.ts";

/** Resource type of a topic. */
export const RESOURCE_TOPIC = 2;
/** Resource type of a broker. */
export const RESOURCE_BROKER = 4;

/** One resource's outcome. */
export interface AlterResult {
  error: ErrorInfo;
  message: string | null;
  type: number;
  name: string;
}

/** Throws INVALID_REQUEST when a key appears twice in one resource (as Kafka does). */
export function checkDuplicateKeys(keys: string[]): void {
  const seen = new Set<string>();
  const dup = keys.filter((k) => seen.size === seen.add(k).size);
  if (dup.length > 0) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `duplicate config keys: ${[...new Set(dup)].join(", ")}`,
    );
  }
}

/**
 * Runs `compute` (the new explicit config set of the topic, from its current one) and stores
 * the result, answering each resource on its own: a bad resource never fails the others.
 * Broker configs are fixed at start (`sa broker` flags), so a broker resource is refused.
 */
function alterResource(
  ctx: RequestContext,
  type: number,
  name: string,
  validateOnly: boolean,
  compute: (current: Record<string, string>) => Record<string, string>,
): AlterResult {
  const ok = (error: ErrorInfo, message: string | null) => ({ error, message, type, name });
  try {
    if (type === RESOURCE_BROKER) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `broker ${name} configs are set when the broker starts (sa broker flags) and cannot ` +
          `be altered while it runs`,
      );
    }
    if (type !== RESOURCE_TOPIC) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `resource type ${type} is not supported (only 2 = topic)`,
      );
    }
    const topic = ctx.broker.logs.getTopic(name);
    if (!topic) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name} does not exist`);
    }
    ctx.broker.logs.alterConfigs(name, compute(topic.configs), validateOnly);
    return ok(ErrorCode.NONE, null);
  } catch (err) {
    // The error code already names the error: the message is the rest, as DescribeConfigs'.
    const info = errorInfo(err, ctx, `altering configs of ${name}`);
    const message = errorMessage(err);
    return ok(
      info,
      message.startsWith(`${info.name}: `) ? message.slice(info.name.length + 2) : message,
    );
  }
}

/** Answers INVALID_REQUEST for every resource named more than once (Kafka does the same). */
function duplicateResources(resources: { type: number; name: string }[]): Set<string> {
  const count = new Map<string, number>();
  for (const r of resources) {
    const k = `${r.type}:${r.name}`;
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  return new Set([...count].filter(([, n]) => n > 1).map(([k]) => k));
}

/** The result for a resource named twice in one request. */
function duplicateResult(type: number, name: string): AlterResult {
  return {
    error: ErrorCode.INVALID_REQUEST,
    message: `resource ${name} (type ${type}) appears more than once in the request`,
    type,
    name,
  };
}

/** The response body: throttle time, then one entry per resource. */
function encodeAlterResponse(results: AlterResult[], flex: boolean): Uint8Array {
  const w = new Writer(64 + results.length * 48, flex);
  w.int32(0); // throttle_time_ms
  w.fArray(results, (w, r) => {
    w.int16(r.error.code);
    w.fNullableString(r.message);
    w.int8(r.type);
    w.fString(r.name);
    w.fTags();
  });
  w.fTags();
  return w.finish();
}

/**
 * Both APIs' request and answer: resources of (type, name, entries), `validate_only`, then one
 * result per resource (a resource named twice is refused whole). `compute` turns a resource's
 * entries and its current explicit configs into the new set, or throws.
 */
export function handleAlter<E>(
  body: Reader,
  ctx: RequestContext,
  flex: boolean,
  entry: (r: Reader) => E,
  compute: (entries: E[], current: Record<string, string>) => Record<string, string>,
): Uint8Array {
  body.flexible = flex;
  const resources = body.fArray((r) => {
    const type = r.int8();
    const name = r.fString();
    const entries = r.fArray((r) => {
      const e = entry(r);
      r.fTags();
      return e;
    });
    r.fTags();
    return { type, name, entries };
  });
  const validateOnly = body.bool();
  body.fTags();
  const dups = duplicateResources(resources);
  const results = resources.map((res) =>
    dups.has(`${res.type}:${res.name}`)
      ? duplicateResult(res.type, res.name)
      : alterResource(ctx, res.type, res.name, validateOnly, (cur) => compute(res.entries, cur))
  );
  return encodeAlterResponse(results, flex);
}
