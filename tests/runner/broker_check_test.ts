import assert from "node:assert/strict";
import {
  BrokerUnreachableError,
  checkBroker,
  createTopics,
} from "../../lib/runner/broker_check.ts";
import { withBroker } from "../cli/_broker.ts";

Deno.test("checkBroker: a refused connection is reported with the address", async () => {
  // Bind then close a listener to get a port nobody listens on.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const err = await checkBroker(`127.0.0.1:${port}`, 1000).then(
    () => assert.fail("expected a failure"),
    (e) => e,
  );
  assert.ok(err instanceof BrokerUnreachableError);
  assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}: connection refused`));
});

Deno.test("checkBroker: a silent server times out", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const loop = (async () => {
    for await (const c of l) accepted.push(c);
  })();
  try {
    const err = await checkBroker(`127.0.0.1:${(l.addr as Deno.NetAddr).port}`, 200).then(
      () => assert.fail("expected a failure"),
      (e) => e,
    );
    assert.match(err.message, /no answer within 200 ms/);
  } finally {
    l.close();
    await loop.catch(() => {});
    for (const c of accepted) c.close();
  }
});

Deno.test("checkBroker and createTopics against the embedded broker", async () => {
  await withBroker(async (address) => {
    const { brokers } = await checkBroker(address);
    assert.deepEqual(brokers, [address]);
    const first = await createTopics(address, [
      {
        name: "raw-data",
        partitions: 2,
        replicationFactor: 1,
        configs: { "retention.ms": "60000" },
      },
    ]);
    assert.deepEqual(first, { "raw-data": "created" });
    const again = await createTopics(address, [
      { name: "raw-data", partitions: 2, replicationFactor: 1 },
    ]);
    assert.deepEqual(again, { "raw-data": "exists" });
  });
});
