import { assertEquals } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { unique } from "./_kafkajs.ts";
import { type ClientName, PYTHON, requireClient } from "../../_clients.ts";

/** Runs one check script against a fresh broker and returns its JSON summary. */
async function runScript(
  clients: ClientName | ClientName[],
  script: string,
  brokerOpts: Parameters<typeof testBroker>[0] = {},
): Promise<Record<string, unknown> | null> {
  for (const client of [clients].flat()) {
    if (!(await requireClient(client))) return null;
  }
  const broker = await testBroker(brokerOpts);
  try {
    const child = new Deno.Command(PYTHON, {
      args: [new URL(`./py/${script}`, import.meta.url).pathname, broker.address, unique("py")],
      // The scripts import their sibling _check.py: no __pycache__ left in the tree.
      env: { PYTHONDONTWRITEBYTECODE: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const out = await child.output();
    clearTimeout(timer);
    const dec = new TextDecoder();
    const stdout = dec.decode(out.stdout), stderr = dec.decode(out.stderr);
    if (!out.success) {
      throw new Error(`${script} exited with ${out.code}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    }
    return JSON.parse(stdout.trim().split("\n").at(-1)!);
  } finally {
    await broker.close();
  }
}

Deno.test("confluent-kafka: delivery reports, group resume, transactions, codecs, compacted null keys", async () => {
  const r = await runScript("confluent-kafka", "confluent_check.py");
  if (!r) return;
  assertEquals(r, {
    admin_topics: 3,
    delivered: 300,
    group_first: 150,
    group_resumed: 150,
    txn_read_committed: 11,
    txn_read_uncommitted: 21,
    txn_offset: 5,
    codecs: 4,
    compacted_null_key: "INVALID_RECORD",
  });
});

Deno.test("confluent-kafka: a fenced transactional producer's next produce is fatal", async () => {
  const r = await runScript("confluent-kafka", "confluent_fenced_check.py");
  if (!r) return;
  assertEquals(r, { zombie_fatal: true, zombie_error: "_FENCED" });
});

Deno.test("confluent-kafka: offsets sent with a stale generation's metadata are refused (KIP-447)", async () => {
  const r = await runScript("confluent-kafka", "confluent_kip447_check.py");
  if (!r) return;
  assertEquals(r, { refused: "ILLEGAL_GENERATION", committed: 5 });
});

Deno.test("confluent-kafka cooperative-sticky: three starting together see one generation; a leave costs one", async () => {
  const lines: string[] = [];
  const r = await runScript("confluent-kafka", "confluent_cooperative_check.py", {
    sink: (line) => void lines.push(line),
    groupInitialRebalanceDelayMs: 1500,
  });
  if (!r) return;
  const stable = lines.filter((l) => l.includes(`group ${r.group}: generation`))
    .map((l) => /generation (\d+) is stable/.exec(l)?.[1]).filter((g) => g !== undefined);
  assertEquals(stable, ["1", "2"]);
});

Deno.test("confluent-kafka static member: a restart takes its partitions back without a rebalance", async () => {
  const lines: string[] = [];
  const r = await runScript("confluent-kafka", "confluent_static_check.py", {
    sink: (line) => void lines.push(line),
  });
  if (!r) return;
  const rebalances = lines.filter((l) => l.includes(`group ${r.group}: preparing rebalance`));
  // The first member's join, the second's; none for the restarts of follower and leader.
  assertEquals(rebalances.length, 2, rebalances.join("\n"));
});

Deno.test("confluent-kafka static member: a zombie with the fenced member id gets FENCED_INSTANCE_ID (fatal)", async () => {
  const lines: string[] = [];
  const r = await runScript("confluent-kafka", "confluent_static_fenced_check.py", {
    sink: (line) => void lines.push(line),
  });
  if (!r) return;
  assertEquals(r, { group: r.group, zombie_fatal: true, zombie_fenced: true, successor: [0, 1] });
  const rebalances = lines.filter((l) => l.includes(`group ${r.group}: preparing rebalance`));
  // Only the first join: the successor takes the instance over in place, the zombie stops.
  assertEquals(rebalances.length, 1, rebalances.join("\n"));
});

Deno.test("kafka-python: admin create/list/delete, producer, group consumer", async () => {
  const r = await runScript("kafka-python", "kafka_python_check.py");
  if (!r) return;
  assertEquals(r, { admin: "create/list/delete", produced: 300, consumed: 300, resumed_extra: 0 });
});

Deno.test("mixed group: librdkafka and kafka-python members split, consume once, rebalance", async () => {
  const r = await runScript(["confluent-kafka", "kafka-python"], "mixed_group_check.py");
  if (!r) return;
  assertEquals(r, { split: [2, 2], consumed: 100, after_leave: [0, 1, 2, 3] });
});
