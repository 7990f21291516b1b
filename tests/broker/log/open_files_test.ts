/**
 * Bounded file handles and topic metadata that stays right when files cannot be opened or
 * written (issue 10, item 6).
 */
import assert from "node:assert/strict";
import { OpenFiles, type Reopenable } from "../../../lib/broker/log/open_files.ts";
import { fillDisk, withTmpfs } from "../_tmpfs.ts";
import { batch, kafkaErrorOf, openManager } from "./_util.ts";

Deno.test("open files: the least recently used idle file closes past the cap, busy ones stay", () => {
  const files = new OpenFiles(2);
  const closed: string[] = [];
  const f = (name: string, busy = false): Reopenable => ({
    closeHandle: () => busy ? false : (closed.push(name), true),
  });
  const a = f("a", true), b = f("b"), c = f("c"), d = f("d");
  files.touch(a);
  files.touch(b);
  files.touch(c); // a is busy: b goes
  assert.deepEqual(closed, ["b"]);
  files.touch(c);
  files.touch(d); // c was used last but one, a is still busy: c goes
  assert.deepEqual(closed, ["b", "c"]);
  assert.equal(files.size, 2);
});

Deno.test("log manager: a segment closed by the cap reopens on use, reads and appends work", async () => {
  const { logs, dataDir } = await openManager();
  const { openSegmentFiles } = await import("../../../lib/broker/log/open_files.ts");
  const before = openSegmentFiles.max;
  openSegmentFiles.max = 1;
  try {
    logs.createTopic("a", 1);
    logs.createTopic("b", 1);
    logs.partition("a", 0)!.append(batch([["k", "1"]]));
    logs.partition("b", 0)!.append(batch([["k", "2"]]));
    logs.partition("a", 0)!.append(batch([["k", "3"]]));
    assert.equal(openSegmentFiles.size, 1);
    assert.equal(logs.partition("a", 0)!.highWatermark, 2);
    assert.equal(logs.partition("b", 0)!.highWatermark, 1);
    await logs.close();
    const again = await openManager({ dataDir });
    assert.equal(again.logs.partition("a", 0)!.highWatermark, 2);
    await again.logs.close();
  } finally {
    openSegmentFiles.max = before;
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("log manager: a topic whose creation fails is not listed; a failed delete keeps it", async () => {
  await withTmpfs("topic metadata at a full disk", 512, async (dir) => {
    // Pad the change log so that, with the line creating "kept", it ends exactly on a page:
    // the next line then needs a new page, which a full disk does not have.
    const kept = `{"t":"kept","p":1,"c":{},"i":"${"0".repeat(36)}"}\n`; // i: its topic id
    const head = `{"t":"pad","del":true,"x":"`;
    const pad = head + "x".repeat(8192 - kept.length - head.length - 3) + `"}\n`;
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/data/topics.jsonl`, pad);
    const { logs } = await openManager({ dataDir: `${dir}/data` });
    logs.createTopic("kept", 1);
    assert.equal((await Deno.stat(`${dir}/data/topics.jsonl`)).size, 8192);
    const disk = await fillDisk(dir);
    assert.equal(kafkaErrorOf(() => logs.createTopic("x".repeat(200), 1)), "KAFKA_STORAGE_ERROR");
    assert.deepEqual(logs.listTopics().map((t) => t.name), ["kept"]);
    assert.equal(kafkaErrorOf(() => logs.deleteTopic("kept")), "KAFKA_STORAGE_ERROR");
    assert.deepEqual(logs.listTopics().map((t) => t.name), ["kept"]);
    await disk.free();
    logs.deleteTopic("kept");
    logs.createTopic("later", 1);
    await logs.close();
    const again = await openManager({ dataDir: `${dir}/data` });
    assert.deepEqual(again.logs.listTopics().map((t) => t.name), ["later"]);
    await again.logs.close();
  });
});

const MANY = Deno.env.get("SA_SLOW_TESTS") === "1" ? 10_000 : 2_000;

Deno.test(`broker: ${MANY} topics work at an open-file limit of 1024, restart included`, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sa-many-topics-" });
  try {
    const out = await new Deno.Command("prlimit", {
      args: [
        "--nofile=1024:1024",
        Deno.execPath(),
        "run",
        "-A",
        new URL("./_many_topics.ts", import.meta.url).pathname,
        dataDir,
        String(MANY),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, `subprocess failed: ${stderr.slice(-2000)}`);
    const res = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    assert.deepEqual(res, {
      createFailed: 0,
      first: { errors: 0, offsets: [0] },
      second: { errors: 0, offsets: [1] },
      connectionsAnswered: 200,
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
