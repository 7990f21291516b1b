/**
 * A small tmpfs for full-disk tests, and a filler that takes all of its free space.
 *
 * Mounting needs root (the tests run as root, CI too); where it is not allowed the test is
 * skipped with the reason printed.
 *
 * @module
 */

/** Runs `fn` with a fresh tmpfs of `sizeKiB` mounted at a temp dir; skips when not allowed. */
export async function withTmpfs(
  name: string,
  sizeKiB: number,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sa-tmpfs-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${sizeKiB}k`, "tmpfs", dir],
    stdout: "null",
    stderr: "piped",
  }).output().catch((e: Error) => ({
    success: false,
    stderr: new TextEncoder().encode(e.message),
  }));
  if (!mount.success) {
    await Deno.remove(dir).catch(() => {});
    const why = new TextDecoder().decode(mount.stderr).trim();
    console.log(`SKIPPED ${name}: cannot mount a tmpfs (${why || "mount failed"})`);
    return;
  }
  try {
    await fn(dir);
  } finally {
    // Lazy, so files a failed test left open never keep the mount behind.
    const umount = await new Deno.Command("umount", { args: ["-l", dir] }).output();
    if (umount.success) await Deno.remove(dir);
    else console.error(`umount ${dir} failed`);
  }
}

/** Fills the file system holding `dir` to the last byte; returns a function freeing it. */
export async function fillDisk(dir: string): Promise<{ free(bytes?: number): Promise<void> }> {
  const path = `${dir}/filler`;
  const f = await Deno.open(path, { create: true, write: true, append: true });
  const block = new Uint8Array(4096);
  let size = 0;
  try {
    for (;;) size += await f.write(block);
  } catch (e) {
    if (!(e instanceof Error) || !/space/i.test(e.message)) throw e;
  }
  // A last partial page may still fit.
  try {
    for (;;) {
      const n = await f.write(block.subarray(0, 1));
      if (n === 0) break;
      size += n;
    }
  } catch { /* full */ }
  f.close();
  return {
    /** Frees `bytes` (all when omitted). */
    async free(bytes?: number) {
      if (bytes === undefined) await Deno.remove(path);
      else await Deno.truncate(path, Math.max(0, size -= bytes));
    },
  };
}
