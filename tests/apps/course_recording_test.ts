/**
 * normalize on the course's real recording (`../shared/data/demo_stream.json`, beside the
 * checkout; never copied into the project) against the seed's steps written in plain Python.
 * The recording's nanosecond times exceed 2^53, so this also checks that the rows survive
 * JavaScript numbers exactly as Python's ints print them.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { TestApp } from "../../lib/stream/testing.ts";
import { type AccelerometerRow, normalize, type SensorMessage } from "../../apps/normalize.ts";
import { PYTHON } from "../_clients.ts";

const RECORDING = fileURLToPath(new URL("../../../shared/data/demo_stream.json", import.meta.url));

/** The seed's normalization on dicts, as Quix Streams runs it; one JSON row per line. */
const PYTHON_NORMALIZE = `
import json, sys
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    for item in json.loads(line)["payload"]:
        row = {"time": item["time"]}
        for dim, v in item["values"].items():
            row[item["name"] + "-" + dim] = v
        if "accelerometer-x" not in row:
            continue
        row = {k: row[k] for k in ["time", "accelerometer-x", "accelerometer-y", "accelerometer-z"]}
        row["accelerometer-total"] = (
            abs(row["accelerometer-x"]) + abs(row["accelerometer-y"]) + abs(row["accelerometer-z"])
        )
        if row["accelerometer-total"] > 50:
            print(json.dumps(row, separators=(",", ":")))
`;

Deno.test("normalize: on the course recording, exactly the rows the Python steps emit", async () => {
  if (!(await Deno.stat(RECORDING).then(() => true, () => false))) {
    console.log(`SKIP: the course recording is not beside the checkout (${RECORDING})`);
    return;
  }
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", PYTHON_NORMALIZE, RECORDING],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const expected = new TextDecoder().decode(out.stdout).trim().split("\n");
  assert.ok(expected.length > 10, `only ${expected.length} rows from Python`);

  const app = new TestApp();
  const input = app.topic<SensorMessage>("raw-data");
  normalize(app.dataframe(input)).toTopic(app.topic<AccelerometerRow>("table-data"));
  const lines = (await Deno.readTextFile(RECORDING)).split("\n").filter((l) => l.trim());
  for (const line of lines) app.push(input, JSON.parse(line), { key: "demo_stream.json" });
  const rows = app.produced<AccelerometerRow>("table-data").map((r) => JSON.stringify(r.value));
  assert.deepEqual(rows, expected);
});
