/**
 * Availability checks for the real Kafka clients (Debian packages) that conformance tests drive.
 *
 * On a developer machine a missing client skips the test with a printed reason; in CI
 * (`SA_REQUIRE_CLIENTS=1`) a missing client is a failure, so the suite cannot go green
 * without actually exercising kcat, confluent-kafka and kafka-python.
 *
 * @module
 */

/** The clients the conformance tests know how to find. */
export type ClientName = "kcat" | "confluent-kafka" | "kafka-python";

/** Debian's python3: the pyenv `python3` on PATH lacks the Debian client modules. */
export const PYTHON = "/usr/bin/python3";

const cache = new Map<ClientName, string | null>();

async function probe(cmd: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    if (out.success) return null;
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? "";
    return `\`${cmd} ${args.join(" ")}\` exited with ${out.code}: ${err}`;
  } catch (e) {
    return `\`${cmd}\` cannot run: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Why `name` is unavailable, or null when it can be used. */
export async function clientMissingReason(name: ClientName): Promise<string | null> {
  if (cache.has(name)) return cache.get(name)!;
  let reason: string | null;
  switch (name) {
    case "kcat":
      reason = await probe("kcat", ["-V"]);
      break;
    case "confluent-kafka":
      reason = await probe(PYTHON, ["-c", "import confluent_kafka"]);
      break;
    case "kafka-python":
      reason = await probe(PYTHON, ["-c", "import kafka"]);
      break;
  }
  cache.set(name, reason);
  return reason;
}

/**
 * Whether client `name` is available. When it is not: prints the skip reason and returns
 * false, or throws when the environment variable `SA_REQUIRE_CLIENTS=1` (CI) is set.
 */
export async function requireClient(name: ClientName): Promise<boolean> {
  const reason = await clientMissingReason(name);
  if (reason === null) return true;
  if (Deno.env.get("SA_REQUIRE_CLIENTS") === "1") {
    throw new Error(`client ${name} is required (SA_REQUIRE_CLIENTS=1) but missing: ${reason}`);
  }
  console.log(`SKIP: client ${name} not available: ${reason}`);
  return false;
}
