/**
 * gateway (episode 3): receives Sensor Logger's HTTP push (and WebSocket clients) and produces
 * every message unchanged to `output`, keyed by its `sessionId`. A 200 means the broker has
 * the message. It replaces the replay app when a real phone records.
 *
 * Variables: `output` (topic), `host` (interface; `0.0.0.0` lets phones on the LAN reach it),
 * `port`, `token` (required unless `host` is loopback; when empty, one is generated once and
 * kept in the app's state folder, so the phone's URL stays valid across restarts), and
 * `mqtt_url`/`mqtt_topic` to also subscribe to an MQTT broker the phone pushes to.
 *
 * Under `sa run`/`sa up` the deployment must allow the listening address (and the MQTT
 * broker), e.g. `allowNet: ["0.0.0.0:8000", "127.0.0.1:1883"]`.
 *
 * @module
 */
import { Application, defineApp, HttpSource, MqttSource } from "@sa/toolkit";

/** Parses the `port` variable. */
export function parsePort(value: string | undefined): number {
  const port = Number(value ?? "8000");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`variable port must be a port number (0-65535), not "${value}"`);
  }
  return port;
}

/** The token file's token, or a new one saved there. */
export async function keptToken(file: string): Promise<string> {
  try {
    const token = (await Deno.readTextFile(file)).trim();
    if (token) return token;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(file, token + "\n");
  return token;
}

export default defineApp({
  name: "gateway",
  description: "HTTP/WebSocket gateway for Sensor Logger's push: messages to a topic",
  variables: [
    {
      name: "output",
      inputType: "OutputTopic",
      description: "Topic the phone messages are produced to",
      defaultValue: "raw-data",
      required: true,
    },
    {
      name: "host",
      inputType: "FreeText",
      description: "Interface to listen on (0.0.0.0: reachable from phones on the LAN)",
      defaultValue: "0.0.0.0",
    },
    {
      name: "port",
      inputType: "FreeText",
      description: "Port to listen on",
      defaultValue: "8000",
    },
    {
      name: "token",
      inputType: "Secret",
      description: "Token the phone puts in the URL (empty: generated once and kept)",
      required: false,
    },
    {
      name: "mqtt_url",
      inputType: "FreeText",
      description:
        "Also subscribe to this MQTT broker, e.g. mqtt://127.0.0.1:1883 (empty: no MQTT)",
    },
    {
      name: "mqtt_topic",
      inputType: "FreeText",
      description: "MQTT topic Sensor Logger publishes to",
      defaultValue: "sensor-logger",
    },
  ],
  async main(vars, signal) {
    const host = vars.host || "0.0.0.0";
    const port = parsePort(vars.port);
    const stateDir = Deno.env.get("SA_STATE_DIR") ?? ".sa/state/gateway";
    const loopback = /^(127\.|localhost$|::1$)/.test(host);
    const token = vars.token || (loopback ? undefined : await keptToken(`${stateDir}/token`));
    const app = new Application({ consumerGroup: "gateway" });
    const source = new HttpSource({
      hostname: host,
      port,
      token,
      onListen(urls) {
        console.log(
          `gateway: listening on ${host}:${source.port}, producing to "${vars.output}".\n` +
            "In Sensor Logger: Settings > Data Streaming > HTTP Push, set the push URL to:\n" +
            urls.map((u) => `  ${u}`).join("\n"),
        );
      },
    });
    const topic = app.addSource(source, HttpSource.topic(app, vars.output!));
    const mqtt = vars.mqtt_url
      ? new MqttSource({ url: vars.mqtt_url, topic: vars.mqtt_topic || "sensor-logger" })
      : undefined;
    if (mqtt) {
      app.addSource(mqtt, topic);
      console.log(`gateway: subscribing to "${vars.mqtt_topic}" at ${vars.mqtt_url}`);
    }
    await app.run({ signal });
    const s = source.stats;
    console.log(
      `gateway: stopped; ${s.accepted} accepted, ${s.duplicates} duplicates, ` +
        `${s.malformed} malformed, ${s.unauthorized} unauthorized` +
        (mqtt ? `; MQTT ${mqtt.stats.accepted} accepted, ${mqtt.stats.duplicates} duplicates` : ""),
    );
  },
});
