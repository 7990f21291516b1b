import { assertEquals, assertThrows } from "./_assert.ts";
import { Application } from "../../lib/stream/application.ts";
import { ConfigurationError } from "../../lib/stream/errors.ts";
import { MemoryStateBackend } from "../../lib/stream/state/memory.ts";

function withEnv(vars: Record<string, string | undefined>, fn: () => void): void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  try {
    for (const [k, v] of Object.entries(vars)) {
      v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
    fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
  }
}

const state = () => new MemoryStateBackend();

Deno.test("broker address: option, then SA_BROKER, then Quix__Broker__Address, then localhost:19092", () => {
  withEnv({ SA_BROKER: "a:1", Quix__Broker__Address: "b:2" }, () => {
    assertEquals(
      new Application({ brokerAddress: "o:0", stateBackend: state() }).brokerAddress,
      "o:0",
    );
    assertEquals(new Application({ stateBackend: state() }).brokerAddress, "a:1");
  });
  withEnv({ SA_BROKER: undefined, Quix__Broker__Address: "b:2" }, () => {
    assertEquals(new Application({ stateBackend: state() }).brokerAddress, "b:2");
  });
  withEnv({ SA_BROKER: undefined, Quix__Broker__Address: undefined }, () => {
    assertEquals(new Application({ stateBackend: state() }).brokerAddress, "localhost:19092");
  });
});

Deno.test("bad options fail at construction with the accepted values", () => {
  assertThrows(
    () => new Application({ autoOffsetReset: "oldest" as "earliest", stateBackend: state() }),
    ConfigurationError,
    '"earliest" or "latest"',
  );
  assertThrows(
    () =>
      new Application({ processingGuarantee: "twice" as "exactly-once", stateBackend: state() }),
    ConfigurationError,
    "at-least-once",
  );
  assertThrows(
    () => new Application({ commitInterval: -1, stateBackend: state() }),
    ConfigurationError,
  );
});

Deno.test("a topic is declared once; run() needs a dataframe", async () => {
  const app = new Application({ stateBackend: state(), logLevel: "SILENT" });
  const t = app.topic("t");
  assertEquals(app.topic("t"), t);
  assertThrows(
    () => app.topic("t", { valueSerializer: "string" }),
    ConfigurationError,
    "already declared",
  );
  let msg = "";
  await app.run().catch((e) => (msg = e.message));
  assertEquals(msg.includes("app.dataframe"), true, msg);
});
