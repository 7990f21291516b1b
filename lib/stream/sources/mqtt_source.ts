/**
 * `MqttSource`: subscribes to an MQTT topic (Sensor Logger can push its JSON over MQTT) and
 * produces each message unchanged, keyed by its `sessionId`, like {@link HttpSource}.
 *
 * A small MQTT 3.1.1 subscriber written for this (see `_mqtt_packets.ts`), not an npm client:
 * it must acknowledge a QoS 1 PUBLISH only once Kafka has the message, in the order received
 * (MQTT 3.1.1 §4.6), and it needs six packet types. With QoS 1 and a persistent session
 * (`cleanSession: false`, the default) the MQTT broker keeps messages while the source is
 * down and redelivers unacknowledged ones on reconnect; a failed produce closes the connection
 * to get that redelivery. Redelivered duplicates are dropped by (sessionId, messageId).
 *
 * @module
 */

import { ConfigurationError } from "../errors.ts";
import { Topic } from "../topic.ts";
import { PhoneIngest } from "./_ingest.ts";
import * as mqtt from "./_mqtt_packets.ts";
import type { Source, SourceContext } from "./source.ts";

/**
 * Options of {@link MqttSource}.
 *
 * @example
 * ```ts
 * import type { MqttSourceOptions } from "@sa/toolkit";
 * const options: MqttSourceOptions = { url: "mqtt://127.0.0.1:1883", topic: "sensor-logger" };
 * ```
 */
export interface MqttSourceOptions {
  /** `mqtt://host[:port]` (default port 1883). */
  url: string;
  /** Topic filter to subscribe to (wildcards `+` and `#` allowed). */
  topic: string;
  /** Source name (default `"mqtt"`). */
  name?: string;
  /** Subscription QoS (default 1: acknowledged once Kafka has the message). */
  qos?: 0 | 1;
  /** Client id (default `sa-<name>`); keep it stable for a persistent session. */
  clientId?: string;
  /** Start a fresh session at each connect (default false: the broker queues while down). */
  cleanSession?: boolean;
  /** Credentials. */
  username?: string;
  /** Credentials. */
  password?: string;
  /** Keep-alive in seconds (default 30). */
  keepAliveSeconds?: number;
  /** Key messages by `sessionId` (default) or by the MQTT topic they came on. */
  key?: "sessionId" | "topic";
  /** Largest accepted packet in bytes (default 512 KiB). */
  maxPacketBytes?: number;
  /** How long a (sessionId, messageId) pair is remembered (default 10 minutes). */
  dedupeWindowMs?: number;
}

/**
 * Counters of an {@link MqttSource}.
 *
 * @example
 * ```ts
 * import { MqttSource } from "@sa/toolkit";
 * const s = new MqttSource({ url: "mqtt://127.0.0.1:1883", topic: "phone" });
 * console.log(s.stats.accepted, s.stats.connects);
 * ```
 */
export interface MqttSourceStats {
  /** Messages produced and acknowledged. */
  accepted: number;
  /** Repeated (sessionId, messageId) pairs not produced again. */
  duplicates: number;
  /** Messages that were not JSON objects (acknowledged, not produced). */
  malformed: number;
  /** Successful connections (1 + reconnects). */
  connects: number;
  /** Subscriptions the broker confirmed (one per connection). */
  subscribed: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/**
 * Subscribes to an MQTT broker and produces what arrives.
 *
 * @example Phone messages from MQTT into raw-data
 * ```ts
 * import { Application, HttpSource, MqttSource } from "@sa/toolkit";
 *
 * const app = new Application({ consumerGroup: "mqtt-ingest" });
 * const source = new MqttSource({ url: "mqtt://127.0.0.1:1883", topic: "sensor-logger" });
 * app.addSource(source, HttpSource.topic(app, "raw-data"));
 * const stop = new AbortController();
 * setTimeout(() => stop.abort(), 5000);
 * await app.run({ signal: stop.signal });
 * ```
 */
export class MqttSource implements Source {
  /** The source name. */
  readonly name: string;
  /** Counters. */
  readonly stats: MqttSourceStats = {
    accepted: 0,
    duplicates: 0,
    malformed: 0,
    connects: 0,
    subscribed: 0,
  };
  readonly #o: MqttSourceOptions;
  readonly #host: string;
  readonly #port: number;
  readonly #ingest: PhoneIngest;

  /** Checks the options; connects when the app starts. */
  constructor(options: MqttSourceOptions) {
    this.#o = options;
    this.name = options.name ?? "mqtt";
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new ConfigurationError(`MqttSource: url "${options.url}" is not a URL`);
    }
    if (url.protocol !== "mqtt:" && url.protocol !== "tcp:") {
      throw new ConfigurationError(
        `MqttSource: url must be mqtt://host:port (TLS and websockets are not supported), got ${options.url}`,
      );
    }
    if (!options.topic) throw new ConfigurationError("MqttSource: topic is required");
    this.#host = url.hostname.replace(/^\[|\]$/g, "");
    this.#port = url.port ? Number(url.port) : 1883;
    this.#ingest = new PhoneIngest(this.stats, options.dedupeWindowMs ?? 600_000, 100_000);
  }

