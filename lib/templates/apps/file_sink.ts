/** The `file-sink` app template (`__APP_NAME__` is replaced by the app's name). */
export const FILE_SINK = `/**
 * __APP_NAME__: the course's file sink. Writes every message of \`input\` as one JSON line to
 * files \`<output_dir>/<topic>/<partition>/<first offset>.jsonl\`, one file per checkpoint
 * batch. A batch is written before its offsets are committed, and a batch replayed after a
 * crash rewrites the same file name, so files never hold duplicates.
 *
 * \`sa run\` lets an app write only to its state folder (.sa/state/<app>), so that is the
 * default; another \`output_dir\` needs that folder to be writable by the app.
 *
 * Run it: \`sa run __APP_PATH__\`
 */
import { Application, BatchingSink, defineApp, type SinkBatch } from "@sa/toolkit";

/** Each checkpoint batch of a partition becomes one file named by its first offset. */
class JsonLinesFileSink extends BatchingSink {
  constructor(readonly dir: string) {
    super();
  }

  async setup(): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
  }

  async write(batch: SinkBatch): Promise<void> {
    const folder = \`\${this.dir}/\${batch.topic}/\${batch.partition}\`;
    await Deno.mkdir(folder, { recursive: true });
    const file = \`\${folder}/\${String(batch.startOffset).padStart(20, "0")}.jsonl\`;
    const lines = batch.items.map((i) =>
      JSON.stringify({ key: i.key, timestamp: i.timestamp, value: i.value })
    );
    await Deno.writeTextFile(file, lines.join("\\n") + "\\n");
  }
}

export default defineApp({
  name: "__APP_NAME__",
  description: "Writes messages from input to JSON-lines files",
  variables: [
    {
      name: "input",
      inputType: "InputTopic",
      description: "Topic to read from",
      defaultValue: "table-data",
      required: true,
    },
    {
      name: "output_dir",
      inputType: "FreeText",
      description: "Folder for the files (default: the app's state folder, .sa/state/<app>/files)",
      required: false,
    },
  ],
  async main(vars, signal) {
    const stateDir = Deno.env.get("SA_STATE_DIR") ?? ".sa/state/__APP_NAME__";
    const dir = vars.output_dir || \`\${stateDir}/files\`;
    const app = new Application({ consumerGroup: "__APP_NAME__", autoOffsetReset: "earliest" });
    app.dataframe(app.topic(vars.input!)).sink(new JsonLinesFileSink(dir));
    console.log(\`__APP_NAME__: writing \${vars.input} to \${dir}\`);
    await app.run({ signal });
  },
});
`;
