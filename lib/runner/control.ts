/**
 * The control channel of a running `sa up`: a Unix socket at `.sa/control.sock` taking one
 * JSON request per connection (`{"action":"stop","deployment":"normalize"}`) and answering
 * one JSON line (`{"ok":true,"message":"stopped normalize"}`). `sa stop|start|restart`
 * use it to act on one deployment while the rest runs.
 *
 * @module
 */
import { join } from "node:path";
import type { SaPaths } from "./project_state.ts";

/** What a client asks. */
export interface ControlRequest {
  action: "stop" | "start" | "restart";
  deployment: string;
}

/** What `sa up` answers. */
export interface ControlResponse {
  ok: boolean;
  message: string;
}

/** The socket path of the project's `sa up`. */
export function controlPath(paths: SaPaths): string {
  return join(paths.root, "control.sock");
}

const enc = new TextEncoder();
const dec = new TextDecoder();

async function readLine(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(4096);
  let text = "";
  while (!text.includes("\n")) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += dec.decode(buf.subarray(0, n), { stream: true });
    if (text.length > 65536) break;
  }
  return text.split("\n")[0];
}

async function writeAll(conn: Deno.Conn, text: string): Promise<void> {
  const b = enc.encode(text);
  let off = 0;
  while (off < b.length) off += await conn.write(b.subarray(off));
}

/** Serves requests until `close()`; a stale socket file from a killed run is replaced. */
export function serveControl(
  path: string,
  handle: (req: ControlRequest) => Promise<ControlResponse>,
): { close(): void } {
  try {
    Deno.removeSync(path);
  } catch { /* none */ }
  const listener = Deno.listen({ transport: "unix", path });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        try {
          let res: ControlResponse;
          try {
            const req = JSON.parse(await readLine(conn)) as ControlRequest;
            if (!["stop", "start", "restart"].includes(req?.action)) {
              res = { ok: false, message: `unknown action "${req?.action}"` };
            } else res = await handle(req);
          } catch (err) {
            res = { ok: false, message: err instanceof Error ? err.message : String(err) };
          }
          await writeAll(conn, JSON.stringify(res) + "\n");
        } catch {
          /* the client went away */
        } finally {
          try {
            conn.close();
          } catch { /* closed */ }
        }
      })();
    }
  })().catch(() => {});
  return {
    close() {
      try {
        listener.close();
      } catch { /* closed */ }
      try {
        Deno.removeSync(path);
      } catch { /* gone */ }
    },
  };
}

/** Sends one request; null when no `sa up` listens there. */
export async function sendControl(
  path: string,
  req: ControlRequest,
): Promise<ControlResponse | null> {
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch {
    return null;
  }
  try {
    await writeAll(conn, JSON.stringify(req) + "\n");
    const line = await readLine(conn);
    return line ? JSON.parse(line) as ControlResponse : null;
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}
