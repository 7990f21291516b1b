// `deno task stress:eos [--runs N]`: the exactly-once scenario of
// tests/stream/integration/_eos_scenario.ts run N times (default 50), each with a fresh
// broker: two replicas, the second starting 1–2 s after the first, leaving and rejoining.
// Prints each run's duplicates and losses, then the totals; exits 1 when any run had one.
import { runEosScenario } from "../tests/stream/integration/_eos_scenario.ts";

function argNumber(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(Deno.args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`${name} must be a positive integer, got ${JSON.stringify(Deno.args[i + 1])}`);
    Deno.exit(2);
  }
  return v;
}

const runs = argNumber("--runs", 50);
let duplicates = 0;
let losses = 0;
let failedRuns = 0;
for (let run = 1; run <= runs; run++) {
  // Staggered starts around 1.5 s (the case that duplicated rows 5 times in 6), and on odd
  // runs the second replica also leaves and rejoins (two more rebalances).
  const secondStartsAt = 1000 + Math.floor(Math.random() * 1000);
  const leaves = run % 2 === 1;
  const t0 = performance.now();
  const r = await runEosScenario({
    secondStartsAt,
    secondLeavesAt: leaves ? secondStartsAt + 1500 : undefined,
    produceFor: leaves ? secondStartsAt + 3500 : secondStartsAt + 2500,
  });
  duplicates += r.duplicates;
  losses += r.losses;
  if (r.duplicates > 0 || r.losses > 0 || r.errors.length > 0) failedRuns++;
  console.log(
    `run ${run}/${runs}: second at ${secondStartsAt} ms${leaves ? ", leaves and rejoins" : ""}; ` +
      `${r.produced} in, ${r.read} out, ${r.duplicates} duplicates, ${r.losses} losses` +
      (r.errors.length ? `, errors: ${r.errors.join("; ")}` : "") +
      ` (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
}
console.log(
  `stress:eos: ${runs} runs, ${duplicates} duplicates, ${losses} losses, ${failedRuns} failed runs`,
);
if (failedRuns > 0) Deno.exit(1);
