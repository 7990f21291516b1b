import assert from "node:assert/strict";
import { join } from "node:path";
import { command as produce } from "../../lib/cli/produce.ts";
import { command as consume, formatMessage } from "../../lib/cli/consume.ts";
import { command as topics } from "../../lib/cli/topics.ts";
import { withBroker } from "./_broker.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";

Deno.test("sa produce -f then sa consume in json, raw and table formats", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      assert.equal(
        (await runCommand(topics, ["create", "readings", "-p", "2", ...b], dir)).code,
        0,
      );
      const lines = ['{"t": 1}', "", "plain text", '{"t": 3}', "last line without newline"];
      await Deno.writeTextFile(join(dir, "in.jsonl"), lines.join("\r\n"));
      let r = await runCommand(produce, ["readings", "-k", "dev1", "-f", "in.jsonl", ...b], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "Produced 4 message(s) to readings\n");

      r = await runCommand(consume, ["readings", "--from-beginning", "-n", "4", ...b], dir);
      assert.equal(r.code, 0, r.stderr);
      const got = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
      // One key: everything is in one partition, in order.
      assert.deepEqual(got.map((m) => [m.offset, m.key, m.value]), [
        [0, "dev1", { t: 1 }],
        [1, "dev1", "plain text"],
        [2, "dev1", { t: 3 }],
        [3, "dev1", "last line without newline"],
      ]);
      assert.equal(new Set(got.map((m) => m.partition)).size, 1);
      assert.equal(r.stderr, "4 message(s)\n");

      r = await runCommand(
        consume,
        ["readings", "--from-beginning", "--format", "raw", "--timeout", "1500", ...b],
        dir,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '{"t": 1}\nplain text\n{"t": 3}\nlast line without newline\n');

      r = await runCommand(consume, [
        "readings",
        "--from-beginning",
        "-n",
        "1",
        "--format",
        "table",
        ...b,
      ], dir);
      const [header, row] = r.stdout.split("\n");
      // A JSON object value is spread over one column per field.
      assert.match(header, /^PARTITION {6}OFFSET {2}TIME {22}KEY {19}t$/);
      assert.match(row, /^ {8}\d {11}0 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}dev1 {18}1$/);

      // Throwaway groups are removed afterwards.
      const admin = kafkaFor(address).admin();
      await admin.connect();
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      await admin.disconnect();
      assert.deepEqual(groups.filter((g) => g.startsWith("sa-consume-")), []);
    })
  );
});

Deno.test("sa consume --group commits what it printed", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      await Deno.writeTextFile(join(dir, "in.txt"), "a\nb\nc\n");
      assert.equal((await runCommand(produce, ["letters", "-f", "in.txt", ...b], dir)).code, 0);
      let r = await runCommand(consume, [
        "letters",
        "--from-beginning",
        "-n",
        "2",
        "-g",
        "g1",
        "--format",
        "raw",
        ...b,
      ], dir);
      assert.equal(r.stdout, "a\nb\n");
      r = await runCommand(
        consume,
        ["letters", "-n", "1", "-g", "g1", "--format", "raw", ...b],
        dir,
      );
      assert.equal(r.stdout, "c\n");
    })
  );
});

Deno.test("sa produce / consume: bad input and missing things are named", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      let r = await runCommand(produce, ["t", "-f", "missing.txt", ...b], dir);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, "sa produce: no such file: missing.txt\n");
      r = await runCommand(produce, [...b], dir);
      assert.equal(r.code, 2);
      r = await runCommand(consume, ["nothere", "-n", "1", ...b], dir);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `sa consume: no topic "nothere" on ${address}\n`);
      r = await runCommand(consume, ["t", "--format", "xml", ...b], dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--format must be one of json, table, raw, not "xml"/);
      r = await runCommand(consume, ["t", "-n", "zero", ...b], dir);
      assert.match(r.stderr, /--count must be an integer >= 1, not "zero"/);
    })
  );
});

Deno.test("formatMessage: null key and value, multi-line values in table", () => {
  const m = {
    key: null,
    value: new TextEncoder().encode("a\n b"),
    offset: "7",
    timestamp: "0",
    attributes: 0,
    headers: {},
  };
  // deno-lint-ignore no-explicit-any
  const msg = m as any;
  assert.equal(
    formatMessage("json", "t", 0, msg),
    '{"topic":"t","partition":0,"offset":7,"timestamp":0,"key":null,"value":"a\\n b"}\n',
  );
  assert.match(formatMessage("table", "t", 0, msg), /1970-01-01T00:00:00\.000Z {24}a b\n$/);
});

