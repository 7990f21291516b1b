import { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert";
import { DurableStateBackend } from "../../../lib/stream/state/durable.ts";
import type { DurableStoreFactory } from "../../../lib/stream/state/durable_store.ts";
import { SQLITE_FILE, SqliteStorePartition } from "../../../lib/stream/state/sqlite_store.ts";
import { LogStorePartition } from "../../../lib/stream/state/log_store.ts";
import { Logger } from "../../../lib/util/log.ts";
import { FakeChangelog } from "./_fake_changelog.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string) => enc.encode(s);
const s = (u: Uint8Array | undefined) => (u === undefined ? undefined : dec.decode(u));

const factories: [string, DurableStoreFactory][] = [
  ["sqlite", (dir) => new SqliteStorePartition(dir)],
  ["log", (dir) => new LogStorePartition(dir)],
];

for (const [name, factory] of factories) {
  Deno.test(`${name} store: pending writes are visible, scans merge in byte order, flush persists`, () => {
    const dir = Deno.makeTempDirSync();
    try {
      const st = factory(dir);
      st.set(b("a1"), b("x"));
      st.set(b("a3"), b("y"));
      st.flush(7);
      st.set(b("a2"), b("z"));
      st.delete(b("a3"));
      st.set(new Uint8Array([0x61, 0xff]), b("hi"));
      assertEquals(s(st.get(b("a2"))), "z");
      assertEquals(st.get(b("a3")), undefined);
      assertEquals(
        [...st.scan(b("a"), b("b"))].map(([k, v]) => [[...k], s(v)]),
        [[[0x61, 0x31], "x"], [[0x61, 0x32], "z"], [[0x61, 0xff], "hi"]],
      );
      assertEquals([...st.scan(b("a2"), b("a3"))].length, 1, "the upper bound is exclusive");
      st.discard();
      assertEquals(s(st.get(b("a3"))), "y", "discard drops pending writes");
      st.delete(b("a1"));
      st.flush(9);
      st.close();
      const again = factory(dir);
      assertEquals(again.changelogOffset, 9);
      assertEquals([...again.scan(b(""), b("z"))].map(([k, v]) => [s(k), s(v)]), [["a3", "y"]]);
      again.close();
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

for (const [name, factory] of factories) {
  Deno.test(`${name} store: applyRecovered applies puts and deletes in order, in full`, () => {
    const dir = Deno.makeTempDirSync();
    try {
      // More puts than one multi-row insert holds, repeated keys inside one run of puts,
      // and deletes between runs: the outcome must equal applying one change at a time.
      const changes: { key: Uint8Array; value: Uint8Array | null }[] = [];
      const want = new Map<string, string>();
      for (let i = 0; i < 1000; i++) {
        // Some deletes hit the previous change's key (still in an unwritten run of puts).
        const del = i % 50 === 20;
        const key = `k${(del ? i - 1 : i) % 300}`;
        changes.push({ key: b(key), value: del ? null : b(`v${i}`) });
        if (del) want.delete(key);
        else want.set(key, `v${i}`);
      }
      const st = factory(dir);
      st.applyRecovered(changes.slice(0, 10), 9);
      st.applyRecovered(changes.slice(10), 999);
      st.close();
      const again = factory(dir);
      assertEquals(again.changelogOffset, 999);
      const got = new Map([...again.scan(b(""), b("z"))].map(([k, v]) => [s(k)!, s(v)!]));
      assertEquals(got, want);
      again.close();
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("log store ignores a torn last batch", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const st = new LogStorePartition(dir);
    st.set(b("k"), b("1"));
    st.flush(0);
    st.set(b("k"), b("2"));
    st.flush(1);
    st.close();
    const file = `${dir}/state.log`;
    const bytes = Deno.readFileSync(file);
    Deno.writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    const again = new LogStorePartition(dir);
    assertEquals([s(again.get(b("k"))), again.changelogOffset], ["1", 0]);
    again.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

function quiet(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger("state", "INFO", (l) => lines.push(l)), lines };
}

async function backend(dir: string, cl: FakeChangelog) {
  const { logger, lines } = quiet();
  const be = new DurableStateBackend({
    stateDir: dir,
    group: "g",
    changelog: cl,
    logger,
    recoveryBatch: 3,
  });
  be.registerStore("in", "default");
  await be.assign("in", 0);
  return { be, lines };
}

/** One checkpoint as the runtime runs it: changelog, commit, local flush. */
async function checkpoint(be: DurableStateBackend, cl: FakeChangelog, next: number, commit = true) {
  const processed = new Map([["in:0", next]]);
  await be.prepareCheckpoint(processed);
  if (!commit) return;
  cl.committedOffsets.set("in:0", next);
  await be.flush(processed);
}

Deno.test("durable backend: layout, changelog topics, recovery after the state dir is deleted", async () => {
  const dir = Deno.makeTempDirSync();
  const cl = new FakeChangelog({ in: 2 });
  try {
    const { be } = await backend(dir, cl);
    assertEquals(be.changelogTopics(), ["changelog__g--in--default"]);
    assertEquals(cl.topics.get("changelog__g--in--default")!.length, 2, "source partition count");
    const st = be.store("default", "in", 0);
    for (let i = 0; i < 10; i++) st.set(b(`k${i % 4}`), b(`${i}`));
    st.delete(b("k0"));
    await checkpoint(be, cl, 10);
    assert(Deno.statSync(`${dir}/g/default/in/0/${SQLITE_FILE}`).isFile);
    const log = cl.topics.get("changelog__g--in--default")![0];
    assertEquals(log.length, 4, "one record per changed key per checkpoint");
    assertEquals(log.find((r) => s(r.key) === "k0")!.value, null, "deletes are tombstones");
    assertEquals(log[0].headers.__processed_tp_offsets__, '{"in":9}');
    await be.revoke("in", 0);
    await be.close();
    Deno.removeSync(`${dir}/g`, { recursive: true });

    const { be: be2, lines } = await backend(dir, cl);
    const st2 = be2.store("default", "in", 0);
    assertEquals([...st2.scan(b(""), b("z"))].map(([k, v]) => [s(k), s(v)]), [["k1", "9"], [
      "k2",
      "6",
    ], ["k3", "7"]]);
    assert(
      lines.some((l) => l.includes("Recovery done") && l.includes("4 records")),
      lines.join("\n"),
    );
    assertEquals(be2.recovery.records, 4);
    await be2.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("recovery skips changes whose input offsets were never committed", async () => {
  const dir = Deno.makeTempDirSync();
  const cl = new FakeChangelog({ in: 1 });
  try {
    const { be } = await backend(dir, cl);
    const st = be.store("default", "in", 0);
    st.set(b("sum"), b("5"));
    await checkpoint(be, cl, 3);
    st.set(b("sum"), b("12"));
    await checkpoint(be, cl, 6, false); // crash after the changelog, before the commit
    await be.close();
    const { be: be2 } = await backend(dir, cl);
    assertEquals(s(be2.store("default", "in", 0).get(b("sum"))), "5");
    assertEquals(be2.recovery.skipped, 1);
    await be2.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a corrupted store is rebuilt in full from the changelog", async () => {
  const dir = Deno.makeTempDirSync();
  const cl = new FakeChangelog({ in: 1 });
  try {
    const { be } = await backend(dir, cl);
    const st = be.store("default", "in", 0);
    for (let i = 0; i < 7; i++) st.set(b(`k${i}`), b(`${i}`));
    await checkpoint(be, cl, 7);
    await be.close();
    Deno.writeFileSync(`${dir}/g/default/in/0/${SQLITE_FILE}`, enc.encode("garbage ".repeat(1000)));
    for (const f of Deno.readDirSync(`${dir}/g/default/in/0`)) {
      if (f.name !== SQLITE_FILE) Deno.removeSync(`${dir}/g/default/in/0/${f.name}`);
    }
    const { be: be2, lines } = await backend(dir, cl);
    assert(
      lines.some((l) => l.includes("is unusable") && l.includes("rebuilding")),
      lines.join("\n"),
    );
    assertEquals([...be2.store("default", "in", 0).scan(b(""), b("z"))].length, 7);
    await be2.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("stores of unassigned partitions are refused; clear() removes the group's state", async () => {
  const dir = Deno.makeTempDirSync();
  const cl = new FakeChangelog({ in: 1 });
  try {
    const { be } = await backend(dir, cl);
    throws(() => be.store("default", "in", 5), /in:5 is not assigned/);
    throws(() => be.store("other", "in", 0), /was not registered/);
    await be.close();
    await be.clear();
    throws(() => Deno.statSync(`${dir}/g`));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("an unwritable state dir is a clear error naming the store and the folder", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeFileSync(`${dir}/g`, new Uint8Array([1])); // a file where the group dir should be
    const be = new DurableStateBackend({ stateDir: dir, group: "g", logger: quiet().logger });
    be.registerStore("in", "default");
    await be.assign("in", 0).then(
      () => {
        throw new Error("expected a failure");
      },
      (e: Error) =>
        assert(
          /^state store default in\[0\]: cannot open .*\/g\/default\/in\/0/.test(e.message),
          e.message,
        ),
    );
    await be.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
