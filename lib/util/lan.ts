/**
 * This machine's LAN addresses, for servers that print the URL a phone should use.
 *
 * @module
 */

/** Non-loopback IPv4 addresses of this machine; throws where the interfaces may not be read. */
export function lanAddresses(): string[] {
  return [
    ...new Set(
      Deno.networkInterfaces()
        .filter((i) => i.family === "IPv4" && !i.address.startsWith("127."))
        .map((i) => i.address),
    ),
  ];
}