Deno.test("sa consume: --offset, --partition, --last, --from-timestamp, -e, headers, table columns", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      const kafka = kafkaFor(address);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "rows", numPartitions: 2 }] });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: "rows",
        messages: Array.from({ length: 10 }, (_, i) => ({
          key: `k${i}`,
          partition: i % 2,
          timestamp: String(1_000 * (i + 1)),
          value: JSON.stringify({ i, x: i * 10 }),
          ...(i === 4 ? { headers: { source: "phone", v: "2" } } : {}),
        })),
      });
      await producer.disconnect();
      const ids = (out: string) => out.trim().split("\n").map((l) => JSON.parse(l).value.i);

      // -e stops at the end taken at start: every message once, then exit.
      let r = await runCommand(consume, ["rows", "--from-beginning", "-e", ...b], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(ids(r.stdout).sort((a, c) => a - c), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal(r.stderr, "10 message(s)\n");
      const withHeaders = r.stdout.split("\n").find((l) => l.includes('"i":4'))!;
      assert.match(withHeaders, /,"headers":\{"source":"phone","v":"2"\}\}$/);

      r = await runCommand(consume, ["rows", "-p", "0", "--offset", "3", "-e", ...b], dir);
      assert.deepEqual([r.code, ids(r.stdout)], [0, [6, 8]]);

      r = await runCommand(consume, ["rows", "--partition", "1", "--last", "2", "-e", ...b], dir);
      assert.deepEqual(ids(r.stdout), [7, 9]);

      r = await runCommand(
        consume,
        ["rows", "-p", "0", "--from-timestamp", "1970-01-01T00:00:05Z", "--until-end", ...b],
        dir,
      );
      assert.deepEqual(ids(r.stdout), [4, 6, 8]);

      // Already at the end: nothing to wait for.
      r = await runCommand(consume, ["rows", "-e", ...b], dir);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, "", "0 message(s)\n"]);

      r = await runCommand(
        consume,
        ["rows", "-p", "0", "--offset", "1", "-n", "2", "-f", "table", ...b],
        dir,
      );
      assert.equal(
        r.stdout,
        "PARTITION      OFFSET  TIME                      KEY                   i  x\n" +
          "        0           1  1970-01-01T00:00:03.000Z  k2                    2  20\n" +
          "        0           2  1970-01-01T00:00:05.000Z  k4                    4  40  " +
          "[source=phone v=2]\n",
      );

      // Bad positions are named; nothing is printed.
      r = await runCommand(consume, ["rows", "--offset", "9", "-p", "1", ...b], dir);
      assert.deepEqual(
        [r.code, r.stdout, r.stderr],
        [
          1,
          "",
          "sa consume: --offset 9 is outside rows[1]: its offsets run from 0 to 5 (the end)\n",
        ],
      );
      r = await runCommand(consume, ["rows", "-p", "7", ...b], dir);
      assert.deepEqual(
        [r.code, r.stderr],
        [2, 'sa consume: topic "rows" has no partition 7 (it has 2)\n'],
      );
      r = await runCommand(consume, ["rows", "--last", "2", "--from-beginning", ...b], dir);
      assert.deepEqual(
        [r.code, r.stderr],
        [2, "sa consume: use one of --from-beginning, --last, not several\n"],
      );
    })
  );
});

Deno.test("sa produce: a line over max.message.bytes names its size, the limit and the fix; no empty topic is left", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      await Deno.writeTextFile(join(dir, "big.txt"), "\n" + "x".repeat(2_000_000) + "\n");
      let r = await runCommand(produce, ["big", "-f", "big.txt", ...b], dir);
      assert.deepEqual(r, {
        code: 1,
        stdout: "",
        stderr: 'sa produce: line 2 is a message of 2000000 bytes, larger than topic "big" ' +
          "accepts (max.message.bytes=1048588); create the topic with a higher limit first: " +
          "`sa topics create big -c max.message.bytes=2097152`\n",
      });
      r = await runCommand(topics, ["list", ...b], dir);
      assert.equal(r.stdout, "No topics.\n");

      // Following the advice works.
      r = await runCommand(topics, ["create", "big", "-c", "max.message.bytes=2097152", ...b], dir);
      assert.equal(r.code, 0, r.stderr);
      r = await runCommand(produce, ["big", "-f", "big.txt", ...b], dir);
      assert.deepEqual([r.code, r.stdout], [0, "Produced 1 message(s) to big\n"]);

      // Many small lines whose batch is over the limit are sent in smaller batches, all of them.
      const lines = Array.from({ length: 500 }, (_, i) => `${i} ${"y".repeat(3000)}`);
      await Deno.writeTextFile(join(dir, "many.txt"), lines.join("\n"));
      r = await runCommand(produce, ["many", "-f", "many.txt", ...b], dir);
      assert.deepEqual([r.code, r.stdout], [0, "Produced 500 message(s) to many\n"]);
      r = await runCommand(consume, ["many", "--from-beginning", "-e", "-f", "raw", ...b], dir);
      assert.deepEqual(r.stdout.trimEnd().split("\n"), lines);
    })
  );
});
