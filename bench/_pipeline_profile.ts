/**
 * Summarises V8 CPU profiles (`--cpu-prof` output) by self time: per function and per file,
 * in µs per message when the message count is known. Used by `bench/pipeline.ts
 * --profile-summary <dir|file> [--messages N]`.
 *
 * @module
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const SPECIAL = new Set(["(garbage collector)", "(idle)", "(program)", "(root)"]);

/**
 * Self time in µs by key, from one profile (sample deltas attributed to their node). Native
 * functions without a script (ops, builtins) are charged to their nearest scripted caller,
 * so the time a library spends in e.g. `op_encoding_decode_utf8` counts as that library's.
 */
function selfTimes(p: Profile, keyOf: (n: ProfileNode) => string): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, ProfileNode>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const owner = (n: ProfileNode): ProfileNode => {
    let at: ProfileNode | undefined = n;
    while (at && !at.callFrame.url && !SPECIAL.has(at.callFrame.functionName)) {
      at = parent.get(at.id);
    }
    return at ?? n;
  };
  const out = new Map<string, number>();
  const samples = p.samples ?? [], deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]);
    if (!node) continue;
    const k = keyOf(owner(node));
    out.set(k, (out.get(k) ?? 0) + (deltas[i + 1] ?? 0));
  }
  return out;
}

/** A short file name: the path below the repo or the npm package, else the URL. */
export function shortFile(url: string): string {
  if (!url) return "(native/V8)";
  const npm = /\/npm\/registry\.npmjs\.org\/([^/]+)\/[^/]+\/(.*)$/.exec(url);
  if (npm) return `npm:${npm[1]}/${npm[2]}`;
  const lib = /\/((?:lib|bench|apps)\/.*)$/.exec(url);
  if (lib) return lib[1];
  return url.replace(/^.*\/ext\//, "ext:");
}

/** The part of the process a file belongs to, for the per-area table. */
export function areaOf(file: string): string {
  if (SPECIAL.has(file)) return file === "(garbage collector)" ? "GC" : "V8 (program, idle)";
  if (file.startsWith("npm:kafkajs/")) return "kafkajs";
  if (file.startsWith("npm:")) return "other npm";
  if (file.startsWith("ext:deno_node/") || file.startsWith("node:")) {
    return "Deno's Node compat (Buffer, timers, net; kafkajs's callers mostly)";
  }
  if (file.startsWith("ext:")) return "Deno runtime (ops, timers, encoding)";
  if (file === "lib/stream/_run_loop.ts" || file.startsWith("lib/stream/kafka/")) {
    return "runtime: run loop and Kafka glue";
  }
  if (file.startsWith("lib/")) return "runtime: dataframe, serializers, topic, state";
  if (file.startsWith("apps/") || file.startsWith("bench/")) return "the app's own work";
  return "other";
}

/** Self time per function and per file of every profile, as text tables. */
export async function summariseProfiles(
  paths: string[],
  messages: number,
  top = 30,
): Promise<string> {
  const fn = new Map<string, number>(), file = new Map<string, number>();
  let total = 0;
  for (const path of paths) {
    const p = JSON.parse(await Deno.readTextFile(path)) as Profile;
    const add = (into: Map<string, number>, from: Map<string, number>) => {
      for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
    };
    add(
      fn,
      selfTimes(
        p,
        (n) =>
          `${n.callFrame.functionName || "(anonymous)"} ${shortFile(n.callFrame.url)}:${
            n.callFrame.lineNumber + 1
          }`,
      ),
    );
    const files = selfTimes(p, (n) => {
      const f = n.callFrame.functionName;
      if (f === "(garbage collector)" || f === "(idle)" || f === "(program)") return f;
      return shortFile(n.callFrame.url);
    });
    add(file, files);
  }
  const area = new Map<string, number>();
  for (const [k, v] of file) area.set(areaOf(k), (area.get(areaOf(k)) ?? 0) + v);
  for (const [k, v] of file) if (k !== "(idle)") total += v;
  const per = (us: number) =>
    messages > 0 ? `${(us / messages / paths.length).toFixed(2)} µs/msg` : "";
  const render = (m: Map<string, number>, title: string) => {
    const rows = [...m].filter(([k]) => !k.startsWith("(idle)") && !k.startsWith("V8 (")).sort((
      a,
      b,
    ) => b[1] - a[1])
      .slice(0, top);
    return [
      `-- self time by ${title} (of ${(total / 1000).toFixed(0)} ms busy${
        messages > 0 ? `, ${per(total)}` : ""
      })`,
      ...rows.map(([k, v]) =>
        `${(100 * v / total).toFixed(1).padStart(5)}%  ${per(v).padStart(14)}  ${k}`
      ),
    ].join("\n");
  };
  return `${render(area, "area")}\n\n${render(file, "file")}\n\n${render(fn, "function")}`;
}

/** The `.cpuprofile` files at `path` (a file, or every one in a directory). */
export async function profileFiles(path: string): Promise<string[]> {
  const st = await Deno.stat(path);
  if (st.isFile) return [path];
  const out: string[] = [];
  for await (const e of Deno.readDir(path)) {
    if (e.name.endsWith(".cpuprofile")) out.push(`${path}/${e.name}`);
  }
  return out.sort();
}
