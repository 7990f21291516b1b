/** The `phone-gateway` app template (`__APP_NAME__` is replaced by the app's name). */
export const PHONE_GATEWAY = `/**
 * __APP_NAME__: receives the Sensor Logger phone app's HTTP push (POST /data) and WebSocket
 * frames (/ws), and produces each message unchanged to \`output\`, keyed by its sessionId. The
 * phone gets 200 once the broker has the message, 499 for a malformed body. Listening beyond
 * this machine (\`host\` 0.0.0.0) needs a \`token\`, which goes in the phone's URL:
 * http://<this computer>:<port>/<token>/data
 *
 * Under \`sa run\` the app may listen only where its deployment's allowNet says, e.g.
 * \`allowNet: ["0.0.0.0:8000"]\` in sa.yaml.
 *
 * Run it: \`sa run __APP_PATH__\`
 */
import { Application, defineApp, HttpSource } from "@sa/toolkit";

export default defineApp({
  name: "__APP_NAME__",
  description: "Sensor Logger HTTP push and WebSocket ingestion into a topic",
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
      defaultValue: "127.0.0.1",
    },
    { name: "port", inputType: "FreeText", description: "Port", defaultValue: "8000" },
    {
      name: "token",
      inputType: "Secret",
      description: "Token the phone puts in the URL (required unless host is loopback)",
    },
  ],
  async main(vars, signal) {
    const app = new Application({ consumerGroup: "__APP_NAME__" });
    const source = new HttpSource({
      hostname: vars.host,
      port: Number(vars.port),
      token: vars.token || undefined,
      onListen: (urls) => console.log(\`__APP_NAME__: push URL(s):\\n  \${urls.join("\\n  ")}\`),
    });
    app.addSource(source, HttpSource.topic(app, vars.output!));
    await app.run({ signal });
    console.log(\`__APP_NAME__: \${source.stats.accepted} messages accepted\`);
  },
});
`;
