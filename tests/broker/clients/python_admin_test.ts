import { assertEquals } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { unique } from "./_kafkajs.ts";
import { PYTHON, requireClient } from "../../_clients.ts";

Deno.test("confluent-kafka and kafka-python admin: AlterConfigs (INVALID_CONFIG naming the key), DescribeGroups v3", async () => {
  if (!(await requireClient("confluent-kafka")) || !(await requireClient("kafka-python"))) return;
  const broker = await testBroker();
  try {
    const child = new Deno.Command(PYTHON, {
      args: [
        new URL("./py/admin_check.py", import.meta.url).pathname,
        broker.address,
        unique("pyadm"),
      ],
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
      throw new Error(
        `admin_check.py exited with ${out.code}\nstdout:\n${stdout}\nstderr:\n${stderr}`,
      );
    }
    assertEquals(JSON.parse(stdout.trim().split("\n").at(-1)!), {
      confluent_alter: "retention.ms=1234",
      confluent_invalid: "INVALID_CONFIG",
      kafka_python_alter: "cleanup.policy=compact",
      describe_groups: { version: 3, state: "Stable", members: 1 },
    });
  } finally {
    await broker.close();
  }
});
