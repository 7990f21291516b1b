/**
 * A real MQTT broker (Debian's `mosquitto`) for tests, on 127.0.0.1 and a free port with a
 * temp config, stopped by its pid; and a minimal QoS 1 publisher playing the phone.
 */
import * as mqtt from "../../../lib/stream/sources/_mqtt_packets.ts";
import { freePort, requireService, startService } from "../../_services.ts";

/** True when mosquitto is installed; else skips the test, or fails it in CI. */
export function requireMosquitto(): boolean {
  return requireService("mosquitto", "/usr/sbin/mosquitto", "/usr/bin/mosquitto");
}

/** A running mosquitto. */
export interface Mosquitto {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts mosquitto and waits until it accepts connections. */
export async function startMosquitto(): Promise<Mosquitto> {
  const dir = await Deno.makeTempDir({ prefix: "sa-mosquitto-" });
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/mosquitto.conf`,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\n`,
  );
  const service = await startService(
    "mosquitto",
    ["-c", `${dir}/mosquitto.conf`],
    dir,
    async () => {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return true;
    },
  );
  return { url: `mqtt://127.0.0.1:${port}`, port, close: service.close };
}

/** Publishes `messages` to `topic` with QoS 1 and waits for every PUBACK. */
export async function publishAll(port: number, topic: string, messages: string[]): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const write = async (b: Uint8Array) => {
    for (let at = 0; at < b.length;) at += await conn.write(b.subarray(at));
  };
  const reader = new mqtt.PacketReader(1 << 20);
  const it = conn.readable[Symbol.asyncIterator]();
  const next = async (): Promise<mqtt.Packet[]> => {
    const r = await it.next();
    if (r.done) throw new Error("mosquitto closed the connection");
    return reader.push(r.value);
  };
  try {
    await write(
      mqtt.connect({
        clientId: `phone-${crypto.randomUUID()}`,
        cleanSession: true,
        keepAliveSeconds: 60,
      }),
    );
    let got = await next();
    while (got.length === 0) got = await next();
    if (got[0].type !== mqtt.Type.CONNACK || got[0].body[1] !== 0) {
      throw new Error("CONNACK refused");
    }
    const enc = new TextEncoder();
    let acked = 0;
    const window = 50;
    let sent = 0;
    while (acked < messages.length) {
      while (sent < messages.length && sent - acked < window) {
        await write(mqtt.publish(topic, enc.encode(messages[sent]), 1, (sent % 65535) + 1));
        sent++;
      }
      for (const p of await next()) if (p.type === mqtt.Type.PUBACK) acked++;
    }
    await write(mqtt.DISCONNECT);
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}
