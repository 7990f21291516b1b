/**
 * gateway (episode 3): receives Sensor Logger's HTTP push (and WebSocket clients) and produces
 * every message unchanged to `output`, keyed by its `sessionId`. A 200 means the broker has
 * the message. It replaces the replay app when a real phone records.
 *
 * Variables: `output` (topic), `host` (interface; `0.0.0.0` lets phones on the LAN reach it),
 * `port`, `token` (required unless `host` is loopback; when empty, one is generated once and
 * kept in the app's state folder, so the phone's URL stays valid across restarts).
 *
 * Under `sa run`/`sa up` the deployment must allow the listening address, e.g.
 * `allowNet: ["0.0.0.0:8080"]`.
 *
 * @module
 */
import { Application, defineApp, HttpSource } from "@sa/toolkit";

/** Parses the `port` variable. */
export function parsePort(value: string | undefined): number {
  const port = Number(value ?? "8080");
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
      defaultValue: "8080",
    },
    {
      name: "token",
      inputType: "Secret",
      description: "Token the phone puts in the URL (empty: generated once and kept)",
      required: false,
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
    app.addSource(source, HttpSource.topic(app, vars.output!));
    await app.run({ signal });
    console.log(
      `gateway: stopped; ${source.stats.accepted} accepted, ${source.stats.duplicates} ` +
        `duplicates, ${source.stats.malformed} malformed, ${source.stats.unauthorized} unauthorized`,
    );
  },
});
