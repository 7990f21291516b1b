/**
 * Helpers for the serve tests: a broker with a topic, a kafkajs producer, and WebSocket/SSE
 * readers that collect frames.
 *
 * @module
 */
import { Kafka, logLevel } from "kafkajs";
import { startTestBroker } from "../broker/_harness.ts";

export { startTestBroker };

/** A quiet kafkajs client. */
export function kafka(address: string): Kafka {
  return new Kafka({
    clientId: "sa-serve-test",
    brokers: [address],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 50 },
  });
}

/** A parsed frame. */
// deno-lint-ignore no-explicit-any
export type Frame = Record<string, any>;

/** Polls until `check` holds, failing with `what` after `ms`. */
export async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A WebSocket collecting parsed frames. */
export class WsCollector {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = () => resolve();
      this.ws.onerror = (e) => reject(new Error(`websocket error: ${(e as ErrorEvent).message}`));
    });
    this.closed = new Promise((resolve) => this.ws.addEventListener("close", () => resolve()));
    this.ws.onmessage = (ev) => this.frames.push(JSON.parse(String(ev.data)));
  }
  records(): Frame[] {
    return this.frames.filter((f) => f.type === "record");
  }
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

/** Reads SSE events from a response until `stop` says so; returns them and cancels. */
export async function readSse(
  res: Response,
  stop: (events: { id?: string; event?: string; data: Frame }[]) => boolean,
): Promise<{ id?: string; event?: string; data: Frame }[]> {
  const events: { id?: string; event?: string; data: Frame }[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  try {
    while (!stop(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev: { id?: string; event?: string; data?: Frame } = {};
        for (const line of block.split("\n")) {
          if (line.startsWith("id: ")) ev.id = line.slice(4);
          else if (line.startsWith("event: ")) ev.event = line.slice(7);
          else if (line.startsWith("data: ")) ev.data = JSON.parse(line.slice(6));
        }
        if (ev.data) events.push(ev as { data: Frame });
        if (stop(events)) break;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return events;
}
