/**
 * A stable `group.instance.id` for each `sa run` of an app (static membership, KIP-345),
 * `<app>/run-<n>@<host>/<folder hash>` for the lowest free slot `n` among the runs of the app
 * alive now, recorded as
 * `instance-<n>.pid` in the app's state folder. A run killed with -9 leaves its file behind;
 * the next run finds its pid dead, takes the same slot, and so gets its partitions back
 * without waiting for the old session to time out. Two runs alive together get two slots.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { isAlive } from "./project_state.ts";

/** A claimed slot: its instance id, and how to give it back. */
export interface InstanceSlot {
  id: string;
  release(): void;
}

/** This machine's name (ids must not collide between machines sharing a cluster). */
export function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/**
 * `<host>/<8 hex digits of the folder's path>`: where a replica runs. Two projects on one
 * machine (or one machine and another) never give the same app the same instance id; two
 * live members with one id would fence each other.
 */
export function instanceHome(dir: string): string {
  let h = 0x811c9dc5; // FNV-1a
  for (const c of resolve(dir)) {
    h ^= c.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${hostname()}/${h.toString(16).padStart(8, "0")}`;
}

/** Claims the lowest free slot for `name` in `dir` (atomic: files created with createNew). */
export function claimInstanceSlot(dir: string, name: string): InstanceSlot {
  for (let n = 1;; n++) {
    const file = join(dir, `instance-${n}.pid`);
    try {
      Deno.writeTextFileSync(file, String(Deno.pid), { createNew: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      const pid = Number(Deno.readTextFileSync(file).trim());
      if (pid > 0 && isAlive(pid)) continue;
      // Left by a run that died: take it over (a racing run may win; then try the next one).
      Deno.removeSync(file);
      n--;
      continue;
    }
    return {
      id: `${name}/run-${n}@${instanceHome(dir)}`,
      release: () => {
        try {
          if (Deno.readTextFileSync(file).trim() === String(Deno.pid)) Deno.removeSync(file);
        } catch { /* already gone */ }
      },
    };
  }
}
