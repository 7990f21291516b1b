/**
 * Shared helpers for the `bench/` scripts: percentiles, rates, a plain-text table, a disk
 * bandwidth probe and a runner for helper subprocesses that print one JSON line.
 *
 * @module
 */

/** The p-th percentile (0–100) of `values` by nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Formats a number with a fixed count of decimals and thousands separators. */
export function num(n: number, decimals = 0): string {
  if (!Number.isFinite(n)) return "-";
  return n.toLocaleString("en-US", {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

/** Bytes per second as MB/s (10^6, like dd). */
export function mbps(bytes: number, seconds: number): number {
  return bytes / seconds / 1e6;
}

/** Renders rows as an aligned plain-text table; numeric-looking cells are right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = /^[-+]?[\d,.]+( ?[%x])?$|^-$/;
  const line = (cells: string[]) =>
    cells.map((c, i) => numeric.test(c) ? c.padStart(widths[i]) : c.padEnd(widths[i])).join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * Sequential write bandwidth of the filesystem holding `dir`, in bytes/s:
 * `dd if=/dev/zero of=<dir>/dd.bench bs=1M count=<mib> conv=fdatasync`.
 */
export async function diskWriteBandwidth(dir: string, mib = 512): Promise<number> {
  const file = `${dir}/dd.bench`;
  const started = performance.now();
  const out = await new Deno.Command("dd", {
    args: ["if=/dev/zero", `of=${file}`, "bs=1M", `count=${mib}`, "conv=fdatasync"],
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  await Deno.remove(file).catch(() => {});
  if (!out.success) {
    throw new Error(`dd failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  // dd's own figure excludes process start-up; prefer it when present.
  const m = new TextDecoder().decode(out.stderr).match(/(\d+) bytes .* copied, ([\d.]+) s/);
  return m ? Number(m[1]) / Number(m[2]) : (mib * 1024 * 1024) / seconds;
}

/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat
 * (NaN where there is no /proc). Unlike rates, CPU per unit of work barely moves when other
 * jobs load the machine.
 */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100/s on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Runs a command that prints one JSON object as its last stdout line; throws with its stderr. */
export async function runJson<T>(cmd: string, args: string[], timeoutMs = 600_000): Promise<T> {
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  const stdout = dec.decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${out.code}:\n${stdout}\n${dec.decode(out.stderr)}`,
    );
  }
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}
