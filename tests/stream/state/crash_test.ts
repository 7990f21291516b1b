// Crash consistency of durable state: the odometer app (apps/odometer.ts) runs as `sa run`
// subprocesses and is killed with SIGKILL mid-stream; after a restart its running total must
// be the exact sum (no double counting, no loss). With exactly-once, a read_committed reader
// must also see every output row exactly once.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { haversine } from "../../../apps/odometer.ts";
import {
  committedOffsets,
  readTopic,
  silent,
  startTestBroker,
  waitFor,
} from "../integration/_util.ts";
import { readWholeTopic } from "../integration/_eos_scenario.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const N = 1500;
const opts = { sanitizeOps: false, sanitizeResources: false };

/** A project folder with the odometer app and a deno.json mapping @sa/toolkit to this repo. */
async function project(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sa_odometer_" });
  await Deno.mkdir(join(dir, "apps"));
  for (const f of ["apps/odometer.ts", "apps/normalize.ts"]) {
    await Deno.copyFile(join(ROOT, f), join(dir, f));
  }
  const repo = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const imports: Record<string, string> = {
    "@sa/toolkit": new URL("../../../mod.ts", import.meta.url).href,
  };
  for (const [k, v] of Object.entries(repo.imports as Record<string, string>)) {
    if (v.startsWith("npm:")) imports[k] = v;
  }
  await Deno.writeTextFile(
    join(dir, "deno.json"),
    JSON.stringify({ imports, nodeModulesDir: "none", lock: false }),
  );
  return dir;
}

function spawnOdometer(dir: string, address: string, extraEnv: Record<string, string> = {}) {
  const logTo = Deno.env.get("SA_TEST_LOG");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-worker-options",
      join(ROOT, "cli.ts"),
      "run",
      "apps/odometer.ts",
      "--broker",
      address,
      "--no-check",
    ],
    cwd: dir,
    env: {
      commit_interval: "150",
      ...(logTo ? { SA_LOG_LEVEL: "DEBUG" } : {}),
      ...extraEnv,
    },
    stdout: "null",
    stderr: logTo ? "piped" : "null",
  }).spawn();
  if (logTo) {
    const file = Deno.openSync(`${logTo}/${dir.split("/").pop()}-${Date.now()}.log`, {
      create: true,
      write: true,
    });
    child.stderr.pipeTo(file.writable).catch(() => {});
  }
  return child;
}

/**
 * Produces N raw messages with one location reading each, for `partitions` devices (device p
 * in partition p, keyed `dev<p>`); returns each device's exact final total.
 */
async function produceWalk(
  address: string,
  partitions = 1,
  part: "all" | "first-half" | "second-half" | "paced" = "all",
  /** "paced": resolves when the rest may be produced. */
  gate: Promise<void> = Promise.resolve(),
): Promise<number[]> {
  const kafka = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  if (part !== "second-half") {
    await admin.createTopics({
      topics: [{ topic: "raw-data", numPartitions: partitions }],
      waitForLeaders: true,
    });
  }
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const totals: number[] = [];
  const t0 = Date.now() * 1e6;
  for (let p = 0; p < partitions; p++) {
    let lat = 50.1 + p, lon = 14.4;
    let total = 0;
    const messages = [];
    for (let i = 0; i < N; i++) {
      if (i > 0) {
        const nLat = lat + (((i * 7919 + p) % 13) - 6) * 1e-5;
        const nLon = lon + (((i * 104729) % 11) - 5) * 1e-5;
        total += haversine(lat, lon, nLat, nLon);
        lat = nLat;
        lon = nLon;
      }
      messages.push({
        partition: p,
        key: `dev${p}`,
        value: JSON.stringify({
          messageId: i,
          sessionId: "s",
          deviceId: `dev${p}`,
          payload: [{
            name: "location",
            time: t0 + i * 1e6,
            values: { latitude: lat, longitude: lon },
          }],
        }),
      });
    }
    const half = N / 2;
    if (part === "paced") {
      // A live stream: small batches, so the app checkpoints many times along the way. After
      // a fifth, it waits for `gate` (the kill): a slow start cannot find all input there and
      // commit it in one checkpoint, leaving nothing to crash in the middle of.
      for (let i = 0; i < messages.length; i += 25) {
        if (i === 300) await gate;
        await producer.send({ topic: "raw-data", messages: messages.slice(i, i + 25) });
        await new Promise((r) => setTimeout(r, 20));
      }
    } else {
      const send = part === "all"
        ? messages
        : part === "first-half"
        ? messages.slice(0, half)
        : messages.slice(half);
      await producer.send({ topic: "raw-data", messages: send });
    }
    totals.push(total);
  }
  await producer.disconnect();
  return totals;
}

