/**
 * bench:ep3 helper: runs apps/gateway.ts in its own process (variables as JSON in argv[0],
 * the broker from SA_BROKER), so the load generator never shares its event loop.
 */
import gateway from "../apps/gateway.ts";

await gateway.main(JSON.parse(Deno.args[0]), new AbortController().signal);
