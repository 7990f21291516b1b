/** The `starter-destination` app template (`__APP_NAME__` is replaced by the app's name). */
export const STARTER_DESTINATION = `/**
 * __APP_NAME__: a starter destination. Reads JSON messages from \`input\` and hands them to a
 * sink in batches: \`add\` buffers each row, \`flush\` runs at every checkpoint, before the
 * consumed offsets are committed, so a row is never lost. Replace the body of \`flush\` with
 * your database or API call (or extend \`BatchingSink\` and implement \`write(batch)\`).
 *
 * Run it: \`sa run __APP_PATH__\`
 */
import { Application, defineApp, type Row, type Sink } from "@sa/toolkit";

/** Buffers rows and "writes" each batch; here it only prints a summary. */
class BatchSink implements Sink {
  #batch: Row[] = [];
  #total = 0;

  add(row: Row): void {
    this.#batch.push(row);
  }

  flush(): void {
    if (this.#batch.length === 0) return;
    const batch = this.#batch.splice(0);
    this.#total += batch.length;
    // Send \`batch\` to your destination here; throwing fails the checkpoint (nothing commits).
    console.log(\`__APP_NAME__: wrote a batch of \${batch.length} row(s) (\${this.#total} total)\`);
  }
}

export default defineApp({
  name: "__APP_NAME__",
  description: "Writes messages from input to a destination in batches",
  variables: [
    {
      name: "input",
      inputType: "InputTopic",
      description: "Topic to read from",
      defaultValue: "transformed-data",
      required: true,
    },
  ],
  async main(vars, signal) {
    const app = new Application({ consumerGroup: "__APP_NAME__", autoOffsetReset: "earliest" });
    app.dataframe(app.topic(vars.input!)).sink(new BatchSink());
    await app.run({ signal });
  },
});
`;