  /** A topic `source__<name>` with bytes values read back as JSON. */
  defaultTopic(): Topic {
    return new Topic(`source__${this.name}`, {
      keySerializer: "string",
      valueSerializer: "bytes",
      valueDeserializer: "json",
    });
  }

  /** Connects, subscribes and produces until the app stops; reconnects with backoff. */
  async run(ctx: SourceContext): Promise<void> {
    let delay = 500;
    while (!ctx.signal.aborted) {
      const before = this.stats.connects;
      try {
        await this.#session(ctx);
      } catch (e) {
        if (ctx.signal.aborted) break;
        if (this.stats.connects > before) delay = 500;
        ctx.log(
          "WARN",
          `MQTT broker ${this.#host}:${this.#port}: ${
            (e as Error).message
          }; reconnecting in ${delay} ms`,
        );
        await sleep(delay, ctx.signal);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  async #session(ctx: SourceContext): Promise<void> {
    const o = this.#o;
    const qos = o.qos ?? 1;
    const keepAlive = o.keepAliveSeconds ?? 30;
    const conn = await Deno.connect({ hostname: this.#host, port: this.#port });
    let writing: Promise<unknown> = Promise.resolve();
    const send = (bytes: Uint8Array) =>
      writing = writing.then(async () => {
        for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
      });
    let acks: Promise<void> = Promise.resolve();
    const onAbort = () => {
      // Acknowledge what Kafka already has (else the broker redelivers it), then DISCONNECT,
      // so the broker does not treat the close as a failure.
      acks.then(() => send(mqtt.DISCONNECT)).catch(() => {}).finally(() => {
        try {
          conn.close();
        } catch { /* closed */ }
      });
    };
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    let lastHeard = Date.now();
    const ping = setInterval(() => {
      if (Date.now() - lastHeard > keepAlive * 1500) {
        try {
          conn.close(); // the broker went silent: reconnect
        } catch { /* closed */ }
        return;
      }
      send(mqtt.PINGREQ).catch(() => {});
    }, (keepAlive * 1000) / 2);
    let failure: Error | null = null;
    try {
      await send(mqtt.connect({
        clientId: o.clientId ?? `sa-${this.name}`,
        cleanSession: o.cleanSession ?? false,
        keepAliveSeconds: keepAlive,
        username: o.username,
        password: o.password,
      }));
      const reader = new mqtt.PacketReader(o.maxPacketBytes ?? 512 * 1024);
      let state: "connecting" | "subscribing" | "ready" = "connecting";
      for await (const chunk of conn.readable) {
        lastHeard = Date.now();
        for (const p of reader.push(chunk)) {
          if (state === "connecting") {
            if (p.type !== mqtt.Type.CONNACK) {
              throw new Error(`expected CONNACK, got type ${p.type}`);
            }
            const rc = p.body[1];
            if (rc !== 0) {
              throw new Error(`connection refused: ${CONNACK_CODES[rc] ?? `code ${rc}`}`);
            }
            this.stats.connects++;
            state = "subscribing";
            await send(mqtt.subscribe(1, o.topic, qos));
          } else if (p.type === mqtt.Type.SUBACK && state === "subscribing") {
            if (p.body[2] === 0x80) throw new Error(`subscription to "${o.topic}" refused`);
            state = "ready";
            this.stats.subscribed++;
            ctx.log("INFO", `subscribed to "${o.topic}" at ${this.#host}:${this.#port}`);
          } else if (p.type === mqtt.Type.PUBLISH) {
            const pub = mqtt.parsePublish(p);
            const result = this.#ingest.ingest(
              ctx,
              pub.payload,
              o.key === "topic" ? pub.topic : undefined,
            );
            // PUBACKs go out in the order the PUBLISHes came, each after its own produce.
            acks = acks.then(async () => {
              const r = await result;
              if (!r.ok && r.status === 499) {
                ctx.log("WARN", `dropped a message on ${pub.topic}: ${r.error}`);
              } else if (!r.ok) {
                failure ??= new Error(r.error);
                conn.close(); // no PUBACK: the broker redelivers after the reconnect
                return;
              }
              if (pub.qos === 1 && failure === null) await send(mqtt.puback(pub.packetId));
            }).catch(() => {});
          }
        }
      }
      if (failure) throw failure;
      if (!ctx.signal.aborted) throw new Error("connection closed");
    } catch (e) {
      if (ctx.signal.aborted) return;
      throw failure ?? e;
    } finally {
      clearInterval(ping);
      ctx.signal.removeEventListener("abort", onAbort);
      await acks;
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }
}

const CONNACK_CODES: Record<number, string> = {
  1: "unacceptable protocol version",
  2: "client id rejected",
  3: "server unavailable",
  4: "bad user name or password",
  5: "not authorized",
};
