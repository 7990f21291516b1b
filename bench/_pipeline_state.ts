/**
 * `bench:state`'s app figures for `bench/pipeline.ts`: runs a tree's own `bench/state.ts
 * --only apps` (its own broker subprocess) and reads the rates from its table.
 *
 * @module
 */
import { join } from "node:path";

/** Processed msgs/s of each pipeline of bench:state. */
export interface StateFigures {
  stateless: number;
  windowed: number;
  windowedEos: number;
}

const num = (s: string | undefined) => s === undefined ? NaN : Number(s.replaceAll(",", ""));

/** Reads the rates from bench:state's apps table (one line per pipeline). */
export function parseStateOutput(text: string): StateFigures {
  const rate = (label: string) => num(new RegExp(`^${label}\\s+([\\d,]+)`, "m").exec(text)?.[1]);
  const out = {
    stateless: rate("stateless apply → toTopic"),
    windowed: rate("1 s tumbling agg, sqlite \\+ changelog"),
    windowedEos: rate("same, exactly-once"),
  };
  if (!Object.values(out).every(Number.isFinite)) {
    throw new Error(`bench:state printed no apps table:\n${text}`);
  }
  return out;
}

/** `bench/state.ts --only apps --messages N` of the tree at `root`, with `env` added. */
export async function stateFigures(
  root: string,
  messages: number,
  env: Record<string, string>,
): Promise<StateFigures> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-worker-options",
      "--config",
      join(root, "deno.json"),
      join(root, "bench/state.ts"),
      "--only",
      "apps",
      "--messages",
      String(messages),
    ],
    cwd: root,
    env,
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`bench:state in ${root} failed:\n${dec.decode(out.stderr)}`);
  }
  return parseStateOutput(dec.decode(out.stdout));
}
