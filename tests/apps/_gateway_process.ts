/**
 * Runs apps/gateway.ts as its own process for the kill -9 test: variables come as JSON in
 * argv[0], the broker from SA_BROKER.
 */
import gateway from "../../apps/gateway.ts";

const stop = new AbortController();
await gateway.main(JSON.parse(Deno.args[0]), stop.signal);
