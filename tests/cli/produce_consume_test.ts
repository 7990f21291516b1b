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
      assert.match(header, /^PARTITION {6}OFFSET {2}TIME {22}KEY {19}VALUE$/);
      assert.match(row, /^ {8}\d {11}0 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}dev1 {18}\{"t": 1\}$/);

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
