// group.initial.rebalance.delay.ms (issue 9, item 4): consumers that start together (300 ms
// apart, as replicas do) settle in one generation, and one leaving costs one more. With no
// delay (the broker before) the same start went through generations 1, 2 and 3.
import { assertEquals } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { kafkaClient, unique, waitFor } from "./_kafkajs.ts";

Deno.test("kafkajs: three consumers starting together see one generation; a leave costs one", async () => {
  const lines: string[] = [];
  const broker = await testBroker({
    sink: (line) => void lines.push(line),
    groupInitialRebalanceDelayMs: 1500,
  });
  const kafka = kafkaClient(broker.address);
  const admin = kafka.admin();
  const topic = unique("initial-delay");
  const groupId = unique("together");
  const assigned = new Map<string, number[]>();
  const consumers = ["a", "b", "c"].map((name) => {
    const c = kafka.consumer({
      groupId,
      sessionTimeout: 6000,
      rebalanceTimeout: 5000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 200,
    });
    c.on(c.events.GROUP_JOIN, (e) => {
      assigned.set(name, [...(e.payload.memberAssignment[topic] ?? [])].sort());
    });
    return c;
  });
  const stable = () =>
    lines.filter((l) => l.includes(`group ${groupId}: generation`) && l.endsWith("is stable"))
      .map((l) => Number(/generation (\d+) is stable/.exec(l)![1]));
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
    await Promise.all(consumers.map(async (c, i) => {
      await new Promise((r) => setTimeout(r, 300 * i));
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: () => Promise.resolve() });
    }));
    await waitFor("all three to be assigned", () => assigned.size === 3, 20_000);
    assertEquals([...assigned.values()].flat().sort(), [0, 1, 2, 3, 4, 5]);
    assertEquals(stable(), [1]);
    assigned.clear();
    await consumers[2].disconnect(); // LeaveGroup
    await waitFor("the other two to be reassigned", () => assigned.size === 2, 20_000);
    assertEquals([...assigned.values()].flat().sort(), [0, 1, 2, 3, 4, 5]);
    assertEquals(stable(), [1, 2]);
  } finally {
    for (const c of consumers) await c.disconnect();
    await admin.disconnect();
    await broker.close();
  }
});
