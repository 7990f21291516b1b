import { assert, assertEquals } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { kafkaClient, text, unique, waitFor } from "./_kafkajs.ts";

const MEMBER = new URL("./_kafkajs_member.ts", import.meta.url).pathname;
const ALL = [0, 1, 2, 3];

function sorted(xs: Iterable<number>): number[] {
  return [...xs].sort((a, b) => a - b);
}

Deno.test("kafkajs group: two members split partitions, rebalance on leave and on kill", async () => {
  const broker = await testBroker();
  const kafka = kafkaClient(broker.address);
  const admin = kafka.admin();
  const producer = kafka.producer();
  const topic = unique("group-topic");
  const groupId = unique("group");
  const assignment = new Map<string, number[]>();
  const consumed: string[] = [];
  const member = (name: string, sessionTimeout: number) => {
    const c = kafka.consumer({
      groupId,
      sessionTimeout,
      rebalanceTimeout: 5000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 200,
    });
    c.on(c.events.GROUP_JOIN, (e) => {
      assignment.set(name, sorted(e.payload.memberAssignment[topic] ?? []));
    });
    return c;
  };
  // B's long session timeout proves the first rebalance comes from LeaveGroup, not eviction.
  const a = member("a", 6000);
  const b = member("b", 30_000);
  let child: Deno.ChildProcess | undefined;
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
    await producer.connect();
    for (const c of [a, b]) {
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
    }
    await a.run({
      eachMessage: async ({ message }) => {
        consumed.push(text(message.value)!);
        await Promise.resolve();
      },
    });
    await b.run({ eachMessage: async () => {} });

    await waitFor("a and b to split the 4 partitions", () => {
      const pa = assignment.get("a") ?? [], pb = assignment.get("b") ?? [];
      return pa.length > 0 && pb.length > 0 && sorted([...pa, ...pb]).join() === ALL.join();
    }, 20_000);

    // 1. b leaves cleanly: a gets everything well before b's 30 s session timeout.
    assignment.delete("a");
    await b.disconnect();
    await waitFor("a to own all partitions after b left", () => {
      return (assignment.get("a") ?? []).join() === ALL.join();
    }, 12_000);

    // a consumes from every partition after the rebalance.
    await producer.send({
      topic,
      messages: ALL.map((p) => ({ partition: p, value: `after-leave-${p}` })),
    });
    await waitFor("a to consume the 4 messages", () => consumed.length >= 4, 10_000);
    assertEquals(consumed.slice().sort(), ALL.map((p) => `after-leave-${p}`));

    // 2. A member in a subprocess joins, then is SIGKILLed: no LeaveGroup, its sockets vanish.
    child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MEMBER, broker.address, groupId, topic, "6000"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const lines: string[] = [];
    const reading = (async () => {
      const dec = new TextDecoder();
      let buf = "";
      for await (const chunk of child!.stdout) {
        buf += dec.decode(chunk, { stream: true });
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          lines.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      }
    })();
    let childParts: number[] = [];
    await waitFor("the subprocess member to get partitions and a the rest", () => {
      for (const l of lines) {
        const e = JSON.parse(l);
        if (e.event === "assigned") childParts = e.partitions;
      }
      const pa = assignment.get("a") ?? [];
      return childParts.length > 0 && pa.length > 0 &&
        sorted([...pa, ...childParts]).join() === ALL.join();
    }, 25_000);

    assignment.delete("a");
    const killedAt = Date.now();
    child.kill("SIGKILL");
    await child.status;
    await reading;
    child = undefined;
    await waitFor("a to own all partitions after the member was killed", () => {
      return (assignment.get("a") ?? []).join() === ALL.join();
    }, 25_000);
    // Eviction waits for the session timeout (6 s) rather than happening at once.
    const took = Date.now() - killedAt;
    assert(took > 3000, `dead member evicted after only ${took} ms`);

    consumed.length = 0;
    await producer.send({
      topic,
      messages: ALL.map((p) => ({ partition: p, value: `after-kill-${p}` })),
    });
    await waitFor("a to consume after the kill", () => consumed.length >= 4, 10_000);
    assertEquals(consumed.slice().sort(), ALL.map((p) => `after-kill-${p}`));

    const described = await admin.describeGroups([groupId]);
    assertEquals(described.groups[0].state, "Stable");
    assertEquals(described.groups[0].members.length, 1);
  } finally {
    if (child) {
      child.kill("SIGKILL");
      await child.status;
    }
    await a.disconnect();
    await b.disconnect();
    await producer.disconnect();
    await admin.disconnect();
    await broker.close();
  }
});
