// The demo recording a tree carries, for bench:pipeline. Copied into a --baseline-ref tree with
// the other per-tree scripts, so it imports nothing of the tree it runs in.

import { join } from "node:path";

/** The demo recording of a tree: at the top level, or in apps/ in trees before it moved. */
export function demoFile(root: string): string {
  for (const f of ["demo_stream.json", "apps/demo_stream.json"]) {
    try {
      Deno.statSync(join(root, f));
      return f;
    } catch { /* not in this tree */ }
  }
  throw new Error(`${root}: no demo_stream.json`);
}

export async function demoLines(root: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(root, demoFile(root)));
  return text.split("\n").filter((l) => l.trim());
}
