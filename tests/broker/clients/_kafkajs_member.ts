/**
 * A kafkajs group member run as a subprocess, so a test can SIGKILL it (no LeaveGroup, sockets
 * vanish) and watch the group evict it after the session timeout.
 *
 * Usage: deno run -A _kafkajs_member.ts <broker> <group> <topic> <sessionTimeoutMs>
 * Prints one JSON line per event: {"event":"assigned","partitions":[...]} on every group join.
 *
 * @module
 */
import { kafkaClient } from "./_kafkajs.ts";

const [address, groupId, topic, session] = Deno.args;
const kafka = kafkaClient(address, "sa-member");
const consumer = kafka.consumer({
  groupId,
  sessionTimeout: Number(session),
  rebalanceTimeout: 5000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 200,
});
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  const partitions = (e.payload.memberAssignment[topic] ?? []).slice().sort((a, b) => a - b);
  console.log(JSON.stringify({ event: "assigned", generation: e.payload.memberId, partitions }));
});
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({ eachMessage: async () => {} });
console.log(JSON.stringify({ event: "running" }));
