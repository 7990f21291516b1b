/**
 * Address helpers of the ingestion sources: loopback detection and the LAN URLs a phone can
 * reach a server on.
 *
 * @module
 */
import { lanAddresses } from "../../util/lan.ts";

/** True for addresses only this machine can reach. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** True for wildcard binds (every interface). */
export function isWildcard(hostname: string): boolean {
  return hostname === "0.0.0.0" || hostname === "::" || hostname === "[::]";
}

/**
 * Host names clients on the LAN can use for a server bound to `hostname`: the machine's IPv4
 * addresses for a wildcard bind, else `hostname` itself. A sandboxed app may not read the
 * interfaces: `sa run` and `sa up` then pass them in `SA_LAN_ADDRESSES`.
 */
export function reachableHosts(hostname: string): string[] {
  if (!isWildcard(hostname)) return [hostname.includes(":") ? `[${hostname}]` : hostname];
  try {
    const hosts = lanAddresses();
    if (hosts.length) return hosts;
  } catch {
    // Granted by the sandbox (RUNTIME_ENV_NAMES); read here without the Kafka client's module.
    let given: string[] | undefined;
    try {
      given = Deno.env.get("SA_LAN_ADDRESSES")?.split(",").map((h) => h.trim()).filter(Boolean);
    } catch { /* not granted */ }
    if (given?.length) return given;
  }
  return ["<this computer's LAN address>"];
}

/** Compares two tokens in time independent of where they differ. */
export function sameToken(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  return diff === 0;
}
