import assert from "node:assert/strict";
import { Connection } from "../../lib/broker/connection.ts";
import { type BrokerConfig, BrokerState } from "../../lib/broker/state.ts";
import type { ApiHandler } from "../../lib/broker/apis/_types.ts";
import { KafkaError } from "../../lib/kafka/protocol/errors.ts";
import { ErrorCode } from "../../lib/kafka/protocol/errors.ts";
import { Logger } from "../../lib/util/log.ts";
import { i32, request, WireClient } from "./apis/_wire.ts";

// Handlers that misbehave on purpose, to check the connection layer's containment.
const handlers: ApiHandler[] = [
  {
    key: 50,
    name: "Echo",
    minVersion: 0,
    maxVersion: 0,
    handle: (body) => body.raw(body.remaining).slice(),
  },
  {
    key: 51,
    name: "Slow",
    minVersion: 0,
    maxVersion: 0,
    handle: async (body) => {
      await new Promise((r) => setTimeout(r, 50));
      return body.raw(body.remaining).slice();
    },
  },
  {
    key: 52,
    name: "Buggy",
    minVersion: 0,
    maxVersion: 0,
    handle: () => {
      throw new TypeError("cannot read properties of undefined");
    },
  },
  {
    key: 53,
    name: "Unmapped",
    minVersion: 0,
    maxVersion: 0,
    handle: () => Promise.reject(new KafkaError(ErrorCode.INVALID_REQUEST, "oops")),
  },
  {
    key: 54,
    name: "Reusable",
    minVersion: 0,
    maxVersion: 0,
    frameReusable: true,
    handle: (body) => new Uint8Array([body.remaining & 0xff]),
  },
];

async function withServer(
  fn: (port: number, logs: string[], state: BrokerState) => Promise<void>,
): Promise<void> {
  const logs: string[] = [];
  const logger = new Logger("net", "DEBUG", (line) => void logs.push(line));
  const closing = new AbortController();
  // The connection layer only needs the handler table; storage is never touched here.
  const state = new BrokerState(
    {} as BrokerConfig,
    logger,
    null as never,
    null as never,
    null as never,
    new Map(handlers.map((h) => [h.key, h])),
    closing.signal,
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving: Promise<void>[] = [];
  const conns: Connection[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      const c = new Connection(conn, state, logger);
      conns.push(c);
      serving.push(c.serve());
    }
  })();
  try {
    await fn(listener.addr.port, logs, state);
  } finally {
    listener.close();
    await accepting;
    for (const c of conns) c.close();
    await Promise.all(serving);
  }
}

const corrOf = (res: Uint8Array) => new DataView(res.buffer, res.byteOffset).getInt32(0);

Deno.test("a handler that throws closes only its connection, with a log line", async () => {
  await withServer(async (port, logs) => {
    const good = await WireClient.connect(port);
    const bad = await WireClient.connect(port);
    await bad.send(request(52, 0, 1, []));
    assert.equal(await bad.receive(), null);
    bad.close();
    const line = logs.find((l) => l.includes("Buggy v0 (correlation 1)"));
    assert.ok(line, logs.join("\n"));
    assert.match(line, /ERROR .*127\.0\.0\.1:\d+: Buggy v0 \(correlation 1\): cannot read/);
    // A KafkaError escaping a handler is a handler bug too: closed, logged as a protocol error.
    const bad2 = await WireClient.connect(port);
    await bad2.send(request(53, 0, 2, []));
    assert.equal(await bad2.receive(), null);
    bad2.close();
    assert.ok(
      logs.some((l) => /Unmapped v0 \(correlation 2\): unhandled INVALID_REQUEST: oops/.test(l)),
    );
    const res = await good.roundTrip(request(50, 0, 3, [1, 2, 3]));
    assert.deepEqual([...res], [...i32(3), 1, 2, 3]);
    good.close();
  });
});

Deno.test("a slow handler's response still precedes later fast ones", async () => {
  await withServer(async (port) => {
    const c = await WireClient.connect(port);
    const frames = [
      request(51, 0, 1, [7]),
      request(50, 0, 2, [8]),
      request(51, 0, 3, [9]),
      request(50, 0, 4, []),
    ];
    await c.send(new Uint8Array(frames.flatMap((f) => [...f])));
    const got: number[] = [];
    for (let i = 0; i < frames.length; i++) got.push(corrOf((await c.receive())!));
    assert.deepEqual(got, [1, 2, 3, 4]);
    c.close();
  });
});

Deno.test("a large frame goes back to the pool only after a handler that declares it reusable", async () => {
  await withServer(async (port, _logs, state) => {
    const c = await WireClient.connect(port);
    const big = Array.from({ length: 300 * 1024 }, (_, i) => i & 0xff);
    // Echo returns a copy but declares nothing: its frame is not reused.
    const echoed = await c.roundTrip(request(50, 0, 1, big));
    assert.equal(echoed.length, 4 + big.length);
    assert.equal(state.buffers.freeBytes, 0);
    await c.roundTrip(request(54, 0, 2, big));
    assert.ok(state.buffers.freeBytes >= big.length, `${state.buffers.freeBytes} bytes free`);
    c.close();
  });
});
