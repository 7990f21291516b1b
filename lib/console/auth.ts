/**
 * Who may use the console. On 127.0.0.1 (the default) anyone on this machine may; on any
 * other host a token printed at start is required for everything (read or write): as
 * `Authorization: Bearer <token>`, or once as `?token=` on the page, which sets a
 * same-site, http-only cookie. Writes (and the live-tail socket) refuse cross-origin requests,
 * so another web site open in the same browser cannot act on the console. The Host header is
 * checked on a loopback console, against DNS rebinding. `--read-only` refuses every write.
 *
 * @module
 */

/** Security settings of a running console. */
export interface Security {
  /** Required when set. */
  token: string | null;
  readOnly: boolean;
  /** True when bound to a loopback address. */
  loopback: boolean;
}

/** Cookie that carries the token after `?token=`. */
export const TOKEN_COOKIE = "sa_console_token";

/** A random token. */
export function newToken(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(18)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** True for loopback host names and addresses. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\./.test(host);
}

const WRITE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function json(status: number, error: string): Response {
  return Response.json({ error }, { status });
}

function cookieToken(req: Request): string | null {
  const c = req.headers.get("cookie") ?? "";
  for (const part of c.split(";")) {
    const [k, v] = part.trim().split("=");
    if (k === TOKEN_COOKIE) return v ?? null;
  }
  return null;
}

function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

/**
 * Checks a request; a Response to send instead when it is refused, else null. `isWrite`
 * marks requests that change something (the live-tail upgrade counts as one for the origin
 * check: a WebSocket is not bound by the same-origin policy).
 */
export function check(req: Request, url: URL, sec: Security, isSocket = false): Response | null {
  const host = req.headers.get("host") ?? "";
  const hostname = host.replace(/:\d+$/, "");
  if (sec.loopback && !isLoopback(hostname)) {
    return json(403, `refused: Host "${host}" is not this machine's console`);
  }
  if (sec.token) {
    const auth = req.headers.get("authorization") ?? "";
    const given = auth.startsWith("Bearer ")
      ? auth.slice(7)
      : cookieToken(req) ?? url.searchParams.get("token");
    if (!given || !sameString(given, sec.token)) {
      return json(401, "a token is required: open the URL the console printed at start");
    }
  }
  const write = WRITE.has(req.method);
  if (write || isSocket) {
    const origin = req.headers.get("origin");
    const site = req.headers.get("sec-fetch-site");
    if ((origin && origin !== `${url.protocol}//${host}`) || site === "cross-site") {
      return json(403, `refused: cross-origin ${isSocket ? "socket" : "write"} from ${origin}`);
    }
  }
  if (write && sec.readOnly) return json(403, "refused: the console is read-only");
  return null;
}
