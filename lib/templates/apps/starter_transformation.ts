/** The `starter-transformation` app template (`__APP_NAME__` is replaced by the app's name). */
export const STARTER_TRANSFORMATION = `/**
 * __APP_NAME__: a starter transformation. Reads JSON messages from \`input\`, keeps those with
 * a numeric \`value\`, adds a field and writes them to \`output\`, keeping each message's key.
 *
 * Run it: \`sa run __APP_PATH__\` (variables come from the environment, .env or sa.yaml).
 */
import { Application, defineApp } from "@sa/toolkit";

/** The messages this app expects; change it to your data. */
interface Reading {
  sensor?: string;
  value?: unknown;
  [field: string]: unknown;
}

export default defineApp({
  name: "__APP_NAME__",
  description: "Transforms JSON messages from input and writes them to output",
  variables: [
    {
      name: "input",
      inputType: "InputTopic",
      description: "Topic to read from",
      defaultValue: "sensor-data",
      required: true,
    },
    {
      name: "output",
      inputType: "OutputTopic",
      description: "Topic to write the transformed messages to",
      defaultValue: "transformed-data",
      required: true,
    },
  ],
  async main(vars, signal) {
    const app = new Application({ consumerGroup: "__APP_NAME__", autoOffsetReset: "earliest" });
    const input = app.topic<Reading>(vars.input!);
    const output = app.topic(vars.output!);

    app.dataframe(input)
      .filter((row) => typeof row.value === "number")
      .apply((row) => ({ ...row, doubled: (row.value as number) * 2 }))
      .print()
      .toTopic(output);

    await app.run({ signal });
  },
});
`;
