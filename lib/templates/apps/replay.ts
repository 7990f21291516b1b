/** The `replay` app template (`__APP_NAME__` is replaced by the app's name). */
export const REPLAY = `/**
 * __APP_NAME__: a demo data source. Replays a JSON-lines recording (one message per line, as
 * the course's phone sessions: \`{ ..., payload: [{ name, time (ns), values }] }\`) into
 * \`output\`, keyed by the file name. Pacing follows the payload timestamps times \`speed\`
 * (0: as fast as possible); \`loop=true\` starts over at the end. \`file\` is relative to the
 * project folder (where sa.yaml is): the sample \`demo_stream.json\` sits at its top level.
 *
 * Run it: \`sa run __APP_PATH__\`
 */
import { Application, defineApp } from "@sa/toolkit";

/** Resolves after \`ms\`, or at once when \`signal\` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Event time of a line in ms: its first payload entry's \`time\` (ns), else none. */
function eventTimeMs(message: unknown): number | undefined {
  const payload = (message as { payload?: { time?: unknown }[] })?.payload;
  const ns = Array.isArray(payload) ? payload[0]?.time : undefined;
  return typeof ns === "number" ? ns / 1e6 : undefined;
}

export default defineApp({
  name: "__APP_NAME__",
  description: "Replays a JSON-lines recording into a topic",
  variables: [
    {
      name: "output",
      inputType: "OutputTopic",
      description: "Topic the recording is replayed into",
      defaultValue: "raw-data",
      required: true,
    },
    {
      name: "file",
      inputType: "FreeText",
      description: "The recording, relative to the project folder",
      defaultValue: "demo_stream.json",
      required: true,
    },
    {
      name: "speed",
      inputType: "FreeText",
      description: "Playback speed (1 = real time, 0 = as fast as possible)",
      defaultValue: "1",
      required: false,
    },
    {
      name: "loop",
      inputType: "FreeText",
      description: "true to start over at the end",
      defaultValue: "false",
      required: false,
    },
  ],
  async main(vars, signal) {
    const speed = Number(vars.speed ?? "1");
    if (!Number.isFinite(speed) || speed < 0) {
      throw new Error(\`speed must be a number >= 0, not "\${vars.speed}"\`);
    }
    // sa run and sa up name the project folder (apps share one process, so not its cwd).
    const dir = Deno.env.get("SA_PROJECT_DIR") ?? Deno.cwd();
    const path = vars.file!.startsWith("/") ? vars.file! : \`\${dir}/\${vars.file}\`;
    const lines = (await Deno.readTextFile(path)).split("\\n").filter((l) => l.trim() !== "");
    const messages = lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (err) {
        throw new Error(\`\${vars.file}:\${i + 1}: not JSON: \${(err as Error).message}\`);
      }
    });
    const key = vars.file!.split("/").pop()!;
    const app = new Application();
    const output = app.topic(vars.output!);
    await using producer = await app.getProducer();
    let produced = 0;
    do {
      let previous: number | undefined;
      for (const message of messages) {
        if (signal.aborted) break;
        const time = eventTimeMs(message);
        if (speed > 0 && time !== undefined && previous !== undefined && time > previous) {
          await producer.flush(); // deliver what is due before waiting
          await sleep((time - previous) / speed, signal);
        }
        previous = time ?? previous;
        producer.produce(output, { key, value: message });
        await producer.ready();
        if (++produced % 1000 === 0) console.log(\`__APP_NAME__: \${produced} message(s) sent\`);
      }
    } while (vars.loop === "true" && !signal.aborted);
    await producer.flush();
    console.log(\`__APP_NAME__: replayed \${produced} message(s) into \${output.name}\`);
  },
});
`;
