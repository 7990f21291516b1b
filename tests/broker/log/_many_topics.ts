/**
 * Subprocess for open_files_test.ts, run under a low open-file limit: starts a broker, creates
 * `count` topics in one CreateTopics request, produces to each, restarts the broker, produces
 * to each again, and opens 200 more connections. Prints one JSON line with what it saw.
 *
 *   deno run -A tests/broker/log/_many_topics.ts <dataDir> <count>
 *
 * @module
 */
import { startBroker } from "../../../lib/broker/mod.ts";
import { buildBatch } from "../../../lib/kafka/protocol/record_batch.ts";
import { Logger } from "../../../lib/util/log.ts";
import { arr, bytes, i16, i32, request, str, WireClient } from "../apis/_wire.ts";

const [dataDir, countArg] = Deno.args;
const count = Number(countArg);
const names = Array.from({ length: count }, (_, i) => `t${i}`);
const logger = new Logger("broker", "WARN");

function produce(corr: number): Uint8Array {
  const batch = buildBatch([{ key: "k", value: "v" }]);
  return request(0, 3, corr, [
    ...str(null),
    ...i16(1),
    ...i32(30_000),
    ...arr(names.map((n) => [...str(n), ...arr([[...i32(0), ...bytes(batch)]])])),
  ]);
}

/** Error codes and base offsets of a Produce v3 response. */
function produceResults(res: Uint8Array): { errors: number; offsets: Set<number> } {
  const v = new DataView(res.buffer, res.byteOffset, res.byteLength);
  let p = 4; // correlation id
  let errors = 0;
  const offsets = new Set<number>();
  const topics = v.getInt32(p);
  p += 4;
  for (let t = 0; t < topics; t++) {
    p += 2 + v.getInt16(p);
    const parts = v.getInt32(p);
    p += 4;
    for (let i = 0; i < parts; i++) {
      if (v.getInt16(p + 4) !== 0) errors++;
      offsets.add(Number(v.getBigInt64(p + 6)));
      p += 4 + 2 + 8 + 8;
    }
  }
  return { errors, offsets };
}

const out: Record<string, unknown> = {};
let broker = await startBroker({ dataDir, port: 0, logger, fsync: "interval" });
let c = await WireClient.connect(broker.port);
const created = await c.roundTrip(request(19, 0, 1, [
  ...arr(names.map((n) => [...str(n), ...i32(1), ...i16(1), ...arr([]), ...arr([])])),
  ...i32(60_000),
]));
let failed = 0;
{
  const v = new DataView(created.buffer, created.byteOffset);
  let p = 8;
  for (let i = 0; i < count; i++) {
    p += 2 + v.getInt16(p);
    if (v.getInt16(p) !== 0) failed++;
    p += 2;
  }
}
out.createFailed = failed;
out.first = produceResults(await c.roundTrip(produce(2)));
c.close();
await broker.close();

broker = await startBroker({ dataDir, port: 0, logger, fsync: "interval" });
c = await WireClient.connect(broker.port);
const second = produceResults(await c.roundTrip(produce(3)));
out.second = { errors: second.errors, offsets: [...second.offsets] };
out.first = {
  errors: (out.first as { errors: number }).errors,
  offsets: [...(out.first as { offsets: Set<number> }).offsets],
};
const extra: WireClient[] = [];
let answered = 0;
for (let i = 0; i < 200; i++) extra.push(await WireClient.connect(broker.port));
await Promise.all(extra.map(async (x, i) => {
  const res = await x.roundTrip(request(18, 0, 100 + i, []));
  if (res.length > 6) answered++;
}));
out.connectionsAnswered = answered;
for (const x of extra) x.close();
c.close();
await broker.close();
console.log(JSON.stringify(out));
