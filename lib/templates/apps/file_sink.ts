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
import { Application, defineApp, type Row, type Sink, type SinkContext } from "@sa/toolkit";

/** Buffers rows per topic partition; each flush writes one file per partition. */
class JsonLinesFileSink implements Sink {
  #batches = new Map<string, { topic: string; partition: number; first: number; lines: string[] }>();

  constructor(readonly dir: string) {}

  write(row: Row, ctx: SinkContext): void {
    const id = \`\${ctx.topic}/\${ctx.partition}\`;
    let batch = this.#batches.get(id);
    if (!batch) {
      batch = { topic: ctx.topic, partition: ctx.partition, first: ctx.offset, lines: [] };
      this.#batches.set(id, batch);
    }
    batch.lines.push(JSON.stringify({ key: row.key, timestamp: row.timestamp, value: row.value }));
  }

  async flush(): Promise<void> {
    for (const batch of this.#batches.values()) {
      const folder = \`\${this.dir}/\${batch.topic}/\${batch.partition}\`;
      await Deno.mkdir(folder, { recursive: true });
      const file = \`\${folder}/\${String(batch.first).padStart(20, "0")}.jsonl\`;
      await Deno.writeTextFile(file, batch.lines.join("\\n") + "\\n");
    }
    this.#batches.clear();
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
