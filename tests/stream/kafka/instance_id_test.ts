import { assert, assertEquals } from "../_assert.ts";
import { claimInstanceId, INSTANCE_ID_FILE } from "../../../lib/stream/kafka/_instance_id.ts";

Deno.test("instance id: kept across runs on one dir, distinct for instances running at once", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const a = claimInstanceId(`${dir}/g`);
    const b = claimInstanceId(`${dir}/g`); // a replica sharing the state dir, same process
    assertEquals([a.slot, b.slot], [0, 1]);
    assert(a.id !== b.id, "two running instances never share a transactional id");
    assertEquals(Deno.readTextFileSync(`${dir}/g/${INSTANCE_ID_FILE}`).trim(), a.id);
    const idA = a.id;
    a.release();
    // A restart takes the freed slot back, with its id (and so fences the previous run).
    const again = claimInstanceId(`${dir}/g`);
    assertEquals([again.slot, again.id], [0, idA]);
    again.release();
    b.release();
    // Another state dir (another machine): another id.
    const other = claimInstanceId(`${dir}/h`);
    assert(other.id !== idA && other.id !== b.id);
    other.release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("instance id: a torn or foreign slot file gets a fresh id", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/${INSTANCE_ID_FILE}`, "\u0000\u0000");
    const a = claimInstanceId(dir);
    assert(/^[0-9a-f-]{36}$/.test(a.id), a.id);
    assertEquals(Deno.readTextFileSync(`${dir}/${INSTANCE_ID_FILE}`), `${a.id}\n`);
    a.release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("instance id: another process holding the slot is skipped; its death frees it", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const first = claimInstanceId(dir);
    const id = first.id;
    first.release();
    // A child process holds slot 0 (as a running replica would) until killed.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const f = Deno.openSync(${JSON.stringify(`${dir}/${INSTANCE_ID_FILE}`)}, ` +
        `{ read: true, write: true }); f.lockSync(true); console.log("locked"); ` +
        `setTimeout(() => {}, 60000);`,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // "locked"
    reader.releaseLock();
    const meanwhile = claimInstanceId(dir);
    assertEquals(meanwhile.slot, 1);
    meanwhile.release();
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel();
    const after = claimInstanceId(dir);
    assertEquals([after.slot, after.id], [0, id]);
    after.release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