async function outputCount(address: string): Promise<number> {
  const admin = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes("odometer")) return 0;
    return (await admin.fetchTopicOffsets("odometer")).reduce((s, p) => s + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function crashAndRestart(extraEnv: Record<string, string>, eos = false) {
  const broker = await startTestBroker({ logger: silent });
  const dir = await project();
  try {
    const first = spawnOdometer(dir, broker.address, extraEnv);
    let killed!: () => void;
    const producing = produceWalk(
      broker.address,
      1,
      "paced",
      new Promise<void>((resolve) => killed = resolve),
    );
    // Killed after some checkpoints committed (state and offsets), before the end.
    await waitFor(
      async () => ((await committedOffsets(broker.address, "odometer", "raw-data"))[0] ?? 0) > 0,
      60_000,
      "first run to commit a checkpoint",
    );
    first.kill("SIGKILL");
    assert(!(await first.status).success, "the first run was killed");
    killed();
    const atKill = (await committedOffsets(broker.address, "odometer", "raw-data"))[0];
    assert(atKill < N, `killed too late: ${atKill} of ${N} committed`);
    const second = spawnOdometer(dir, broker.address, extraEnv);
    const [exact] = await producing;
    try {
      await waitFor(
        async () => (await committedOffsets(broker.address, "odometer", "raw-data"))[0] === N,
        60_000,
        "the restarted app to commit all input",
      );
    } finally {
      second.kill("SIGTERM");
      await second.status;
    }
    // Exactly-once: the restart's claim of the partition (its transactional id) aborted the
    // killed run's open transaction, so the whole topic is readable now, read_committed;
    // at-least-once: read everything the topic holds.
    const rows = eos
      ? await readWholeTopic(broker.address, "odometer")
      : await readTopic(broker.address, "odometer", await outputCount(broker.address), 5000);
    return {
      exact,
      rows: rows.sort((a, b) => a.offset - b.offset).map((r) => JSON.parse(r.value!)),
    };
  } finally {
    await broker.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test({
  name: "odometer killed with SIGKILL mid-stream: after a restart the total is the exact sum",
  ...opts,
  async fn() {
    const { exact, rows } = await crashAndRestart({});
    assert(rows.length >= N, `${rows.length} rows`);
    const last = rows[rows.length - 1];
    assert(Math.abs(last.total - exact) < 1e-6, `total ${last.total} != exact ${exact}`);
  },
});

Deno.test({
  name: "exactly-once odometer killed mid-stream: a read_committed reader sees every row once",
  ...opts,
  async fn() {
    const { exact, rows } = await crashAndRestart(
      { processing_guarantee: "exactly-once" },
      true,
    );
    assertEquals(rows.length, N, "one committed row per location, none repeated");
    let total = 0;
    for (const [i, r] of rows.entries()) {
      total += r.step;
      assert(Math.abs(r.total - total) < 1e-6, `row ${i}: total ${r.total}, expected ${total}`);
    }
    assert(Math.abs(total - exact) < 1e-6);
  },
});

Deno.test({
  name: "two odometer instances, one killed: the other takes its partition over, with its state",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    // Separate project folders: separate state dirs, as on two machines, so the survivor
    // can only get the partition's state from the changelog.
    const dirA = await project();
    const dirB = await project();
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const exact = await produceWalk(broker.address, 2, "first-half");
      const a = spawnOdometer(dirA, broker.address);
      const b = spawnOdometer(dirB, broker.address);
      try {
        await waitFor(
          async () => {
            const { groups } = await admin.describeGroups(["odometer"]);
            const c = await committedOffsets(broker.address, "odometer", "raw-data");
            return groups[0]?.state === "Stable" && groups[0].members.length === 2 &&
              c[0] === N / 2 && c[1] === N / 2;
          },
          90_000,
          "both instances to share the partitions and process the first half",
        );
        a.kill("SIGKILL");
        await a.status;
        await produceWalk(broker.address, 2, "second-half");
        await waitFor(
          async () => {
            const c = await committedOffsets(broker.address, "odometer", "raw-data");
            return c[0] === N && c[1] === N;
          },
          90_000,
          "the survivor to commit both partitions",
        );
      } finally {
        try {
          a.kill("SIGKILL");
        } catch { /* already dead */ }
        b.kill("SIGTERM");
        await b.status;
      }
      const rows = await readTopic(
        broker.address,
        "odometer",
        await outputCount(broker.address),
        5000,
      );
      for (const p of [0, 1]) {
        const mine = rows.filter((r) => r.key === `dev${p}`).sort((x, y) => x.offset - y.offset);
        const last = JSON.parse(mine[mine.length - 1].value!);
        assert(
          Math.abs(last.total - exact[p]) < 1e-6,
          `dev${p}: total ${last.total} != ${exact[p]}`,
        );
      }
    } finally {
      await admin.disconnect();
      await broker.close();
      await Deno.remove(dirA, { recursive: true }).catch(() => {});
      await Deno.remove(dirB, { recursive: true }).catch(() => {});
    }
  },
});
