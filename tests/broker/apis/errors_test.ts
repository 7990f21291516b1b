import assert from "node:assert/strict";
import { errorInfo, errorMessage } from "../../../lib/broker/apis/_errors.ts";
import type { RequestContext } from "../../../lib/broker/apis/_types.ts";
import { ErrorCode, KafkaError } from "../../../lib/kafka/protocol/errors.ts";
import { Logger } from "../../../lib/util/log.ts";

Deno.test("errorInfo: Kafka errors keep their code; anything else is logged as -1", () => {
  const lines: string[] = [];
  const ctx = {
    clientAddress: "127.0.0.1:5555",
    broker: { logger: new Logger("t", "INFO", (l) => void lines.push(l)) },
  } as unknown as RequestContext;
  const kafka = new KafkaError(ErrorCode.INVALID_CONFIG, "bad");
  assert.equal(errorInfo(kafka, ctx, "CreateTopics t"), ErrorCode.INVALID_CONFIG);
  assert.equal(lines.length, 0);
  assert.equal(errorMessage(kafka), "INVALID_CONFIG: bad");
  const disk = new Error("No space left on device (os error 28)");
  assert.equal(errorInfo(disk, ctx, "CreateTopics t"), ErrorCode.UNKNOWN_SERVER_ERROR);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /ERROR .*127\.0\.0\.1:5555: CreateTopics t failed: No space left/);
});
