import assert from "node:assert/strict";
import { join } from "node:path";
import { claimInstanceSlot, instanceHome } from "../../lib/runner/instance_id.ts";

Deno.test("claimInstanceSlot: lowest free slot; a dead run's slot is taken over; released slots are reused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = claimInstanceSlot(dir, "app");
    const b = claimInstanceSlot(dir, "app");
    assert.equal(a.id, `app/run-1@${instanceHome(dir)}`);
    assert.equal(b.id, `app/run-2@${instanceHome(dir)}`);
    a.release();
    assert.equal(claimInstanceSlot(dir, "app").id, `app/run-1@${instanceHome(dir)}`);
    // A slot held by a process that no longer exists (kill -9) is taken over.
    const dead = new Deno.Command("true").spawn();
    const { success } = await dead.status;
    assert.ok(success);
    await Deno.writeTextFile(join(dir, "instance-3.pid"), String(dead.pid));
    assert.equal(claimInstanceSlot(dir, "app").id, `app/run-3@${instanceHome(dir)}`);
    // Another folder (another project) never yields the same ids.
    const other = await Deno.makeTempDir();
    try {
      assert.notEqual(claimInstanceSlot(other, "app").id, `app/run-1@${instanceHome(dir)}`);
    } finally {
      await Deno.remove(other, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
