/**
 * `sa up` on a copy of a tree's project, for `bench/pipeline.ts`: time to ready, and the
 * process's RSS (broker and every app worker live in that one process) after it ran a while.
 *
 * @module
 */
import { join } from "node:path";
import { num, table } from "./_util.ts";
import { sleep, spawn } from "./_pipeline_proc.ts";
import { demoFile } from "./_pipeline_data.ts";

export async function upReadyAndRss(root: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sa-bench-up-" });
  try {
    await Deno.mkdir(join(dir, "apps"));
    for (const f of ["apps/replay.ts", "apps/normalize.ts", demoFile(root), "sa.yaml"]) {
      await Deno.copyFile(join(root, f), join(dir, f));
    }
    const repo = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
    const imports: Record<string, string> = { "@sa/toolkit": join(root, "mod.ts") };
    for (const [k, v] of Object.entries(repo.imports as Record<string, string>)) {
      if (v.startsWith("npm:")) imports[k] = v;
    }
    await Deno.writeTextFile(
      join(dir, "deno.json"),
      JSON.stringify({ imports, nodeModulesDir: "none", lock: false }),
    );
    const t0 = performance.now();
    const up = spawn(
      Deno.execPath(),
      ["run", "-A", "--unstable-worker-options", join(root, "cli.ts"), "up", "--port", "0"],
      { cwd: dir, env: { NO_COLOR: "1" } },
    );
    const m = await up.waitFor(/ready in (\d+) ms/);
    const wall = performance.now() - t0;
    await up.waitFor(/normalize \| \[\d+,/, 15_000);
    const firstRow = performance.now() - t0;
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      await sleep(500);
      const status = await Deno.readTextFile(`/proc/${up.child.pid}/status`);
      const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kb);
    }
    await up.stop("SIGINT");
    console.log("\n== sa up on this repo's pipeline (replay → normalize, embedded broker)");
    console.log(table(["ready (sa's clock)", "ready (spawn → line)", "first row", "peak RSS"], [[
      `${m[1]} ms`,
      `${num(wall)} ms`,
      `${num(firstRow)} ms`,
      `${num(peak / 1024, 1)} MB`,
    ]]));
    console.log(
      `targets: ready < 2 s ${Number(m[1]) < 2000 ? "met" : "NOT met"}; RSS < 200 MB ${
        peak / 1024 < 200 ? "met" : "NOT met"
      }`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
